"""Sandbox state: chats, the messages in them, pending updates and per-chat event logs."""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from .clock import TimeSource
from .files import FileStore, StoredFile
from .markup import Markup, button_labels, inline_buttons, inline_markup, keyboard_kind
from .signals import ChangeSignal

# What getUpdates delivers when allowed_updates was never set or set to [].
ALL_UPDATE_TYPES = frozenset(
    {
        "message",
        "edited_message",
        "channel_post",
        "edited_channel_post",
        "business_connection",
        "business_message",
        "edited_business_message",
        "deleted_business_messages",
        "message_reaction",
        "message_reaction_count",
        "inline_query",
        "chosen_inline_result",
        "callback_query",
        "shipping_query",
        "pre_checkout_query",
        "purchased_paid_media",
        "poll",
        "poll_answer",
        "my_chat_member",
        "chat_member",
        "chat_join_request",
        "chat_boost",
        "removed_chat_boost",
    }
)
DEFAULT_UPDATE_TYPES = ALL_UPDATE_TYPES - {
    "chat_member",
    "message_reaction",
    "message_reaction_count",
}


@dataclass(frozen=True)
class ChatEvent:
    """One line of a chat's history, for transcripts: who did what, with what text/buttons."""

    # user_text, user_tap, bot_message, bot_edit, bot_delete, bot_callback_answer, bot_photo,
    # bot_document
    kind: str
    actor: str
    message_id: int | None
    text: str
    date: int
    buttons: tuple[tuple[str, ...], ...] = ()
    data: str | None = None
    file_name: str | None = None
    show_alert: bool = False

    def describe(self) -> str:
        """Return a human-readable transcript line (multi-line text is indented)."""
        text = self.text.replace("\n", "\n    ")
        if self.kind == "user_text":
            line = f"{self.actor}: {text}"
        elif self.kind == "user_tap":
            line = f"{self.actor} taps [{text}]"
        elif self.kind == "bot_message":
            line = f"{self.actor}: {text}"
        elif self.kind == "bot_edit":
            line = f"{self.actor} edits #{self.message_id}: {text}"
        elif self.kind == "bot_delete":
            line = f"{self.actor} deletes #{self.message_id}"
        elif self.kind == "bot_callback_answer":
            shown = f" {text!r}" if text else " (no text)"
            alert = " as an alert" if self.show_alert else ""
            line = f"{self.actor} answers the tap:{shown}{alert}"
        else:
            what = "photo" if self.kind == "bot_photo" else "document"
            line = f"{self.actor} sends {what} {self.file_name or ''}".rstrip()
            if text:
                line += f": {text}"
        for row in self.buttons:
            line += "\n    " + " ".join(f"[{label}]" for label in row)
        return line

    def __str__(self) -> str:
        return self.describe()


@dataclass(frozen=True)
class CallbackAnswer:
    """One answerCallbackQuery call for a simulated tap."""

    callback_query_id: str
    message_id: int | None
    data: str | None
    text: str | None
    show_alert: bool
    url: str | None
    cache_time: int | None


@dataclass(eq=False)
class SentMessage:
    """A message the bot sent, as it is now (edits applied); text is what the user sees."""

    message_id: int
    chat_id: int
    kind: str  # "text" | "photo" | "document"
    text: str  # text or caption with formatting parsed out ("" for media without caption)
    parse_mode: str | None
    source_text: str  # text/caption exactly as the bot sent it (markup included)
    entities: list[dict[str, Any]]
    reply_markup: Markup | None
    date: int
    file: StoredFile | None = None
    upload_name: str | None = None
    reply_to_message_id: int | None = None
    deleted: bool = False
    edited: int = 0
    edit_date: int | None = None

    @property
    def keyboard_kind(self) -> str | None:
        """ "inline", "reply", "remove", "force_reply" or None."""
        return keyboard_kind(self.reply_markup)

    @property
    def buttons(self) -> list[list[str]]:
        """Rows of button labels (inline or reply keyboard)."""
        return button_labels(self.reply_markup)

    @property
    def inline_buttons(self) -> list[list[tuple[str, str | None]]]:
        """Rows of (label, callback_data or url) of the inline keyboard."""
        return inline_buttons(self.reply_markup)

    @property
    def inline_keyboard(self) -> Markup | None:
        """The inline keyboard markup, or None."""
        return inline_markup(self.reply_markup)

    @property
    def file_name(self) -> str | None:
        """Name of the uploaded file (as sent in the multipart part), for photos and documents."""
        if self.upload_name:
            return self.upload_name
        return self.file.file_name if self.file else None

    @property
    def file_bytes(self) -> bytes | None:
        """Bytes of the photo or document."""
        return self.file.data if self.file else None

    @property
    def mime_type(self) -> str | None:
        """MIME type of a document."""
        return self.file.mime_type if self.file else None


@dataclass(eq=False)
class UserMessage:
    """A message a simulated user sent; kept so replies and deletions can refer to it."""

    message_id: int
    text: str
    date: int
    payload: dict[str, Any]
    deleted: bool = False


@dataclass
class PendingCallback:
    """A tap the bot has not answered yet."""

    chat_id: int
    message_id: int
    data: str | None


class Chat:
    """A chat the sandbox knows, with everything the bot sent to it and its event log."""

    def __init__(
        self,
        chat_id: int,
        *,
        first_name: str | None = None,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = None,
        title: str | None = None,
        parent_signal: ChangeSignal | None = None,
    ) -> None:
        self.id = chat_id
        self.type = "private" if chat_id > 0 else "group"
        self.first_name = first_name or (f"User {chat_id}" if chat_id > 0 else None)
        self.last_name = last_name
        self.username = username
        self.language_code = language_code
        self.title = title or (None if chat_id > 0 else f"Group {chat_id}")
        self.messages: list[SentMessage] = []
        self.by_id: dict[int, SentMessage | UserMessage] = {}
        self.log: list[ChatEvent] = []
        self.callback_answers: list[CallbackAnswer] = []
        self.reply_keyboard: Markup | None = None
        # Last few failed calls for this chat, so a timed-out wait can say why nothing arrived.
        self.recent_errors: deque[tuple[str, int, str]] = deque(maxlen=5)
        self.sent_count = 0
        self.signal = ChangeSignal(parent_signal)
        self._last_message_id = 0

    def new_message_id(self) -> int:
        """Allocate the next message id (ids are per chat and shared by both directions)."""
        self._last_message_id += 1
        return self._last_message_id

    def add_bot_message(self, message: SentMessage) -> None:
        """Store a message the bot sent and remember a reply keyboard it shows."""
        self.messages.append(message)
        self.by_id[message.message_id] = message
        self.sent_count += 1
        kind = message.keyboard_kind
        if kind == "reply":
            self.reply_keyboard = message.reply_markup
        elif kind == "remove":
            self.reply_keyboard = None

    def record(self, event: ChatEvent) -> None:
        """Append to the chat log and wake waiters."""
        self.log.append(event)
        self.signal.notify()

    def latest_inline_message(self) -> SentMessage | None:
        """Return the newest live bot message with an inline keyboard (scans this chat only)."""
        for message in reversed(self.messages):
            if not message.deleted and message.inline_keyboard:
                return message
        return None


class UpdateQueue:
    """Unconfirmed updates in id order; confirming drops from the front, so each call is O(1)."""

    def __init__(self, parent_signal: ChangeSignal | None = None) -> None:
        self._items: deque[dict[str, Any]] = deque()
        self._last_id = 0
        self.allowed: frozenset[str] = DEFAULT_UPDATE_TYPES
        self.allowed_list: list[str] | None = None
        self.signal = ChangeSignal(parent_signal)

    def __len__(self) -> int:
        return len(self._items)

    def set_allowed(self, types: Iterable[str] | None) -> None:
        """Apply allowed_updates; it filters updates created from now on, like Telegram."""
        if types is None:
            return
        listed = list(types)
        self.allowed_list = listed
        self.allowed = frozenset(listed) if listed else DEFAULT_UPDATE_TYPES

    def push(self, kind: str, payload: dict[str, Any]) -> dict[str, Any] | None:
        """Queue an update of `kind`; returns it, or None when allowed_updates filters it out."""
        if kind not in self.allowed:
            return None
        self._last_id += 1
        update = {"update_id": self._last_id, kind: payload}
        self._items.append(update)
        self.signal.notify()
        return update

    def confirm(self, offset: int) -> None:
        """Forget updates with update_id < offset (a negative offset keeps the last -offset)."""
        items = self._items
        if offset < 0:
            while len(items) > -offset:
                items.popleft()
            return
        while items and items[0]["update_id"] < offset:
            items.popleft()

    def first(self, limit: int) -> list[dict[str, Any]]:
        """Return up to `limit` oldest updates without removing them."""
        return list(islice(self._items, limit))

    def pop_if_first(self, update: dict[str, Any]) -> None:
        """Drop `update` if it is still the oldest (a webhook delivered it meanwhile)."""
        if self._items and self._items[0] is update:
            self._items.popleft()

    def clear(self) -> None:
        """Drop every pending update (drop_pending_updates)."""
        self._items.clear()


@dataclass
class WebhookConfig:
    """The webhook set with setWebhook."""

    url: str
    secret_token: str | None
    max_connections: int = 40
    ip_address: str | None = None
    last_error_date: int | None = None
    last_error_message: str | None = None


@dataclass
class CommandList:
    """The commands set for one scope and language."""

    scope: dict[str, Any]
    language_code: str
    commands: list[dict[str, str]]


@dataclass
class SandboxState:
    """Everything the emulated Bot API server knows; shared by the HTTP layer and the driver."""

    token: str
    bot_id: int
    bot_username: str
    bot_first_name: str
    now: TimeSource
    auto_create_chats: bool
    files: FileStore
    # Notified on every request and every change anywhere; sandbox.wait_for() sleeps on it.
    activity: ChangeSignal = field(default_factory=ChangeSignal)
    chats: dict[int, Chat] = field(default_factory=dict)
    updates: UpdateQueue = field(init=False)
    callbacks: dict[str, PendingCallback] = field(default_factory=dict)
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    counters: Counter[str] = field(default_factory=Counter)
    total_sent: int = 0
    commands: list[dict[str, str]] = field(default_factory=list)
    command_lists: dict[tuple[str, str], CommandList] = field(default_factory=dict)
    webhook: WebhookConfig | None = None
    closing: bool = False
    callback_counter: int = 0
    long_polls_waiting: int = 0

    def __post_init__(self) -> None:
        self.updates = UpdateQueue(self.activity)

    def new_chat(self, chat_id: int) -> Chat:
        """Create and register a chat whose changes also count as sandbox activity."""
        chat = Chat(chat_id, parent_signal=self.activity)
        self.chats[chat_id] = chat
        return chat

    def timestamp(self) -> int:
        """Return "now" from the injected clock as Telegram's integer unix seconds."""
        return int(self.now())

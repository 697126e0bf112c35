"""Bot API method implementations over SandboxState, keyed by their lower-case names."""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from .errors import bad_request, chat_not_found, conflict
from .faults import Faults, FloodGate
from .files import StoredFile, image_size
from .formatting import MAX_CAPTION_LENGTH, MAX_TEXT_LENGTH, render, utf16_len
from .markup import Markup, button_labels, keyboard_kind, parse_reply_markup
from .objects import get_me_json, message_json, webhook_info_json
from .params import Params, UploadedFile
from .state import (
    CallbackAnswer,
    Chat,
    ChatEvent,
    CommandList,
    SandboxState,
    SentMessage,
    UserMessage,
    WebhookConfig,
)

Handler = Callable[[Params], Awaitable[Any]]

_COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")
_SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
# Bots may delete any message in a private chat only within 48 hours of sending.
_DELETE_WINDOW_SECONDS = 48 * 3600
_WEBHOOK_CONFLICT = (
    "can't use getUpdates method while webhook is active; use deleteWebhook to delete the "
    "webhook first"
)
_NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the "
    "same as a current content and reply markup of the message"
)


@dataclass(frozen=True)
class Described:
    """A successful result that also carries Telegram's top-level "description"."""

    result: Any
    description: str


class BotApiMethods:
    """The implemented Bot API methods; `table` maps lower-case name to (name, handler)."""

    def __init__(
        self,
        state: SandboxState,
        faults: Faults,
        flood_gate: Callable[[], FloodGate | None],
        on_webhook_change: Callable[[], None],
    ) -> None:
        self.state = state
        self.faults = faults
        self._flood_gate = flood_gate
        self._on_webhook_change = on_webhook_change
        self._poll_generation = 0
        self._commands_key: tuple[str, str] | None = None
        handlers: dict[str, Handler] = {
            "getMe": self.get_me,
            "getUpdates": self.get_updates,
            "setWebhook": self.set_webhook,
            "deleteWebhook": self.delete_webhook,
            "getWebhookInfo": self.get_webhook_info,
            "sendMessage": self.send_message,
            "sendPhoto": self.send_photo,
            "sendDocument": self.send_document,
            "sendChatAction": self.send_chat_action,
            "editMessageText": self.edit_message_text,
            "editMessageCaption": self.edit_message_caption,
            "editMessageReplyMarkup": self.edit_message_reply_markup,
            "deleteMessage": self.delete_message,
            "answerCallbackQuery": self.answer_callback_query,
            "setMyCommands": self.set_my_commands,
            "getMyCommands": self.get_my_commands,
            "deleteMyCommands": self.delete_my_commands,
            "getFile": self.get_file,
        }
        self.table: dict[str, tuple[str, Handler]] = {
            name.lower(): (name, handler) for name, handler in handlers.items()
        }

    # -- updates and webhooks -------------------------------------------------------------

    async def get_me(self, params: Params) -> Any:
        """getMe: the bot's own user."""
        return get_me_json(self.state)

    async def get_updates(self, params: Params) -> Any:
        """getUpdates: confirm by offset, then answer at once or long-poll until timeout."""
        state = self.state
        if state.webhook is not None:
            raise conflict(_WEBHOOK_CONFLICT)
        offset = params.integer("offset")
        limit = min(max(params.integer("limit") or 100, 1), 100)
        timeout = max(params.number("timeout") or 0.0, 0.0)
        allowed = params.json("allowed_updates")
        if allowed is not None:
            if not isinstance(allowed, list):
                raise bad_request("can't parse allowed_updates JSON object")
            state.updates.set_allowed(str(item) for item in allowed)
        if offset is not None:
            state.updates.confirm(offset)
        # A newer getUpdates ends an older pending one with 409, as Telegram does when two bot
        # instances poll at once.
        self._poll_generation += 1
        generation = self._poll_generation
        state.updates.signal.notify()
        if not len(state.updates) and timeout > 0:
            state.long_polls_waiting += 1
            state.activity.notify()
            try:
                await state.updates.signal.wait_until(
                    lambda: (
                        state.closing
                        or generation != self._poll_generation
                        or state.webhook is not None
                        or len(state.updates) > 0
                    ),
                    timeout,
                )
            finally:
                state.long_polls_waiting -= 1
            if state.closing:
                return []
            if generation != self._poll_generation:
                raise conflict(
                    "terminated by other getUpdates request; make sure that only one bot "
                    "instance is running"
                )
            if state.webhook is not None:
                raise conflict(_WEBHOOK_CONFLICT)
        return state.updates.first(limit)

    async def set_webhook(self, params: Params) -> Any:
        """setWebhook: start POSTing updates to url (http is allowed, this is loopback)."""
        state = self.state
        url = (params.text("url") or "").strip()
        if not url:
            return await self.delete_webhook(params)
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        secret = params.text("secret_token")
        if secret is not None and not _SECRET_RE.match(secret):
            raise bad_request("secret token contains unallowed characters")
        allowed = params.json("allowed_updates")
        if allowed is not None and not isinstance(allowed, list):
            raise bad_request("can't parse allowed_updates JSON object")
        if params.flag("drop_pending_updates"):
            state.updates.clear()
        if allowed is not None:
            state.updates.set_allowed(str(item) for item in allowed)
        state.webhook = WebhookConfig(
            url=url,
            secret_token=secret or None,
            max_connections=params.integer("max_connections") or 40,
            ip_address=params.text("ip_address"),
        )
        self._on_webhook_change()
        state.updates.signal.notify()
        return Described(True, "Webhook was set")

    async def delete_webhook(self, params: Params) -> Any:
        """deleteWebhook: stop webhook delivery; pending updates stay unless dropped."""
        state = self.state
        had_webhook = state.webhook is not None
        if params.flag("drop_pending_updates"):
            state.updates.clear()
        state.webhook = None
        self._on_webhook_change()
        description = "Webhook was deleted" if had_webhook else "Webhook is already deleted"
        return Described(True, description)

    async def get_webhook_info(self, params: Params) -> Any:
        """getWebhookInfo: url, pending count and the last delivery error."""
        return webhook_info_json(self.state)

    # -- sending ---------------------------------------------------------------------------

    async def send_message(self, params: Params) -> Any:
        """sendMessage: validate like Telegram, enforce flood limits, store and echo."""
        chat = self._chat(params, writing=True)
        text = params.text("text")
        if text is None or not text.strip():
            raise bad_request("message text is empty")
        parse_mode = params.text("parse_mode") or None
        plain, entities = render(text, parse_mode, params.json("entities"))
        if not plain.strip():
            raise bad_request("message text is empty")
        if utf16_len(plain) > MAX_TEXT_LENGTH:
            raise bad_request("message is too long")
        markup = self._markup(params)
        reply_to = self._reply_to(chat, params)
        self._admit(chat)
        message = SentMessage(
            message_id=chat.new_message_id(),
            chat_id=chat.id,
            kind="text",
            text=plain,
            parse_mode=parse_mode,
            source_text=text,
            entities=entities,
            reply_markup=markup,
            date=self.state.timestamp(),
            reply_to_message_id=reply_to,
        )
        return self._deliver(chat, message, "bot_message")

    async def send_photo(self, params: Params) -> Any:
        """sendPhoto: accept an upload (must be a real image) or a known photo file_id."""
        chat = self._chat(params, writing=True)
        photo = params.file("photo")
        stored: StoredFile | None = None
        if isinstance(photo, UploadedFile):
            if not photo.data:
                raise bad_request("file must be non-empty")
            if image_size(photo.data) is None:
                raise bad_request("IMAGE_PROCESS_FAILED")
        elif isinstance(photo, str) and photo:
            stored = self._known_file(photo, "photo")
        else:
            raise bad_request("there is no photo in the request")
        return self._send_media(chat, params, "photo", photo, stored)

    async def send_document(self, params: Params) -> Any:
        """sendDocument: accept an upload or a known document file_id."""
        chat = self._chat(params, writing=True)
        document = params.file("document")
        stored: StoredFile | None = None
        if isinstance(document, UploadedFile):
            if not document.data:
                raise bad_request("file must be non-empty")
        elif isinstance(document, str) and document:
            stored = self._known_file(document, "document")
        else:
            raise bad_request("there is no document in the request")
        return self._send_media(chat, params, "document", document, stored)

    def _send_media(
        self,
        chat: Chat,
        params: Params,
        kind: str,
        upload: UploadedFile | str | None,
        stored: StoredFile | None,
    ) -> Any:
        caption = params.text("caption") or ""
        parse_mode = params.text("parse_mode") or None
        plain, entities = (
            render(caption, parse_mode, params.json("caption_entities")) if caption else ("", [])
        )
        if utf16_len(plain) > MAX_CAPTION_LENGTH:
            raise bad_request("message caption is too long")
        markup = self._markup(params)
        reply_to = self._reply_to(chat, params)
        self._admit(chat)
        upload_name: str | None = None
        if isinstance(upload, UploadedFile):
            upload_name = upload.filename
            files = self.state.files
            stored = (
                files.add_photo(upload.data, upload.filename)
                if kind == "photo"
                else files.add_document(upload.data, upload.filename, upload.content_type)
            )
        message = SentMessage(
            message_id=chat.new_message_id(),
            chat_id=chat.id,
            kind=kind,
            text=plain,
            parse_mode=parse_mode,
            source_text=caption,
            entities=entities,
            reply_markup=markup,
            date=self.state.timestamp(),
            file=stored,
            upload_name=upload_name,
            reply_to_message_id=reply_to,
        )
        return self._deliver(chat, message, f"bot_{kind}")

    async def send_chat_action(self, params: Params) -> Any:
        """sendChatAction: validated and recorded in calls, nothing else."""
        self._chat(params, writing=True)
        if params.text("action") not in _CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        return True

    # -- editing and deleting ----------------------------------------------------------------

    async def edit_message_text(self, params: Params) -> Any:
        """editMessageText: omitting reply_markup removes the inline keyboard, as on Telegram."""
        chat, message = self._editable(params)
        if message.kind != "text":
            raise bad_request("there is no text in the message to edit")
        text = params.text("text")
        if text is None or not text.strip():
            raise bad_request("message text is empty")
        parse_mode = params.text("parse_mode") or None
        plain, entities = render(text, parse_mode, params.json("entities"))
        if not plain.strip():
            raise bad_request("message text is empty")
        if utf16_len(plain) > MAX_TEXT_LENGTH:
            raise bad_request("message is too long")
        markup = self._inline_markup(params)
        self._check_modified(message, plain, entities, markup)
        message.text, message.entities = plain, entities
        message.source_text, message.parse_mode = text, parse_mode
        return self._apply_edit(chat, message, markup)

    async def edit_message_caption(self, params: Params) -> Any:
        """editMessageCaption: change a photo/document caption (and the inline keyboard)."""
        chat, message = self._editable(params)
        if message.kind == "text":
            raise bad_request("there is no caption in the message to edit")
        caption = params.text("caption") or ""
        parse_mode = params.text("parse_mode") or None
        plain, entities = (
            render(caption, parse_mode, params.json("caption_entities")) if caption else ("", [])
        )
        if utf16_len(plain) > MAX_CAPTION_LENGTH:
            raise bad_request("message caption is too long")
        markup = self._inline_markup(params)
        self._check_modified(message, plain, entities, markup)
        message.text, message.entities = plain, entities
        message.source_text, message.parse_mode = caption, parse_mode
        return self._apply_edit(chat, message, markup)

    async def edit_message_reply_markup(self, params: Params) -> Any:
        """editMessageReplyMarkup: replace or (when omitted) remove the inline keyboard."""
        chat, message = self._editable(params)
        markup = self._inline_markup(params)
        self._check_modified(message, message.text, message.entities, markup)
        return self._apply_edit(chat, message, markup)

    async def delete_message(self, params: Params) -> Any:
        """deleteMessage: mark a bot or user message deleted (within Telegram's 48 hours)."""
        chat = self._chat(params, writing=False)
        message_id = params.integer("message_id")
        if message_id is None:
            raise bad_request("message identifier is not specified")
        target = chat.by_id.get(message_id)
        if target is None or target.deleted:
            raise bad_request("message to delete not found")
        if self.state.now() - target.date > _DELETE_WINDOW_SECONDS:
            raise bad_request("message can't be deleted for everyone")
        target.deleted = True
        text = target.text
        chat.record(
            ChatEvent(
                "bot_delete", self.state.bot_first_name, message_id, text, self.state.timestamp()
            )
        )
        return True

    # -- callback queries and commands -----------------------------------------------------

    async def answer_callback_query(self, params: Params) -> Any:
        """answerCallbackQuery: each simulated tap can be answered once."""
        state = self.state
        query_id = params.text("callback_query_id")
        text = params.text("text")
        if text is not None and len(text) > 200:
            raise bad_request("MESSAGE_TOO_LONG")
        pending = state.callbacks.pop(query_id, None) if query_id else None
        if pending is None:
            raise bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        answer = CallbackAnswer(
            callback_query_id=query_id or "",
            message_id=pending.message_id,
            data=pending.data,
            text=text,
            show_alert=params.flag("show_alert"),
            url=params.text("url"),
            cache_time=params.integer("cache_time"),
        )
        chat = state.chats[pending.chat_id]
        chat.callback_answers.append(answer)
        chat.record(
            ChatEvent(
                "bot_callback_answer",
                state.bot_first_name,
                pending.message_id,
                text or "",
                state.timestamp(),
                data=pending.data,
                show_alert=answer.show_alert,
            )
        )
        return True

    async def set_my_commands(self, params: Params) -> Any:
        """setMyCommands: validate names/descriptions and store them per scope and language."""
        commands = params.json("commands")
        if not isinstance(commands, list):
            raise bad_request("can't parse commands JSON object")
        if len(commands) > 100:
            raise bad_request("too many commands")
        cleaned: list[dict[str, str]] = []
        for item in commands:
            if not isinstance(item, dict):
                raise bad_request("can't parse BotCommand JSON object")
            command, description = item.get("command"), item.get("description")
            if not isinstance(command, str) or not _COMMAND_RE.match(command):
                raise bad_request("BOT_COMMAND_INVALID")
            if not isinstance(description, str) or not 1 <= len(description) <= 256:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
            cleaned.append({"command": command, "description": description})
        scope, language, key = self._command_key(params)
        state = self.state
        if cleaned:
            state.command_lists[key] = CommandList(scope, language, cleaned)
        else:
            state.command_lists.pop(key, None)
        state.commands = cleaned
        self._commands_key = key
        return True

    async def get_my_commands(self, params: Params) -> Any:
        """getMyCommands: the list for exactly this scope and language ([] if none)."""
        _, _, key = self._command_key(params)
        found = self.state.command_lists.get(key)
        return list(found.commands) if found else []

    async def delete_my_commands(self, params: Params) -> Any:
        """deleteMyCommands: forget the list for this scope and language."""
        _, _, key = self._command_key(params)
        self.state.command_lists.pop(key, None)
        if key == self._commands_key:
            self.state.commands = []
        return True

    async def get_file(self, params: Params) -> Any:
        """getFile: a File with the file_path served under /file/bot<token>/."""
        file_id = params.text("file_id") or ""
        stored = self.state.files.get(file_id)
        if stored is None:
            raise bad_request("invalid file_id")
        return stored.file_json(file_id)

    # -- helpers -----------------------------------------------------------------------------

    def _chat(self, params: Params, *, writing: bool) -> Chat:
        chat_id = params.chat_id()
        if chat_id is None:
            raise bad_request("chat_id is empty")
        if isinstance(chat_id, str):
            # @usernames only address public channels/groups, which the sandbox has none of.
            raise chat_not_found()
        chat = self.state.chats.get(chat_id)
        if chat is None:
            if not self.state.auto_create_chats or chat_id == 0:
                raise chat_not_found()
            chat = self.state.new_chat(chat_id)
        error = self.faults.chat_error(chat_id, writing=writing)
        if error is not None:
            raise error
        return chat

    def _markup(self, params: Params) -> Markup | None:
        return parse_reply_markup(params.json("reply_markup", "reply keyboard markup"))

    def _inline_markup(self, params: Params) -> Markup | None:
        markup = self._markup(params)
        if markup is not None and keyboard_kind(markup) != "inline":
            raise bad_request("inline keyboard expected")
        return markup

    def _reply_to(self, chat: Chat, params: Params) -> int | None:
        reply = params.json("reply_parameters")
        message_id: object  # reply_parameters is the client's JSON: any type may arrive
        if isinstance(reply, dict):
            message_id = reply.get("message_id")
            lenient = bool(reply.get("allow_sending_without_reply"))
        else:
            message_id = params.integer("reply_to_message_id")
            lenient = params.flag("allow_sending_without_reply")
        if message_id is None:
            return None
        target = chat.by_id.get(message_id) if isinstance(message_id, int) else None
        if target is None or target.deleted:
            if lenient:
                return None
            raise bad_request("message to be replied not found")
        return target.message_id

    def _admit(self, chat: Chat) -> None:
        gate = self._flood_gate()
        if gate is not None:
            gate.admit(chat.id, self.state.now())

    def _known_file(self, file_id: str, kind: str) -> StoredFile:
        stored = self.state.files.get(file_id)
        if stored is None:
            raise bad_request("wrong file identifier/HTTP URL specified")
        if stored.kind != kind:
            raise bad_request(f"can't use file of type {stored.kind.title()} as {kind.title()}")
        return stored

    def _deliver(self, chat: Chat, message: SentMessage, event_kind: str) -> Any:
        state = self.state
        chat.add_bot_message(message)
        state.total_sent += 1
        chat.record(
            ChatEvent(
                event_kind,
                state.bot_first_name,
                message.message_id,
                message.text,
                message.date,
                buttons=tuple(tuple(row) for row in message.buttons),
                file_name=message.file_name,
            )
        )
        return message_json(state, chat, message)

    def _editable(self, params: Params) -> tuple[Chat, SentMessage]:
        if params.text("inline_message_id"):
            raise bad_request("inline messages are not supported by the sandbox")
        chat = self._chat(params, writing=True)
        message_id = params.integer("message_id")
        if message_id is None:
            raise bad_request("message identifier is not specified")
        message = chat.by_id.get(message_id)
        if message is None or message.deleted:
            raise bad_request("message to edit not found")
        if isinstance(message, UserMessage):
            raise bad_request("message can't be edited")
        return chat, message

    @staticmethod
    def _check_modified(
        message: SentMessage, text: str, entities: list[dict[str, Any]], markup: Markup | None
    ) -> None:
        if (
            text == message.text
            and entities == message.entities
            and (
                json.dumps(markup, sort_keys=True)
                == json.dumps(message.inline_keyboard, sort_keys=True)
            )
        ):
            raise bad_request(_NOT_MODIFIED)

    def _apply_edit(self, chat: Chat, message: SentMessage, markup: Markup | None) -> Any:
        state = self.state
        # A reply keyboard is not part of the message, so text edits leave that info alone.
        if markup is not None or message.keyboard_kind == "inline":
            message.reply_markup = markup
        message.edited += 1
        message.edit_date = state.timestamp()
        chat.record(
            ChatEvent(
                "bot_edit",
                state.bot_first_name,
                message.message_id,
                message.text,
                message.edit_date,
                buttons=tuple(tuple(row) for row in button_labels(message.inline_keyboard)),
            )
        )
        return message_json(state, chat, message)

    def _command_key(self, params: Params) -> tuple[dict[str, Any], str, tuple[str, str]]:
        scope = params.json("scope") or {"type": "default"}
        if not isinstance(scope, dict) or "type" not in scope:
            raise bad_request("can't parse BotCommandScope JSON object")
        language = params.text("language_code") or ""
        return scope, language, (json.dumps(scope, sort_keys=True), language)

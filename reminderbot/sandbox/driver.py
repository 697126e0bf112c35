"""SimulatedUser: a test's hands on one private chat (send, tap, read what the bot sent)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from .formatting import command_entities
from .objects import callback_query_json, user_message_json
from .state import (
    CallbackAnswer,
    Chat,
    ChatEvent,
    PendingCallback,
    SandboxState,
    SentMessage,
    UserMessage,
)

T = TypeVar("T")
_REPORT_EVENTS = 8


class SimulatedUser:
    """A Telegram user in a private chat with the bot; actions queue updates for the bot."""

    def __init__(self, state: SandboxState, chat: Chat) -> None:
        self._state = state
        self._chat = chat
        self._cursor = 0  # index into chat.messages of the next unread bot message

    def __repr__(self) -> str:
        return f"SimulatedUser({self.user_id}, {self.first_name!r})"

    # -- identity ------------------------------------------------------------------------------

    @property
    def user_id(self) -> int:
        """The user's id, which is also the private chat's id."""
        return self._chat.id

    @property
    def chat_id(self) -> int:
        """The private chat's id (== user_id)."""
        return self._chat.id

    @property
    def first_name(self) -> str:
        """The user's first name."""
        return self._chat.first_name or ""

    # -- acting -------------------------------------------------------------------------------

    async def send(self, text: str, *, reply_to: int | None = None) -> dict[str, Any]:
        """Type a message (commands get bot_command entities); returns the Message dict."""
        if not text:
            raise ValueError("Telegram clients cannot send an empty message")
        state, chat = self._state, self._chat
        message_id = chat.new_message_id()
        date = state.timestamp()
        payload = user_message_json(
            state, chat, message_id, date, text, command_entities(text), reply_to
        )
        chat.by_id[message_id] = UserMessage(message_id, text, date, payload)
        state.updates.push("message", payload)
        chat.record(ChatEvent("user_text", self.first_name, message_id, text, date))
        return payload

    async def tap(self, label: str, *, message_id: int | None = None) -> dict[str, Any]:
        """Tap an inline button on the newest bot message with one (or `message_id`).

        Matching: exact label, then case-insensitive label, then a unique case-insensitive
        substring. Returns the CallbackQuery dict queued for the bot.
        """
        message = self._inline_target(message_id)
        button = _pick_button(
            [b for row in message.inline_keyboard["inline_keyboard"] for b in row],  # type: ignore[index]
            label,
            f"message #{message.message_id} ({_preview(message.text)})",
        )
        if "callback_data" not in button:
            target = button.get("url") or next(iter(set(button) - {"text"}), "something")
            raise ValueError(
                f"button {button['text']!r} opens {target}; tapping it sends the bot nothing"
            )
        return self._queue_callback(message, button["callback_data"], button["text"])

    async def forge_tap(self, data: str, *, message_id: int | None = None) -> dict[str, Any]:
        """Send callback data of our choosing, as a modified client could (no button needed).

        Targets the newest bot message (or `message_id`); for testing that the bot never takes
        callback data as proof of rights.
        """
        chat = self._chat
        if message_id is None:
            if not chat.messages:
                raise LookupError(f"no bot message in chat {chat.id} to attach a callback to")
            message = chat.messages[-1]
        else:
            message = self._inline_target(message_id)
        return self._queue_callback(message, data, f"(forged) {data}")

    def _queue_callback(self, message: SentMessage, data: str, label: str) -> dict[str, Any]:
        state, chat = self._state, self._chat
        state.callback_counter += 1
        query_id = str(4_300_000_000_000_000_000 + state.callback_counter)
        state.callbacks[query_id] = PendingCallback(chat.id, message.message_id, data)
        query = callback_query_json(state, chat, query_id, message, data)
        state.updates.push("callback_query", query)
        chat.record(
            ChatEvent(
                "user_tap",
                self.first_name,
                message.message_id,
                label,
                state.timestamp(),
                data=data,
            )
        )
        return query

    async def press(self, label: str) -> dict[str, Any]:
        """Press a button of the reply keyboard the bot is showing (sends its label as text)."""
        keyboard = self._chat.reply_keyboard
        if keyboard is None:
            raise LookupError(f"{self.first_name} has no reply keyboard on screen")
        button = _pick_button(
            [b for row in keyboard["keyboard"] for b in row], label, "the reply keyboard"
        )
        if keyboard.get("one_time_keyboard"):
            self._chat.reply_keyboard = None
        return await self.send(button["text"])

    # -- reading -------------------------------------------------------------------------------

    # The brief fixes the `timeout=` keyword, hence the ASYNC109 waivers.
    async def next_message(self, timeout: float = 5.0) -> SentMessage:  # noqa: ASYNC109
        """Return the next new bot message after the read cursor, waiting up to `timeout` s."""
        chat = self._chat
        arrived = await chat.signal.wait_until(lambda: len(chat.messages) > self._cursor, timeout)
        if not arrived:
            raise TimeoutError(self._report(f"no new bot message within {timeout}s"))
        message = chat.messages[self._cursor]
        self._cursor += 1
        return message

    async def wait_for(
        self,
        predicate: Callable[[SimulatedUser], T],
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> T:
        """Wait until predicate(user) is truthy, re-checked on every change in this chat."""
        result = await self._chat.signal.wait_until(lambda: predicate(self), timeout)
        if not result:
            raise TimeoutError(self._report(f"condition not met within {timeout}s"))
        return result

    def mark_read(self) -> None:
        """Move the read cursor past every bot message received so far."""
        self._cursor = len(self._chat.messages)

    @property
    def unread(self) -> list[SentMessage]:
        """Bot messages after the read cursor."""
        return self._chat.messages[self._cursor :]

    @property
    def messages(self) -> list[SentMessage]:
        """Everything the bot sent to this chat, edits applied, in order (a copy)."""
        return list(self._chat.messages)

    @property
    def last_message(self) -> SentMessage | None:
        """The newest bot message, or None."""
        return self._chat.messages[-1] if self._chat.messages else None

    @property
    def callback_answers(self) -> list[CallbackAnswer]:
        """The bot's answerCallbackQuery calls for this user's taps, in order."""
        return list(self._chat.callback_answers)

    @property
    def log(self) -> list[ChatEvent]:
        """Everything that happened in this chat, in order."""
        return list(self._chat.log)

    @property
    def reply_keyboard(self) -> list[list[str]] | None:
        """Labels of the reply keyboard currently shown to the user, or None."""
        keyboard = self._chat.reply_keyboard
        if keyboard is None:
            return None
        return [[b["text"] for b in row] for row in keyboard["keyboard"]]

    def transcript(self) -> str:
        """The chat log as readable lines, for demos and failure messages."""
        return "\n".join(event.describe() for event in self._chat.log)

    # -- helpers -------------------------------------------------------------------------------

    def _inline_target(self, message_id: int | None) -> SentMessage:
        chat = self._chat
        if message_id is None:
            message = chat.latest_inline_message()
            if message is None:
                raise LookupError(
                    f"no bot message with an inline keyboard in chat {chat.id}; "
                    f"bot messages: {[_preview(m.text) for m in chat.messages[-5:]]}"
                )
            return message
        target = chat.by_id.get(message_id)
        if not isinstance(target, SentMessage) or target.deleted:
            raise LookupError(f"message #{message_id} is not a live bot message in chat {chat.id}")
        if target.inline_keyboard is None:
            raise LookupError(f"message #{message_id} has no inline keyboard")
        return target

    def _report(self, problem: str) -> str:
        chat = self._chat
        lines = [
            f"{self.first_name} ({chat.id}): {problem}; "
            f"read {self._cursor} of {len(chat.messages)} bot messages."
        ]
        recent = chat.log[-_REPORT_EVENTS:]
        lines.append("Recent chat events:" if recent else "Nothing happened in this chat.")
        lines.extend("  " + event.describe().replace("\n", "\n  ") for event in recent)
        if chat.recent_errors:
            lines.append("Failed bot calls for this chat:")
            lines.extend(
                f"  {method} -> {status} {description}"
                for method, status, description in chat.recent_errors
            )
        return "\n".join(lines)


def _pick_button(buttons: list[dict[str, Any]], wanted: str, where: str) -> dict[str, Any]:
    labels = [b["text"] for b in buttons]
    folded = wanted.casefold()
    for matches in (
        [b for b in buttons if b["text"] == wanted],
        [b for b in buttons if b["text"].casefold() == folded],
    ):
        if matches:
            return matches[0]
    partial = [b for b in buttons if folded in b["text"].casefold()]
    if len(partial) == 1:
        return partial[0]
    if partial:
        raise LookupError(
            f"{wanted!r} matches several buttons on {where}: {[b['text'] for b in partial]}"
        )
    raise LookupError(f"no button {wanted!r} on {where}; buttons: {labels}")


def _preview(text: str, width: int = 40) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"

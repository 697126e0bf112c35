"""Telegram JSON builders: users, chats, messages, callback queries and webhook info."""

from __future__ import annotations

from typing import Any

from .state import Chat, SandboxState, SentMessage, UserMessage


def bot_user_json(state: SandboxState) -> dict[str, Any]:
    """Return the bot as the `from` of its own messages."""
    return {
        "id": state.bot_id,
        "is_bot": True,
        "first_name": state.bot_first_name,
        "username": state.bot_username,
    }


def get_me_json(state: SandboxState) -> dict[str, Any]:
    """Return what getMe answers: the bot user plus its capability flags."""
    return {
        **bot_user_json(state),
        "can_join_groups": True,
        "can_read_all_group_messages": False,
        "supports_inline_queries": False,
        "can_connect_to_business": False,
        "has_main_web_app": False,
    }


def user_json(chat: Chat) -> dict[str, Any]:
    """Return the human user behind a private chat."""
    user: dict[str, Any] = {"id": chat.id, "is_bot": False, "first_name": chat.first_name}
    if chat.last_name:
        user["last_name"] = chat.last_name
    if chat.username:
        user["username"] = chat.username
    if chat.language_code:
        user["language_code"] = chat.language_code
    return user


def chat_json(chat: Chat) -> dict[str, Any]:
    """Return the Chat object embedded in messages."""
    if chat.type != "private":
        return {"id": chat.id, "title": chat.title, "type": chat.type}
    data: dict[str, Any] = {"id": chat.id, "first_name": chat.first_name}
    if chat.last_name:
        data["last_name"] = chat.last_name
    if chat.username:
        data["username"] = chat.username
    data["type"] = "private"
    return data


def message_json(
    state: SandboxState, chat: Chat, message: SentMessage, *, nested: bool = False
) -> dict[str, Any]:
    """Return a bot message as Telegram returns it from send/edit methods and in updates."""
    data: dict[str, Any] = {
        "message_id": message.message_id,
        "from": bot_user_json(state),
        "chat": chat_json(chat),
        "date": message.date,
    }
    if message.edit_date is not None:
        data["edit_date"] = message.edit_date
    if not nested and message.reply_to_message_id is not None:
        replied = reply_target_json(state, chat, message.reply_to_message_id)
        if replied is not None:
            data["reply_to_message"] = replied
    if message.kind == "text":
        data["text"] = message.text
        if message.entities:
            data["entities"] = message.entities
    else:
        if message.kind == "photo" and message.file is not None:
            data["photo"] = message.file.photo_sizes
        elif message.file is not None:
            data["document"] = message.file.document_json()
        if message.text:
            data["caption"] = message.text
            if message.entities:
                data["caption_entities"] = message.entities
    # A Message only ever echoes an inline keyboard; reply keyboards belong to the chat input.
    keyboard = message.inline_keyboard
    if keyboard is not None:
        data["reply_markup"] = keyboard
    return data


def reply_target_json(state: SandboxState, chat: Chat, message_id: int) -> dict[str, Any] | None:
    """Return the message being replied to, one level deep as Telegram nests it."""
    target = chat.by_id.get(message_id)
    if target is None or target.deleted:
        return None
    if isinstance(target, UserMessage):
        return {k: v for k, v in target.payload.items() if k != "reply_to_message"}
    return message_json(state, chat, target, nested=True)


def user_message_json(
    state: SandboxState,
    chat: Chat,
    message_id: int,
    date: int,
    text: str,
    entities: list[dict[str, Any]],
    reply_to_message_id: int | None,
) -> dict[str, Any]:
    """Return a message a simulated user sent, as it appears in an update."""
    data: dict[str, Any] = {
        "message_id": message_id,
        "from": user_json(chat),
        "chat": chat_json(chat),
        "date": date,
    }
    if reply_to_message_id is not None:
        replied = reply_target_json(state, chat, reply_to_message_id)
        if replied is not None:
            data["reply_to_message"] = replied
    data["text"] = text
    if entities:
        data["entities"] = entities
    return data


def callback_query_json(
    state: SandboxState, chat: Chat, query_id: str, message: SentMessage, data: str | None
) -> dict[str, Any]:
    """Return the CallbackQuery for a tap on an inline button of `message`."""
    query: dict[str, Any] = {
        "id": query_id,
        "from": user_json(chat),
        "message": message_json(state, chat, message),
        # Stable per chat, like Telegram's opaque chat_instance.
        "chat_instance": str(abs(chat.id * 2_654_435_761 + state.bot_id) % 10**19),
    }
    if data is not None:
        query["data"] = data
    return query


def webhook_info_json(state: SandboxState) -> dict[str, Any]:
    """Return getWebhookInfo's answer."""
    hook = state.webhook
    info: dict[str, Any] = {
        "url": hook.url if hook else "",
        "has_custom_certificate": False,
        "pending_update_count": len(state.updates),
    }
    if hook is None:
        return info
    if hook.last_error_date is not None:
        info["last_error_date"] = hook.last_error_date
        info["last_error_message"] = hook.last_error_message
    info["max_connections"] = hook.max_connections
    if hook.ip_address:
        info["ip_address"] = hook.ip_address
    if state.updates.allowed_list:
        info["allowed_updates"] = state.updates.allowed_list
    return info

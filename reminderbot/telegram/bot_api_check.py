"""Asking the Bot API who we are before starting, so a bad token or URL is one clear line."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from telegram import Bot
from telegram.error import InvalidToken, NetworkError, TelegramError

from reminderbot.config import SettingsError

TOKEN_SETTING = "TELEGRAM_BOT_TOKEN"
API_SETTING = "REMINDERBOT_TELEGRAM_API_URL"


class BotApiError(SettingsError):
    """The Bot API rejected the token or cannot be reached; one line naming the setting."""


def shown_url(api_url: str) -> str:
    """The API root as it may be printed: without any user name or password in it."""
    parts = urlsplit(api_url)
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def _reason(exc: TelegramError, token: str) -> str:
    # PTB's own messages name the transport error ("httpx.ConnectError: …"); the token is
    # masked anyway in case a URL ever ends up in one.
    lines = (exc.message or type(exc).__name__).replace(token, "***").strip().splitlines()
    return lines[0] if lines else type(exc).__name__


async def check_bot_api(token: str, api_url: str) -> None:
    """Call getMe once; raise BotApiError naming the setting to fix when it fails."""
    bot = Bot(token, base_url=f"{api_url}/bot", base_file_url=f"{api_url}/file/bot")
    where = shown_url(api_url)
    try:
        await bot.initialize()  # getMe
    except InvalidToken:
        raise BotApiError(
            f"{TOKEN_SETTING}: the Bot API at {where} rejected the token. Copy it again from "
            f"@BotFather (/mybots, API Token); if {API_SETTING} is set, check that it points "
            "at a Bot API server."
        ) from None
    except NetworkError as exc:  # TimedOut included
        raise BotApiError(
            f"{API_SETTING}: cannot reach the Bot API at {where} ({_reason(exc, token)}). "
            "Check this machine's network, proxy and firewall, or the URL "
            "(unset, it is https://api.telegram.org)."
        ) from None
    except TelegramError as exc:
        raise BotApiError(
            f"{API_SETTING}: {where} did not answer getMe as the Bot API does "
            f"({type(exc).__name__}); check the URL."
        ) from None
    finally:
        await bot.shutdown()  # closes the HTTP clients even after a failed getMe

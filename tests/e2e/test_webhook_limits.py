"""The webhook decides from the headers: no secret 403 and too big 413, before reading a body.

Real `reminderbot run` processes in webhook mode; requests are written by hand on raw sockets
so a test can see the answer arrive while not one byte of the body has been sent.
"""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import httpx

from tests.cli.webhook_bot import SECRET, SECRET_HEADER, WebhookBot, webhook_bot

MB = 1024 * 1024
CHUNK = b"x" * MB


def _head(bot: WebhookBot, *, length: int | None, secret: str | None, **extra: str) -> bytes:
    headers = {"Host": f"127.0.0.1:{bot.port}", "Content-Type": "application/json", **extra}
    if length is None:
        headers["Transfer-Encoding"] = "chunked"
    else:
        headers["Content-Length"] = str(length)
    if secret is not None:
        headers[SECRET_HEADER] = secret
    lines = [f"POST {bot.path} HTTP/1.1", *(f"{k}: {v}" for k, v in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


async def _connect(bot: WebhookBot) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await asyncio.open_connection("127.0.0.1", bot.port)


async def _status(reader: asyncio.StreamReader) -> int:
    line = await asyncio.wait_for(reader.readline(), timeout=15)
    assert line.startswith(b"HTTP/1.1 "), line
    return int(line.split()[1])


async def _send_body(writer: asyncio.StreamWriter, size: int, *, chunked: bool = False) -> int:
    """Write up to `size` bytes of body; return how many went out before the server hung up."""
    sent = 0
    with contextlib.suppress(ConnectionError):
        while sent < size:
            piece = CHUNK[: min(MB, size - sent)]
            writer.write(b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece)
            await asyncio.wait_for(writer.drain(), timeout=15)
            sent += len(piece)
        if chunked:
            writer.write(b"0\r\n\r\n")
            await asyncio.wait_for(writer.drain(), timeout=15)
    return sent


async def _close(writer: asyncio.StreamWriter) -> None:
    writer.close()
    with contextlib.suppress(ConnectionError):
        await writer.wait_closed()


async def _one_exchange(bot: WebhookBot, user_id: int, text: str) -> None:
    """A message through the emulator's webhook delivery, answered by the bot."""
    user = bot.sandbox.user(user_id=user_id, first_name="Ada")
    await user.send(text)
    await user.next_message(timeout=60)


async def test_90_mb_without_the_secret_is_refused_unread_and_memory_stays_flat(
    tmp_path: Path,
) -> None:
    size = 90 * MB
    async with webhook_bot(tmp_path) as bot:
        # Warm up the paths under test: an update served, and one small request refused.
        await _one_exchange(bot, 560001, "/start")
        async with httpx.AsyncClient() as client:
            assert (await client.post(bot.url, content=b"{}")).status_code == 403
        before = bot.rss_kib()

        # The 403 arrives while no byte of the body has been sent: it cannot have been read.
        reader, writer = await _connect(bot)
        writer.write(_head(bot, length=size, secret=None))
        await writer.drain()
        assert await _status(reader) == 403
        sent = await _send_body(writer, size)
        await _close(writer)
        assert sent < size, "the server kept reading a body it had refused"

        # A wrong secret, and clients that send their whole body without waiting, all at once.
        # The server answers 403 and hangs up without draining the body, so such a client may
        # see the connection reset before it reads the answer.
        async def blind(secret: str | None) -> int:
            reader, writer = await _connect(bot)
            writer.write(_head(bot, length=size, secret=secret))
            sent = await _send_body(writer, size)
            with contextlib.suppress(ConnectionError):
                assert await _status(reader) == 403
            await _close(writer)
            return sent

        sent_blind = await asyncio.gather(blind(None), blind("guess"), blind(None), blind("x"))
        assert all(s < size for s in sent_blind), sent_blind

        # curl asks "Expect: 100-continue" for big bodies: it is refused, not invited.
        reader, writer = await _connect(bot)
        writer.write(_head(bot, length=size, secret=None, Expect="100-continue"))
        await writer.drain()
        assert await _status(reader) == 403
        await _close(writer)

        after = bot.rss_kib()
        await _one_exchange(bot, 560002, "/help")  # and it still serves
        code, stderr = await bot.stop()
    assert code == 0, stderr
    # Five 90 MB bodies went nowhere: resident memory did not grow (1 MiB of allocator noise).
    print(f"webhook RSS before {before} KiB, after five 90 MB bodies {after} KiB")
    assert after - before < 1024, f"RSS {before} KiB -> {after} KiB"


async def test_bodies_over_1_mb_with_the_secret_get_413(tmp_path: Path) -> None:
    async with webhook_bot(tmp_path) as bot:
        # Declared too big: 413 from the headers, before the body.
        reader, writer = await _connect(bot)
        writer.write(_head(bot, length=2 * MB, secret=SECRET))
        await writer.drain()
        assert await _status(reader) == 413
        await _close(writer)

        # Chunked, so no length is declared: read up to the limit, then 413.
        reader, writer = await _connect(bot)
        writer.write(_head(bot, length=None, secret=SECRET))
        sending = asyncio.create_task(_send_body(writer, 2 * MB, chunked=True))
        assert await _status(reader) == 413
        assert await sending <= 2 * MB
        await _close(writer)

        # With the secret and a small declared length, a 100-continue client is invited.
        reader, writer = await _connect(bot)
        writer.write(_head(bot, length=100, secret=SECRET, Expect="100-continue"))
        await writer.drain()
        assert await _status(reader) == 100
        await _close(writer)
        code, stderr = await bot.stop()
    assert code == 0, stderr


async def test_a_valid_update_with_the_secret_is_processed(tmp_path: Path) -> None:
    async with webhook_bot(tmp_path) as bot:
        ada = bot.sandbox.user(user_id=560010, first_name="Ada")
        update = {
            "update_id": 900001,
            "message": {
                "message_id": 1,
                "date": 1_700_000_000,
                "text": "/start",
                "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
                "chat": {"id": 560010, "type": "private", "first_name": "Ada"},
                "from": {"id": 560010, "is_bot": False, "first_name": "Ada"},
            },
        }
        async with httpx.AsyncClient() as client:
            answer = await client.post(bot.url, json=update, headers={SECRET_HEADER: SECRET})
        assert answer.status_code == 200
        welcome = await ada.next_message(timeout=30)
        assert welcome.text.startswith("Hello Ada!")
        code, stderr = await bot.stop()
    assert code == 0, stderr

"""Run the sandbox standalone: `python -m reminderbot.sandbox --port 8081`."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal

from .emulator import BotApiSandbox
from .faults import FloodLimits


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        prog="python -m reminderbot.sandbox",
        description="Serve a local Telegram Bot API emulator until Ctrl-C.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8081, help="port (0 = any free port)")
    parser.add_argument("--token", default="123456:TEST", help="the bot token to accept")
    parser.add_argument("--bot-username", default="reminder_test_bot")
    parser.add_argument("--bot-first-name", default="Reminder")
    parser.add_argument(
        "--flood-limits",
        action="store_true",
        help="enforce Telegram's default limits (30/s overall, 1/s per chat, 20/min per group)",
    )
    parser.add_argument(
        "--auto-create-chats",
        action="store_true",
        help="accept sends to chat ids the sandbox has never seen",
    )
    return parser.parse_args(argv)


async def serve(args: argparse.Namespace) -> None:
    """Start the sandbox, print where it listens, and run until SIGINT/SIGTERM."""
    sandbox = BotApiSandbox(
        token=args.token,
        bot_username=args.bot_username,
        bot_first_name=args.bot_first_name,
        auto_create_chats=args.auto_create_chats,
    )
    if args.flood_limits:
        sandbox.flood_limits = FloodLimits()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        # Not available on every platform (e.g. Windows); Ctrl-C then raises instead.
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signum, stop.set)
    async with sandbox:
        print(sandbox.api_root, flush=True)
        print(f"  bot base_url: {sandbox.bot_base_url}   token: {sandbox.token}", flush=True)
        await stop.wait()


def main(argv: list[str] | None = None) -> int:
    """Entry point for `python -m reminderbot.sandbox`."""
    args = parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""The Bot API emulator as a separate process, recording when each message was accepted.

Run by the benchmarks as `python -m bench.emulator --port 0 ...`; it prints its API root on
the first line of stdout and serves until SIGTERM. Besides the Bot API it answers one extra
method, `benchStats`, with its counters and the instants (unix seconds, this host's clock) at
which it accepted sendMessage calls: the emulator's own message dates are whole seconds, too
coarse for latencies and rates.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import time
from typing import Any

from reminderbot.sandbox import BotApiSandbox, FloodLimits
from reminderbot.sandbox.params import Params

STATS_METHOD = "benchStats"


def max_in_window(times: list[float], window: float = 1.0) -> int:
    """Return the largest number of instants in any sliding window of `window` seconds."""
    best = 0
    start = 0
    ordered = sorted(times)
    for end, instant in enumerate(ordered):
        while ordered[start] <= instant - window:
            start += 1
        best = max(best, end - start + 1)
    return best


class RecordingSandbox(BotApiSandbox):
    """The project's emulator, plus a record of accepted sendMessage calls and a stats call."""

    def __init__(self, keep_texts: bool = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.keep_texts = keep_texts
        self.accepted_at: list[float] = []
        self.accepted_chat: list[int] = []
        self.accepted_text: list[str] = []

    async def _dispatch(
        self, token: str, method: str, params: Params
    ) -> tuple[int, dict[str, Any]]:
        # Overriding the request entry point is the one hook that sees every call; the
        # emulator's public inspection API has no sub-second receive times.
        if method == STATS_METHOD and token == self.token:
            return 200, {"ok": True, "result": self.stats(params.get("chats") or [])}
        status, body = await super()._dispatch(token, method, params)
        if status == 200 and method.lower() == "sendmessage":
            self.accepted_at.append(time.time())
            if self.keep_texts:
                self.accepted_chat.append(int(body["result"]["chat"]["id"]))
                self.accepted_text.append(str(body["result"].get("text", "")))
        return status, body

    def stats(self, chats: list[int]) -> dict[str, Any]:
        """Counters, accepted sends, first/last instants, and (instant, text) for chosen chats."""
        watched = {int(c) for c in chats}
        per_chat: dict[str, list[tuple[float, str]]] = {str(c): [] for c in watched}
        records = zip(self.accepted_at, self.accepted_chat, self.accepted_text, strict=False)
        for instant, chat, text in records:
            if chat in watched:
                per_chat[str(chat)].append((instant, text))
        return {
            "counters": dict(self.counters),
            "accepted": len(self.accepted_at),
            "first": self.accepted_at[0] if self.accepted_at else None,
            "last": self.accepted_at[-1] if self.accepted_at else None,
            "max_per_second": max_in_window(self.accepted_at),
            "chat_messages": per_chat,
        }


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(prog="python -m bench.emulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 = any free port")
    parser.add_argument("--token", required=True)
    parser.add_argument("--flood-limits", action="store_true", help="30/s overall, 1/s per chat")
    parser.add_argument(
        "--paid-limits", action="store_true", help="1,000/s overall (paid broadcasts), 1/s per chat"
    )
    parser.add_argument("--rtt-ms", type=float, default=0.0, help="added round trip per call")
    parser.add_argument(
        "--jitter-ms", type=float, default=0.0, help="added at random, up to this, per call"
    )
    parser.add_argument(
        "--keep-texts",
        type=int,
        default=1,
        help="0: keep no text or chat per accepted message (long runs: flat memory)",
    )
    return parser.parse_args(argv)


async def serve(args: argparse.Namespace) -> None:
    """Serve until SIGTERM or SIGINT, printing the API root first."""
    sandbox = RecordingSandbox(
        keep_texts=bool(args.keep_texts), token=args.token, auto_create_chats=True
    )
    if args.flood_limits:
        sandbox.flood_limits = FloodLimits(global_per_second=30, per_chat_per_second=1)
    if args.paid_limits:
        sandbox.flood_limits = FloodLimits(global_per_second=1000, per_chat_per_second=1)
    if args.rtt_ms or args.jitter_ms:
        sandbox.faults.set_latency(args.rtt_ms / 1000, args.jitter_ms / 1000)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await sandbox.start(args.host, args.port)
    try:
        print(sandbox.api_root, flush=True)
        await stop.wait()
    finally:
        await sandbox.stop()


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(parse_args(argv)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Helpers shared by the sandbox tests."""

from __future__ import annotations

import struct
import warnings
import zlib
from datetime import timedelta

import telegram

TOKEN = "123456:TEST"


def png_bytes(width: int = 4, height: int = 3) -> bytes:
    """Return a valid, tiny RGB PNG of the given size."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    rows = b"".join(b"\x00" + b"\x80\x40\x20" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def retry_seconds(error: telegram.error.RetryAfter) -> int:
    """RetryAfter.retry_after as whole seconds (PTB 22 warns and may return a timedelta)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = error.retry_after
    return int(value.total_seconds()) if isinstance(value, timedelta) else int(value)

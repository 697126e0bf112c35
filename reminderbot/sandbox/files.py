"""Uploaded files: stored bytes, Telegram-style file ids and photo size variants."""

from __future__ import annotations

import base64
import mimetypes
import struct
from dataclasses import dataclass, field
from typing import Any

from .errors import bad_request

# Telegram keeps a preview at each of these longest-side sizes that is smaller than the photo.
_PHOTO_STEPS = (90, 320, 800, 1280)
_MAX_PHOTO_SIDE = 2560


@dataclass
class StoredFile:
    """One uploaded file: bytes, name, type and the JSON objects that describe it."""

    file_id: str
    file_unique_id: str
    kind: str  # "photo" | "document"
    data: bytes
    file_name: str | None
    mime_type: str | None
    file_path: str
    photo_sizes: list[dict[str, Any]] = field(default_factory=list)

    @property
    def size(self) -> int:
        """Byte length of the stored content."""
        return len(self.data)

    def document_json(self) -> dict[str, Any]:
        """Return the Document object Telegram puts in a message."""
        doc: dict[str, Any] = {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": self.size,
        }
        if self.file_name:
            doc["file_name"] = self.file_name
        if self.mime_type:
            doc["mime_type"] = self.mime_type
        return doc

    def file_json(self, file_id: str) -> dict[str, Any]:
        """Return the File object getFile answers for one of this file's ids."""
        return {
            "file_id": file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": self.size,
            "file_path": self.file_path,
        }


class FileStore:
    """Every file the bot uploaded, addressable by any of its file ids or its file_path."""

    def __init__(self, token: str) -> None:
        self._by_id: dict[str, StoredFile] = {}
        self._by_path: dict[str, StoredFile] = {}
        self._counter = 0
        self._salt = token.split(":", 1)[0]

    def _ids(self, prefix: str) -> tuple[str, str]:
        self._counter += 1
        raw = f"{self._salt}:{self._counter}".encode()
        tail = base64.urlsafe_b64encode(raw).decode().rstrip("=")
        return f"{prefix}ACAgIAAxkBAAI{tail}", f"AQAD{tail}"

    def add_document(
        self, data: bytes, file_name: str | None, content_type: str | None
    ) -> StoredFile:
        """Store an uploaded document and return it."""
        file_id, unique_id = self._ids("BQ")
        mime = _mime_type(file_name, content_type)
        stored = StoredFile(
            file_id,
            unique_id,
            "document",
            data,
            file_name,
            mime,
            f"documents/file_{self._counter}{_extension(file_name)}",
        )
        self._register(stored, [file_id])
        return stored

    def add_photo(self, data: bytes, file_name: str | None) -> StoredFile:
        """Store an uploaded photo with its preview sizes; non-images are Telegram's 400."""
        dims = image_size(data)
        if dims is None:
            raise bad_request("IMAGE_PROCESS_FAILED")
        file_id, unique_id = self._ids("Ag")
        stored = StoredFile(
            file_id,
            unique_id,
            "photo",
            data,
            file_name,
            "image/jpeg",
            f"photos/file_{self._counter}.jpg",
        )
        width, height = dims
        longest = max(width, height)
        steps = [s for s in _PHOTO_STEPS if s < longest] + [min(longest, _MAX_PHOTO_SIDE)]
        for index, step in enumerate(steps):
            scale = step / longest
            # One letter per size class, like Telegram's s/m/x/y/w thumbnails.
            size_id = f"{file_id}{'smxyw'[index]}"
            stored.photo_sizes.append(
                {
                    "file_id": size_id,
                    "file_unique_id": f"{unique_id}{index}",
                    "file_size": max(1, round(len(data) * scale * scale)),
                    "width": max(1, round(width * scale)),
                    "height": max(1, round(height * scale)),
                }
            )
        self._register(stored, [file_id, *(s["file_id"] for s in stored.photo_sizes)])
        return stored

    def _register(self, stored: StoredFile, ids: list[str]) -> None:
        for file_id in ids:
            self._by_id[file_id] = stored
        self._by_path[stored.file_path] = stored

    def get(self, file_id: str) -> StoredFile | None:
        """Return the file behind a file_id (any photo size id works), or None."""
        return self._by_id.get(file_id)

    def by_path(self, file_path: str) -> StoredFile | None:
        """Return the file served at /file/bot<token>/<file_path>, or None."""
        return self._by_path.get(file_path)


def _mime_type(file_name: str | None, content_type: str | None) -> str | None:
    if content_type and content_type != "application/octet-stream":
        return content_type
    guessed = mimetypes.guess_type(file_name or "", strict=False)[0]
    return guessed or content_type


def _extension(file_name: str | None) -> str:
    if file_name and "." in file_name:
        return "." + file_name.rsplit(".", 1)[1][:10]
    return ""


def image_size(data: bytes) -> tuple[int, int] | None:
    """Return (width, height) of a PNG, JPEG, GIF or WebP image, or None if it is not one."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return (width, height) if width and height else None
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        width, height = struct.unpack("<HH", data[6:10])
        return (width, height) if width and height else None
    if data.startswith(b"\xff\xd8"):
        return _jpeg_size(data)
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return _webp_size(data)
    return None


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    i = 2
    while i + 9 < len(data):
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            i += 2
            continue
        (length,) = struct.unpack(">H", data[i + 2 : i + 4])
        # SOF0..SOF15 carry the frame size, except DHT (C4), JPG (C8) and DAC (CC).
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", data[i + 5 : i + 9])
            return (width, height) if width and height else None
        i += 2 + length
    return None


def _webp_size(data: bytes) -> tuple[int, int] | None:
    chunk = data[12:16]
    if chunk == b"VP8 " and len(data) >= 30:
        width, height = struct.unpack("<HH", data[26:30])
        return width & 0x3FFF, height & 0x3FFF
    if chunk == b"VP8L" and len(data) >= 25:
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8X" and len(data) >= 30:
        width = int.from_bytes(data[24:27], "little") + 1
        height = int.from_bytes(data[27:30], "little") + 1
        return width, height
    return None

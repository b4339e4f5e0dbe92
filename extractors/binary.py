"""Bytes that are no text at all: images, archives, documents, media, executables.

Pure: used by the fetcher (a PNG served as text/html is not an article) and by ``extract`` and
``import-seeds`` (a PDF given as a seed is not one either).
"""

from __future__ import annotations

# Leading bytes of formats that are never a web page (images, archives, documents, media).
_BINARY_MAGIC = {
    b"\x89PNG\r\n\x1a\n": "PNG image", b"\xff\xd8\xff": "JPEG image", b"GIF87a": "GIF image", b"GIF89a": "GIF image",
    b"RIFF": "RIFF media", b"%PDF-": "PDF document", b"PK\x03\x04": "ZIP archive", b"\x1f\x8b": "gzip data",
    b"BZh": "bzip2 data", b"\xfd7zXZ\x00": "xz data", b"7z\xbc\xaf\x27\x1c": "7z archive", b"\x00\x00\x01\x00": "icon",
    b"wOFF": "web font", b"wOF2": "web font", b"\x7fELF": "executable", b"OggS": "Ogg media", b"ID3": "MP3 audio",
}


_CONTROL_BYTES = bytes(b for b in range(32) if b not in (9, 10, 12, 13))


def binary_signature(body: bytes) -> str | None:
    """What binary format ``body`` is, by magic number or by control bytes; None for text."""
    for magic, name in _BINARY_MAGIC.items():
        if body.startswith(magic):
            return name
    if body[4:8] == b"ftyp":
        return "MP4 media"
    head = body[:4096]
    if not head or head.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 text has NULs by design
        return None
    controls = len(head) - len(head.translate(None, _CONTROL_BYTES))  # in C: every page of a poll passes here
    return "binary data" if controls > len(head) * 0.10 else None

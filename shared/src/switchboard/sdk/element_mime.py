"""An element's mime when nothing names it: fixed by its type, or sniffed from its bytes."""

from __future__ import annotations

__all__ = ("FIXED_MIMES", "looks_like", "sniff")

# Types whose mime Chainlit fixes whatever the content.
FIXED_MIMES = {
    "text": "text/plain",
    "tasklist": "application/json",
    "plotly": "application/json",
}


def sniff(path: str | None, content: bytes | str | None) -> str | None:
    """The mime of a few common formats by their magic numbers (the names Chainlit gives)."""
    if isinstance(content, bytes | bytearray):
        head = bytes(content[:32])
    elif path is not None:
        try:
            with open(path, "rb") as source:
                head = source.read(32)
        except OSError:
            return None
    else:
        return None
    return looks_like(head)


def looks_like(data: bytes) -> str | None:
    """Enough magic numbers to label common uploads when nothing else tells."""
    signatures = (
        (b"\x89PNG\r\n\x1a\n", "image/png"),
        (b"\xff\xd8\xff", "image/jpeg"),
        (b"GIF8", "image/gif"),
        (b"%PDF", "application/pdf"),
        (b"ID3", "audio/mpeg"),
        (b"OggS", "audio/ogg"),
        (b"fLaC", "audio/x-flac"),
        (b"PK\x03\x04", "application/zip"),
    )
    for magic, mime in signatures:
        if data.startswith(magic):
            return mime
    if data.startswith(b"RIFF") and len(data) > 11:
        riff = {b"WAVE": "audio/x-wav", b"WEBP": "image/webp", b"AVI ": "video/x-msvideo"}
        return riff.get(data[8:12])
    if data[4:8] == b"ftyp":
        return "video/mp4"
    return None

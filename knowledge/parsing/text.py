"""Plain text, and the bytes of every text format (Markdown and HTML too) read as text: UTF-8, or UTF-16 or
UTF-32 with a byte order mark, and nothing else."""

from __future__ import annotations

import codecs

from .common import ParseError


def decode_text(name: str, data: bytes) -> str:
    """The text of a text file; `ParseError` for binary data and for text that is not UTF-8 (or a UTF
    with a byte order mark)."""
    # UTF-32 BOMs start with the UTF-16 ones, so they are checked first.
    for bom, encoding in (
        (codecs.BOM_UTF32_LE, "utf-32"),
        (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if data.startswith(bom):
            try:
                text = data.decode(encoding)
            except UnicodeDecodeError as exc:
                raise ParseError(f"{name}: the text cannot be decoded (it claims to be {encoding})") from exc
            if "\x00" in text:
                raise ParseError(f"{name}: not a text file (it contains binary data)")
            return text
    if b"\x00" in data:
        raise ParseError(f"{name}: not a text file (it contains binary data)")
    # UTF-8 only: a guess at a legacy encoding would store mojibake as a new version. The offset counts
    # from the start of the file, its byte order mark included.
    start = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    try:
        return data[start:].decode("utf-8")
    except UnicodeDecodeError as exc:
        offset = start + exc.start
        raise ParseError(
            f"{name}: the text is not valid UTF-8 (byte 0x{data[offset]:02x} at offset {offset}); save the "
            "file as UTF-8 and upload it again"
        ) from exc

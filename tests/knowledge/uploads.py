"""What the parsing tests share."""

from __future__ import annotations

import pytest

from knowledge.parsing import MAX_BYTES_DEFAULT, ParseError, parse_document


def error_of(filename: str, data: bytes, *, max_bytes: int = MAX_BYTES_DEFAULT) -> str:
    """The message of the ParseError that parsing this upload must raise."""
    with pytest.raises(ParseError) as caught:
        parse_document(filename, data, max_bytes=max_bytes)
    return str(caught.value)

"""JSON request bodies, read safely: how deep a body nests is measured before any parser sees it.

Python's `json` parser recurses once per level, so a small body of a thousand `[` runs it out of stack (a
RecursionError, a 500). No request Openbook takes nests deeper than a handful of levels: a body deeper than
`JSON_MAX_DEPTH` is refused with 400 (`too_deep`) by every path that reads JSON: DRF's parser for every
view (`JSONParser` here, the default) and the inbound webhook, which reads its raw body for the signature
(`loads`).
"""

from __future__ import annotations

import io
import json
import re
from typing import Any

from django.conf import settings
from rest_framework import parsers
from rest_framework.exceptions import ParseError

from .errors import DomainError

_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_OPENING = frozenset(b"[{")


def nesting_exceeds(body: bytes, limit: int) -> bool:
    """Whether the JSON text `body` (UTF-8) nests arrays and objects deeper than `limit`, found without
    recursion. Brackets inside strings are text; a body that is not JSON is measured all the same, and the
    parser then says what is wrong with it."""
    if body.count(b"[") + body.count(b"{") <= limit:
        return False  # most bodies: too few brackets to nest that deep
    brackets = _STRING.sub(b"", body).translate(None, _NOT_BRACKETS)
    depth = 0
    for byte in brackets:
        if byte in _OPENING:
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
    return False


def too_deep_message() -> str:
    return f"The JSON body is nested deeper than {settings.JSON_MAX_DEPTH} levels."


def loads(body: bytes) -> Any:
    """`json.loads` for a raw request body, refusing one nested deeper than JSON_MAX_DEPTH (a DomainError,
    400 `too_deep`). Malformed JSON raises what `json.loads` raises."""
    if nesting_exceeds(body, settings.JSON_MAX_DEPTH):
        raise DomainError(too_deep_message(), code="too_deep")
    return json.loads(body)


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, refusing a body nested deeper than JSON_MAX_DEPTH before parsing it."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        raw = stream.read()
        try:
            text = (
                raw
                if encoding.lower().replace("_", "-") in ("utf-8", "utf8")
                else raw.decode(encoding).encode()
            )
        except (LookupError, UnicodeDecodeError):
            text = raw  # the parser below reports the encoding
        if nesting_exceeds(text, settings.JSON_MAX_DEPTH):
            raise ParseError(too_deep_message(), code="too_deep")
        return super().parse(io.BytesIO(raw), media_type, parser_context)

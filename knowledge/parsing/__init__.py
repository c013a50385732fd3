"""Turn an uploaded file (Markdown, HTML, PDF, Word .docx or plain text) into Markdown-like text.

Pure Python: no Django, no database. Every failure a user can cause surfaces as a `ParseError` whose
message starts with the file name and says what is wrong in plain words.

`parse_document` is the way in (`document.py`); each format has a module of its own (`markdown.py`,
`html.py`, `pdf.py`, `docx.py`, `text.py`) and `common.py` holds what they share.
"""

from .common import ParsedDocument, ParseError
from .document import FORMATS, MAX_BYTES_DEFAULT, detect_format, parse_document

__all__ = [
    "FORMATS",
    "MAX_BYTES_DEFAULT",
    "ParseError",
    "ParsedDocument",
    "detect_format",
    "parse_document",
]

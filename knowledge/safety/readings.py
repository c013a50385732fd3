"""The readings of a sentence the detector scores, so that an instruction does not get through by being
disguised: the text as a reader sees it (Unicode compatibility forms folded, invisible characters removed,
Cyrillic and Greek look-alike letters in Latin words folded), and, where they read better, its ROT13, its
letters spaced out joined again, its leetspeak read as letters, and each base64 run decoded."""

from __future__ import annotations

import base64
import binascii
import codecs
import re
import unicodedata

from .sentences import MAX_SENTENCE_CHARS

# Zero-width and bidirectional controls, soft hyphen, tag characters: invisible, and able to split a word so
# that no n-gram matches it.
_INVISIBLE = re.compile(
    "[\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff\U000e0000-\U000e007f]"
)
# Cyrillic and Greek letters that look like Latin ones. Folded only inside a sentence written mostly in Latin
# script, so Russian or Greek text is left as it is.
_LOOKALIKES = str.maketrans(
    "аеорсухіјѕԁԛԝһӏкмнтвАЕОРСУХІЈЅКМНТВαοριεκντυχΑΒΕΖΗΙΚΜΝΟΡΤΥΧ",
    "aeopcyxijsdqwhlkmhtbAEOPCYXIJSKMHTBaopiekvtuxABEZHIKMNOPTYX",
)
LETTER = re.compile(r"[^\W\d_]")


def normalise(text: str) -> str:
    """`text` as a reader sees it: compatibility forms folded (full-width letters are plain ones), invisible
    characters removed, look-alike Cyrillic and Greek letters folded when the text is mostly Latin."""
    text = _INVISIBLE.sub("", unicodedata.normalize("NFKC", text))
    letters = LETTER.findall(text)
    if letters:
        latin = sum(1 for ch in letters if ch.isascii())
        lookalike = sum(1 for ch in letters if "\u0370" <= ch <= "\u04ff")
        if lookalike and latin >= lookalike:
            text = text.translate(_LOOKALIKES)
    return text


_BASE64_RUN = re.compile(r"(?<![A-Za-z0-9+/=])[A-Za-z0-9+/]{16,}={0,2}(?![A-Za-z0-9+/=])")


def _decoded_runs(text: str) -> list[str]:
    """The readable text behind base64 runs in `text` (runs that decode to mostly printable UTF-8)."""
    found = []
    for match in _BASE64_RUN.finditer(text):
        run = match.group(0)
        try:
            raw = base64.b64decode(run + "=" * (-len(run) % 4), validate=True)
            decoded = raw.decode("utf-8")
        except (binascii.Error, ValueError):
            continue
        printable = sum(1 for ch in decoded if ch.isprintable() or ch.isspace())
        if decoded and printable / len(decoded) > 0.9 and len(LETTER.findall(decoded)) >= 8:
            found.append(decoded)
    return found


_FUNCTION_TEXT = "the and you your to of a is in that this it for with are be as on all not any or if must"
_FUNCTION_WORDS = frozenset(_FUNCTION_TEXT.split())


def _looks_rot13(text: str) -> bool:
    """Whether `text` reads better after ROT13 (more common English words), i.e. it hides something."""
    words = re.findall(r"[a-z]+", text.lower())
    if len(words) < 4:
        return False
    decoded = re.findall(r"[a-z]+", codecs.encode(text, "rot13").lower())
    plain_hits = sum(word in _FUNCTION_WORDS for word in words)
    return sum(word in _FUNCTION_WORDS for word in decoded) >= max(3, 2 * plain_hits + 1)


_SPACED = re.compile(r"(?<!\S)(?:[^\W\d_] ){3,}[^\W\d_](?!\S)")
_LEET = str.maketrans("013457@$", "oieastas")
_LEET_WORD = re.compile(r"\b(?=[a-z0-9@$]*[a-z])(?=[a-z0-9@$]*[013457@$])[a-z0-9@$]{3,}\b", re.IGNORECASE)


def readings(sentence: str) -> list[str]:
    """The readings of a sentence that are scored: as a reader sees it; its ROT13 when that reads as
    English; each base64 run decoded."""
    plain = normalise(sentence)[:MAX_SENTENCE_CHARS]
    found = [plain]
    folded = plain.translate(_LOOKALIKES)
    if folded != plain:  # a sentence written all in look-alike letters ("ΝΟΤΕ ΤΟ ΤΗΕ ΑΙ")
        found.append(folded)
    if _looks_rot13(plain):
        found.append(codecs.encode(plain, "rot13"))
    if _SPACED.search(plain):  # "i g n o r e  a l l  r u l e s"
        found.append(_SPACED.sub(lambda m: m.group(0).replace(" ", ""), plain))
    if _LEET_WORD.search(plain):  # "1gn0r3 4ll rul35"
        found.append(_LEET_WORD.sub(lambda m: m.group(0).translate(_LEET), plain))
    found.extend(normalise(decoded)[:MAX_SENTENCE_CHARS] for decoded in _decoded_runs(plain))
    return found

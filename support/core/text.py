"""Word-level text helpers shared by the parts that compare texts by their words (the extractive composer,
the citation checks): one stemmer and one list of function words, so both sides of a comparison agree."""

from __future__ import annotations

import functools
import re
from collections.abc import Set

WORD = re.compile(r"[^\W_]+", re.UNICODE)

# English function words. Negations ("no", "not", "cannot") are not among them: "is not refundable" must not
# pass for "is refundable". Callers add the words that mean nothing for their own purpose.
_FUNCTION_WORD_TEXT = """
a about above after again against all also am an and any are as at be because been before being below
between both but by can could did do does doing done down during each few for from further get gets got
had has have having he her here hers herself him himself his how i if in into is it its itself just let
me more most my myself now of off on once only or other our ours ourselves out over own same she should so
some such than that the their theirs them themselves then there these they this those through to too
under until up very was we were what when where which while who whom why will with would you your yours
yourself yourselves may might must shall us hi hello hey dear thanks thank please kindly regards cheers
"""
FUNCTION_WORDS = frozenset(_FUNCTION_WORD_TEXT.split())


@functools.lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """A crude English stem, good enough to match "refunds"/"refunded"/"refund", "charges"/"charging" and
    "cancelled"/"cancel". The same function runs on both texts compared, so only consistency matters."""
    w = word.lower()
    if len(w) <= 3 or w.isdigit():
        return w
    for suffix, replacement in (
        ("ies", "y"),
        ("ied", "y"),
        ("ing", ""),
        ("ed", ""),
        ("es", ""),
        ("ly", ""),
        ("s", ""),
    ):
        if suffix == "s" and w.endswith(("ss", "us", "is")):
            break
        if w.endswith(suffix) and len(w) - len(suffix) >= 3:
            w = w[: len(w) - len(suffix)] + replacement
            break
    if w.endswith("e") and len(w) > 4:
        w = w[:-1]
    # "cancelled" -> "cancell" -> "cancel"; "billing" -> "bill" stays.
    doubled = len(w) > 4 and w[-1] == w[-2] and w[-1] not in "aeiouls"
    doubled_l = len(w) > 5 and w.endswith("ll") and w[-3] in "aeiou"
    if doubled or doubled_l:
        w = w[:-1]
    return w


def stems(text: str, *, ignore: frozenset[str] = FUNCTION_WORDS, min_length: int = 1) -> set[str]:
    """The stems of the words of `text`, leaving out the words in `ignore` and words shorter than
    `min_length`."""
    return {
        stem(word) for word in WORD.findall(text.lower()) if len(word) >= min_length and word not in ignore
    }


# Words of asking that mean opposite things, as stems: a question about one is not answered by text about the
# other, however close the two are in meaning ("upgrading" and "downgrading" embed almost alike).
CONTRASTS = (
    ("upgrad", "downgrad"),
    ("add", "remov"),
    ("enabl", "disabl"),
    ("increas", "decreas"),
    ("annual", "month"),
    ("year", "month"),
    ("import", "export"),
    ("lock", "unlock"),
    ("activat", "deactivat"),
    ("subscrib", "unsubscrib"),
    ("buy", "sell"),
)


def contradicts(question: Set[str], text: Set[str]) -> bool:
    """True when `text` (stems) is about the opposite of what `question` (stems) asks: it holds the
    counterpart of a question word and not the word itself."""
    for a, b in CONTRASTS:
        for asked, other in ((a, b), (b, a)):
            if asked in question and other not in question and other in text and asked not in text:
                return True
    return False

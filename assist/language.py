"""Which language a reply is written in: the one the customer writes in, the profile's as a hint.

A customer whose profile says German may well write in English (a colleague set the account up, or the
profile was never changed). Replying in the language of their messages is what an agent does, so the
messages decide, detected with `lingua` (a maintained n-gram detector that is accurate on short texts); the
profile language decides when the messages are too short to tell ("ok, thanks") or when it is nearly as
likely as the best guess.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence

from lingua import IsoCode639_1, Language, LanguageDetector, LanguageDetectorBuilder

# The languages a support team writes in, in Europe and beyond. Fewer candidates make detection faster
# and more accurate on short texts than all 75 of lingua's.
LANGUAGES = (
    Language.ENGLISH,
    Language.GERMAN,
    Language.FRENCH,
    Language.DUTCH,
    Language.SPANISH,
    Language.ITALIAN,
    Language.PORTUGUESE,
    Language.DANISH,
    Language.SWEDISH,
    Language.POLISH,
    Language.CHINESE,
    Language.JAPANESE,
)
MIN_WORDS = 3
"""Fewer words than this ("ok", "thanks!") say nothing reliable about a language."""
MIN_CONFIDENCE = 0.5
"""Below this, the best guess is a guess: the profile language decides."""
HINT_MARGIN = 0.15
"""The profile language wins when its confidence is within this of the best guess's."""
MAX_CHARS = 1500
_WORD = re.compile(r"\w+", re.UNICODE)
# Chinese and Japanese are written without spaces: one character counts as a word.
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff]")


@functools.cache
def _detector() -> LanguageDetector:
    # Low accuracy mode uses the small trigram models only: about 40 MB instead of several hundred, which
    # matters in every inference process, and it is as good on the sentences customers write.
    return LanguageDetectorBuilder.from_languages(*LANGUAGES).with_low_accuracy_mode().build()


def _code(language: Language) -> str:
    return language.iso_code_639_1.name.lower()


def _language(code: str) -> Language | None:
    try:
        return Language.from_iso_code_639_1(getattr(IsoCode639_1, code.upper()))
    except AttributeError:
        return None


def detect(text: str) -> tuple[str, float]:
    """The language of `text` as an ISO 639-1 code and the detector's confidence; ("", 0.0) when the text
    is too short to tell."""
    text = text[:MAX_CHARS]
    if len(_WORD.findall(text)) + len(_CJK.findall(text)) < MIN_WORDS:
        return "", 0.0
    values = _detector().compute_language_confidence_values(text)
    if not values:
        return "", 0.0
    return _code(values[0].language), float(values[0].value)


def reply_language(messages: Sequence[str], *, profile: str) -> str:
    """The language to reply in, given the customer's messages (oldest first) and their profile language
    (a tag such as "de" or "de-CH", or "")."""
    hint = profile.split("-", 1)[0].lower()
    # The newest messages say most about how the customer writes now; older ones add words to a short one.
    text = "\n".join(reversed(messages))[:MAX_CHARS]
    detected, confidence = detect(text)
    if not detected or confidence < MIN_CONFIDENCE:
        return hint or detected
    if hint and hint != detected:
        hinted = _language(hint)
        if hinted is not None and hinted in LANGUAGES:
            hint_confidence = _detector().compute_language_confidence(text, hinted)
            if confidence - hint_confidence <= HINT_MARGIN:
                return hint
    return detected


def warm_up() -> None:
    """Load the detector's models now (a worker calls this at start), not on the first draft."""
    detect("This sentence loads the language models.")

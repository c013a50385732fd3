"""Which language a text is written in, and how keyword search analyses text in that language.

A document's language decides the Postgres text-search configuration its chunks are indexed with (German
stemming for German, and so on); a query is analysed the same way, in the language it is written in. The
detector is `lingua` (an n-gram detector that is good on short texts), restricted to the languages a support
library is likely to hold so that it answers in well under a millisecond.

Chinese and Japanese are written without spaces, and Postgres has no parser for them: runs of those
characters are also cut into overlapping pairs of characters (`cjk_bigrams`), which the `simple`
configuration indexes beside the document's own analysis. A two-character word of the query then matches
the same pair in a passage, the way search engines index these languages without a dictionary.
"""

from __future__ import annotations

import functools
import re

from lingua import Language, LanguageDetector, LanguageDetectorBuilder

DEFAULT_LANGUAGE = "en"
"""The company's language: what a text too short to tell is taken to be written in."""
DEFAULT_CONFIG = "english"
SIMPLE_CONFIG = "simple"

# Language (ISO 639-1) -> the Postgres text-search configuration that stems it (those PostgreSQL 16 ships;
# `SELECT cfgname FROM pg_ts_config`). Any other language is indexed by `simple`: lower-cased words, no
# stemming, no stop words, which still matches a word written the same way.
TEXT_CONFIGS = {
    "ar": "arabic",
    "ca": "catalan",
    "da": "danish",
    "de": "german",
    "el": "greek",
    "en": "english",
    "es": "spanish",
    "eu": "basque",
    "fi": "finnish",
    "fr": "french",
    "ga": "irish",
    "hi": "hindi",
    "hu": "hungarian",
    "hy": "armenian",
    "id": "indonesian",
    "it": "italian",
    "lt": "lithuanian",
    "nb": "norwegian",
    "ne": "nepali",
    "nl": "dutch",
    "nn": "norwegian",
    "no": "norwegian",
    "pt": "portuguese",
    "ro": "romanian",
    "ru": "russian",
    "sr": "serbian",
    "sv": "swedish",
    "ta": "tamil",
    "tr": "turkish",
    "yi": "yiddish",
}

# The languages the detector chooses among: those with a configuration above that a company is likely to
# write in, and the CJK ones. Fewer candidates make detection faster and surer on short texts.
DETECTED = (
    Language.ENGLISH,
    Language.GERMAN,
    Language.FRENCH,
    Language.DUTCH,
    Language.SPANISH,
    Language.ITALIAN,
    Language.PORTUGUESE,
    Language.DANISH,
    Language.SWEDISH,
    Language.BOKMAL,
    Language.FINNISH,
    Language.POLISH,
    Language.RUSSIAN,
    Language.HUNGARIAN,
    Language.ROMANIAN,
    Language.TURKISH,
    Language.GREEK,
    Language.CHINESE,
    Language.JAPANESE,
    Language.KOREAN,
)
MIN_WORDS = 4
"""A document with fewer words than this ("Opening hours", "FAQ") says nothing reliable about its language."""
MIN_CONFIDENCE = 0.9
"""Below this the best guess for a document is a guess, and the company's language is taken instead. A page
of German or French scores 1.0; a short English page full of names can score 0.7 for Swedish."""
SAMPLE_CHARS = 2000
"""Enough of a document to tell its language by; detection time grows with the length."""
QUERY_SAMPLE_CHARS = 600
"""The end of a query (a conversation's newest turn comes last) that its language is told by."""

_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
# Han (with extensions A and the compatibility block), hiragana, katakana (full and half width) and hangul:
# the scripts written without spaces between words (Korean has spaces, but its words carry particles).
_CJK_CLASS = "\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f\uac00-\ud7af"
_CJK_RUN = re.compile(f"[{_CJK_CLASS}]+")


@functools.cache
def _detector() -> LanguageDetector:
    # Low accuracy mode uses the small trigram models only (tens of MB, not hundreds, in every process) and
    # answers a query in about a tenth of a millisecond. All of them are loaded at once (about 0.4 s), so no
    # search waits for the model of a language it is the first to meet.
    return (
        LanguageDetectorBuilder.from_languages(*DETECTED)
        .with_low_accuracy_mode()
        .with_preloaded_language_models()
        .build()
    )


def _words(text: str) -> int:
    """Words in `text`, a CJK character counting as one (those scripts put no spaces between words)."""
    cjk = sum(len(run) for run in _CJK_RUN.findall(text))
    return len(_WORD.findall(_CJK_RUN.sub(" ", text))) + cjk


def language_guess(text: str) -> tuple[str, float]:
    """The most likely language of `text` (ISO 639-1) and the detector's confidence in it, between 0 and 1;
    ("", 0.0) when the text has no letters."""
    values = _detector().compute_language_confidence_values(text[:SAMPLE_CHARS])
    if not values:
        return "", 0.0
    best = values[0]
    return best.language.iso_code_639_1.name.lower(), float(best.value)


def language_detect(text: str) -> str:
    """The language a document is written in (ISO 639-1), or the company's when the text is too short to
    tell or the detector is unsure."""
    text = text[:SAMPLE_CHARS]
    if _words(text) < MIN_WORDS:
        return DEFAULT_LANGUAGE
    code, confidence = language_guess(text)
    return code if code and confidence >= MIN_CONFIDENCE else DEFAULT_LANGUAGE


def language_code(tag: str) -> str:
    """The primary language of a tag: "pt-BR" -> "pt", "de_CH" -> "de", "EN" -> "en"."""
    return re.split(r"[-_]", tag.strip(), maxsplit=1)[0].lower()


def text_config(tag: str | None) -> str:
    """The text-search configuration that analyses text in the language `tag` ("simple" for a language
    Postgres has no stemmer for, Chinese and Japanese included)."""
    if not tag:
        return DEFAULT_CONFIG
    return TEXT_CONFIGS.get(language_code(tag), SIMPLE_CONFIG)


def cjk_bigrams(text: str) -> str:
    """Every run of CJK characters in `text` as its overlapping character pairs, space separated ("退货政策"
    -> "退货 货政 政策"); a single character stands alone. Empty when `text` has none."""
    terms: list[str] = []
    for run in _CJK_RUN.findall(text):
        if len(run) == 1:
            terms.append(run)
        else:
            terms.extend(run[index : index + 2] for index in range(len(run) - 1))
    return " ".join(terms)


def cjk_bigram_lines(title: str, heading: str, text: str) -> str:
    """A chunk's CJK pairs as it stores them (`Chunk.cjk_bigrams`): those of its title, its heading and its
    text on three lines, so that the index weighs them as it weighs the words of each; empty when none of
    the three holds CJK characters (nearly every chunk)."""
    lines = [cjk_bigrams(part) for part in (title, heading, text)]
    return "\n".join(lines) if any(lines) else ""


def cjk_removed(text: str) -> str:
    """`text` without its CJK runs: those are matched by their pairs (`cjk_bigrams`), not as whole runs."""
    return _CJK_RUN.sub(" ", text)


def query_configs(text: str, hint: str | None = None) -> tuple[str, ...]:
    """The configurations a query is analysed with, the likeliest first.

    A search limited to one language (`hint`, `RetrievalScope.language`) uses that language's. Otherwise the
    query's detected language decides; an English query gets the company's English analysis alone, exactly
    as before there were languages. A query detected as another language is analysed with
    that language's configuration and with English too: short queries are easy to mistake ("refund policy"
    reads as Polish to the detector), and `keyword_terms` keeps only the words of either analysis that the
    library holds, so a wrong guess costs nothing and a right one adds the stemming the library was indexed
    with."""
    if hint:
        return (text_config(hint),)
    code, _ = language_guess(text[-QUERY_SAMPLE_CHARS:])
    config = text_config(code) if code else DEFAULT_CONFIG
    if config == DEFAULT_CONFIG:
        return (DEFAULT_CONFIG,)
    return (config, DEFAULT_CONFIG)


def warm_up() -> None:
    """Load the detector's models now, not on the first search."""
    language_guess("This sentence loads the language models.")

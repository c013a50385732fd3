"""Scores for one generated support reply, set against the reply a human agent actually sent.

The evaluation matrix (base model or adapter, with or without retrieval) needs cheap numbers it can compute
for every example without a model, so everything here is plain Python:
- `rouge_l`: word overlap in order (longest common subsequence), the usual summary-style measure;
- `chrf`: character n-gram F-score, forgiving of inflection and small spelling changes, so it suits replies
  in German or French as well as English;
- `citation_validity` and `grounded_sentence_rate`: whether `[n]` markers point at passages the model was
  actually given, and whether the cited sentences say what those passages say (a word-overlap proxy, not a
  judgement of truth);
- `style_report`: the house style a reviewer checks first: a greeting, a sign-off and a sensible length.

Semantic similarity and perplexity need models and are computed elsewhere. Scores are in 0..1; a check that
has nothing to look at (no citation markers, no cited sentence) gives None rather than a made-up number, and
`mean` leaves those out when averaging over a set.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

GREETINGS = (
    "hi",
    "hello",
    "hey",
    "dear",
    "good morning",
    "good afternoon",
    "good evening",
    "hallo",
    "bonjour",
    "hola",
    "guten tag",
)
SIGN_OFFS = (
    "best",
    "kind regards",
    "regards",
    "best regards",
    "thanks",
    "thank you",
    "many thanks",
    "cheers",
    "warm regards",
    "sincerely",
    "viele grüße",
    "mit freundlichen grüßen",
    "cordialement",
    "saludos",
)

_TOKEN = re.compile(r"\w+", re.UNICODE)
_MARKER = re.compile(r"\[(\d+)\]")
_LEADING_MARKERS = re.compile(r"(?:\s*\[\d+\])+")
# A sentence ends after . ! or ? followed by whitespace; a line break always ends one.
_SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+|\n")
_LETTER = re.compile(r"[^\W\d_]")
# A word for counting length: letters and digits, with inner apostrophes or hyphens ("don't", "e-mail").
_WORD = re.compile(r"\w+(?:['’-]\w+)*")
_MIN_CONTENT_WORD = 4


def _phrase_pattern(phrases: Iterable[str]) -> re.Pattern[str]:
    """Matches a line that starts with one of `phrases` as whole words (not "Hint" for "hi")."""
    alternatives = "|".join(re.escape(phrase) for phrase in sorted(phrases, key=len, reverse=True))
    return re.compile(rf"(?:{alternatives})(?![^\W\d_])", re.IGNORECASE)


_GREETING = _phrase_pattern(GREETINGS)
_SIGN_OFF = _phrase_pattern(SIGN_OFFS)
_DASH = re.compile(r"[—–-]\s*")
# One word of a name: a capital letter, then letters, dots, apostrophes or hyphens ("O'Brien", "J.").
_NAME_WORD = re.compile(r"[^\W\d_]+(?:[.'’-][^\W\d_]*)*")
_TEAM_LINE = re.compile(r"\b(?:support|team)\b", re.IGNORECASE)


def tokens(text: str) -> list[str]:
    """Lower-cased word tokens, the unit of ROUGE-L."""
    return _TOKEN.findall(text.lower())


def _lcs_length(first: Sequence[str], second: Sequence[str]) -> int:
    """Length of the longest common subsequence, keeping only two rows of the table."""
    if len(second) > len(first):
        first, second = second, first
    previous = [0] * (len(second) + 1)
    for item in first:
        current = [0] * (len(second) + 1)
        for j, other in enumerate(second, start=1):
            if item == other:
                current[j] = previous[j - 1] + 1
            else:
                current[j] = max(previous[j], current[j - 1])
        previous = current
    return previous[-1]


def _f_score(precision: float, recall: float, beta: float) -> float:
    """The weighted harmonic mean of precision and recall; beta > 1 favours recall."""
    if precision <= 0.0 or recall <= 0.0:
        return 0.0
    weight = beta * beta
    return (1 + weight) * precision * recall / (weight * precision + recall)


def rouge_l(candidate: str, reference: str) -> float:
    """ROUGE-L F1: how much of the reference's word order the candidate keeps.

    Precision and recall are the longest common subsequence of words over the candidate's and the
    reference's length. Text without any word scores 0.0, whatever the other side is.
    """
    candidate_tokens = tokens(candidate)
    reference_tokens = tokens(reference)
    if not candidate_tokens or not reference_tokens:
        return 0.0
    common = _lcs_length(candidate_tokens, reference_tokens)
    return _f_score(common / len(candidate_tokens), common / len(reference_tokens), 1.0)


def _char_ngrams(text: str, order: int) -> Counter[str]:
    return Counter(text[i : i + order] for i in range(len(text) - order + 1))


def chrf(candidate: str, reference: str, *, n: int = 6, beta: float = 2.0) -> float:
    """chrF: character n-gram F-score, in 0..1.

    Whitespace is removed first and case is kept, as in the standard definition. For each order 1..n that
    both texts are long enough to have, precision and recall count the shared n-grams (each at most as often
    as it occurs on both sides); those are averaged over the orders and combined with weight `beta`, so the
    default 2 counts recall (covering what the agent said) more than precision. Text with nothing but
    whitespace scores 0.0.
    """
    if n < 1:
        raise ValueError("n must be at least 1")
    if beta <= 0:
        raise ValueError("beta must be positive")
    hypothesis = "".join(candidate.split())
    target = "".join(reference.split())
    precisions: list[float] = []
    recalls: list[float] = []
    for order in range(1, min(n, len(hypothesis), len(target)) + 1):
        hypothesis_grams = _char_ngrams(hypothesis, order)
        target_grams = _char_ngrams(target, order)
        shared = sum((hypothesis_grams & target_grams).values())
        precisions.append(shared / sum(hypothesis_grams.values()))
        recalls.append(shared / sum(target_grams.values()))
    if not precisions:
        return 0.0
    return _f_score(sum(precisions) / len(precisions), sum(recalls) / len(recalls), beta)


def citation_markers(text: str) -> list[int]:
    """The passage numbers cited in `text`, in order, repeats included."""
    return [int(number) for number in _MARKER.findall(text)]


def citation_validity(text: str, markers: Collection[int]) -> float | None:
    """Share of the citation markers in `text` that name a passage the model was given (`markers`).

    Every occurrence counts, so citing a made-up `[7]` twice weighs twice. None when nothing is cited.
    """
    cited = citation_markers(text)
    if not cited:
        return None
    return sum(1 for number in cited if number in markers) / len(cited)


def split_sentences(text: str) -> list[str]:
    """Sentences of a reply: broken after . ! or ? followed by whitespace, and at every line break.

    Pieces without a letter (blank lines, a lone "--") are dropped. Markers set off after the full stop
    ("... within 5 days. [1]") or on the next line belong to the sentence before them, as that is where
    writers put them.
    """
    sentences: list[str] = []
    for raw in _SENTENCE_BREAK.split(text):
        piece = raw.strip()
        leading = _LEADING_MARKERS.match(piece)
        if leading and sentences:
            sentences[-1] = f"{sentences[-1]} {leading.group().strip()}"
            piece = piece[leading.end() :].strip()
        if _LETTER.search(piece):
            sentences.append(piece)
    return sentences


def _content_words(sentence: str) -> set[str]:
    """Lower-cased words of at least four characters, citation markers left out."""
    return {word for word in tokens(_MARKER.sub(" ", sentence)) if len(word) >= _MIN_CONTENT_WORD}


def _is_grounded(sentence: str, passages: Mapping[int, str]) -> bool:
    words = _content_words(sentence)
    if not words:
        # Nothing to check it against; a marker on "Thanks! [1]" earns nothing.
        return False
    source: set[str] = set()
    for number in set(citation_markers(sentence)):
        source.update(tokens(passages.get(number, "")))
    return 2 * len(words & source) >= len(words)


def grounded_sentence_rate(text: str, passages: Mapping[int, str]) -> float | None:
    """Share of cited sentences that the passages they cite support.

    A sentence is supported when at least half of its distinct content words (see `_content_words`) occur
    in the passages it cites taken together; a marker for a passage that was not given adds no words, and a
    cited sentence without content words is not supported. None when no sentence cites anything.
    """
    cited = [sentence for sentence in split_sentences(text) if _MARKER.search(sentence)]
    if not cited:
        return None
    return sum(1 for sentence in cited if _is_grounded(sentence, passages)) / len(cited)


@dataclass(frozen=True)
class StyleReport:
    greeting: bool
    sign_off: bool
    length_ok: bool

    @property
    def score(self) -> float:
        """Fraction of the three checks that pass."""
        return (int(self.greeting) + int(self.sign_off) + int(self.length_ok)) / 3


def _is_name(line: str) -> bool:
    """One to three capitalised words and nothing else."""
    words = line.split()
    return 1 <= len(words) <= 3 and all(word[0].isupper() and _NAME_WORD.fullmatch(word) for word in words)


def _is_signature(line: str, next_line: str | None) -> bool:
    """A name after a dash ("— Alex", "- Alex Morgan"), or a bare name followed by a line that mentions
    Support or Team ("Alex Morgan" then "Harlow Support")."""
    dash = _DASH.match(line)
    if dash:
        return _is_name(line[dash.end() :])
    return _is_name(line) and next_line is not None and bool(_TEAM_LINE.search(next_line))


def _has_sign_off(lines: Sequence[str]) -> bool:
    """One of the last three lines starts with a closing phrase or is a signature."""
    tail = lines[-3:]
    for index, line in enumerate(tail):
        next_line = tail[index + 1] if index + 1 < len(tail) else None
        if _SIGN_OFF.match(line) or _is_signature(line, next_line):
            return True
    return False


def style_report(text: str, *, min_words: int = 25, max_words: int = 220) -> StyleReport:
    """House style checks: a greeting on the first line, a sign-off near the end, a length within bounds.

    Lines are compared after trimming and blank lines are skipped. The greeting and sign-off phrases are
    `GREETINGS` and `SIGN_OFFS`, matched at the start of the line, any case, as whole words.
    """
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    word_count = len(_WORD.findall(text))
    return StyleReport(
        greeting=bool(lines) and bool(_GREETING.match(lines[0])),
        sign_off=_has_sign_off(lines),
        length_ok=min_words <= word_count <= max_words,
    )


def mean(values: Iterable[float | None]) -> float | None:
    """Arithmetic mean of the values that are not None; None when there are none."""
    present = [value for value in values if value is not None]
    if not present:
        return None
    return sum(present) / len(present)


@dataclass(frozen=True)
class ReplyScores:
    rouge_l: float
    chrf: float
    citation_validity: float | None
    grounded_rate: float | None
    style: float


def reply_scores(
    candidate: str, reference: str, *, markers: Collection[int], passages: Mapping[int, str]
) -> ReplyScores:
    """Every text score for one generated reply. `markers` are the passage numbers the model was given and
    `passages` their texts; the reference is only used for the overlap scores."""
    return ReplyScores(
        rouge_l=rouge_l(candidate, reference),
        chrf=chrf(candidate, reference),
        citation_validity=citation_validity(candidate, markers),
        grounded_rate=grounded_sentence_rate(candidate, passages),
        style=style_report(candidate).score,
    )

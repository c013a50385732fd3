"""The zero-config backend: a reply in the house template, built from the retrieved passages' own sentences.

No weights, no randomness: the same facts always give the same reply, whatever the process or hash seed.
It reads `request.facts` only (the prompt messages are for backends that generate). Passage and customer
text is treated as data: sentences are quoted as facts with their citation marker, never acted on, and a
sentence that talks to an assistant ("ignore previous instructions", "you are now ...") is never quoted.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass

from support.core.text import FUNCTION_WORDS, WORD, contradicts, stems

from ..contracts import DraftFacts, GenerationRequest, Passage, PrecedentText

MAX_SENTENCES = 4
MIN_SENTENCES = 2
# A sentence joins the reply when it scores at least this share of the best sentence's score (and the
# reply has fewer than MIN_SENTENCES so far, it joins anyway as long as it is relevant at all).
KEEP_SHARE = 0.5
MAX_PASSAGES = 3
MAX_SITUATION_CHARS = 240
MAX_LIST_ITEMS = 8

RELEVANT_SIMILARITY = 0.3
"""Cosine similarity (all-MiniLM-L6-v2 scale) between the question and a passage sentence above which the
sentence is about the question even when it shares no word with it ("sign in" and "log in")."""
LEXICAL_WEIGHT = 0.35
"""How much the share of the question's (rarity-weighted) words a sentence contains adds to its meaning
score: the words still break ties between sentences that mean much the same."""
PRECEDENT_SIMILARITY = 0.72
"""A reply the team sent on a solved ticket this close to this one is where the draft starts from."""
PRECEDENT_WORD_SHARE = 0.4
FOLLOW_UP_SIMILARITY = 0.7
"""A reply to a follow-up is reused only for a follow-up at least this close in meaning to the one it
answered."""
"""...provided that at least this share of the question's words occur in that ticket's question or reply:
two tickets can be close in meaning and still ask different things."""

NOTHING_FOUND = (
    "Note for the agent: the knowledge base has nothing on this question. Please check the answer "
    "before sending."
)
INCIDENT_LEAD = "We are aware of an ongoing incident that may be related:"


@dataclass(frozen=True)
class _Frame:
    """The words around the answer, in one language."""

    hello: str
    hello_name: str
    closing: str
    regards: str
    team: str


FRAMES = {
    "en": _Frame(
        "Hello,",
        "Hi {name},",
        "If anything is unclear, just reply to this message.",
        "Kind regards,",
        "Customer Support",
    ),
    "de": _Frame(
        "Hallo,",
        "Hallo {name},",
        "Wenn etwas unklar ist, antworten Sie einfach auf diese Nachricht.",
        "Viele Grüße,",
        "Kundensupport",
    ),
    "fr": _Frame(
        "Bonjour,",
        "Bonjour {name},",
        "Si quelque chose n'est pas clair, répondez simplement à ce message.",
        "Cordialement,",
        "Le support client",
    ),
    "nl": _Frame(
        "Hallo,",
        "Hallo {name},",
        "Is er iets niet duidelijk? Beantwoord dan gewoon dit bericht.",
        "Met vriendelijke groet,",
        "Klantenservice",
    ),
    "es": _Frame(
        "Hola:",
        "Hola {name}:",
        "Si algo no queda claro, responda a este mensaje.",
        "Saludos cordiales,",
        "Atención al cliente",
    ),
}
CLOSING = FRAMES["en"].closing
SIGN_OFF = f"{FRAMES['en'].regards}\n{FRAMES['en'].team}"

# `[3]`, `[ 3 ]`, `[1, 2]`, `[1-3]`, `[^4]` and their full-width forms: anything a reader would take for a
# citation. Only markers this backend adds itself may appear in a reply.
_FAKE_MARKER = re.compile(r"[\[［【]\s*\^?\s*\d+(?:\s*[,;–-]\s*\d+)*\s*[\]］】]")

# Sentences addressed to a model rather than a reader. Quoting one would put an attacker's words, or a
# leftover prompt, in front of the customer.
_TO_THE_ASSISTANT = re.compile(
    r"\b(?:ignore|disregard|forget)\s+(?:all\s+|any\s+)?(?:of\s+)?(?:the\s+|your\s+|my\s+)?"
    r"(?:previous|prior|above|earlier|preceding|original|system)\b"
    r"|\b(?:ignore|disregard|forget)\s+(?:all|everything)\b"
    r"|\b(?:system|developer)\s+(?:prompt|message|instructions?)\b"
    r"|\byou\s+are\s+(?:now\s+)?(?:an?\s+)?(?:ai|assistant|language\s+model|chatbot|llm)\b"
    r"|\bas\s+an\s+(?:ai|assistant|language\s+model)\b"
    r"|\bnew\s+instructions?\b"
    r"|^\s*(?:assistant|system|ai)\s*:",
    re.IGNORECASE,
)
# Context lines that say there is no incident ("No active incidents.", "Incidents: none").
_NO_INCIDENT = re.compile(
    r"\bno\s+(?:\w+\s+){0,2}(?:incidents?|outages?)\b|(?:incidents?|outages?)\s*:\s*(?:none|n/a|-)?\s*\.?$",
    re.IGNORECASE,
)

_BULLET = re.compile(r"^\s*(?:[-*•+]|\d{1,3}[.)]|#{1,6})\s+")
_ABBREVIATIONS = frozenset(
    {"e.g", "i.e", "etc", "vs", "mr", "mrs", "ms", "dr", "no", "approx", "incl", "inc", "ltd", "co", "st"}
)

# For matching a question with passage sentences, negations and the words of asking carry nothing either.
_ASKING_TEXT = """
cannot no nor not ok okay yes tell know want need like wondering wonder question ask asking help possible able
"""
STOPWORDS = FUNCTION_WORDS | frozenset(_ASKING_TEXT.split())


@dataclass(frozen=True)
class _Sentence:
    passage_index: int
    position: int
    text: str
    terms: frozenset[str]
    list_id: int = -1
    """Which list of its passage the sentence is an item of (-1: not a list item)."""
    ordered: bool = False
    line: int = 0
    """Which line of its passage the sentence is on: the sentences of one list item share it."""


def terms(text: str) -> frozenset[str]:
    """The stems of the words of `text` that carry meaning (stopwords and one-letter words dropped)."""
    return frozenset(stems(text, ignore=STOPWORDS, min_length=2))


def strip_markers(text: str) -> str:
    """`text` without anything that looks like a citation marker, spaces tidied."""
    text = _FAKE_MARKER.sub("", text)
    text = re.sub(r"[ \t]+([.,;:!?])", r"\1", text)
    return re.sub(r"[ \t]{2,}", " ", text).strip()


_EMPHASIS = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1|(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])")
_LINK = re.compile(r"!?\[([^\]\n]+)\]\(([^)\s]+)\)")


def plain(text: str) -> str:
    """Markdown's inline marks taken out of a quoted sentence: emphasis and code marks dropped, a link
    written as its text and address. A reply quotes the words, not the document's formatting."""
    text = _LINK.sub(
        lambda m: m.group(1) if m.group(1) == m.group(2) else f"{m.group(1)} ({m.group(2)})", text
    )
    text = _EMPHASIS.sub(lambda m: m.group(2) or m.group(3) or "", text)
    return text.replace("`", "")


_BLOCK_START = re.compile(r"\s{0,3}(?:[-*•+>|#]|\d{1,3}[.)]\s|```|~~~)")
_LIST_ITEM = re.compile(r"^\s*(?:([-*•+])|(\d{1,3})[.)])\s+")


def _unwrapped_lines(text: str) -> list[str]:
    """The lines of `text` with Markdown's soft line breaks undone: a line that continues a paragraph (not a
    list item, heading, table row or quote, after a line that does not end a sentence) joins the one before,
    so "Delivery within\nthe EU takes two days." is one sentence, not two fragments."""
    lines: list[str] = []
    for line in text.splitlines():
        if (
            lines
            and line.strip()
            and lines[-1].strip()
            and not _BLOCK_START.match(line)
            and not lines[-1].rstrip().endswith((".", "!", "?", ":"))
            and not lines[-1].lstrip().startswith(("#", "|"))
        ):
            lines[-1] = f"{lines[-1].rstrip()} {line.strip()}"
        else:
            lines.append(line)
    return lines


def _line_sentences(line: str) -> list[str]:
    sentences = []
    start = 0
    for match in re.finditer(r"[.!?]+[\"')\]]?\s+(?=[\"'(\[]?[A-Z0-9])", line):
        before = line[start : match.start()].rsplit(None, 1)
        last_word = before[-1].lower().rstrip(".") if before else ""
        if last_word in _ABBREVIATIONS or (len(last_word) == 1 and last_word.isalpha()):
            continue
        sentences.append(line[start : match.end()].strip())
        start = match.end()
    if line[start:].strip():
        sentences.append(line[start:].strip())
    return sentences


def _split(text: str) -> list[tuple[str, int, bool, int, bool]]:
    """Sentences with the list each belongs to (-1 for none), whether that list is numbered, the line each
    is on, and whether it is a heading."""
    found: list[tuple[str, int, bool, int, bool]] = []
    list_id, in_list = -1, False
    for number, raw_line in enumerate(_unwrapped_lines(text)):
        item = _LIST_ITEM.match(raw_line)
        if item:
            if not in_list:
                list_id += 1
                in_list = True
        elif raw_line.strip():
            in_list = False
        line = _BULLET.sub("", raw_line).strip()
        if not line:
            continue
        heading = raw_line.lstrip().startswith("#")
        for sentence in _line_sentences(line):
            found.append((sentence, list_id if item else -1, bool(item and item.group(2)), number, heading))
    return found


def split_sentences(text: str) -> list[str]:
    """Sentences of a passage: lines first (list items and headings are sentences of their own), then at
    `.`, `!` or `?` followed by a capital, a digit or a quote, except after common abbreviations."""
    return [sentence for sentence, *_ in _split(text)]


def _quotable(sentence: str) -> bool:
    # A question (an FAQ's own "Can I get a refund?") states nothing, so it is not quoted as a fact. Nor is
    # a row of a Markdown table: out of its table it reads as a jumble of cells in a reply.
    words = WORD.findall(sentence)
    return (
        3 <= len(words) <= 80
        and not sentence.rstrip("\"') ").endswith("?")
        and sentence.count("|") < 2
        and not _TO_THE_ASSISTANT.search(sentence)
    )


def quotable_sentences(text: str) -> list[str]:
    """The sentences of a passage the composer may quote, as it quotes them."""
    found = []
    for raw, _, _, _, heading in _split(text):
        sentence = plain(strip_markers(raw))
        # A heading names a section; out of it, it reads as a stray line.
        if not heading and _quotable(sentence) and sentence not in found:
            found.append(sentence)
    return found


def _candidates(passages: tuple[Passage, ...]) -> list[_Sentence]:
    found = []
    for index, passage in enumerate(passages):
        for position, (raw, list_id, ordered, line, heading) in enumerate(_split(passage.text)):
            text = plain(strip_markers(raw))
            if not heading and _quotable(text):
                found.append(_Sentence(index, position, text, terms(text), list_id, ordered, line))
    return found


def _weights(question: frozenset[str], sentences: list[_Sentence]) -> dict[str, float]:
    # Rarer question words count for more: "annual" tells passages apart better than "plan" does when
    # every passage is about plans. sorted() keeps float sums identical across hash seeds.
    total = len(sentences) or 1
    return {
        term: 1.0 + math.log((1 + total) / (1 + sum(term in s.terms for s in sentences)))
        for term in sorted(question)
    }


def _question_terms(facts: DraftFacts) -> frozenset[str]:
    question = terms(strip_markers(facts.question))
    # "Thanks, any news?" says little on its own: the subject says what the ticket is about.
    if len(question) < 4 and facts.subject:
        question |= terms(strip_markers(facts.subject))
    return question


def _near_duplicate(a: _Sentence, b: _Sentence) -> bool:
    if a.text == b.text:
        return True
    if not a.terms or not b.terms:
        return False
    return len(a.terms & b.terms) / len(a.terms | b.terms) >= 0.8


def _scored(
    facts: DraftFacts, question: frozenset[str], sentences: list[_Sentence]
) -> list[tuple[float, _Sentence]]:
    weights = _weights(question, sentences)
    total_weight = sum(weights.values()) or 1.0
    # One shared word can be chance ("account" is everywhere). Without vectors, a sentence counts when it
    # shares a word with the question and either shares two in all (its passage's title and heading
    # included) or the word it shares is what its passage is about (in the title or heading).
    needed = min(2, len(question))
    heading_terms = [terms(f"{p.title} {p.heading}") & question for p in facts.passages]
    # What a passage's own heading is about (not its document's title, which may name both sides).
    under = [terms(p.heading.rsplit("›", 1)[-1]) for p in facts.passages]
    scored: list[tuple[float, _Sentence]] = []
    for sentence in sentences:
        own = sentence.terms & question
        heading = heading_terms[sentence.passage_index]
        if contradicts(question, sentence.terms | under[sentence.passage_index]):
            continue
        lexical = sum(weights[t] for t in sorted(own)) + 0.5 * sum(weights[t] for t in sorted(heading - own))
        meaning = facts.relevance.get(sentence.text)
        if meaning is not None:
            if meaning < RELEVANT_SIMILARITY and not own:
                continue
            if meaning < RELEVANT_SIMILARITY / 2:
                continue
            score = meaning + LEXICAL_WEIGHT * lexical / total_weight
        else:
            if not own or (len(own | heading) < needed and not own & heading):
                continue
            score = lexical
        # Long sentences match more words by chance; a gentle length penalty keeps the tight ones ahead.
        score /= 1.0 + 0.02 * max(0, len(sentence.terms) - 12)
        scored.append((score, sentence))
    return scored


def select(facts: DraftFacts) -> list[tuple[Passage, list[_Sentence]]]:
    """The sentences worth quoting, grouped by passage: the most relevant passage first, its sentences in
    their own order (a list is quoted whole when one of its items is chosen). Empty when no sentence is
    about the question."""
    question = _question_terms(facts)
    sentences = _candidates(facts.passages)
    if not question or not sentences:
        return []
    scored = _scored(facts, question, sentences)
    if not scored:
        return []
    scored.sort(key=lambda item: (-item[0], item[1].passage_index, item[1].position))
    best_passages: list[int] = []
    for _, sentence in scored:
        if sentence.passage_index not in best_passages:
            best_passages.append(sentence.passage_index)
    best_passages = best_passages[:MAX_PASSAGES]

    best = scored[0][0]
    chosen: list[_Sentence] = []
    for score, sentence in scored:
        if len(chosen) >= MAX_SENTENCES:
            break
        if sentence.passage_index not in best_passages:
            continue
        if len(chosen) >= MIN_SENTENCES and score < KEEP_SHARE * best:
            break
        if any(_near_duplicate(sentence, c) for c in chosen):
            continue
        chosen.append(sentence)

    # Steps are quoted as the list they are: a numbered item chosen brings its siblings and the line leading
    # in (one list per reply: a second would bury the answer).
    whole: list[_Sentence] = list(chosen)
    for sentence in chosen[:1] + [c for c in chosen[1:] if c.list_id >= 0 and c.ordered][:1]:
        if sentence.list_id < 0 or not sentence.ordered:
            continue
        siblings = [
            s
            for s in sentences
            if s.passage_index == sentence.passage_index and s.list_id == sentence.list_id
        ][:MAX_LIST_ITEMS]
        lead = [
            s
            for s in sentences
            if s.passage_index == sentence.passage_index
            and s.list_id < 0
            and siblings
            and s.position == siblings[0].position - 1
            and s.text.endswith(":")
        ]
        for extra in (*lead, *siblings):
            if all(extra is not s and not _near_duplicate(extra, s) for s in whole):
                whole.append(extra)

    groups: list[tuple[Passage, list[_Sentence]]] = []
    for index in best_passages:
        mine = sorted((s for s in whole if s.passage_index == index), key=lambda s: s.position)
        if mine:
            groups.append((facts.passages[index], mine))
    return groups


def _cite(sentence: str, marker: int) -> str:
    """`sentence` with `[marker]` before its closing punctuation: "within 30 days [2]."; a list item or
    heading without punctuation gets none added ("Your order number [2]")."""
    match = re.search(r"([.!?]+[\"')]*|:)$", sentence)
    if match is None:
        trail = re.search(r"[,;]\s*(?:or|and|oder|und|ou|et|o|y|of|en)?$", sentence)
        if trail:
            return f"{sentence[: trail.start()].rstrip()} [{marker}]{sentence[trail.start() :]}"
        return f"{sentence} [{marker}]"
    end = match.group(1)
    return f"{sentence[: match.start()].rstrip()} [{marker}]{end}"


def _render(passage: Passage, quoted: list[_Sentence]) -> str:
    """A passage's quoted sentences as prose, and its list items as a list (numbered when the document
    numbers them), each with the passage's marker."""
    blocks: list[str] = []
    prose: list[str] = []
    number = 0
    last_list = -2
    last_line = -1
    for sentence in quoted:
        if sentence.list_id < 0:
            prose.append(_cite(sentence.text, passage.marker))
            last_list = -2
            continue
        if prose:
            blocks.append(" ".join(prose))
            prose = []
        if sentence.list_id != last_list:
            number = 0
            blocks.append("")
            last_list = sentence.list_id
        if sentence.line == last_line:
            # The next sentence of the same item.
            blocks[-1] = f"{blocks[-1]} {_cite(sentence.text, passage.marker)}"
            continue
        last_line = sentence.line
        number += 1
        bullet = f"{number}." if sentence.ordered else "-"
        item = f"{bullet} {_cite(sentence.text, passage.marker)}"
        blocks[-1] = f"{blocks[-1]}\n{item}" if blocks[-1] else item
    if prose:
        blocks.append(" ".join(prose))
    return "\n\n".join(block for block in blocks if block)


def _first_name(name: str) -> str:
    cleaned = strip_markers(" ".join(name.split()))
    return cleaned.split(" ", 1)[0] if cleaned else ""


def _incident(situation: tuple[str, ...]) -> str | None:
    for line in situation:
        if re.search(r"\b(?:incidents?|outages?)\b", line, re.IGNORECASE) and not _NO_INCIDENT.search(line):
            text = strip_markers(" ".join(line.split()))
            # Our own context lines are "Active incidents: ..."; the label would read oddly after the lead.
            text = re.sub(
                r"^(?:active\s+|open\s+|ongoing\s+)?(?:incidents?|outages?)\s*:\s*", "", text, flags=re.I
            )
            text = text.rstrip(" .;:")
            if not text or _TO_THE_ASSISTANT.search(text):
                return f"{INCIDENT_LEAD.rstrip(':')}, and our team is working on it."
            if len(text) > MAX_SITUATION_CHARS:
                text = text[:MAX_SITUATION_CHARS].rsplit(" ", 1)[0] + "…"
            return f"{INCIDENT_LEAD} {text}."
    return None


# --- The house's own words: greetings and sign-offs as agents write them -------------------------------

_GREETING = re.compile(
    r"^\s*(?:hi|hello|hey|dear|good\s+(?:morning|afternoon|evening)|hallo|guten\s+(?:tag|morgen)|liebe[rs]?"
    r"|sehr\s+geehrte[rs]?|bonjour|salut|hola|buenos\s+d[ií]as|estimad[oa]s?|beste|goedemorgen|goedemiddag"
    r"|ciao|buongiorno|ol[áa]|bom\s+dia|hej)\b[^\n]{0,60}$",
    re.IGNORECASE,
)
_REGARDS = re.compile(
    r"^\s*(?:kind|best|warm|many|warmest)?\s*(?:regards|wishes|thanks)\b|^\s*(?:best|cheers|thanks|thank\s+you"
    r"|sincerely|yours)\s*[,!.]?\s*$|^\s*(?:viele|beste|freundliche|liebe)\s+gr[üu](?:ß|ss)e|^\s*mit\s+freundlichen"
    r"|^\s*cordialement|^\s*bien\s+(?:à\s+vous|cordialement)|^\s*(?:un\s+)?saludos?|^\s*atentamente"
    r"|^\s*met\s+vriendelijke|^\s*(?:hartelijke\s+)?groet(?:en)?\b|^\s*cordiali\s+saluti|^\s*atenciosamente",
    re.IGNORECASE,
)
_PLACEHOLDER = re.compile(r"\[[A-Z]+(?:_[A-Z]+)*(?:_\d+)?\]")
_NAME_PLACEHOLDER = re.compile(r"\[CUSTOMER_(?:FIRST_|LAST_)?NAME\]")


def _greets(reply: str) -> bool:
    first = next((line for line in reply.splitlines() if line.strip()), "")
    return bool(_GREETING.match(first))


def _signs_off(reply: str) -> bool:
    lines = [line for line in reply.splitlines() if line.strip()]
    return any(_REGARDS.match(line) for line in lines[-3:])


def _body(reply: str) -> str:
    """A sent reply without its greeting line and its sign-off (from the regards line on)."""
    lines = reply.strip().splitlines()
    if lines and _GREETING.match(lines[0]):
        lines = lines[1:]
    for index in range(len(lines) - 1, max(-1, len(lines) - 5), -1):
        if _REGARDS.match(lines[index]):
            lines = lines[:index]
            break
    return "\n".join(lines).strip()


def _sign_off(facts: DraftFacts, frame: _Frame, example: str | None) -> str:
    """The regards line and the agent's name: as the example reply (a precedent) signs off when there is
    one, its agent's name replaced by this agent's; else the house default."""
    agent = " ".join(facts.agent_name.split()) or frame.team
    if example:
        lines = [line.rstrip() for line in example.strip().splitlines()]
        for index in range(len(lines) - 1, max(-1, len(lines) - 5), -1):
            if _REGARDS.match(lines[index]):
                tail = [line for line in lines[index + 1 :] if line.strip()]
                # The name line is the sender's; a team line after it ("Quillfeather Support") is the house's.
                team = tail[1:] if len(tail) >= 2 else []
                team = [line for line in team if not _PLACEHOLDER.search(line)]
                regards = lines[index].strip()
                if _PLACEHOLDER.search(regards):
                    break
                return "\n".join([regards, agent, *team])
    return f"{frame.regards}\n{agent}"


def _greeting(facts: DraftFacts, frame: _Frame, example: str | None) -> str:
    name = _first_name(facts.customer_name)
    if example:
        first = next((line.strip() for line in example.splitlines() if line.strip()), "")
        match = re.match(r"^(\w+(?:\s+\w+)?)\b", first)
        if match and _GREETING.match(first):
            word = match.group(1).split()[0]
            end = "," if first.rstrip().endswith(",") else ("!" if first.rstrip().endswith("!") else ",")
            return f"{word} {name}{end}" if name else f"{word}{end}"
    return frame.hello_name.format(name=name) if name else frame.hello


# --- Composing from a precedent ---------------------------------------------------------------------------

_FIGURE = re.compile(
    r"(?:[€$£]\s?)?\d+(?:[.,]\d+)?(?:\s?[-–]\s?\d+(?:[.,]\d+)?)?\s?(?:%|€|eur|usd|gbp|chf|days?|business\s+days?|working\s+days?|hours?|"
    r"weeks?|months?|years?|minutes?|tage?n?|werktage?n?|stunden?|wochen?|monate?n?|jours?|heures?|semaines?|"
    r"mois|d[ií]as?|horas?|semanas?|meses?|dagen?|uren?|weken?|maanden?)?\b",
    re.IGNORECASE,
)


def _unit(figure: str) -> str:
    match = re.search(r"[a-z%€$£]+", figure.lower())
    if not match:
        return ""
    unit = match.group()
    for stem_, family in (
        ("day", "day"),
        ("tag", "day"),
        ("jour", "day"),
        ("dí", "day"),
        ("dia", "day"),
        ("dag", "day"),
        ("hour", "hour"),
        ("stund", "hour"),
        ("heur", "hour"),
        ("hora", "hour"),
        ("uur", "hour"),
        ("uren", "hour"),
        ("week", "week"),
        ("woche", "week"),
        ("semaine", "week"),
        ("semana", "week"),
        ("weken", "week"),
        ("month", "month"),
        ("monat", "month"),
        ("mois", "month"),
        ("mes", "month"),
        ("maand", "month"),
        ("year", "year"),
        ("minute", "minute"),
    ):
        if unit.startswith(stem_):
            return family
    return unit


def _figures(text: str) -> list[tuple[str, str]]:
    return [
        (m.group().strip(), _unit(m.group())) for m in _FIGURE.finditer(text) if re.search(r"\d", m.group())
    ]


def _support(sentence: str, facts: DraftFacts) -> tuple[Passage | None, str, float]:
    """The passage sentence that backs `sentence` best: its passage, the sentence, and the share of the
    sentence's words it holds."""
    own = terms(sentence)
    if not own:
        return None, "", 0.0
    best: tuple[Passage | None, str, float] = (None, "", 0.0)
    for passage in facts.passages:
        for candidate in quotable_sentences(passage.text):
            share = len(own & terms(candidate)) / len(own)
            if share > best[2]:
                best = (passage, candidate, share)
    return best


def _recheck(sentence: str, facts: DraftFacts) -> str:
    """A precedent's sentence against today's library: cited when a passage backs it; a figure the policy
    now states otherwise (for the same unit: days, a price, a percentage) replaced by the policy's and
    cited. A sentence no passage speaks to stays as the team wrote it (the precedent backs it)."""
    passage, backing, share = _support(sentence, facts)
    if passage is None or share < 0.3:
        return sentence
    # Cited when its passage as a whole holds at least half its words: the test grounding applies.
    own = terms(sentence)
    covered = len(own & terms(passage.text)) / len(own)
    said, stated = _figures(sentence), _figures(backing)
    if share >= 0.5:
        for figure, unit in said:
            # Only where it is unambiguous: one figure of that unit on each side.
            mine = [f for f, u in said if u == unit]
            policy = [f for f, u in stated if u == unit]
            if unit and len(mine) == 1 and len(policy) == 1 and figure != policy[0]:
                sentence = sentence.replace(figure, policy[0], 1)
    if covered >= 0.5 and all(f in passage.text for f, _ in _figures(sentence)):
        return _cite(sentence, passage.marker)
    return sentence


def _closest_precedent(facts: DraftFacts, question: frozenset[str]) -> PrecedentText | None:
    # An opening question is answered as the team answered the same opening question; a follow-up (this
    # conversation had an answer already) only as the team answered a follow-up this close to it.
    follow_up = bool(facts.agent_turns)
    question = question | terms(strip_markers(facts.subject))
    candidates = list(facts.precedents)
    if follow_up:
        candidates.sort(key=lambda p: -(p.question_similarity or 0.0))
    for precedent in candidates:
        if precedent.similarity < PRECEDENT_SIMILARITY:
            continue
        if follow_up != (precedent.turn > 0):
            continue
        if follow_up and (precedent.question_similarity or 0.0) < FOLLOW_UP_SIMILARITY:
            continue
        if not precedent.reply.strip():
            continue
        known = terms(f"{precedent.question}\n{precedent.reply}")
        if contradicts(question, known):
            continue
        if follow_up:
            # A follow-up is matched on its own words, against the message that reply answered ("still
            # nothing after the 7th" is not "it caught up, thanks").
            asked = terms(strip_markers(facts.question))
            theirs = terms(precedent.question)
            if asked and len(asked & theirs) / len(asked) < PRECEDENT_WORD_SHARE:
                continue
            if _negated(facts.question) != _negated(precedent.question):
                continue
        elif question and len(question & known) / len(question) < PRECEDENT_WORD_SHARE:
            continue
        return precedent
    return None


_NEGATION = re.compile(
    r"\b(?:not|no|nothing|never|none|still|yet|without|can'?t|cannot|won'?t|don'?t|doesn'?t|didn'?t|isn'?t|"
    r"aren'?t|wasn'?t|hasn'?t|haven'?t|nicht|kein\w*|nichts|noch|immer\s+noch|pas|rien|jamais|toujours|niet|geen|"
    r"nog|nooit|nada|nunca|todav[ií]a|sigue)\b",
    re.IGNORECASE,
)


def _negated(text: str) -> bool:
    """Whether a message says something is not (or still not) so: "still nothing" and "all synced now"
    ask for different replies however alike they embed."""
    return bool(_NEGATION.search(text.replace("’", "'")))


def _from_precedent(precedent: PrecedentText, facts: DraftFacts) -> str:
    """The precedent's answer for this customer: its own structure kept, this customer's name where it
    named its customer, sentences about that customer's own records (a reference, an e-mail) left out,
    every sentence re-checked against the current library."""
    name = _first_name(facts.customer_name)
    paragraphs = []
    for block in re.split(r"\n\s*\n", _body(precedent.reply)):
        lines = []
        for line in block.splitlines():
            item = _LIST_ITEM.match(line)
            prefix = item.group(0) if item else ""
            kept = []
            for sentence in _line_sentences(line[len(prefix) :].strip()):
                if name:
                    sentence = _NAME_PLACEHOLDER.sub(name, sentence)
                if _PLACEHOLDER.search(sentence) or _TO_THE_ASSISTANT.search(sentence):
                    continue
                kept.append(_recheck(strip_markers(sentence), facts))
            if kept:
                lines.append(prefix + " ".join(kept))
        if lines:
            paragraphs.append("\n".join(lines))
    return "\n\n".join(paragraphs)


def _frame(facts: DraftFacts, groups: list[tuple[Passage, list[_Sentence]]]) -> _Frame:
    # The words around the answer are in the answer's language: quoting English policy inside a German
    # greeting reads worse than an English reply the agent is told about (see the draft's flags).
    languages = {p.language for p, _ in groups if p.language}
    language = languages.pop() if len(languages) == 1 else facts.language
    return FRAMES.get((language or "en").split("-")[0].lower(), FRAMES["en"])


def compose(facts: DraftFacts) -> str:
    """The full reply for `facts`."""
    question = _question_terms(facts)
    # A chat whose agent replies never greet or sign off is answered the same way.
    latest_turn = facts.agent_turns[-1] if facts.agent_turns else None
    letter = latest_turn is None or _greets(latest_turn) or _signs_off(latest_turn)
    precedent = _closest_precedent(facts, question)
    groups = [] if precedent else select(facts)
    frame = _frame(facts, groups)
    example = precedent.reply if precedent else None
    paragraphs = [_greeting(facts, frame, example)] if letter else []
    incident = _incident(facts.situation)
    if incident:
        paragraphs.append(incident)
    answer = _from_precedent(precedent, facts) if precedent else ""
    if answer:
        paragraphs.append(answer)
    elif groups or (precedent and (groups := select(facts))):
        paragraphs.extend(_render(passage, quoted) for passage, quoted in groups)
    else:
        paragraphs.append(NOTHING_FOUND)
    if letter:
        if not precedent:
            paragraphs.append(frame.closing)
        paragraphs.append(_sign_off(facts, frame, example))
    return "\n\n".join(paragraphs)


def pieces(text: str) -> Iterator[str]:
    """`text` word by word, each word with the spaces or line breaks after it, so the pieces join back to
    exactly `text`."""
    yield from re.findall(r"\S+\s*|\s+", text)


def generate(request: GenerationRequest) -> Iterator[str]:
    """Stream the composed reply word by word."""
    yield from pieces(compose(request.facts))

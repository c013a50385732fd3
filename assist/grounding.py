"""Checks a draft against the passages it was given: which citations stand, and what the agent should verify.

A cited sentence counts as supported when at least `SUPPORT_THRESHOLD` of its distinct content words (lower
case, crudely stemmed, stopwords dropped; numbers count, a wrong number being a wrong fact) occur in the
passages it cites. Half is lenient on purpose: a reply paraphrases and adds connecting words ("you can",
"your order"), while a sentence that merely borrows a marker usually shares only a word or two with the
passage. Figures are stricter: a number in the sentence that its passages do not contain ("30 days" cited to
a passage that says 14) makes it unsupported whatever the overlap. The check flags for a human to look; it
decides nothing on its own.

Claims. A sentence that states a fact (a figure, a price, a time limit, a date, who is entitled to what, or
that something is not so) needs something behind it. With a marker, it is compared with the passage sentence
that best matches it: a negation in one and not the other ("cannot be refunded" against "can be refunded"),
or another figure for the same thing (30 days against 14 days), makes it "contradicted". Without a marker, it
is an "uncited_claim" unless a support text backs it: a reply agents sent on a similar solved ticket, or the
customer's record (profile, other tickets, incidents), by the same content-word test, figures strict, the
words that make it a claim present too. Greetings, thanks, sign-offs, "let me know ..." and questions state
nothing. Everything here is word lists and arithmetic, no model: it runs on every draft and again on the
agent's text at send, and gives the same answer every time.
"""

from __future__ import annotations

import functools
import math
import operator
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from support.core.text import FUNCTION_WORDS, stem, stems

from .contracts import Citation, CitedPassage, Grounding, GroundingFlag, TicketContext

SUPPORT_THRESHOLD = 0.5
MAX_QUOTE_CHARS = 300

# `[3]` or `[1, 2]`.
_MARKER = re.compile(r"\[(\d{1,4}(?:\s*,\s*\d{1,4})*)\]")
_URL = re.compile(r"\b(?:https?://|www\.)[^\s<>()\[\]\"']+", re.IGNORECASE)
_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
_TRAILING_PUNCTUATION = ".,;:!?'\""
# A sentence ends at ., ! or ? followed by whitespace or the end (so "99.9" and "v1.2" stay whole), taking
# any markers written after the full stop ("... 14 days. [1]") with it; a line break ends one too. (The
# lookahead first lets the engine pass over every other character at once.)
_SENTENCE_END = re.compile(
    r"(?=[.!?\n])(?:[.!?]+[\"')]*(?:[ \t]*\[\d{1,4}(?:\s*,\s*\d{1,4})*\])*(?=\s|$)|\n+)"
)
# "e.g.", "i.e.", "z.B." end no sentence.
_ABBREVIATION = re.compile(r"(?:^|[\s(])[^\W\d_]\.[^\W\d_]\.$")

# Beyond function words, the words every reply is made of say nothing about whether a passage backs it.
_REPLY_WORD_TEXT = "get got please thank thanks hello hi dear regards kind best sure happy glad help within"
_IGNORED = FUNCTION_WORDS | frozenset(_REPLY_WORD_TEXT.split())


def content_words(text: str) -> set[str]:
    """The stemmed, lower-cased words of `text` that carry meaning: stopwords and markers left out."""
    return stems(_MARKER.sub(" ", text), ignore=_IGNORED)


def sentences(text: str) -> list[str]:
    """`text` split into sentences, each keeping the markers written right after it."""
    found = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        end = match.end()
        if text[end - 1] == "." and _ABBREVIATION.search(text[max(0, end - 5) : end]):
            continue
        piece = text[start:end].strip()
        if piece:
            found.append(piece)
        start = match.end()
    tail = text[start:].strip()
    if tail:
        found.append(tail)
    return found


@functools.lru_cache(maxsize=1024)
def _passage_sentences(text: str) -> tuple[str, ...]:
    """`sentences(text)` of a passage, which every check of every draft that cites it reads again."""
    return tuple(sentences(text))


def citation_markers(text: str) -> list[int]:
    """The citation markers in `text`, in order (`[1]`, `[2, 3]`)."""
    return [int(number) for group in _MARKER.findall(text) for number in group.split(",")]


def _tidy(text: str) -> str:
    """Spacing after markers were taken out: no doubled spaces, no space before punctuation, no empty
    brackets left behind."""
    text = re.sub(r"[ \t]{2,}", " ", text)
    text = re.sub(r"[ \t]+([.,;:!?)])", r"\1", text)
    text = re.sub(r"[ \t]+\n", "\n", text)
    return text.strip()


def customer_copy(text: str) -> str:
    """The reply as the customer gets it: citation markers are for the agent (and for training), not for
    the customer, so they are taken out."""
    return _tidy(_MARKER.sub("", text)) if _MARKER.search(text) else text


_MD_FULL_LINK = re.compile(r"!?\[([^\]\n]*)\]\(\s*([^)\s]*)(?:\s+\"[^\"\n]*\")?\s*\)")
_MD_CODE = re.compile(r"`([^`\n]+)`")
_MD_STRONG = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1", re.S)
_MD_EM = re.compile(r"(?<![\w*\\])([*_])(?=[^\s*_])(.+?)(?<=[^\s\\])\1(?![\w*])")
_MD_HEADING = re.compile(r"^[ \t]{0,3}#{1,6}[ \t]+", re.M)
_MD_BULLET = re.compile(r"^([ \t]*)[*+][ \t]+", re.M)
_MD_QUOTE = re.compile(r"^[ \t]{0,3}>[ \t]?", re.M)
_MD_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!>])")


def markdown_plain(text: str) -> str:
    """A Markdown reply as plain text, the way the console puts a draft in the reply box (frontend
    `plainText`, which must agree): emphasis and code marks out, a link as its text with the address after
    it, headings without their #, "*" and "+" bullets as "-", quote marks out, escapes undone. Lines,
    paragraphs, numbered steps and citation markers stay as they are."""
    if not any(mark in text for mark in "*_`#[>+\\"):
        return text

    def link(match: re.Match[str]) -> str:
        label, url = match.group(1).strip(), match.group(2)
        return url if not label or label == url else f"{label} ({url})" if url else label

    text = _MD_FULL_LINK.sub(link, text)
    text = _MD_CODE.sub(r"\1", text)
    text = _MD_BULLET.sub(r"\1- ", text)
    text = _MD_STRONG.sub(r"\2", text)
    text = _MD_EM.sub(r"\2", text)
    text = _MD_HEADING.sub("", text)
    text = _MD_QUOTE.sub("", text)
    return _MD_ESCAPE.sub(r"\1", text)


def _remove_unknown_markers(text: str, known: set[int]) -> tuple[str, list[GroundingFlag]]:
    flags: list[GroundingFlag] = []

    def keep_known(match: re.Match[str]) -> str:
        numbers = [int(number) for number in match.group(1).split(",")]
        kept = [number for number in numbers if number in known]
        for number in numbers:
            if number not in known:
                flags.append(GroundingFlag(kind="removed_marker", text=f"[{number}]", marker=number))
        if kept == numbers:
            return match.group(0)
        return f"[{', '.join(str(number) for number in kept)}]" if kept else ""

    cleaned = _MARKER.sub(keep_known, text)
    return (_tidy(cleaned) if flags else cleaned), flags


def _best_quote(claim: frozenset[str], passage_text: str) -> tuple[int, str]:
    """The passage sentence sharing most content words with `claim` (the first, on a tie), and how many."""
    best_score, best = -1, ""
    for sentence in _passage_sentences(passage_text):
        score = len(claim & _content_stems(sentence))
        if score > best_score:
            best_score, best = score, sentence
    if len(best) > MAX_QUOTE_CHARS:
        best = best[: MAX_QUOTE_CHARS - 1].rstrip() + "…"
    return best_score, best


def _unknown(pattern: re.Pattern[str], text: str, sources: str) -> list[str]:
    found = []
    for match in pattern.finditer(text):
        value = match.group(0).rstrip(_TRAILING_PUNCTUATION)
        if value.lower().rstrip("/") not in sources and value not in found:
            found.append(value)
    return found


# --- Claims: which sentences state a fact, and what they say -------------------------------------------

# Words that negate what follows them ("cannot be refunded"), in English, German, French, Dutch and Spanish.
# Any word ending in "n't" and any French "n'..." counts too.
_NEGATION_TEXT = """
not no never cannot cant nor neither none nothing nobody nowhere without non unable
nicht kein keine keinen keinem keiner keines nie niemals ohne nichts weder
ne pas jamais sans aucun aucune rien ni
niet geen nooit zonder niets noch
nunca sin ningun ninguno ninguna ningún nada jamás tampoco
"""
_NEGATIONS = frozenset(_NEGATION_TEXT.split())
# These come after the word they negate as often as before it ("wir erstatten das nicht").
_NEGATIONS_AFTER_TEXT = "nicht niet pas jamais nie niemals nooit rien nichts niets"
_NEGATIONS_AFTER = frozenset(_NEGATIONS_AFTER_TEXT.split())
# Words that carry their negation inside: read as the negation and the word negated.
_NEGATED_WORDS = {
    "ineligible": "eligible",
    "unavailable": "available",
    "impossible": "possible",
    "nonrefundable": "refundable",
    "unpaid": "paid",
    "invalid": "valid",
    "unlimited": "limited",
    "kostenlos": "kosten",
    "gebührenfrei": "gebühr",
}
POLARITY_OVERLAP = 0.5
"""The share of the claim's words the passage sentence must hold for a negation in one to contradict the
other."""
_NEGATION_REACH = 3
"""Words after a negation (and before it, for those of _NEGATIONS_AFTER: two) that it negates."""
# "Free of charge" says there is no charge.
_NO_CHARGE = re.compile(
    r"\b(?:free\s+of\s+charge|at\s+no\s+(?:extra\s+|additional\s+)?(?:cost|charge))\b", re.I
)

# Function words of the other languages drafts are written in, which say nothing about what a sentence is
# about when two sentences are matched.
_MATCH_IGNORED_TEXT = """
der die das den dem des ein eine einen einem einer eines und oder aber ist sind war wird werden wurde kann
können muss müssen sie wir ich er es ihr ihre ihren ihrem sein seine mit von vom zu zum zur im in an am auf
aus bei für über nach vor bis als wie so auch noch schon nur dass wenn dann hier da bitte
le la les un une des du de et ou mais est sont être a ont vous nous je il elle ils elles votre vos notre nos
dans sur pour par avec au aux ce cette ces qui que si plus se sa son ses leur leurs peut peuvent
het een en of maar is zijn was wordt worden kan kunnen moet moeten u uw we wij ik hij zij je jouw ons onze
met van voor op aan bij naar over als dan dat die dit deze er ook nog al om te tot
el los las una unos unas y o pero es son fue ser está están puede pueden usted ustedes nosotros yo su sus
con por para en del al que si como también ya se le lo
"""
_MATCH_IGNORED = frozenset(_MATCH_IGNORED_TEXT.split())

# What makes a sentence a claim of entitlement: whole words, and stems that match any word they begin.
_ELIGIBILITY_TEXT = """
only must free always never nur muss müssen musst gratis immer seulement uniquement doit doivent gratuit
gratuite toujours droit alleen enkel moet moeten kosteloos altijd recht solo sólo solamente únicamente debe
deben gratuito gratuita siempre derecho
"""
_ELIGIBILITY_WORDS = frozenset(_ELIGIBILITY_TEXT.split())
_ELIGIBILITY_STEM_TEXT = """
eligib entitl qualif guarant refund credit compensat reimburs waive discount warrant exception berechtigt
anspruch kostenlos garantie erstatt rückerstatt gutschrift entschädig rabatt éligib garanti rembours crédit
indemn aanmerking terugbetal restitutie tegoed vergoed korting elegib garantía garantiz reembols compensa
descuento
"""
_ELIGIBILITY_STEMS = tuple(_ELIGIBILITY_STEM_TEXT.split())
# A credit card is a means of payment, not a credit.
_CREDIT_CARD = re.compile(
    r"\bcredit\s*cards?\b|\bkreditkarten?\b|\bcartes?\s+de\s+crédit\b|\btarjetas?\s+de\s+crédito\b"
    r"|\bcreditcards?\b",
    re.I,
)
_TIME_TEXT = """
tomorrow tonight overnight immediately instantly instant deadline morgen sofort umgehend frist demain
immédiatement délai mañana inmediatamente plazo termijn
"""
_TIME_WORDS = frozenset(_TIME_TEXT.split())

# Units. Durations in seconds; months and years in months (a month has no fixed number of days).
_DURATION_UNITS: dict[str, tuple[str, int]] = {}
for _unit_words, _unit in (
    ("second seconds sec secs sekunde sekunden seconde secondes seconden segundo segundos", ("duration", 1)),
    ("minute minutes min mins minuten minuto minutos minuut", ("duration", 60)),
    ("hour hours hr hrs h stunde stunden std heure heures uur uren hora horas", ("duration", 3600)),
    ("day days tag tage tagen jour jours dag dagen día días dia dias", ("duration", 86400)),
    ("week weeks woche wochen semaine semaines weken semana semanas", ("duration", 604800)),
    ("month months monat monate monaten mois maand maanden mes meses", ("months", 1)),
    ("year years jahr jahre jahren ans année années jaar jaren año años", ("months", 12)),
):
    for _unit_word in _unit_words.split():
        _DURATION_UNITS[_unit_word] = _unit
_BUSINESS_TEXT = "business working banking"
_BUSINESS_BEFORE = frozenset(_BUSINESS_TEXT.split())
_BUSINESS_AFTER_TEXT = "ouvrés ouvrables ouvré hábiles laborables"
_BUSINESS_AFTER = frozenset(_BUSINESS_AFTER_TEXT.split())
_BUSINESS_DAYS_TEXT = "werktag werktage werktagen arbeitstag arbeitstage arbeitstagen werkdag werkdagen"
_BUSINESS_DAYS = frozenset(_BUSINESS_DAYS_TEXT.split())
_CURRENCIES = {
    "€": "EUR", "eur": "EUR", "euro": "EUR", "euros": "EUR",
    "$": "USD", "usd": "USD", "dollar": "USD", "dollars": "USD",
    "£": "GBP", "gbp": "GBP", "pound": "GBP", "pounds": "GBP",
    "chf": "CHF", "franken": "CHF",
}  # fmt: skip
_PERCENT_TEXT = "% percent prozent procent pourcent porcentaje"
_PERCENT = frozenset(_PERCENT_TEXT.split())
_PERCENT_PAIRS = (("per", "cent"), ("pour", "cent"), ("por", "ciento"))
_MONTHS: dict[str, int] = {}
for _month, _names in enumerate(
    (
        "january jan januar janvier januari enero",
        "february feb februar février februari febrero",
        "march mar märz mars maart marzo",
        "april apr avril abril",
        "may mai mei mayo",
        "june jun juni juin junio",
        "july jul juli juillet julio",
        "august aug août augustus agosto",
        "september sep sept septembre septiembre",
        "october oct oktober octobre octubre",
        "november nov novembre noviembre",
        "december dec dezember décembre diciembre",
    ),
    start=1,
):
    for _name in _names.split():
        _MONTHS[_name] = _month
_WEEKDAY_TEXT = """
monday tuesday wednesday thursday friday saturday sunday montag dienstag mittwoch donnerstag freitag
samstag sonntag lundi mardi mercredi jeudi vendredi samedi dimanche maandag dinsdag woensdag donderdag
vrijdag zaterdag zondag lunes martes miércoles jueves viernes sábado domingo
"""
_WEEKDAYS = frozenset(_WEEKDAY_TEXT.split())
_RANGE_TEXT = "- – to bis à a tot al y and und et en"
_RANGE_WORDS = frozenset(_RANGE_TEXT.split())

# Sentences that state nothing, whatever words they hold (but a figure): closings, offers of more help,
# notes to the agent.
_NOT_A_CLAIM = re.compile(
    r"\b(?:let\s+(?:me|us)\s+know|feel\s+free|(?:do\s+not|don'?t)\s+hesitate|if\s+you\s+(?:have|need)\s+any"
    r"|if\s+anything|if\s+you\s+need|just\s+reply|reply\s+to\s+this|hope\s+this\s+helps|(?:happy|glad)\s+to\s+help"
    r"|(?:kind|best|warm|many)\s+regards|regards|best\s+wishes|sincerely|have\s+a\s+(?:nice|great|good|lovely)"
    r"|note\s+for\s+the\s+agent|zögern\s+sie\s+nicht|melden\s+sie\s+sich|lassen\s+sie\s+(?:mich|uns)\s+wissen"
    r"|(?:mit\s+)?freundliche[nm]?\s+grüße?n?|viele\s+grüße|beste\s+grüße|n'hésitez\s+pas|cordialement"
    r"|bien\s+à\s+vous|bonne\s+journée|faites[-\s]moi\s+savoir|no\s+dude|saludos|atentamente|avísame"
    r"|h[áa]g[ae]me\s+saber|aarzel\s+niet|met\s+vriendelijke\s+groet|groeten|laat\s+(?:het\s+)?(?:me|ons)\s+weten)\b",
    re.I,
)
# How a reply opens before it says anything: a greeting, thanks, an apology or sympathy. Up to the first
# comma it is set aside; a sentence that is only that states nothing.
_OPENING = re.compile(
    r"^(?:hi|hello|hey|dear|good\s+(?:morning|afternoon|evening)|hallo|liebe[rs]?|sehr\s+geehrte[rs]?"
    r"|guten\s+(?:tag|morgen|abend)|bonjour|bonsoir|salut|cher|chère|hola|buen[oa]s\s+\w+|estimad[oa]s?|beste"
    r"|geachte|hoi|thanks|thank\s+you|many\s+thanks|danke|vielen\s+dank|merci|gracias|bedankt|dank\s+(?:je|u)"
    r"|(?:i'?m|i\s+am|we'?re|we\s+are)\s+(?:so\s+|very\s+|really\s+|truly\s+)?sorry|sorry|apologies"
    r"|(?:i|we)\s+apologi[sz]e|(?:i|we)\s+(?:completely\s+|fully\s+)?understand|es\s+tut\s+(?:mir|uns)\s+leid"
    r"|entschuldig\w*|(?:je\s+suis\s+)?désolée?s?|lo\s+(?:siento|sentimos)|disculp\w+|het\s+spijt\s+(?:me|ons)"
    r"|(?:do\s+not|don'?t)\s+worry|no\s+worries|no\s+problem(?:\s+at\s+all)?|good\s+news)\b",
    re.I,
)
_LIST_MARK = re.compile(r"^\s*(?:[-*•+>]|\d{1,3}[.)]|#{1,6})\s+")
_EMPHASIS = re.compile(r"\*\*|__|(?<!\w)[*_](?=\S)|(?<=\S)[*_](?!\w)|`")
_MD_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
# A first cut into tokens, refined by `_token_parts`: runs of letters and digits joined by an apostrophe,
# a dash, a full stop or a comma; currency and percent signs; dashes; what ends a clause.
_TOKEN = re.compile(r"#?[^\W_]{1,40}(?:['.,–-][^\W_]{1,40}){0,8}|[€$£%,;:()—–-]", re.UNICODE)
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_NUMBER = re.compile(r"\d{1,15}(?:[.,]\d{1,15}){0,6}")
_NUMBER_AND_UNIT = re.compile(r"(\d{1,15}(?:[.,]\d{1,15})*)([^\W\d_]{1,3})")
_CLAUSE_BREAKS = frozenset(",;:()—")
_ANY_DIGIT = re.compile(r"\d")
# What a first-cut token may hold that `_token_parts` cuts or classifies: a digit, a mark joining two parts.
_JOINED = re.compile(r"\d|\w['.,–-]\w|#")
_CLAUSE_WORDS_TEXT = "but aber mais maar pero"
_CLAUSE_WORDS = frozenset(_CLAUSE_WORDS_TEXT.split())
MIN_CLAIM_WORDS = 3
"""A claim without a figure has at least this many words: "Refunds:" is a heading, not a claim."""
MAX_REASON_QUOTE = 200

CLAIM_KIND_WORDS = {
    "price": "a price",
    "duration": "a time limit",
    "date": "a date",
    "figure": "a figure",
    "eligibility": "what the customer is entitled to",
    "negation": "that something is not so",
}
"""What a claim states, as the reason of its flag says it."""


def _plain(text: str) -> str:
    """`text` as words: markers, Markdown emphasis, links and e-mail addresses out (the link checks see to
    those), curly apostrophes straight."""
    # Each pattern runs only where its mark is: this runs on every sentence of every passage.
    text = text.replace("’", "'")
    if "[" in text:
        text = _MARKER.sub(" ", _MD_LINK.sub(r"\1", text))
    if "://" in text or "www." in text:
        text = _URL.sub(" ", text)
    if "@" in text:
        text = _EMAIL.sub(" ", text)
    if "*" in text or "_" in text or "`" in text:
        text = _EMPHASIS.sub("", text)
    return _LIST_MARK.sub("", text) if text[:1] in "-*•+>#" or text[:1].isdigit() else text


def _key(word: str) -> str:
    """What two words must share to count as the same word here: the first five letters of the stem, so
    "refund", "refunded" and "refundable" agree."""
    return stem(word)[:5]


@functools.lru_cache(maxsize=8192)
def _number(raw: str) -> str:
    """A written number as one canonical string: "1,200" and "1.200" are 1200, "14,99" and "14.99" the same
    price, "05" is 5; an ISO date stays as written."""
    if len(raw) == 10 and raw[4] == "-":
        return raw
    separators = [index for index, char in enumerate(raw) if char in ".,"]
    if not separators:
        return str(int(raw))
    last = separators[-1]
    decimals = raw[last + 1 :]
    if len({raw[i] for i in separators}) == 1 and len(decimals) == 3:
        # "1,200", "1.200.000": thousands.
        return str(int(re.sub(r"[.,]", "", raw)))
    whole = re.sub(r"[.,]", "", raw[:last]) or "0"
    return f"{int(whole)}.{decimals}".rstrip("0").rstrip(".")


def _scaled(value: str, factor: int) -> str:
    number = float(value) * factor
    return str(int(number)) if number == int(number) else f"{number:g}"


@dataclass(frozen=True)
class Quantity:
    """A figure and what it counts: `kind` is "duration" (in seconds), "months", "business_days", "money:EUR",
    "percent", "date", "count:<word>" or "number"; `value` is canonical, so 2 weeks equals 14 days."""

    kind: str
    value: str
    text: str


_DIGITS = frozenset("0123456789")


def _is_number(token: str) -> bool:
    return token[0] in _DIGITS


def _is_word(token: str) -> bool:
    return token[0].isalpha() and not any(char.isdigit() for char in token)


def _quantities(tokens: Sequence[str]) -> tuple[Quantity, ...]:
    found: list[Quantity] = []
    done = -1
    for i in [index for index, token in enumerate(tokens) if token[0] in _DIGITS]:
        if i <= done:
            continue  # the second figure of a range
        token = tokens[i]
        if len(token) == 10 and token[4] == "-":
            found.append(Quantity("date", token, token))
            continue
        values = [_number(token)]
        j = i + 1
        # "5-10 business days", "5 to 10 days": both figures take the unit after the second.
        if j + 1 < len(tokens) and tokens[j] in _RANGE_WORDS and _is_number(tokens[j + 1]):
            values.append(_number(tokens[j + 1]))
            j += 2
        if j < len(tokens) and tokens[j] in ("-", "–"):
            j += 1  # "14-day window"
        unit = tokens[j] if j < len(tokens) else ""
        after = tokens[j + 1] if j + 1 < len(tokens) else ""
        before = tokens[i - 1] if i > 0 else ""
        shown = " ".join(tokens[i : j + 1])
        kind, factor = "number", 0
        if before in _CURRENCIES or unit in _CURRENCIES:
            kind = f"money:{_CURRENCIES.get(before) or _CURRENCIES[unit]}"
            shown = " ".join(tokens[i - 1 : j] if before in _CURRENCIES else tokens[i : j + 1])
        elif unit in _PERCENT or (unit, after) in _PERCENT_PAIRS:
            kind = "percent"
        elif unit in _BUSINESS_DAYS or (unit in _BUSINESS_BEFORE and after in _DURATION_UNITS):
            kind, factor = "business_days", 1
            shown = " ".join(tokens[i : j + (1 if unit in _BUSINESS_DAYS else 2)])
        elif unit in _DURATION_UNITS and after in _BUSINESS_AFTER:
            kind, factor = "business_days", 1
            shown = " ".join(tokens[i : j + 2])
        elif unit in _DURATION_UNITS:
            kind, factor = _DURATION_UNITS[unit]
        elif unit in _MONTHS or before in _MONTHS:
            month = _MONTHS.get(unit) or _MONTHS[before]
            found.extend(Quantity("date", f"{month:02d}-{float(v):05.2f}", shown) for v in values)
            done = j
            continue
        elif unit and _is_word(unit) and unit not in FUNCTION_WORDS and unit not in _MATCH_IGNORED:
            kind = f"count:{_key(unit)}"
        else:
            shown = " ".join(tokens[i:j])
        found.extend(Quantity(kind, _scaled(v, factor) if factor else v, shown) for v in values)
        done = j - 1
    return tuple(found)


class _Facts(NamedTuple):
    """What a sentence (or a whole source text) says, as the checks compare it."""

    keys: frozenset[str]
    """Its content words as `_key`s, negations and figures left out."""
    negated: frozenset[str]
    """The keys a negation reaches, within its clause."""
    negation: bool
    quantities: tuple[Quantity, ...]
    figures: frozenset[str]
    """Every number in it, canonical (names with digits, such as "Q1", are no figures)."""
    claim_keys: frozenset[str]
    """The keys of the words that make it a claim of entitlement ("refund", "free")."""


def _negation(word: str) -> bool:
    return word in _NEGATIONS or word.endswith("n't") or word.startswith("n'") or word in _NEGATED_WORDS


def _content(word: str) -> bool:
    return len(word) > 1 and word not in _IGNORED and word not in _MATCH_IGNORED and not _negation(word)


def _entitles(word: str) -> bool:
    return word in _ELIGIBILITY_WORDS or word.startswith(_ELIGIBILITY_STEMS)


class _Word(NamedTuple):
    key: str
    """Its `_key`, or "" for a function word or a negation."""
    negation: bool
    negates: str
    """The key of what the word negates inside itself ("ineligible", "n'est"), or ""."""
    entitles: bool
    reaches_back: bool
    """A negation that often follows what it negates ("nicht")."""


_CLAUSE_END = _Word(key="", negation=False, negates="", entitles=False, reaches_back=False)
"""What `_word` answers for a token that ends a clause (a comma, "but")."""


@functools.lru_cache(maxsize=65536)
def _word(token: str) -> _Word | None:
    """What one token is, as a word: _CLAUSE_END for one that ends a clause, None for one that is no word (a
    number, a name with digits, a sign)."""
    if token in _CLAUSE_BREAKS or token in _CLAUSE_WORDS:
        return _CLAUSE_END
    if not _is_word(token):
        return None
    negation = _negation(token)
    negates = ""
    if token in _NEGATED_WORDS:
        negates = _key(_NEGATED_WORDS[token])
    elif token.startswith("n'") and _content(token[2:]):
        negates = _key(token[2:])
    content = _content(token)
    return _Word(
        key=_key(token) if content else "",
        negation=negation,
        negates=negates,
        entitles=content and _entitles(token),
        reaches_back=token in _NEGATIONS_AFTER,
    )


@functools.lru_cache(maxsize=65536)
def _token_parts(token: str) -> tuple[str, ...]:
    """One first-cut token as the tokens the checks read: an ISO date, a number ("1,200.50"), a name or
    reference with digits in it ("q1", "inv-2024-0042", "#4411", "2fa": it names something, it is no
    figure), a word ("can't", "n'est"), with dashes between parts ("non-refundable", "14-day", "5-10"), and
    a figure glued to its unit apart ("24h", "15eur")."""
    if token.isalpha() or len(token) == 1 or _ISO_DATE.fullmatch(token):
        return (token,)
    if token[0] == "#" or (token[0].isalpha() and _ANY_DIGIT.search(token)):
        return (token,)
    parts: list[str] = []
    for part in re.split(r"([–-])", token):
        if not part or part in "–-" or part.isalpha() or _NUMBER.fullmatch(part):
            parts.append(part)
        elif (match := _NUMBER_AND_UNIT.fullmatch(part)) and (
            match.group(2) in _DURATION_UNITS or match.group(2) in _CURRENCIES
        ):
            parts.extend(match.groups())
        elif part[0] in _DIGITS:
            parts.append(f"#{part}")  # "2fa", "4g": a name
        else:
            parts.extend(piece for piece in re.split(r"[.,]", part) if piece)
    return tuple(part for part in parts if part)


def _tokens(text: str) -> list[str]:
    lower = text.lower()
    if "charge" in lower or "cost" in lower:
        lower = _NO_CHARGE.sub(" no charge ", lower)
    if "r" in lower and ("credit" in lower or "crédit" in lower):
        lower = _CREDIT_CARD.sub(" ", lower)
    found = _TOKEN.findall(lower)
    if not _JOINED.search(lower):
        return found  # words and signs only: nothing to cut further
    return [part for token in found for part in _token_parts(token)]


_KEY_OF = operator.attrgetter("key")
_NEGATION_OF = operator.attrgetter("negation")


@functools.lru_cache(maxsize=8192)
def _facts(text: str) -> _Facts:
    plain = _plain(text)
    tokens = _tokens(plain)
    numbers = _ANY_DIGIT.search(plain) is not None
    # Comprehensions rather than one loop: this runs on every sentence of every passage.
    read = [word for word in map(_word, tokens) if word is not None]
    keys = set(map(_KEY_OF, read))
    keys.discard("")
    negation = any(map(_NEGATION_OF, read))
    negated: set[str] = set()
    if negation:
        # The words, each with its clause: a negation reaches only words of its own clause.
        words: list[tuple[int, _Word]] = []
        clause = 0
        for word in read:
            if word is _CLAUSE_END:
                clause += 1
            else:
                words.append((clause, word))
        reached: set[int] = set()
        for index, (where, word) in enumerate(words):
            if not word.negation:
                continue
            if word.negates:
                keys.add(word.negates)
                negated.add(word.negates)
            first = max(0, index - 2) if word.reaches_back else index + 1
            for at in range(first, min(len(words), index + 1 + _NEGATION_REACH)):
                if at != index and words[at][0] == where:
                    reached.add(at)
        negated.update(words[at][1].key for at in reached if words[at][1].key)
        # Only what the sentence negates wherever it says it: "Starter (up to 3 users) ... Enterprise
        # (unlimited users)" does not negate users.
        negated -= {word.key for at, (_, word) in enumerate(words) if word.key and at not in reached}
    return _Facts(
        keys=frozenset(keys),
        negated=frozenset(negated & keys),
        negation=negation,
        quantities=_quantities(tokens) if numbers else (),
        figures=frozenset(_number(t) for t in tokens if t[0] in _DIGITS) if numbers else frozenset(),
        claim_keys=frozenset(word.key for word in read if word.entitles),
    )


@functools.lru_cache(maxsize=1024)
def _source(text: str) -> _Facts:
    """What a passage or support text says as a whole: its sentences' facts together."""
    return _union([facts for _, facts in _source_sentences(text)])


@functools.lru_cache(maxsize=1024)
def _source_sentences(text: str) -> tuple[tuple[str, _Facts], ...]:
    """What a passage says, sentence by sentence."""
    return tuple(
        (sentence, _facts(sentence))
        for sentence in _passage_sentences(text)
        if any(c.isalpha() for c in sentence)
    )


def _union(facts: Sequence[_Facts]) -> _Facts:
    """What several sentences say together."""
    return _Facts(
        keys=frozenset().union(*(f.keys for f in facts)),
        negated=frozenset().union(*(f.negated for f in facts)),
        negation=any(f.negation for f in facts),
        quantities=tuple(q for f in facts for q in f.quantities),
        figures=frozenset().union(*(f.figures for f in facts)),
        claim_keys=frozenset().union(*(f.claim_keys for f in facts)),
    )


_AND = re.compile(r"^(?:and|und|et|en|y)\s+", re.I)


def _opening_removed(text: str) -> str:
    """`text` without its greetings, thanks and apologies ("Thanks for writing, and sorry to hear ..."): what
    follows the comma (or colon) after each, or nothing."""
    for _ in range(3):
        if not _OPENING.match(text):
            return text
        parts = re.split(r"[,:;]", text, maxsplit=1)
        text = _AND.sub("", parts[1].strip()) if len(parts) == 2 else ""
    return text


@functools.lru_cache(maxsize=4096)
def claim_kinds(sentence: str) -> tuple[str, ...]:
    """What a sentence of a reply states that needs a source ("price", "duration", "date", "figure",
    "eligibility", "negation"); empty for greetings, thanks, sign-offs, offers of help and questions."""
    stripped = _plain(sentence).strip()
    if not any(char.isalpha() for char in stripped) or stripped.rstrip("\"') ").endswith("?"):
        return ()
    kinds: list[str] = []
    for quantity in _facts(sentence).quantities:
        kind = quantity.kind.split(":")[0]
        kind = {"money": "price", "months": "duration", "business_days": "duration"}.get(kind, kind)
        kind = "figure" if kind in ("count", "number", "percent") else kind
        if kind not in kinds:
            kinds.append(kind)
    said = _opening_removed(stripped)
    if not said or _NOT_A_CLAIM.search(said):
        # A greeting, thanks or a closing: only a figure in it is a claim.
        return tuple(kinds)
    words = [token for token in _tokens(said) if _is_word(token)]
    if len(words) < MIN_CLAIM_WORDS:
        return tuple(kinds)
    if "duration" not in kinds and any(word in _TIME_WORDS for word in words):
        kinds.append("duration")
    dated = any(word in _WEEKDAYS or (word in _MONTHS and len(word) > 3) for word in words)
    if dated and "date" not in kinds:
        kinds.append("date")
    if any(_entitles(word) for word in words):
        kinds.append("eligibility")
    if any(_negation(word) for word in words):
        kinds.append("negation")
    return tuple(kinds)


def _figures_backed(claim: _Facts, source: _Facts) -> bool:
    """Whether every figure of `claim` is in `source`, as the same number or in the same quantity (2 weeks
    is 14 days)."""
    same = {(q.kind, q.value) for q in source.quantities}
    covered = {
        _number(token)
        for q in claim.quantities
        if (q.kind, q.value) in same
        for token in q.text.split()
        if _is_number(token)
    }
    return all(figure in source.figures or figure in covered for figure in claim.figures)


def _backs(claim: _Facts, source: _Facts) -> bool:
    """The content-word test of `unsupported`, for a text the claim does not cite: half of the claim's words
    in it, every figure, the words that make it a claim of entitlement, and a negation when it negates."""
    if claim.keys and len(claim.keys & source.keys) / len(claim.keys) < SUPPORT_THRESHOLD:
        return False
    if not claim.claim_keys <= source.keys:
        return False
    if claim.negated and not source.negation:
        return False
    return _figures_backed(claim, source)


@dataclass(frozen=True)
class _Match:
    """The passage sentence that best matches a claim."""

    marker: int
    title: str
    sentence: str
    facts: _Facts


def _best_match(claim: _Facts, passages: Iterable[CitedPassage], *, strict: bool = False) -> _Match | None:
    """The passage sentence that says most of what `claim` is about (see below on ties), or None when none
    is close enough to be about the same thing: a third of the claim's words and at least two, or, `strict`
    (for a sentence that cites nothing), 60% and at least three."""
    if not claim.keys:
        return None
    best: _Match | None = None
    best_score: tuple[int, float, int] = (0, 0.0, 0)
    for passage in passages:
        for sentence, other in _source_sentences(passage.chunk.text):
            shared = len(claim.keys & other.keys)
            # Most words shared first; on a tie, the sentence with the fewest words of its own (the one
            # quoted, rather than a longer one that happens to hold the same words), then the one with
            # most of the same figures (the row of a table that the claim quotes, not its neighbour).
            score = (
                (shared, shared / len(claim.keys | other.keys), len(claim.figures & other.figures))
                if shared
                else (0, 0.0, 0)
            )
            if score > best_score:
                best_score = score
                best = _Match(passage.marker, passage.chunk.document_title, sentence, other)
    best_shared = best_score[0]
    needed = max(3, math.ceil(0.6 * len(claim.keys))) if strict else max(2, math.ceil(len(claim.keys) / 3))
    return best if best_shared >= max(2, min(needed, len(claim.keys))) else None


def _quote(text: str) -> str:
    text = " ".join(_EMPHASIS.sub("", _MARKER.sub("", text)).split())
    return text if len(text) <= MAX_REASON_QUOTE else text[: MAX_REASON_QUOTE - 1].rstrip() + "…"


@dataclass(frozen=True)
class _Against:
    """How a claim goes against a passage sentence: it negates what the sentence does not (or the other way
    round), or it gives another figure for the same thing (`ours` where the passage says `theirs`)."""

    ours: str = ""
    theirs: str = ""


def _opposite(claim: _Facts, other: _Facts) -> bool:
    """Whether one of two sentences negates what the other affirms: one has a negation and the other none,
    the negation reaches a word both share (and that its sentence does not also affirm elsewhere), and they
    share at least half the claim's words, and three of them (or all, of a shorter claim). Two sentences
    that both negate something are not compared: which of their words each negation reaches is too fine
    for word lists."""
    if claim.negation == other.negation:
        return False
    shared = claim.keys & other.keys
    negated = claim.negated if claim.negation else other.negated
    needed = max(min(3, len(claim.keys)), POLARITY_OVERLAP * len(claim.keys))
    return bool(negated & shared) and len(shared) >= needed


def _contradiction(claim: _Facts, match: _Match, *, polarity: bool = True) -> _Against | None:
    """How `claim` goes against the passage sentence of `match`, or None when it does not; by its figures
    only unless `polarity`."""
    other = match.facts
    if polarity and _opposite(claim, other):
        return _Against()
    theirs: dict[str, list[Quantity]] = {}
    for quantity in other.quantities:
        theirs.setdefault(quantity.kind, []).append(quantity)
    ours: dict[str, list[Quantity]] = {}
    for quantity in claim.quantities:
        ours.setdefault(quantity.kind, []).append(quantity)
    for kind, said in ours.items():
        stated = theirs.get(kind)
        # Another figure for the same thing, and not the passage's own beside it ("3 days ago, within the
        # 14-day window": the 3 is the customer's, the unsupported check sees to it).
        if kind != "number" and stated and not {q.value for q in said} & {q.value for q in stated}:
            return _Against(ours=said[0].text, theirs=stated[0].text)
    return None


def _kinds_words(kinds: Sequence[str]) -> str:
    words = [CLAIM_KIND_WORDS[kind] for kind in kinds if kind in CLAIM_KIND_WORDS][:2]
    return " and ".join(words) if words else "a fact"


@functools.lru_cache(maxsize=8192)
def _content_stems(text: str) -> frozenset[str]:
    return frozenset(content_words(text))


def _cited_flags(sentence: str, cited: list[int], by_marker: dict[int, CitedPassage]) -> list[GroundingFlag]:
    """A cited sentence against its passages: contradicted, or unsupported (too few of its words in them, or
    a figure they do not state)."""
    claim = _facts(sentence)
    match = _best_match(claim, (by_marker[marker] for marker in cited))
    against = _contradiction(claim, match) if match else None
    if match and against:
        source = f"[{match.marker}] {match.title}"
        said = (
            f"It says {against.ours} where {source} says {against.theirs}"
            if against.ours
            else f"It says the opposite of {source}"
        )
        reason = f"{said}: “{_quote(match.sentence)}” Check it before sending."
        return [GroundingFlag(kind="contradicted", text=sentence, marker=match.marker, reason=reason)]
    words = _content_stems(sentence)
    if not words:
        return []  # "See [1]." claims nothing to check
    cited_text = [by_marker[marker].chunk.text for marker in cited]
    source_words = frozenset().union(*(_content_stems(text) for text in cited_text))
    figures = _union([_source(text) for text in cited_text])
    if not _figures_backed(claim, figures) or len(words & source_words) / len(words) < SUPPORT_THRESHOLD:
        return [GroundingFlag(kind="unsupported", text=sentence, marker=marker) for marker in cited]
    return []


def _uncited_flags(
    sentence: str, by_marker: dict[int, CitedPassage], support: Sequence[_Facts]
) -> list[GroundingFlag]:
    """A sentence that cites nothing: an uncited_claim when it states a fact no support text backs;
    contradicted when one backs it (a precedent's reply) but the current policy says otherwise."""
    kinds = claim_kinds(sentence)
    if not kinds:
        return []
    claim = _facts(sentence)
    if any(_backs(claim, item) for item in support):
        # A reply sent on a similar ticket may predate the policy: a figure the current policy states
        # otherwise for the same thing is flagged. (Not a negation: replies word things their own way, and a
        # sentence that cites nothing is matched less surely.)
        match = _best_match(claim, by_marker.values(), strict=True)
        against = _contradiction(claim, match, polarity=False) if match else None
        if match and against:
            source = f"[{match.marker}] {match.title}"
            reason = (
                f"A similar ticket's reply or the customer's record says {against.ours}, but {source} says "
                f"{against.theirs} now: “{_quote(match.sentence)}” Check it before sending."
            )
            return [GroundingFlag(kind="contradicted", text=sentence, marker=match.marker, reason=reason)]
        return []
    what = _kinds_words(kinds)
    backer = next((p for p in by_marker.values() if _backs(claim, _source(p.chunk.text))), None)
    if backer is not None:
        reason = (
            f"It states {what} without a citation, though [{backer.marker}] {backer.chunk.document_title} "
            f"seems to say it: add [{backer.marker}] after it, or check it before sending."
        )
    else:
        reason = (
            f"It states {what} without a citation, and nothing this draft was given says so: no document, no "
            "similar ticket's reply, nothing on the customer's record. Cite a document for it, or check it "
            "before sending."
        )
    return [GroundingFlag(kind="uncited_claim", text=sentence, reason=reason)]


SUPPORT_SECTIONS = ("customer", "history", "incidents")
"""The context sections that may back a claim without a citation: the customer's profile, their other tickets
and the incidents now affecting them. Not the conversation: what the customer wrote ("you promised me a free
month") is what a claim must not take on trust; not staff notes: a reply must not repeat them."""


def context_support(context: TicketContext) -> tuple[str, ...]:
    """The support texts of a draft's context, for `draft_ground(..., support=...)`: the customer's record
    (SUPPORT_SECTIONS) and the replies agents sent on the similar solved tickets it was given."""
    return (
        *(section.text for section in context.sections if section.name in SUPPORT_SECTIONS),
        *(precedent.reply for precedent in context.precedents if precedent.reply),
    )


def draft_ground(text: str, passages: Sequence[CitedPassage], *, support: Sequence[str] = ()) -> Grounding:
    """The draft with markers that name no passage removed, a citation for each marker it keeps, and flags
    for what the agent should check: unknown markers, cited sentences their passages do not support or
    contradict, claims that cite nothing and that no `support` text backs (replies sent on similar tickets,
    the customer's record: see `context_support`), and links or e-mail addresses found in no passage."""
    by_marker = {passage.marker: passage for passage in passages}
    text, flags = _remove_unknown_markers(text, set(by_marker))
    backing = [_source(item) for item in support if item.strip()]

    claims: dict[int, list[frozenset[str]]] = {}
    for sentence in sentences(text):
        cited = list(dict.fromkeys(citation_markers(sentence)))
        claim = _content_stems(sentence)
        for marker in cited:
            claims.setdefault(marker, []).append(claim)
        if cited:
            flags.extend(_cited_flags(sentence, cited, by_marker))
        else:
            flags.extend(_uncited_flags(sentence, by_marker, backing))

    citations = []
    for marker in sorted(claims):
        passage = by_marker[marker]
        chunk = passage.chunk
        quote = max(
            (_best_quote(claim, chunk.text) for claim in claims[marker]),
            key=lambda scored: scored[0],
        )[1]
        citations.append(
            Citation(
                marker=marker,
                document_id=chunk.document_id,
                version_id=chunk.version_id,
                chunk_id=chunk.chunk_id,
                title=chunk.document_title,
                heading=passage.heading,
                quote=quote,
            )
        )

    sources = "\n".join(passage.chunk.text for passage in passages).lower()
    flags.extend(GroundingFlag(kind="unknown_link", text=url) for url in _unknown(_URL, text, sources))
    # An address inside a link ("https://x.example/a@b") is the link's business, not a second finding.
    without_links = _URL.sub(" ", text)
    flags.extend(
        GroundingFlag(kind="unknown_email", text=email) for email in _unknown(_EMAIL, without_links, sources)
    )
    return Grounding(text=text, citations=tuple(citations), flags=tuple(flags))

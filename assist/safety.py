"""What a customer-facing draft may contain, checked after generation whatever the backend wrote.

Retrieved documents and customer text are data, never instructions, and a prompt saying so is not enough: a
model may still copy what it was shown. So the draft itself is checked, sentence by sentence and link by link:

- planted text: a passage sentence written to a model (`knowledge.api.planted_instructions`) is taken out
  of the passage before any backend sees it, and any sentence of the draft that reads as one, or repeats one,
  is removed;
- internal text: a sentence that cites or repeats an internal-audience document, or repeats a staff note, is
  removed (internal documents may inform the agent's note, never the reply);
- links and addresses: a link or an e-mail address must be on the company's own domains
  (`DRAFT_ALLOWED_DOMAINS`) or in the visible text of the customer-facing passages; a phone number must be in
  those passages; and nothing that belongs to another customer ever passes. Markdown images are removed.

Every removal becomes a flag the agent reads, with the text that was taken out.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Sequence
from urllib.parse import urlsplit

from django.conf import settings
from django.db.models import Func, Q, Value

from knowledge import api as knowledge
from support.core.text import WORD, stems
from support.customers.models import Customer

from .contracts import CitedPassage, GroundingFlag
from .grounding import sentences

SHINGLE_WORDS = 8
"""A draft sentence sharing this many consecutive words with internal text repeats it."""
CORROBORATING_DOCUMENTS = 2
"""Off the company's domains, a link or an address is kept only when this many published documents name its
host: one document alone may be the one an attacker planted it in."""

_IMAGE = re.compile(r"!\[[^\]\n]*\]\([^)\n]*\)")
_MARKDOWN_LINK = re.compile(r"\[([^\]\n]*)\]\(\s*([^)\s]+)[^)\n]*\)")
_URL = re.compile(r"\b(?:https?://|www\.)[^\s<>()\[\]\"'`]+", re.IGNORECASE)
# A bare host name with a path or a common top-level domain ("refund-portal.example/claim"): a link a reader
# would type. Version numbers and decimals ("4.2", "99.9") do not match: a label starts with a letter.
_BARE_HOST = re.compile(
    r"(?<![\w@/.-])(?:[a-z][a-z0-9-]*\.)+(?:com|net|org|io|info|biz|co|example|app|dev|xyz|ly|me|de|fr|uk|"
    r"ru|cn|eu|us|site|online|top|link|click|tk)(?:/[^\s<>()\"'`]*)?(?![\w-])",
    re.IGNORECASE,
)
_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
_PHONE = re.compile(r"(?<![\w+])\+?\d[\d ().\-/]{6,}\d(?!\w)")
_TRAILING = ".,;:!?'\")]"
_MARKER = re.compile(r"\[(\d{1,4}(?:\s*,\s*\d{1,4})*)\]")


@dataclasses.dataclass(frozen=True)
class Screened:
    """A draft after the checks: the text the customer may get, and a flag per removal."""

    text: str
    flags: tuple[GroundingFlag, ...]


def passages_screen(passages: Iterable[CitedPassage]) -> tuple[CitedPassage, ...]:
    """The passages with every planted sentence taken out of their text (and kept on the passage), so no
    backend is shown an instruction planted in a document."""
    screened = []
    for passage in passages:
        # A customer-facing passage also loses what directs the writer ("tell customers that ..."): a reply
        # never quotes that. An internal playbook keeps it: its directions are for the agent's note.
        findings = knowledge.planted_instructions(
            passage.chunk.text, directives=not passage.internal, staff=passage.internal
        )
        if not findings:
            screened.append(passage)
            continue
        text = passage.chunk.text
        for finding in sorted(findings, key=lambda f: f.start, reverse=True):
            text = text[: finding.start] + text[finding.end :]
        text = re.sub(r"[ \t]{2,}", " ", re.sub(r"\n{3,}", "\n\n", text)).strip()
        screened.append(
            dataclasses.replace(
                passage,
                chunk=dataclasses.replace(passage.chunk, text=text),
                planted=tuple(findings),
            )
        )
    return tuple(screened)


def allowed_domains() -> tuple[str, ...]:
    return tuple(d.lower().lstrip(".") for d in settings.DRAFT_ALLOWED_DOMAINS if d.strip())


def _host(url: str) -> str:
    target = url if "://" in url else f"http://{url}"
    try:
        return (urlsplit(target).hostname or "").lower()
    except ValueError:
        return ""


def _on_allowed_domain(host: str, domains: Sequence[str]) -> bool:
    return bool(host) and any(host == d or host.endswith("." + d) for d in domains)


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def _flat(text: str) -> str:
    """The words of `text`, lower case, one space apart (for finding one text inside another)."""
    return " ".join(w.lower() for w in WORD.findall(text))


def _shingles(text: str) -> set[tuple[str, ...]]:
    words = [w.lower() for w in WORD.findall(text)]
    return {tuple(words[i : i + SHINGLE_WORDS]) for i in range(len(words) - SHINGLE_WORDS + 1)}


def _other_customers(
    *, customer_id: int | None, emails: Sequence[str], phones: Sequence[str]
) -> tuple[set[str], set[str]]:
    """Of the addresses and phone numbers found, those that belong to a customer other than the ticket's."""
    if not emails and not phones:
        return set(), set()
    others = Customer.objects.exclude(pk=customer_id) if customer_id else Customer.objects.all()
    condition = Q(pk__in=[])
    for email in emails:
        condition |= Q(email__iexact=email)
    digits = [_digits(p) for p in phones if len(_digits(p)) >= 7]
    if digits:
        others = others.annotate(
            phone_digits=Func("phone", Value(r"\D"), Value(""), Value("g"), function="regexp_replace")
        )
        condition |= Q(phone_digits__in=digits)
    found_emails, found_phones = set(), set()
    for email, phone in others.filter(condition).values_list("email", "phone")[:50]:
        found_emails.add(email.lower())
        if phone:
            found_phones.add(_digits(phone))
    return found_emails, found_phones


class _Checker:
    """The sources one draft is checked against."""

    def __init__(
        self,
        *,
        passages: Sequence[CitedPassage],
        staff_notes: Sequence[str],
        customer_id: int | None,
        customer_email: str,
        sources: Sequence[str] = (),
    ) -> None:
        public = [p for p in passages if not p.internal]
        self.sources = [_flat(p.chunk.text) for p in public] + [_flat(text) for text in sources]
        self.visible = "\n".join(p.chunk.text for p in public).lower()
        self.visible_digits = {_digits(m.group(0)) for m in _PHONE.finditer(self.visible)}
        self.internal_markers = {p.marker for p in passages if p.internal}
        self.internal_shingles: set[tuple[str, ...]] = set()
        for passage in passages:
            if passage.internal:
                self.internal_shingles |= _shingles(passage.chunk.text)
        self.note_shingles: set[tuple[str, ...]] = set()
        for note in staff_notes:
            self.note_shingles |= _shingles(note)
        # Short sentences of internal text ("Risk ticket 4106.") have no run of SHINGLE_WORDS words: a draft
        # sentence found whole inside internal text is a copy of it too.
        self.internal_texts = [_flat(text) for text in staff_notes] + [
            _flat(p.chunk.text) for p in passages if p.internal
        ]
        self.planted = [f.text for p in passages for f in p.planted]
        self.planted_shingles: set[tuple[str, ...]] = set()
        self.planted_terms = [stems(text) for text in self.planted]
        for text in self.planted:
            self.planted_shingles |= _shingles(text)
        self.customer_id = customer_id
        self.customer_email = customer_email.lower()
        self.domains = allowed_domains()
        self.named: dict[str, int] = {}

    def corroborate(self, text: str) -> None:
        """Count, in one query, the documents naming each host and e-mail domain of `text` that is not on the
        company's domains (see `link_allowed`)."""
        needles = [_host(m.group(0).rstrip(_TRAILING)) for m in _URL.finditer(text)]
        needles += [_host(m.group(2)) for m in _MARKDOWN_LINK.finditer(text)]
        needles += [_host(m.group(0).rstrip(_TRAILING)) for m in _BARE_HOST.finditer(text)]
        needles += [m.group(0).rsplit("@", 1)[-1].lower() for m in _EMAIL.finditer(text)]
        unknown = [n for n in needles if n and not _on_allowed_domain(n, self.domains)]
        if unknown:
            self.named = knowledge.documents_naming(unknown)

    def _corroborated(self, host: str) -> bool:
        """Named by at least two published documents: a host a single document names may be planted."""
        return self.named.get(host, 0) >= CORROBORATING_DOCUMENTS

    def sentence_problem(self, sentence: str, score: float) -> tuple[str, str] | None:
        """Why a sentence may not reach the customer (flag kind and reason), or None."""
        words = _shingles(sentence)
        if (
            (score >= knowledge.INSTRUCTION_THRESHOLD and not self._quoted(sentence))
            or words & self.planted_shingles
            or self._repeats_planted(sentence)
        ):
            return "removed_instruction", "It reads as, or repeats, text written to an AI model."
        cited = {int(n) for group in _MARKER.findall(sentence) for n in group.split(",")}
        if cited & self.internal_markers or words & self.internal_shingles:
            return "internal_text", "It repeats an internal document, which customers may not see."
        if words & self.note_shingles:
            return "internal_text", "It repeats an internal note on the ticket."
        flat = _flat(_MARKER.sub("", sentence))
        if len(flat.split()) >= 3 and any(flat in text for text in self.internal_texts):
            return "internal_text", "It repeats internal text (a staff note or an internal document)."
        return None

    def _quoted(self, sentence: str) -> bool:
        """Found word for word in a screened source (a customer-facing passage with its planted text taken
        out, or a reply the team sent): a step such as "Confirm the upgrade." reads like an order, and is
        one the company gives its customers."""
        flat = _flat(_MARKER.sub("", sentence))
        return len(flat.split()) >= 3 and any(flat in source for source in self.sources)

    def _repeats_planted(self, sentence: str) -> bool:
        mine = stems(sentence)
        if len(mine) < 4:
            return False
        return any(len(mine & planted) >= 0.8 * len(mine) for planted in self.planted_terms if planted)

    def link_allowed(self, url: str) -> bool:
        cleaned = url.rstrip(_TRAILING)
        host = _host(cleaned)
        if _on_allowed_domain(host, self.domains):
            return True
        return cleaned.lower().rstrip("/") in self.visible and self._corroborated(host)

    def email_allowed(self, email: str, others: set[str]) -> bool:
        email = email.lower()
        if email in others:
            return False
        if email == self.customer_email:
            return True
        domain = email.rsplit("@", 1)[-1]
        if _on_allowed_domain(domain, self.domains):
            return True
        return email in self.visible and self._corroborated(domain)

    def phone_allowed(self, phone: str, others: set[str]) -> bool:
        digits = _digits(phone)
        if digits in others:
            return False
        return any(digits and digits in seen for seen in self.visible_digits)


_LIST_ITEM = re.compile(r"^\s*(?:[-*•+]|\d{1,3}[.)])\s+")


def _units(paragraph: str) -> list[tuple[str, str]]:
    """A paragraph as (prefix, body) units: each line of a list on its own with its bullet or number as
    the prefix, or the whole paragraph with none. "1." starts an item; it does not end a sentence."""
    lines = paragraph.split("\n")
    if not any(_LIST_ITEM.match(line) for line in lines):
        return [("", paragraph)]
    units = []
    for line in lines:
        item = _LIST_ITEM.match(line)
        prefix = item.group(0) if item else ""
        units.append((prefix, line[len(prefix) :]))
    return units


def _without_sentences(text: str, checker: _Checker, flags: list[GroundingFlag]) -> str:
    """`text` with every sentence removed that may not reach a customer, paragraph and list structure
    kept."""
    paragraphs = [_units(paragraph) for paragraph in text.split("\n\n")]
    parts = [sentences(body) for units in paragraphs for _, body in units]
    # One call for the whole draft: the detector is a model, cheaper in one batch.
    scores = iter(knowledge.instruction_scores([_MARKER.sub("", s) for found in parts for s in found]))
    found_parts = iter(parts)
    kept_paragraphs = []
    for units in paragraphs:
        kept_units = []
        for prefix, body in units:
            found = next(found_parts)
            if not found:
                kept_units.append(prefix + body)
                continue
            kept = []
            for part in found:
                problem = checker.sentence_problem(part, next(scores))
                if problem is None:
                    kept.append(part)
                else:
                    kind, reason = problem
                    flags.append(GroundingFlag(kind=kind, text=part, reason=reason))
            if len(kept) == len(found):
                kept_units.append(prefix + body)
            elif kept:
                kept_units.append(prefix + ("\n" if "\n" in body else " ").join(kept))
        if kept_units:
            kept_paragraphs.append("\n".join(kept_units))
    return "\n\n".join(kept_paragraphs)


def _without_images(text: str, flags: list[GroundingFlag]) -> str:
    def image(match: re.Match[str]) -> str:
        flags.append(
            GroundingFlag(kind="removed_link", text=match.group(0), reason="Images are never put in a reply.")
        )
        return ""

    return _IMAGE.sub(image, text)


def _without_links(text: str, checker: _Checker, flags: list[GroundingFlag]) -> str:
    def markdown_link(match: re.Match[str]) -> str:
        if checker.link_allowed(match.group(2)):
            return match.group(0)
        flags.append(_link_flag(match.group(2)))
        return match.group(1)

    text = _MARKDOWN_LINK.sub(markdown_link, text)

    def bare(match: re.Match[str]) -> str:
        url = match.group(0).rstrip(_TRAILING)
        if checker.link_allowed(url):
            return match.group(0)
        flags.append(_link_flag(url))
        return match.group(0)[len(url) :]

    text = _URL.sub(bare, text)
    return _BARE_HOST.sub(bare, text)


def _link_flag(url: str) -> GroundingFlag:
    return GroundingFlag(
        kind="removed_link",
        text=url,
        reason="A link off the company's domains that the documents do not vouch for (named by fewer than "
        f"{CORROBORATING_DOCUMENTS} published documents) was removed.",
    )


def _without_contacts(text: str, checker: _Checker, flags: list[GroundingFlag]) -> str:
    emails = [m.group(0) for m in _EMAIL.finditer(text)]
    phones = [m.group(0) for m in _PHONE.finditer(text) if len(_digits(m.group(0))) >= 7]
    other_emails, other_phones = _other_customers(
        customer_id=checker.customer_id, emails=emails, phones=phones
    )

    def email(match: re.Match[str]) -> str:
        if checker.email_allowed(match.group(0), other_emails):
            return match.group(0)
        flags.append(
            GroundingFlag(
                kind="removed_contact",
                text=match.group(0),
                reason="An e-mail address that is in no document, or another customer's, was removed.",
            )
        )
        return ""

    text = _EMAIL.sub(email, text)

    def phone(match: re.Match[str]) -> str:
        if len(_digits(match.group(0))) < 7 or checker.phone_allowed(match.group(0), other_phones):
            return match.group(0)
        flags.append(
            GroundingFlag(
                kind="removed_contact",
                text=match.group(0),
                reason="A phone number that is in no document, or another customer's, was removed.",
            )
        )
        return ""

    return _PHONE.sub(phone, text)


def _tidy(text: str) -> str:
    """Spacing and joining words left dangling where something was taken out ("a and and b.")."""
    text = re.sub(r"[ \t]{2,}", " ", text)
    for _ in range(3):
        text = re.sub(r"\b(and|or|,)\s+(?:and|or)\b", r"\1", text)
    text = re.sub(r"\s*,?\s+(?:and|or)\s*([.;!?])", r"\1", text)
    text = re.sub(r"(?:\s+|,\s*)(?:and|or|,)\s*,", ",", text)
    text = re.sub(r"[ \t]+([.,;:!?])", r"\1", text)
    text = re.sub(r"\(\s*\)|\[\s*\]", "", text)
    text = re.sub(r"[ \t]+\n", "\n", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def draft_screen(
    text: str,
    *,
    passages: Sequence[CitedPassage],
    staff_notes: Sequence[str] = (),
    customer_id: int | None = None,
    customer_email: str = "",
    precedents: Sequence[str] = (),
) -> Screened:
    """The draft as the customer may get it, and what was taken out (see the module's description).
    `precedents`: replies the team sent on similar tickets (screened), which the draft may repeat."""
    checker = _Checker(
        passages=passages,
        staff_notes=staff_notes,
        customer_id=customer_id,
        customer_email=customer_email,
        sources=precedents,
    )
    flags: list[GroundingFlag] = []
    screened = _without_images(text, flags)
    screened = _without_sentences(screened, checker, flags)
    checker.corroborate(screened)
    screened = _without_links(screened, checker, flags)
    screened = _without_contacts(screened, checker, flags)
    if flags:
        screened = _tidy(screened)
    return Screened(text=screened, flags=tuple(flags))


def passage_flags(passages: Sequence[CitedPassage]) -> tuple[GroundingFlag, ...]:
    """What the agent should know about the passages themselves: planted instructions found in them (left
    out of what the model saw), and internal documents that informed the draft."""
    flags = []
    for passage in passages:
        for finding in passage.planted:
            flags.append(
                GroundingFlag(
                    kind="planted_instruction",
                    text=finding.text,
                    marker=passage.marker,
                    reason=f"Passage [{passage.marker}] holds text written to an AI model "
                    f"({finding.reason}); it was left out of the draft. Tell the document's owner.",
                )
            )
        if passage.internal:
            flags.append(
                GroundingFlag(
                    kind="internal_source",
                    text=passage.chunk.document_title,
                    marker=passage.marker,
                    reason="An internal document informed this draft; it is not quoted in the reply.",
                )
            )
    return tuple(flags)

"""The injection corpus as values: the data files under data/ read, checked for references, and each
document composed into the bytes a knowledge admin would upload.

A poisoned document or a hard negative is its topic's clean Markdown with text planted in one section (or,
for a few poisoned pages, a whole .html file written for the corpus). The planting rules are here; the text
planted is in the data files.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

DATA = Path(__file__).resolve().parent / "data"

PUBLIC = "public"
INTERNAL = "internal"
POSITIONS = ("start", "end", "append")


class CorpusError(ValueError):
    """A data file refers to something that does not exist, or breaks the schema."""


@dataclass(frozen=True)
class Topic:
    id: str
    title: str
    markdown: str
    section: str
    subject: str
    question: str
    answer_terms: tuple[str, ...]


@dataclass(frozen=True)
class Insertion:
    section: str
    position: str
    text: str


@dataclass(frozen=True)
class Document:
    """One document of the library: what is uploaded (`filename`, `data`) and what the harness knows of it."""

    id: str
    kind: str  # "clean", "poisoned", "hard_negative" or "internal"
    title: str
    filename: str
    data: bytes
    topic: str = ""
    cls: str = ""  # the poisoned class, for poisoned documents
    technique: str = ""
    canary: str = ""
    section: str = ""  # where the payload (its canary-bearing part) was planted
    payload: str = ""  # the planted text, all parts joined (empty for whole .html documents)
    audience: str = PUBLIC

    @property
    def text(self) -> str:
        return self.data.decode("utf-8")


@dataclass(frozen=True)
class HardNegative:
    document: Document
    subject: str
    question: str
    answer_terms: tuple[str, ...]
    planted: str


@dataclass(frozen=True)
class InternalDocument:
    document: Document
    subject: str
    question: str


@dataclass(frozen=True)
class HostileTicket:
    id: str
    cls: str
    canary: str
    subject: str
    body: str
    customer_name: str = ""
    language: str = "en"
    targets: str = ""  # the id of a poisoned document this ticket steers retrieval to


@dataclass(frozen=True)
class StaffNote:
    id: str
    topic: str
    canary: str
    text: str


@dataclass(frozen=True)
class OtherCustomer:
    id: str
    name: str
    email: str
    phone: str
    order: str


@dataclass(frozen=True)
class Corpus:
    topics: dict[str, Topic]
    clean: dict[str, Document]  # by topic id
    poisoned: dict[str, Document]
    hard_negatives: dict[str, HardNegative]
    internal: dict[str, InternalDocument]
    tickets: dict[str, HostileTicket]
    notes: dict[str, StaffNote]
    customers: dict[str, OtherCustomer]
    by_class: dict[str, list[str]] = field(default_factory=dict)  # poisoned class -> document ids

    def documents(self) -> list[Document]:
        """Every document of the corpus, each once."""
        return [
            *self.clean.values(),
            *self.poisoned.values(),
            *(h.document for h in self.hard_negatives.values()),
            *(i.document for i in self.internal.values()),
        ]

    def canaries(self) -> dict[str, str]:
        """Every canary of the corpus and what carries it ("poisoned:id", "ticket:id", "internal:id", ...)."""
        found: dict[str, str] = {}
        for doc in self.poisoned.values():
            found[doc.canary] = f"poisoned:{doc.id}"
        for internal in self.internal.values():
            found[internal.document.canary] = f"internal:{internal.document.id}"
        for ticket in self.tickets.values():
            found[ticket.canary] = f"ticket:{ticket.id}"
        for note in self.notes.values():
            found[note.canary] = f"staff_note:{note.id}"
        return found


def _read_yaml(name: str) -> Any:
    return yaml.safe_load((DATA / name).read_text(encoding="utf-8"))


def _required(entry: dict[str, Any], key: str, where: str) -> Any:
    if key not in entry or entry[key] in (None, ""):
        raise CorpusError(f"{where}: `{key}` is missing")
    return entry[key]


_H1 = re.compile(r"^# (.+)$", re.MULTILINE)
_HEADING = re.compile(r"^(#{1,6}) (.+?)\s*$")


def _title(markdown: str, where: str) -> str:
    match = _H1.search(markdown)
    if match is None:
        raise CorpusError(f"{where}: no `# Title` line")
    return match.group(1).strip()


def plant(markdown: str, insertions: list[Insertion], where: str) -> str:
    """`markdown` with each insertion planted in its section: `start` as a paragraph right under the heading,
    `end` as a paragraph after the section's last block, `append` at the end of the section's last line."""
    lines = markdown.rstrip("\n").split("\n")
    # Plant from the bottom up, so earlier line numbers stay valid.
    located = []
    for insertion in insertions:
        if insertion.position not in POSITIONS:
            raise CorpusError(f"{where}: position must be one of {POSITIONS}, not {insertion.position!r}")
        heading_at, level = None, 0
        for number, line in enumerate(lines):
            match = _HEADING.match(line)
            if match and match.group(2) == insertion.section:
                heading_at, level = number, len(match.group(1))
                break
        if heading_at is None:
            raise CorpusError(f"{where}: no section {insertion.section!r}")
        end = len(lines)
        for number in range(heading_at + 1, len(lines)):
            match = _HEADING.match(lines[number])
            # The title's section (the introduction) ends at the first heading of any level.
            if match and (len(match.group(1)) <= level or level == 1):
                end = number
                break
        located.append((heading_at, end, insertion))
    for heading_at, end, insertion in sorted(located, key=lambda item: item[0], reverse=True):
        text = insertion.text.strip()
        if insertion.position == "start":
            lines[heading_at + 1 : heading_at + 1] = ["", text]
        else:
            last = end - 1
            while last > heading_at and not lines[last].strip():
                last -= 1
            if insertion.position == "end":
                lines[last + 1 : last + 1] = ["", text]
            else:
                lines[last] = f"{lines[last]} {text}"
    return "\n".join(lines) + "\n"


def _insertions(entry: dict[str, Any], topic: Topic, where: str) -> list[Insertion]:
    if "parts" in entry:
        return [
            Insertion(
                section=_required(part, "section", where),
                position=part.get("position", "end"),
                text=_required(part, "text", where),
            )
            for part in entry["parts"]
        ]
    return [
        Insertion(
            section=entry.get("section", topic.section),
            position=entry.get("position", "end"),
            text=_required(entry, "payload", where),
        )
    ]


def _topics() -> dict[str, Topic]:
    topics = {}
    for entry in _read_yaml("topics.yaml")["topics"]:
        where = f"topics.yaml:{entry.get('id')}"
        markdown = (DATA / _required(entry, "file", where)).read_text(encoding="utf-8")
        topics[entry["id"]] = Topic(
            id=entry["id"],
            title=_title(markdown, where),
            markdown=markdown,
            section=_required(entry, "section", where),
            subject=_required(entry, "subject", where),
            question=_required(entry, "question", where),
            answer_terms=tuple(_required(entry, "answer_terms", where)),
        )
    return topics


def _topic(topics: dict[str, Topic], entry: dict[str, Any], where: str) -> Topic:
    name = _required(entry, "topic", where)
    if name not in topics:
        raise CorpusError(f"{where}: unknown topic {name!r}")
    return topics[name]


def _poisoned(topics: dict[str, Topic]) -> tuple[dict[str, Document], dict[str, list[str]]]:
    documents: dict[str, Document] = {}
    by_class: dict[str, list[str]] = {}
    for path in sorted((DATA / "poisoned").glob("*.yaml")):
        content = yaml.safe_load(path.read_text(encoding="utf-8"))
        cls = content["class"]
        for entry in content["documents"]:
            where = f"poisoned/{path.name}:{entry.get('id')}"
            topic = _topic(topics, entry, where)
            canary = _required(entry, "canary", where)
            if "file" in entry:
                data = (DATA / "poisoned" / entry["file"]).read_bytes()
                filename, payload = Path(entry["file"]).name, ""
                section = _required(entry, "section", where)
            else:
                insertions = _insertions(entry, topic, where)
                data = plant(topic.markdown, insertions, where).encode("utf-8")
                filename = f"{entry['id']}.md"
                payload = "\n".join(i.text for i in insertions)
                # The part carrying the canary names the section (the last part when none shows it plainly).
                plain = [i for i in insertions if canary.lower() in i.text.lower()]
                section = (plain or insertions)[-1].section
            documents[entry["id"]] = Document(
                id=entry["id"],
                kind="poisoned",
                title=topic.title,
                filename=filename,
                data=data,
                topic=topic.id,
                cls=cls,
                technique=entry.get("technique", ""),
                canary=canary,
                section=section,
                payload=payload,
            )
            by_class.setdefault(cls, []).append(entry["id"])
    return documents, by_class


def _hard_negatives(topics: dict[str, Topic]) -> dict[str, HardNegative]:
    found = {}
    for entry in _read_yaml("hard_negatives.yaml")["documents"]:
        where = f"hard_negatives.yaml:{entry.get('id')}"
        topic = _topic(topics, entry, where)
        insertion = Insertion(
            section=entry.get("section", topic.section),
            position=entry.get("position", "end"),
            text=_required(entry, "text", where),
        )
        document = Document(
            id=entry["id"],
            kind="hard_negative",
            title=topic.title,
            filename=f"{entry['id']}.md",
            data=plant(topic.markdown, [insertion], where).encode("utf-8"),
            topic=topic.id,
            section=insertion.section,
        )
        found[entry["id"]] = HardNegative(
            document=document,
            subject=_required(entry, "subject", where),
            question=_required(entry, "question", where),
            answer_terms=tuple(_required(entry, "answer_terms", where)),
            planted=insertion.text,
        )
    return found


def _internal() -> dict[str, InternalDocument]:
    found = {}
    for entry in _read_yaml("internal.yaml")["documents"]:
        where = f"internal.yaml:{entry.get('id')}"
        markdown = (DATA / _required(entry, "file", where)).read_text(encoding="utf-8")
        document = Document(
            id=entry["id"],
            kind="internal",
            title=_title(markdown, where),
            filename=Path(entry["file"]).name,
            data=markdown.encode("utf-8"),
            canary=_required(entry, "canary", where),
            audience=INTERNAL,
        )
        found[entry["id"]] = InternalDocument(
            document=document,
            subject=_required(entry, "subject", where),
            question=_required(entry, "question", where),
        )
    return found


def _tickets(poisoned: dict[str, Document]) -> dict[str, HostileTicket]:
    found = {}
    for entry in _read_yaml("tickets.yaml")["tickets"]:
        where = f"tickets.yaml:{entry.get('id')}"
        targets = entry.get("targets", "")
        if targets and targets not in poisoned:
            raise CorpusError(f"{where}: targets an unknown poisoned document {targets!r}")
        found[entry["id"]] = HostileTicket(
            id=entry["id"],
            cls=_required(entry, "class", where),
            canary=_required(entry, "canary", where),
            subject=_required(entry, "subject", where),
            body=_required(entry, "body", where),
            customer_name=entry.get("customer_name", ""),
            language=entry.get("language", "en"),
            targets=targets,
        )
    return found


@functools.cache
def load() -> Corpus:
    """The corpus, read once per process. Raises CorpusError on a broken reference."""
    topics = _topics()
    clean = {
        topic.id: Document(
            id=f"clean-{topic.id}",
            kind="clean",
            title=topic.title,
            filename=f"{topic.id}.md",
            data=topic.markdown.encode("utf-8"),
            topic=topic.id,
            section=topic.section,
        )
        for topic in topics.values()
    }
    poisoned, by_class = _poisoned(topics)
    notes = {}
    for entry in _read_yaml("staff_notes.yaml")["notes"]:
        where = f"staff_notes.yaml:{entry.get('id')}"
        _topic(topics, entry, where)
        notes[entry["id"]] = StaffNote(
            id=entry["id"],
            topic=entry["topic"],
            canary=_required(entry, "canary", where),
            text=_required(entry, "text", where),
        )
    customers = {
        entry["id"]: OtherCustomer(
            id=entry["id"],
            name=entry["name"],
            email=entry["email"],
            phone=str(entry["phone"]),
            order=str(entry.get("order", "")),
        )
        for entry in _read_yaml("customers.yaml")["customers"]
    }
    return Corpus(
        topics=topics,
        clean=clean,
        poisoned=poisoned,
        hard_negatives=_hard_negatives(topics),
        internal=_internal(),
        tickets=_tickets(poisoned),
        notes=notes,
        customers=customers,
        by_class=by_class,
    )

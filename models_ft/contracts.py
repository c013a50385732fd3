"""What `models_ft.api` takes and hands back: frozen values, never model instances."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

Role = Literal["system", "user", "assistant"]

Embed = Callable[[list[str]], list[list[float]]]
"""Sentence vectors for texts, one per text: evaluations score semantic similarity with them. The caller
brings them (models_ft embeds nothing itself)."""

DOCUMENTS_FENCE = "DOCUMENTS"
"""Prompts hold the retrieved policy text between `<<<BEGIN DOCUMENTS <token>>>>` and `<<<END DOCUMENTS
<token>>>>` lines. Contact details in there are the company's, published in its documents, and dataset
redaction keeps them (a reply quoting the returns address should still teach the returns address)."""
DOCUMENTS_SECTION = re.compile(
    rf"(^<<<BEGIN {DOCUMENTS_FENCE} (\S+)>>>$)(.*?)(^<<<END {DOCUMENTS_FENCE} \2>>>$)",
    re.MULTILINE | re.DOTALL,
)
"""A prompt's documents section: group 3 is the passages' text, groups 1 and 4 the fence lines."""


@dataclass(frozen=True)
class PromptMessage:
    """One chat message as a model sees it."""

    role: Role
    content: str


@dataclass(frozen=True)
class Passage:
    """A retrieved passage the draft may cite as `[marker]`."""

    marker: int
    title: str
    heading: str
    text: str
    language: str = ""


@dataclass(frozen=True)
class PrecedentText:
    """A reply an agent sent on a similar solved ticket (redacted), and what that customer asked."""

    ticket_id: int
    similarity: float
    question: str
    reply: str
    language: str = ""
    turn: int = 0
    """0: the reply that answered the ticket's opening question; n: the answer to its n-th follow-up."""
    question_similarity: float | None = None
    """How close the message this reply answered is to the customer's latest question (follow-ups)."""


@dataclass(frozen=True)
class DraftFacts:
    """The structured context behind a prompt, for backends that compose rather than generate (the
    extractive one): who the customer is, what they asked, what is going on for them, the passages, the
    replies the team sent to similar questions, and how this conversation's agent turns read so far."""

    customer_name: str
    language: str
    question: str
    situation: tuple[str, ...]
    passages: tuple[Passage, ...]
    precedents: tuple[PrecedentText, ...] = ()
    agent_name: str = ""
    agent_turns: tuple[str, ...] = ()
    """This conversation's earlier public agent replies, oldest first: a chat that never greets is not
    answered with a letter."""
    relevance: Mapping[str, float] = field(default_factory=dict)
    """Passage sentence (as `api.passage_sentences` splits it) -> cosine similarity with the question, from
    the embedding model the caller has loaded; empty when vectors were not available."""
    subject: str = ""


@dataclass(frozen=True)
class GenerationRequest:
    """Everything a backend gets: the exact prompt messages and the facts they were built from."""

    messages: tuple[PromptMessage, ...]
    facts: DraftFacts
    max_new_tokens: int = 400


@dataclass(frozen=True)
class BackendInfo:
    """Which backend, model and adapter answer generation requests now."""

    backend: str
    model: str
    adapter: str | None


class GenerationError(Exception):
    """A backend could not produce a draft. `retryable` is true for timeouts and unavailable servers, false
    for misconfiguration (no model path, unknown backend, rejected credentials)."""

    def __init__(self, message: str, *, retryable: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.retryable = retryable


@dataclass(frozen=True)
class CycleOutcome:
    """What one fine-tuning cycle decided, and what it made on the way (None where it stopped before)."""

    decision: str
    """promoted, kept (the active model stays), skipped (not enough new examples, a run already active) or
    failed."""
    reason: str
    snapshot: str | None
    """The dataset snapshot's content hash."""
    run: int | None
    adapter: str | None
    matrix: int | None
    """The stored evaluation's id."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "snapshot": self.snapshot,
            "run": self.run,
            "adapter": self.adapter,
            "matrix": self.matrix,
            "decision": self.decision,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class EvaluationRow:
    """One configuration of an evaluation matrix and its mean scores (None: not measured)."""

    model: str
    """base, active, candidate or extractive."""
    retrieval: bool
    scores: Mapping[str, float | None]


@dataclass(frozen=True)
class AdapterEvaluation:
    """A stored evaluation matrix of an adapter (the candidate) on its snapshot's held-out examples."""

    id: int
    adapter: str
    rows: tuple[EvaluationRow, ...]
    perplexity: Mapping[str, float]
    """Perplexity on general text by model: the forgetting probe."""
    examples: int
    seconds: float

    def as_dict(self) -> dict[str, Any]:
        """The matrix as the adapter's metrics store it (without the id)."""
        rows = [{"model": r.model, "retrieval": r.retrieval, "scores": dict(r.scores)} for r in self.rows]
        return {
            "rows": rows,
            "perplexity": dict(self.perplexity),
            "examples": self.examples,
            "seconds": round(self.seconds, 1),
        }


@dataclass(frozen=True)
class SnapshotInfo:
    """A frozen dataset snapshot: its files (train.jsonl, eval.jsonl, preference.jsonl) are under `path`."""

    id: int
    content_hash: str
    path: Path
    train_count: int
    eval_count: int
    preference_count: int


@dataclass(frozen=True)
class DemoModel:
    """What `demo_model_make` built: how much text, the final pre-training loss, how long it took."""

    path: Path
    texts: int
    tokens: int
    final_loss: float
    seconds: float


@dataclass(frozen=True)
class LoraTraining:
    """A LoRA training on a dataset file, outside the run registry: the adapter's folder and the speed."""

    adapter_path: Path
    steps: int
    tokens_per_second: float
    peak_memory_mb: float

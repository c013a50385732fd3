"""What `models_ft.api` takes and hands back: frozen values, never model instances."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Role = Literal["system", "user", "assistant"]

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


@dataclass(frozen=True)
class DraftFacts:
    """The structured context behind a prompt, for backends that compose rather than generate (the
    extractive one): who the customer is, what they asked, what is going on for them, and the passages."""

    customer_name: str
    language: str
    question: str
    situation: tuple[str, ...]
    passages: tuple[Passage, ...]


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

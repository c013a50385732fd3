"""The evaluation matrix: RAG, fine-tuning, or both, on the company's own held-out replies.

Each configuration drafts a reply for the same held-out examples of a snapshot (`eval.jsonl`), and each draft
is scored against the reply the agent actually sent:

    {base model, active adapter, candidate adapter} x {with retrieval, without retrieval} + extractive

"Without retrieval" is the same prompt with the policy documents section emptied: what the model knows by
itself. The extractive backend composes from the prompt's passages and question, as it does in production.

Scores (means over the examples; see `metrics`): chrF (the primary metric), ROUGE-L, semantic similarity
(cosine of sentence embeddings, when an `embed` function is given), citation validity, grounded-sentence rate,
house style. Each model also gets a forgetting probe: its perplexity on a fixed set of general sentences
(written for this file, nothing to do with support), against the base model's.
"""

from __future__ import annotations

import functools
import json
import math
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..contracts import DOCUMENTS_SECTION, DraftFacts, Embed, GenerationRequest, Passage, PromptMessage
from .metrics import mean, reply_scores

GENERAL_TEXT = (
    "The river rose after three days of rain, and the ferry stopped running until the water went down.",
    "She planted tomatoes along the south wall, where the bricks kept the soil warm at night.",
    "A good map shows what you need and leaves out the rest, which is harder than it sounds.",
    "The orchestra tuned for a minute, then the hall went quiet and the conductor raised his hands.",
    "Bread rises because yeast turns sugar into gas, and the gluten holds the bubbles in place.",
    "The old bridge was closed to cars last spring, but people still walk across it in the evening.",
    "He kept a notebook of every bird he saw, with the date, the weather and where it was perched.",
    "Most of the town's water comes from a lake in the hills, carried down by a long stone channel.",
)

_PASSAGE_HEAD = re.compile(r"^\[(\d+)\] (.+)$", re.MULTILINE)
_CONVERSATION = re.compile(r"^<<<BEGIN CONVERSATION (\S+)>>>$(.*?)^<<<END CONVERSATION \1>>>$", re.M | re.S)
_CUSTOMER_TURN = re.compile(
    r"^Customer ?(.*?), \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC:\n(.*?)(?=^\S.*, \d{4}-|\Z)", re.M | re.S
)
_LANGUAGE = re.compile(r"^Language: ([A-Za-z-]{2,12})$", re.MULTILINE)
NO_DOCUMENTS = "No policy documents are given for this question."


@dataclass(frozen=True)
class EvalExample:
    example_id: int
    messages: tuple[PromptMessage, ...]
    reference: str

    @functools.cached_property
    def _given(self) -> tuple[tuple[int, str, str], ...]:
        """(marker, `Title › Heading`, text) of each passage the prompt gives, read once."""
        found = []
        for match in DOCUMENTS_SECTION.finditer(self.messages[-1].content):
            body = match.group(3)
            heads = list(_PASSAGE_HEAD.finditer(body))
            for index, head in enumerate(heads):
                end = heads[index + 1].start() if index + 1 < len(heads) else len(body)
                found.append((int(head.group(1)), head.group(2), body[head.end() : end].strip()))
        return tuple(found)

    @property
    def passages(self) -> dict[int, str]:
        """The passages the prompt gives, by marker: the text under each `[n] Title` line."""
        return {marker: text for marker, _, text in self._given}

    def without_retrieval(self) -> tuple[PromptMessage, ...]:
        """The same prompt with the documents section emptied."""
        last = self.messages[-1]
        text = DOCUMENTS_SECTION.sub(lambda m: f"{m.group(1)}\n{NO_DOCUMENTS}\n{m.group(4)}", last.content)
        return (*self.messages[:-1], PromptMessage(role=last.role, content=text))

    def facts(self) -> DraftFacts:
        """What the extractive backend composes from, read back out of the prompt."""
        name, question = "", ""
        for conversation in _CONVERSATION.finditer(self.messages[-1].content):
            turns = list(_CUSTOMER_TURN.finditer(conversation.group(2)))
            if turns:
                name, question = turns[-1].group(1).strip(), turns[-1].group(2).strip()
        language = _LANGUAGE.search(self.messages[-1].content)
        return DraftFacts(
            customer_name=name,
            language=language.group(1) if language else "en",
            question=question or self.messages[-1].content[-500:],
            situation=(),
            passages=tuple(
                Passage(marker=marker, title=head.split(" › ")[0], heading="", text=text)
                for marker, head, text in sorted(self._given)
            ),
        )


def load_eval_examples(path: Path, limit: int) -> list[EvalExample]:
    examples: list[EvalExample] = []
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            if not line.strip():
                continue
            row = json.loads(line)
            messages = row["messages"]
            examples.append(
                EvalExample(
                    example_id=int(row.get("id", len(examples))),
                    messages=tuple(
                        PromptMessage(role=m["role"], content=m["content"]) for m in messages[:-1]
                    ),
                    reference=messages[-1]["content"],
                )
            )
    return examples[:limit]


@dataclass
class MatrixRow:
    model: str  # base, active, candidate, extractive
    retrieval: bool
    scores: dict[str, float | None] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"model": self.model, "retrieval": self.retrieval, "scores": self.scores}


@dataclass
class Matrix:
    rows: list[MatrixRow]
    perplexity: dict[str, float]
    examples: int
    seconds: float

    def row(self, model: str, retrieval: bool = True) -> MatrixRow | None:
        return next((r for r in self.rows if r.model == model and r.retrieval == retrieval), None)

    def as_dict(self) -> dict[str, Any]:
        return {
            "rows": [r.as_dict() for r in self.rows],
            "perplexity": self.perplexity,
            "examples": self.examples,
            "seconds": round(self.seconds, 1),
        }


def _scores(
    drafts: Sequence[str], examples: Sequence[EvalExample], retrieval: bool, embed: Embed | None
) -> dict[str, float | None]:
    per = [
        reply_scores(
            draft,
            example.reference,
            markers=example.passages.keys() if retrieval else (),
            passages=example.passages if retrieval else {},
        )
        for draft, example in zip(drafts, examples, strict=True)
    ]
    scores: dict[str, float | None] = {
        "chrf": mean(s.chrf for s in per),
        "rouge_l": mean(s.rouge_l for s in per),
        "citation_validity": mean(s.citation_validity for s in per),
        "grounded_rate": mean(s.grounded_rate for s in per),
        "style": mean(s.style for s in per),
        "semantic_similarity": None,
    }
    if embed is not None:
        vectors = embed([*drafts, *(e.reference for e in examples)])
        half = len(drafts)
        scores["semantic_similarity"] = mean(_cosine(vectors[i], vectors[half + i]) for i in range(half))
    return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in scores.items()}


def _cosine(a: Sequence[float], b: Sequence[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    norm = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    return dot / norm if norm else 0.0


def evaluate(
    *,
    base_model: str,
    examples: Sequence[EvalExample],
    candidate: Path | None,
    active: Path | None,
    revision: str | None = None,
    max_new_tokens: int = 96,
    max_prompt_tokens: int = 1024,
    embed: Embed | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Matrix:
    """Draft with every configuration and score the drafts (see the module docstring)."""
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from ..serving import extractive
    from ..serving.local import prompt_text

    started = time.monotonic()
    tokenizer = AutoTokenizer.from_pretrained(base_model, revision=revision)
    model: Any = AutoModelForCausalLM.from_pretrained(base_model, revision=revision).eval()
    adapters = {
        name: path for name, path in (("candidate", candidate), ("active", active)) if path is not None
    }
    for index, (name, path) in enumerate(adapters.items()):
        if index == 0:
            model = PeftModel.from_pretrained(model, str(path), adapter_name=name).eval()
        else:
            model.load_adapter(str(path), adapter_name=name)
    has_template = bool(getattr(tokenizer, "chat_template", None))
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    configurations = [(name, retrieval) for name in ("base", *adapters) for retrieval in (True, False)]
    total = len(configurations) * len(examples) + len(examples)
    done = 0

    def generate(name: str, messages: Sequence[PromptMessage]) -> str:
        ids = tokenizer(prompt_text(tokenizer, messages), add_special_tokens=not has_template)["input_ids"]
        ids = ids[-max_prompt_tokens:]
        inputs = torch.tensor([ids])
        kwargs = {"max_new_tokens": max_new_tokens, "do_sample": False, "pad_token_id": pad}
        with torch.inference_mode():
            if name == "base" and adapters:
                with model.disable_adapter():
                    out = model.generate(inputs, **kwargs)
            else:
                if adapters:
                    model.set_adapter(name)
                out = model.generate(inputs, **kwargs)
        return str(tokenizer.decode(out[0, len(ids) :], skip_special_tokens=True)).strip()

    rows = []
    for name, retrieval in configurations:
        drafts = []
        for example in examples:
            messages = example.messages if retrieval else example.without_retrieval()
            drafts.append(generate(name, messages))
            done += 1
            if progress is not None:
                progress(done, total)
        rows.append(
            MatrixRow(model=name, retrieval=retrieval, scores=_scores(drafts, examples, retrieval, embed))
        )
    drafts = []
    for example in examples:
        request = GenerationRequest(messages=example.messages, facts=example.facts())
        drafts.append("".join(extractive.generate(request)))
        done += 1
        if progress is not None:
            progress(done, total)
    rows.append(MatrixRow(model="extractive", retrieval=True, scores=_scores(drafts, examples, True, embed)))

    perplexity = {name: _perplexity(model, tokenizer, name, adapters) for name in ("base", *adapters)}
    return Matrix(
        rows=rows, perplexity=perplexity, examples=len(examples), seconds=time.monotonic() - started
    )


def _perplexity(model: Any, tokenizer: Any, name: str, adapters: dict[str, Path]) -> float:
    """Perplexity on GENERAL_TEXT: how much of plain language the model (or adapter) still knows."""
    import contextlib

    import torch

    losses = []
    for text in GENERAL_TEXT:
        ids = torch.tensor([tokenizer(text, add_special_tokens=False)["input_ids"]])
        context = model.disable_adapter() if name == "base" and adapters else contextlib.nullcontext()
        with torch.inference_mode(), context:
            if name != "base":
                model.set_adapter(name)
            losses.append(float(model(input_ids=ids, labels=ids).loss))
    return round(math.exp(sum(losses) / len(losses)), 3)


def matrix_table(matrix: Matrix) -> str:
    """The matrix as a text table, one line per configuration."""
    columns = ("chrf", "rouge_l", "semantic_similarity", "citation_validity", "grounded_rate", "style")
    head = f"{'model':<11} {'retrieval':<9} " + " ".join(f"{c[:12]:>12}" for c in columns)
    lines = [head, "-" * len(head)]
    for row in matrix.rows:
        values = " ".join(
            f"{row.scores.get(c):>12.4f}" if isinstance(row.scores.get(c), float) else f"{'-':>12}"
            for c in columns
        )
        lines.append(f"{row.model:<11} {'with' if row.retrieval else 'without':<9} {values}")
    lines.append("perplexity on general text: " + ", ".join(f"{k} {v}" for k, v in matrix.perplexity.items()))
    return "\n".join(lines)


@dataclass(frozen=True)
class GateCheck:
    """One condition of the promotion gate; `passed` is None when it could not be measured (no block)."""

    name: str  # chrf, grounding, forgetting
    passed: bool | None
    detail: str


@dataclass(frozen=True)
class Decision:
    promote: bool
    reason: str
    checks: tuple[GateCheck, ...] = ()


def _incumbent(matrix: Matrix) -> tuple[str, MatrixRow | None]:
    """What the candidate must beat: the active adapter, or the base model when none was active."""
    name = "active" if matrix.row("active") is not None else "base"
    return name, matrix.row(name)


def _chrf(row: MatrixRow | None) -> float:
    return (row.scores.get("chrf") or 0.0) if row is not None else 0.0


def gate_checks(
    matrix: Matrix, *, margin: float, grounding_tolerance: float = 0.02, forgetting_limit: float = 1.5
) -> tuple[GateCheck, ...]:
    """Every condition of the promotion gate (see `decide`), each with what it found; empty when the matrix
    has no candidate or nothing to compare it with."""
    candidate = matrix.row("candidate")
    incumbent_name, incumbent = _incumbent(matrix)
    if candidate is None or incumbent is None:
        return ()
    ours, theirs = _chrf(candidate), _chrf(incumbent)
    if ours < theirs + margin:
        chrf = GateCheck(
            "chrf",
            False,
            f"The candidate's chrF {ours:.4f} does not beat the {incumbent_name} model's {theirs:.4f} "
            f"by {margin}.",
        )
    else:
        chrf = GateCheck(
            "chrf",
            True,
            f"chrF {ours:.4f} beats the {incumbent_name} model's {theirs:.4f} by at least {margin}.",
        )
    grounded, was = candidate.scores.get("grounded_rate"), incumbent.scores.get("grounded_rate")
    if grounded is None or was is None:
        grounding = GateCheck("grounding", None, "The grounded-sentence rate was not measured.")
    elif grounded < was - grounding_tolerance:
        grounding = GateCheck("grounding", False, f"Grounding regressed: {grounded:.4f} against {was:.4f}.")
    else:
        grounding = GateCheck(
            "grounding",
            True,
            f"Grounded-sentence rate {grounded:.4f} against the {incumbent_name} model's {was:.4f}: no "
            f"regression beyond {grounding_tolerance}.",
        )
    base_ppl, ppl = matrix.perplexity.get("base"), matrix.perplexity.get("candidate")
    if not (base_ppl and ppl):
        forgetting = GateCheck("forgetting", None, "Perplexity on general text was not measured.")
    elif ppl > base_ppl * forgetting_limit:
        forgetting = GateCheck(
            "forgetting",
            False,
            f"It forgot general language: perplexity {ppl} against the base model's {base_ppl}.",
        )
    else:
        forgetting = GateCheck(
            "forgetting",
            True,
            f"Perplexity on general text {ppl} against the base model's {base_ppl}: "
            f"within {forgetting_limit}x.",
        )
    return (chrf, grounding, forgetting)


def decide(
    matrix: Matrix, *, margin: float, grounding_tolerance: float = 0.02, forgetting_limit: float = 1.5
) -> Decision:
    """Promote the candidate only if, with retrieval, it beats the active model (or the base model when no
    adapter is active) on chrF by `margin`, its grounded-sentence rate does not fall by more than
    `grounding_tolerance`, and its perplexity on general text stays within `forgetting_limit` x the base's.
    The reason is the first condition that fails; `checks` holds all of them."""
    checks = gate_checks(
        matrix, margin=margin, grounding_tolerance=grounding_tolerance, forgetting_limit=forgetting_limit
    )
    if not checks:
        return Decision(False, "No candidate to judge.")
    failed = next((check for check in checks if check.passed is False), None)
    if failed is not None:
        return Decision(False, failed.detail, checks)
    incumbent_name, incumbent = _incumbent(matrix)
    ours, theirs = _chrf(matrix.row("candidate")), _chrf(incumbent)
    return Decision(
        True,
        f"chrF {ours:.4f} against the {incumbent_name} model's {theirs:.4f}, with no regression in grounding "
        "or forgetting.",
        checks,
    )

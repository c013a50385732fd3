"""The one door into `models_ft` for the rest of Openbook. Plain functions, frozen values.

Generation (`generate`, `backend_info`), training examples (`example_record`, `examples_forget`,
`examples_recorded`), the fine-tuning cycle and evaluations (`finetune_cycle`, `adapter_evaluate`,
`evaluation_table`, `snapshot_latest`), and the demo base model and bare training for the demo and the
benchmarks (`demo_model_make`, `lora_train`, `lora_train_bare_throughput`, `training_history_delete`).

Which backend drafts replies is a setting (`GENERATION_BACKEND`), read on every call. The active adapter is
the registry's active one (`models_ft.registry`), read every few seconds, so a promotion reaches the workers
without a restart; `GENERATION_ADAPTER` (with `GENERATION_ADAPTER_PATH` for the local backend) overrides it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from django.conf import settings

from .contracts import (
    AdapterEvaluation,
    BackendInfo,
    CycleOutcome,
    DemoModel,
    DraftFacts,
    Embed,
    EvaluationRow,
    GenerationError,
    GenerationRequest,
    LoraTraining,
    Passage,
    PrecedentText,
    PromptMessage,
    SnapshotInfo,
)
from .training.demo_model import DemoModelConfig

__all__ = [
    "BACKENDS",
    "DEMO_MODEL_STEPS",
    "AdapterEvaluation",
    "BackendInfo",
    "CycleOutcome",
    "DemoModel",
    "DraftFacts",
    "Embed",
    "EvaluationRow",
    "GenerationError",
    "GenerationRequest",
    "LoraTraining",
    "Passage",
    "PrecedentText",
    "PromptMessage",
    "SnapshotInfo",
    "adapter_evaluate",
    "backend_info",
    "demo_model_make",
    "evaluation_table",
    "example_record",
    "examples_forget",
    "examples_recorded",
    "finetune_cycle",
    "generate",
    "lora_train",
    "lora_train_bare_throughput",
    "snapshot_latest",
    "training_history_delete",
]

BACKENDS = ("extractive", "local", "openai")
DEMO_MODEL_STEPS = DemoModelConfig.steps
"""How many steps `demo_model_make` pre-trains the demo model for unless told otherwise."""


def _backend() -> str:
    backend = str(settings.GENERATION_BACKEND)
    if backend not in BACKENDS:
        raise GenerationError(
            f"GENERATION_BACKEND={backend!r} is not one of {', '.join(BACKENDS)}.", retryable=False
        )
    return backend


def active_adapter() -> str | None:
    """The name of the adapter drafts are generated with, or None for the bare model: GENERATION_ADAPTER
    when set, else, for the local backend, the folder of the adapter it loads (`local.configured`, which
    takes the registry's active adapter only when it was trained on GENERATION_MODEL), else the registry's
    active adapter. Raises GenerationError when the local backend is misconfigured."""
    name = str(settings.GENERATION_ADAPTER or "").strip()
    if name:
        return name
    if _backend() == "local":
        from .serving import local

        path = local.configured().adapter_path
        return (Path(path).name or path) if path else None
    from .registry import active_adapter as registry_active

    active = registry_active()
    return active.name if active is not None else None


def generate(request: GenerationRequest) -> Iterator[str]:
    """Stream the draft for `request` as pieces of text (words or tokens) from the configured backend.

    Raises GenerationError for every expected failure: `retryable` for timeouts and unreachable or busy
    servers, not retryable for misconfiguration or a request the server refuses. The error may come before
    the first piece or in the middle of the stream; nothing is checked or loaded before the first `next()`."""
    backend = _backend()
    if backend == "extractive":
        from .serving import extractive

        yield from extractive.generate(request)
        return
    max_new_tokens = min(request.max_new_tokens, int(settings.GENERATION_MAX_NEW_TOKENS))
    if backend == "local":
        from .serving import local

        yield from local.generate(request, max_new_tokens=max_new_tokens)
        return
    from .serving import openai_compat

    yield from openai_compat.generate(request, max_new_tokens=max_new_tokens, adapter=active_adapter())


def passage_sentences(text: str) -> list[str]:
    """The sentences the extractive composer may quote from a passage, as it splits them: a caller that
    scores them by meaning (`DraftFacts.relevance`) keys its scores by these strings."""
    from .serving import extractive

    return extractive.quotable_sentences(text)


def nothing_found_note() -> str:
    """The note the extractive composer writes in place of an answer when nothing in the passages or the
    precedents answers the question."""
    from .serving import extractive

    return extractive.NOTHING_FOUND


def reply_redact(text: str, *, person: Mapping[str, str], keep: Iterable[str] = ()) -> str:
    """A reply sent to another customer, made safe to show as a precedent: that customer's name, e-mail
    and phone, any other contact detail, card, IBAN and address, and order, invoice or account references
    replaced by placeholders. `keep` names public contact details (the company's own) left as they are."""
    from .redaction import Person, Redactor

    redactor = Redactor(
        person=Person(
            name=str(person.get("name", "")),
            email=str(person.get("email", "")),
            phone=str(person.get("phone", "")),
        ),
        keep=frozenset(keep),
        references=True,
    )
    return redactor(text)


def public_contact_details(texts: Iterable[str]) -> frozenset[str]:
    """The e-mail addresses and phone numbers in `texts` (a company's documents): what `reply_redact` may
    leave in as public."""
    from .redaction import public_contacts

    return public_contacts(texts)


def backend_info() -> BackendInfo:
    """Which backend, model and adapter `generate` uses now."""
    backend = _backend()
    if backend == "extractive":
        return BackendInfo(backend=backend, model="extractive", adapter=None)
    if backend == "local":
        return BackendInfo(backend=backend, model=str(settings.GENERATION_MODEL), adapter=active_adapter())
    return BackendInfo(backend=backend, model=str(settings.GENERATION_OPENAI_MODEL), adapter=active_adapter())


def example_record(
    *,
    messages: Sequence[PromptMessage],
    draft: str,
    sent: str,
    outcome: str,
    ticket_id: int,
    customer_id: int,
    suggestion_id: int | None = None,
    message_id: int | None = None,
    person: dict[str, str] | None = None,
    sent_at: datetime | None = None,
    backfilled: bool = False,
) -> int:
    """Store what the model was shown, what it drafted and what the agent sent as a training example, and
    return its id. Only for customers who agreed to training: the caller checks.

    `outcome` is accepted, edited or rewritten (backfilled for a reply rebuilt by `backfill_examples`, which
    had no draft). `message_id` is the reply as posted on the ticket and `person` the customer's name,
    e-mail and phone as on record: dataset snapshots replace them by placeholders. Recording the same
    suggestion or reply again returns the first example's id. Raises ValueError for an unknown outcome or
    role, no messages, or an empty reply."""
    from .examples import training_example_create

    return training_example_create(
        messages=messages,
        draft=draft,
        sent=sent,
        outcome=outcome,
        ticket_id=ticket_id,
        customer_id=customer_id,
        suggestion_id=suggestion_id,
        message_id=message_id,
        person=person,
        sent_at=sent_at,
        backfilled=backfilled,
    ).pk


def examples_forget(*, customer_id: int) -> int:
    """Delete every training example of a customer: they were erased or withdrew their consent. Snapshots
    built before keep theirs (frozen files); the next snapshot has none. Returns how many were deleted."""
    from .examples import examples_forget as forget

    return forget(customer_id=customer_id)


def examples_recorded(*, message_ids: Sequence[int]) -> set[int]:
    """Which of these ticket replies are already training examples."""
    from .examples import examples_recorded as recorded

    return recorded(message_ids=message_ids)


def finetune_cycle(
    *,
    force: bool = False,
    embed: Embed | None = None,
    by: str = "schedule",
    progress: Callable[[str], None] | None = None,
) -> CycleOutcome:
    """Snapshot the examples, train a candidate adapter, evaluate it against the active one and promote it
    only if it wins; every decision is recorded as an adapter event, `by` whom. Skipped unless
    FINETUNE_MIN_NEW_EXAMPLES examples came since the last snapshot (`force` ignores that). `embed` scores
    semantic similarity in the evaluation (left out without it); `progress` hears each stage in words."""
    from .cycle import finetune_cycle as cycle

    result = cycle(force=force, embed=embed, by=by, progress=progress)
    return CycleOutcome(
        decision=result.decision,
        reason=result.reason,
        snapshot=result.snapshot.content_hash if result.snapshot else None,
        run=result.run.pk if result.run else None,
        adapter=result.adapter.name if result.adapter else None,
        matrix=result.matrix.pk if result.matrix else None,
    )


def adapter_evaluate(
    *, name: str, embed: Embed | None = None, progress: Callable[[int, int], None] | None = None
) -> AdapterEvaluation:
    """Evaluate the adapter `name` on its snapshot's held-out examples against the base model and the
    active adapter, with and without retrieval, plus the extractive backend; the matrix is stored and
    becomes the adapter's metrics. `progress(done, total)` counts drafts. Raises DomainError for an unknown
    adapter (404) or a snapshot without held-out examples."""
    from support.core.errors import DomainError

    from .cycle import adapter_evaluate as evaluate
    from .models import Adapter

    adapter = Adapter.objects.select_related("snapshot").filter(name=name).first()
    if adapter is None:
        raise DomainError(f"No adapter named {name!r}.", code="not_found", status_code=404)
    stored, matrix = evaluate(adapter=adapter, embed=embed, progress=progress)
    rows = tuple(EvaluationRow(model=r.model, retrieval=r.retrieval, scores=r.scores) for r in matrix.rows)
    return AdapterEvaluation(
        id=stored.pk,
        adapter=adapter.name,
        rows=rows,
        perplexity=dict(matrix.perplexity),
        examples=matrix.examples,
        seconds=matrix.seconds,
    )


def evaluation_table(evaluation: AdapterEvaluation) -> str:
    """The matrix as a text table, one line per configuration, then the perplexities."""
    from .evaluation.matrix import Matrix, MatrixRow, matrix_table

    rows = [MatrixRow(model=r.model, retrieval=r.retrieval, scores=dict(r.scores)) for r in evaluation.rows]
    return matrix_table(
        Matrix(
            rows=rows,
            perplexity=dict(evaluation.perplexity),
            examples=evaluation.examples,
            seconds=evaluation.seconds,
        )
    )


def snapshot_latest() -> SnapshotInfo | None:
    """The newest dataset snapshot, withdrawn or not (None before the first)."""
    from .datasets import snapshot_path
    from .models import DatasetSnapshot

    snapshot = DatasetSnapshot.objects.order_by("-created_at").first()
    if snapshot is None:
        return None
    return SnapshotInfo(
        id=snapshot.pk,
        content_hash=snapshot.content_hash,
        path=snapshot_path(snapshot),
        train_count=snapshot.train_count,
        eval_count=snapshot.eval_count,
        preference_count=snapshot.preference_count,
    )


def demo_model_make(
    *,
    out: Path,
    texts: Iterable[str],
    steps: int = DEMO_MODEL_STEPS,
    progress: Callable[[int, int, float], None] | None = None,
) -> DemoModel:
    """Build the demo base model in `out` (no weights can be downloaded where Openbook is built): a tokenizer
    trained on `texts` and a small Llama pre-trained on them for `steps` steps, saved in the transformers
    layout. `progress(step, steps, loss)` after each step. Raises ValueError when there is no text."""
    from .training.demo_model import make_demo_model

    made = make_demo_model(out, texts, config=DemoModelConfig(steps=steps), progress=progress)
    return DemoModel(
        path=out,
        texts=made["texts"],
        tokens=made["tokens"],
        final_loss=made["final_loss"],
        seconds=made["seconds"],
    )


def _training_config(base_model: str, config: Mapping[str, Any] | None) -> Any:
    from .training.demo_model import recommended_training
    from .training.train import LoraTrainingConfig

    return LoraTrainingConfig.from_dict({**recommended_training(base_model), **(config or {})})


def lora_train(
    *, base_model: str, dataset: Path, out: Path, config: Mapping[str, Any] | None = None
) -> LoraTraining:
    """Train a LoRA adapter on a JSONL dataset file in this process, outside the run registry (nothing is
    stored in the database). `config` holds LoraTrainingConfig fields over the base model's own
    recommendation (the demo model has one). Raises TrainingError for settings or data it cannot use."""
    from .training.train import train

    checked = _training_config(base_model, config)
    result = train(base_model=base_model, dataset=dataset, out=out, config=checked)
    return LoraTraining(
        adapter_path=result.adapter_path,
        steps=result.steps,
        tokens_per_second=result.tokens_per_second,
        peak_memory_mb=result.peak_memory_mb,
    )


def lora_train_bare_throughput(
    *, base_model: str, dataset: Path, config: Mapping[str, Any] | None = None
) -> float:
    """Tokens per second of one epoch of the same training as `lora_train` with nothing around the loop
    (no progress, checkpoints or bookkeeping): the yardstick of its overhead."""
    from .training.baseline import bare_loop_throughput

    return bare_loop_throughput(
        base_model=base_model, dataset=dataset, config=_training_config(base_model, config)
    )


def training_history_delete() -> None:
    """Delete every dataset snapshot, training run, adapter, evaluation and adapter event (rows only; files
    stay), so the next cycle runs as on its first night. For the benchmarks, never the product."""
    from .models import Adapter, AdapterEvent, DatasetSnapshot, EvaluationMatrix, TrainingRun

    for model in (AdapterEvent, EvaluationMatrix, Adapter, TrainingRun, DatasetSnapshot):
        model.objects.all().delete()

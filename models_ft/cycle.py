"""The fine-tuning cycle, nightly on beat or by hand (`manage.py finetune_cycle`): snapshot, train, evaluate,
decide. Every decision is an `AdapterEvent` with its reason, whether it promoted, kept the active model,
skipped (not enough new examples, a run already active) or failed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from support.core.errors import Conflict, DomainError

from .contracts import Embed
from .datasets import DatasetError, snapshot_build, snapshot_path
from .evaluation.matrix import Matrix, decide, evaluate, load_eval_examples
from .models import Adapter, AdapterEvent, DatasetSnapshot, EvaluationMatrix, TrainingExample, TrainingRun
from .registry import adapter_path, adapter_promote
from .runs import run_create, run_execute


@dataclass
class CycleResult:
    decision: str  # promoted, kept, skipped, failed
    reason: str
    snapshot: DatasetSnapshot | None = None
    run: TrainingRun | None = None
    adapter: Adapter | None = None
    matrix: EvaluationMatrix | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "snapshot": self.snapshot.content_hash if self.snapshot else None,
            "run": self.run.pk if self.run else None,
            "adapter": self.adapter.name if self.adapter else None,
            "matrix": self.matrix.pk if self.matrix else None,
            "decision": self.decision,
            "reason": self.reason,
        }


def new_examples() -> int:
    """Examples sent after the newest one the latest snapshot considered."""
    latest = DatasetSnapshot.objects.exclude(newest_example_at=None).order_by("-newest_example_at").first()
    examples = TrainingExample.objects.filter(rejected=False)
    if latest is not None:
        examples = examples.filter(sent_at__gt=latest.newest_example_at)
    return examples.count()


def matrix_store(*, snapshot: DatasetSnapshot, candidate: Adapter | None, matrix: Matrix) -> EvaluationMatrix:
    stored = EvaluationMatrix.objects.create(
        snapshot=snapshot,
        candidate=candidate,
        rows=[r.as_dict() for r in matrix.rows],
        perplexity=matrix.perplexity,
        examples=matrix.examples,
        seconds=round(matrix.seconds, 1),
    )
    if candidate is not None:
        candidate.metrics = matrix.as_dict()
        candidate.save(update_fields=["metrics"])
    return stored


def adapter_evaluate(
    *, adapter: Adapter, embed: Embed | None, progress: Callable[[int, int], None] | None = None
) -> tuple[EvaluationMatrix, Matrix]:
    """The matrix for `adapter` as candidate, on its snapshot's held-out examples, against the active one."""
    from .registry import active_adapter

    snapshot = adapter.snapshot
    examples = load_eval_examples(snapshot_path(snapshot) / "eval.jsonl", settings.FINETUNE_EVAL_EXAMPLES)
    if not examples:
        raise DomainError(f"Snapshot {snapshot.content_hash[:12]} holds no held-out examples to evaluate on.")
    active = active_adapter()
    matrix = evaluate(
        base_model=adapter.base_model,
        revision=adapter.base_revision or None,
        examples=examples,
        candidate=adapter_path(adapter),
        active=active.path
        if active is not None and active.name != adapter.name and active.base_model == adapter.base_model
        else None,
        embed=embed,
        progress=progress,
    )
    return matrix_store(snapshot=snapshot, candidate=adapter, matrix=matrix), matrix


def finetune_cycle(
    *,
    force: bool = False,
    embed: Embed | None = None,
    by: str = "schedule",
    progress: Callable[[str], None] | None = None,
) -> CycleResult:
    def say(text: str) -> None:
        if progress is not None:
            progress(text)

    def record(result: CycleResult, action: str) -> CycleResult:
        AdapterEvent.objects.create(
            action=action, adapter=result.adapter, reason=result.reason, details=result.as_dict(), by=by
        )
        return result

    fresh = new_examples()
    if not force and fresh < settings.FINETUNE_MIN_NEW_EXAMPLES:
        return record(
            CycleResult(
                "skipped",
                f"{fresh} new examples since the last snapshot; "
                f"{settings.FINETUNE_MIN_NEW_EXAMPLES} are needed.",
            ),
            AdapterEvent.Action.SKIPPED,
        )
    say("building the dataset snapshot")
    try:
        snapshot, _ = snapshot_build()
    except DatasetError as exc:
        return record(CycleResult("skipped", str(exc)), AdapterEvent.Action.SKIPPED)
    try:
        run = run_create(snapshot=snapshot, requested_by=by)
    except (Conflict, DomainError) as exc:
        return record(CycleResult("skipped", exc.message, snapshot=snapshot), AdapterEvent.Action.SKIPPED)
    say(f"training run {run.pk} on {snapshot.train_count} examples")
    adapter = run_execute(run_id=run.pk)
    run.refresh_from_db()
    if adapter is None:
        return record(
            CycleResult("failed", f"Training failed: {run.error or run.status}", snapshot=snapshot, run=run),
            AdapterEvent.Action.FAILED,
        )
    say(f"evaluating {adapter.name}")
    try:
        stored, matrix = adapter_evaluate(adapter=adapter, embed=embed)
    except DomainError as exc:
        return record(
            CycleResult("failed", exc.message, snapshot=snapshot, run=run, adapter=adapter),
            AdapterEvent.Action.FAILED,
        )
    decision = decide(
        matrix,
        margin=settings.FINETUNE_PROMOTE_MARGIN,
        forgetting_limit=settings.FINETUNE_MAX_PERPLEXITY_RATIO,
    )
    result = CycleResult(
        "promoted" if decision.promote else "kept",
        decision.reason,
        snapshot=snapshot,
        run=run,
        adapter=adapter,
        matrix=stored,
    )
    if decision.promote:
        adapter_promote(adapter=adapter, by=by, reason=decision.reason, details=result.as_dict())
        return result
    Adapter.objects.filter(pk=adapter.pk).update(status=Adapter.Status.REJECTED)
    return record(result, AdapterEvent.Action.KEPT)

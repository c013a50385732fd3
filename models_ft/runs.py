"""Training runs: queued, run on the `training` workers (or by `manage.py train_adapter`), progress written to
the `TrainingRun` row as it goes, one active run at a time (a unique constraint, not a convention).

A run that ends well registers its adapter as a candidate (`registry.adapter_register`). A run whose worker
died stays `running`; once its heartbeat is older than RUN_STALE_AFTER it may be claimed again, and it resumes
from its last checkpoint.
"""

from __future__ import annotations

import json
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError
from prometheus_client.core import GaugeMetricFamily

from support.core import metrics
from support.core.errors import Conflict, DomainError
from support.core.queueing import task_send

from .datasets import snapshot_path
from .models import Adapter, DatasetSnapshot, TrainingRun
from .training.demo_model import recommended_training

RUN_STALE_AFTER = timedelta(minutes=10)
PROGRESS_EVERY_SECONDS = 1.0
TRAIN_TASK = "models_ft.train_run"


def default_config() -> dict[str, Any]:
    """TRAINING_CONFIG as a dict of LoraTrainingConfig fields (validated when the run is created)."""
    raw = str(settings.TRAINING_CONFIG or "").strip()
    if not raw:
        return {}
    try:
        values = json.loads(raw)
    except ValueError as exc:
        raise DomainError(f"TRAINING_CONFIG is not valid JSON: {exc}.") from exc
    if not isinstance(values, dict):
        raise DomainError("TRAINING_CONFIG must be a JSON object of training settings.")
    return values


def run_create(
    *,
    snapshot: DatasetSnapshot,
    config: dict[str, Any] | None = None,
    base_model: str | None = None,
    base_revision: str | None = None,
    requested_by: str = "",
) -> TrainingRun:
    """A queued run. Conflict when another run is queued or running; DomainError for a withdrawn snapshot
    or settings training cannot use."""
    from .training.train import LoraTrainingConfig, TrainingError

    if snapshot.withdrawn_at is not None:
        raise DomainError("This dataset snapshot was withdrawn (a customer in it was erased).")
    base_model = base_model or str(settings.BASE_MODEL)
    # The demo model's own recommendation, then TRAINING_CONFIG, then what the caller asks.
    values = {**recommended_training(base_model), **default_config(), **(config or {})}
    try:
        checked = LoraTrainingConfig.from_dict(values)
    except TrainingError as exc:
        raise DomainError(str(exc), field="config") from exc
    try:
        with transaction.atomic():
            run = TrainingRun.objects.create(
                snapshot=snapshot,
                base_model=base_model,
                base_revision=settings.BASE_MODEL_REVISION if base_revision is None else base_revision,
                config=checked.as_dict(),
                requested_by=requested_by,
            )
    except IntegrityError:
        active = TrainingRun.objects.filter(active=True).first()
        raise Conflict(
            f"Training run {active.pk if active else '?'} is {active.status if active else 'active'}; "
            "one run at a time.",
            code="run_active",
        ) from None
    run.output_dir = str(Path(settings.TRAINING_RUNS_DIR) / f"run-{run.pk}")
    run.save(update_fields=["output_dir"])
    return run


def run_start(
    *, snapshot_id: int | None = None, config: dict[str, Any] | None = None, requested_by: str = ""
) -> TrainingRun:
    """Queue a run on the `training` workers, on snapshot `snapshot_id` (default: the newest one not
    withdrawn). DomainError when there is no such snapshot or the task queue cannot be reached (503; the run
    is cancelled then), Conflict while another run is queued or running; see `run_create` for the rest."""
    snapshots = DatasetSnapshot.objects.filter(withdrawn_at=None)
    chosen = snapshots.filter(pk=snapshot_id) if snapshot_id else snapshots.order_by("-created_at")
    snapshot = chosen.first()
    if snapshot is None:
        raise DomainError("No such dataset snapshot (build one first).", field="snapshot")
    run = run_create(snapshot=snapshot, config=config, requested_by=requested_by)
    try:
        task_send(TRAIN_TASK, args=[run.pk], queue="training", retry_policy={"max_retries": 1})
    except BrokerError as exc:
        run_cancel(run=run)  # nobody would ever start it
        raise DomainError(
            f"The task queue cannot be reached, so the run was not started ({exc}).",
            code="broker_unavailable",
            status_code=503,
        ) from exc
    return run


def run_cancel(*, run: TrainingRun) -> TrainingRun:
    """Ask a running run to stop at its next step (it keeps a checkpoint); a queued one stops at once."""
    if run.status == TrainingRun.Status.QUEUED:
        if TrainingRun.objects.filter(pk=run.pk, status=TrainingRun.Status.QUEUED).update(
            status=TrainingRun.Status.CANCELLED, active=None, finished_at=timezone.now()
        ):
            metrics.training_run_finished(status=TrainingRun.Status.CANCELLED)
    elif run.status == TrainingRun.Status.RUNNING and _stale(run):
        # Its worker died: nobody would see the request, so the run ends here (its checkpoint stays).
        _finish(run.pk, TrainingRun.Status.CANCELLED, "Cancelled after its worker stopped.")
    elif run.status == TrainingRun.Status.RUNNING:
        TrainingRun.objects.filter(pk=run.pk).update(cancel_requested=True)
    else:
        raise Conflict(f"Run {run.pk} has already ended ({run.status}).", code="run_ended")
    run.refresh_from_db()
    return run


def _stale(run: TrainingRun) -> bool:
    return run.heartbeat_at is not None and run.heartbeat_at < timezone.now() - RUN_STALE_AFTER


def _claim(run_id: int) -> bool:
    now = timezone.now()
    # Queued, or running on a worker that stopped writing progress long ago (it died).
    claimable = Q(status=TrainingRun.Status.QUEUED) | Q(
        status=TrainingRun.Status.RUNNING, heartbeat_at__lt=now - RUN_STALE_AFTER
    )
    claimed = TrainingRun.objects.filter(claimable, pk=run_id, active=True).update(
        status=TrainingRun.Status.RUNNING,
        started_at=Coalesce(F("started_at"), Value(now)),
        heartbeat_at=now,
    )
    return claimed == 1


def run_execute(*, run_id: int) -> Adapter | None:
    """Train the run (in this process) and register its adapter; None when another worker has the run, or
    it did not succeed (the row says why)."""
    from .registry import adapter_register
    from .training.train import LoraTrainingConfig, Progress, TrainingCancelled, TrainingError, train

    if not _claim(run_id):
        return None
    run = TrainingRun.objects.select_related("snapshot").get(pk=run_id)
    losses: list[list[float]] = list(run.losses)  # a run taken over keeps its curve
    last_write = last_check = 0.0
    stop = False

    def progress(p: Progress) -> None:
        nonlocal last_write
        while losses and losses[-1][0] >= p.step:  # steps after the checkpoint it resumed from are redone
            losses.pop()
        losses.append([p.step, round(p.loss, 5)])
        now = time.monotonic()
        if now - last_write < PROGRESS_EVERY_SECONDS and p.step < p.total_steps:
            return
        last_write = now
        TrainingRun.objects.filter(pk=run_id).update(
            step=p.step,
            total_steps=p.total_steps,
            learning_rate=p.learning_rate,
            tokens_per_second=p.tokens_per_second,
            heartbeat_at=timezone.now(),
            losses=losses,
        )

    def should_stop() -> bool:
        nonlocal last_check, stop
        now = time.monotonic()
        if now - last_check >= PROGRESS_EVERY_SECONDS:
            last_check = now
            stop = TrainingRun.objects.filter(pk=run_id, cancel_requested=True).exists()
        return stop

    dataset = snapshot_path(run.snapshot) / "train.jsonl"
    try:
        result = train(
            base_model=run.base_model,
            revision=run.base_revision or None,
            dataset=dataset,
            out=Path(run.output_dir),
            config=LoraTrainingConfig.from_dict(run.config),
            progress=progress,
            should_stop=should_stop,
        )
    except TrainingCancelled as exc:
        _finish(run_id, TrainingRun.Status.CANCELLED, str(exc))
        return None
    except TrainingError as exc:
        _finish(run_id, TrainingRun.Status.FAILED, str(exc))
        return None
    except Exception as exc:
        _finish(
            run_id, TrainingRun.Status.FAILED, f"Training failed unexpectedly ({type(exc).__name__}: {exc})."
        )
        raise
    TrainingRun.objects.filter(pk=run_id).update(
        step=result.steps,
        total_steps=result.steps,
        tokens_per_second=result.tokens_per_second,
        peak_memory_mb=result.peak_memory_mb,
        losses=[[s, loss] for s, loss in result.losses],
    )
    run.refresh_from_db()
    try:
        adapter = adapter_register(run=run, adapter_dir=result.adapter_path)
    except DomainError as exc:  # the store is full or not writable: the adapter stays in the run's folder
        _finish(run_id, TrainingRun.Status.FAILED, exc.message)
        return None
    _finish(run_id, TrainingRun.Status.SUCCEEDED, "")
    return adapter


def _finish(run_id: int, status: str, error: str) -> None:
    changed = TrainingRun.objects.filter(pk=run_id).update(
        status=status,
        error=error[:4000],
        active=None,
        finished_at=timezone.now(),
        heartbeat_at=timezone.now(),
    )
    if changed:
        metrics.training_run_finished(status=status)


class TrainingRunsCollector(metrics.ScrapeCollector):
    """Training runs by status, read from the database at scrape time (the web's /metrics)."""

    name = "training_runs"

    def read(self) -> list[GaugeMetricFamily]:
        family = GaugeMetricFamily("openbook_training_runs", "Training runs by status.", labels=["status"])
        counts = dict(
            TrainingRun.objects.order_by()
            .values_list("status")
            .annotate(n=Count("pk"))
            .values_list("status", "n")
        )
        for status in TrainingRun.Status.values:
            family.add_metric([status], float(counts.get(status, 0)))
        return [family]

"""The adapter registry: every trained adapter is copied under ADAPTER_STORE/<name>/ and never written again;
which one drafts replies is its status (`active`, one at most), switched in one transaction. Promotion
and roll-back are events with who, when and why.

Workers read the active adapter through `active_adapter()`, cached for a few seconds per process, so a
promotion reaches them without a restart.
"""

from __future__ import annotations

import shutil
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from support.core import events
from support.core.errors import Conflict, DomainError

from .models import Adapter, AdapterEvent, TrainingRun

ACTIVE_CACHE_SECONDS = 5.0


@dataclass(frozen=True)
class ActiveAdapter:
    name: str
    path: Path
    base_model: str


def adapter_path(adapter: Adapter) -> Path:
    return Path(settings.ADAPTER_STORE) / adapter.folder


def adapter_register(*, run: TrainingRun, adapter_dir: Path) -> Adapter:
    """Copy a finished run's adapter into the store as a new candidate."""
    name = f"style-r{run.pk}"
    store = Path(settings.ADAPTER_STORE)
    target = store / name
    if Adapter.objects.filter(name=name).exists():
        return Adapter.objects.get(name=name)
    try:
        store.mkdir(parents=True, exist_ok=True)
        staging = store / f".{name}.partial"
        shutil.rmtree(staging, ignore_errors=True)
        shutil.copytree(adapter_dir, staging)
        for path in staging.rglob("*"):
            if path.is_file():
                path.chmod(0o444)
        shutil.rmtree(target, ignore_errors=True)  # left by an attempt that died before its row was written
        staging.replace(target)
    except OSError as exc:
        raise DomainError(f"Could not store the adapter under {store}: {exc.strerror or exc}.") from exc
    return Adapter.objects.create(
        name=name,
        base_model=run.base_model,
        base_revision=run.base_revision,
        snapshot=run.snapshot,
        run=run,
        config=run.config,
        folder=name,
    )


def adapter_promote(*, adapter: Adapter, by: str, reason: str = "", details: dict | None = None) -> Adapter:
    """Make `adapter` the one drafts are generated with; the previously active one is retired."""
    if not (adapter_path(adapter) / "adapter_config.json").is_file():
        raise DomainError(f"The files of adapter {adapter.name} are missing from the store.")
    with transaction.atomic():
        adapter = Adapter.objects.select_for_update().get(pk=adapter.pk)
        if adapter.status == Adapter.Status.ACTIVE:
            raise Conflict(f"Adapter {adapter.name} is already active.", code="already_active")
        previous = Adapter.objects.select_for_update().filter(status=Adapter.Status.ACTIVE).first()
        if previous is not None:
            Adapter.objects.filter(pk=previous.pk).update(status=Adapter.Status.RETIRED)
        now = timezone.now()
        Adapter.objects.filter(pk=adapter.pk).update(
            status=Adapter.Status.ACTIVE, promoted_by=by, promoted_at=now
        )
        AdapterEvent.objects.create(
            action=AdapterEvent.Action.PROMOTED,
            adapter=adapter,
            previous=previous,
            reason=reason or f"Promoted by {by}.",
            details=details or {},
            by=by,
        )
        events.event_publish(
            events.ADAPTER_PROMOTED,
            lambda: adapter_event_data(adapter=adapter, previous=previous, action="promoted", by=by),
        )
    _forget_cached()
    adapter.refresh_from_db()
    return adapter


def adapter_event_data(
    *, adapter: Adapter | None, previous: Adapter | None, action: str, by: str
) -> dict[str, Any]:
    """What `adapter.promoted` tells subscribers: the adapter drafts now use (None: the bare base model,
    after rolling back past the first one) and the one it replaced."""

    def ref(item: Adapter | None) -> dict[str, Any] | None:
        if item is None:
            return None
        return {"id": item.pk, "name": item.name, "base_model": item.base_model, "metrics": item.metrics}

    return {"adapter": ref(adapter), "previous": ref(previous), "action": action, "by": by}


def adapter_rollback(*, by: str, reason: str = "") -> Adapter | None:
    """Go back to the adapter that was active before the current one (None: back to the bare base model
    when no adapter was active before)."""
    with transaction.atomic():
        current = Adapter.objects.select_for_update().filter(status=Adapter.Status.ACTIVE).first()
        if current is None:
            raise Conflict("No adapter is active: there is nothing to roll back.", code="nothing_active")
        promoted = (
            AdapterEvent.objects.filter(action=AdapterEvent.Action.PROMOTED, adapter=current)
            .order_by("-created_at", "-id")
            .first()
        )
        before = promoted.previous if promoted is not None else None
        Adapter.objects.filter(pk=current.pk).update(status=Adapter.Status.RETIRED)
        if before is not None:
            Adapter.objects.filter(pk=before.pk).update(status=Adapter.Status.ACTIVE)
        AdapterEvent.objects.create(
            action=AdapterEvent.Action.ROLLED_BACK,
            adapter=before,
            previous=current,
            reason=reason or f"Rolled back by {by}.",
            by=by,
        )
        events.event_publish(
            events.ADAPTER_PROMOTED,
            lambda: adapter_event_data(adapter=before, previous=current, action="rolled_back", by=by),
        )
    _forget_cached()
    if before is not None:
        before.refresh_from_db()
    return before


_cache_lock = threading.Lock()
_cached: tuple[float, ActiveAdapter | None] | None = None


def active_adapter() -> ActiveAdapter | None:
    """The active adapter, read at most every ACTIVE_CACHE_SECONDS per process."""
    global _cached
    with _cache_lock:
        now = time.monotonic()
        if _cached is not None and now - _cached[0] < ACTIVE_CACHE_SECONDS:
            return _cached[1]
        row = (
            Adapter.objects.filter(status=Adapter.Status.ACTIVE)
            .values("name", "folder", "base_model")
            .first()
        )
        found = (
            ActiveAdapter(
                name=row["name"],
                path=Path(settings.ADAPTER_STORE) / row["folder"],
                base_model=row["base_model"],
            )
            if row
            else None
        )
        _cached = (now, found)
        return found


def _forget_cached() -> None:
    global _cached
    with _cache_lock:
        _cached = None

"""`manage.py train_adapter [--snapshot HASH] [--config JSON]`: train a LoRA adapter on a dataset snapshot
(the newest by default) in this process; the adapter joins the registry as a candidate."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from models_ft.models import DatasetSnapshot, TrainingRun
from models_ft.runs import run_create, run_execute
from support.core.errors import DomainError


class Command(BaseCommand):
    help = "Train a LoRA adapter on a dataset snapshot (one run at a time)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--snapshot", help="Content hash (or its first characters) of the snapshot.")
        parser.add_argument("--config", help='LoraTrainingConfig fields as JSON, e.g. {"epochs": 2}.')

    def handle(self, *args: Any, **options: Any) -> None:
        snapshots = DatasetSnapshot.objects.filter(withdrawn_at=None)
        if options["snapshot"]:
            snapshots = snapshots.filter(content_hash__startswith=options["snapshot"])
        snapshot = snapshots.order_by("-created_at").first()
        if snapshot is None:
            raise CommandError("No dataset snapshot to train on: run `manage.py build_dataset` first.")
        try:
            config = json.loads(options["config"]) if options["config"] else None
        except ValueError as exc:
            raise CommandError(f"--config is not valid JSON: {exc}.") from exc
        try:
            run = run_create(snapshot=snapshot, config=config, requested_by="train_adapter")
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stderr.write(
            f"run {run.pk}: training on {snapshot.train_count} examples of {snapshot.content_hash[:12]}"
        )
        adapter = run_execute(run_id=run.pk)
        run.refresh_from_db()
        if adapter is None:
            raise CommandError(f"Run {run.pk} {run.status}: {run.error}")
        self.stdout.write(
            f"Adapter {adapter.name} saved (loss {run.losses[0][1]} -> {run.losses[-1][1]}, "
            f"{run.tokens_per_second or 0:.0f} tokens/s)."
        )
        if run.status != TrainingRun.Status.SUCCEEDED:
            raise CommandError(run.error)

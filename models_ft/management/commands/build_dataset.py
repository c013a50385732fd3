"""`manage.py build_dataset`: a frozen, redacted training set from the examples now."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from models_ft.datasets import DatasetConfig, DatasetError, snapshot_build, snapshot_path
from support.core.progress import command_progress


class Command(BaseCommand):
    help = "Build a dataset snapshot (train / eval / preference JSONL) from the training examples."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--eval-fraction", type=float, help="Share held out for evaluation (0-0.5).")
        parser.add_argument("--min-chars", type=int, help="Leave out sent replies shorter than this.")
        parser.add_argument("--max-age-days", type=int, help="Leave out replies older than this.")
        parser.add_argument("--json", action="store_true", help="Print the snapshot as one JSON line.")
        parser.add_argument("--no-progress", action="store_true", help="Do not draw a progress bar.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            config = DatasetConfig.from_settings(
                eval_fraction=options["eval_fraction"],
                min_reply_chars=options["min_chars"],
                max_age_days=options["max_age_days"],
            )
            with command_progress(
                self, desc="building", unit="example", disable=options["no_progress"]
            ) as progress:
                snapshot, created = snapshot_build(config=config, progress=progress)
        except DatasetError as exc:
            raise CommandError(str(exc)) from exc
        summary = {
            "id": snapshot.pk,
            "hash": snapshot.content_hash,
            "created": created,
            "path": str(snapshot_path(snapshot)),
            "train": snapshot.train_count,
            "eval": snapshot.eval_count,
            "preference": snapshot.preference_count,
            "stats": snapshot.stats,
        }
        if options["json"]:
            self.stdout.write(json.dumps(summary))
            return
        done = "built" if created else "already built from these examples"
        self.stdout.write(f"Dataset {snapshot.content_hash[:12]} {done}: {snapshot_path(snapshot)}")
        self.stdout.write(
            f"  {snapshot.train_count} train, {snapshot.eval_count} eval, "
            f"{snapshot.preference_count} preference pairs"
        )
        left_out = snapshot.stats.get("left_out", {})
        if left_out:
            self.stdout.write("  left out: " + ", ".join(f"{n} {why}" for why, n in left_out.items()))
        redacted = snapshot.stats.get("redacted", {})
        if redacted:
            self.stdout.write("  redacted: " + ", ".join(f"{n} {kind}" for kind, n in redacted.items()))

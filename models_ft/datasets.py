"""Dataset snapshots: the training examples at one moment, redacted, filtered, deduplicated, split by time
and frozen as JSONL under DATASET_STORE.

A snapshot folder holds:
- `train.jsonl` and `eval.jsonl`: one `{"id", "messages"}` object per line, `messages` in the conversational
  format (the prompt's system and user messages, then the sent reply as the assistant's). `eval` holds the
  newest examples, so evaluation asks about replies sent after everything the model was trained on.
- `preference.jsonl`: `{"id", "prompt", "chosen", "rejected"}` where the agent rewrote the draft (chosen is
  what was sent, rejected the draft), from the training side only, for later preference training.
- `stats.json`: what was kept and left out, and why.

The folder is named after the hash of the three JSONL files and is never written again: building from the
same examples gives the same snapshot.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import statistics
import tempfile
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import IntegrityError
from django.utils import timezone

from .contracts import DOCUMENTS_SECTION
from .models import DatasetSnapshot, TrainingExample
from .redaction import Person, Redactor, public_contacts

FILES = ("train.jsonl", "eval.jsonl", "preference.jsonl")
_PLACEHOLDER = re.compile(r"\[([A-Z_]+?)(?:_\d+)?\]")


class DatasetError(Exception):
    """A snapshot could not be built (too few examples, an unwritable store)."""


@dataclass(frozen=True)
class DatasetConfig:
    eval_fraction: float
    min_reply_chars: int
    max_age_days: int

    @classmethod
    def from_settings(cls, **overrides: Any) -> DatasetConfig:
        values: dict[str, Any] = {
            "eval_fraction": float(settings.DATASET_EVAL_FRACTION),
            "min_reply_chars": int(settings.DATASET_MIN_REPLY_CHARS),
            "max_age_days": int(settings.DATASET_MAX_AGE_DAYS),
        }
        values.update({key: value for key, value in overrides.items() if value is not None})
        if not 0.0 <= values["eval_fraction"] <= 0.5:
            raise DatasetError("The eval fraction must be between 0 and 0.5.")
        if values["min_reply_chars"] < 1 or values["max_age_days"] < 1:
            raise DatasetError("The minimum reply length and the maximum age must be at least 1.")
        return cls(**values)


@dataclass
class _Kept:
    example_id: int
    sent_at: datetime
    prompt: list[dict[str, str]]
    reply: str
    draft: str | None  # the redacted draft, when the agent rewrote it


def _normalised(text: str) -> str:
    return " ".join(text.lower().split())


def _documents(example: TrainingExample) -> list[str]:
    """The policy text fenced in the example's prompt."""
    return [m.group(3) for msg in example.messages for m in DOCUMENTS_SECTION.finditer(str(msg["content"]))]


def _redacted(example: TrainingExample, public: frozenset[str]) -> _Kept:
    person = example.person or {}
    redact = Redactor(
        person=Person(
            name=str(person.get("name") or ""),
            email=str(person.get("email") or ""),
            phone=str(person.get("phone") or ""),
        ),
        keep=public,
    )
    prompt = [
        {"role": str(m["role"]), "content": redact(str(m["content"]))}
        for m in example.messages
        if m.get("role") != "assistant"
    ]
    rewritten = example.outcome == TrainingExample.Outcome.REWRITTEN and example.draft.strip()
    return _Kept(
        example_id=example.pk,
        sent_at=example.sent_at,
        prompt=prompt,
        reply=redact(example.sent.strip()),
        draft=redact(example.draft.strip()) if rewritten else None,
    )


def _lines(rows: list[dict[str, Any]]) -> bytes:
    return "".join(json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n" for row in rows).encode("utf-8")


def snapshot_build(
    *, config: DatasetConfig | None = None, progress: Callable[[int, int], None] | None = None
) -> tuple[DatasetSnapshot, bool]:
    """Build a snapshot of the examples now; (snapshot, created). Building again from the same examples
    returns the existing snapshot (created False). Raises DatasetError when fewer than two examples are
    left after filtering (one for training, one for evaluation)."""
    config = config or DatasetConfig.from_settings()
    now = timezone.now()
    stale_before = now - timedelta(days=config.max_age_days)
    examples = TrainingExample.objects.order_by("sent_at", "id")
    total = examples.count()
    # The company's contact details, as its policy documents quote them in any prompt, are not personal
    # data: a reply giving the returns address should still teach the returns address.
    public = public_contacts(
        text for example in examples.only("messages").iterator(chunk_size=500) for text in _documents(example)
    )
    left_out: Counter[str] = Counter()
    outcomes: Counter[str] = Counter()
    by_content: dict[str, _Kept] = {}
    newest: datetime | None = None
    backfilled = 0
    for done, example in enumerate(examples.iterator(chunk_size=500), start=1):
        newest = example.sent_at if newest is None or example.sent_at > newest else newest
        if example.rejected:
            left_out["rejected"] += 1
        elif len(example.sent.strip()) < config.min_reply_chars:
            left_out["too_short"] += 1
        elif example.sent_at < stale_before:
            left_out["stale"] += 1
        else:
            kept = _redacted(example, public)
            key = hashlib.sha256(
                json.dumps([[m["content"] for m in kept.prompt[1:]], _normalised(kept.reply)]).encode()
            ).hexdigest()
            if key in by_content:
                # The same question answered the same way: the newest stays (examples come oldest first).
                left_out["duplicate"] += 1
            by_content[key] = kept
            outcomes[example.outcome] += 1
            backfilled += example.backfilled
        if progress is not None:
            progress(done, total)
    kept_rows = sorted(by_content.values(), key=lambda k: (k.sent_at, k.example_id))
    if len(kept_rows) < 2:
        raise DatasetError(
            f"Only {len(kept_rows)} of {total} examples are usable "
            f"({', '.join(f'{n} {why}' for why, n in sorted(left_out.items())) or 'none left out'}): "
            "a dataset needs at least two, one to train on and one to evaluate with."
        )
    eval_count = min(len(kept_rows) - 1, max(1, round(len(kept_rows) * config.eval_fraction)))
    if config.eval_fraction == 0:
        eval_count = 0
    train, held_out = kept_rows[: len(kept_rows) - eval_count], kept_rows[len(kept_rows) - eval_count :]

    def conversation(k: _Kept) -> dict[str, Any]:
        return {"id": k.example_id, "messages": [*k.prompt, {"role": "assistant", "content": k.reply}]}

    preference = [
        {
            "id": k.example_id,
            "prompt": k.prompt,
            "chosen": [{"role": "assistant", "content": k.reply}],
            "rejected": [{"role": "assistant", "content": k.draft}],
        }
        for k in train
        if k.draft
    ]
    contents = {
        "train.jsonl": _lines([conversation(k) for k in train]),
        "eval.jsonl": _lines([conversation(k) for k in held_out]),
        "preference.jsonl": _lines(preference),
    }
    digest = hashlib.sha256()
    for name in FILES:
        digest.update(name.encode() + b"\0" + contents[name] + b"\0")
    content_hash = digest.hexdigest()
    existing = DatasetSnapshot.objects.filter(content_hash=content_hash).first()
    if existing is not None:
        return existing, False

    replies = [len(k.reply) for k in kept_rows]
    placeholders = Counter(
        match.group(1)
        for k in kept_rows
        for text in (k.reply, *(m["content"] for m in k.prompt))
        for match in _PLACEHOLDER.finditer(text)
    )
    stats = {
        "examples": total,
        "kept": len(kept_rows),
        "left_out": dict(sorted(left_out.items())),
        "train": len(train),
        "eval": len(held_out),
        "preference": len(preference),
        "outcomes": dict(sorted(outcomes.items())),
        "backfilled": backfilled,
        "eval_from": held_out[0].sent_at.isoformat() if held_out else None,
        "reply_chars": {
            "mean": round(statistics.fmean(replies), 1),
            "median": statistics.median(replies),
            "max": max(replies),
        },
        "redacted": dict(sorted(placeholders.items())),
    }
    folder = _frozen(content_hash, contents, stats)
    try:
        snapshot = DatasetSnapshot.objects.create(
            content_hash=content_hash,
            folder=folder,
            train_count=len(train),
            eval_count=len(held_out),
            preference_count=len(preference),
            stats=stats,
            config=asdict(config),
            newest_example_at=newest,
        )
    except IntegrityError:  # built at the same moment by another process: the same files
        return DatasetSnapshot.objects.get(content_hash=content_hash), False
    return snapshot, True


def _frozen(content_hash: str, contents: dict[str, bytes], stats: dict[str, Any]) -> str:
    """Write the files into a fresh folder, then move it into place in one step; the folder name."""
    store = Path(settings.DATASET_STORE)
    name = content_hash[:16]
    target = store / name
    if target.exists():
        return name
    try:
        store.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".building-", dir=store))
        try:
            for file_name, data in contents.items():
                (staging / file_name).write_bytes(data)
            (staging / "stats.json").write_text(json.dumps(stats, indent=2, sort_keys=True) + "\n")
            for path in staging.iterdir():
                path.chmod(0o444)
            os.replace(staging, target)
        finally:
            if staging.exists():
                shutil.rmtree(staging, ignore_errors=True)
    except OSError as exc:
        raise DatasetError(f"Could not write the dataset under {store}: {exc.strerror or exc}.") from exc
    return name


def snapshot_path(snapshot: DatasetSnapshot) -> Path:
    return Path(settings.DATASET_STORE) / snapshot.folder


def snapshot_example_ids(snapshot: DatasetSnapshot) -> set[int]:
    """The ids of the examples in a snapshot's files (none once withdrawn)."""
    folder = snapshot_path(snapshot)
    ids: set[int] = set()
    for name in FILES:
        path = folder / name
        if path.exists():
            with path.open(encoding="utf-8") as lines:
                ids.update(int(json.loads(line)["id"]) for line in lines if line.strip())
    return ids


def snapshots_withdraw(*, example_ids: set[int]) -> int:
    """Delete the files of the snapshots holding any of `example_ids` and mark them withdrawn; how many."""
    withdrawn = 0
    for snapshot in DatasetSnapshot.objects.filter(withdrawn_at__isnull=True):
        if snapshot_example_ids(snapshot) & example_ids:
            shutil.rmtree(snapshot_path(snapshot), ignore_errors=True)
            snapshot.withdrawn_at = timezone.now()
            snapshot.save(update_fields=["withdrawn_at"])
            withdrawn += 1
    return withdrawn

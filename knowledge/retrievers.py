"""The retriever registry: runs that adapt the embedding model to the relevance pairs, the gate that judges
each against the model search serves on pairs it never trained on, promotion (search re-embeds the library
into the adapted model in the background, serving the old vectors meanwhile) and rollback.

Every run trains from the stock model (EMBEDDING_MODEL) on all the pairs there are, so runs do not drift from
one another; the newest questions are held out by time. A promoted retriever is followed only while
EMBEDDING_MODEL is still its base: configuring another model leaves it behind.
"""

from __future__ import annotations

import dataclasses
import logging
import shutil
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from support.core.errors import Conflict, DomainError
from support.core.queueing import task_send

from . import embedding
from .adaptation import AdaptConfig, TrainingPair, data_hash, model_train
from .chunking import embedding_text
from .indexing import active_model, chosen_model
from .models import LIVE, Chunk, EmbeddingCache, IndexState, RelevancePair, RetrieverRun
from .relevance import hard_negatives_mine, pairs_split

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]
BUSY_STATES = (RetrieverRun.State.QUEUED, RetrieverRun.State.TRAINING)


def run_path(run: RetrieverRun) -> Path:
    return Path(settings.RETRIEVER_STORE) / run.folder


def run_create(*, by: str, config: dict[str, Any] | None = None) -> RetrieverRun:
    """A queued run over the pairs there are now (refused while another is queued or training, or when there
    are too few relevant pairs to learn from)."""
    base = AdaptConfig.configured()
    adapt = AdaptConfig.from_dict(dataclasses.asdict(base) | (config or {})) if config else base
    relevant = RelevancePair.objects.filter(relevant=True).count()
    if relevant < settings.RETRIEVER_MIN_PAIRS:
        raise DomainError(
            f"The retriever learns from relevance pairs: {relevant} relevant ones so far, "
            f"{settings.RETRIEVER_MIN_PAIRS} needed (RETRIEVER_MIN_PAIRS). Sent drafts, resolved tickets and "
            "`manage.py import_relevance` add them.",
            field="pairs",
        )
    with transaction.atomic():
        # One run at a time: the row lock on the busy runs makes two requests at once see each other.
        if RetrieverRun.objects.select_for_update().filter(state__in=BUSY_STATES).exists():
            raise Conflict("A retriever run is already queued or training.", code="run_in_progress")
        run = RetrieverRun.objects.create(
            base_model=embedding.configured_model(), config=dataclasses.asdict(adapt), requested_by=by
        )
        run.folder = run.name
        run.save(update_fields=["folder"])
    return run


def run_queue(run: RetrieverRun) -> None:
    """Hand the run to a `training` worker once the transaction that made it commits."""
    transaction.on_commit(lambda: task_send("knowledge.retriever_adapt", args=[run.pk], queue="training"))


def retriever_adapt(*, run_id: int, progress: Progress | None = None) -> RetrieverRun:
    """Train a queued run, score it against the model search serves on the held-out pairs, and judge it.
    A run found training already (a task delivered twice) is left to the worker that has it."""
    with transaction.atomic():
        run = RetrieverRun.objects.select_for_update().get(pk=run_id)
        if run.state != RetrieverRun.State.QUEUED:
            return run
        run.state = RetrieverRun.State.TRAINING
        run.save(update_fields=["state"])
    try:
        _adapt(run, progress)
    except Exception as exc:
        log.exception("retriever run %s failed", run.pk)
        RetrieverRun.objects.filter(pk=run.pk).update(
            state=RetrieverRun.State.FAILED,
            error=f"{type(exc).__name__}: {exc}"[:2000],
            finished_at=timezone.now(),
        )
        shutil.rmtree(run_path(run), ignore_errors=True)
        if isinstance(exc, DomainError):
            run.refresh_from_db()
            return run
        raise
    run.refresh_from_db()
    return run


def _adapt(run: RetrieverRun, progress: Progress | None) -> None:
    config = AdaptConfig.from_dict(run.config)
    split = pairs_split(
        held_out_fraction=settings.RETRIEVER_HELD_OUT_FRACTION, max_negatives=config.hard_negatives
    )
    if len(split.train) < 2 or not split.held_out:
        raise DomainError("Too few relevant pairs to train on and hold out.", field="pairs")
    train = _with_hard_negatives(split.train, config.hard_negatives)
    digest = data_hash(run.base_model, train, config)
    RetrieverRun.objects.filter(pk=run.pk).update(
        data_hash=digest, pairs_train=len(train), pairs_held_out=len(split.held_out)
    )
    started = time.perf_counter()
    last = [0.0]

    def report(done: int, total: int) -> None:
        now = time.monotonic()
        if done == total or now - last[0] > 1.0:  # a row update a second at most
            last[0] = now
            RetrieverRun.objects.filter(pk=run.pk).update(progress_done=done, progress_total=total)
        if progress:
            progress(done, total)

    model_train(base_model=run.base_model, pairs=train, output=run_path(run), config=config, progress=report)
    seconds = time.perf_counter() - started
    held_out = _held_out_gold(split.held_out_ids)
    current = active_model()
    scores = {
        "current": held_out_score(held_out, model=current),
        "adapted": held_out_score(held_out, model=run.model_name),
    }
    gate = gate_judge(scores["current"], scores["adapted"])
    metrics: dict[str, Any] = {**scores, "current_model": current}
    RetrieverRun.objects.filter(pk=run.pk).update(
        state=RetrieverRun.State.CANDIDATE if gate["passed"] else RetrieverRun.State.REJECTED,
        metrics=metrics,
        gate=gate,
        training_seconds=round(seconds, 1),
        finished_at=timezone.now(),
    )
    embedding.model_forget(run.model_name)


def _with_hard_negatives(pairs: list[TrainingPair], count: int) -> list[TrainingPair]:
    """Pairs topped up with hard negatives mined from the live library (besides those agents marked)."""
    if count < 1:
        return pairs
    answers: dict[str, set[str]] = {}
    for pair in pairs:
        answers.setdefault(pair.query, set()).add(pair.positive)
    queries = list(answers)
    mined = dict(
        zip(
            queries,
            hard_negatives_mine(LIVE, queries, [answers[q] for q in queries], count=count),
            strict=True,
        )
    )
    return [
        dataclasses.replace(
            pair, negatives=tuple(dict.fromkeys((*pair.negatives, *mined[pair.query])))[:count]
        )
        for pair in pairs
    ]


def _held_out_gold(ids: Sequence[int]) -> dict[str, set[int]]:
    """Held-out questions and the documents that answer them."""
    gold: dict[str, set[int]] = {}
    for query, document_id in RelevancePair.objects.filter(id__in=ids, document__isnull=False).values_list(
        "query", "document_id"
    ):
        gold.setdefault(query, set()).add(document_id)
    return gold


def _library_vectors(model: str) -> tuple[list[int], Any]:
    """The document id and the `model` vector of every passage the live library serves, embedding (and
    caching, where the model switch will find them) the texts that have none yet."""
    import numpy as np

    rows = list(
        Chunk.objects.filter(collection=LIVE, version_id=F("document__active_version_id")).values_list(
            "document_id", "content_hash", "title", "heading_path", "text"
        )
    )
    hashes = {row[1] for row in rows}
    cached = dict(
        EmbeddingCache.objects.filter(model=model, content_hash__in=hashes).values_list(
            "content_hash", "embedding"
        )
    )
    missing = {row[1]: embedding_text(row[2], row[3], row[4]) for row in rows if row[1] not in cached}
    if missing:
        keys = list(missing)
        for start in range(0, len(keys), 256):
            part = keys[start : start + 256]
            vectors = embedding.embed([missing[key] for key in part], model=model)
            EmbeddingCache.objects.bulk_create(
                [
                    EmbeddingCache(content_hash=h, model=model, embedding=v)
                    for h, v in zip(part, vectors, strict=True)
                ],
                ignore_conflicts=True,
            )
            cached.update(zip(part, vectors, strict=True))
    matrix = np.asarray([cached[row[1]] for row in rows], dtype=np.float32)
    return [row[0] for row in rows], matrix


def held_out_score(gold: dict[str, set[int]], *, model: str) -> dict[str, float]:
    """recall@1, recall@5 and MRR@10 of ranking the live library's documents (by their best passage) for the
    held-out questions with `model`'s vectors: the vector half of search, which is what adapting changes."""
    import numpy as np

    if not gold:
        return {"recall@1": 0.0, "recall@5": 0.0, "mrr@10": 0.0, "n": 0}
    documents, matrix = _library_vectors(model)
    if not documents:
        return {"recall@1": 0.0, "recall@5": 0.0, "mrr@10": 0.0, "n": len(gold)}
    queries = list(gold)
    vectors = np.asarray(embedding.embed(queries, model=model), dtype=np.float32)
    scores = vectors @ matrix.T
    sums = {"recall@1": 0.0, "recall@5": 0.0, "mrr@10": 0.0}
    for row, query in zip(scores, queries, strict=True):
        ranked: list[int] = []
        for index in np.argsort(-row):
            document = documents[int(index)]
            if document not in ranked:
                ranked.append(document)
                if len(ranked) == 10:
                    break
        wanted = gold[query]
        sums["recall@1"] += len(wanted & set(ranked[:1])) / len(wanted)
        sums["recall@5"] += len(wanted & set(ranked[:5])) / len(wanted)
        first = next((i for i, doc in enumerate(ranked, start=1) if doc in wanted), None)
        sums["mrr@10"] += 1.0 / first if first else 0.0
    report: dict[str, float] = {key: round(value / len(queries), 4) for key, value in sums.items()}
    report["n"] = len(queries)
    return report


def gate_judge(current: dict[str, float], adapted: dict[str, float]) -> dict[str, Any]:
    """Passed when held-out recall@5 and MRR@10 both improve by RETRIEVER_PROMOTE_MARGIN (where the current
    model is already perfect on one, matching it is enough)."""
    margin = settings.RETRIEVER_PROMOTE_MARGIN
    reasons = []
    for key, label in (("recall@5", "recall@5"), ("mrr@10", "MRR@10")):
        needed = min(current[key] + margin, 1.0)
        if adapted[key] + 1e-9 < needed:
            reasons.append(
                f"held-out {label} {adapted[key]:.3f} is not {margin:.2f} above the current model's "
                f"{current[key]:.3f}"
            )
    return {"passed": not reasons, "reasons": reasons, "margin": margin}


def retriever_promote(*, run: RetrieverRun, by: str, override_reason: str = "") -> RetrieverRun:
    """Make `run`'s model the one search serves: the library is re-embedded into it in the background while
    search keeps serving the current vectors. A run the gate rejected is promoted only with a reason."""
    override_reason = override_reason.strip()
    with transaction.atomic():
        run = RetrieverRun.objects.select_for_update().get(pk=run.pk)
        if run.state == RetrieverRun.State.ACTIVE:
            raise Conflict(f"{run.name} is already the active retriever.", code="already_active")
        if run.state not in (
            RetrieverRun.State.CANDIDATE,
            RetrieverRun.State.REJECTED,
            RetrieverRun.State.RETIRED,
        ):
            raise Conflict(
                f"{run.name} is {run.state}: only a finished run can be promoted.", code="not_finished"
            )
        if not run.gate.get("passed") and not override_reason:
            why = "; ".join(run.gate.get("reasons", [])) or "not judged"
            raise Conflict(
                f"{run.name} did not pass the gate ({why}). Promote it anyway only with a reason.",
                code="gate_failed",
            )
        if run.base_model != embedding.configured_model():
            raise Conflict(
                f"{run.name} was adapted from {run.base_model}, but EMBEDDING_MODEL is now "
                f"{embedding.configured_model()}.",
                code="other_base",
            )
        if not (run_path(run) / "config.json").is_file() and not (run_path(run) / "modules.json").is_file():
            raise DomainError(f"The files of {run.name} are missing from {settings.RETRIEVER_STORE}.")
        replaced = chosen_model()
        RetrieverRun.objects.filter(state=RetrieverRun.State.ACTIVE).update(state=RetrieverRun.State.RETIRED)
        run.state = RetrieverRun.State.ACTIVE
        run.promoted_at = timezone.now()
        run.promoted_by = by
        run.override_reason = override_reason if not run.gate.get("passed") else ""
        run.replaced_model = replaced
        run.save(update_fields=["state", "promoted_at", "promoted_by", "override_reason", "replaced_model"])
        IndexState.objects.update_or_create(pk=1, defaults={"chosen_model": run.model_name})
        _switch_queue(run.model_name)
    return run


def retriever_rollback(*, by: str) -> str:
    """Go back to the model search served before the active retriever was promoted (an earlier retriever,
    or the stock model); the library is re-embedded back in the background. Returns that model's name."""
    with transaction.atomic():
        current = RetrieverRun.objects.select_for_update().filter(state=RetrieverRun.State.ACTIVE).first()
        if current is None:
            raise Conflict(
                "No adapted retriever is active: search serves the stock model.", code="nothing_active"
            )
        RetrieverRun.objects.filter(pk=current.pk).update(state=RetrieverRun.State.RETIRED)
        before = (
            RetrieverRun.objects.select_for_update()
            .filter(folder=current.replaced_model.removeprefix(embedding.RETRIEVER_PREFIX))
            .exclude(pk=current.pk)
            .first()
            if current.replaced_model.startswith(embedding.RETRIEVER_PREFIX)
            else None
        )
        if before is not None and (run_path(before) / "modules.json").is_file():
            RetrieverRun.objects.filter(pk=before.pk).update(state=RetrieverRun.State.ACTIVE)
            target = before.model_name
            IndexState.objects.update_or_create(pk=1, defaults={"chosen_model": target})
        else:
            target = embedding.configured_model()
            IndexState.objects.update_or_create(pk=1, defaults={"chosen_model": ""})
        log.info("retriever rolled back from %s to %s by %s", current.name, target, by)
        _switch_queue(target)
    return target


def _switch_queue(model: str) -> None:
    transaction.on_commit(
        lambda: task_send("knowledge.switch_embedding_model", args=[model], queue="embeddings")
    )


def switch_progress() -> dict[str, Any] | None:
    state = IndexState.objects.filter(pk=1).first()
    if state is None or not state.target_model:
        return None
    return {"target_model": state.target_model, "done": state.target_done, "total": state.target_total}


def retriever_summary() -> dict[str, Any]:
    from .relevance import pairs_summary

    state = IndexState.objects.filter(pk=1).first()
    return {
        "active_model": (state.active_model if state else "") or embedding.configured_model(),
        "chosen_model": chosen_model(),
        "stock_model": embedding.configured_model(),
        "switch": switch_progress(),
        "pairs": pairs_summary(),
        "min_pairs": settings.RETRIEVER_MIN_PAIRS,
    }

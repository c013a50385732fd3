"""Adapting the embedding model to the questions customers actually ask: a sentence-transformers model
fine-tuned on (question, passage) pairs with a contrastive loss (every other passage of the batch is a
negative, plus hard negatives: passages the current retriever ranks high that do not answer the question).

This module only trains and stores; which pairs, which model and what happens to the result are decided by
`retrievers` (the product's runs) and `evaluation` (`eval_retrieval --adapt-on`). Like `embedding`, it imports
torch only when it trains.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import random
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings

from support.core.errors import DomainError

from . import embedding

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]
MAX_EPOCHS = 20


@dataclass(frozen=True)
class AdaptConfig:
    """How the retriever is trained. The defaults adapt all-MiniLM-L6-v2 on a thousand pairs in a few
    minutes on two CPU cores (`make bench`, quality group)."""

    epochs: int = 1
    batch_size: int = 32
    learning_rate: float = 3e-5
    warmup_fraction: float = 0.1
    hard_negatives: int = 1
    max_seq_length: int = 128
    max_positives_per_query: int = 4
    """A question with many relevant passages (a summary of reviews) trains on this many of them at most."""
    min_steps: int = 40
    """Few pairs make few batches: epochs are added (up to 20) until training takes at least this many steps,
    or a small company's first run would barely move the model."""
    seed: int = 0

    def validate(self) -> AdaptConfig:
        bounds = {
            "epochs": (1, 20),
            "batch_size": (2, 512),
            "hard_negatives": (0, 8),
            "max_seq_length": (16, 512),
            "max_positives_per_query": (1, 50),
            "min_steps": (0, 10000),
        }
        for name, (low, high) in bounds.items():
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
                raise DomainError(f"{name} must be a whole number from {low} to {high}.", field=name)
        if not isinstance(self.learning_rate, int | float) or not 1e-7 <= float(self.learning_rate) <= 1e-2:
            raise DomainError("learning_rate must be a number from 1e-7 to 1e-2.", field="learning_rate")
        if not isinstance(self.warmup_fraction, int | float) or not 0.0 <= float(self.warmup_fraction) <= 0.5:
            raise DomainError("warmup_fraction must be a number from 0 to 0.5.", field="warmup_fraction")
        return self

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AdaptConfig:
        if not isinstance(data, dict):
            raise DomainError("The retriever's training settings must be a JSON object.", field="config")
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise DomainError(
                f"Unknown retriever training settings: {', '.join(unknown)} "
                f"(known: {', '.join(sorted(known))}).",
                field="config",
            )
        return cls(**data).validate()

    @classmethod
    def configured(cls) -> AdaptConfig:
        """The defaults, with RETRIEVER_CONFIG's fields over them."""
        raw = settings.RETRIEVER_CONFIG.strip()
        if not raw:
            return cls()
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise DomainError(f"RETRIEVER_CONFIG is not valid JSON ({exc.msg}).", field="config") from None
        return cls.from_dict(data)


@dataclass(frozen=True)
class TrainingPair:
    """A question, a passage that answers it, and passages the current retriever confuses with it."""

    query: str
    positive: str
    negatives: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class AdaptResult:
    path: Path
    seconds: float
    steps: int
    pairs: int
    losses: tuple[float, ...]
    reused: bool = False


def data_hash(base_model: str, pairs: Sequence[TrainingPair], config: AdaptConfig) -> str:
    """What identifies a trained model: the base, every pair with its negatives, and the settings."""
    digest = hashlib.sha256()
    digest.update(base_model.encode())
    digest.update(json.dumps(dataclasses.asdict(config), sort_keys=True).encode())
    for pair in pairs:
        digest.update(b"\x1e" + pair.query.encode() + b"\x1f" + pair.positive.encode())
        for negative in pair.negatives:
            digest.update(b"\x1d" + negative.encode())
    return digest.hexdigest()


def _batches(pairs: Sequence[TrainingPair], size: int, rng: random.Random) -> list[list[TrainingPair]]:
    """Shuffled batches in which no passage and no question appears twice: with in-batch negatives, a
    second question on the same passage would be taught that its own answer is wrong."""
    order = list(pairs)
    rng.shuffle(order)
    batches: list[list[TrainingPair]] = []
    waiting = order
    while waiting:
        current: list[TrainingPair] = []
        passages: set[str] = set()
        queries: set[str] = set()
        later: list[TrainingPair] = []
        for pair in waiting:
            if len(current) < size and pair.positive not in passages and pair.query not in queries:
                current.append(pair)
                passages.add(pair.positive)
                queries.add(pair.query)
                if len(current) == size:
                    batches.append(current)
                    current, passages, queries = [], set(), set()
            else:
                later.append(pair)
        if current:
            batches.append(current)
        if len(later) == len(waiting):  # cannot happen (a lone pair always fits), but never loop forever
            break
        waiting = later
    return [batch for batch in batches if len(batch) >= 2]


def model_train(
    *,
    base_model: str,
    pairs: Sequence[TrainingPair],
    output: Path,
    config: AdaptConfig,
    progress: Progress | None = None,
) -> AdaptResult:
    """Fine-tune `base_model` on `pairs` and save the result in `output` (written whole or not at all).
    The loss is sentence-transformers' MultipleNegativesRankingLoss: in-batch negatives plus each pair's
    hard negatives; warm-up then linear decay of the learning rate."""
    if len(pairs) < 2:
        raise DomainError("At least two relevant pairs are needed to adapt the retriever.", field="pairs")
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss
    from transformers import get_linear_schedule_with_warmup

    started = time.perf_counter()
    rng = random.Random(config.seed)  # noqa: S311 (shuffling batches, not secrets)
    torch.manual_seed(config.seed)
    if settings.EMBEDDING_THREADS:
        torch.set_num_threads(settings.EMBEDDING_THREADS)
    # A copy of its own: the process's cached model serves queries and must not change under them.
    model = SentenceTransformer(embedding.resolve_model_path(base_model), device=settings.EMBEDDING_DEVICE)
    model.max_seq_length = config.max_seq_length
    loss_function = MultipleNegativesRankingLoss(model)
    epochs = [_batches(pairs, config.batch_size, rng)]
    while len(epochs) < MAX_EPOCHS and (
        len(epochs) < config.epochs or sum(len(batches) for batches in epochs) < config.min_steps
    ):
        epochs.append(_batches(pairs, config.batch_size, rng))
    total = sum(len(batches) for batches in epochs)
    if total == 0:
        raise DomainError("The pairs do not make a single batch (every pair has the same passage).")
    optimizer = torch.optim.AdamW(model.parameters(), lr=float(config.learning_rate))
    schedule = get_linear_schedule_with_warmup(optimizer, int(total * config.warmup_fraction), total)
    losses: list[float] = []
    step = 0
    model.train()
    for batches in epochs:
        for batch in batches:
            columns = [[pair.query for pair in batch], [pair.positive for pair in batch]]
            for slot in range(config.hard_negatives):
                # A pair with fewer hard negatives repeats its last one, or its own passage's neighbour in
                # the batch: every column must be full.
                columns.append(
                    [
                        pair.negatives[min(slot, len(pair.negatives) - 1)]
                        if pair.negatives
                        else batch[(index + 1) % len(batch)].positive
                        for index, pair in enumerate(batch)
                    ]
                )
            features = [_to_device(model.preprocess(column), model.device) for column in columns]
            loss = loss_function(features, None)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            schedule.step()
            optimizer.zero_grad()
            losses.append(round(float(loss.detach()), 5))
            step += 1
            if progress:
                progress(step, total)
    model.eval()
    output.parent.mkdir(parents=True, exist_ok=True)
    staging = output.parent / f".{output.name}.partial"
    shutil.rmtree(staging, ignore_errors=True)
    model.save(str(staging))
    shutil.rmtree(output, ignore_errors=True)
    staging.replace(output)
    seconds = time.perf_counter() - started
    log.info("adapted %s on %d pairs in %.1f s (%d steps)", base_model, len(pairs), seconds, step)
    return AdaptResult(path=output, seconds=seconds, steps=step, pairs=len(pairs), losses=tuple(losses))


def _to_device(features: dict[str, Any], device: Any) -> dict[str, Any]:
    return {key: value.to(device) if hasattr(value, "to") else value for key, value in features.items()}


CACHE_FOLDER = "cache"


def cached_model_name(digest: str) -> str:
    """The model name of a model trained for an evaluation and kept by its data hash."""
    return f"{embedding.RETRIEVER_PREFIX}{CACHE_FOLDER}/{digest[:24]}"


def model_train_cached(
    *,
    base_model: str,
    pairs: Sequence[TrainingPair],
    config: AdaptConfig,
    progress: Progress | None = None,
) -> tuple[str, AdaptResult]:
    """A model adapted on `pairs`, trained once: the same base, pairs and settings find the model trained
    before (RETRIEVER_STORE/cache/<hash>). Returns its model name and how it was made."""
    digest = data_hash(base_model, pairs, config)
    name = cached_model_name(digest)
    path = Path(embedding.resolve_model_path(name))
    meta_path = path / "openbook-adaptation.json"
    if meta_path.is_file():
        meta = json.loads(meta_path.read_text())
        return name, AdaptResult(
            path=path,
            seconds=float(meta["seconds"]),
            steps=int(meta["steps"]),
            pairs=int(meta["pairs"]),
            losses=tuple(meta.get("losses", ())),
            reused=True,
        )
    result = model_train(base_model=base_model, pairs=pairs, output=path, config=config, progress=progress)
    meta_path.write_text(
        json.dumps(
            {
                "base_model": base_model,
                "data_hash": digest,
                "config": dataclasses.asdict(config),
                "seconds": round(result.seconds, 2),
                "steps": result.steps,
                "pairs": result.pairs,
                "losses": list(result.losses),
            },
            indent=1,
        )
    )
    return name, result

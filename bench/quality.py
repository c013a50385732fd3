"""Retrieval quality on the shared datasets, measured exactly as `manage.py eval_retrieval` measures it: on
the whole dev split with the stock model, then the retriever adapted on the first 70% of dev rows (by id)
against the stock model, both scored on the other 30% (`eval_retrieval --adapt-on`), with the training time
and the adapted model's embedding speed."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from knowledge import api as knowledge

from .corpus import dataset_files
from .report import Row, Target, progress_bar, say


@dataclass(frozen=True)
class Dataset:
    name: str
    input_mode: str
    targets: tuple[tuple[str, str, float], ...]  # (report key, label, bound)
    adapted_targets: tuple[tuple[str, str, float], ...] = ()  # on the held-back 30%, adapted on the 70%

    def row_names(self) -> list[str]:
        return [f"quality {self.name} {label}" for _, label, _ in self.targets] + self.adapted_names()

    def adapted_names(self) -> list[str]:
        names = [f"quality {self.name} 30% stock {label}" for _, label, _ in self.adapted_targets]
        names += [f"quality {self.name} 30% adapted {label}" for _, label, _ in self.adapted_targets]
        return [
            *names,
            f"quality {self.name} adapted {self.adapted_targets[0][1]} lift",
            f"quality {self.name} adaptation s per 1k pairs",
            f"quality {self.name} adapted / stock embedding speed",
        ]

    def row_targets(self) -> list[Target | None]:
        targets: list[Target | None] = [Target(">=", bound) for _, _, bound in self.targets]
        if self.adapted_targets:
            targets += [None for _ in self.adapted_targets]
            targets += [Target(">=", bound) for _, _, bound in self.adapted_targets]
            targets += [
                Target(">=", LIFT_TARGET),
                Target("<=", SECONDS_PER_1K_PAIRS),
                Target(">=", EMBEDDING_SPEED_RATIO),
            ]
        return targets

    def skipped(self, note: str) -> list[Row]:
        return [
            Row(name, None, _unit(name), target=target, note=note)
            for name, target in zip(self.row_names(), self.row_targets(), strict=True)
        ]


def _unit(name: str) -> str:
    return "%" if name.endswith("embedding speed") else "s" if name.endswith("per 1k pairs") else ""


DATASETS = (
    Dataset(
        "or-sharc",
        "query",
        (("recall@1", "recall@1", 0.68), ("recall@5", "recall@5", 0.92), ("mrr@10", "MRR@10", 0.78)),
        (("recall@1", "recall@1", 0.82), ("recall@5", "recall@5", 0.96), ("mrr@10", "MRR@10", 0.88)),
    ),
    Dataset("dstc11-track5", "conversation", (("hit@5", "hit@5", 0.45),), (("hit@5", "hit@5", 0.70),)),
)
TRAIN_SHARE = 0.7
LIFT_TARGET = 0.05  # the adapted model's first figure over the stock model's, on the same 30%
SECONDS_PER_1K_PAIRS = 300.0  # adapting on 1,000 pairs, two cores
EMBEDDING_SPEED_RATIO = 0.85  # as the throughput group's Celery / bare target


def run(datasets: Path) -> list[Row]:
    rows: list[Row] = []
    for dataset in DATASETS:
        files = dataset_files(datasets, dataset.name)
        if files is None:
            say(f"quality: no {dataset.name} under {datasets}; skipped")
            rows.extend(dataset.skipped("skipped (no data)"))
            continue
        rows.extend(_measure(dataset, *files))
    return rows


def _measure(dataset: Dataset, documents: Path, queries_path: Path) -> list[Row]:
    with progress_bar(f"{dataset.name}: loading documents", unit="doc") as progress:
        collection = knowledge.evaluation_collection_load(documents, progress=progress)
    with progress_bar(f"{dataset.name}: embedding", unit="chunk") as progress:
        knowledge.evaluation_collection_embed(collection, progress=progress)
    queries = knowledge.evaluation_queries_load(queries_path, input_mode=dataset.input_mode)
    if not queries:
        return dataset.skipped("skipped (no query has gold ids)")
    with progress_bar(f"{dataset.name}: searching", unit="query", total=len(queries)) as progress:
        report = knowledge.evaluation_run(collection, queries, k=10, progress=progress)
    say(f"quality {dataset.name}: {report}")
    rows = [
        Row(name, float(report[key]), target=Target(">=", bound))
        for (key, _, bound), name in zip(
            dataset.targets, dataset.row_names()[: len(dataset.targets)], strict=True
        )
    ]
    if dataset.adapted_targets:
        rows += _adapted(dataset, documents, queries_path, collection, queries)
    return rows


def _split(queries_path: Path, queries: list[Any]) -> tuple[list[Any], list[Any]]:
    """The queries of the first 70% of dev rows by id (what the retriever is adapted on), and the rest."""
    ids = sorted(str(row.get("id")) for row in knowledge.evaluation_rows(queries_path))
    training = set(ids[: int(len(ids) * TRAIN_SHARE)])
    return [q for q in queries if q.id in training], [q for q in queries if q.id not in training]


def _adapted(
    dataset: Dataset, documents: Path, queries_path: Path, collection: str, queries: list[Any]
) -> list[Row]:
    training, held_back = _split(queries_path, queries)
    with progress_bar(f"{dataset.name}: stock on 30%", unit="query", total=len(held_back)) as progress:
        stock = knowledge.evaluation_run(collection, held_back, k=10, progress=progress)
    with (
        progress_bar(f"{dataset.name}: hard negatives", unit="query") as mining,
        progress_bar(f"{dataset.name}: adapting on 70%", unit="step") as steps,
        progress_bar(f"{dataset.name}: embedding (adapted)", unit="chunk") as embedding,
    ):
        adapted = knowledge.evaluation_adapt(
            documents,
            collection,
            training,
            mining=mining,
            training_progress=steps,
            embedding_progress=embedding,
        )
    with progress_bar(f"{dataset.name}: adapted on 30%", unit="query", total=len(held_back)) as progress:
        scored = knowledge.evaluation_run(
            adapted.collection, held_back, k=10, progress=progress, model=adapted.model
        )
    say(
        f"quality {dataset.name} 30%: stock {stock}; "
        f"adapted ({adapted.model}, {adapted.pairs} pairs) {scored}"
    )
    names = dataset.adapted_names()
    count = len(dataset.adapted_targets)
    rows = [Row(names[i], float(stock[key])) for i, (key, _, _) in enumerate(dataset.adapted_targets)]
    rows += [
        Row(names[count + i], float(scored[key]), target=Target(">=", bound))
        for i, (key, _, bound) in enumerate(dataset.adapted_targets)
    ]
    first = dataset.adapted_targets[0][0]
    rows.append(Row(names[-3], float(scored[first]) - float(stock[first]), target=Target(">=", LIFT_TARGET)))
    note = "trained in an earlier run (cached by data hash)" if adapted.reused else ""
    rows.append(
        Row(
            names[-2],
            adapted.seconds * 1000 / max(adapted.pairs, 1),
            "s",
            Target("<=", SECONDS_PER_1K_PAIRS),
            note=note or f"{adapted.pairs} pairs in {adapted.seconds:.0f} s",
        )
    )
    texts = knowledge.evaluation_passages(adapted.collection, limit=512)
    stock_speed = knowledge.model_texts_per_second(texts, model=knowledge.embedding_model())
    adapted_speed = knowledge.model_texts_per_second(texts, model=adapted.model)
    rows.append(
        Row(
            names[-1],
            adapted_speed / stock_speed,
            "%",
            Target(">=", EMBEDDING_SPEED_RATIO),
            note=f"{adapted_speed:.0f} vs {stock_speed:.0f} texts/s",
        )
    )
    return rows

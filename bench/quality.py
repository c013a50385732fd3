"""Retrieval quality on the shared datasets, measured exactly as `manage.py eval_retrieval` measures it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from knowledge import api as knowledge

from .corpus import dataset_files
from .report import Row, Target, progress_bar, say


@dataclass(frozen=True)
class Dataset:
    name: str
    input_mode: str
    targets: tuple[tuple[str, str, float], ...]  # (report key, label, bound)

    def row_names(self) -> list[str]:
        return [f"quality {self.name} {label}" for _, label, _ in self.targets]

    def skipped(self, note: str) -> list[Row]:
        return [
            Row(name, None, target=Target(">=", bound), note=note)
            for name, (_, _, bound) in zip(self.row_names(), self.targets, strict=True)
        ]


DATASETS = (
    Dataset(
        "or-sharc",
        "query",
        (("recall@1", "recall@1", 0.68), ("recall@5", "recall@5", 0.92), ("mrr@10", "MRR@10", 0.78)),
    ),
    Dataset("dstc11-track5", "conversation", (("hit@5", "hit@5", 0.45),)),
)


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
    return [
        Row(name, float(report[key]), target=Target(">=", bound))
        for (key, _, bound), name in zip(dataset.targets, dataset.row_names(), strict=True)
    ]

"""`manage.py eval_retrieval --documents F --queries F [--input query|conversation] [--k 10] [--json]
[--adapt-on F]`"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from knowledge import evaluation
from support.core.errors import DomainError
from support.core.progress import command_progress


class Command(BaseCommand):
    help = (
        "Measure retrieval on a documents file and a queries file (shared/datasets format), in an isolated "
        "collection; prints recall@k, hit@k, MRR@10 and latency."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--documents", type=Path, required=True, help="JSONL: id, title, text, ...")
        parser.add_argument(
            "--queries", type=Path, required=True, help="JSONL: id, query, scenario?, dialogue?, gold_doc_ids"
        )
        parser.add_argument(
            "--input",
            choices=["query", "conversation"],
            default="query",
            help="query: query + scenario; conversation: the dialogue as a ticket conversation.",
        )
        parser.add_argument("--k", type=int, default=10, help="Results per query (default 10).")
        parser.add_argument("--limit", type=int, help="Only the first N queries.")
        parser.add_argument("--json", action="store_true", help="Print one JSON object on the last line.")
        parser.add_argument(
            "--adapt-on",
            type=Path,
            help="JSONL in the --queries format: adapt the embedding model on its questions and gold "
            "documents first (hard negatives from this library), then score --queries with the adapted "
            "model. The model is kept by a hash of base model, pairs and settings (RETRIEVER_CONFIG): a "
            "rerun reuses it.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        for name in ("documents", "queries", "adapt_on"):
            if options[name] is not None and not options[name].is_file():
                raise CommandError(f"--{name.replace('_', '-')}: no such file: {options[name]}")
        if options["k"] < 1 or options["k"] > 100:
            raise CommandError("--k must be between 1 and 100.")
        try:
            with command_progress(self, desc="loading documents", unit="doc") as progress:
                collection, _ = evaluation.collection_load(options["documents"], progress=progress)
            with command_progress(self, desc="embedding", unit="chunk") as progress:
                evaluation.collection_embed(collection, progress=progress)
            queries = evaluation.queries_load(options["queries"], input_mode=options["input"])
            model = None
            if options["adapt_on"] is not None:
                training = evaluation.queries_load(options["adapt_on"], input_mode=options["input"])
                adapted = self._adapt(options["documents"], collection, training)
                collection, model = adapted.collection, adapted.model
        except (ValueError, KeyError, DomainError) as exc:
            raise CommandError(str(exc)) from None
        if options["limit"]:
            queries = queries[: options["limit"]]
        if not queries:
            raise CommandError("No query has gold document ids; nothing to score.")
        with command_progress(self, desc="searching", unit="query") as progress:
            report = evaluation.evaluate(collection, queries, k=options["k"], progress=progress, model=model)
        if options["json"]:
            self.stdout.write(json.dumps(report))
            return
        for key, value in report.items():
            self.stdout.write(f"{key:>16}  {value}")

    def _adapt(
        self, documents: Path, collection: str, training: list[evaluation.Query]
    ) -> evaluation.Adapted:
        with (
            command_progress(self, desc="hard negatives", unit="query") as mining,
            command_progress(self, desc="adapting the retriever", unit="step") as steps,
            command_progress(self, desc="embedding (adapted)", unit="chunk") as embedding,
        ):
            adapted = evaluation.collection_adapt(
                documents,
                collection,
                training,
                mining=mining,
                training_progress=steps,
                embedding_progress=embedding,
            )
        how = "reused from an earlier run" if adapted.reused else f"trained in {adapted.seconds:.0f} s"
        self.stderr.write(f"adapted retriever {adapted.model}: {adapted.pairs} pairs, {how}")
        return adapted

"""`manage.py import_documents PATH...`: files, folders or JSONL (`id, title, text` + metadata) into the
knowledge base, with a progress bar and a line per failure. Good files are kept whatever fails."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from knowledge.ingest import IngestResult, Record, file_record, jsonl_records, paths_expand, record_ingest
from knowledge.models import LIVE, Document
from knowledge.parsing import ParseError


class Command(BaseCommand):
    help = "Import documents (Markdown, HTML, PDF, DOCX, text, or JSONL) into the knowledge base."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="+", type=Path, help="Files, folders or .jsonl files.")
        parser.add_argument(
            "--status",
            choices=Document.Status.values,
            default=Document.Status.PUBLISHED,
            help="Status of new documents (default: published).",
        )
        parser.add_argument("--kind", choices=Document.Kind.values, help="Kind of new documents from files.")
        parser.add_argument("--source", default="import", help="Source name that external ids belong to.")
        parser.add_argument("--collection", default=LIVE, help=f"Collection (default: {LIVE}).")
        parser.add_argument(
            "--wait",
            action="store_true",
            help="Embed in this process instead of queueing the work for the workers.",
        )
        parser.add_argument("--no-progress", action="store_true", help="Do not draw a progress bar.")

    def handle(self, *args: Any, **options: Any) -> None:
        missing = [str(p) for p in options["paths"] if not p.exists()]
        if missing:
            raise CommandError(f"No such file or folder: {', '.join(missing)}")
        files = list(paths_expand(options["paths"]))
        if not files:
            raise CommandError("No importable files found (supported: .md .html .pdf .docx .txt .jsonl).")
        results: list[IngestResult] = []
        with tqdm(
            total=len(files),
            unit="file",
            desc="importing",
            disable=options["no_progress"],
            file=self.stderr._out,
        ) as bar:
            for path in files:
                for item in self._records(path, options):
                    if isinstance(item, IngestResult):
                        results.append(item)
                        continue
                    result = record_ingest(
                        item,
                        collection=options["collection"],
                        embed_async=not options["wait"],
                        default_status=options["status"],
                    )
                    results.append(result)
                bar.update(1)
        if options["wait"]:
            from knowledge.indexing import version_embed

            pending = [r.version_id for r in results if r.ok and r.version_id]
            for version_id in tqdm(
                pending,
                unit="version",
                desc="embedding",
                disable=options["no_progress"],
                file=self.stderr._out,
            ):
                version_embed(version_id=version_id)
        failed = [r for r in results if not r.ok]
        for result in failed:
            self.stderr.write(f"  failed: {result.name}: {result.error}")
        for result in results:
            if result.ok and result.warnings:
                kinds = Counter(str(warning["kind"]).replace("_", " ") for warning in result.warnings)
                counts = ", ".join(f"{count} {kind}" for kind, count in sorted(kinds.items()))
                self.stderr.write(f"  warnings: {result.name}: {counts} (see the document page)")
        created = sum(r.created for r in results)
        unchanged = sum(r.unchanged for r in results)
        updated = sum(r.ok for r in results) - created - unchanged
        self.stdout.write(
            f"Imported {created} new, {updated} updated, {unchanged} unchanged, {len(failed)} failed."
        )
        if failed and not (created or updated or unchanged):
            raise CommandError("Nothing was imported.")

    def _records(self, path: Path, options: dict[str, Any]) -> list[Record | IngestResult]:
        if path.suffix.lower() == ".jsonl":
            return list(jsonl_records(path, source=options["source"]))
        try:
            data = path.read_bytes()
            record = file_record(
                path.name,
                data,
                metadata={"kind": options["kind"]} if options["kind"] else {},
                external_id=str(path),
            )
        except ParseError as exc:
            return [IngestResult(path.name, False, error=str(exc).removeprefix(f"{path.name}: "))]
        except OSError as exc:
            return [IngestResult(path.name, False, error=f"cannot read: {exc.strerror}")]
        record.source = options["source"]
        return [record]

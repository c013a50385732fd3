"""`python -m bench [--only quality,throughput,latency,edit,assist,drafts,training] [--json] ...`

Prepares the benchmark database (created and migrated when missing), runs the chosen benchmarks in order,
and prints one table: benchmark | measured | target | result. A missed target is a FAIL row, not an error:
the exit status is 0 unless a benchmark crashed (its rows then say ERROR, and the others still run).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path

from .database import database_prepare
from .report import Row, as_json, failed, say, table

BASE_DIR = Path(__file__).resolve().parent.parent
BENCHMARKS = (
    "quality",
    "throughput",
    "latency",
    "edit",
    "assist",
    "drafts",
    "training",
    "integrations",
    "security",
)


def _only(value: str) -> list[str]:
    chosen = [name.strip() for name in value.split(",") if name.strip()]
    unknown = sorted(set(chosen) - set(BENCHMARKS))
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(
            f"unknown benchmark {', '.join(unknown) or '(none)'}; choose from {', '.join(BENCHMARKS)}"
        )
    return [name for name in BENCHMARKS if name in chosen]


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return number


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Openbook benchmarks: retrieval quality, re-embedding throughput, retrieval latency at "
        "100k chunks and edit locality. Runs in a database of its own (BENCH_DATABASE, default "
        "openbook_bench) on the configured or embedded Postgres.",
    )
    parser.add_argument(
        "--only",
        type=_only,
        default=list(BENCHMARKS),
        help="Comma-separated subset of: " + ",".join(BENCHMARKS),
    )
    parser.add_argument(
        "--datasets",
        type=Path,
        default=BASE_DIR.parent / "shared" / "datasets",
        help="Folder holding or-sharc/ and dstc11-track5/ (default: ../shared/datasets from the repository).",
    )
    parser.add_argument("--json", action="store_true", help="Also print one JSON object on the last line.")
    parser.add_argument(
        "--texts", type=_positive, default=2000, help="Texts re-embedded by throughput (2000)."
    )
    parser.add_argument(
        "--concurrency",
        type=_positive,
        default=1,
        help="Processes of the throughput worker (1: one process using every core, as the bare model does).",
    )
    parser.add_argument("--chunks", type=_positive, default=100_000, help="Chunks of the latency collection.")
    parser.add_argument("--queries", type=_positive, default=200, help="Timed latency queries (200).")
    parser.add_argument(
        "--assist-workers",
        type=_positive,
        default=2,
        help="Processes of the assist benchmark's inference worker (2: one per core here).",
    )
    parser.add_argument(
        "--soak",
        action="store_true",
        help="Run the security gates at their long sizes (isolation 500 x 50, faults 10,000 chunks x 20).",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    options = parser().parse_args(argv)
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    database_prepare()

    runs: dict[str, Callable[[], list[Row]]] = {
        "quality": lambda: _quality(options),
        "throughput": lambda: _throughput(options),
        "latency": lambda: _latency(options),
        "edit": lambda: _edit(options),
        "assist": lambda: _assist(options),
        "drafts": lambda: _drafts(options),
        "training": _training,
        "integrations": _integrations,
        "security": lambda: _security(options),
    }
    rows, durations, crashed = run_all(options.only, runs, _row_names)
    sys.stdout.write(table(rows) + "\n")
    if options.json:
        sys.stdout.write(as_json(rows, durations=durations) + "\n")
    sys.stdout.flush()
    return 1 if crashed else 0


def run_all(
    names: Sequence[str], runs: dict[str, Callable[[], list[Row]]], row_names: Callable[[str], list[str]]
) -> tuple[list[Row], dict[str, float], bool]:
    """Run each benchmark in turn. One that crashes gets ERROR rows (named by `row_names`) and the others
    still run. Returns the rows, each benchmark's duration in seconds, and whether any crashed."""
    rows: list[Row] = []
    durations: dict[str, float] = {}
    crashed = False
    for name in names:
        say(f"== {name}")
        started = time.monotonic()
        try:
            rows.extend(runs[name]())
        except Exception as exc:
            crashed = True
            traceback.print_exc(file=sys.stderr)
            rows.extend(failed(row_names(name), exc))
        durations[name] = time.monotonic() - started
        say(f"== {name} took {_duration(durations[name])}")
    return rows, durations, crashed


def _row_names(name: str) -> list[str]:
    from . import assist, drafts, edit, integrations, latency, quality, security, throughput, training

    if name == "security":
        return list(security.ROWS)
    if name == "integrations":
        return list(integrations.ROWS)
    if name == "assist":
        return list(assist.ROWS)
    if name == "drafts":
        return list(drafts.ROWS)
    if name == "training":
        return list(training.ROWS)
    if name == "quality":
        return [row for dataset in quality.DATASETS for row in dataset.row_names()]
    if name == "throughput":
        return list(throughput.ROWS)
    if name == "latency":
        return list(latency.ROWS)
    return [edit.ROW]


def _quality(options: argparse.Namespace) -> list[Row]:
    from . import quality

    return quality.run(options.datasets)


def _throughput(options: argparse.Namespace) -> list[Row]:
    from . import throughput

    return throughput.run(options.datasets, texts=options.texts, concurrency=options.concurrency)


def _latency(options: argparse.Namespace) -> list[Row]:
    from . import latency

    return latency.run(options.datasets, chunks=options.chunks, queries=options.queries)


def _edit(options: argparse.Namespace) -> list[Row]:
    from . import edit

    return edit.run(options.datasets)


def _assist(options: argparse.Namespace) -> list[Row]:
    from . import assist

    return assist.run(workers=options.assist_workers)


def _drafts(options: argparse.Namespace) -> list[Row]:
    from . import drafts

    return drafts.run(options.datasets)


def _training() -> list[Row]:
    from . import training

    return training.run()


def _integrations() -> list[Row]:
    from . import integrations

    return integrations.run()


def _security(options: argparse.Namespace) -> list[Row]:
    from . import security

    return security.run(soak=options.soak)


def _duration(seconds: float) -> str:
    minutes, seconds = divmod(round(seconds), 60)
    return f"{minutes}m{seconds:02d}s" if minutes else f"{seconds}s"

"""What a benchmark hands back (rows: a figure, its target, whether it met it) and how the rows are printed:
one plain-text table, or that table followed by one JSON object on the last line."""

from __future__ import annotations

import json
import math
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any, TextIO

PASS, FAIL, INFO, SKIPPED, ERROR = "PASS", "FAIL", "-", "SKIP", "ERROR"
COLUMNS = ("benchmark", "measured", "target", "result")


@dataclass(frozen=True)
class Target:
    """A bound a figure must meet: `>= 0.68`, `<= 25` (in the row's unit)."""

    op: str
    value: float

    def __post_init__(self) -> None:
        if self.op not in (">=", "<="):
            raise ValueError(f"unknown comparison {self.op!r}")

    def met(self, measured: float) -> bool:
        return measured >= self.value if self.op == ">=" else measured <= self.value


@dataclass(frozen=True)
class Row:
    """One figure. `measured` is None when the benchmark was skipped or failed; `note` then says why."""

    benchmark: str
    measured: float | None
    unit: str = ""
    target: Target | None = None
    note: str = ""
    error: bool = False

    @property
    def result(self) -> str:
        if self.error:
            return ERROR
        if self.measured is None:
            return SKIPPED
        if self.target is None:
            return INFO
        return PASS if self.target.met(self.measured) else FAIL

    def measured_text(self) -> str:
        if self.measured is None:
            return self.note or "-"
        return _with_unit(self.measured, self.unit)

    def target_text(self) -> str:
        if self.target is None:
            return "-"
        if not self.unit:
            return f"{self.target.op} {self.target.value:g}"
        return f"{self.target.op} {_with_unit(self.target.value, self.unit)}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "benchmark": self.benchmark,
            "measured": self.measured,
            "unit": self.unit,
            "target": None if self.target is None else f"{self.target.op} {self.target.value:g}",
            "result": self.result,
            "note": self.note,
        }


def _with_unit(value: float, unit: str) -> str:
    if unit == "%":
        return f"{value * 100:.1f}%"
    if unit == "ms":
        return f"{value:.1f} ms"
    if unit in ("texts/s", "tokens/s", "s"):
        return f"{value:.1f} {unit}"
    if unit == "MB":
        return f"{value:.0f} MB"
    if unit == "chunks":
        return f"{value:g} chunk" + ("" if value == 1 else "s")
    return f"{value:.4f}" if not float(value).is_integer() else f"{value:g}"


def failed(benchmarks: Sequence[str], error: BaseException) -> list[Row]:
    message = f"error: {type(error).__name__}: {error}".splitlines()[0][:120]
    return [Row(name, None, note=message, error=True) for name in benchmarks]


def table(rows: Sequence[Row]) -> str:
    """The rows as an aligned plain-text table with a header line."""
    cells = [COLUMNS] + [(r.benchmark, r.measured_text(), r.target_text(), r.result) for r in rows]
    widths = [max(len(line[i]) for line in cells) for i in range(len(COLUMNS))]
    lines = [
        " | ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)) for line in cells
    ]
    lines.insert(1, "-+-".join("-" * width for width in widths))
    return "\n".join(line.rstrip() for line in lines)


def as_json(rows: Sequence[Row], *, durations: dict[str, float]) -> str:
    """One line: every row, how long each part took, and whether every target was met."""
    return json.dumps(
        {
            "rows": [r.as_dict() for r in rows],
            "durations_s": {name: round(seconds, 1) for name, seconds in durations.items()},
            "all_passed": all(r.result in (PASS, INFO) for r in rows),
            "errors": sum(1 for r in rows if r.result == ERROR),
        },
        allow_nan=False,
    )


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile: the smallest value with at least `fraction` of the values at or below it."""
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


# --- progress on stderr (tqdm when installed, else one rewritten line) -------------------------------------


Progress = Callable[[int, int], None]


@dataclass
class _Line:
    """A minimal progress line for when tqdm is not installed."""

    label: str
    stream: TextIO
    started: float = field(default_factory=time.monotonic)
    shown: float = 0.0

    def update(self, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self.shown < 0.5 and done < total:
            return
        self.shown = now
        rate = done / max(now - self.started, 1e-9)
        self.stream.write(f"\r  {self.label}: {done}/{total} ({rate:.1f}/s)")
        self.stream.flush()

    def close(self) -> None:
        self.stream.write("\n")
        self.stream.flush()


@contextmanager
def progress_bar(label: str, *, unit: str = "it", total: int | None = None) -> Iterator[Progress]:
    """A `progress(done, total)` callback drawing a bar on stderr for the duration of the block."""
    try:
        from tqdm import tqdm
    except ImportError:  # pragma: no cover - tqdm is a dependency, but the harness does not need it
        line = _Line(label, sys.stderr)
        try:
            yield line.update
        finally:
            line.close()
        return
    with tqdm(desc=f"  {label}", unit=unit, total=total, file=sys.stderr, dynamic_ncols=True) as bar:

        def update(done: int, total: int) -> None:
            bar.total = total
            bar.update(done - bar.n)

        yield update


@contextmanager
def stage_bars(stages: dict[str, tuple[str, str]]) -> Iterator[Callable[[str, int, int], None]]:
    """A `progress(stage, done, total)` callback drawing a bar for each stage (`stages` maps a stage's name to
    the bar's label and unit), opened when the stage first reports and closed when the next one begins or
    the block ends."""
    with ExitStack() as bars:
        shown: dict[str, Progress] = {}

        def update(stage: str, done: int, total: int) -> None:
            if stage not in shown:
                bars.close()
                shown.clear()
                label, unit = stages.get(stage, (stage, "it"))
                shown[stage] = bars.enter_context(progress_bar(label, unit=unit, total=total))
            shown[stage](done, total)

        yield update


def say(message: str) -> None:
    """A status line on stderr (stdout carries only the table and the JSON)."""
    sys.stderr.write(message + "\n")
    sys.stderr.flush()

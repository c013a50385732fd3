"""Benchmarks measured in a child process on the demo company's database (the benchmark database's name +
`_assist`; see `assist`): the parent calls `rows_from_child(module)`, and the child, started as
`python -m bench.child MODULE`, sets Django up on that database before anything imports a model, runs
`bench.MODULE.measure()` and prints its rows as one JSON line."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from collections.abc import Sequence

from .database import database_prepare
from .report import Row, Target
from .worker import BASE_DIR


def rows_from_child(module: str, *, env: dict[str, str] | None = None) -> list[Row]:
    """Run `bench.<module>.measure()` in a child process on the demo company's database."""
    from django.conf import settings

    child_env = {
        **os.environ,
        "BENCH_DATABASE": f"{settings.DATABASES['default']['NAME']}_assist",
        **(env or {}),
    }
    child = subprocess.run(
        [sys.executable, "-m", "bench.child", module],
        cwd=BASE_DIR,
        env=child_env,
        stdout=subprocess.PIPE,
        check=False,
    )
    lines = child.stdout.decode().strip().splitlines()
    if child.returncode != 0 or not lines:
        raise RuntimeError(f"the {module} benchmark process failed (exit {child.returncode}); see above")
    return [
        Row(
            row["benchmark"],
            row["measured"],
            row["unit"],
            Target(row["op"], row["value"]) if row["op"] else None,
        )
        for row in json.loads(lines[-1])
    ]


def _rows_json(rows: Sequence[Row]) -> str:
    return json.dumps(
        [
            {
                "benchmark": r.benchmark,
                "measured": r.measured,
                "unit": r.unit,
                "op": r.target.op if r.target else "",
                "value": r.target.value if r.target else 0.0,
            }
            for r in rows
        ]
    )


def main(module: str) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    database_prepare()
    rows = importlib.import_module(f"bench.{module}").measure()
    print(_rows_json(rows))  # noqa: T201 - the parent reads this line


if __name__ == "__main__":
    main(sys.argv[1])

"""The security gates, counted: isolation between teams, the injection corpus, bad input and faults.

Each group is the test module that guards it in `make test`, run here in a pytest process of its own (on
the test database pytest creates, not the benchmark's), so the figures are those of the very checks that
gate every change. A group's test writes its summary to `var/reports/<group>.json`; the junit report
counts the cases where a test writes none. With `--soak` the groups run at their long sizes (isolation 500
examples x 50 steps; faults 10,000 chunks x 20 trials), which `make soak` uses.

Every row is a count of failures with its number of cases beside it: a 0 means nothing without the cases
it was measured on.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .report import Row, Target, say

BASE_DIR = Path(__file__).resolve().parent.parent
REPORTS = BASE_DIR / "var" / "reports"
NONE = Target("<=", 0)

SOAK_ENV = {
    "ISOLATION_EXAMPLES": "500",
    "ISOLATION_STEPS": "50",
    "FAULT_CHUNKS": "10000",
    "FAULT_TRIALS": "20",
}


@dataclass(frozen=True)
class Group:
    name: str
    paths: tuple[str, ...]
    report: str | None
    """The summary its tests write under var/reports, if any."""


GROUPS = (
    Group("isolation", ("tests/security/test_isolation.py",), "isolation.json"),
    Group("injection", ("tests/security/test_injection.py",), "injection.json"),
    Group(
        "bad input",
        (
            "tests/core/test_bad_input.py",
            "tests/core/test_json_depth.py",
            "tests/core/test_strict_types.py",
            "tests/core/test_client_address.py",
            "tests/core/test_sign_in_throttling.py",
            "tests/core/test_security_headers.py",
            "tests/knowledge/test_refused_uploads.py",
            "tests/integrations/test_overlong_values.py",
            "tests/contract",
        ),
        None,
    ),
    Group("faults", ("tests/faults",), "faults.json"),
)
ROWS = (
    "security isolation: responses or writes that crossed a team",
    "security injection (extractive): drafts that leaked",
    "security injection (openai stand-in): drafts that leaked",
    "security injection: ordinary questions answered",
    "security injection: ordinary questions answered (openai)",
    "security bad input: answers other than a clear 4xx (and sign-in, header and proxy checks)",
    "security faults: worker killed mid re-embed, chunks missing or duplicated",
    "security faults: Redis restarted, tasks lost",
)


@dataclass(frozen=True)
class Outcome:
    tests: int
    failures: int
    report: dict[str, Any]


def _pytest(group: Group, *, soak: bool) -> Outcome:
    paths = [p for p in group.paths if (BASE_DIR / p).exists()]
    if not paths:
        raise FileNotFoundError(f"none of {', '.join(group.paths)} exists")
    report_path = REPORTS / group.report if group.report else None
    if report_path is not None and report_path.exists():
        report_path.unlink()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "support.conf.testing", "PYTHONUNBUFFERED": "1"}
    env.pop("BENCH_DATABASE", None)
    if soak:
        env.update(SOAK_ENV)
    with tempfile.TemporaryDirectory() as folder:
        junit = Path(folder) / "junit.xml"
        command = [sys.executable, "-m", "pytest", *paths, "-q", "-m", "not browser", f"--junitxml={junit}"]
        say(f"  {' '.join(command[2:])}")
        subprocess.run(command, cwd=BASE_DIR, env=env, check=False)
        suite = ElementTree.parse(junit).getroot()  # noqa: S314 - the report pytest just wrote
    suites = [suite] if suite.tag == "testsuite" else list(suite)
    tests = sum(int(s.get("tests", 0)) - int(s.get("skipped", 0)) for s in suites)
    failures = sum(int(s.get("failures", 0)) + int(s.get("errors", 0)) for s in suites)
    report = json.loads(report_path.read_text()) if report_path and report_path.exists() else {}
    return Outcome(tests=tests, failures=failures, report=report)


def _count(value: Any) -> float:
    return float(value) if isinstance(value, int | float) else 0.0


def run(*, soak: bool = False) -> list[Row]:
    rows: list[Row] = []
    outcomes = {}
    for group in GROUPS:
        say(f"security: {group.name}")
        outcomes[group.name] = _pytest(group, soak=soak)

    isolation = outcomes["isolation"]
    examples, steps = isolation.report.get("examples"), isolation.report.get("steps")
    failures = _count(isolation.report.get("failures", isolation.failures)) + isolation.failures
    rows.append(
        Row(
            f"{ROWS[0]} ({examples} examples x {steps} steps, {isolation.tests} tests)",
            failures,
            target=NONE,
        )
    )

    injection = outcomes["injection"].report
    for index, backend in ((1, "extractive"), (2, "openai")):
        part = injection.get(backend, {})
        cases = part.get("cases", 0)
        rows.append(
            Row(
                f"{ROWS[index]} ({cases} cases: {part.get('documents', 0)} poisoned documents, "
                f"{part.get('tickets', 0)} hostile tickets; {part.get('not_exercised', 0)} not retrieved)",
                _count(part.get("failures")) if part else None,
                target=NONE,
                note="" if part else "no injection report",
            )
        )
    for backend in ("extractive", "openai"):
        utility = injection.get(backend, {}).get("utility", {})
        asked = [utility.get(group, {}) for group in ("clean", "hard_negative", "poisoned")]
        cases = sum(int(group.get("cases", 0)) for group in asked)
        hits = sum(int(group.get("answer_term_hits", 0)) for group in asked)
        rows.append(
            Row(
                f"{ROWS[3]} with their answer ({backend}; {cases} questions: clean, look-alike, poisoned)",
                hits / cases if cases else None,
                unit="%",
                target=Target(">=", 0.95),
                note="" if cases else "no utility figure",
            )
        )

    bad = outcomes["bad input"]
    rows.append(Row(f"{ROWS[5]} ({bad.tests} cases)", float(bad.failures), target=NONE))

    faults = outcomes["faults"].report
    kill = faults.get("kill_worker", {})
    rows.append(
        Row(
            f"{ROWS[6]} ({kill.get('trials', 0)} trials x {kill.get('chunks', 0)} chunks)",
            _count(kill.get("missing")) + _count(kill.get("duplicated")) + _count(kill.get("failures"))
            if kill
            else None,
            target=NONE,
            note="" if kill else "no fault report",
        )
    )
    restart = faults.get("redis_restart", {})
    rows.append(
        Row(
            f"{ROWS[7]} ({restart.get('trials', 0)} restarts, {restart.get('tasks', 0)} tasks; back within "
            f"{restart.get('recovered_seconds_max', '?')} s)",
            _count(restart.get("lost")) + _count(restart.get("failures")) if restart else None,
            target=NONE,
            note="" if restart else "no fault report",
        )
    )
    return rows

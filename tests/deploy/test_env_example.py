"""deploy/env.example names every setting Openbook reads, and nothing else, each with a comment."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "deploy" / "env.example"
# `NAME=value`, or `# NAME=value` for a setting left at its default.
_SETTING = re.compile(r"^#? ?([A-Z][A-Z0-9_]*)=")


def _known(environment: dict[str, str]) -> set[str]:
    """Every variable the settings read, the test and benchmark settings' included. Imported in a
    process of its own: the benchmark settings rename the database of the settings they extend."""
    script = (
        "import json, support.conf.testing, bench.settings; "
        "from support.conf.env import KNOWN; print(json.dumps(sorted(KNOWN)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return set(json.loads(result.stdout.splitlines()[-1])) - {"OPENBOOK_TEST_KNOB"}


def _listed() -> dict[str, int]:
    found: dict[str, int] = {}
    for number, line in enumerate(EXAMPLE.read_text().splitlines(), start=1):
        match = _SETTING.match(line)
        if match:
            assert match.group(1) not in found, f"{match.group(1)} is listed twice (line {number})"
            found[match.group(1)] = number
    return found


@pytest.mark.django_db  # the session's subprocess environment then names the test database (see conftest)
def test_env_example_lists_every_setting_and_only_settings(django_subprocess_env):
    known, listed = _known(django_subprocess_env), set(_listed())
    assert sorted(known - listed) == [], "settings missing from deploy/env.example"
    assert sorted(listed - known) == [], "deploy/env.example names variables no setting reads"


def test_every_setting_in_env_example_has_a_comment_above_it():
    lines = EXAMPLE.read_text().splitlines()
    for name, number in _listed().items():
        above = number - 2
        while above >= 0 and _SETTING.match(lines[above]):
            above -= 1  # a group of related settings shares one comment
        assert above >= 0, name
        assert lines[above].startswith("# "), name

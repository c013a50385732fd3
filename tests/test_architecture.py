"""The import contracts in pyproject.toml ([tool.importlinter]) hold for the code, and each one fails on the
crossing it exists to stop: a copy of the packages gets one offending import, and `lint-imports` must name the
broken contract."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("support", "assist", "knowledge", "models_ft", "demo", "bench")
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def _lint(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(root / "pyproject.toml"), "--no-cache"],
        cwd=root,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(root), "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_code_keeps_every_contract():
    result = _lint(ROOT)
    assert result.returncode == 0, result.stdout[-4000:]
    assert "BROKEN" not in result.stdout


@pytest.fixture(scope="module")
def copy(tmp_path_factory) -> Path:
    """The packages' Python files and the contracts, outside the checkout."""
    root = tmp_path_factory.mktemp("layout")
    shutil.copy(ROOT / "pyproject.toml", root / "pyproject.toml")
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package,
            root / package,
            ignore=lambda folder, names: [
                n for n in names if not (n.endswith(".py") or (Path(folder) / n).is_dir())
            ],
        )
    return root


# (module that gains the import, the import, the contract that must break): the crossings the issue lists.
CROSSINGS = [
    ("support/core/management/commands/create_api_key.py", "import demo", "support.core is the kernel"),
    ("support/integrations/views.py", "import assist", "nothing in support imports assist"),
    ("support/customers/services.py", "import support.tickets.models", "the support domain"),
    ("assist/services.py", "import models_ft.models", "only by api and contracts"),
    ("bench/cli.py", "import knowledge.models", "only by api and contracts"),
    ("knowledge/chunking.py", "import models_ft.api", "never import each other"),
    ("models_ft/api.py", "import support.tickets.models", "import nothing from support but support.core"),
    ("knowledge/api.py", "import bench", "nothing in the product imports demo or bench"),
    ("knowledge/embedding.py", "import knowledge.api", "no import cycles"),
]


@pytest.mark.parametrize(("module", "statement", "contract"), CROSSINGS, ids=[c[0] for c in CROSSINGS])
def test_each_forbidden_crossing_breaks_its_contract(copy, module, statement, contract):
    target = copy / module
    original = target.read_text()
    try:
        target.write_text(f"{original}\n{statement}  # noqa\n")
        result = _lint(copy)
    finally:
        target.write_text(original)
    assert result.returncode != 0
    broken = [line for line in result.stdout.splitlines() if line.endswith("BROKEN") or " BROKEN (" in line]
    assert any(contract in line for line in broken), result.stdout[-3000:]

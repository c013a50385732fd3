"""Print the project's dependencies from pyproject.toml, one a line, for `pip install -r`.

The images install dependencies before they copy the source, so a code change rebuilds only the last
layers; pyproject.toml stays the one list of what Openbook needs.

    python requirements.py pyproject.toml              the web image: the core dependencies
    python requirements.py pyproject.toml --extra ml   the ML image: core + the ML stack
"""

from __future__ import annotations

import argparse
import sys
import tomllib
from pathlib import Path


def requirements(pyproject: Path, extras: list[str]) -> list[str]:
    project = tomllib.loads(pyproject.read_text())["project"]
    found = list(project["dependencies"])
    optional = project.get("optional-dependencies", {})
    for extra in extras:
        if extra not in optional:
            raise SystemExit(f"{pyproject} has no extra {extra!r} (it has: {', '.join(sorted(optional))})")
        found += optional[extra]
    return list(dict.fromkeys(found))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pyproject", type=Path)
    parser.add_argument("--extra", action="append", default=[], help="an optional-dependencies group")
    args = parser.parse_args()
    sys.stdout.write("".join(f"{line}\n" for line in requirements(args.pyproject, args.extra)))
    return 0


if __name__ == "__main__":
    sys.exit(main())

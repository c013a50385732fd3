"""Settings come from the environment and fail loudly, naming the variable."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from support.conf import env

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("helper", "value", "kwargs"),
    [
        (env.env_bool, "maybe", {"default": False}),
        (env.env_int, "twelve", {"default": 1}),
        (env.env_int, "0", {"default": 1, "minimum": 1}),
        (env.env_float, "1,5", {"default": 1.0}),
        (env.env_choice, "gpt", {"default": "a", "choices": ["a", "b"]}),
        (env.env_url, "mysql://x", {"schemes": ["postgres"]}),
    ],
)
def test_bad_values_raise_with_the_variable_name(monkeypatch, helper, value, kwargs):
    monkeypatch.setenv("OPENBOOK_TEST_KNOB", value)
    with pytest.raises(ImproperlyConfigured, match="OPENBOOK_TEST_KNOB"):
        helper("OPENBOOK_TEST_KNOB", **kwargs)


def test_values_are_parsed(monkeypatch):
    monkeypatch.setenv("OPENBOOK_TEST_KNOB", " Yes ")
    assert env.env_bool("OPENBOOK_TEST_KNOB", False) is True
    monkeypatch.setenv("OPENBOOK_TEST_KNOB", "a, b,,c")
    assert env.env_list("OPENBOOK_TEST_KNOB") == ["a", "b", "c"]
    monkeypatch.delenv("OPENBOOK_TEST_KNOB")
    assert env.env_int("OPENBOOK_TEST_KNOB", 7) == 7


def _manage(*args: str, **environ: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "SECRET_KEY", "DJANGO_SETTINGS_MODULE")}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, **environ},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_check_deploy():
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="support.example.com",
    )
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


def test_production_without_secret_key_refuses_to_start():
    result = _manage("check", DEBUG="false")
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is false" in result.stderr


def test_weak_secret_key_is_refused_in_production():
    result = _manage("check", DEBUG="false", SECRET_KEY="short")
    assert result.returncode != 0
    assert "SECRET_KEY is too weak" in result.stderr


def test_bad_database_url_names_the_variable():
    result = _manage("check", DEBUG="true", DATABASE_URL="mysql://root@localhost/db")
    assert result.returncode != 0
    assert "DATABASE_URL='mysql://root@localhost/db' is invalid" in result.stderr


def test_every_knob_is_in_the_readme_table():
    from support.conf.env import KNOWN

    readme = (ROOT / "README.md").read_text()
    missing = [name for name in KNOWN if f"`{name}`" not in readme and not name.startswith("OPENBOOK_TEST")]
    assert missing == []


def test_zero_config_is_development_so_manage_commands_just_work():
    base = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "SECRET_KEY", "DATABASE_URL")}
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "shell",
            "-c",
            "from django.conf import settings; print(settings.DEBUG)",
        ],
        cwd=ROOT,
        env=base,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("True")


def test_a_real_database_url_means_production_unless_debug_is_set():
    result = _manage("check", DATABASE_URL="postgresql://nobody@127.0.0.1:1/none")
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is false" in result.stderr


def test_celery_workers_keep_their_database_connections_between_tasks():
    # Celery's Django fixup would otherwise close them around every task: a new Postgres backend per task.
    import weakref

    from celery import signals
    from celery.fixups.django import DjangoWorkerFixup

    from support.celery import _database_connections_tidy, app

    assert DjangoWorkerFixup(app).db_reuse_max >= 10**6
    for signal in (signals.task_prerun, signals.task_postrun):
        receivers = [r() if isinstance(r, weakref.ReferenceType) else r for _, r in signal.receivers]
        assert _database_connections_tidy in receivers

"""deploy/compose.yml (and the GPU override) against the compose-spec JSON schema, which the
check-jsonschema wheel ships, and the wiring between its services and Openbook's settings."""

from __future__ import annotations

import copy
import json
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from django.conf import settings

from support.conf.env import KNOWN

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "deploy" / "compose.yml"
GPU = ROOT / "deploy" / "compose.gpu.yml"


def _schema() -> dict[str, Any]:
    vendored = resources.files("check_jsonschema.builtin_schemas.vendor") / "compose-spec.json"
    return json.loads(vendored.read_text())


def _errors(document: dict[str, Any]) -> list[str]:
    validator = jsonschema.Draft202012Validator(_schema())
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(document)]


def _compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text())


@pytest.mark.parametrize("path", [COMPOSE, GPU], ids=lambda p: p.name)
def test_compose_files_match_the_compose_spec(path):
    assert _errors(yaml.safe_load(path.read_text())) == []


def test_the_schema_rejects_a_misspelt_key():
    broken = copy.deepcopy(_compose())
    broken["services"]["web"]["comand"] = ["web"]
    assert any("comand" in error for error in _errors(broken))


def _queues_of(service: dict[str, Any]) -> list[str]:
    command = service["command"]
    return command[command.index("--queues") + 1].split(",")


def test_every_queue_has_its_own_worker_and_the_stack_is_complete():
    services = _compose()["services"]
    assert services["postgres"]["image"].startswith("pgvector/pgvector:")
    assert services["redis"]["image"].startswith("redis:")
    assert services["web"]["command"] == ["web"]
    assert services["beat"]["command"] == ["beat"]
    assert services["migrate"]["command"] == ["migrate"]
    assert services["migrate"]["restart"] == "no"
    consumed = {
        queue: name
        for name, service in services.items()
        if name.startswith("worker-")
        for queue in _queues_of(service)
    }
    assert set(consumed) == set(settings.CELERY_QUEUES_ALL)
    # Torch stays out of the web image: only the default queue's worker uses it.
    for queue, name in consumed.items():
        image = services[name]["image"]
        assert ("openbook-web" in image) == (queue == "default"), (queue, image)
    for name in ("web", "beat", *consumed.values()):
        depends = services[name]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully"
        assert depends["postgres"]["condition"] == "service_healthy"


def test_app_services_take_only_openbook_settings_from_their_environment():
    services = _compose()["services"]
    for name, service in services.items():
        if "openbook" not in str(service.get("image", "")):
            continue
        assert service["env_file"] == [{"path": "./openbook.env", "required": True}]
        unknown = sorted(set(service.get("environment", {})) - set(KNOWN))
        assert unknown == [], name


def test_vllm_is_an_optional_profile_serving_the_base_model_with_lora_for_the_openai_backend():
    services = _compose()["services"]
    vllm = services["vllm"]
    assert vllm["profiles"] == ["vllm"]
    assert all("profiles" not in s for n, s in services.items() if n != "vllm")
    command = vllm["command"]
    model = command[command.index("--model") + 1]
    assert "--enable-lora" in command
    assert vllm["environment"]["VLLM_PLUGINS"] == "lora_filesystem_resolver"
    port = command[command.index("--port") + 1]
    environment = services["worker-inference"]["environment"]
    assert environment["GENERATION_OPENAI_BASE_URL"] == f"http://vllm:{port}/v1"
    # vLLM names the model by the path it serves; adapters record BASE_MODEL; they must be the same.
    assert environment["GENERATION_OPENAI_MODEL"] == model == environment["BASE_MODEL"]
    # Adapters are found where the training worker stores them.
    adapters = vllm["environment"]["VLLM_LORA_RESOLVER_CACHE_DIR"]
    assert adapters == "/data/adapters"
    assert "ADAPTER_STORE=/data/adapters" in (ROOT / "deploy" / "docker" / "Dockerfile.ml").read_text()
    assert "data:/data" in services["worker-training"]["volumes"]
    assert "data:/data:ro" in vllm["volumes"]

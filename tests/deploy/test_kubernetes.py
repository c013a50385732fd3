"""deploy/k8s against the Kubernetes API's JSON schemas (strict: an unknown field is an error), shipped
by the kubernetes-validate wheel, and the rules the manifests follow: probes, resources, autoscalers,
secrets from the environment, a migration job."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
# The oldest release still widely run, and the newest the schemas know.
VERSIONS = ("1.29", kubernetes_validate.utils.latest_version())


def _documents(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def _kustomization(folder: Path) -> dict[str, Any]:
    return yaml.safe_load((folder / "kustomization.yaml").read_text())


def _resources(folder: Path) -> list[dict[str, Any]]:
    """What `kubectl apply -k folder` would create, before patches: its resource files, and those of the
    kustomizations it includes."""
    found: list[dict[str, Any]] = []
    for entry in _kustomization(folder)["resources"]:
        target = (folder / entry).resolve()
        found += _resources(target) if target.is_dir() else _documents(target)
    return found


def _all_manifests() -> list[tuple[str, dict[str, Any]]]:
    rows = []
    for path in sorted(K8S.rglob("*.yaml")):
        if path.name == "kustomization.yaml" or path.stem in _patch_names(path.parent):
            continue
        rows += [
            (f"{path.relative_to(K8S)}:{d['kind']}/{d['metadata']['name']}", d) for d in _documents(path)
        ]
    return rows


def _patch_names(folder: Path) -> set[str]:
    if not (folder / "kustomization.yaml").exists():
        return set()
    return {Path(p["path"]).stem for p in _kustomization(folder).get("patches", [])}


MANIFESTS = _all_manifests()


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize(("name", "manifest"), MANIFESTS, ids=[name for name, _ in MANIFESTS])
def test_manifest_matches_the_kubernetes_schema(name, manifest, version):
    kubernetes_validate.validate(manifest, version, strict=True)


def test_strict_validation_rejects_an_unknown_field():
    deployment = copy.deepcopy(
        next(m for _, m in MANIFESTS if m["kind"] == "Deployment" and m["metadata"]["name"] == "openbook-web")
    )
    deployment["spec"]["template"]["spec"]["containers"][0]["livenesProbe"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, VERSIONS[-1], strict=True)


def test_every_file_is_part_of_a_kustomization_or_an_example():
    listed = set()
    for kustomization in K8S.rglob("kustomization.yaml"):
        spec = yaml.safe_load(kustomization.read_text())
        for entry in [*spec.get("resources", []), *(p["path"] for p in spec.get("patches", []))]:
            target = (kustomization.parent / entry).resolve()
            assert target.exists(), f"{kustomization}: {entry} does not exist"
            listed.add(target)
    files = {p.resolve() for p in K8S.rglob("*.yaml") if p.name != "kustomization.yaml"}
    assert {p.name for p in files - listed} == {"secret.example.yaml"}


def _deployments(resources: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {r["metadata"]["name"]: r for r in resources if r["kind"] == "Deployment"}


def _pod(workload: dict[str, Any]) -> dict[str, Any]:
    return workload["spec"]["template"]["spec"]


def test_the_base_runs_web_beat_a_worker_per_queue_and_a_migration_job():
    resources = _resources(K8S / "base")
    deployments = _deployments(resources)
    args = {name: _pod(d)["containers"][0]["args"] for name, d in deployments.items()}
    assert args["openbook-web"] == ["web"]
    assert args["openbook-beat"] == ["beat"]
    assert deployments["openbook-beat"]["spec"]["replicas"] == 1
    assert deployments["openbook-beat"]["spec"]["strategy"]["type"] == "Recreate"
    queues = {a[a.index("--queues") + 1] for a in args.values() if "--queues" in a}
    assert queues == set(settings.CELERY_QUEUES_ALL)
    jobs = [r for r in resources if r["kind"] == "Job"]
    assert [_pod(j)["containers"][0]["args"] for j in jobs] == [["migrate"]]


def test_every_container_has_resources_probes_and_runs_as_non_root():
    for overlay in ("base", "gpu"):
        for name, deployment in _deployments(_resources(K8S / overlay)).items():
            pod = _pod(deployment)
            assert pod["securityContext"]["runAsNonRoot"] is True, name
            for container in pod["containers"]:
                resources = container["resources"]
                assert {"cpu", "memory"} <= set(resources["requests"])
                assert {"memory"} <= set(resources["limits"])
                assert container["securityContext"]["allowPrivilegeEscalation"] is False
                if name != "openbook-beat":  # beat serves nothing; see beat.yaml
                    assert "livenessProbe" in container, name


def test_the_web_is_alive_on_healthz_and_ready_on_readyz():
    web = _pod(_deployments(_resources(K8S / "base"))["openbook-web"])["containers"][0]
    assert web["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert web["readinessProbe"]["httpGet"]["path"] == "/readyz"


def test_workers_are_autoscaled_except_training():
    resources = _resources(K8S / "base")
    deployments = _deployments(resources)
    scaled = {
        r["spec"]["scaleTargetRef"]["name"] for r in resources if r["kind"] == "HorizontalPodAutoscaler"
    }
    assert scaled <= set(deployments)
    workers = {name for name in deployments if name.startswith("openbook-worker-")}
    assert workers - scaled == {"openbook-worker-training"}


def test_secrets_reach_the_containers_from_the_secret_and_the_example_has_what_production_needs():
    resources = _resources(K8S / "base")
    example = _documents(K8S / "base" / "secret.example.yaml")[0]
    for workload in [r for r in resources if r["kind"] in ("Deployment", "Job")]:
        for container in _pod(workload)["containers"]:
            sources = container["envFrom"]
            assert {"secretRef": {"name": example["metadata"]["name"]}} in sources
            assert {"configMapRef": {"name": "openbook-config"}} in sources
    assert {"SECRET_KEY", "DATABASE_URL", "REDIS_URL", "METRICS_TOKEN"} <= set(example["stringData"])
    config = next(r for r in resources if r["kind"] == "ConfigMap")
    # Secrets never sit in the ConfigMap.
    assert not {"SECRET_KEY", "DATABASE_URL", "METRICS_TOKEN"} & set(config["data"])


def _merge(base: Any, patch: Any) -> Any:
    """A strategic merge patch as kustomize applies it to these manifests: maps merge, lists of named
    items (containers, env) merge by name, other lists are replaced."""
    if isinstance(base, dict) and isinstance(patch, dict):
        merged = dict(base)
        for key, value in patch.items():
            merged[key] = _merge(base[key], value) if key in base else value
        return merged
    if (
        isinstance(base, list)
        and isinstance(patch, list)
        and all(isinstance(i, dict) and "name" in i for i in patch)
    ):
        merged_list = [dict(item) for item in base]
        for item in patch:
            match = next((i for i, b in enumerate(merged_list) if b.get("name") == item["name"]), None)
            if match is None:
                merged_list.append(item)
            else:
                merged_list[match] = _merge(merged_list[match], item)
        return merged_list
    return patch


def test_the_gpu_overlay_patches_existing_objects_into_valid_ones():
    folder = K8S / "gpu"
    base = _resources(folder)
    for entry in _kustomization(folder)["patches"]:
        patch = _documents(folder / entry["path"])[0]
        target = next(
            r
            for r in base
            if r["kind"] == patch["kind"] and r["metadata"]["name"] == patch["metadata"]["name"]
        )
        merged = _merge(target, patch)
        kubernetes_validate.validate(merged, VERSIONS[-1], strict=True)
        if merged["kind"] == "Deployment":
            limits = _pod(merged)["containers"][0]["resources"]["limits"]
            assert limits["nvidia.com/gpu"] == "1"
        else:
            assert merged["data"]["GENERATION_BACKEND"] == "openai"
            vllm = _deployments(base)["vllm"]
            args = _pod(vllm)["containers"][0]["args"]
            assert "--enable-lora" in args
            assert merged["data"]["GENERATION_OPENAI_MODEL"] == args[args.index("--model") + 1]

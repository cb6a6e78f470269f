"""The deployment files: Dockerfile, docker-compose.yml, Prometheus and Grafana provisioning.

No Docker engine runs here, so the files are checked for what they must hold, and the Grafana
dashboard against a real server: every metric it queries must be among those `/metrics`
exports once each service has answered a request.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from benchmarks.traffic import calls_for_every_service
from modelworks.core.encoders.minilm import MiniLMAssets
from modelworks.core.settings import AuthMode
from modelworks.server.app import create_app
from tests.conftest import REPO, SEED_USERS_FILE, make_settings

DEPLOY = REPO / "deploy"
DASHBOARD = DEPLOY / "grafana" / "dashboards" / "modelworks.json"
METRIC = re.compile(r"\bmodelworks_[a-z0-9_]+")


def dashboard_queries() -> list[str]:
    dashboard = json.loads(DASHBOARD.read_text())
    return [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]


def test_the_dashboard_has_the_panels_operators_need() -> None:
    titles = " | ".join(p["title"].lower() for p in json.loads(DASHBOARD.read_text())["panels"])
    for topic in ("request rate", "latency percentiles", "errors", "predictions per service",
                  "model version", "similarity", "interests", "jobs by state"):
        assert topic in titles, topic


def test_every_metric_the_dashboard_queries_is_exported(all_services_home: Path,
                                                          minilm_assets: MiniLMAssets) -> None:
    settings = make_settings(all_services_home, minilm_assets, auth=AuthMode.OFF)
    handle = SEED_USERS_FILE.read_text().splitlines()[1].split(",")[0]
    with TestClient(create_app(settings)) as client:
        calls = calls_for_every_service(client.get("/openapi.json").json(),
                                        {"user_handle": handle})
        assert {call.service for call in calls} == {"genres", "interests", "movies", "resumes",
                                                    "similarity"}
        for call in calls:
            answer = client.request(call.method, call.path, json=call.json, files=call.files)
            assert answer.status_code == 200, (call.service, answer.text)
        exported = {sample.name for family in text_string_to_metric_families(
            client.get("/metrics").text) for sample in family.samples}
    queried = {name for query in dashboard_queries() for name in METRIC.findall(query)}
    assert len(queried) >= 10
    assert queried <= exported, sorted(queried - exported)


def test_compose_runs_the_whole_platform_without_secrets_in_the_file() -> None:
    text = (REPO / "docker-compose.yml").read_text()
    compose = yaml.safe_load(text)
    services = compose["services"]
    assert set(services) == {"api", "dashboard", "postgres", "redis", "prometheus", "grafana"}
    api_env = services["api"]["environment"]
    assert api_env["MODELWORKS_DATABASE_URL"].startswith("postgresql+psycopg://")
    assert api_env["MODELWORKS_REDIS_URL"].startswith("redis://redis:")
    assert "--api-url" in services["dashboard"]["command"]
    # Passwords come from the environment, and compose refuses to start without them.
    passwords = {name: value for service in services.values()
                 for name, value in service.get("environment", {}).items()
                 if "PASSWORD" in name}
    assert set(passwords) == {"POSTGRES_PASSWORD", "GF_SECURITY_ADMIN_PASSWORD"}
    assert all(re.fullmatch(r"\$\{\w+:\?[^}]*\}", value) for value in passwords.values())
    assert "${POSTGRES_PASSWORD:?" in api_env["MODELWORKS_DATABASE_URL"]
    for service in services.values():  # every mounted file of the repository exists
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("./"):
                assert (REPO / source).exists(), source


def test_prometheus_scrapes_the_api_and_grafana_is_provisioned() -> None:
    prometheus = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text())
    job = prometheus["scrape_configs"][0]
    assert job["metrics_path"] == "/metrics"
    assert job["static_configs"][0]["targets"] == ["api:8000"]
    datasource = yaml.safe_load(
        (DEPLOY / "grafana/provisioning/datasources/prometheus.yml").read_text())
    assert datasource["datasources"][0]["url"] == "http://prometheus:9090"
    provider = yaml.safe_load(
        (DEPLOY / "grafana/provisioning/dashboards/modelworks.yml").read_text())
    assert provider["providers"][0]["options"]["path"] == "/var/lib/grafana/dashboards"
    panels = json.loads(DASHBOARD.read_text())["panels"]
    assert all(p["datasource"]["uid"] == datasource["datasources"][0]["uid"] for p in panels)


def test_the_image_is_multi_stage_non_root_healthchecked_and_offline() -> None:
    dockerfile = (REPO / "Dockerfile").read_text()
    assert len(re.findall(r"^FROM ", dockerfile, re.MULTILINE)) >= 2
    final_stage = dockerfile.rsplit("\nFROM ", 1)[1]
    assert re.search(r"^USER (?!root)\w+", final_stage, re.MULTILINE)
    assert "HEALTHCHECK" in final_stage
    assert "/healthz" in final_stage
    assert "modelworks train --all --if-missing" in dockerfile  # every service, at build time
    assert "admin.key" in dockerfile  # removed from the image: no baked-in secret


def test_the_deployment_guide_lists_every_setting() -> None:
    from modelworks.core.settings import Settings

    guide = (REPO / "docs" / "deployment.md").read_text()
    missing = [name for name in Settings.model_fields
               if f"`MODELWORKS_{name.upper()}`" not in guide]
    assert not missing


@pytest.mark.parametrize("service", ["genres", "resumes", "similarity"])
def test_the_deployment_guide_lists_every_service_setting(service: str) -> None:
    import importlib

    from modelworks.core.settings import ServiceSettings

    module = importlib.import_module(f"modelworks.services.{service}.settings")
    [options] = [value for value in vars(module).values() if isinstance(value, type)
                 and issubclass(value, ServiceSettings) and value is not ServiceSettings]
    guide = (REPO / "docs" / "deployment.md").read_text()
    missing = [name for name in options.model_fields
               if f"`MODELWORKS_{service.upper()}__{name.upper()}`" not in guide]
    assert not missing


def test_the_kuberay_manifest_builds_our_application_with_our_settings() -> None:
    import importlib

    from modelworks.core.settings import RayDeployment, Settings

    manifest = yaml.safe_load((DEPLOY / "kuberay" / "rayservice.yaml").read_text())
    assert manifest["kind"] == "RayService"
    [application] = yaml.safe_load(manifest["spec"]["serveConfigV2"])["applications"]
    assert application["route_prefix"] == "/"
    pytest.importorskip("ray")
    module, name = application["import_path"].split(":")
    assert callable(getattr(importlib.import_module(module), name))
    cluster = manifest["spec"]["rayClusterConfig"]
    groups = {group["groupName"]: group for group in cluster["workerGroupSpecs"]}
    assert "serving" in groups["serving"]["rayStartParams"]["resources"]
    assert "training" in groups["training"]["rayStartParams"]["resources"]
    env = {item["name"]: item for item in
           cluster["headGroupSpec"]["template"]["spec"]["containers"][0]["env"]}
    for variable in env:  # every variable is a setting the server reads
        assert variable.startswith("MODELWORKS_"), variable
        assert variable.removeprefix("MODELWORKS_").lower() in Settings.model_fields, variable
    replicas = json.loads(env["MODELWORKS_RAY_DEPLOYMENTS"]["value"])
    assert set(replicas) == {"genres", "interests", "movies", "resumes", "similarity"}
    for wanted in replicas.values():
        assert RayDeployment.model_validate(wanted).resources == {"serving": 1}
    assert env["MODELWORKS_RAY_TRAINING_RESOURCE"]["value"] == "training"
    assert "valueFrom" in env["MODELWORKS_DATABASE_URL"]  # a secret, never in the file
    assert "valueFrom" in env["MODELWORKS_TOKEN_SECRET"]
    assert "valueFrom" in env["MODELWORKS_REGISTRY_URL"]

"""docker-compose.yml, the Kubernetes manifests and the Procfile, checked without Docker or
Kubernetes: they parse, follow their schemas, and every command, variable and port they
name exists in the code."""

from __future__ import annotations

import importlib
import importlib.util
import json
import re
import shlex
import sys
from pathlib import Path

import jsonschema
import kubernetes_validate
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
K8S = ROOT / "deploy" / "kubernetes"
SOURCE_DIRS = [ROOT / "shared", ROOT / "services", ROOT / "deploy" / "gunicorn.conf.py"]
# Variables read by the server images themselves, not by our code.
IMAGE_VARIABLES = {"POSTGRES_USER", "POSTGRES_PASSWORD", "POSTGRES_DB", "RABBITMQ_DEFAULT_USER",
                   "RABBITMQ_DEFAULT_PASS"}
# Variables our own commands read (the migrate step picks one URL per service).
COMMAND_VARIABLES = {"CODE_ISSUER_DATABASE_URL", "REGISTRATION_DATABASE_URL",
                     "NOTIFIER_DATABASE_URL"}


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def k8s_documents() -> list[tuple[str, dict]]:
    docs = []
    for path in sorted(K8S.glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if doc:
                docs.append((path.name, doc))
    return docs


def procfile() -> dict[str, str]:
    sys.path.insert(0, str(ROOT / "tests-e2e"))
    try:
        from system import procfile as read
    finally:
        sys.path.pop(0)
    return read()


def source_text() -> str:
    texts = []
    for base in SOURCE_DIRS:
        files = [base] if base.is_file() else [p for p in base.rglob("*.py") if "tests" not in p.parts]
        texts += [p.read_text(errors="replace") for p in files]
    return "\n".join(texts)


def check_command(argv: list[str]) -> None:
    """The program and module a process command names exist and accept it."""
    if argv[:2] == ["sh", "-c"]:
        for step in argv[2].split("&&"):
            words = [w for w in shlex.split(step) if "=" not in w]
            check_command(words)
        return
    program = argv[0]
    if program == "python":
        assert argv[1] == "-m"
        package, sub = argv[2], argv[3]
        main = importlib.util.find_spec(f"{package}.__main__")
        assert main is not None, f"{package} has no __main__"
        assert f'"{sub}"' in Path(main.origin).read_text() or f"'{sub}'" in Path(
            main.origin).read_text(), f"{package} does not know the command {sub!r}"
    elif program == "gunicorn":
        target = argv[-1]
        module, attr = target.split(":")
        assert importlib.util.find_spec(module) is not None, module
        assert f"{attr} =" in Path(importlib.util.find_spec(module).origin).read_text()
        assert (ROOT / argv[argv.index("-c") + 1]).exists()
    elif program == "celery":
        module = argv[argv.index("-A") + 1]
        assert importlib.util.find_spec(module) is not None, module
        assert argv[argv.index("-A") + 2] in ("worker", "beat", "inspect")
    else:
        raise AssertionError(f"unknown program {program}")


def variables_named(obj) -> set[str]:
    names: set[str] = set()
    if isinstance(obj, dict):
        for key, value in obj.items():
            if key in ("environment",) and isinstance(value, dict):
                names |= set(value)
            names |= variables_named(value)
    elif isinstance(obj, list):
        for value in obj:
            names |= variables_named(value)
    return names


# --- docker-compose.yml ---------------------------------------------------------------

def test_compose_file_follows_the_compose_specification_schema():
    import check_jsonschema

    schema_path = (Path(check_jsonschema.__file__).parent / "builtin_schemas" / "vendor"
                   / "compose-spec.json")
    schema = json.loads(schema_path.read_text())
    jsonschema.validate(compose(), schema)


def test_every_procfile_process_is_a_compose_service_and_a_kubernetes_deployment():
    services = set(compose()["services"])
    deployments = {doc["metadata"]["name"] for _, doc in k8s_documents()
                   if doc["kind"] == "Deployment"}
    for name in procfile():
        if name == "smtp":
            assert name in services  # a development tool: not deployed to Kubernetes
            continue
        assert name in services, name
        assert name in deployments, name


@pytest.mark.parametrize("name", sorted(compose()["services"]))
def test_compose_service_commands_exist_in_the_code(name):
    service = compose()["services"][name]
    if "command" in service and "image" in service and service["image"].startswith("jobportal"):
        check_command(service["command"])


def test_compose_http_ports_match_the_gunicorn_binds_and_healthchecks():
    services = compose()["services"]
    for name, port in (("code-issuer", 8001), ("registration", 8002)):
        assert f"0.0.0.0:{port}" in services[name]["command"]
        assert services[name]["ports"] == [f"{port}:{port}"]
        assert f":{port}/readyz" in " ".join(services[name]["healthcheck"]["test"])


def test_compose_waits_for_healthy_servers_and_finished_migrations():
    services = compose()["services"]
    for name, service in services.items():
        if service.get("command") and name not in ("migrate", "smtp") and "build" in service:
            depends = service["depends_on"]
            assert depends["migrate"]["condition"] == "service_completed_successfully"
            assert depends["postgres"]["condition"] == "service_healthy"
            assert depends["rabbitmq"]["condition"] == "service_healthy"


def test_every_variable_in_compose_and_the_env_example_is_read_by_the_code():
    code = source_text()
    named = variables_named(compose())
    for line in (ROOT / "deploy" / "env.example").read_text().splitlines():
        if line and not line.startswith("#"):
            named.add(line.split("=", 1)[0])
    missing = sorted(v for v in named - IMAGE_VARIABLES - COMMAND_VARIABLES
                     if not re.search(rf"[\"']{v}[\"']", code))
    assert missing == []


def test_each_service_process_in_compose_uses_its_own_database():
    services = compose()["services"]
    for name, service in services.items():
        url = (service.get("environment") or {}).get("DATABASE_URL")
        if url:
            package = name.split("-")[0] if not name.startswith("code-issuer") else "code_issuer"
            assert url.endswith(f"/jobportal_{package}"), name


# --- Kubernetes --------------------------------------------------------------------

@pytest.mark.parametrize("filename,doc", k8s_documents(),
                         ids=[f"{f}:{d['kind']}" for f, d in k8s_documents()])
def test_kubernetes_manifest_validates_against_the_kubernetes_schema(filename, doc):
    kubernetes_validate.validate(doc, desired_version="1.30.0", strict=True)


def test_kubernetes_manifests_are_what_the_generator_writes():
    spec = importlib.util.spec_from_file_location("k8s_generate", K8S / "generate.py")
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    for filename, documents in generator.render().items():
        assert (K8S / filename).read_text() == generator.dump(documents), filename


def test_kubernetes_commands_variables_and_probes_match_the_code():
    code = source_text()
    config = next(doc for _, doc in k8s_documents() if doc["kind"] == "ConfigMap")
    secret = next(doc for _, doc in k8s_documents() if doc["kind"] == "Secret")
    for name in list(config["data"]) + list(secret["stringData"]):
        if name not in COMMAND_VARIABLES:
            assert re.search(rf"[\"']{name}[\"']", code), name
    for _, doc in k8s_documents():
        if doc["kind"] not in ("Deployment", "Job"):
            continue
        container = doc["spec"]["template"]["spec"]["containers"][0]
        check_command(container["command"])
        values = {}
        for ref in container.get("env", []):
            if "valueFrom" in ref:
                key = ref["valueFrom"]["secretKeyRef"]["key"]
                assert key in secret["stringData"], key
            else:
                assert re.search(rf"[\"']{ref['name']}[\"']", code), ref["name"]
                values[ref["name"]] = ref["value"]
        for port in container.get("ports", []):
            assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
            assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
            bind = f"0.0.0.0:{port['containerPort']}"
            assert bind in container["command"] or (
                values.get("NOTIFIER_HEALTH_HOST") == "0.0.0.0"  # noqa: S104
                and values.get("NOTIFIER_HEALTH_PORT") == str(port["containerPort"])), doc["metadata"]


def test_beat_is_a_single_replica_and_the_worker_autoscales():
    docs = {(d["kind"], d["metadata"]["name"]): d for _, d in k8s_documents()}
    assert docs[("Deployment", "notifier-beat")]["spec"]["replicas"] == 1
    hpa = docs[("HorizontalPodAutoscaler", "notifier-worker")]
    assert hpa["spec"]["scaleTargetRef"]["name"] == "notifier-worker"
    for (kind, name), _doc in docs.items():
        if kind == "Deployment" and name in ("code-issuer", "registration"):
            assert ("Service", name) in docs


# --- Procfile ----------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(procfile()))
def test_procfile_commands_exist_in_the_code(name):
    command = re.sub(r"\$\{[A-Z_]+:-([^}]+)\}", r"\1", procfile()[name])
    check_command(shlex.split(command))


def test_procfile_ports_are_the_documented_defaults():
    lines = procfile()
    assert "${CODE_ISSUER_PORT:-8001}" in lines["code-issuer"]
    assert "${REGISTRATION_PORT:-8002}" in lines["registration"]

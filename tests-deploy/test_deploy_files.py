"""docker-compose.yml (with its overrides), the Kubernetes manifests and the Procfile checked
as text: they parse, follow their schemas, and every command, variable and port they name
exists in the code. tests-deploy/containers/ runs them for real (make test-deploy)."""

from __future__ import annotations

import functools
import importlib
import importlib.util
import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml
from deploytools import pod_spec, render, workloads

ROOT = Path(__file__).resolve().parent.parent
OVERRIDES = [ROOT / "deploy" / "compose.local.yml", ROOT / "deploy" / "compose.dev.yml"]
SOURCE_DIRS = [ROOT / "shared", ROOT / "services", ROOT / "deploy" / "granian_server.py"]
# Variables read by the server images themselves, not by our code.
IMAGE_VARIABLES = {"POSTGRES_USER", "POSTGRES_PASSWORD", "POSTGRES_DB", "RABBITMQ_DEFAULT_USER",
                   "RABBITMQ_DEFAULT_PASS", "REDISCLI_AUTH"}

# Variables our own commands read (the migrate step picks one URL per service).
COMMAND_VARIABLES = {"CODE_ISSUER_DATABASE_URL", "REGISTRATION_DATABASE_URL",
                     "NOTIFIER_DATABASE_URL"}


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def merged() -> dict:
    """docker-compose.yml with both overrides, merged as compose does for these keys."""
    base = compose()
    for path in OVERRIDES:
        for name, service in yaml.safe_load(path.read_text())["services"].items():
            target = base["services"].setdefault(name, {})
            for key, value in service.items():
                if isinstance(value, dict) and isinstance(target.get(key), dict):
                    target[key] = {**target[key], **value}
                else:
                    target[key] = value
    return base


def is_app(service: dict) -> bool:
    return "JOBPORTAL_IMAGE" in str(service.get("image", ""))


def procfile() -> dict[str, str]:
    sys.path.insert(0, str(ROOT / "tests-e2e"))
    try:
        from system import procfile as read
    finally:
        sys.path.pop(0)
    return read()


def declared_variables() -> list[str]:
    """The variables the services' settings declare (shared.config.setting), with the
    `_FILE` form of each secret: a setting's name is written once, in no string of its own."""
    from code_issuer.config import Config as CodeIssuer
    from notifier.config import Config as Notifier
    from portal.config import Config as Portal
    from registration.config import Config as Registration

    from devtools.settings import Settings as DevTools
    from shared.config import declared

    names = []
    for config in (CodeIssuer, Registration, Notifier, Portal, DevTools):
        for _field, meta, name in declared(config):
            names += [name, f"{name}_FILE"] if meta.secret else [name]
    return names


def source_text() -> str:
    texts = []
    for base in SOURCE_DIRS:
        files = [base] if base.is_file() else [p for p in base.rglob("*.py") if "tests" not in p.parts]
        texts += [p.read_text(errors="replace") for p in files]
    texts += [f'"{name}"' for name in declared_variables()]
    return "\n".join(texts)


@functools.cache
def accepts(package: str, command: str) -> bool:
    """`python -m <package> <command> --help` answers: the command line knows it."""
    return subprocess.run([sys.executable, "-m", package, command, "--help"],
                          capture_output=True, timeout=60).returncode == 0


def check_wsgi_target(target: str) -> None:
    """`module:attribute` names a module that assigns the attribute."""
    module, attr = target.split(":")
    assert importlib.util.find_spec(module) is not None, module
    assert f"{attr} =" in Path(importlib.util.find_spec(module).origin).read_text()


def check_command(argv: list[str]) -> None:
    """The program and module a process command names exist and accept it."""
    if argv[:2] == ["sh", "-c"]:
        for step in argv[2].split("&&"):
            words = [w for w in shlex.split(step) if "=" not in w]
            check_command(words)
        return
    program = argv[0]
    if argv[:2] == ["python", "deploy/granian_server.py"]:  # the HTTP services (granian)
        check_wsgi_target(argv[-1])
        assert (ROOT / argv[1]).exists()
        return
    if program == "python":
        assert argv[1] == "-m"
        package, sub = argv[2], argv[3]
        assert importlib.util.find_spec(f"{package}.__main__") is not None, \
            f"{package} has no __main__"
        assert accepts(package, sub), f"{package} does not know the command {sub!r}"
    elif program == "gunicorn":
        check_wsgi_target(argv[-1])
        assert (ROOT / argv[argv.index("-c") + 1]).exists()
    elif program == "scripts/serve":  # HTTP_SERVER picks gunicorn or granian
        assert len(argv) == 3 and re.fullmatch(r"[\d.]+:\d+", argv[1]), argv
        check_wsgi_target(argv[2])
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
    for path in OVERRIDES:
        jsonschema.validate(yaml.safe_load(path.read_text()), schema)


def test_every_procfile_process_is_a_compose_service_and_a_kubernetes_deployment():
    services = set(merged()["services"])
    deployments = {doc["metadata"]["name"] for doc in render("base")
                   if doc["kind"] == "Deployment"}
    for name in procfile():
        if name == "smtp":  # a development tool: compose.dev.yml only, not in Kubernetes
            assert name in services and name not in compose()["services"]
            assert name not in deployments
            continue
        assert name in services, name
        assert name in deployments, name


@pytest.mark.parametrize("name", sorted(merged()["services"]))
def test_compose_service_commands_exist_in_the_code(name):
    service = merged()["services"][name]
    if "command" in service and is_app(service):
        check_command(service["command"])


def test_compose_publishes_only_the_portal_and_the_apis_on_127_0_0_1_by_default():
    services = compose()["services"]
    published = {name: s["ports"] for name, s in services.items() if s.get("ports")}
    assert set(published) == {"portal", "code-issuer", "registration"}
    for name, port, variable in (("portal", 8000, "PORTAL_PORT"),
                                 ("code-issuer", 8001, "CODE_ISSUER_PORT"),
                                 ("registration", 8002, "REGISTRATION_PORT")):
        assert f"0.0.0.0:{port}" in services[name]["command"]
        assert published[name] == [f"${{BIND_ADDRESS:-127.0.0.1}}:${{{variable}:-{port}}}:{port}"]
        assert f":{port}/" in " ".join(services[name]["healthcheck"]["test"])
    dev = yaml.safe_load(OVERRIDES[1].read_text())["services"]["smtp"]
    assert dev["ports"] == ["127.0.0.1:${MAIL_PAGE_PORT:-8025}:8025"]


def test_compose_waits_for_healthy_servers_and_finished_migrations():
    for name, service in compose()["services"].items():
        if is_app(service) and name != "migrate":
            depends = service["depends_on"]
            assert depends["migrate"]["condition"] == "service_completed_successfully"
            assert depends["postgres"]["condition"] == "service_healthy"
            assert depends["rabbitmq"]["condition"] == "service_healthy"
            assert "healthcheck" in service, name  # every process is probed


def test_compose_app_containers_run_as_the_kubernetes_pods_do():
    for name, service in merged()["services"].items():
        if is_app(service) or name == "smtp":
            assert service["user"] == "10001:10001", name
            assert service["read_only"] is True and service["tmpfs"] == ["/tmp"], name  # noqa: S108
            assert service["cap_drop"] == ["ALL"], name


def test_compose_secrets_come_from_the_env_file_and_are_required():
    text = (ROOT / "docker-compose.yml").read_text()
    for secret in ("DIGEST_SECRET", "OFFICE_API_KEYS", "PORTAL_SECRET_KEY", "POSTGRES_PASSWORD",
                   "RABBITMQ_DEFAULT_PASS", "REDIS_PASSWORD"):
        uses = re.findall(rf"\$\{{{secret}(:[?-][^}}]*)?\}}", text)
        assert uses and all(u.startswith(":?") for u in uses), secret
    assert "change-me" not in text


def test_the_env_example_holds_placeholders_that_production_refuses():
    from code_issuer.config import Config as CodeIssuer
    from portal.config import Config as Portal
    from registration.config import Config as Registration

    from shared.config import ConfigError

    values = dict(line.split("=", 1) for line in
                  (ROOT / "deploy" / "env.example").read_text().splitlines()
                  if line and not line.startswith("#"))
    secrets = {k: values[k] for k in ("DIGEST_SECRET", "OFFICE_API_KEYS", "PORTAL_SECRET_KEY",
                                      "POSTGRES_PASSWORD", "RABBITMQ_DEFAULT_PASS",
                                      "REDIS_PASSWORD", "MAIL_PAGE_TOKEN")}
    assert secrets and all(v == "replace-me" for v in secrets.values()), secrets
    production = {"APP_MODE": "production", **values}
    for config in (CodeIssuer, Registration, Portal):
        with pytest.raises(ConfigError):
            config.from_env(production)


def test_item5_compose_believes_forwarded_addresses_from_the_portal_only():
    services = compose()["services"]
    subnet = services and yaml.safe_load((ROOT / "docker-compose.yml").read_text())[
        "networks"]["default"]["ipam"]["config"][0]["subnet"]
    assert subnet == "${COMPOSE_SUBNET:-172.30.77.0/24}"
    for name in ("code-issuer", "registration"):
        # only the portal's pinned address: the gateway of the published ports is in the subnet
        assert services[name]["environment"]["TRUSTED_PROXIES"] == "${PORTAL_ADDRESS:-172.30.77.10}"
    portal = services["portal"]["networks"]["default"]["ipv4_address"]
    assert portal == "${PORTAL_ADDRESS:-172.30.77.10}"


def test_every_variable_in_compose_is_read_by_the_code_and_the_env_example_by_compose():
    code = source_text()
    named = variables_named(merged())
    missing = sorted(v for v in named - IMAGE_VARIABLES - COMMAND_VARIABLES
                     if not re.search(rf"[\"']{v}[\"']", code))
    assert missing == []
    files = "".join(p.read_text() for p in [ROOT / "docker-compose.yml", *OVERRIDES])
    for line in (ROOT / "deploy" / "env.example").read_text().splitlines():
        if line and not line.startswith("#"):
            assert "${" + line.split("=", 1)[0] in files, line


def test_each_service_process_in_compose_uses_its_own_database():
    services = compose()["services"]
    for name, service in services.items():
        url = (service.get("environment") or {}).get("DATABASE_URL")
        if url:
            package = name.split("-")[0] if not name.startswith("code-issuer") else "code_issuer"
            assert url.endswith(f"/jobportal_{package}"), name


# --- Kubernetes (the rest in test_kubernetes.py) -----------------------------------------

def test_kubernetes_commands_and_variables_match_the_code():
    code = source_text()
    documents = render("overlays/prod")
    config = next(d for d in documents if d["kind"] == "ConfigMap"
                  and d["metadata"]["name"] == "jobportal-config")
    for name in config["data"]:
        assert re.search(rf"[\"']{name}[\"']", code), name
    for document in workloads(documents):
        spec = pod_spec(document)
        for container in spec.get("initContainers", []) + spec["containers"]:
            if "jobportal" not in container["image"]:
                continue
            check_command(container["args"])
            for ref in container.get("env", []):
                if "value" in ref:
                    assert re.search(rf"[\"']{ref['name']}[\"']", code), ref["name"]


# --- Procfile ----------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(procfile()))
def test_procfile_commands_exist_in_the_code(name):
    command = re.sub(r"\$\{[A-Z_]+:-([^}]+)\}", r"\1", procfile()[name])
    check_command(shlex.split(command))


def test_procfile_ports_are_the_documented_defaults():
    lines = procfile()
    assert "${CODE_ISSUER_PORT:-8001}" in lines["code-issuer"]
    assert "${REGISTRATION_PORT:-8002}" in lines["registration"]

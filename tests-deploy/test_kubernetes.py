"""The Kubernetes manifests as a cluster would get them: Kustomize base and overlays rendered
with `kubectl kustomize`, validated with `kubernetes-validate --strict`, and every rule of
issue 15 checked on the rendered documents (the pods themselves run in
containers/test_pods.py). Also the connection budget of docs/SCALING.md."""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml
from deploytools import K8S, ROOT, pod_spec, render, workloads

OVERLAYS = ["base", "overlays/dev", "overlays/prod"]
UID = 10001
# Kinds the Kubernetes schemas know; the KEDA CRDs are checked against their own subset.
KEDA_KINDS = {"ScaledObject", "TriggerAuthentication"}


@pytest.fixture(scope="module", params=OVERLAYS)
def rendered(request) -> tuple[str, list[dict]]:
    return request.param, render(request.param)


def generator():
    spec = importlib.util.spec_from_file_location("k8s_generate", K8S / "generate.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["k8s_generate"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def containers(document: dict) -> list[dict]:
    spec = pod_spec(document)
    return spec.get("initContainers", []) + spec["containers"]


def own(document: dict) -> bool:
    """Our image's workloads (not PgBouncer's)."""
    return any("jobportal" in c["image"] for c in containers(document))


def test_base_is_what_the_generator_writes():
    for filename, text in generator().render().items():
        assert (K8S / "base" / filename).read_text() == text, filename
    written = {p.name for p in (K8S / "base").glob("*.yaml")}
    assert written == set(generator().render())


def test_every_overlay_passes_kubernetes_validate_strict(rendered, tmp_path):
    """The validator's own command line, --strict (unknown fields are errors)."""
    name, documents = rendered
    core = [d for d in documents if d["kind"] not in KEDA_KINDS]
    path = tmp_path / "rendered.yaml"
    path.write_text(yaml.safe_dump_all(core, sort_keys=False))
    result = subprocess.run([str(ROOT / ".venv" / "bin" / "kubernetes-validate"), "--strict",
                             "--quiet", "-k", "1.30.0", str(path)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


KEDA_SCHEMA = json.loads((Path(__file__).parent / "keda-v2-subset.schema.json").read_text())


def test_keda_objects_follow_their_schema_and_target_the_worker():
    documents = render("overlays/prod")
    keda = [d for d in documents if d["kind"] in KEDA_KINDS]
    assert {d["kind"] for d in keda} == KEDA_KINDS
    for document in keda:
        jsonschema.validate(document, KEDA_SCHEMA[document["kind"]])
    scaled = next(d for d in keda if d["kind"] == "ScaledObject")
    assert scaled["spec"]["scaleTargetRef"]["name"] == "notifier-worker"
    kinds = {t["type"] for t in scaled["spec"]["triggers"]}
    assert kinds == {"rabbitmq", "cpu"}  # queue depth, and the CPU rule as a fallback trigger
    queue = next(t for t in scaled["spec"]["triggers"] if t["type"] == "rabbitmq")
    config = next(d for d in documents if d["kind"] == "ConfigMap"
                  and d["metadata"]["name"] == "jobportal-config")
    assert queue["metadata"]["queueName"] == f"{config['data']['BUS_NAMESPACE']}.mail"
    assert "fallback" in scaled["spec"]
    # One autoscaler per Deployment: the base's CPU HPA of the worker is gone in prod.
    assert not [d for d in documents if d["kind"] == "HorizontalPodAutoscaler"
                and d["spec"]["scaleTargetRef"]["name"] == "notifier-worker"]


def test_every_pod_runs_as_a_numeric_user_with_a_read_only_root_and_no_capabilities(rendered):
    _, documents = rendered
    for document in workloads(documents):
        spec = pod_spec(document)
        pod = spec["securityContext"]
        assert pod["runAsNonRoot"] is True
        assert isinstance(pod["runAsUser"], int) and pod["runAsUser"] > 0
        assert isinstance(pod["runAsGroup"], int) and isinstance(pod["fsGroup"], int)
        if own(document):
            assert (pod["runAsUser"], pod["runAsGroup"], pod["fsGroup"]) == (UID, UID, UID)
        assert spec.get("automountServiceAccountToken") is False
        volumes = {v["name"]: v for v in spec.get("volumes", [])}
        for container in containers(document):
            context = container["securityContext"]
            assert context["readOnlyRootFilesystem"] is True
            assert context["allowPrivilegeEscalation"] is False
            assert context["capabilities"]["drop"] == ["ALL"]
            assert "add" not in context["capabilities"]
            mounts = {m["mountPath"]: m["name"] for m in container.get("volumeMounts", [])}
            tmp = mounts.get("/tmp")  # noqa: S108 - the pod's emptyDir, not a temp file here
            assert tmp and "emptyDir" in volumes[tmp], container["name"]


def test_the_image_user_is_the_pods_user():
    dockerfile = (ROOT / "deploy" / "Dockerfile").read_text()
    runtime = dockerfile[dockerfile.index("AS runtime"):]
    assert f"USER {UID}:{UID}" in runtime


def test_no_replicas_where_an_autoscaler_owns_them(rendered):
    _, documents = rendered
    scaled = {d["spec"]["scaleTargetRef"]["name"] for d in documents
              if d["kind"] in ("HorizontalPodAutoscaler", "ScaledObject")}
    for document in documents:
        if document["kind"] == "Deployment" and document["metadata"]["name"] in scaled:
            assert "replicas" not in document["spec"], document["metadata"]["name"]
    deployments = {d["metadata"]["name"] for d in documents if d["kind"] == "Deployment"}
    assert scaled <= deployments


def test_every_deployment_of_more_than_one_replica_has_a_pdb_and_topology_spread(rendered):
    _, documents = rendered
    autoscaled = {d["spec"]["scaleTargetRef"]["name"]: d for d in documents
                  if d["kind"] in ("HorizontalPodAutoscaler", "ScaledObject")}
    budgets = {d["metadata"]["name"]: d for d in documents if d["kind"] == "PodDisruptionBudget"}
    for document in documents:
        if document["kind"] != "Deployment":
            continue
        name = document["metadata"]["name"]
        scaler = autoscaled.get(name)
        most = (scaler["spec"].get("maxReplicas") or scaler["spec"].get("maxReplicaCount")
                if scaler else document["spec"].get("replicas", 1))
        if name == "notifier-beat":
            assert most == 1 and document["spec"]["strategy"]["type"] == "Recreate"
            continue
        if most <= 1:  # one pod (the dev overlay's relays): nothing to spread
            continue
        budget = budgets[name]
        labels = document["spec"]["template"]["metadata"]["labels"]
        assert all(labels.get(k) == v for k, v in
                   budget["spec"]["selector"]["matchLabels"].items())
        spread = pod_spec(document)["topologySpreadConstraints"]
        assert {c["topologyKey"] for c in spread} >= {"kubernetes.io/hostname"}
        for constraint in spread:
            assert constraint["labelSelector"]["matchLabels"] == \
                document["spec"]["selector"]["matchLabels"]


def test_migrations_run_before_each_new_pod_of_a_service_with_a_database(rendered):
    """An init container applies the service's migrations (yoyo's lock: once) before the
    main container of the new version starts; no Job whose name must change per release."""
    _, documents = rendered
    assert not [d for d in documents if d["kind"] == "Job"]
    for document in workloads(documents):
        if not own(document):
            continue
        main = pod_spec(document)["containers"][0]
        database = [e for e in main.get("env", []) if e["name"] == "DATABASE_URL"]
        if not database:
            assert "initContainers" not in pod_spec(document)
            continue
        [init] = pod_spec(document)["initContainers"]
        package = init["args"][2]
        assert init["args"] == ["python", "-m", package, "migrate"]
        key = database[0]["valueFrom"]["secretKeyRef"]["key"]
        assert key.startswith(package.upper().replace("-", "_"))
        [url] = [e for e in init["env"] if e["name"] == "DATABASE_URL"]
        assert url["valueFrom"]["secretKeyRef"]["key"] == f"{package.upper()}_DIRECT_DATABASE_URL"


def test_the_secret_example_is_applied_by_no_kustomization_and_holds_only_placeholders():
    example = K8S / "examples" / "secret.example.yaml"
    document = yaml.safe_load(example.read_text())
    assert document["kind"] == "Secret"
    for overlay in OVERLAYS:
        assert not [d for d in render(overlay) if d["kind"] == "Secret"], overlay
    for path in K8S.rglob("kustomization.yaml"):
        for resource in yaml.safe_load(path.read_text()).get("resources", []):
            assert "examples" not in resource and "secret" not in resource.lower(), path
    for key, value in document["stringData"].items():
        if key in ("SMTP_USER",):
            continue
        assert "replace-me" in value, key
    # Every key a pod reads from the Secret is in the example.
    keys = set(document["stringData"])
    for overlay in OVERLAYS:
        for workload in workloads(render(overlay)):
            for container in containers(workload):
                for env in container.get("env", []):
                    ref = env.get("valueFrom", {}).get("secretKeyRef")
                    if ref and ref["name"] == "jobportal-secrets":
                        assert ref["key"] in keys, ref["key"]


def test_images_are_named_by_version_or_digest_never_latest(rendered):
    _, documents = rendered
    for document in workloads(documents):
        for container in containers(document):
            image = container["image"]
            assert re.search(r"(:[0-9][\w.-]*|@sha256:[0-9a-f]{64})$", image), image
            assert not image.endswith(":latest")


def test_every_container_has_startup_liveness_and_readiness_probes_on_its_port(rendered):
    _, documents = rendered
    for document in workloads(documents):
        for container in pod_spec(document)["containers"]:
            for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
                assert probe in container, (container["name"], probe)
            if not own(document):
                continue
            port = container["ports"][0]["containerPort"]
            assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": port}
            assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": port}
            env = {e["name"]: e.get("value") for e in container.get("env", [])}
            served = {env.get("BIND", "").rsplit(":", 1)[-1], env.get("HEALTH_PORT"),
                      env.get("NOTIFIER_HEALTH_PORT")}
            assert str(port) in served, container["name"]


def test_containers_keep_the_images_init_process():
    """`args`, never `command`: tini (the image's ENTRYPOINT) stays PID 1."""
    for document in workloads(render("overlays/prod")):
        for container in containers(document):
            if "jobportal" in container["image"]:
                assert "command" not in container, container["name"]


def test_trusted_proxies_is_the_pod_network_and_documented():
    config = next(d for d in render("base") if d["kind"] == "ConfigMap"
                  and d["metadata"]["name"] == "jobportal-config")
    assert config["data"]["TRUSTED_PROXIES"] == "10.244.0.0/16"
    assert "TRUSTED_PROXIES" in (ROOT / "docs" / "DEPLOY.md").read_text()


# --- the connection budget (docs/SCALING.md) -------------------------------------------

def connections_per_pod(container: dict, config: dict) -> int:
    """PostgreSQL connections one pod holds at most, from its command and settings (the
    pools as the code makes them: shared.db.make_pool and its callers)."""
    args, env = container["args"], {**config, **{e["name"]: e.get("value")
                                                 for e in container.get("env", [])}}
    if args[:2] == ["python", "deploy/granian_server.py"]:
        module = args[-1].split(".")[0]
        per_worker = {"code_issuer": 10, "registration": int(env.get("DB_POOL_SIZE") or 10),
                      "portal": 0}[module]
        return per_worker * int(env.get("WEB_CONCURRENCY") or 2)
    if args[0] == "celery":
        if "beat" in args:
            return 0
        concurrency = int(args[args.index("--concurrency") + 1])
        return 4 * concurrency + 2  # a pool of 4 per prefork child, 2 for the probes
    if args[-1] == "relay":
        return 3  # the batch connection, the LISTEN connection, a readiness check
    if args[-1] == "consumer":
        return 4
    raise AssertionError(f"unknown process {args}")


def budget(overlay: str) -> dict[str, dict[str, int]]:
    """Connections at the autoscalers' maxima, split by where they go: PgBouncer (the
    <SERVICE>_DATABASE_URL keys in prod) or PostgreSQL directly (the DIRECT keys)."""
    documents = render(overlay)
    config = next(d for d in documents if d["kind"] == "ConfigMap"
                  and d["metadata"]["name"] == "jobportal-config")["data"]
    maxima = {}
    for d in documents:
        if d["kind"] == "HorizontalPodAutoscaler":
            maxima[d["spec"]["scaleTargetRef"]["name"]] = d["spec"]["maxReplicas"]
        if d["kind"] == "ScaledObject":
            maxima[d["spec"]["scaleTargetRef"]["name"]] = d["spec"]["maxReplicaCount"]
    totals: dict[str, dict[str, int]] = {"pooled": {}, "direct": {}}
    for document in workloads(documents):
        if not own(document):
            continue
        name = document["metadata"]["name"]
        pods = maxima.get(name, document["spec"].get("replicas", 1))
        container = pod_spec(document)["containers"][0]
        keys = [e["valueFrom"]["secretKeyRef"]["key"] for e in container.get("env", [])
                if e["name"] == "DATABASE_URL"]
        if not keys:
            continue
        where = "direct" if "_DIRECT_" in keys[0] else "pooled"
        totals[where][name] = pods * connections_per_pod(container, config)
        # the init container's migration: one connection per pod starting at once (surge 1)
        totals["direct"][f"{name}:migrate"] = 1
    return totals


def pgbouncer_settings(documents: list[dict]) -> tuple[int, dict[str, int]]:
    config = next(d for d in documents if d["kind"] == "ConfigMap"
                  and d["metadata"]["name"] == "pgbouncer")
    limit = int(config["metadata"]["annotations"]["jobportal.example.jp/postgres-max-connections"])
    ini = dict(re.findall(r"^(\w+) = (\S*)$", config["data"]["pgbouncer.ini"], re.M))
    return limit, {k: int(v) for k, v in ini.items() if v.isdigit()}


def test_the_connection_budget_fits_postgresql_with_pgbouncer_in_transaction_mode():
    documents = render("overlays/prod")
    limit, ini = pgbouncer_settings(documents)
    assert "pool_mode = transaction" in next(
        d for d in documents if d["kind"] == "ConfigMap"
        and d["metadata"]["name"] == "pgbouncer")["data"]["pgbouncer.ini"]
    totals = budget("overlays/prod")
    pooled, direct = sum(totals["pooled"].values()), sum(totals["direct"].values())
    # Without PgBouncer the pools alone would exceed PostgreSQL's limit: hence PgBouncer.
    assert pooled + direct > limit
    pgbouncers = next(d for d in documents if d["kind"] == "Deployment"
                      and d["metadata"]["name"] == "pgbouncer")["spec"]["replicas"]
    assert pooled <= ini["max_client_conn"] * pgbouncers
    server_side = ini["max_db_connections"] * 3 * pgbouncers  # three databases
    assert server_side + direct <= limit, (server_side, direct, limit)
    # The figures docs/SCALING.md quotes are these.
    scaling = (ROOT / "docs" / "SCALING.md").read_text()
    assert f"| **total through PgBouncer** | | | **{pooled}** |" in scaling
    assert f"| **total direct** | | | **{direct}** |" in scaling


def test_relays_and_migrations_never_go_through_pgbouncer():
    for document in workloads(render("overlays/prod")):
        if not own(document):
            continue
        for container in containers(document):
            keys = [e["valueFrom"]["secretKeyRef"]["key"] for e in container.get("env", [])
                    if e["name"] == "DATABASE_URL"]
            if container["name"] == "migrate" or container["args"][-1] == "relay":
                assert keys and "_DIRECT_" in keys[0], container["name"]

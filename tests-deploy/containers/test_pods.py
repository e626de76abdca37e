"""Each container of the rendered Kubernetes manifests (overlays/dev) run under podman as its
pod would: the pod's user and group, fsGroup, read-only root filesystem with the emptyDir
mounts, every capability dropped, no privilege escalation, its args, env and envFrom (the
ConfigMap as rendered, a test Secret), init containers first; host network and this
machine's real servers, in throw-away databases and a bus namespace of its own. Then its
startup, liveness and readiness probes are called, and SIGTERM must stop it promptly.

Other test runs share this machine: every port a container listens on is a free one, passed
through the settings the manifests themselves use (BIND, HEALTH_PORT, NOTIFIER_HEALTH_PORT);
the probes are called on that port. One container runs at a time (the two APIs stay up
while the portal is tried, whose readiness calls them).
"""

from __future__ import annotations

import secrets
import time
from contextlib import ExitStack

import pytest
import requests
from deploytools import free_port, pod_spec, run, timed, workloads
from kombu import Connection

from shared.bus import Topology
from shared.db import drop_database
from shared.outbox import task_queue
from testsupport import BROKER, REDIS, dsn_for, unique

PORT_SETTINGS = ("BIND", "HEALTH_PORT", "NOTIFIER_HEALTH_PORT")


@pytest.fixture(scope="module")
def cluster_env(dev_documents):
    """The ConfigMap as rendered, and a Secret of test values on this machine's servers."""
    namespace = unique("pods")
    databases = {s: dsn_for(unique(f"pods_{s.lower()}"))
                 for s in ("CODE_ISSUER", "REGISTRATION", "NOTIFIER")}
    config = next(d for d in dev_documents if d["kind"] == "ConfigMap"
                  and d["metadata"]["name"] == "jobportal-config")["data"]
    secret = {
        "DIGEST_SECRET": secrets.token_urlsafe(48),
        "OFFICE_API_KEYS": secrets.token_urlsafe(36),
        "PORTAL_SECRET_KEY": secrets.token_urlsafe(48),
        "BROKER_URL": BROKER,
        "REDIS_URL": REDIS,
        "SMTP_USER": "",
        "SMTP_PASSWORD": "",
        **{f"{s}_DATABASE_URL": url for s, url in databases.items()},
        **{f"{s}_DIRECT_DATABASE_URL": url for s, url in databases.items()},
    }
    # Where the ConfigMap names cluster services, this machine's own stand in.
    config = {**config, "BUS_NAMESPACE": namespace, "SMTP_HOST": "127.0.0.1",
              "SMTP_PORT": str(free_port()), "SMTP_STARTTLS": "false",
              "REDIS_PREFIX": f"{namespace}:"}
    yield {"config": config, "secret": secret}
    for url in databases.values():
        drop_database(url)
    with Connection(BROKER) as conn:
        Topology(namespace).delete(conn)
        for name in (f"{namespace}.mail", f"{namespace}.timers"):
            try:
                task_queue(name)(conn.default_channel).delete()
                task_queue(name).exchange(conn.default_channel).delete()
            except Exception:  # noqa: BLE001 - never declared
                pass


def resolve_env(container: dict, env: dict, overrides: dict[str, str]) -> dict[str, str]:
    values: dict[str, str] = {}
    for source in container.get("envFrom", []):
        if "configMapRef" in source:
            values.update(env["config"])
        if "secretRef" in source:
            values.update(env["secret"])
    for item in container.get("env", []):
        if "value" in item:
            values[item["name"]] = item["value"]
        else:
            values[item["name"]] = env["secret"][item["valueFrom"]["secretKeyRef"]["key"]]
    values.update(overrides)
    return values


def podman_argv(name: str, pod: dict, container: dict, env: dict[str, str]) -> list[str]:
    """`podman run` with what the kubelet would apply from the pod and container specs."""
    security = {**pod.get("securityContext", {}), **container.get("securityContext", {})}
    volumes = {v["name"]: v for v in pod.get("volumes", [])}
    argv = ["podman", "run", "-d", "--name", name, "--network", "host",
            "--user", f"{security['runAsUser']}:{security['runAsGroup']}",
            "--group-add", str(pod["securityContext"]["fsGroup"])]
    if security.get("readOnlyRootFilesystem"):
        argv.append("--read-only")
    if security.get("allowPrivilegeEscalation") is False:
        argv += ["--security-opt", "no-new-privileges"]
    for cap in security.get("capabilities", {}).get("drop", []):
        argv += ["--cap-drop", cap]
    for mount in container.get("volumeMounts", []):
        volume = volumes[mount["name"]]
        assert "emptyDir" in volume, volume  # what the pods mount
        size = volume["emptyDir"].get("sizeLimit", "64Mi").replace("Mi", "m")
        argv += ["--tmpfs", f"{mount['mountPath']}:rw,size={size},mode=1777"]
    limits = container.get("resources", {}).get("limits", {})
    if "memory" in limits:
        argv += ["--memory", limits["memory"].replace("Mi", "m")]
    for key, value in sorted(env.items()):
        argv += ["--env", f"{key}={value}"]
    return [*argv, container["image"], *container["args"]]


def call(port: int, path: str) -> int:
    try:
        return requests.get(f"http://127.0.0.1:{port}{path}", timeout=2).status_code
    except requests.RequestException:
        return 0


def probe_until(port: int, probe: dict, name: str, logs) -> None:
    """A probe as the kubelet runs it: every periodSeconds, until failureThreshold."""
    path = probe["httpGet"]["path"]
    tries = probe.get("failureThreshold", 3)
    for _ in range(tries):
        if call(port, path) == 200:
            return
        time.sleep(probe.get("periodSeconds", 10))
    raise AssertionError(f"{name}: {path} on {port} failed {tries} times\n{logs()}")


class Pods:
    def __init__(self, env: dict, image: str):
        self.env = env
        self.image = image
        self.running: dict[str, tuple[str, int]] = {}  # deployment -> (container, port)
        self.tag = secrets.token_hex(3)

    def logs(self, name: str):
        return lambda: (lambda r: (r.stdout + r.stderr)[-3000:])(
            run(["podman", "logs", name], check=False))

    def start(self, document: dict, extra: dict[str, str] | None = None) -> tuple[str, int]:
        pod = pod_spec(document)
        deployment = document["metadata"]["name"]
        for init in pod.get("initContainers", []):
            name = f"pod-{self.tag}-{deployment}-{init['name']}"
            run(podman_argv(name, pod, init, resolve_env(init, self.env, {})))
            code = run(["podman", "wait", name], timeout=180).stdout.strip()
            assert code == "0", self.logs(name)()
            run(["podman", "rm", name])
        [container] = pod["containers"]
        port = free_port()
        overrides = dict(extra or {})
        for item in container.get("env", []):
            if item["name"] in PORT_SETTINGS:  # the same setting, a free port
                host = item["value"].rsplit(":", 1)[0] + ":" if ":" in item["value"] else ""
                overrides[item["name"]] = f"{host}{port}"
        name = f"pod-{self.tag}-{deployment}"
        run(podman_argv(name, pod, container, resolve_env(container, self.env, overrides)))
        self.running[deployment] = (name, port)
        # startupProbe, then liveness and readiness, on the port the container serves
        declared = container["ports"][0]["containerPort"]
        for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
            spec = container[probe]
            assert spec["httpGet"]["port"] == declared
            probe_until(port, spec, f"{deployment} {probe}", self.logs(name))
        return name, port

    def inspect(self, name: str, template: str) -> str:
        return run(["podman", "inspect", name, "--format", template]).stdout.strip()

    def stop(self, deployment: str) -> float:
        name, _ = self.running.pop(deployment)
        started = time.monotonic()
        run(["podman", "stop", "-t", "25", name], timeout=60)
        took = time.monotonic() - started
        code = self.inspect(name, "{{.State.ExitCode}}")
        run(["podman", "rm", "-f", name], check=False)
        return took if code in ("0", "143") else float("inf")

    def remove_all(self) -> None:
        for name, _ in list(self.running.values()):
            run(["podman", "rm", "-f", name], check=False)
        self.running.clear()


def test_item_the_dev_overlay_names_the_image_make_test_deploy_builds(dev_documents, image):
    for document in workloads(dev_documents):
        for container in pod_spec(document).get("initContainers", []) + \
                pod_spec(document)["containers"]:
            assert container["image"] == image


def test_item_every_container_runs_as_its_pod_would_and_answers_its_probes(
        dev_documents, image, cluster_env):
    deployments = {d["metadata"]["name"]: d for d in workloads(dev_documents)}
    order = ["code-issuer", "registration"] + sorted(
        set(deployments) - {"code-issuer", "registration", "portal"}) + ["portal"]
    assert set(order) == set(deployments)
    pods = Pods(cluster_env, image)
    stopped: dict[str, float] = {}
    with ExitStack() as cleanup, timed(f"pods: {len(order)} containers run as their pods"):
        cleanup.callback(pods.remove_all)
        for deployment in order:
            extra = {}
            if deployment == "portal":  # its readiness calls both APIs
                extra = {"CODE_ISSUER_URL": f"http://127.0.0.1:{pods.running['code-issuer'][1]}",
                         "REGISTRATION_URL":
                             f"http://127.0.0.1:{pods.running['registration'][1]}"}
            name, port = pods.start(deployments[deployment], extra)
            # As the pod would: its user, read-only root, no capabilities, tini as PID 1.
            assert pods.inspect(name, "{{.Config.User}}") == "10001:10001"
            assert pods.inspect(name, "{{.HostConfig.ReadonlyRootfs}}") == "true"
            assert run(["podman", "exec", name, "cat", "/proc/1/comm"]).stdout.strip() == "tini"
            status = run(["podman", "exec", name, "grep", "^CapEff", "/proc/1/status"]).stdout
            assert status.split()[-1] == "0000000000000000", status
            denied = run(["podman", "exec", name, "touch", "/app/x"], check=False)
            assert denied.returncode != 0
            if deployment not in ("code-issuer", "registration"):
                stopped[deployment] = pods.stop(deployment)
        for deployment in ("code-issuer", "registration"):
            stopped[deployment] = pods.stop(deployment)
    slow = {d: s for d, s in stopped.items() if s > 15}
    assert slow == {}, f"SIGTERM did not stop these within 15 s (or a non-zero exit): {slow}"


def test_item_the_readiness_of_a_relay_follows_its_database_not_the_broker(
        dev_documents, image, cluster_env):
    """A relay whose broker is unreachable stays ready (the outbox waits); one whose database
    is unreachable is not ready but alive."""
    relay = next(d for d in workloads(dev_documents)
                 if d["metadata"]["name"] == "registration-relay")
    pods = Pods(cluster_env, image)
    with ExitStack() as cleanup:
        cleanup.callback(pods.remove_all)
        env = {**cluster_env, "secret": {**cluster_env["secret"],
                                         "BROKER_URL": f"amqp://guest:guest@127.0.0.1:{free_port()}//"}}
        pods.env = env
        _, port = pods.start(relay)
        assert call(port, "/readyz") == 200
        metrics = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
        assert "jobportal_broker_up 0.0" in metrics
        pods.stop("registration-relay")
        dead = dsn_for("no_such_database_" + secrets.token_hex(4)).replace(
            "127.0.0.1:5432", f"127.0.0.1:{free_port()}")
        pods.env = {**cluster_env, "secret": {**cluster_env["secret"],
                                              "REGISTRATION_DIRECT_DATABASE_URL": dead}}
        pod = pod_spec(relay)
        relay_only = {**relay, "spec": {**relay["spec"], "template": {
            **relay["spec"]["template"], "spec": {**pod, "initContainers": []}}}}
        with pytest.raises(AssertionError, match="readinessProbe"):
            pods.start(relay_only)
        name, port = pods.running["registration-relay"]
        assert call(port, "/healthz") == 200 and call(port, "/readyz") == 503

"""Writes the Kustomize base (deploy/kubernetes/base/) from one table of processes.

Run `python deploy/kubernetes/generate.py` after changing a process; tests-deploy checks the
committed files are what this script writes, renders base and overlays with
`kubectl kustomize`, validates them (kubernetes-validate --strict) and runs every container
under podman as its pod would (tests-deploy/test_pods.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

HERE = Path(__file__).parent
BASE = HERE / "base"
IMAGE = "registry.example.jp/jobportal"  # the tag or digest is set by each overlay
UID = 10001  # deploy/Dockerfile's USER
LABELS = {"app.kubernetes.io/part-of": "jobportal"}
MIGRATE = {"code_issuer": "code_issuer", "registration": "registration", "notifier": "notifier"}


@dataclass(frozen=True)
class Process:
    name: str
    service: str | None  # whose database (secret key <SERVICE>_DATABASE_URL); None: none
    command: list[str]
    port: int | None = None  # HTTP processes: granian's BIND port and the Service's
    health_port: int | None = None  # the others: shared.probes' HEALTH_PORT
    health_env: str = "HEALTH_PORT"
    replicas: int | None = None  # fixed replicas; None when an autoscaler owns them
    autoscale: tuple[int, int] | None = None  # (min, max) of the CPU HPA
    # Relays LISTEN for NOTIFY and the migrations take locks: both need a direct session to
    # PostgreSQL, never a transaction-mode PgBouncer (docs/SCALING.md).
    direct_database: bool = False
    cpu: tuple[str, str] = ("100m", "1")
    memory: tuple[str, str] = ("192Mi", "384Mi")
    env: dict[str, str] = field(default_factory=dict)

    @property
    def probe_port(self) -> int:
        return self.port or self.health_port  # type: ignore[return-value]


def http(module: str) -> list[str]:
    # granian with the services' settings (bench/levers/http-server.md); the address comes
    # from BIND: set per container below.
    return ["python", "deploy/granian_server.py", f"{module}.wsgi:app"]


PROCESSES = [
    Process("code-issuer", "CODE_ISSUER", http("code_issuer"), port=8001,
            autoscale=(2, 6), cpu=("250m", "1"), memory=("256Mi", "512Mi")),
    Process("code-issuer-relay", "CODE_ISSUER", ["python", "-m", "code_issuer", "relay"],
            health_port=9101, replicas=2, direct_database=True),
    Process("code-issuer-consumer", "CODE_ISSUER", ["python", "-m", "code_issuer", "consumer"],
            health_port=9102, replicas=2),
    Process("registration", "REGISTRATION", http("registration"), port=8002,
            autoscale=(3, 12), cpu=("500m", "2"), memory=("384Mi", "768Mi")),
    Process("registration-relay", "REGISTRATION", ["python", "-m", "registration", "relay"],
            health_port=9111, replicas=2, direct_database=True),
    Process("registration-consumer", "REGISTRATION",
            ["python", "-m", "registration", "consumer"], health_port=9112, replicas=2),
    Process("notifier-worker", "NOTIFIER",
            ["celery", "-A", "notifier.celery_app", "worker", "--loglevel", "INFO",
             "--concurrency", "4"], health_port=8003, health_env="NOTIFIER_HEALTH_PORT",
            autoscale=(2, 20), memory=("256Mi", "512Mi")),
    Process("notifier-beat", None,
            ["celery", "-A", "notifier.celery_app", "beat", "--loglevel", "INFO",
             "--schedule", "/tmp/celerybeat-schedule"], health_port=9123, replicas=1),
    Process("notifier-relay", "NOTIFIER", ["python", "-m", "notifier", "relay"],
            health_port=9121, replicas=2, direct_database=True),
    Process("notifier-consumer", "NOTIFIER", ["python", "-m", "notifier", "consumer"],
            health_port=9122, replicas=2),
    Process("portal", None, http("portal"), port=8000, autoscale=(2, 8),
            cpu=("250m", "1"), memory=("256Mi", "512Mi")),
]


def secret_ref(key: str) -> dict:
    return {"secretKeyRef": {"name": "jobportal-secrets", "key": key}}


def database_key(process: Process) -> str:
    return f"{process.service}_{'DIRECT_' if process.direct_database else ''}DATABASE_URL"


def security_context() -> dict:
    return {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
            "runAsNonRoot": True, "runAsUser": UID, "runAsGroup": UID,
            "capabilities": {"drop": ["ALL"]}}


def container_env(process: Process) -> list[dict]:
    env: list[dict] = []
    if process.service:
        env.append({"name": "DATABASE_URL", "valueFrom": secret_ref(database_key(process))})
    if process.port:
        env.append({"name": "BIND", "value": f"0.0.0.0:{process.port}"})
    if process.health_port:
        env.append({"name": process.health_env, "value": str(process.health_port)})
    env += [{"name": k, "value": v} for k, v in process.env.items()]
    return env


def probes(process: Process) -> dict:
    port = process.probe_port
    return {
        "startupProbe": {"httpGet": {"path": "/healthz", "port": port}, "periodSeconds": 2,
                         "timeoutSeconds": 2, "failureThreshold": 60},
        "livenessProbe": {"httpGet": {"path": "/healthz", "port": port}, "periodSeconds": 10,
                          "timeoutSeconds": 2, "failureThreshold": 3},
        "readinessProbe": {"httpGet": {"path": "/readyz", "port": port}, "periodSeconds": 5,
                           "timeoutSeconds": 2, "failureThreshold": 2},
    }


def main_container(process: Process) -> dict:
    spec: dict = {
        "name": process.name,
        "image": IMAGE,
        # `args`, not `command`: the image's ENTRYPOINT (tini) stays PID 1, forwards SIGTERM
        # and reaps the workers' children.
        "args": process.command,
        "envFrom": [{"configMapRef": {"name": "jobportal-config"}},
                    {"secretRef": {"name": "jobportal-secrets"}}],
        "env": container_env(process),
        "ports": [{"name": "http" if process.port else "probes",
                   "containerPort": process.probe_port}],
        **probes(process),
        "resources": {"requests": {"cpu": process.cpu[0], "memory": process.memory[0]},
                      "limits": {"cpu": process.cpu[1], "memory": process.memory[1]}},
        "securityContext": security_context(),
        "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],
    }
    if process.port:  # let the load balancer stop sending before granian stops accepting
        spec["lifecycle"] = {"preStop": {"sleep": {"seconds": 5}}}
    return spec


def migrate_container(service: str) -> dict:
    """Migrations before the new version starts: yoyo takes a lock, so replicas starting
    together apply them once and the others wait; a current schema is a no-op."""
    package = MIGRATE[service.lower()]
    return {
        "name": "migrate",
        "image": IMAGE,
        "args": ["python", "-m", package, "migrate"],
        "envFrom": [{"configMapRef": {"name": "jobportal-config"}},
                    {"secretRef": {"name": "jobportal-secrets"}}],
        "env": [{"name": "DATABASE_URL", "valueFrom": secret_ref(f"{service}_DIRECT_DATABASE_URL")}],
        "resources": {"requests": {"cpu": "50m", "memory": "128Mi"},
                      "limits": {"cpu": "500m", "memory": "256Mi"}},
        "securityContext": security_context(),
        "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],
    }


def selector(process: Process) -> dict:
    return {"app.kubernetes.io/name": process.name}


def deployment(process: Process) -> dict:
    labels = {**LABELS, "app.kubernetes.io/name": process.name,
              "app.kubernetes.io/component": "web" if process.port else "worker"}
    single = process.replicas == 1
    pod: dict = {
        "automountServiceAccountToken": False,
        "enableServiceLinks": False,
        "terminationGracePeriodSeconds": 30,
        "securityContext": {"runAsNonRoot": True, "runAsUser": UID, "runAsGroup": UID,
                            "fsGroup": UID, "seccompProfile": {"type": "RuntimeDefault"}},
        "containers": [main_container(process)],
        "volumes": [{"name": "tmp", "emptyDir": {"medium": "Memory", "sizeLimit": "64Mi"}}],
    }
    if process.service:
        pod["initContainers"] = [migrate_container(process.service)]
    if not single:
        pod["topologySpreadConstraints"] = [
            {"maxSkew": 1, "topologyKey": key, "whenUnsatisfiable": "ScheduleAnyway",
             "labelSelector": {"matchLabels": selector(process)}}
            for key in ("topology.kubernetes.io/zone", "kubernetes.io/hostname")]
    spec: dict = {
        "selector": {"matchLabels": selector(process)},
        # beat: never two at once during a rollout (its sweeps are claimed in the database,
        # so an accidental second one is harmless, but pointless).
        "strategy": {"type": "Recreate"} if single else {
            "type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1}},
        "template": {"metadata": {"labels": labels}, "spec": pod},
    }
    if process.replicas is not None:  # an autoscaler owns the count otherwise
        spec = {"replicas": process.replicas, **spec}
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": process.name, "labels": labels}, "spec": spec}


def service(process: Process) -> dict:
    return {"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": process.name,
                         "labels": {**LABELS, "app.kubernetes.io/name": process.name}},
            "spec": {"selector": selector(process),
                     "ports": [{"name": "http", "port": process.port, "targetPort": "http"}]}}


def autoscaler(process: Process) -> dict:
    low, high = process.autoscale  # type: ignore[misc]
    return {
        "apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": process.name, "labels": LABELS},
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment",
                               "name": process.name},
            "minReplicas": low, "maxReplicas": high,
            "metrics": [{"type": "Resource", "resource": {
                "name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}}}],
        },
    }


def disruption_budget(process: Process) -> dict:
    return {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
            "metadata": {"name": process.name, "labels": LABELS},
            "spec": {"maxUnavailable": 1, "selector": {"matchLabels": selector(process)}}}


def configmap() -> dict:
    return {
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "jobportal-config", "labels": LABELS},
        "data": {
            "APP_MODE": "production",
            "BUS_NAMESPACE": "jobportal",
            "OFFICE_TIME_ZONE": "Asia/Tokyo",
            "LOG_LEVEL": "INFO",
            "SMTP_HOST": "smtp.mail.svc.cluster.local",
            "SMTP_PORT": "587",
            "SMTP_STARTTLS": "true",
            "MAIL_FROM": "system@mail.example.jp",
            # The cluster's pod network (the portal's pods forward the client address to
            # the APIs). Set it to YOUR cluster's pod CIDR (docs/DEPLOY.md).
            "TRUSTED_PROXIES": "10.244.0.0/16",
            "CODE_ISSUER_URL": "http://code-issuer:8001",
            "REGISTRATION_URL": "http://registration:8002",
            # Probes are called on the pod's address by the kubelet.
            "HEALTH_HOST": "0.0.0.0",  # noqa: S104
            "NOTIFIER_HEALTH_HOST": "0.0.0.0",  # noqa: S104
            "WEB_CONCURRENCY": "2",
            "DB_POOL_SIZE": "8",
        },
    }


class _NoAliases(yaml.SafeDumper):
    def ignore_aliases(self, data):
        return True


HEADER = "# Generated by deploy/kubernetes/generate.py; edit the table there.\n"


def dump(documents: list[dict]) -> str:
    return HEADER + "---\n".join(
        yaml.dump(d, Dumper=_NoAliases, sort_keys=False) for d in documents)


def render() -> dict[str, str]:
    files: dict[str, str] = {"configmap.yaml": dump([configmap()])}
    for process in PROCESSES:
        documents = [deployment(process)]
        if process.port:
            documents.append(service(process))
        if process.autoscale:
            documents.append(autoscaler(process))
        if process.replicas != 1:
            documents.append(disruption_budget(process))
        files[f"{process.name}.yaml"] = dump(documents)
    resources = "".join(f"  - {name}\n" for name in sorted(files))
    files["kustomization.yaml"] = (
        HEADER + "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
        "labels:\n  - pairs:\n      app.kubernetes.io/part-of: jobportal\n"
        "images:\n  - name: registry.example.jp/jobportal\n    newTag: 0.1.0\n"
        f"resources:\n{resources}")
    return files


if __name__ == "__main__":
    BASE.mkdir(exist_ok=True)
    for old in BASE.glob("*.yaml"):
        old.unlink()
    for filename, text in render().items():
        (BASE / filename).write_text(text)

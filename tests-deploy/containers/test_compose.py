"""docker-compose.yml for real: the stack built here (servers from Debian's packages, the
development SMTP server), one whole flow through the published ports of the portal and the
APIs, the mail worker scaled to 3 with 50 flows (50 mails, no duplicate), a worker killed
mid-run (no mail lost), then `compose down -v` leaves nothing behind."""

from __future__ import annotations

import ipaddress
import json
import os
import random
import re
import secrets
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from deploytools import COMPOSE_ENV, ROOT, compose_binary, free_port, run, timed

FILES = ["-f", str(ROOT / "docker-compose.yml"), "-f", str(ROOT / "deploy" / "compose.local.yml"),
         "-f", str(ROOT / "deploy" / "compose.dev.yml")]
SUBJECT = "パスワード登録申込受付通知"
KEY = re.compile(r"認証キー[^0-9A-Z]*([0-9A-Z]{8})\b")


def used_subnets() -> set[ipaddress.IPv4Network]:
    names = run(["podman", "network", "ls", "--format", "{{.Name}}"]).stdout.split()
    found = set()
    for name in names:
        info = json.loads(run(["podman", "network", "inspect", name]).stdout)
        for net in info:
            for sub in net.get("subnets") or []:
                found.add(ipaddress.ip_network(sub["subnet"]))
    return found


def pick_subnet() -> str:
    taken = used_subnets()
    for _ in range(200):
        candidate = ipaddress.ip_network(f"172.30.{random.randint(100, 250)}.0/24")
        if not any(candidate.overlaps(t) for t in taken):
            return str(candidate)
    raise AssertionError("no free 172.30.x.0/24 subnet for the compose network")


class Stack:
    """One compose project of its own: own name, ports, subnet and secrets."""

    def __init__(self, workdir: Path):
        self.project = f"jpdeploy{secrets.token_hex(3)}"
        self.ports = {name: free_port() for name in ("portal", "code_issuer", "registration",
                                                     "mail_page")}
        self.office_key = secrets.token_urlsafe(36)
        values = {
            "DIGEST_SECRET": secrets.token_urlsafe(48),
            "OFFICE_API_KEYS": self.office_key,
            "PORTAL_SECRET_KEY": secrets.token_urlsafe(48),
            "POSTGRES_PASSWORD": secrets.token_urlsafe(24),
            "RABBITMQ_DEFAULT_USER": "jobportal",
            "RABBITMQ_DEFAULT_PASS": secrets.token_urlsafe(24),
            "REDIS_PASSWORD": secrets.token_urlsafe(24),
            "MAIL_PAGE_TOKEN": secrets.token_urlsafe(24),
            "JOBPORTAL_IMAGE": "localhost/jobportal",
            "JOBPORTAL_VERSION": "0.1.0",
            "BASE_IMAGE": "localhost/bookworm-base",
            "BIND_ADDRESS": "127.0.0.1",
            "PORTAL_PORT": self.ports["portal"],
            "CODE_ISSUER_PORT": self.ports["code_issuer"],
            "REGISTRATION_PORT": self.ports["registration"],
            "MAIL_PAGE_PORT": self.ports["mail_page"],
            "COMPOSE_SUBNET": (subnet := pick_subnet()),
            "COMPOSE_IP_RANGE": str(list(ipaddress.ip_network(subnet).subnets())[1]),
            "PORTAL_ADDRESS": str(ipaddress.ip_network(subnet)[10]),
            # One test machine walks every flow: the per-address limits are raised (the
            # APIs see the compose network's gateway as the client of every flow).
            "RATE_LIMIT_APPLICATIONS": 100000, "RATE_LIMIT_PASSWORD_REGISTRATIONS": 100000,
            "RATE_LIMIT_SESSIONS": 100000, "RATE_LIMIT_READS": 100000,
        }
        self.env_file = workdir / "env"
        self.env_file.write_text("".join(f"{k}={v}\n" for k, v in values.items()))
        self.env_file.chmod(0o600)
        self.subnet = values["COMPOSE_SUBNET"]

    def compose(self, *args: str, timeout: float = 600, check: bool = True):
        return run([compose_binary(), "-p", self.project, "--env-file", str(self.env_file),
                    *FILES, *args], timeout=timeout, check=check, env=COMPOSE_ENV, cwd=ROOT)

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"

    def containers(self, service: str | None = None) -> list[str]:
        argv = ["podman", "ps", "-a", "--filter", f"label=com.docker.compose.project={self.project}",
                "--format", "{{.Names}}"]
        if service:
            argv[3:3] = ["--filter", f"label=com.docker.compose.service={service}"]
        return run(argv).stdout.split()

    def mails(self) -> list[dict]:
        return requests.get(f"{self.url('mail_page')}/api/messages", timeout=10).json()

    def logs(self, service: str) -> str:
        return self.compose("logs", "--no-color", service, check=False).stdout


@pytest.fixture(scope="module")
def stack(image, tmp_path_factory):
    stack = Stack(tmp_path_factory.mktemp("compose"))
    try:
        with timed("compose build (servers, app, dev SMTP; layers cached)"):
            stack.compose("build")
        with timed("compose up -d --wait (every service healthy)"):
            stack.compose("up", "-d", "--wait", "--wait-timeout", "240")
        yield stack
    finally:
        if stack.containers():
            with timed("compose down -v"):
                stack.compose("down", "-v", "--timeout", "20", check=False)


class Browser:
    """A person's browser on the portal. The portal sets Secure cookies (production mode);
    the test talks to 127.0.0.1 as a TLS-terminating proxy on this host would, so it keeps
    and sends them over plain HTTP itself (requests drops Secure cookies there), following
    redirects itself with them."""

    def __init__(self):
        self.session = requests.Session()
        self.cookies: dict[str, str] = {}

    def request(self, method: str, url: str, **kwargs) -> requests.Response:
        for _ in range(10):
            response = self.session.request(
                method, url, allow_redirects=False, timeout=60,
                headers={"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())},
                **kwargs)
            for cookie in response.cookies:
                self.cookies[cookie.name] = cookie.value
            self.session.cookies.clear()
            if response.status_code not in (301, 302, 303, 307, 308):
                return response
            url = requests.compat.urljoin(url, response.headers["Location"])
            method, kwargs = "GET", {}
        raise AssertionError("too many redirects")

    def get(self, url: str, **kwargs) -> requests.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs) -> requests.Response:
        return self.request("POST", url, **kwargs)


def browser() -> Browser:
    return Browser()


def csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, html[:2000]
    return match.group(1)


def person() -> dict:
    return {"number": f"{random.randint(10000, 99999)}-{random.randint(10000000, 99999999)}",
            "birth_date": "1990-04-01",
            "email": f"deploy{secrets.token_hex(6)}@example.jp",
            "password": "Hello-w0rk-2026"}


def key_from_mails(stack: Stack, email: str, timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    while True:
        mine = [m for m in stack.mails() if email in str(m["to"])]
        if mine:
            assert mine[0]["subject"] == SUBJECT
            match = KEY.search(mine[0]["text"])
            assert match, mine[0]["text"]
            return match.group(1)
        assert time.monotonic() < deadline, f"no auth-key mail to {email}"
        time.sleep(0.3)


def test_item_compose_one_whole_flow_through_the_published_portal_and_apis(stack):
    """Counter issues (portal), person registers (portal, step 1-3), auth-key mail read (mail
    page), login (portal): every request through 127.0.0.1's published ports."""
    with timed("compose: one whole flow through the portal"):
        one = person()
        portal = stack.url("portal")
        counter = browser()
        page = counter.get(f"{portal}/counter/signin")
        assert page.status_code == 200
        signed = counter.post(f"{portal}/counter/signin", data={
            "csrf_token": csrf(page.text), "office_key": stack.office_key})
        assert signed.status_code == 200 and "/counter" in signed.url, signed.text[:500]
        form_key = re.search(r'name="idempotency_key" value="([^"]+)"', signed.text).group(1)
        slip = counter.post(f"{portal}/counter/issue", data={  # 303 to the slip (issue 17)
            "csrf_token": csrf(signed.text), "job_seeker_number": one["number"],
            "birth_date": one["birth_date"], "idempotency_key": form_key})
        assert slip.status_code == 200 and "/counter/slip/" in slip.url, slip.text[:1000]
        code = re.search(r'id="slip-code">([0-9A-Z-]+)<', slip.text).group(1)

        seeker = browser()
        terms = seeker.get(f"{portal}/register")
        assert terms.status_code == 200
        details = seeker.post(f"{portal}/register", data={
            "csrf_token": csrf(terms.text), "privacy_policy": "agree", "terms_of_use": "agree"})
        assert details.status_code == 200 and details.url.endswith("/register/details")
        deadline = time.monotonic() + 30
        while True:  # registration hears of the code through code.issued (relay, consumer)
            applied = seeker.post(f"{portal}/register/details", data={
                "csrf_token": csrf(details.text), "email": one["email"],
                "email_confirmation": one["email"], "job_seeker_number": one["number"],
                "birth_date": one["birth_date"], "account_creation_code": code})
            if applied.url.endswith("/register/password"):
                break
            assert time.monotonic() < deadline, applied.text[:1000]
            time.sleep(0.5)
        key = key_from_mails(stack, one["email"])
        done = seeker.post(f"{portal}/register/password", data={
            "csrf_token": csrf(applied.text), "auth_key": key, "password": one["password"],
            "password_confirmation": one["password"]})
        assert done.status_code == 200 and done.url.endswith("/register/complete"), done.text[:800]
        login_page = seeker.get(f"{portal}/login")
        mypage = seeker.post(f"{portal}/login", data={
            "csrf_token": csrf(login_page.text), "email": one["email"],
            "password": one["password"]})
        assert mypage.status_code == 200 and mypage.url.endswith("/mypage"), mypage.text[:800]
        # The APIs' own published ports answer too.
        for name in ("code_issuer", "registration"):
            ready = requests.get(f"{stack.url(name)}/readyz", timeout=10)
            assert ready.status_code == 200 and ready.json()["checks"] == {"database": "ok"}


def api_flow(stack: Stack, one: dict) -> None:
    """Counter issues and the person applies, through the APIs' published ports."""
    office = {"Authorization": f"Bearer {stack.office_key}"}
    issued = requests.post(f"{stack.url('code_issuer')}/v1/codes", headers=office, timeout=30,
                           json={"job_seeker_number": one["number"],
                                 "birth_date": one["birth_date"]})
    assert issued.status_code == 201, issued.text
    terms = requests.get(f"{stack.url('registration')}/v1/terms", timeout=30).json()
    body = {"privacy_policy_version": terms["privacy_policy"]["version"],
            "terms_of_use_version": terms["terms_of_use"]["version"],
            "email": one["email"], "email_confirmation": one["email"],
            "job_seeker_number": one["number"], "birth_date": one["birth_date"],
            "account_creation_code": issued.json()["code"]}
    deadline = time.monotonic() + 60
    while True:
        applied = requests.post(f"{stack.url('registration')}/v1/applications", json=body,
                                timeout=30)
        if applied.status_code == 201:
            return
        assert applied.status_code == 400, applied.text  # code.issued still travelling
        assert time.monotonic() < deadline, applied.text
        time.sleep(0.3)


def wait_for_mails(stack: Stack, emails: list[str], timeout: float) -> dict[str, int]:
    deadline = time.monotonic() + timeout
    while True:
        mails = stack.mails()
        counts = {e: sum(1 for m in mails if e in str(m["to"])) for e in emails}
        if all(counts.values()) or time.monotonic() > deadline:
            time.sleep(2)  # a duplicate would arrive right after
            mails = stack.mails()
            return {e: sum(1 for m in mails if e in str(m["to"])) for e in emails}
        time.sleep(0.5)


def test_item_compose_three_workers_50_flows_give_50_mails_and_no_duplicate(stack):
    with timed("compose: scale notifier-worker to 3"):
        stack.compose("up", "-d", "--no-recreate", "--wait", "--wait-timeout", "120",
                      "--scale", "notifier-worker=3")
    workers = stack.containers("notifier-worker")
    assert len(workers) == 3
    people = [person() for _ in range(50)]
    with timed("compose: 50 flows, 50 mails with 3 workers"):
        with ThreadPoolExecutor(10) as pool:
            list(pool.map(lambda one: api_flow(stack, one), people))
        counts = wait_for_mails(stack, [p["email"] for p in people], timeout=120)
    assert sorted(set(counts.values())) == [1], {e: n for e, n in counts.items() if n != 1}
    # The work was shared: more than one worker sent mail.
    logs = {w: run(["podman", "logs", w], check=False) for w in workers}
    senders = [w for w, out in logs.items() if "send_auth_key_mail" in out.stdout + out.stderr]
    assert len(senders) >= 2, senders


def test_item_compose_a_worker_killed_mid_run_loses_no_mail(stack):
    workers = stack.containers("notifier-worker")
    assert len(workers) == 3
    people = [person() for _ in range(30)]
    victim = workers[0]
    with timed("compose: 30 flows with a worker killed (SIGKILL) mid-run"):
        with ThreadPoolExecutor(6) as pool:
            futures = [pool.submit(api_flow, stack, one) for one in people]
            emails = {p["email"] for p in people}
            deadline = time.monotonic() + 60
            while sum(1 for m in stack.mails() if any(e in str(m["to"]) for e in emails)) < 5:
                assert time.monotonic() < deadline, "no mail before the kill"
                time.sleep(0.2)
            run(["podman", "kill", "--signal", "KILL", victim])
            for future in futures:
                future.result()
        counts = wait_for_mails(stack, [p["email"] for p in people], timeout=180)
    lost = [e for e, n in counts.items() if n == 0]
    assert lost == []
    # At-least-once: a task killed between SMTP and its commit is sent again; at most one
    # such mail per child process of the killed worker (--concurrency 2).
    assert sum(n - 1 for n in counts.values()) <= 2, counts
    state = run(["podman", "inspect", victim, "--format", "{{.State.Status}}"], check=False)
    assert "running" in state.stdout or "exited" in state.stdout


def test_item_compose_down_removes_containers_volumes_and_network(stack):
    with timed("compose down -v"):
        stack.compose("down", "-v", "--timeout", "20")
    assert stack.containers() == []
    volumes = run(["podman", "volume", "ls", "--format", "{{.Name}}"]).stdout.split()
    assert [v for v in volumes if v.startswith(stack.project)] == []
    networks = run(["podman", "network", "ls", "--format", "{{.Name}}"]).stdout.split()
    assert [n for n in networks if n.startswith(stack.project)] == []


def test_item_compose_refuses_to_start_without_a_secret(tmp_path):
    """${VAR:?}: a missing secret stops compose before anything starts."""
    env = tmp_path / "env"
    env.write_text("POSTGRES_PASSWORD=x\n")
    result = subprocess.run([compose_binary(), "--env-file", str(env), *FILES, "config", "-q"],
                            capture_output=True, text=True, cwd=ROOT,
                            env={**os.environ, **COMPOSE_ENV})
    assert result.returncode != 0
    assert "is missing a value: set" in result.stderr and "in deploy/.env" in result.stderr, \
        result.stderr

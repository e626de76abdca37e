import itertools
import random
import re
import sys
import time
from pathlib import Path

import pytest
import requests

sys.path.insert(0, str(Path(__file__).parent))

from system import System  # noqa: E402

OFFICE = {"Authorization": "Bearer dev-office-key"}
_PEOPLE = itertools.count()  # each person gets an address of their own


# module scope: the system is stopped before the next suite starts its own
@pytest.fixture(scope="module")
def system(tmp_path_factory):
    with System(tmp_path_factory.mktemp("e2e")).running() as running:
        yield running


class Flow:
    """One job seeker walking the manual's steps through the public HTTP APIs."""

    def __init__(self, system: System):
        self.system = system
        self.number = f"{random.randint(10000, 99999)}-{random.randint(1, 99999999)}"
        self.birth_date = "1990-04-01"
        self.email = f"js{random.randint(0, 10**9)}@example.jp"
        self.password = "Hello-w0rk-2026"
        # Each person reaches registration through a gateway (a trusted proxy in
        # development mode) that forwards their own address, as the portal does.
        n = next(_PEOPLE)
        self.headers = {"X-Forwarded-For": f"203.0.{113 + n // 250}.{1 + n % 250}"}
        self._terms: dict | None = None

    def issue(self) -> dict:
        response = requests.post(f"{self.system.code_issuer_url}/v1/codes", headers=OFFICE,
                                 json={"job_seeker_number": self.number,
                                       "birth_date": self.birth_date}, timeout=10)
        assert response.status_code == 201, response.text
        return response.json()

    def office_view(self) -> list[dict]:
        response = requests.get(f"{self.system.code_issuer_url}/v1/codes", headers=OFFICE,
                                params={"job_seeker_number": self.number}, timeout=10)
        assert response.status_code == 200, response.text
        return response.json()

    def status_of(self, code_id: str) -> str | None:
        for code in self.office_view():
            if code["code_id"] == code_id:
                return code["status"]
        return None

    def terms(self) -> dict:
        if self._terms is None:
            response = requests.get(f"{self.system.registration_url}/v1/terms",
                                    headers=self.headers, timeout=10)
            assert response.status_code == 200, response.text
            self._terms = response.json()
        return self._terms

    def apply(self, code: str, **over) -> requests.Response:
        terms = self.terms()
        body = {
            "privacy_policy_version": terms["privacy_policy"]["version"],
            "terms_of_use_version": terms["terms_of_use"]["version"],
            "email": self.email, "email_confirmation": self.email,
            "job_seeker_number": self.number, "birth_date": self.birth_date,
            "account_creation_code": code,
        }
        body.update(over)
        return requests.post(f"{self.system.registration_url}/v1/applications", json=body,
                             headers=self.headers, timeout=10)

    def apply_when_known(self, code: str, timeout: float = 15) -> dict:
        """Step 2 as soon as registration has heard of the code (code.issued travelling)."""
        deadline = time.monotonic() + timeout
        while True:
            response = self.apply(code)
            if response.status_code == 201:
                return response.json()
            assert response.status_code == 400, response.text  # not known yet: mismatch
            assert time.monotonic() < deadline, "registration never learned of the code"
            time.sleep(0.2)

    def auth_key(self, timeout: float = 20, after: int = 0) -> str:
        """The key of the newest mail to this person (skipping `after` earlier mails)."""
        deadline = time.monotonic() + timeout
        while True:
            messages = requests.get(f"{self.system.mail_url}/api/messages", timeout=5).json()
            mine = [m for m in messages if self.email in str(m["to"])]
            if len(mine) > after:
                # a mail replacing an earlier one's key says so first (issue 17)
                assert mine[0]["subject"].endswith("パスワード登録申込受付通知")
                match = re.search(r"認証キー[^0-9A-Z]*([0-9A-Z]{8})\b", mine[0]["text"])
                assert match, mine[0]["text"]
                return match.group(1)
            assert time.monotonic() < deadline, "no auth-key mail arrived"
            time.sleep(0.1)

    def register_password(self, token: str, key: str, password: str | None = None):
        password = password or self.password
        return requests.post(f"{self.system.registration_url}/v1/password-registrations",
                             json={"application_token": token, "auth_key": key,
                                   "password": password, "password_confirmation": password},
                             headers=self.headers, timeout=30)

    def login(self) -> requests.Response:
        return requests.post(f"{self.system.registration_url}/v1/sessions",
                             json={"email": self.email, "password": self.password},
                             headers=self.headers, timeout=30)


@pytest.fixture
def flow(system):
    return Flow(system)


@pytest.fixture
def new_flow(system):
    return lambda: Flow(system)

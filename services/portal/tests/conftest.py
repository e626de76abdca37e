import re
from datetime import UTC, datetime

import pytest
from portal.app import create_app
from portal.config import Config
from portal.runtime import build

from shared.clock import FixedClock

from .fakes import FakeApis, MemoryRecords


@pytest.fixture
def fake():
    apis = FakeApis()
    yield apis
    apis.close()


@pytest.fixture
def clock():
    return FixedClock(datetime.now(UTC))


@pytest.fixture
def config(fake):
    return Config(code_issuer_url=fake.url, registration_url=fake.url, secret_key="test-secret",
                  mail_page_url="http://127.0.0.1:8025", api_timeout=3)


@pytest.fixture
def counter_records():
    return MemoryRecords()


@pytest.fixture
def app(config, clock, counter_records):
    return create_app(config, build(config, clock=clock, counter_records=counter_records))


@pytest.fixture
def client(app):
    return app.test_client()


def csrf_of(html: bytes | str) -> str:
    text = html.decode() if isinstance(html, bytes) else html
    return re.search(r'name="csrf_token" value="([^"]+)"', text).group(1)


def post(client, page: str, data: dict, action: str | None = None):
    """GET `page`, then POST its form with the page's CSRF token, as a browser would."""
    token = csrf_of(client.get(page).data)
    return client.post(action or page, data={**data, "csrf_token": token})

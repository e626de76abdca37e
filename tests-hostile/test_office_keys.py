"""Issue 13 item 8 against the running code-issuer: guessing office API keys from one
address stops after 10 wrong ones (429 with Retry-After); other addresses go on."""

import pytest
import requests

pytestmark = pytest.mark.integration


def test_item8_guessing_office_keys_is_stopped_after_ten_per_address(running):
    url = f"{running.code_issuer_url}/v1/codes"
    params = {"job_seeker_number": "12345-1"}

    def call(key, address):
        return requests.get(url, params=params, timeout=10, headers={
            "Authorization": f"Bearer {key}", "X-Forwarded-For": address})

    answers = [call(f"guess-{n:03d}", "198.51.100.250").status_code for n in range(12)]
    assert answers == [401] * 10 + [429] * 2
    limited = call("dev-office-key", "198.51.100.250")
    assert limited.status_code == 429 and 1 <= int(limited.headers["Retry-After"]) <= 900
    assert limited.json()["error"]["code"] == "RATE_LIMITED"
    assert call("dev-office-key", "198.51.100.251").status_code == 200

import socket

import pytest
from portal.apis import Api, ApiFailure, Caller, Registration
from portal.config import Config

from shared.config import ConfigError


def test_config_reads_the_environment_and_defaults_to_the_local_services():
    config = Config.from_env({})
    assert config.registration_url == "http://127.0.0.1:8002"
    assert config.code_issuer_url == "http://127.0.0.1:8001"
    assert config.mail_page_url == "http://127.0.0.1:8025"
    assert config.development and not config.secure_cookies
    config = Config.from_env({"REGISTRATION_URL": "http://r:1/", "CODE_ISSUER_URL": "http://c:2",
                              "MAIL_PAGE_URL": "http://m:3", "PORTAL_API_TIMEOUT": "2.5",
                              "MAIL_FROM": "noreply@hw.example.jp"})
    assert config.mail_from == "noreply@hw.example.jp"
    assert (config.registration_url, config.code_issuer_url) == ("http://r:1", "http://c:2")
    assert config.api_timeout == 2.5


def test_production_refuses_the_default_or_a_short_secret_and_the_test_clock():
    with pytest.raises(ConfigError):
        Config.from_env({"APP_MODE": "production"})
    with pytest.raises(ConfigError):
        Config.from_env({"APP_MODE": "production", "PORTAL_SECRET_KEY": "short"})
    with pytest.raises(ConfigError):
        Config.from_env({"APP_MODE": "production", "PORTAL_SECRET_KEY": "x" * 40,
                         "TEST_CLOCK_FILE": "/tmp/clock"})
    config = Config.from_env({"APP_MODE": "production", "PORTAL_SECRET_KEY": "x" * 40})
    assert config.secure_cookies and not config.development


def test_calls_forward_the_client_address_and_language(fake):
    registration = Registration(Api(fake.url, 3))
    registration.terms(Caller("203.0.113.7", "en"))
    sent = fake.last("/v1/terms")["headers"]
    assert sent["X-Forwarded-For"] == "203.0.113.7"
    assert sent["Accept-Language"] == "en"



def test_r19_r20_calls_forward_the_persons_browser_for_its_family(fake):
    """Registration names a session's browser (R19) and a new client (R20) from the
    User-Agent: the portal passes on the person's, not its requests library's."""
    registration = Registration(Api(fake.url, 3))
    registration.terms(Caller("203.0.113.7", "ja", user_agent="Mozilla/5.0 Firefox/128.0"))
    assert fake.last("/v1/terms")["headers"]["User-Agent"] == "Mozilla/5.0 Firefox/128.0"

def test_an_error_answer_becomes_a_failure_with_code_message_and_fields(fake):
    fake.fail_next("POST", "/v1/applications", 422, "VALIDATION_FAILED", {"email": "format"})
    with pytest.raises(ApiFailure) as caught:
        Registration(Api(fake.url, 3)).apply(Caller("127.0.0.1", "ja"), {})
    assert caught.value.status == 422
    assert caught.value.code == "VALIDATION_FAILED"
    assert caught.value.fields == {"email": ["形式が正しくありません。"]}


def test_rate_limited_answer_keeps_retry_after(fake):
    fake.fail_next("POST", "/v1/sessions", 429, "RATE_LIMITED", headers={"Retry-After": "30"})
    with pytest.raises(ApiFailure) as caught:
        Registration(Api(fake.url, 3)).log_in(Caller("127.0.0.1", "ja"), "a@b.jp", "x")
    assert caught.value.retry_after == 30


def test_a_non_contract_error_body_is_service_unavailable(fake):
    fake.fail_next("GET", "/v1/terms", 502)
    with pytest.raises(ApiFailure) as caught:
        Registration(Api(fake.url, 3)).terms(Caller("127.0.0.1", "ja"))
    assert caught.value.code == "SERVICE_UNAVAILABLE" and caught.value.status == 503


def test_an_api_that_does_not_answer_in_time_is_service_unavailable():
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)  # accepts the connection, never answers
    try:
        api = Api(f"http://127.0.0.1:{silent.getsockname()[1]}", timeout=0.3)
        with pytest.raises(ApiFailure) as caught:
            Registration(api).terms(Caller("127.0.0.1", "ja"))
        assert caught.value.code == "SERVICE_UNAVAILABLE"
    finally:
        silent.close()


def test_an_api_that_is_down_is_service_unavailable():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(ApiFailure) as caught:
        Registration(Api(f"http://127.0.0.1:{port}", 1)).terms(Caller("127.0.0.1", "ja"))
    assert caught.value.status == 503


def test_calls_forward_the_correlation_id_of_the_request_being_served(fake):
    from shared.logs import correlation

    registration = Registration(Api(fake.url, 3))
    with correlation("portal-cid-9"):
        registration.terms(Caller("203.0.113.7", "ja"))
    assert {k.lower(): v for k, v in fake.last("/v1/terms")["headers"].items()}["x-correlation-id"] == "portal-cid-9"


def test_a_page_passes_the_browsers_traceparent_on_to_the_apis(client, fake):
    trace = "4bf92f3577b34da6a3ce929d0e0e4736"
    page = client.get("/register", headers={"traceparent": f"00-{trace}-00f067aa0ba902b7-01"})
    assert page.status_code == 200
    assert page.headers["X-Correlation-ID"] == trace
    assert {k.lower(): v for k, v in fake.last("/v1/terms")["headers"].items()}["x-correlation-id"] == trace

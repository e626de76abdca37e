import pytest
from prometheus_client.parser import text_string_to_metric_families

from ..conftest import csrf_of

FORMS = ["/register", "/register/details", "/register/password", "/login", "/logout",
         "/counter/signin", "/counter/signout", "/counter/lookup", "/counter/issue"]


@pytest.mark.parametrize("path", FORMS)
def test_every_form_refuses_a_post_without_the_csrf_token(client, fake, path):
    client.get("/login")  # the session has a token, the post does not carry it
    response = client.post(path, data={"email": "a@example.jp", "password": "x"})
    assert response.status_code == 400
    assert "もう一度お試しください" in response.data.decode()
    assert [r for r in fake.requests if r["method"] != "GET"] == []


def test_a_token_from_another_session_is_refused(app, fake):
    first, second = app.test_client(), app.test_client()
    token = csrf_of(first.get("/login").data)
    second.get("/login")
    response = second.post("/login", data={"email": "a@example.jp", "password": "x",
                                           "csrf_token": token})
    assert response.status_code == 400
    assert not any(r["path"] == "/v1/sessions" for r in fake.requests)


def test_pages_carry_security_headers(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
    assert "script-src 'self'" in csp and "form-action 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cache-Control"] == "no-store"
    assert "Strict-Transport-Security" not in response.headers


def test_production_cookies_are_secure_and_hsts_is_sent(fake, clock):
    from portal.app import create_app
    from portal.config import Config
    from portal.runtime import build

    config = Config(mode="production", secret_key="s" * 40, registration_url=fake.url,
                    code_issuer_url=fake.url)
    app = create_app(config, build(config, clock=clock))
    response = app.test_client().get("/login", base_url="https://localhost")
    assert "Secure" in response.headers["Set-Cookie"]
    assert "SameSite=Strict" in response.headers["Set-Cookie"]
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_unknown_pages_and_huge_bodies_answer_with_a_page_not_a_crash(client):
    assert client.get("/nowhere").status_code == 404
    token = csrf_of(client.get("/login").data)
    response = client.post("/login", data={"email": "a" * 40000, "csrf_token": token})
    assert response.status_code == 413
    assert "<html" in response.data.decode()


def test_static_files_are_served_and_health_answers(client, fake):
    assert client.get("/static/portal.css").status_code == 200
    assert client.get("/healthz").json == {"status": "ok"}
    assert client.get("/readyz").json["status"] == "ok"
    samples = [s for family in text_string_to_metric_families(client.get("/metrics").text)
               for s in family.samples if s.name == "http_request_duration_seconds_count"]
    assert {"service": "portal", "route": "/healthz", "method": "GET", "status": "200"} in [
        s.labels for s in samples]


def test_readiness_fails_when_an_api_is_down(fake, clock):
    from portal.app import create_app
    from portal.config import Config
    from portal.runtime import build

    config = Config(registration_url=fake.url, code_issuer_url="http://127.0.0.1:9")
    app = create_app(config, build(config, clock=clock))
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["checks"] == {"registration": "ok", "code_issuer": "unavailable"}


# What a server hands the portal as PATH_INFO for hostile paths (already percent-decoded).
HOSTILE_PATHS = [
    "//evil.example/", "/\t/evil.example", "/\n/evil.example", "/\r\n/evil.example",
    "/\r\nSet-Cookie: x=1", "/\\evil.example", "/\\/evil.example", "/\\\\evil.example",
    "/\t\\evil.example", "///evil.example", "/%2F%2Fevil.example", "/\x00/evil.example",
    "/\x0b/evil.example", "/\u2028/evil.example", "/\u200b/evil.example", "/\ud800/evil",
    "/\uff0f\uff0fevil.example", "/é/日本語", "/" + "a" * 10000, "/" + "/\t" * 3000 + "evil",
]


def wsgi(path: str) -> str:
    """PATH_INFO as a WSGI server gives it: the request's bytes read as latin-1."""
    return path.encode("utf-8", "surrogatepass").decode("latin-1")


@pytest.mark.parametrize("path", HOSTILE_PATHS)
def test_item2_language_switch_redirects_only_to_a_path_of_this_site(client, path):
    response = client.get("/?lang=en", environ_overrides={"PATH_INFO": wsgi(path)})
    assert response.status_code == 303
    location = response.headers["Location"]
    assert location.startswith("/") and not location.startswith(("//", "/\\"))
    assert location.isascii() and location.isprintable() and "\\" not in location
    assert response.headers["Set-Cookie"].startswith("lang=en;")


def test_item2_language_switch_keeps_the_path_and_the_other_arguments(client):
    response = client.get("/?lang=en", environ_overrides={"PATH_INFO": "//evil.example/"})
    assert response.headers["Location"] == "/evil.example/"
    response = client.get("/?lang=en", environ_overrides={"PATH_INFO": "/\t/evil.example"})
    assert response.headers["Location"] == "/evil.example"
    response = client.get("/register?lang=en&x=1")
    assert response.headers["Location"] == "/register?x=1"
    response = client.get("/counter/signin?lang=ja&q=%E6%97%A5")
    assert response.headers["Location"] == "/counter/signin?q=%E6%97%A5"


def test_item2_same_site_path_percent_encodes_what_is_not_plain():
    from portal.security import same_site_path

    assert same_site_path("/register/details") == "/register/details"
    assert same_site_path("/日本") == "/%E6%97%A5%E6%9C%AC"
    assert same_site_path("\\\\evil.example\\x") == "/evil.example/x"
    assert same_site_path("/a b") == "/a%20b"
    assert same_site_path("/" + "x" * 3000) == "/"


def test_signing_in_renews_the_form_token(client, fake):
    from ..fakes import OFFICE_KEY

    before = csrf_of(client.get("/counter/signin").data)
    client.post("/counter/signin", data={"office_key": OFFICE_KEY, "csrf_token": before})
    after = csrf_of(client.get("/counter").data)
    assert after != before
    assert client.post("/counter/signout", data={"csrf_token": before}).status_code == 400

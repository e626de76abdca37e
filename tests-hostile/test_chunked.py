"""Issue 13 item 7: a body sent with `Transfer-Encoding: chunked` obeys the same 16 KiB
limit as one with a Content-Length, in every service. Probed through the real gunicorn
(the Flask test client never streams a chunked body as a server does)."""

import http.client
import json
import socket
import threading
from urllib.parse import urlsplit

import pytest

pytestmark = pytest.mark.integration

LIMIT = 16 * 1024
OFFICE = {"Authorization": "Bearer dev-office-key"}
PROBES = {
    "code-issuer": ("code_issuer_url", "/v1/codes", OFFICE,
                    {"job_seeker_number": "12345-7000001", "birth_date": "1990-04-01"}),
    "registration": ("registration_url", "/v1/sessions", {},
                     {"email": "chunked@example.jp", "password": "Hello-w0rk-2026"}),
}


def padded(body: dict, size: int) -> bytes:
    """A valid JSON object followed by spaces up to `size` bytes (still valid JSON)."""
    raw = json.dumps(body).encode()
    return raw + b" " * (size - len(raw))


def post(url: str, path: str, headers: dict, raw: bytes, chunked: bool) -> tuple[int, dict]:
    """A raw HTTP/1.1 request; the body is sent from a thread while the answer is read, since
    a server may answer 413 before it has read the whole body (then it reads the rest away
    to keep the connection)."""
    parts = urlsplit(url)
    headers = {**headers, "Host": parts.netloc, "Content-Type": "application/json",
               "Accept-Language": "en", "X-Forwarded-For": "198.51.100.77"}
    if chunked:  # pieces of 1,000 bytes, as a streaming client would send them
        headers["Transfer-Encoding"] = "chunked"
        body = b"".join(b"%x\r\n%s\r\n" % (len(raw[i:i + 1000]), raw[i:i + 1000])
                        for i in range(0, len(raw), 1000)) + b"0\r\n\r\n"
    else:
        headers["Content-Length"] = str(len(raw))
        body = raw
    head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    request = f"POST {path} HTTP/1.1\r\n{head}\r\n".encode() + body
    with socket.create_connection((parts.hostname, parts.port), timeout=30) as sock:
        sender = threading.Thread(target=send_all, args=(sock, request), daemon=True)
        sender.start()
        response = http.client.HTTPResponse(sock)
        response.begin()
        answer = json.loads(response.read() or b"{}")
        sender.join(timeout=30)
        return response.status, answer


def send_all(sock: socket.socket, data: bytes) -> None:
    try:
        sock.sendall(data)
    except OSError:
        pass  # the server answered and stopped reading: the answer is what counts


@pytest.mark.parametrize("service", sorted(PROBES))
def test_item7_a_chunked_body_over_16_kib_is_refused_with_413_like_a_declared_one(running,
                                                                                 service):
    attribute, path, headers, body = PROBES[service]
    url = getattr(running, attribute)
    for chunked in (False, True):
        status, answer = post(url, path, headers, padded(body, LIMIT + 1), chunked)
        assert (status, answer["error"]["code"]) == (413, "PAYLOAD_TOO_LARGE"), (chunked, answer)
        status, answer = post(url, path, headers, padded(body, 20 * LIMIT), chunked)
        assert status == 413, (chunked, answer)


@pytest.mark.parametrize("service", sorted(PROBES))
def test_item7_a_chunked_body_within_the_limit_is_read_whole(running, service):
    attribute, path, headers, body = PROBES[service]
    url = getattr(running, attribute)
    expected = {"code-issuer": 201, "registration": 401}[service]  # issued / wrong login
    for size in (len(json.dumps(body)), LIMIT):
        status, answer = post(url, path, headers, padded(body, size), chunked=True)
        assert status == expected, (size, answer)
    # a body whose JSON ends only past what a silently cut read would keep
    late = json.dumps(body).encode()
    raw = b"{" + b" " * (LIMIT - len(late)) + late[1:]
    assert len(raw) == LIMIT
    assert post(url, path, headers, raw, chunked=True)[0] == expected

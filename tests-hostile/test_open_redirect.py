"""Item 2 of issue 13: the portal's language switch (`?lang=`) redirects back to the page
asked for. Whatever an attacker puts in the path, the `Location` it answers is a path of
the portal itself: one leading slash, never `//host` or `/\\host`, and never a 500.

The requests go over a raw socket, so the server sees exactly these bytes (HTTP clients
normalise or refuse many of them)."""

import socket
from urllib.parse import urlsplit

import pytest

pytestmark = pytest.mark.integration

TARGETS = [
    "/%09/evil.example", "/%0A/evil.example", "/%0D%0A/evil.example", "/%0D%0AX",
    "/%0D%0ASet-Cookie:%20x=1", "/%00/evil.example", "/%0B/evil.example", "/%7F/evil.example",
    "//evil.example", "///evil.example", "/%2F%2Fevil.example", "/%2F/evil.example",
    "/\\evil.example", "/%5Cevil.example", "/%5C%5Cevil.example", "/\\/evil.example",
    "/%5C/evil.example", "/%09%5Cevil.example", "/%2F%5Cevil.example", "/.//evil.example",
    "/%E2%80%A8/evil.example", "/%E2%80%8B/evil.example", "/%EF%BC%8F%EF%BC%8Fevil.example",
    "/%C0%AF/evil.example", "/%ED%A0%80/evil", "/%E6%97%A5%E6%9C%AC",
    "/" + "a" * 3000, "/" + "%09/" * 600 + "evil.example",
]


def get(url: str, target: str) -> tuple[int, dict[str, str]]:
    """One GET of `target` (sent as is) with ?lang=en; the status and headers."""
    where = urlsplit(url)
    request = (f"GET {target}?lang=en HTTP/1.1\r\nHost: {where.netloc}\r\n"
               "Connection: close\r\n\r\n").encode("latin-1")
    with socket.create_connection((where.hostname, where.port), timeout=10) as sock:
        sock.sendall(request)
        answer = b""
        while b"\r\n\r\n" not in answer:
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
    head = answer.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
    headers = {}
    for line in head[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(head[0].split()[1]), headers


@pytest.mark.parametrize("target", TARGETS)
def test_item2_language_switch_never_leaves_the_site_nor_fails(running, target):
    status, headers = get(running.portal_url, target)
    assert status != 500 and status < 500
    if status in (301, 302, 303, 307, 308):
        location = headers["location"]
        assert location.startswith("/"), location
        assert not location.startswith(("//", "/\\")), location
        assert "\\" not in location and location.isprintable(), location
        assert urlsplit(location).netloc == ""
    else:
        assert status == 400  # the HTTP server itself refused the request line

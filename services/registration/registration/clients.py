"""Where a session comes from, as people may see it (R19, R20): the browser family read from
the User-Agent, the client address masked to its network, and when such a client counts as
new. Pure: no I/O, `now` passed in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from shared.logs import mask_address

UNKNOWN_BROWSER = "Other browser"
SEEN_DAYS = 90  # R20: a client unseen this long is new again

# First match wins: Edge, Opera and Samsung Internet also say "Chrome" and "Safari"; Chrome
# also says "Safari"; Safari is last (its real version is "Version/").
_BROWSERS = (
    ("Edge", ("Edg/", "EdgA/", "EdgiOS/", "Edge/")),
    ("Opera", ("OPR/", "OPiOS/", "Opera")),
    ("Samsung Internet", ("SamsungBrowser/",)),
    ("Firefox", ("Firefox/", "FxiOS/")),
    ("Chrome", ("Chrome/", "CriOS/", "Chromium/")),
    ("Safari", ("Safari/",)),
)
# iPhones and iPads say "like Mac OS X", Android says "Linux": those come first.
_SYSTEMS = (
    ("iOS", ("iPhone", "iPad", "iPod")),
    ("Android", ("Android",)),
    ("ChromeOS", ("CrOS",)),
    ("Windows", ("Windows",)),
    ("macOS", ("Macintosh", "Mac OS X")),
    ("Linux", ("Linux", "X11")),
)
_MAX_READ = 512  # a User-Agent may be long; the family is always near its start


def browser_family(user_agent: str | None) -> str:
    """"Firefox on Windows", "Safari on iOS", "Chrome" (system unknown), or "Other browser".

    Only well-known names come out, so nothing a client sends is ever shown or mailed."""
    text = (user_agent or "")[:_MAX_READ]
    browser = _first(_BROWSERS, text)
    system = _first(_SYSTEMS, text)
    if browser is None:
        return UNKNOWN_BROWSER if system is None else f"{UNKNOWN_BROWSER} on {system}"
    return browser if system is None else f"{browser} on {system}"


def _first(families: tuple[tuple[str, tuple[str, ...]], ...], text: str) -> str | None:
    for name, marks in families:
        if any(mark in text for mark in marks):
            return name
    return None


@dataclass(frozen=True)
class Client:
    """A client as R20 tells them apart: browser family and masked network."""

    browser: str
    client_address: str  # masked: IPv4 /24, IPv6 /48, or "unknown"


def client_of(user_agent: str | None, address: str) -> Client:
    """The client of a request; the full address is dropped here, never stored."""
    return Client(browser=browser_family(user_agent), client_address=mask_address(address))


def seen_since(now: datetime, days: int = SEEN_DAYS) -> datetime:
    """The oldest sighting that still makes a client known (R20)."""
    return now - timedelta(days=days)


def is_new_client(last_seen_at: datetime | None, now: datetime, days: int = SEEN_DAYS) -> bool:
    """R20: never seen for this account, or last seen more than `days` ago."""
    return last_seen_at is None or last_seen_at < seen_since(now, days)

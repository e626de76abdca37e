"""Per-request plumbing of the screens: language choice, CSRF tokens, security headers."""

from __future__ import annotations

import hmac
import re
import secrets
import unicodedata
from urllib.parse import quote, urlencode

from flask import Flask, abort, g, redirect, request, session
from werkzeug.datastructures import MultiDict

LANG_COOKIE = "lang"
LANGUAGES = ("ja", "en")
CSRF_FIELD = "csrf_token"
# Longer redirect targets go to the top page: no real screen has such a path.
MAX_REDIRECT_PATH = 2000

# Only the portal's own styles and scripts; no inline code, no framing, forms post home.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}


def renew_csrf_token() -> None:
    """A fresh form token when someone signs in (no token outlives a change of who)."""
    session.pop("csrf", None)


def csrf_token() -> str:
    """The session's form token (synchronizer token pattern), made on first use."""
    token = session.get("csrf")
    if not token:
        token = session["csrf"] = secrets.token_urlsafe(32)
    return token


def same_site_path(path: str) -> str:
    """`path` as a redirect target that can only stay on this site.

    Browsers read `//host` and `/\\host` as other sites, and Werkzeug drops tabs and
    newlines while writing `Location` (so `/%09/host` became `//host`): control and format
    characters go first, backslashes become slashes, runs of slashes become one, and all
    but unreserved characters are percent-encoded.
    """
    kept = "".join(ch for ch in path if unicodedata.category(ch)[0] != "C")
    single = re.sub(r"/{2,}", "/", "/" + kept.replace("\\", "/"))
    quoted = quote(single, safe="/")
    return quoted if len(quoted) <= MAX_REDIRECT_PATH else "/"


def install(app: Flask, *, secure: bool) -> None:
    """Language from ?lang= or its cookie, CSRF check of every POST, headers on answers."""

    @app.before_request
    def _language():
        asked = request.args.get("lang")
        if request.method == "GET" and asked in LANGUAGES:
            args = MultiDict(request.args)
            args.pop("lang")
            query = urlencode(list(args.items(multi=True)))
            path = same_site_path(request.path)
            response = redirect(path + (f"?{query}" if query else ""), code=303)
            response.set_cookie(LANG_COOKIE, asked, max_age=365 * 24 * 3600, httponly=True,
                                samesite="Lax", secure=secure)
            return response
        cookie = request.cookies.get(LANG_COOKIE)
        g.lang = cookie if cookie in LANGUAGES else "ja"
        return None

    @app.before_request
    def _csrf():
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return
        sent = request.form.get(CSRF_FIELD, "")
        kept = session.get("csrf", "")
        if not sent or not kept or not hmac.compare_digest(sent.encode(), kept.encode()):
            abort(400, description="csrf")

    @app.after_request
    def _headers(response):
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        if secure:
            response.headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
        if not request.path.startswith("/static/"):
            response.headers["Cache-Control"] = "no-store"
        return response

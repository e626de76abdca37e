"""The My Page part of the registration API (DESIGN.md §4, R16-R19) added to the hand-written
fake of tests/fakes.py, kept in its own module so that fakes.py stays as it is."""

from __future__ import annotations

import json
import re
import secrets
import uuid
from datetime import timedelta

from werkzeug.wrappers import Request, Response

from .fakes import CROCKFORD, FIELD_TEXTS, MESSAGES, FakeApis, _iso, _norm, _now

MY_MESSAGES = {
    "PASSWORD_UNCHANGED": ("現在のパスワードとは別のパスワードにしてください。",
                           "Choose a password other than the current one."),
    "CURRENT_PASSWORD_WRONG": ("現在のパスワードが正しくありません。何度も誤るとログインも一時的に制限されます。",
                               "The current password is wrong."),
    "CHANGE_NOT_FOUND": ("メールアドレス変更の手続きが見つかりません。", "No such email change."),
    "CHANGE_KEY_MISMATCH": ("認証キーが正しくありません。", "The key is wrong."),
    "CHANGE_KEY_EXPIRED": ("認証キーの有効期限が過ぎています。", "The key has expired."),
    "NOT_FOUND": ("見つかりません。", "Not found."),
}
MY_FIELD_TEXTS = {
    "wrong_current": ("現在のパスワードが正しくありません。", "The current password is wrong."),
}
_PASSWORD = re.compile(r"(?=.*\d)(?=.*[A-Za-z])(?=.*[^\dA-Za-z])[!-~]{8,32}")


class MyPageFakeApis(FakeApis):
    """FakeApis with /v1/me/* : sessions carry their R19 facts, changes their keys."""

    def __init__(self):
        super().__init__()
        self.session_facts: dict[str, dict] = {}  # session token → R19's facts
        self.changes: dict[str, dict] = {}  # change token → {email, key, expires_at, wrong}
        self.closed: list[str] = []

    def _error(self, status, code, fields, lang, headers=None, **extra) -> Response:
        i = 1 if lang == "en" else 0
        message = (MY_MESSAGES.get(code) or MESSAGES[code])[i]
        details = extra.pop("details", None)  # the seeker branch's name for the members
        error = {"code": code, "message": message, **(details or {}), **extra}
        if fields:
            texts = {**FIELD_TEXTS, **MY_FIELD_TEXTS}
            error["fields"] = {k: [texts[v][i]] for k, v in fields.items()}
        response = self._json({"error": error}, status)
        for name, value in (headers or {}).items():
            response.headers[name] = value
        return response

    def fail_next(self, method, path, status, code=None, fields=None, headers=None,
                  **extra) -> None:
        """As FakeApis.fail_next; `extra` members (attempts_left) join the error object."""
        super().fail_next(method, path, status, code, fields, headers)
        if code is not None and extra:
            self.forced[(method, path)][1].update(extra)

    def wsgi(self, environ, start_response):
        request = Request(environ)
        forced = self.forced.get((request.method, request.path))
        if forced and forced[1] and set(forced[1]) - {"code", "fields"}:
            # an error with extra members: answered here, since FakeApis drops them
            self.forced.pop((request.method, request.path))
            self.requests.append({"method": request.method, "path": request.path,
                                  "headers": dict(request.headers), "json": None, "args": {}})
            status, error, headers = forced
            lang = "en" if request.headers.get("Accept-Language", "").startswith("en") else "ja"
            extra = {k: v for k, v in error.items() if k not in ("code", "fields")}
            response = self._error(status, error["code"], error["fields"], lang, headers, **extra)
            return response(environ, start_response)
        return super().wsgi(environ, start_response)

    # --- routing ------------------------------------------------------------------------
    def route(self, request: Request, body: dict, lang: str) -> Response:
        method, path = request.method, request.path
        if path == "/v1/sessions" and method == "POST":
            response = super().route(request, body, lang)
            if response.status_code == 201:
                token = json.loads(response.get_data())["session_token"]
                address = request.headers.get("X-Forwarded-For", "").split(",")[-1].strip()
                self.session_facts[token] = {
                    "session_id": str(uuid.uuid4()), "started_at": _iso(_now()),
                    "last_used_at": _iso(_now()),
                    "client_address": re.sub(r"\.\d+$", ".0/24", address),
                    "browser": "Chrome" if "Chrome" in request.headers.get(
                        "User-Agent", "") else "python-requests"}
            return response
        if not path.startswith("/v1/me/"):
            return super().route(request, body, lang)
        token = self._session(request)
        if token is None:
            return self._error(401, "UNAUTHORIZED", None, lang)
        account = self.accounts[self.sessions[token]]
        if path == "/v1/me/password" and method == "PUT":
            return self.change_password(token, account, body, lang)
        if path == "/v1/me/email-changes" and method == "POST":
            return self.request_email_change(account, body, lang)
        if path == "/v1/me/email-change-confirmations" and method == "POST":
            return self.confirm_email_change(token, account, body, lang)
        if path == "/v1/me/withdrawal" and method == "POST":
            return self.withdraw(account, body, lang)
        if path == "/v1/me/sessions" and method == "GET":
            return self.list_sessions(token, account)
        if path == "/v1/me/sessions" and method == "DELETE":
            self._end_sessions(account, keep=token)
            return Response(status=204)
        if path.startswith("/v1/me/sessions/") and method == "DELETE":
            return self.end_session(account, path.rsplit("/", 1)[1], lang)
        return self._error(404, "NOT_FOUND", None, lang)

    # --- R16-R19 ------------------------------------------------------------------------
    def _tokens_of(self, account: dict) -> list[str]:
        return [t for t, email in self.sessions.items() if email == account["email"].lower()]

    def _end_sessions(self, account: dict, keep: str | None = None) -> None:
        for token in self._tokens_of(account):
            if token != keep:
                del self.sessions[token]

    def change_password(self, token: str, account: dict, body: dict, lang: str) -> Response:
        bad = {name: "required" for name in ("current_password", "password",
                                             "password_confirmation") if not body.get(name)}
        if not bad and not _PASSWORD.fullmatch(str(body["password"])):
            bad["password"] = "weak"
        elif not bad and body["password"] != body["password_confirmation"]:
            bad["password_confirmation"] = "mismatch"
        if bad:
            return self._error(422, "VALIDATION_FAILED", bad, lang)
        if body["current_password"] != account["password"]:
            return self._error(400, "CURRENT_PASSWORD_WRONG", None, lang)
        if body["password"] == account["password"]:
            return self._error(422, "PASSWORD_UNCHANGED", None, lang)
        account["password"] = body["password"]
        self._end_sessions(account, keep=token)
        return Response(status=204)

    def request_email_change(self, account: dict, body: dict, lang: str) -> Response:
        bad = {name: "required" for name in ("current_password", "email", "email_confirmation")
               if not body.get(name)}
        if not bad and "@" not in str(body["email"]):
            bad["email"] = "format"
        elif not bad and body["email"] != body["email_confirmation"]:
            bad["email_confirmation"] = "mismatch"
        if bad:
            return self._error(422, "VALIDATION_FAILED", bad, lang)
        if body["current_password"] != account["password"]:
            return self._error(400, "CURRENT_PASSWORD_WRONG", None, lang)
        if str(body["email"]).lower() in self.accounts:
            return self._error(409, "EMAIL_ALREADY_REGISTERED", None, lang)
        token = secrets.token_urlsafe(32)
        key = "".join(secrets.choice(CROCKFORD) for _ in range(8))
        expires = _now() + timedelta(minutes=50)
        self.changes[token] = {"account": account["email"].lower(), "email": body["email"],
                               "key": key, "expires_at": expires, "wrong": 0}
        self.mails.append({"id": str(uuid.uuid4()), "to": [body["email"]],
                           "subject": "メールアドレス変更の確認", "received_at": _iso(_now()),
                           "text": f"認証キー: {key}\n"})
        return self._json({"change_token": token, "key_expires_at": _iso(expires)}, 202)

    def confirm_email_change(self, token: str, account: dict, body: dict, lang: str) -> Response:
        change = self.changes.get(str(body.get("change_token", "")))
        if change is None or change["account"] != account["email"].lower():
            return self._error(404, "CHANGE_NOT_FOUND", None, lang)
        if not body.get("key"):
            return self._error(422, "VALIDATION_FAILED", {"key": "required"}, lang)
        if _now() >= change["expires_at"]:
            return self._error(410, "CHANGE_KEY_EXPIRED", None, lang)
        if _norm(str(body["key"])) != change["key"]:
            change["wrong"] += 1
            if change["wrong"] >= 5:
                del self.changes[body["change_token"]]
            return self._error(400, "CHANGE_KEY_MISMATCH", None, lang,
                               attempts_left=5 - change["wrong"])
        del self.changes[body["change_token"]]
        if change["email"].lower() in self.accounts:
            return self._error(409, "EMAIL_ALREADY_REGISTERED", None, lang)
        old = account["email"].lower()
        del self.accounts[old]
        account["email"] = change["email"]
        self.accounts[change["email"].lower()] = account
        for one, email in list(self.sessions.items()):
            if email == old:
                self.sessions[one] = change["email"].lower()
        self._end_sessions(account, keep=token)
        return self._json({"email": change["email"]})

    def withdraw(self, account: dict, body: dict, lang: str) -> Response:
        if not body.get("current_password"):
            return self._error(422, "VALIDATION_FAILED", {"current_password": "required"}, lang)
        if body["current_password"] != account["password"]:
            return self._error(400, "CURRENT_PASSWORD_WRONG", None, lang)
        self._end_sessions(account)
        del self.accounts[account["email"].lower()]
        self.closed.append(account["email"])
        return Response(status=204)

    def list_sessions(self, token: str, account: dict) -> Response:
        rows = [{**self.session_facts[one], "current": one == token}
                for one in self._tokens_of(account) if one in self.session_facts]
        return self._json(rows)

    def end_session(self, account: dict, session_id: str, lang: str) -> Response:
        for one in self._tokens_of(account):
            if self.session_facts.get(one, {}).get("session_id") == session_id:
                del self.sessions[one]
                return Response(status=204)
        return self._error(404, "NOT_FOUND", None, lang)

    def expire_changes(self) -> None:
        for change in self.changes.values():
            change["expires_at"] = _now() - timedelta(seconds=1)

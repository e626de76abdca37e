"""A hand-written fake of the registration and code-issuer APIs (DESIGN.md §4) and of the
local mail page, served by a real werkzeug server in a thread: the portal talks HTTP to it
exactly as to the real services."""

from __future__ import annotations

import json
import re
import secrets
import threading
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

OFFICE_KEY = "test-office-key"
MESSAGES = {
    "VALIDATION_FAILED": ("入力内容に誤りがあります。", "Some fields are invalid."),
    "TERMS_NOT_AGREED": ("規約に同意してください。", "Please agree to the terms."),
    "IDENTITY_MISMATCH": ("求職番号、生年月日またはアカウント作成コードが正しくありません。",
                          "The job-seeker number, birth date or code is wrong."),
    "CODE_EXPIRED": ("アカウント作成コードの有効期限が過ぎています。", "The code has expired."),
    "CODE_INVALIDATED": ("アカウント作成コードは無効になっています。", "The code is no longer valid."),
    "CODE_ALREADY_USED": ("このコードは使用済みです。", "The code was already used."),
    "EMAIL_ALREADY_REGISTERED": ("このメールアドレスは登録済みです。", "This email is already registered."),
    "APPLICATION_NOT_FOUND": ("申込が見つかりません。", "No such application."),
    "AUTH_KEY_MISMATCH": ("認証キーが正しくありません。", "The auth key is wrong."),
    "AUTH_KEY_EXPIRED": ("認証キーの有効期限が過ぎています。", "The auth key has expired."),
    "RATE_LIMITED": ("しばらくしてから再度お試しください。", "Please try again later."),
    "LOGIN_FAILED": ("メールアドレスまたはパスワードが正しくありません。", "Wrong email or password."),
    "UNAUTHORIZED": ("認証が必要です。", "Authentication is required."),
    "BIRTH_DATE_DIFFERS": ("生年月日が前回の発行時と異なります。", "The birth date differs."),
    "BIRTH_DATE_MISMATCH": ("生年月日が登録済みの求職者情報と一致しません。",
                            "The birth date differs from the registered one."),
    "IDEMPOTENCY_KEY_REUSED": ("この Idempotency-Key は別の発行に使われています。",
                               "This Idempotency-Key was used for another issue."),
}
FIELD_TEXTS = {
    "required": ("必須項目です。", "This field is required."),
    "mismatch": ("確認用と一致しません。", "Does not match the confirmation."),
    "format": ("形式が正しくありません。", "The format is wrong."),
    "weak": ("パスワードは半角数字、英字、記号を含む8文字以上32文字以内にしてください。",
             "The password needs 8-32 characters with a digit, a letter and a symbol."),
}
# The job seeker's side of issues 17 and 18 (R12's ACCOUNT_EXISTS, R15).
MESSAGES.update({
    "ACCOUNT_EXISTS": ("この求職番号のマイページは既に開設されています。",
                       "A My Page account already exists for this job-seeker number."),
    "RESET_NOT_FOUND": ("再設定の手続きが見つかりません。", "No such password reset."),
    "RESET_KEY_MISMATCH": ("再設定キーが正しくありません。", "The reset key is wrong."),
    "RESET_KEY_EXPIRED": ("再設定キーの有効期限が過ぎています。", "The reset key has expired."),
    "PASSWORD_UNCHANGED": ("現在のパスワードとは別のパスワードにしてください。",
                           "Choose a password other than the current one."),
})
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
JST = ZoneInfo("Asia/Tokyo")


def _now() -> datetime:
    return datetime.now(UTC)


def _iso(at: datetime | None) -> str | None:
    return at.isoformat().replace("+00:00", "Z") if at else None


def _first_invalid_instant(issued: datetime) -> datetime:
    """R2 as the code-issuer answers it: 00:00 JST of the 6th day after the issue date."""
    day = issued.astimezone(JST).date() + timedelta(days=6)
    return datetime(day.year, day.month, day.day, tzinfo=JST).astimezone(UTC)


def _norm(text: str) -> str:
    return text.upper().replace("-", "").replace(" ", "").replace("I", "1").replace(
        "L", "1").replace("O", "0")


class FakeApis:
    """Both APIs and the mail page on one port; inspect `requests`, steer with `fail_next`."""

    def __init__(self):
        self.lock = threading.Lock()
        self.requests: list[dict] = []
        self.resets: dict[str, dict] = {}  # R15's password resets by token
        self.forced: dict[tuple[str, str], tuple[int, dict | None, dict]] = {}
        self.codes: list[dict] = []
        self.applications: dict[str, dict] = {}
        self.accounts: dict[str, dict] = {}
        self.sessions: dict[str, str] = {}
        self.mails: list[dict] = []
        # code-issuer's side of issue 17: idempotency keys, and people's accounts (R12)
        self.issue_keys: dict[str, tuple[str, dict]] = {}
        self.people: dict[str, dict] = {}
        self.server = make_server("127.0.0.1", 0, self.wsgi, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # --- steering ------------------------------------------------------------------
    def fail_next(self, method: str, path: str, status: int, code: str | None = None,
                  fields: dict | None = None, headers: dict | None = None,
                  **members) -> None:
        """Answer the next `method path` with this error (code None: a non-JSON body);
        `members` are added to the error object (e.g. attempts_left)."""
        body = None if code is None else {"code": code, "fields": fields, **members}
        self.forced[(method, path)] = (status, body, headers or {})

    def add_code(self, number: str, birth_date: str, **extra) -> str:
        code = "".join(secrets.choice(CROCKFORD) for _ in range(10))
        issued = _now()
        for old in self.codes:
            if old["job_seeker_number"] == number and old["status"] == "active":
                old["status"] = "superseded"
        self.codes.append({"code_id": str(uuid.uuid4()), "code": code, "job_seeker_number": number,
                           "birth_date": birth_date, "status": "active", "issued_at": issued,
                           "expires_at": _first_invalid_instant(issued), "failed_attempts": 0,
                           "used_at": None, **extra})
        return code

    def expire_applications(self) -> None:
        for application in self.applications.values():
            application["expires_at"] = _now() - timedelta(seconds=1)

    def last(self, path: str) -> dict:
        return [r for r in self.requests if r["path"] == path][-1]

    # --- HTTP ------------------------------------------------------------------------
    def wsgi(self, environ, start_response):
        request = Request(environ)
        try:
            body = json.loads(request.get_data() or b"null")
        except ValueError:
            body = None
        lang = "en" if request.headers.get("Accept-Language", "").startswith("en") else "ja"
        with self.lock:
            self.requests.append({"method": request.method, "path": request.path,
                                  "headers": dict(request.headers), "json": body,
                                  "args": request.args.to_dict()})
            forced = self.forced.pop((request.method, request.path), None)
            if forced:
                status, error, headers = forced
                members = {k: v for k, v in (error or {}).items() if k not in ("code", "fields")}
                response = self._error(status, error["code"], error["fields"], lang, headers,
                                       details=members) \
                    if error else Response("<html>oops</html>", status, mimetype="text/html")
            else:
                response = self.route(request, body if isinstance(body, dict) else {}, lang)
        return response(environ, start_response)

    def _json(self, data, status: int = 200) -> Response:
        return Response(json.dumps(data, ensure_ascii=False), status, mimetype="application/json")

    def _error(self, status, code, fields, lang, headers=None, details=None) -> Response:
        i = 1 if lang == "en" else 0
        error = {"code": code, "message": MESSAGES[code][i], **(details or {})}
        if fields:
            error["fields"] = {k: [FIELD_TEXTS[v][i]] for k, v in fields.items()}
        response = self._json({"error": error}, status)
        for name, value in (headers or {}).items():
            response.headers[name] = value
        return response

    def route(self, request: Request, body: dict, lang: str) -> Response:
        method, path = request.method, request.path
        if path == "/healthz":
            return self._json({"status": "ok"})
        if path == "/api/messages":
            return self._json(list(reversed(self.mails)))
        if path.startswith(("/v1/codes", "/v1/job-seekers/")) or path == "/v1/whoami":
            if request.headers.get("Authorization") != f"Bearer {OFFICE_KEY}":
                return self._error(401, "UNAUTHORIZED", None, lang)
            if path == "/v1/whoami":
                return self._json({"authenticated": True})
            if path.startswith("/v1/job-seekers/"):
                return self.job_seeker(path.rsplit("/", 1)[1], lang)
            if method == "GET":
                return self.list_codes(request.args.get("job_seeker_number", ""), lang)
            return self.issue(body, lang, request.headers.get("Idempotency-Key"))
        handlers = {
            ("GET", "/v1/terms"): lambda: self._json({
                "privacy_policy": {"version": "2026-04", "url": "https://example.jp/privacy"},
                "terms_of_use": {"version": "2026-05", "url": "/terms"}}),
            ("POST", "/v1/applications"): lambda: self.apply(body, lang),
            ("POST", "/v1/password-registrations"): lambda: self.register(body, lang),
            ("POST", "/v1/sessions"): lambda: self.log_in(body, lang),
            ("GET", "/v1/me"): lambda: self.me(request, lang),
            ("DELETE", "/v1/sessions/current"): lambda: self.log_out(request, lang),
            ("POST", "/v1/password-resets"): lambda: self.request_reset(body, lang),
            ("POST", "/v1/password-reset-completions"): lambda: self.complete_reset(body, lang),
        }
        handler = handlers.get((method, path))
        return handler() if handler else self._json({"error": {"code": "NOT_FOUND",
                                                               "message": "not found"}}, 404)

    def list_codes(self, number: str, lang: str) -> Response:
        if not re.fullmatch(r"[0-9]{5}-[0-9]{1,8}", number):
            return self._error(422, "VALIDATION_FAILED", {"job_seeker_number": "format"}, lang)
        rows = [{"code_id": c["code_id"], "status": c["status"], "issued_at": _iso(c["issued_at"]),
                 "expires_at": _iso(c["expires_at"]), "failed_attempts": c["failed_attempts"],
                 "used_at": _iso(c["used_at"]), "last_failure_at": _iso(c.get("last_failure_at")),
                 "last_failure_from": c.get("last_failure_from")} for c in self.codes
                if c["job_seeker_number"] == number]
        return self._json(rows)

    def job_seeker(self, number: str, lang: str) -> Response:
        """R12: `people[number]` may hold account_status and account_since (a datetime)."""
        if not re.fullmatch(r"[0-9]{5}-[0-9]{1,8}", number):
            return self._error(422, "VALIDATION_FAILED", {"job_seeker_number": "format"}, lang)
        known = [c for c in self.codes if c["job_seeker_number"] == number]
        person = self.people.get(number, {})
        return self._json({
            "job_seeker_number": number, "known": bool(known),
            "birth_date": known[-1]["birth_date"] if known else None, "closed": False,
            "account_status": person.get("account_status", "none"),
            "account_since": _iso(person.get("account_since"))})

    def issue(self, body: dict, lang: str, idempotency_key: str | None = None) -> Response:
        """POST /v1/codes as code-issuer answers it, with issue 17's Idempotency-Key and
        birth-date confirmation."""
        request_value = f"{body.get('job_seeker_number')}|{body.get('birth_date')}"
        if idempotency_key in self.issue_keys:
            earlier_request, answer = self.issue_keys[idempotency_key]
            if earlier_request != request_value:
                return self._error(422, "IDEMPOTENCY_KEY_REUSED", None, lang)
            again = {k: v for k, v in answer.items() if k not in ("code", "code_display")}
            status = next(c["status"] for c in self.codes if c["code_id"] == answer["code_id"])
            return self._json({**again, "already_issued": True, "status": status}, 200)
        response = self._issue(body, lang)
        if idempotency_key and response.status_code == 201:
            self.issue_keys[idempotency_key] = (request_value, json.loads(response.get_data()))
        return response

    def _issue(self, body: dict, lang: str) -> Response:
        bad = {}
        if not re.fullmatch(r"[0-9]{5}-[0-9]{1,8}", str(body.get("job_seeker_number", ""))):
            bad["job_seeker_number"] = "format"
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(body.get("birth_date", ""))):
            bad["birth_date"] = "format"
        if bad:
            return self._error(422, "VALIDATION_FAILED", bad, lang)
        known = [c for c in self.codes if c["job_seeker_number"] == body["job_seeker_number"]]
        if known and known[-1]["birth_date"] != body["birth_date"] and not body.get(
                "birth_date_confirmed"):
            return self._error(409, "BIRTH_DATE_DIFFERS", None, lang, details={
                "recorded_birth_date": known[-1]["birth_date"], "birth_date": body["birth_date"]})
        before = [c["code_id"] for c in self.codes
                  if c["job_seeker_number"] == body["job_seeker_number"] and c["status"] == "active"]
        code = self.add_code(body["job_seeker_number"], body["birth_date"])
        row = self.codes[-1]
        return self._json({"code_id": row["code_id"], "code": code,
                           "job_seeker_number": row["job_seeker_number"],
                           "birth_date": row["birth_date"],
                           "issued_at": _iso(row["issued_at"]), "expires_at": _iso(row["expires_at"]),
                           "superseded": before, "already_issued": False}, 201)

    def apply(self, body: dict, lang: str) -> Response:
        if not body.get("privacy_policy_version") or not body.get("terms_of_use_version"):
            return self._error(422, "TERMS_NOT_AGREED", None, lang)
        bad = {}
        for name in ("email", "email_confirmation", "job_seeker_number", "birth_date",
                     "account_creation_code"):
            if not body.get(name):
                bad[name] = "required"
        if not bad and body["email"] != body["email_confirmation"]:
            bad["email_confirmation"] = "mismatch"
        if not bad and "@" not in body["email"]:
            bad["email"] = "format"
        if bad:
            return self._error(422, "VALIDATION_FAILED", bad, lang)
        entered = _norm(body["account_creation_code"])
        match = [c for c in self.codes if c["job_seeker_number"] == body["job_seeker_number"]
                 and c["birth_date"] == body["birth_date"] and c["code"] == entered]
        if not match:
            for c in self.codes:
                if c["job_seeker_number"] == body["job_seeker_number"] and c["status"] == "active":
                    c["failed_attempts"] += 1
            return self._error(400, "IDENTITY_MISMATCH", None, lang)
        code = match[0]
        if code["status"] != "active":
            return self._error(410 if code["status"] != "used" else 409, {
                "invalidated": "CODE_INVALIDATED", "used": "CODE_ALREADY_USED"}.get(
                code["status"], "CODE_EXPIRED"), None, lang)
        if any(a.get("job_seeker_number") == code["job_seeker_number"]
               for a in self.accounts.values()):
            return self._error(409, "ACCOUNT_EXISTS", None, lang)  # R12
        if body["email"].lower() in self.accounts:
            return self._error(409, "EMAIL_ALREADY_REGISTERED", None, lang)
        token, key = secrets.token_urlsafe(32), "".join(secrets.choice(CROCKFORD) for _ in range(8))
        expires = _now() + timedelta(minutes=50)
        self.applications[token] = {"code": code, "email": body["email"], "auth_key": key,
                                    "expires_at": expires, "wrong": 0}
        self.mails.append({"id": str(uuid.uuid4()), "to": [body["email"]],
                           "subject": "パスワード登録申込受付通知", "received_at": _iso(_now()),
                           "text": f"認証キー: {key}\n"})
        return self._json({"application_token": token, "email": body["email"],
                           "auth_key_expires_at": _iso(expires)}, 201)

    def register(self, body: dict, lang: str) -> Response:
        application = self.applications.get(str(body.get("application_token", "")))
        if application is None:
            return self._error(404, "APPLICATION_NOT_FOUND", None, lang)
        password = str(body.get("password", ""))
        bad = {}
        if not (8 <= len(password) <= 32 and re.search(r"\d", password)
                and re.search(r"[A-Za-z]", password) and re.search(r"[^\dA-Za-z]", password)):
            bad["password"] = "weak"
        elif password != body.get("password_confirmation"):
            bad["password_confirmation"] = "mismatch"
        if not body.get("auth_key"):
            bad["auth_key"] = "required"
        if bad:
            return self._error(422, "VALIDATION_FAILED", bad, lang)
        if _now() >= application["expires_at"]:
            return self._error(410, "AUTH_KEY_EXPIRED", None, lang)
        if _norm(str(body["auth_key"])) != application["auth_key"]:
            application["wrong"] += 1
            if application["wrong"] >= 5:
                del self.applications[body["application_token"]]
            return self._error(400, "AUTH_KEY_MISMATCH", None, lang,
                               details={"attempts_left": 5 - application["wrong"]})
        del self.applications[body["application_token"]]
        code = application["code"]
        application["birth_date"] = code["birth_date"]
        code["status"], code["used_at"] = "used", _now()
        self.accounts[application["email"].lower()] = {
            "email": application["email"], "password": password,
            "job_seeker_number": code["job_seeker_number"], "birth_date": code["birth_date"],
            "registered_at": _iso(_now())}
        return self._json({"account_id": str(uuid.uuid4()), "email": application["email"]}, 201)

    def request_reset(self, body: dict, lang: str) -> Response:
        """R15: the same 202 whether or not anything matched; a key mailed when it did."""
        bad = {name: "required" for name in ("email", "job_seeker_number", "birth_date")
               if not body.get(name)}
        if not bad and not re.fullmatch(r"[0-9]{5}-[0-9]{1,8}", body["job_seeker_number"]):
            bad["job_seeker_number"] = "format"
        if bad:
            return self._error(422, "VALIDATION_FAILED", bad, lang)
        account = self.accounts.get(str(body["email"]).lower())
        matched = bool(account and account.get("job_seeker_number") == body["job_seeker_number"]
                       and account.get("birth_date") == body["birth_date"])
        token, key = secrets.token_urlsafe(32), "".join(secrets.choice(CROCKFORD) for _ in range(8))
        expires = _now() + timedelta(minutes=50)
        self.resets[token] = {"email": account["email"] if matched else None, "key": key,
                              "expires_at": expires, "wrong": 0}
        if matched:
            self.mails.append({"id": str(uuid.uuid4()), "to": [account["email"]],
                               "subject": "パスワード再設定", "received_at": _iso(_now()),
                               "text": f"再設定キー: {key}\n"})
        return self._json({"reset_token": token, "reset_key_expires_at": _iso(expires)}, 202)

    def complete_reset(self, body: dict, lang: str) -> Response:
        reset = self.resets.get(str(body.get("reset_token", "")))
        if reset is None:
            return self._error(404, "RESET_NOT_FOUND", None, lang)
        password = str(body.get("password", ""))
        bad = {}
        if not (8 <= len(password) <= 32 and re.search(r"\d", password)
                and re.search(r"[A-Za-z]", password) and re.search(r"[^\dA-Za-z]", password)):
            bad["password"] = "weak"
        elif password != body.get("password_confirmation"):
            bad["password_confirmation"] = "mismatch"
        if not body.get("reset_key"):
            bad["reset_key"] = "required"
        if bad:
            return self._error(422, "VALIDATION_FAILED", bad, lang)
        if _now() >= reset["expires_at"]:
            return self._error(410, "RESET_KEY_EXPIRED", None, lang)
        if reset["email"] is None or _norm(str(body["reset_key"])) != reset["key"]:
            reset["wrong"] += 1
            if reset["wrong"] >= 5:
                del self.resets[body["reset_token"]]
            return self._error(400, "RESET_KEY_MISMATCH", None, lang,
                               details={"attempts_left": 5 - reset["wrong"]})
        account = self.accounts[reset["email"].lower()]
        if account["password"] == password:
            return self._error(422, "PASSWORD_UNCHANGED", None, lang)
        del self.resets[body["reset_token"]]
        account["password"] = password
        for token in [t for t, e in self.sessions.items() if e == reset["email"].lower()]:
            del self.sessions[token]
        return self._json({"email": account["email"]})

    def expire_resets(self) -> None:
        for reset in self.resets.values():
            reset["expires_at"] = _now() - timedelta(seconds=1)

    def log_in(self, body: dict, lang: str) -> Response:
        account = self.accounts.get(str(body.get("email", "")).lower())
        if not account or account["password"] != body.get("password"):
            return self._error(401, "LOGIN_FAILED", None, lang)
        token = secrets.token_urlsafe(32)
        self.sessions[token] = account["email"].lower()
        return self._json({"session_token": token,
                           "expires_at": _iso(_now() + timedelta(hours=1))}, 201)

    def _session(self, request: Request) -> str | None:
        auth = request.headers.get("Authorization", "")
        return auth[7:] if auth.startswith("Bearer ") and auth[7:] in self.sessions else None

    def me(self, request: Request, lang: str) -> Response:
        token = self._session(request)
        if token is None:
            return self._error(401, "UNAUTHORIZED", None, lang)
        account = self.accounts[self.sessions[token]]
        return self._json({k: account[k] for k in ("email", "job_seeker_number", "registered_at")})

    def log_out(self, request: Request, lang: str) -> Response:
        token = self._session(request)
        if token is None:
            return self._error(401, "UNAUTHORIZED", None, lang)
        del self.sessions[token]
        return Response(status=204)


class MemoryRecords:
    """The counter's session records in a dict (the Redis version has integration tests);
    the seconds each record may live are kept for the tests to read."""

    def __init__(self):
        self.records: dict[str, dict] = {}
        self.seconds: dict[str, int] = {}

    def add(self, name: str, record: dict, seconds: int) -> None:
        self.records.setdefault(name, json.loads(json.dumps(record)))
        self.seconds[name] = seconds

    def get(self, name: str) -> dict | None:
        record = self.records.get(name)
        return json.loads(json.dumps(record)) if record is not None else None

    def replace(self, name: str, record: dict, seconds: int) -> bool:
        if name not in self.records:
            return False
        self.records[name], self.seconds[name] = json.loads(json.dumps(record)), seconds
        return True

    def remove(self, name: str) -> None:
        self.records.pop(name, None)
        self.seconds.pop(name, None)

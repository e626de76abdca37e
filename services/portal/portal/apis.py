"""Clients of the two public HTTP APIs (DESIGN.md §4), as an outside gateway calls them.

Every call forwards the person's address (X-Forwarded-For), language (Accept-Language)
and browser (User-Agent); an error answer becomes `ApiFailure` with the contract's code,
message and per-field messages, already in the person's language.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import requests

from shared.logs import correlation_id


@dataclass
class ApiFailure(Exception):
    """An error answer of an API, or the API not answering at all (status 503)."""

    status: int
    code: str
    message: str = ""
    fields: dict[str, list[str]] = field(default_factory=dict)
    retry_after: int | None = None
    # facts the API told beside the code (members of its error object other than code,
    # message and fields), e.g. code-issuer's recorded_birth_date
    details: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.status} {self.code}"

    # --- seeker screens (issue 17) ---
    @property
    def attempts_left(self) -> int | None:
        """Wrong keys still allowed after AUTH_KEY_MISMATCH or RESET_KEY_MISMATCH."""
        left = self.details.get("attempts_left")
        return left if isinstance(left, int) and not isinstance(left, bool) and left >= 0 \
            else None


@dataclass(frozen=True)
class Caller:
    """Who the portal is calling on behalf of."""

    address: str
    language: str
    user_agent: str = ""  # R19/R20: registration names the browser family from it


class Api:
    """One JSON API reached through a pooled requests.Session with timeouts."""

    def __init__(self, base_url: str, timeout: float, session: requests.Session | None = None):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.http = session or requests.Session()

    def call(
        self,
        method: str,
        path: str,
        caller: Caller,
        *,
        json: dict[str, Any] | None = None,
        params: dict[str, str] | None = None,
        bearer: str | None = None,
        extra_headers: dict[str, str] | None = None,
    ) -> Any:
        headers = {
            "Accept": "application/json",
            "Accept-Language": caller.language,
            "X-Forwarded-For": caller.address,
            # one id follows the person's request through both APIs to the mail
            "X-Correlation-ID": correlation_id() or "",
        }
        if caller.user_agent:
            headers["User-Agent"] = caller.user_agent[:300]
        if bearer:
            headers["Authorization"] = f"Bearer {bearer}"
        headers.update(extra_headers or {})
        try:
            response = self.http.request(
                method, f"{self.base_url}{path}", json=json, params=params,
                headers=headers, timeout=self.timeout, allow_redirects=False,
            )
        except requests.RequestException:
            raise ApiFailure(503, "SERVICE_UNAVAILABLE") from None
        if response.status_code == 204:
            return None
        if 200 <= response.status_code < 300:
            try:
                return response.json()
            except ValueError:
                raise ApiFailure(502, "BAD_GATEWAY") from None
        raise failure_from(response)


def failure_from(response: requests.Response) -> ApiFailure:
    """The contract's error body read leniently; anything unreadable is a bad gateway."""
    try:
        error = response.json()["error"]
        code = str(error["code"])
    except (ValueError, KeyError, TypeError):
        status = response.status_code
        return ApiFailure(503 if status >= 500 else status, "SERVICE_UNAVAILABLE")
    fields: dict[str, list[str]] = {}
    raw_fields = error.get("fields") or {}
    if isinstance(raw_fields, dict):
        for name, texts in raw_fields.items():
            fields[str(name)] = [str(t) for t in texts] if isinstance(texts, list) else [str(texts)]
    retry = response.headers.get("Retry-After", "")
    return ApiFailure(
        status=response.status_code,
        code=code,
        message=str(error.get("message") or ""),
        fields=fields,
        retry_after=int(retry) if retry.isdigit() else None,
        details={str(k): v for k, v in error.items() if k not in ("code", "message", "fields")},
    )


class Registration:
    """The registration service's public API (steps 1-4, login, My Page)."""

    def __init__(self, api: Api):
        self.api = api

    def terms(self, caller: Caller) -> dict[str, Any]:
        return self.api.call("GET", "/v1/terms", caller)

    def apply(self, caller: Caller, form: dict[str, str]) -> dict[str, Any]:
        return self.api.call("POST", "/v1/applications", caller, json=form)

    def register_password(self, caller: Caller, form: dict[str, str]) -> dict[str, Any]:
        return self.api.call("POST", "/v1/password-registrations", caller, json=form)

    def log_in(self, caller: Caller, email: str, password: str) -> dict[str, Any]:
        return self.api.call("POST", "/v1/sessions", caller,
                             json={"email": email, "password": password})

    def me(self, caller: Caller, session_token: str) -> dict[str, Any]:
        return self.api.call("GET", "/v1/me", caller, bearer=session_token)

    # --- My Page (R16-R19), all with the My Page session ---
    def change_password(self, caller: Caller, session_token: str, form: dict[str, str]) -> None:
        """R16: {current_password, password, password_confirmation} → 204."""
        self.api.call("PUT", "/v1/me/password", caller, bearer=session_token, json=form)

    def request_email_change(self, caller: Caller, session_token: str,
                             form: dict[str, str]) -> dict[str, Any]:
        """R17: {current_password, email, email_confirmation} → 202 {change_token,
        key_expires_at}; the key goes to the new address."""
        return self.api.call("POST", "/v1/me/email-changes", caller, bearer=session_token,
                             json=form)

    def confirm_email_change(self, caller: Caller, session_token: str,
                             form: dict[str, str]) -> dict[str, Any]:
        """R17: {change_token, key} → 200 {email}."""
        return self.api.call("POST", "/v1/me/email-change-confirmations", caller,
                             bearer=session_token, json=form)

    def withdraw(self, caller: Caller, session_token: str, current_password: str) -> None:
        """R18: {current_password} → 204; the account is closed."""
        self.api.call("POST", "/v1/me/withdrawal", caller, bearer=session_token,
                      json={"current_password": current_password})

    def my_sessions(self, caller: Caller, session_token: str) -> list[dict[str, Any]]:
        """R19: the account's open sessions."""
        return self.api.call("GET", "/v1/me/sessions", caller, bearer=session_token)

    def end_session(self, caller: Caller, session_token: str, session_id: str) -> None:
        """R19: end one session (the id is quoted: it goes into the path)."""
        self.api.call("DELETE", f"/v1/me/sessions/{quote(session_id, safe='')}", caller,
                      bearer=session_token)

    def end_other_sessions(self, caller: Caller, session_token: str) -> None:
        """R19: end every session but the current one."""
        self.api.call("DELETE", "/v1/me/sessions", caller, bearer=session_token)
    # --- end of My Page ---

    def log_out(self, caller: Caller, session_token: str) -> None:
        self.api.call("DELETE", "/v1/sessions/current", caller, bearer=session_token)

    # --- R15 forgotten password ---
    def request_reset(self, caller: Caller, form: dict[str, str]) -> dict[str, Any]:
        """{email, job_seeker_number, birth_date} → 202 {reset_token, reset_key_expires_at},
        the same answer whether or not anything matched."""
        return self.api.call("POST", "/v1/password-resets", caller, json=form)

    def complete_reset(self, caller: Caller, form: dict[str, str]) -> dict[str, Any]:
        """{reset_token, reset_key, password, password_confirmation} → 200 {email}."""
        return self.api.call("POST", "/v1/password-reset-completions", caller, json=form)


class CodeIssuer:
    """The code-issuer's office API; every call carries the office key of the counter."""

    def __init__(self, api: Api):
        self.api = api

    def whoami(self, caller: Caller, office_key: str) -> dict[str, Any]:
        """Whether the office key is accepted (401 becomes ApiFailure), touching no data."""
        return self.api.call("GET", "/v1/whoami", caller, bearer=office_key)

    def issue(self, caller: Caller, office_key: str, number: str, birth_date: str, *,
              idempotency_key: str | None = None,
              birth_date_confirmed: bool = False) -> dict[str, Any]:
        """A new code (201, with the plain code), or the key's earlier issue again (200,
        `already_issued`, without it): the answer tells which."""
        body: dict[str, Any] = {"job_seeker_number": number, "birth_date": birth_date}
        if birth_date_confirmed:
            body["birth_date_confirmed"] = True
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else None
        return self.api.call("POST", "/v1/codes", caller, bearer=office_key, json=body,
                             extra_headers=headers)

    def job_seeker(self, caller: Caller, office_key: str, number: str) -> dict[str, Any]:
        """R12: the person as code-issuer knows them, with their account's status."""
        return self.api.call("GET", f"/v1/job-seekers/{quote(number, safe='')}", caller,
                             bearer=office_key)

    def codes(self, caller: Caller, office_key: str, number: str) -> list[dict[str, Any]]:
        return self.api.call("GET", "/v1/codes", caller, bearer=office_key,
                             params={"job_seeker_number": number})

"""My Page beyond its top: change the password (R16) and the email (R17), the open
sessions (R19) and withdrawal (R18), with the My Page session the login put in the cookie.

Every POST answers with a redirect (POST-redirect-GET): a refused form waits in the session
(`_stash`: what was typed, never a password or a key) for the GET that follows, so Back and
reload never offer to resend a form. The email change's token lives only in the session.
"""

from __future__ import annotations

import hashlib

from flask import Blueprint, g, redirect, render_template, request, session, url_for

from portal import domain
from portal.apis import ApiFailure
from portal.forms import Form
from portal.messages import MESSAGES, text
from portal.runtime import caller, current

bp = Blueprint("mypage", __name__, url_prefix="/mypage")

PASSWORD = ("current_password", "password", "password_confirmation")
EMAIL = ("current_password", "email", "email_confirmation")
KEY = ("key",)
WITHDRAWAL = ("current_password",)
# Contract codes that belong next to one field of these forms.
FIELD_OF_CODE = {
    "PASSWORD_UNCHANGED": "password",
    "CURRENT_PASSWORD_WRONG": "current_password",
    "EMAIL_ALREADY_REGISTERED": "email",
    "CHANGE_KEY_MISMATCH": "key",
}
# The kept form lives in the cookie: bounded so the cookie stays far below 4 KB.
_KEPT_TEXT, _KEPT_ITEMS = 300, 8


class SessionOver(Exception):
    """The API no longer knows the My Page session (401): log in again."""


def _token() -> str | None:
    my = session.get("my")
    return my.get("token") if isinstance(my, dict) else None


def _owner() -> str:
    """Which login a kept form or change belongs to (a digest of the session token), so that
    nothing typed by one person shows after another logs in on the same browser."""
    return hashlib.sha256((_token() or "").encode()).hexdigest()[:32]


def _change() -> dict | None:
    """The email change in progress for this login, if any."""
    change = session.get("my_change")
    if isinstance(change, dict) and change.get("owner") == _owner():
        return change
    session.pop("my_change", None)
    return None


def _to_login():
    """UNAUTHORIZED, or no session at all: the login screen, saying why when it ended."""
    ended = session.pop("my", None) is not None
    session.pop("my_change", None)
    if ended:
        session["notice"] = text("session_over", g.lang)
    return redirect(url_for("seeker.login"), code=303)


def _call(method, *args):
    """One call of the registration API with the session's token; 401 ends the session."""
    try:
        return method(caller(), _token(), *args)
    except ApiFailure as failure:
        if failure.status == 401:
            raise SessionOver from None
        raise


@bp.errorhandler(SessionOver)
def _session_over(_error):
    return _to_login()


@bp.before_request
def _logged_in():
    """Every screen here needs the My Page session, but the 'account closed' one; a result
    screen is shown by its own GET only until something else is done."""
    endpoint = request.endpoint or ""
    if not endpoint.endswith("_done"):
        session.pop("my_done", None)
    if endpoint != "mypage.withdrawal_done" and not _token():
        return _to_login()
    return None


def _read(names: tuple[str, ...]) -> dict[str, str]:
    return {name: str(request.form.get(name, ""))[:200] for name in names}


def _status(failure: ApiFailure) -> int:
    return failure.status if 400 <= failure.status < 600 else 502


def _place(form: Form, failure: ApiFailure) -> None:
    """An API error next to its field, or at the top: waits in minutes, tries left."""
    lang = g.lang
    message = failure.message or MESSAGES.error(failure.code, lang)
    if failure.code == "RATE_LIMITED" and failure.retry_after:
        minutes = domain.minutes_to_wait(failure.retry_after)  # 899 s: 約15分後
        message += " " + text("retry_after", lang, minutes=minutes)
    if failure.code == "CHANGE_KEY_MISMATCH" and failure.attempts_left:
        message += " " + text("my_attempts_left", lang, n=failure.attempts_left)
    target = FIELD_OF_CODE.get(failure.code)
    unplaced = []
    for name, texts in failure.fields.items():
        if name in form.fields:
            for one in texts:
                if not (name == target and one.strip() in message):  # said once, not twice
                    form.add(name, one)
        else:
            unplaced += texts
    if target in form.fields:
        form.add(target, message)
    elif not failure.fields or unplaced:
        form.page_errors.append(message)
    form.page_errors += unplaced


def _stash(screen: str, form: Form, status: int, target: str):
    """Keep `form` for `screen`'s next GET and answer 303 to `target`."""
    session["my_form"] = {
        "screen": screen, "owner": _owner(), "status": status, "values": form.values,
        "errors": {k: [m[:_KEPT_TEXT] for m in v[:_KEPT_ITEMS]] for k, v in form.errors.items()},
        "page_errors": [m[:_KEPT_TEXT] for m in form.page_errors[:_KEPT_ITEMS]],
    }
    return redirect(target, code=303)


def _unstash(screen: str, names: tuple[str, ...]) -> tuple[Form, int]:
    """The form kept for `screen` (once: a reload shows it fresh) and its status."""
    kept = session.pop("my_form", None)
    form = Form(names)
    if not isinstance(kept, dict) or kept.get("screen") != screen \
            or kept.get("owner") != _owner():
        return form, 200
    form.values = {k: str(v) for k, v in dict(kept.get("values") or {}).items() if k in names}
    form.errors = {str(k): [str(m) for m in v] for k, v in dict(kept.get("errors") or {}).items()}
    form.page_errors = [str(m) for m in kept.get("page_errors") or []]
    status = kept.get("status")
    return form, status if isinstance(status, int) else 200


def _when(at: str | None) -> str:
    instant = domain.parse_instant(str(at or ""))
    return domain.local_time(instant, current().zone, g.lang) if instant else ""


def _done(screen: str, **facts: str):
    """The one-time result of a finished change, shown by its own GET."""
    session.pop("my_form", None)
    session["my_done"] = {"screen": screen, **facts}
    return redirect(url_for(f"mypage.{screen}_done"), code=303)


def _done_facts(screen: str) -> dict | None:
    done = session.get("my_done")
    return done if isinstance(done, dict) and done.get("screen") == screen else None


# --- R16: password ------------------------------------------------------------------------
@bp.get("/password")
def password():
    """パスワードの変更: current password, new password and its confirmation."""
    form, status = _unstash("password", PASSWORD)
    return render_template("mypage/password.html", form=form), status


@bp.post("/password")
def change_password():
    form = Form(PASSWORD)  # all three are passwords: none is typed back
    try:
        _call(current().registration.change_password, _read(PASSWORD))
    except ApiFailure as failure:
        _place(form, failure)
        return _stash("password", form, _status(failure), url_for("mypage.password"))
    return _done("password")


@bp.get("/password/done")
def password_done():
    if not _done_facts("password"):
        return redirect(url_for("seeker.mypage"), code=303)
    return render_template("mypage/done.html", title=text("my_password_done_title", g.lang),
                           body=text("my_password_done_body", g.lang))


# --- R17: email -----------------------------------------------------------------------------
@bp.get("/email")
def email():
    """メールアドレスの変更: current password, new address and its confirmation."""
    form, status = _unstash("email", EMAIL)
    return render_template("mypage/email.html", form=form), status


@bp.post("/email")
def request_email_change():
    body = _read(EMAIL)
    form = Form(EMAIL, {k: body[k] for k in ("email", "email_confirmation")})
    try:
        answer = _call(current().registration.request_email_change, body)
        if not isinstance(answer, dict) or not answer.get("change_token"):
            raise ApiFailure(502, "BAD_GATEWAY")
    except ApiFailure as failure:
        _place(form, failure)
        return _stash("email", form, _status(failure), url_for("mypage.email"))
    session.pop("my_form", None)
    session["my_change"] = {"token": answer["change_token"], "email": body["email"],
                            "owner": _owner(),
                            "expires_at": str(answer.get("key_expires_at") or "")}
    return redirect(url_for("mypage.email_key"), code=303)


def _change_over(message_key: str, status: int, email: str = ""):
    """The change can no longer finish: back to the address form, saying why."""
    session.pop("my_change", None)
    form = Form(EMAIL, {"email": email, "email_confirmation": email} if email else {})
    form.page_errors.append(text(message_key, g.lang))
    return _stash("email", form, status, url_for("mypage.email"))


@bp.get("/email/key")
def email_key():
    """確認キーの入力: the key mailed to the new address (the token stays in the session)."""
    change = _change()
    if change is None:
        return redirect(url_for("mypage.email"), code=303)
    form, status = _unstash("email_key", KEY)
    return render_template("mypage/email_key.html", form=form, email=change.get("email", ""),
                           deadline=_when(change.get("expires_at")),
                           mail_page_url=current().config.mail_page_url), status


@bp.post("/email/key")
def confirm_email_change():
    change = _change()
    if change is None:
        return _change_over("my_change_over", 404)
    form = Form(KEY)  # the key is never typed back
    try:
        answer = _call(current().registration.confirm_email_change,
                       {"change_token": change["token"], "key": _read(KEY)["key"]})
    except ApiFailure as failure:
        typed = str(change.get("email", ""))  # typed back for the next try
        if failure.code == "CHANGE_NOT_FOUND" or "change_token" in failure.fields:
            return _change_over("my_change_over", 404, typed)
        if failure.code == "CHANGE_KEY_EXPIRED":
            return _change_over("my_change_expired", 410, typed)
        if failure.code == "CHANGE_KEY_MISMATCH" and failure.attempts_left == 0:
            return _change_over("my_change_void", 400, typed)
        if failure.code == "EMAIL_ALREADY_REGISTERED":  # R6 at confirmation: taken meanwhile
            session.pop("my_change", None)
            form = Form(EMAIL, {"email": change.get("email", ""),
                                "email_confirmation": change.get("email", "")})
            _place(form, failure)
            return _stash("email", form, 409, url_for("mypage.email"))
        _place(form, failure)
        return _stash("email_key", form, _status(failure), url_for("mypage.email_key"))
    session.pop("my_change", None)
    confirmed = answer.get("email") if isinstance(answer, dict) else None
    return _done("email", email=str(confirmed or change.get("email", "")))


@bp.get("/email/done")
def email_done():
    done = _done_facts("email")
    if not done:
        return redirect(url_for("seeker.mypage"), code=303)
    return render_template("mypage/done.html", title=text("my_email_done_title", g.lang),
                           body=text("my_email_done_body", g.lang, email=done.get("email", "")))


# --- R19: sessions --------------------------------------------------------------------------
@bp.get("/sessions")
def sessions():
    """ログイン中の端末: this one first, then the most recently used."""
    notice = session.pop("my_notice", None)
    try:
        listed = _call(current().registration.my_sessions)
        if not isinstance(listed, list):
            raise ApiFailure(502, "BAD_GATEWAY")
    except ApiFailure as failure:
        form = Form(())
        _place(form, failure)
        return render_template("mypage/sessions.html", rows=[], form=form,
                               notice=notice), _status(failure)
    rows = [{
        "session_id": str(one.get("session_id", "")),
        "current": one.get("current") is True,
        "browser": _browser(str(one.get("browser") or "")),
        "client_address": _known(str(one.get("client_address") or "")),
        "started_at": _when(one.get("started_at")),
        "last_used_at": _when(one.get("last_used_at")),
        "_last": str(one.get("last_used_at") or ""),
    } for one in listed if isinstance(one, dict)]
    rows.sort(key=lambda row: row["_last"], reverse=True)
    rows.sort(key=lambda row: not row["current"])
    return render_template("mypage/sessions.html", rows=rows, form=Form(()), notice=notice)


def _known(address: str) -> str:
    """A masked address, or 不明 where registration could not tell ("unknown")."""
    return address if address and address != "unknown" else text("my_session_unknown", g.lang)


def _browser(family: str) -> str:
    """registration's "Firefox on Windows" / "Other browser" in the person's language."""
    if not family:
        return text("my_session_unknown", g.lang)
    browser, _, system = family.partition(" on ")
    if browser == "Other browser":
        browser = text("my_other_browser", g.lang)
    if not system:
        return browser
    return f"{browser}（{system}）" if g.lang == "ja" else f"{browser} on {system}"


def _notice(key_or_failure, error: bool = False):
    if isinstance(key_or_failure, ApiFailure):
        form = Form(())
        _place(form, key_or_failure)
        message, error = " ".join(form.page_errors), True
    else:
        message = text(key_or_failure, g.lang)
    session["my_notice"] = {"text": message[:_KEPT_TEXT * 2], "error": error}
    return redirect(url_for("mypage.sessions"), code=303)


@bp.post("/sessions/end")
def end_session():
    """End one session, named by the form (never by the URL)."""
    session_id = str(request.form.get("session_id", ""))[:200]
    if not session_id.strip():
        return _notice("my_session_gone")
    try:
        _call(current().registration.end_session, session_id)
    except ApiFailure as failure:
        if failure.status == 404:
            return _notice("my_session_gone")
        return _notice(failure)
    return _notice("my_session_ended")


@bp.post("/sessions/end-others")
def end_other_sessions():
    """「この端末以外のすべての端末からログアウトする」."""
    try:
        _call(current().registration.end_other_sessions)
    except ApiFailure as failure:
        return _notice(failure)
    return _notice("my_sessions_others_ended")


# --- R18: withdrawal ------------------------------------------------------------------------
@bp.get("/withdrawal")
def withdrawal():
    """退会: what closing the account means, and the current password to confirm."""
    form, status = _unstash("withdrawal", WITHDRAWAL)
    return render_template("mypage/withdrawal.html", form=form), status


@bp.post("/withdrawal")
def withdraw():
    form = Form(WITHDRAWAL)
    try:
        _call(current().registration.withdraw, _read(WITHDRAWAL)["current_password"])
    except ApiFailure as failure:
        _place(form, failure)
        return _stash("withdrawal", form, _status(failure), url_for("mypage.withdrawal"))
    for name in ("my", "my_change", "my_notice"):
        session.pop(name, None)
    return _done("withdrawal")


@bp.get("/withdrawal/done")
def withdrawal_done():
    """「退会しました」: the account is closed and the session with it."""
    if not _done_facts("withdrawal"):
        return redirect(url_for("seeker.index"), code=303)
    return render_template("mypage/done.html", title=text("my_withdrawal_done_title", g.lang),
                           body=text("my_withdrawal_done_body", g.lang), closed=True)

"""The open sessions (R19): list them, end one, end all the others."""

from __future__ import annotations

from flask import g, redirect, render_template, request, session, url_for

from portal.apis import ApiFailure
from portal.forms import Form
from portal.messages import text
from portal.runtime import current
from portal.views.mypage import _KEPT_TEXT, _call, _place, _status, _when, bp


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

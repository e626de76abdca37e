"""Change the email (R17): the new address, then the key mailed to it."""

from __future__ import annotations

from flask import g, redirect, render_template, session, url_for

from portal.apis import ApiFailure
from portal.forms import Form
from portal.messages import text
from portal.runtime import current
from portal.views.mypage import (
    _call,
    _done,
    _done_facts,
    _owner,
    _place,
    _read,
    _stash,
    _status,
    _unstash,
    _when,
    bp,
)

EMAIL = ("current_password", "email", "email_confirmation")
KEY = ("key",)


def _change() -> dict | None:
    """The email change in progress for this login, if any."""
    change = session.get("my_change")
    if isinstance(change, dict) and change.get("owner") == _owner():
        return change
    session.pop("my_change", None)
    return None


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

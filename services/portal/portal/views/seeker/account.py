"""Login, My Page's top and logout (R13)."""

from __future__ import annotations

from flask import g, redirect, render_template, request, session, url_for

from portal import domain
from portal.apis import ApiFailure
from portal.forms import Form
from portal.messages import text
from portal.runtime import caller, current
from portal.security import renew_csrf_token
from portal.views.seeker import bp
from portal.views.seeker.kept import (
    LOGIN,
    failure_status,
    stash,
    unstash,
)


# --- login and My Page -------------------------------------------------------------------
@bp.route("/login", methods=["GET", "POST"])
def login():
    """Email and password give a My Page session held in the signed session cookie."""
    if request.method == "GET":
        email = session.get("completed_email") or session.get("reset_email") or ""
        form, status = unstash("login", LOGIN, Form(LOGIN, {"email": email}))
        return render_template("seeker/login.html", form=form,
                               notice=session.pop("notice", None)), status
    form = Form.read(LOGIN, request.form, keep=("email",))
    try:
        answer = current().registration.log_in(
            caller(), str(request.form.get("email", ""))[:200],
            str(request.form.get("password", ""))[:200])
    except ApiFailure as failure:
        form.take_failure(failure, g.lang)
        if failure.code == "RATE_LIMITED":  # R13's throttle: the way out is R15
            form.page_errors.append(text("throttled_forgot", g.lang))
            form.links.append("forgot")
        return stash("login", form, failure_status(failure), url_for("seeker.login"))
    session.pop("completed_email", None)
    session.pop("reset_email", None)
    session.pop("stash", None)
    renew_csrf_token()
    session["my"] = {"token": answer["session_token"], "expires_at": answer.get("expires_at", "")}
    return redirect(url_for("seeker.mypage"), code=303)


@bp.get("/mypage")
def mypage():
    """My Page top: the person's details from GET /v1/me."""
    my = session.get("my")
    if not my:
        return redirect(url_for("seeker.login"), code=303)
    try:
        me = current().registration.me(caller(), my["token"])
    except ApiFailure as failure:
        if failure.status == 401:
            session.pop("my", None)
            session["notice"] = text("session_over", g.lang)
            return redirect(url_for("seeker.login"), code=303)
        form = Form(())
        form.take_failure(failure, g.lang)
        return render_template("message.html", title=text("mypage_title", g.lang),
                               body=" ".join(form.page_errors)), failure.status
    registered = domain.parse_instant(str(me.get("registered_at", "")))
    return render_template(
        "seeker/mypage.html", me=me,
        registered_at=domain.local_time(registered, current().zone, g.lang) if registered else "",
    )


@bp.post("/logout")
def logout():
    """Ends the My Page session at the API and in the cookie."""
    my = session.pop("my", None)
    session.pop("stash", None)
    if my:
        try:
            current().registration.log_out(caller(), my["token"])
        except ApiFailure:
            pass  # the cookie no longer holds the token; the API's session expires by itself
    session["notice"] = text("logged_out", g.lang)
    return redirect(url_for("seeker.index"), code=303)

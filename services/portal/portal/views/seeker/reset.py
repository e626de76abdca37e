"""R15: the forgotten password, from the three facts to the new password."""

from __future__ import annotations

from flask import g, redirect, render_template, request, session, url_for

from portal import domain
from portal.apis import ApiFailure
from portal.forms import Form
from portal.messages import text
from portal.runtime import caller, current
from portal.views.seeker import bp
from portal.views.seeker.kept import (
    FORGOT,
    RESET,
    ended_state,
    failure_status,
    keep_new_passwords,
    now_iso,
    start_again,
    stash,
    unstash,
    when,
)


# --- R15: forgotten password -------------------------------------------------------------
@bp.route("/password-reset", methods=["GET", "POST"])
def forgot():
    """パスワードを忘れた方: email, job-seeker number and birth date; the API answers the
    same whether or not they matched, and so does this screen."""
    if request.method == "GET":
        form, status = unstash("forgot", FORGOT)
        return render_template("seeker/forgot.html", form=form), status
    form = Form.read(FORGOT, request.form, keep=FORGOT)
    body = {name: str(request.form.get(name, ""))[:200] for name in FORGOT}
    body["birth_date"] = domain.normalise_birth_date(body["birth_date"])
    body["job_seeker_number"] = domain.normalise_job_seeker_number(body["job_seeker_number"])
    try:
        answer = current().registration.request_reset(caller(), body)
    except ApiFailure as failure:
        form.take_failure(failure, g.lang)
        return stash("forgot", form, failure_status(failure), url_for("seeker.forgot"))
    # Like the application token: only in the signed session, never in a URL or a page.
    session["reset"] = {"token": answer["reset_token"], "email": body["email"],
                        "expires_at": answer.get("reset_key_expires_at", ""),
                        "requested_at": now_iso()}
    return redirect(url_for("seeker.reset"), code=303)


def _reset_over(reset: dict | None):
    """The page of a reset that is missing, void or expired (one message, ask again)."""
    state = ended_state(reset)
    if state is None:
        return None
    key = "reset_expired" if state == "expired" else "reset_void"
    return start_again(text(f"{key}_title", g.lang), text(f"{key}_body", g.lang),
                        url_for("seeker.forgot"), text("reset_ask_again", g.lang))


@bp.route("/password-reset/new", methods=["GET", "POST"])
def reset():
    """The reset key from the mail and the new password (R11, not the current one)."""
    kept = session.get("reset")
    if request.method == "GET":
        over = _reset_over(kept)
        if over:
            session.pop("stash", None)
            return over
        form, status = unstash("reset", RESET)
        runtime = current()
        expires_at = domain.parse_instant(kept.get("expires_at", ""))
        left = domain.seconds_left(expires_at, runtime.clock.now()) if expires_at else None
        return render_template(
            "seeker/reset.html", form=form, email=kept.get("email", ""),
            sent_at=when(kept.get("requested_at")),
            deadline=domain.local_time(expires_at, runtime.zone, g.lang) if expires_at else "",
            seconds_left=left, time_left=domain.duration(left, g.lang) if left is not None else "",
            mail_page_url=runtime.config.mail_page_url,
        ), status
    if not kept or kept.get("state"):
        return redirect(url_for("seeker.reset"), code=303)
    form = Form(RESET)
    body = {name: str(request.form.get(name, ""))[:200] for name in RESET}
    try:
        answer = current().registration.complete_reset(caller(), {"reset_token": kept["token"],
                                                                  **body})
    except ApiFailure as failure:
        if failure.code == "RESET_NOT_FOUND" or (
                failure.code == "RESET_KEY_MISMATCH" and failure.attempts_left == 0):
            session["reset"] = {**kept, "state": "void"}
        elif failure.code == "RESET_KEY_EXPIRED":
            session["reset"] = {**kept, "state": "expired"}
        else:
            form.take_failure(failure, g.lang)
            keep_new_passwords(form, request.form)
            return stash("reset", form, failure_status(failure), url_for("seeker.reset"))
        return redirect(url_for("seeker.reset"), code=303)
    session.pop("reset", None)
    session.pop("my", None)  # R15: every session of the account has ended
    session["reset_email"] = str(answer.get("email") or kept.get("email", ""))
    return redirect(url_for("seeker.reset_done"), code=303)


@bp.get("/password-reset/done")
def reset_done():
    """パスワードを変更しました, and the way to log in with the new password."""
    if not session.get("reset_email"):
        return redirect(url_for("seeker.login"), code=303)
    return render_template("seeker/reset_done.html")

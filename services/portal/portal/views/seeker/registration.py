"""Steps 1-4 of the manual: the top page, the terms, step 2's details, the password screen
and registration complete (R8-R12, R14)."""

from __future__ import annotations

from flask import abort, g, redirect, render_template, request, session, url_for

from portal import domain
from portal.apis import ApiFailure
from portal.forms import Form
from portal.messages import text
from portal.runtime import caller, current
from portal.views.seeker import bp
from portal.views.seeker.kept import (
    DETAILS,
    PASSWORD,
    TERMS,
    ended_state,
    failure_status,
    keep_new_passwords,
    now_iso,
    start_again,
    stash,
    unstash,
    when,
)


# --- top page, step 1 --------------------------------------------------------------------
@bp.get("/")
def index():
    """The top page: log in, or open My Page with a code from the office."""
    return render_template("seeker/index.html", notice=session.pop("notice", None))


def _terms() -> tuple[dict | None, Form]:
    form = Form(TERMS)
    try:
        return current().registration.terms(caller()), form
    except ApiFailure as failure:
        form.take_failure(failure, g.lang)
        return None, form


@bp.get("/register")
def terms():
    """Step 1: 求職者マイページ利用規約確認, both documents and two checkboxes. Coming back
    here gives up an open application (R14); its mail's time is remembered so that the next
    password screen can say the new mail replaces it (issue 17)."""
    application = session.pop("application", None)
    if application and application.get("applied_at") and not application.get("state"):
        session["earlier_mail_at"] = application["applied_at"]
    documents, form = _terms()
    if documents is None:
        return render_template("seeker/terms.html", documents=None, form=form), 503
    kept, status = unstash("terms", TERMS)
    return render_template("seeker/terms.html", documents=documents, form=kept), status


@bp.post("/register")
def agree():
    """R8: both must be agreed; the versions shown are the versions kept."""
    documents, form = _terms()
    if documents is None:
        return redirect(url_for("seeker.terms"), code=303)  # the GET explains the outage
    for name in domain.missing_agreements(request.form.get("privacy_policy") == "agree",
                                          request.form.get("terms_of_use") == "agree"):
        form.add(name, text(f"must_agree_{'privacy' if name == 'privacy_policy' else 'terms'}",
                            g.lang))
    if form.has_errors:
        form.values = {k: "agree" for k in form.fields if request.form.get(k) == "agree"}
        return stash("terms", form, 422, url_for("seeker.terms"))
    session["agreed"] = {
        "privacy_policy_version": documents["privacy_policy"]["version"],
        "terms_of_use_version": documents["terms_of_use"]["version"],
    }
    return redirect(url_for("seeker.details"), code=303)


@bp.get("/policies/<kind>")
def policy(kind: str):
    """The privacy policy or the terms of use, with 閉じる back to step 1."""
    if kind not in ("privacy", "terms"):
        abort(404)
    documents, _ = _terms()
    key = "privacy_policy" if kind == "privacy" else "terms_of_use"
    document = documents.get(key) if documents else None
    return render_template("seeker/policy.html", kind=kind, key=key, document=document)


# --- step 2 ------------------------------------------------------------------------------
@bp.route("/register/details", methods=["GET", "POST"])
def details():
    """Step 2: 必要な情報の入力（パスワード登録申込）."""
    agreed = session.get("agreed")
    if not agreed:
        return redirect(url_for("seeker.terms"), code=303)
    if request.method == "GET":
        form, status = unstash("details", DETAILS)
        return render_template("seeker/details.html", form=form,
                               sender=current().config.mail_from), status
    # Issue 17: every field, the code too, stays typed after an error (sealed in the stash).
    form = Form.read(DETAILS, request.form, keep=DETAILS)
    body = {name: str(request.form.get(name, ""))[:200] for name in DETAILS}
    body["birth_date"] = domain.normalise_birth_date(body["birth_date"])
    body["job_seeker_number"] = domain.normalise_job_seeker_number(body["job_seeker_number"])
    try:
        answer = current().registration.apply(caller(), {**agreed, **body})
    except ApiFailure as failure:
        form.take_failure(failure, g.lang)
        if failure.code == "TERMS_NOT_AGREED":
            session.pop("agreed", None)
            terms_form = Form(TERMS, page_errors=form.page_errors)
            return stash("terms", terms_form, failure_status(failure), url_for("seeker.terms"))
        return stash("details", form, failure_status(failure), url_for("seeker.details"))
    earlier = session.pop("earlier_mail_at", None)
    open_one = session.get("application")
    if open_one and not open_one.get("state"):
        earlier = open_one.get("applied_at") or earlier
    session["application"] = {
        "token": answer["application_token"],
        "email": answer.get("email", body["email"]),
        "expires_at": answer.get("auth_key_expires_at", ""),
        "applied_at": now_iso(),
        # R9: a new passing step 2 voids the earlier application and its key.
        "replaces": earlier or bool(answer.get("replaces_earlier")),
    }
    return redirect(url_for("seeker.password"), code=303)


# --- step 3 ------------------------------------------------------------------------------
def _password_page(application: dict, form: Form, status: int = 200):
    runtime = current()
    expires_at = domain.parse_instant(application.get("expires_at", ""))
    left = domain.seconds_left(expires_at, runtime.clock.now()) if expires_at else None
    replaces = application.get("replaces")
    return render_template(
        "seeker/password.html", form=form, email=application.get("email", ""),
        deadline=domain.local_time(expires_at, runtime.zone, g.lang) if expires_at else "",
        seconds_left=left, time_left=domain.duration(left, g.lang) if left is not None else "",
        mail_page_url=runtime.config.mail_page_url,
        sent_at=when(application.get("applied_at")),
        replaces=bool(replaces), replaces_at=when(replaces) if isinstance(replaces, str) else "",
    ), status


def _application_over(application: dict):
    """The expired or voided application's page (one message, "start again"), or None."""
    state = ended_state(application)
    if state is None:
        return None
    key = "key_expired" if state == "expired" else "key_void"
    return start_again(text(f"{key}_title", g.lang), text(f"{key}_body", g.lang),
                        url_for("seeker.terms"), text("start_again", g.lang))


@bp.route("/register/password", methods=["GET", "POST"])
def password():
    """Step 3: パスワード登録; the application token lives only in the session (R14)."""
    application = session.get("application")
    if not application:
        session.pop("stash", None)
        if request.method == "POST":
            return redirect(url_for("seeker.password"), code=303)
        return render_template("seeker/no_application.html")
    if request.method == "GET":
        over = _application_over(application)
        if over:
            return over
        form, status = unstash("password", PASSWORD)
        return _password_page(application, form, status)
    if application.get("state"):
        return redirect(url_for("seeker.password"), code=303)
    form = Form(PASSWORD)
    body = {name: str(request.form.get(name, ""))[:200] for name in PASSWORD}
    try:
        answer = current().registration.register_password(
            caller(), {"application_token": application["token"], **body})
    except ApiFailure as failure:
        if failure.code == "APPLICATION_NOT_FOUND":
            session.pop("application", None)
        elif failure.code == "AUTH_KEY_EXPIRED":
            session["application"] = {**application, "state": "expired"}
        elif failure.code == "AUTH_KEY_MISMATCH" and failure.attempts_left == 0:
            session["application"] = {**application, "state": "void"}
        else:
            form.take_failure(failure, g.lang)
            keep_new_passwords(form, request.form)
            return stash("password", form, failure_status(failure), url_for("seeker.password"))
        return redirect(url_for("seeker.password"), code=303)
    session.pop("application", None)
    session.pop("agreed", None)
    session.pop("earlier_mail_at", None)
    session["completed_email"] = answer.get("email", application.get("email", ""))
    return redirect(url_for("seeker.complete"), code=303)


@bp.get("/register/complete")
def complete():
    """Step 4: パスワード登録完了, with ログイン画面へ進む."""
    email = session.get("completed_email")
    if not email:
        return redirect(url_for("seeker.index"), code=303)
    return render_template("seeker/complete.html", email=email)

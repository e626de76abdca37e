"""The job seeker's screens, page by page as the manual shows them, and My Page."""

from __future__ import annotations

from flask import Blueprint, abort, g, redirect, render_template, request, session, url_for

from portal import domain
from portal.apis import ApiFailure
from portal.forms import Form
from portal.messages import text
from portal.runtime import caller, current
from portal.security import renew_csrf_token

bp = Blueprint("seeker", __name__)

DETAILS = ("email", "email_confirmation", "job_seeker_number", "birth_date",
           "account_creation_code")
PASSWORD = ("password", "password_confirmation", "auth_key")
LOGIN = ("email", "password")


@bp.get("/")
def index():
    """The top page: log in, or open My Page with a code from the office."""
    return render_template("seeker/index.html", notice=session.pop("notice", None))


def _terms() -> tuple[dict | None, Form]:
    form = Form(("privacy_policy", "terms_of_use"))
    try:
        return current().registration.terms(caller()), form
    except ApiFailure as failure:
        form.take_failure(failure, g.lang)
        return None, form


@bp.get("/register")
def terms():
    """Step 1: 求職者マイページ利用規約確認, both documents and two checkboxes."""
    session.pop("application", None)
    documents, form = _terms()
    return render_template("seeker/terms.html", documents=documents, form=form), (
        200 if documents else 503)


@bp.post("/register")
def agree():
    """R8: both must be agreed; the versions shown are the versions kept."""
    documents, form = _terms()
    if documents is None:
        return render_template("seeker/terms.html", documents=None, form=form), 503
    for name in domain.missing_agreements(request.form.get("privacy_policy") == "agree",
                                          request.form.get("terms_of_use") == "agree"):
        form.add(name, text(f"must_agree_{'privacy' if name == 'privacy_policy' else 'terms'}",
                            g.lang))
    if form.has_errors:
        form.values = {k: "agree" for k in form.fields if request.form.get(k) == "agree"}
        return render_template("seeker/terms.html", documents=documents, form=form), 422
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


@bp.route("/register/details", methods=["GET", "POST"])
def details():
    """Step 2: 必要な情報の入力（パスワード登録申込）."""
    agreed = session.get("agreed")
    if not agreed:
        return redirect(url_for("seeker.terms"), code=303)
    if request.method == "GET":
        return render_template("seeker/details.html", form=Form(DETAILS), sender=current().config.mail_from)
    form = Form.read(DETAILS, request.form, keep=DETAILS[:4])
    body = {name: str(request.form.get(name, ""))[:200] for name in DETAILS}
    body["birth_date"] = domain.normalise_birth_date(body["birth_date"])
    try:
        answer = current().registration.apply(caller(), {**agreed, **body})
    except ApiFailure as failure:
        if failure.code == "TERMS_NOT_AGREED":
            session.pop("agreed", None)
        form.take_failure(failure, g.lang)
        status = failure.status if 400 <= failure.status < 600 else 502
        return render_template("seeker/details.html", form=form, sender=current().config.mail_from), status
    session["application"] = {
        "token": answer["application_token"],
        "email": answer.get("email", body["email"]),
        "expires_at": answer.get("auth_key_expires_at", ""),
    }
    return redirect(url_for("seeker.password"), code=303)


def _password_page(application: dict, form: Form, status: int = 200):
    runtime = current()
    expires_at = domain.parse_instant(application.get("expires_at", ""))
    left = domain.seconds_left(expires_at, runtime.clock.now()) if expires_at else None
    return render_template(
        "seeker/password.html", form=form, email=application.get("email", ""),
        deadline=domain.local_time(expires_at, runtime.zone, g.lang) if expires_at else "",
        seconds_left=left, time_left=domain.duration(left, g.lang) if left is not None else "",
        mail_page_url=runtime.config.mail_page_url,
    ), status


@bp.route("/register/password", methods=["GET", "POST"])
def password():
    """Step 3: パスワード登録; the application token lives only in the session (R14)."""
    application = session.get("application")
    if not application:
        return render_template("seeker/no_application.html"), 409 if request.method == "POST" else 200
    if request.method == "GET":
        return _password_page(application, Form(PASSWORD))
    form = Form.read(PASSWORD, request.form)
    body = {name: str(request.form.get(name, ""))[:200] for name in PASSWORD}
    try:
        answer = current().registration.register_password(
            caller(), {"application_token": application["token"], **body})
    except ApiFailure as failure:
        if failure.code == "APPLICATION_NOT_FOUND":
            session.pop("application", None)
            return render_template("seeker/no_application.html"), 404
        form.take_failure(failure, g.lang)
        return _password_page(application, form, failure.status if failure.status >= 400 else 502)
    session.pop("application", None)
    session.pop("agreed", None)
    session["completed_email"] = answer.get("email", application.get("email", ""))
    return redirect(url_for("seeker.complete"), code=303)


@bp.get("/register/complete")
def complete():
    """Step 4: パスワード登録完了, with ログイン画面へ進む."""
    email = session.get("completed_email")
    if not email:
        return redirect(url_for("seeker.index"), code=303)
    return render_template("seeker/complete.html", email=email)


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Email and password give a My Page session held in the signed session cookie."""
    if request.method == "GET":
        form = Form(LOGIN, {"email": session.get("completed_email", "")})
        return render_template("seeker/login.html", form=form, notice=session.pop("notice", None))
    form = Form.read(LOGIN, request.form, keep=("email",))
    try:
        answer = current().registration.log_in(
            caller(), str(request.form.get("email", ""))[:200],
            str(request.form.get("password", ""))[:200])
    except ApiFailure as failure:
        form.take_failure(failure, g.lang)
        return render_template("seeker/login.html", form=form, notice=None), failure.status
    session.pop("completed_email", None)
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
    if my:
        try:
            current().registration.log_out(caller(), my["token"])
        except ApiFailure:
            pass  # the cookie no longer holds the token; the API's session expires by itself
    session["notice"] = text("logged_out", g.lang)
    return redirect(url_for("seeker.index"), code=303)

"""The job seeker's screens, page by page as the manual shows them, My Page, and R15's
forgotten password.

Every POST answers with a redirect (POST-redirect-GET): a refused form is kept, sealed, in
the session (`_stash`) and shown again by the GET that follows, so the browser's Back and
reload never offer to resend a form (issue 17).
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, g, redirect, render_template, request, session, url_for

from portal import domain
from portal.apis import ApiFailure
from portal.forms import Form, seal, unseal
from portal.messages import text
from portal.runtime import caller, current
from portal.security import renew_csrf_token

bp = Blueprint("seeker", __name__)

TERMS = ("privacy_policy", "terms_of_use")
DETAILS = ("email", "email_confirmation", "job_seeker_number", "birth_date",
           "account_creation_code")
PASSWORD = ("password", "password_confirmation", "auth_key")
LOGIN = ("email", "password")
FORGOT = ("email", "job_seeker_number", "birth_date")
RESET = ("reset_key", "password", "password_confirmation")
NEW_PASSWORDS = ("password", "password_confirmation")


# --- POST-redirect-GET: a refused form waits in the session for the next GET -------------
# The sealed form's longest length: the whole session cookie must stay under the browsers'
# 4 KB, or the browser drops it (and the application token with it).
STASH_LIMIT = 2200


def _stash(screen: str, form: Form, status: int, target: str):
    """Keep `form` (sealed: it may hold a code or a new password) for `screen`'s next GET and
    answer a 303 to `target`. What is too long to keep is typed again (values first, then
    all but the first message of each place)."""
    def sealed() -> str:
        return seal({"form": form.to_dict(), "status": status}, current_app.secret_key)

    kept = sealed()
    if len(kept) > STASH_LIMIT:
        form.values = {}
        kept = sealed()
    if len(kept) > STASH_LIMIT:
        form.errors = {name: texts[:1] for name, texts in form.errors.items()}
        form.page_errors = form.page_errors[:1]
        kept = sealed()
    if len(kept) > STASH_LIMIT:
        form.errors, form.page_errors = {}, [text("error_summary", g.lang)]
        kept = sealed()
    session["stash"] = {"screen": screen, "sealed": kept}
    return redirect(target, code=303)


def _unstash(screen: str, names: tuple[str, ...], default: Form | None = None) -> tuple[Form, int]:
    """The form kept for `screen` (once: a reload shows it fresh) and its status; any other
    screen's leftover is dropped."""
    kept = session.pop("stash", None)
    if isinstance(kept, dict) and kept.get("screen") == screen:
        data = unseal(str(kept.get("sealed", "")), current_app.secret_key)
        if data and isinstance(data.get("form"), dict):
            status = data.get("status")
            return Form.from_dict(names, data["form"]), status if isinstance(status, int) else 200
    return default or Form(names), 200


def _failure_status(failure: ApiFailure) -> int:
    return failure.status if 400 <= failure.status < 600 else 502


def _keep_new_passwords(form: Form, source) -> None:
    """Issue 17: after a wrong key the new password and its confirmation stay typed; after
    an error about either of them, both are typed again."""
    if not any(name in form.errors for name in NEW_PASSWORDS):
        form.values.update({name: str(source.get(name, ""))[:200] for name in NEW_PASSWORDS})


def _start_again(title: str, body: str, action_url: str, action: str, status: int = 200):
    """One clear message and one action (R14: the only way on is to start again)."""
    return render_template("seeker/start_again.html", title=title, body=body,
                           action_url=action_url, action=action), status


def _when(at: str | None) -> str:
    """13時05分 / 13:05 of an instant the session keeps, or ''."""
    instant = domain.parse_instant(at or "")
    return domain.clock_time(instant, current().zone, g.lang) if instant else ""


def _now_iso() -> str:
    return current().clock.now().isoformat()


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
    kept, status = _unstash("terms", TERMS)
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
        return _stash("terms", form, 422, url_for("seeker.terms"))
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
        form, status = _unstash("details", DETAILS)
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
            return _stash("terms", terms_form, _failure_status(failure), url_for("seeker.terms"))
        return _stash("details", form, _failure_status(failure), url_for("seeker.details"))
    earlier = session.pop("earlier_mail_at", None)
    open_one = session.get("application")
    if open_one and not open_one.get("state"):
        earlier = open_one.get("applied_at") or earlier
    session["application"] = {
        "token": answer["application_token"],
        "email": answer.get("email", body["email"]),
        "expires_at": answer.get("auth_key_expires_at", ""),
        "applied_at": _now_iso(),
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
        sent_at=_when(application.get("applied_at")),
        replaces=bool(replaces), replaces_at=_when(replaces) if isinstance(replaces, str) else "",
    ), status


def _application_over(application: dict):
    """The expired or voided application's page (one message, "start again"), or None."""
    state = application.get("state")
    if state is None:
        expires_at = domain.parse_instant(application.get("expires_at", ""))
        if expires_at and domain.seconds_left(expires_at, current().clock.now()) == 0:
            state = "expired"
    if state not in ("expired", "void"):
        return None
    key = "key_expired" if state == "expired" else "key_void"
    return _start_again(text(f"{key}_title", g.lang), text(f"{key}_body", g.lang),
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
        form, status = _unstash("password", PASSWORD)
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
            _keep_new_passwords(form, request.form)
            return _stash("password", form, _failure_status(failure), url_for("seeker.password"))
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


# --- login and My Page -------------------------------------------------------------------
@bp.route("/login", methods=["GET", "POST"])
def login():
    """Email and password give a My Page session held in the signed session cookie."""
    if request.method == "GET":
        email = session.get("completed_email") or session.get("reset_email") or ""
        form, status = _unstash("login", LOGIN, Form(LOGIN, {"email": email}))
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
        return _stash("login", form, _failure_status(failure), url_for("seeker.login"))
    session.pop("completed_email", None)
    session.pop("reset_email", None)
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


# --- R15: forgotten password -------------------------------------------------------------
@bp.route("/password-reset", methods=["GET", "POST"])
def forgot():
    """パスワードを忘れた方: email, job-seeker number and birth date; the API answers the
    same whether or not they matched, and so does this screen."""
    if request.method == "GET":
        form, status = _unstash("forgot", FORGOT)
        return render_template("seeker/forgot.html", form=form), status
    form = Form.read(FORGOT, request.form, keep=FORGOT)
    body = {name: str(request.form.get(name, ""))[:200] for name in FORGOT}
    body["birth_date"] = domain.normalise_birth_date(body["birth_date"])
    body["job_seeker_number"] = domain.normalise_job_seeker_number(body["job_seeker_number"])
    try:
        answer = current().registration.request_reset(caller(), body)
    except ApiFailure as failure:
        form.take_failure(failure, g.lang)
        return _stash("forgot", form, _failure_status(failure), url_for("seeker.forgot"))
    # Like the application token: only in the signed session, never in a URL or a page.
    session["reset"] = {"token": answer["reset_token"], "email": body["email"],
                        "expires_at": answer.get("reset_key_expires_at", ""),
                        "requested_at": _now_iso()}
    return redirect(url_for("seeker.reset"), code=303)


def _reset_over(reset: dict | None):
    """The page of a reset that is missing, void or expired (one message, ask again)."""
    state = reset.get("state") if reset else "void"
    if state is None:
        expires_at = domain.parse_instant(reset.get("expires_at", ""))
        if expires_at and domain.seconds_left(expires_at, current().clock.now()) == 0:
            state = "expired"
    if state not in ("expired", "void"):
        return None
    key = "reset_expired" if state == "expired" else "reset_void"
    return _start_again(text(f"{key}_title", g.lang), text(f"{key}_body", g.lang),
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
        form, status = _unstash("reset", RESET)
        runtime = current()
        expires_at = domain.parse_instant(kept.get("expires_at", ""))
        left = domain.seconds_left(expires_at, runtime.clock.now()) if expires_at else None
        return render_template(
            "seeker/reset.html", form=form, email=kept.get("email", ""),
            sent_at=_when(kept.get("requested_at")),
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
            _keep_new_passwords(form, request.form)
            return _stash("reset", form, _failure_status(failure), url_for("seeker.reset"))
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

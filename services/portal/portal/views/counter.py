"""The counter's screens: sign in with the office key, look up, issue, print the slip."""

from __future__ import annotations

import logging
import secrets
from datetime import date
from functools import wraps

from flask import Blueprint, g, redirect, render_template, request, session, url_for

from portal import domain
from portal.apis import ApiFailure
from portal.counter_sessions import Ended, Ticket, Unavailable
from portal.forms import Form
from portal.messages import text
from portal.runtime import caller, current
from portal.security import renew_csrf_token

log = logging.getLogger(__name__)
bp = Blueprint("counter", __name__, url_prefix="/counter")

SIGNIN = ("office_key",)
LOOKUP = ("job_seeker_number",)
ISSUE = ("job_seeker_number", "birth_date")
NOTICES = {"signed_out": "counter_signin_needed", "expired": "counter_expired",
           "idle": "counter_idle"}


@bp.errorhandler(Unavailable)
def _unavailable(error: Unavailable):
    """Issue 13 item 1: without the session store the counter fails closed, never open."""
    log.warning("counter session store unavailable", extra={"error": str(error)[:200]})
    return render_template("message.html", title=text("counter_unavailable_title", g.lang),
                           body=text("counter_unavailable_body", g.lang)), 503, {"Retry-After": "30"}


def _to_signin(notice: str):
    session.pop("counter", None)
    session["counter_notice"] = text(notice, g.lang)
    return redirect(url_for("counter.signin"), code=303)


def signed_in(view):
    """Open the counter's server-side session, or send the browser to the sign-in screen.

    The view gets the office key; `g.ticket` and `g.number` carry the session's cookie part
    and the job seeker looked up."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        ticket = Ticket.read(session.get("counter"))
        if ticket is None:
            return _to_signin("counter_signin_needed")
        runtime = current()
        try:
            opened = runtime.counter_sessions.open(ticket, runtime.clock.now())
        except Ended as ended:
            return _to_signin(NOTICES[ended.reason])
        g.ticket, g.number = ticket, opened.number
        return view(opened.office_key, *args, **kwargs)

    return wrapper


def _signed_out_by_api():
    current().counter_sessions.end(g.ticket)
    return _to_signin("office_key_wrong")


def _end_held_session() -> None:
    ticket = Ticket.read(session.pop("counter", None))
    if ticket is not None:
        current().counter_sessions.end(ticket)


@bp.route("/signin", methods=["GET", "POST"])
def signin():
    """The office key is checked by code-issuer, then kept encrypted on the server side."""
    if request.method == "GET":
        return render_template("counter/signin.html", form=Form(SIGNIN),
                               notice=session.pop("counter_notice", None))
    form = Form(SIGNIN)
    key = str(request.form.get("office_key", "")).strip()[:200]
    if not key:
        form.add("office_key", text("office_key_wrong", g.lang))
        return render_template("counter/signin.html", form=form, notice=None), 422
    try:
        current().code_issuer.whoami(caller(), key)
    except ApiFailure as failure:
        if failure.status == 401:
            form.add("office_key", text("office_key_wrong", g.lang))
        else:
            form.take_failure(failure, g.lang)
        return render_template("counter/signin.html", form=form, notice=None), failure.status
    _end_held_session()
    runtime = current()
    ticket = runtime.counter_sessions.start(key, runtime.clock.now())
    renew_csrf_token()
    session["counter"] = ticket.cookie_value()
    return redirect(url_for("counter.home"), code=303)


@bp.post("/signout")
def signout():
    """End the server-side session: every copy of the cookie stops working."""
    _end_held_session()
    session["counter_notice"] = text("signed_out", g.lang)
    return redirect(url_for("counter.signin"), code=303)


def _when(value, deadline: bool = False) -> str:
    """An API instant as the office reads it, or — when there is none."""
    zone = current().zone
    at = domain.parse_instant(str(value or ""))
    if at and deadline:
        at = domain.last_valid_moment(at, zone)
    return domain.local_time(at, zone, g.lang, seconds=True) if at else "—"


def _day(value) -> str:
    """An instant's office date (2026年4月1日 / 1 April 2026), or — when there is none."""
    at = domain.parse_instant(str(value or ""))
    return _date_text(at.astimezone(current().zone).date()) if at else "—"


def _birth_date(value) -> str:
    """A YYYY-MM-DD birth date as people read it; anything else as it is."""
    try:
        return _date_text(date.fromisoformat(str(value)))
    except ValueError:
        return str(value or "—")


def _date_text(day: date) -> str:
    if g.lang == "en":
        return day.strftime("%-d %B %Y")
    return f"{day.year}年{day.month}月{day.day}日"


def _rows(codes) -> list[dict]:
    """The codes as the table shows them: newest first, times in the office zone, with the
    failed attempts counted so far and where the last one came from (issue 17)."""
    items = codes.get("codes", []) if isinstance(codes, dict) else list(codes or [])
    rows = []
    for item in sorted(items, key=lambda c: str(c.get("issued_at", "")), reverse=True):
        status = str(item.get("status", ""))
        last = None
        if item.get("last_failure_at"):
            last = text("last_failure_value", g.lang, at=_when(item.get("last_failure_at")),
                        source=str(item.get("last_failure_from") or "unknown"))
        rows.append({
            "code_id": str(item.get("code_id", "")),
            "status": status,
            "status_text": _status_text(status),
            "issued_at": _when(item.get("issued_at")),
            "expires_at": _when(item.get("expires_at"), deadline=True),
            "failed_attempts": item.get("failed_attempts", 0),
            "last_failure": last or "—",
            "used_at": _when(item.get("used_at")),
        })
    return rows


_STATUS_KEYS = {f"status_{s}" for s in
                ("active", "used", "expired", "superseded", "revoked", "invalidated")}


def _status_text(status: str) -> str:
    return text(f"status_{status}", g.lang) if f"status_{status}" in _STATUS_KEYS else status


def _account(person: dict | None) -> dict | None:
    """R12: the person's account as the counter states it before issuing."""
    if person is None:
        return {"status": "unknown", "text": text("account_unknown", g.lang)}
    status = str(person.get("account_status", "none"))
    since = _day(person.get("account_since"))
    if status == "open":
        return {"status": status, "text": text("account_open", g.lang, since=since)}
    if status == "closed":
        return {"status": status, "text": text("account_closed", g.lang, since=since)}
    return {"status": "none", "text": text("account_none", g.lang)}


def _issue_form(values: dict | None = None) -> Form:
    """The issue form with a fresh idempotency key, made when the form is rendered: one
    submission of this form, however often it is sent, issues at most one code."""
    form = Form(ISSUE, dict(values or {}), prefix="issue-")
    form.values["idempotency_key"] = secrets.token_urlsafe(24)
    return form


def _home(key: str, lookup: Form, issue: Form, status: int = 200):
    number = g.number
    rows = account = None
    if number:
        api, who = current().code_issuer, caller()
        try:
            rows = _rows(api.codes(who, key, number))
        except ApiFailure as failure:
            if failure.status == 401:
                return _signed_out_by_api()
            lookup.take_failure(failure, g.lang)
        if rows is not None:
            try:
                account = _account(api.job_seeker(who, key, number))
            except ApiFailure as failure:
                if failure.status == 401:
                    return _signed_out_by_api()
                account = _account(None)
        issue.values.setdefault("job_seeker_number", number)
    return render_template("counter/home.html", lookup=lookup, issue=issue, number=number,
                           rows=rows, account=account,
                           form=issue if issue.has_errors else lookup), status


@bp.get("")
@signed_in
def home(key: str):
    """Look up a job seeker; their codes, their account and the issue form."""
    return _home(key, Form(LOOKUP), _issue_form())


@bp.post("/lookup")
@signed_in
def lookup(key: str):
    """Remember the job seeker looked up (kept out of URLs and access logs)."""
    form = Form.read(LOOKUP, request.form, keep=LOOKUP)
    number = form.values["job_seeker_number"].strip()
    runtime = current()
    try:
        runtime.code_issuer.codes(caller(), key, number)
    except ApiFailure as failure:
        if failure.status == 401:
            return _signed_out_by_api()
        g.number = None
        runtime.counter_sessions.remember_number(g.ticket, None, runtime.clock.now())
        form.take_failure(failure, g.lang)
        return _home(key, form, _issue_form(), failure.status)
    runtime.counter_sessions.remember_number(g.ticket, number, runtime.clock.now())
    return redirect(url_for("counter.home"), code=303)


def _keep(name: str, value: dict | None) -> None:
    runtime = current()
    runtime.counter_sessions.keep(g.ticket, name, value, runtime.clock.now())


def _confirm_later(pending: dict):
    """Staff must confirm first: the issue waits beside the session (POST-redirect-GET)."""
    _keep("pending", pending)
    return redirect(url_for("counter.confirm"), code=303)


@bp.post("/issue")
@signed_in
def issue(key: str):
    """R1/R3: issue (or re-issue) a code, then show the slip on its own page (PRG).

    The form's idempotency key goes to code-issuer, so a resubmitted form (Back, reload)
    answers with the first issue again and issues nothing. A person with an open account
    (R12), or a birth date other than the one on record, needs staff's confirmation."""
    form = Form.read(ISSUE, request.form, keep=ISSUE)
    form.prefix = "issue-"
    number = form.values["job_seeker_number"].strip()
    birth_date = domain.normalise_birth_date(form.values["birth_date"])
    idempotency_key = str(request.form.get("idempotency_key", ""))[:100]
    account_confirmed = request.form.get("account_confirmed") == "yes"
    birth_date_confirmed = request.form.get("birth_date_confirmed") == "yes"
    if not idempotency_key:
        fresh = _issue_form(form.values)
        fresh.page_errors.append(text("issue_form_old", g.lang))
        return _home(key, Form(LOOKUP), fresh, 422)
    runtime = current()
    api, who = runtime.code_issuer, caller()
    pending = {"job_seeker_number": number, "birth_date": birth_date,
               "idempotency_key": idempotency_key, "account_confirmed": account_confirmed,
               "birth_date_confirmed": birth_date_confirmed}
    try:
        if not account_confirmed:
            person = _person_or_none(api, who, key, number)
            if person is not None and person.get("account_status") == "open":
                return _confirm_later({**pending, "account_since": person.get("account_since")})
        answer = api.issue(who, key, number, birth_date, idempotency_key=idempotency_key,
                           birth_date_confirmed=birth_date_confirmed)
    except ApiFailure as failure:
        if failure.status == 401:
            return _signed_out_by_api()
        if failure.code == "BIRTH_DATE_DIFFERS":
            return _confirm_later({**pending, "recorded_birth_date": failure.details.get(
                "recorded_birth_date", "")})
        if failure.code == "IDEMPOTENCY_KEY_REUSED":
            fresh = _issue_form(form.values)
            fresh.page_errors.append(text("issue_form_old", g.lang))
            return _home(key, Form(LOOKUP), fresh, failure.status)
        form.values["idempotency_key"] = idempotency_key
        form.take_failure(failure, g.lang)
        return _home(key, Form(LOOKUP), form, failure.status)
    _keep("pending", None)
    runtime.counter_sessions.remember_number(
        g.ticket, answer.get("job_seeker_number", number), runtime.clock.now())
    slip = {name: answer.get(name) for name in
            ("code_id", "job_seeker_number", "issued_at", "expires_at", "superseded", "status")}
    slip["birth_date"] = answer.get("birth_date") or birth_date
    if not answer.get("already_issued") and answer.get("code"):
        slip["code"] = answer["code"]  # shown once on the slip page, then forgotten
    held = runtime.counter_sessions.kept(g.ticket, "slip")
    if not (answer.get("already_issued") and held and held.get("code")
            and str(held.get("code_id")) == str(answer["code_id"])):
        # a double click's second answer must not drop the code the first has not shown yet
        _keep("slip", slip)
    return redirect(url_for("counter.slip", code_id=str(answer["code_id"])), code=303)


def _person_or_none(api, who, key: str, number: str) -> dict | None:
    """The person's account status; a malformed number is left for the issue to refuse."""
    try:
        return api.job_seeker(who, key, number)
    except ApiFailure as failure:
        if failure.status in (400, 404, 422):
            return None
        raise


@bp.get("/confirm")
@signed_in
def confirm(key: str):
    """The confirmation an issue waits for: the account's existence, or both birth dates."""
    pending = current().counter_sessions.kept(g.ticket, "pending")
    if pending is None:
        return redirect(url_for("counter.home"), code=303)
    account_since = _day(pending["account_since"]) if pending.get("account_since") else None
    recorded = pending.get("recorded_birth_date")
    return render_template(
        "counter/confirm.html", pending=pending, account_since=account_since,
        recorded_birth_date=_birth_date(recorded) if recorded else None,
        typed_birth_date=_birth_date(pending.get("birth_date")),
        account_confirmed=bool(pending.get("account_confirmed") or account_since),
        birth_date_confirmed=bool(pending.get("birth_date_confirmed") or recorded))


@bp.get("/slip/<code_id>")
@signed_in
def slip(key: str, code_id: str):
    """The slip of the code just issued, with its plain code once; after that (reload,
    Back, a resubmitted form) the already-issued page, whose reprint shows no code."""
    runtime = current()
    held = runtime.counter_sessions.kept(g.ticket, "slip")
    if held is None or str(held.get("code_id")) != code_id:
        return redirect(url_for("counter.home"), code=303)
    zone = runtime.zone
    expires_at = domain.parse_instant(str(held.get("expires_at", "")))
    facts = {
        "code_id": code_id, "number": held.get("job_seeker_number"),
        "birth_date": _birth_date(held.get("birth_date")),
        "issued_at": _when(held.get("issued_at")),
        "valid_until": domain.local_time(domain.last_valid_moment(expires_at, zone), zone,
                                         g.lang, seconds=True) if expires_at else "",
        "superseded": len(held.get("superseded") or []),
    }
    code = held.pop("code", None)
    if code:
        _keep("slip", held)  # the plain code leaves the session as it is shown
        return render_template("counter/slip.html", code=domain.code_in_groups(code), **facts)
    return render_template("counter/already_issued.html",
                           status_text=_status_text(str(held.get("status") or "active")), **facts)

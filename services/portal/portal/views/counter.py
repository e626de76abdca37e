"""The counter's screens: sign in with the office key, look up, issue, print the slip."""

from __future__ import annotations

import logging
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


def _rows(codes) -> list[dict]:
    """The codes as the table shows them: newest first, times in the office zone."""
    items = codes.get("codes", []) if isinstance(codes, dict) else list(codes or [])
    zone = current().zone

    def when(value, deadline: bool = False) -> str:
        at = domain.parse_instant(str(value or ""))
        if at and deadline:
            at = domain.last_valid_moment(at, zone)
        return domain.local_time(at, zone, g.lang, seconds=True) if at else "—"

    rows = []
    for item in sorted(items, key=lambda c: str(c.get("issued_at", "")), reverse=True):
        status = str(item.get("status", ""))
        rows.append({
            "code_id": str(item.get("code_id", "")),
            "status": status,
            "status_text": text(f"status_{status}", g.lang) if f"status_{status}" in
            _STATUS_KEYS else status,
            "issued_at": when(item.get("issued_at")),
            "expires_at": when(item.get("expires_at"), deadline=True),
            "failed_attempts": item.get("failed_attempts", 0),
            "used_at": when(item.get("used_at")),
        })
    return rows


_STATUS_KEYS = {f"status_{s}" for s in
                ("active", "used", "expired", "superseded", "revoked", "invalidated")}


def _home(key: str, lookup: Form, issue: Form, status: int = 200):
    number = g.number
    rows = None
    if number:
        try:
            rows = _rows(current().code_issuer.codes(caller(), key, number))
        except ApiFailure as failure:
            if failure.status == 401:
                return _signed_out_by_api()
            lookup.take_failure(failure, g.lang)
        issue.values.setdefault("job_seeker_number", number)
    return render_template("counter/home.html", lookup=lookup, issue=issue, number=number,
                           rows=rows, form=issue if issue.has_errors else lookup), status


@bp.get("")
@signed_in
def home(key: str):
    """Look up a job seeker; their codes and the issue form."""
    return _home(key, Form(LOOKUP), Form(ISSUE, prefix="issue-"))


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
        return _home(key, form, Form(ISSUE, prefix="issue-"), failure.status)
    runtime.counter_sessions.remember_number(g.ticket, number, runtime.clock.now())
    return redirect(url_for("counter.home"), code=303)


@bp.post("/issue")
@signed_in
def issue(key: str):
    """R1/R3: issue (or re-issue) a code and show the printable slip, only once."""
    form = Form.read(ISSUE, request.form, keep=ISSUE)
    form.prefix = "issue-"
    number = form.values["job_seeker_number"].strip()
    birth_date = domain.normalise_birth_date(form.values["birth_date"])
    runtime = current()
    try:
        answer = runtime.code_issuer.issue(caller(), key, number, birth_date)
    except ApiFailure as failure:
        if failure.status == 401:
            return _signed_out_by_api()
        form.take_failure(failure, g.lang)
        return _home(key, Form(LOOKUP), form, failure.status)
    runtime.counter_sessions.remember_number(
        g.ticket, answer.get("job_seeker_number", number), runtime.clock.now())
    expires_at = domain.parse_instant(str(answer.get("expires_at", "")))
    return render_template(
        "counter/slip.html",
        code=domain.code_in_groups(answer["code"]),
        number=answer.get("job_seeker_number", number),
        valid_until=domain.local_time(domain.last_valid_moment(expires_at, runtime.zone),
                                      runtime.zone, g.lang, seconds=True) if expires_at else "",
        superseded=len(answer.get("superseded") or []),
    ), 201

"""My Page beyond its top: change the password (R16) and the email (R17), the open
sessions (R19) and withdrawal (R18), with the My Page session the login put in the cookie:
one blueprint, a module per area.

Every POST answers with a redirect (POST-redirect-GET): a refused form waits in the session
(`_stash`: what was typed, never a password or a key) for the GET that follows, so Back and
reload never offer to resend a form. The email change's token lives only in the session.
"""

from __future__ import annotations

import hashlib

from flask import Blueprint, g, redirect, request, session, url_for

from portal import domain
from portal.apis import ApiFailure
from portal.forms import Form
from portal.messages import MESSAGES, text
from portal.runtime import caller, current

bp = Blueprint("mypage", __name__, url_prefix="/mypage")

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


# The screens register their routes on `bp` when imported.
from portal.views.mypage import email, password, sessions, withdrawal  # noqa: E402, F401

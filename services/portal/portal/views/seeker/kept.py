"""What the job seeker's screens share: the forms' fields, POST-redirect-GET's kept form,
and the one-action page of an application or reset that is over."""

from __future__ import annotations

from flask import current_app, g, redirect, render_template, session

from portal import domain
from portal.apis import ApiFailure
from portal.forms import Form, seal, unseal
from portal.messages import text
from portal.runtime import current

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


def stash(screen: str, form: Form, status: int, target: str):
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


def unstash(screen: str, names: tuple[str, ...], default: Form | None = None) -> tuple[Form, int]:
    """The form kept for `screen` (once: a reload shows it fresh) and its status; any other
    screen's leftover is dropped."""
    kept = session.pop("stash", None)
    if isinstance(kept, dict) and kept.get("screen") == screen:
        data = unseal(str(kept.get("sealed", "")), current_app.secret_key)
        if data and isinstance(data.get("form"), dict):
            status = data.get("status")
            return Form.from_dict(names, data["form"]), status if isinstance(status, int) else 200
    return default or Form(names), 200


def failure_status(failure: ApiFailure) -> int:
    return failure.status if 400 <= failure.status < 600 else 502


def keep_new_passwords(form: Form, source) -> None:
    """Issue 17: after a wrong key the new password and its confirmation stay typed; after
    an error about either of them, both are typed again."""
    if not any(name in form.errors for name in NEW_PASSWORDS):
        form.values.update({name: str(source.get(name, ""))[:200] for name in NEW_PASSWORDS})


def ended_state(held: dict | None) -> str | None:
    """"expired" or "void" for an application or reset the session holds that has ended
    (registration said so, or its deadline has passed on the portal's clock), else None."""
    if not held:
        return "void"
    state = held.get("state")
    if state is None:
        expires_at = domain.parse_instant(held.get("expires_at", ""))
        if expires_at and domain.seconds_left(expires_at, current().clock.now()) == 0:
            state = "expired"
    return state if state in ("expired", "void") else None


def start_again(title: str, body: str, action_url: str, action: str, status: int = 200):
    """One clear message and one action (R14: the only way on is to start again)."""
    return render_template("seeker/start_again.html", title=title, body=body,
                           action_url=action_url, action=action), status


def when(at: str | None) -> str:
    """13時05分 / 13:05 of an instant the session keeps, or ''."""
    instant = domain.parse_instant(at or "")
    return domain.clock_time(instant, current().zone, g.lang) if instant else ""


def now_iso() -> str:
    return current().clock.now().isoformat()

"""Change the password (R16)."""

from __future__ import annotations

from flask import g, redirect, render_template, url_for

from portal.apis import ApiFailure
from portal.forms import Form
from portal.messages import text
from portal.runtime import current
from portal.views.mypage import _call, _done, _done_facts, _place, _read, _stash, _status, _unstash, bp

PASSWORD = ("current_password", "password", "password_confirmation")


@bp.get("/password")
def password():
    """パスワードの変更: current password, new password and its confirmation."""
    form, status = _unstash("password", PASSWORD)
    return render_template("mypage/password.html", form=form), status


@bp.post("/password")
def change_password():
    form = Form(PASSWORD)  # all three are passwords: none is typed back
    try:
        _call(current().registration.change_password, _read(PASSWORD))
    except ApiFailure as failure:
        _place(form, failure)
        return _stash("password", form, _status(failure), url_for("mypage.password"))
    return _done("password")


@bp.get("/password/done")
def password_done():
    if not _done_facts("password"):
        return redirect(url_for("seeker.mypage"), code=303)
    return render_template("mypage/done.html", title=text("my_password_done_title", g.lang),
                           body=text("my_password_done_body", g.lang))

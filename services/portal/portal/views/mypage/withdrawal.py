"""Withdrawal (R18): close the account with the current password."""

from __future__ import annotations

from flask import g, redirect, render_template, session, url_for

from portal.apis import ApiFailure
from portal.forms import Form
from portal.messages import text
from portal.runtime import current
from portal.views.mypage import _call, _done, _done_facts, _place, _read, _stash, _status, _unstash, bp

WITHDRAWAL = ("current_password",)


@bp.get("/withdrawal")
def withdrawal():
    """退会: what closing the account means, and the current password to confirm."""
    form, status = _unstash("withdrawal", WITHDRAWAL)
    return render_template("mypage/withdrawal.html", form=form), status


@bp.post("/withdrawal")
def withdraw():
    form = Form(WITHDRAWAL)
    try:
        _call(current().registration.withdraw, _read(WITHDRAWAL)["current_password"])
    except ApiFailure as failure:
        _place(form, failure)
        return _stash("withdrawal", form, _status(failure), url_for("mypage.withdrawal"))
    for name in ("my", "my_change", "my_notice"):
        session.pop(name, None)
    return _done("withdrawal")


@bp.get("/withdrawal/done")
def withdrawal_done():
    """「退会しました」: the account is closed and the session with it."""
    if not _done_facts("withdrawal"):
        return redirect(url_for("seeker.index"), code=303)
    return render_template("mypage/done.html", title=text("my_withdrawal_done_title", g.lang),
                           body=text("my_withdrawal_done_body", g.lang), closed=True)

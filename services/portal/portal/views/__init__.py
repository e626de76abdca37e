"""The portal's screens: one blueprint per area (the job seeker's, the counter's, operations),
and what every page shares: its texts in the person's language and the error pages."""

from __future__ import annotations

from flask import Flask, g, render_template
from werkzeug.exceptions import HTTPException

from portal import security
from portal.messages import text
from portal.views import counter, mypage, ops, seeker


def t(key: str, **values: object) -> str:
    """A screen text in this request's language (the templates' `t`)."""
    return text(key, g.get("lang", "ja"), **values)


def register(app: Flask, *, development: bool) -> None:
    """The blueprints, the templates' helpers and the HTML error pages."""
    app.jinja_env.globals.update(t=t, csrf_token=security.csrf_token)

    @app.context_processor
    def _template_values():
        return {"lang": g.get("lang", "ja"), "development": development}

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):
        status = error.code or 500
        if status == 400 and error.description == "csrf":
            title, body = t("csrf_title"), t("csrf_body")
        elif status == 404:
            title, body = t("not_found_title"), ""
        else:
            title, body = t("error_title"), ""
        return render_template("message.html", title=title, body=body), status

    app.register_blueprint(seeker.bp)
    app.register_blueprint(mypage.bp)
    app.register_blueprint(counter.bp)
    app.register_blueprint(ops.bp)

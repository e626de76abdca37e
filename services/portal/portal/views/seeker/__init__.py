"""The job seeker's screens, page by page as the manual shows them, My Page, and R15's
forgotten password: one blueprint, a module per area.

Every POST answers with a redirect (POST-redirect-GET): a refused form is kept, sealed, in
the session (`kept.stash`) and shown again by the GET that follows, so the browser's Back and
reload never offer to resend a form (issue 17).
"""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("seeker", __name__)

# The screens register their routes on `bp` when imported.
from portal.views.seeker import account, registration, reset  # noqa: E402, F401

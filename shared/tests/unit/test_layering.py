"""The house's arrows, checked: settings and contracts load without the web or task
frameworks, so a consumer, a relay or a test reads them without Flask or Celery."""

from __future__ import annotations

import subprocess
import sys

import pytest

FRAMEWORK_FREE = [
    "shared.config",
    "shared.contracts",
    "code_issuer.config",
    "registration.config",
    "notifier.config",
    "portal.config",
    "devtools.settings",
]


@pytest.mark.parametrize("module", FRAMEWORK_FREE)
def test_module_loads_without_flask_or_celery(module):
    probe = (
        f"import sys, {module}; "
        "print(','.join(sorted(m for m in ('flask', 'celery') if m in sys.modules)))"
    )
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            check=True).stdout.strip()
    assert loaded == "", f"{module} imports {loaded}"

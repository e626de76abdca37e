"""`office`, the office tool, is the console script code_issuer.office:run."""

import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

from code_issuer import office


def test_the_office_console_script_runs_the_office_tool():
    (script,) = entry_points(group="console_scripts", name="office")
    assert script.value == "code_issuer.office:run"
    assert script.load() is office.run


def test_the_installed_office_command_answers():
    installed = Path(sys.executable).parent / "office"
    result = subprocess.run([str(installed), "--help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "issue" in result.stdout and "event" in result.stdout

"""CPU from /proc: a process that ended between two snapshots still counts, in the CPU of
the parent that reaped it (as pgbench's PostgreSQL backends do in the postmaster's)."""

import os
import subprocess
import sys

from bench.cpu import _stat


def test_the_cpu_of_an_ended_child_counts_in_its_parent():
    before = _stat(str(os.getpid()))[2]
    subprocess.run([sys.executable, "-c",
                    "import time\nend = time.process_time() + 0.5\n"
                    "while time.process_time() < end: pass"], check=True)
    after = _stat(str(os.getpid()))[2]
    assert after - before >= 0.4  # the child's half second, beside this process's own

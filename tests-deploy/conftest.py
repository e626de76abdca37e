"""tests-deploy: the deployment files checked as text (make test), and run for real under
podman (tests-deploy/containers/, make test-deploy)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

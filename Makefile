# Every target installs what it needs first (scripts/bootstrap is idempotent and quick).
VENV := .venv
PY := $(VENV)/bin/python
PYTEST := $(VENV)/bin/pytest

.PHONY: venv up check test test-unit test-integration test-e2e test-deploy test-ops lint bench chaos migrate clean

venv:
	@scripts/bootstrap

up: venv
	@scripts/up

migrate: venv
	@for s in code_issuer registration notifier; do $(PY) -m $$s migrate || exit 1; done

test: venv
	@scripts/test

test-unit: venv
	@$(PYTEST) -q -m "not integration" shared/tests/unit services/*/tests/unit devtools/tests/unit

test-integration: venv
	@$(PYTEST) -q shared/tests/integration services/*/tests/integration devtools/tests/integration

test-e2e: venv
	@$(PYTEST) -q tests-e2e

# Alerts as code: deploy/prometheus (config, rules) through Debian's promtool (installed by
# scripts/ensure-prometheus where missing), its runbooks and metric catalog; no servers.
test-ops: venv
	@scripts/ensure-prometheus
	@$(PYTEST) -q tests-ops

# The image, docker-compose.yml and every Kubernetes container run for real under podman
# (installed by scripts/ensure-podman when missing); about 2 minutes with cached layers.
test-deploy: venv
	@scripts/test-deploy

lint: venv
	@$(VENV)/bin/ruff check .

bench: venv
	@$(PY) -m bench.run

# Faults, races and replays against every process (docs/RELIABILITY.md). It stops and
# restarts this machine's own RabbitMQ, PostgreSQL and Redis, and puts each back.
chaos: venv
	@CHAOS_REAL_SERVERS=1 $(PYTEST) -q tests-chaos

# Every test but the deployment's: .ci/run runs this, then make test-deploy.
check: test chaos

clean:
	rm -rf $(VENV) var

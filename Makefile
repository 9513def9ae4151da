# antrean: `make run` starts everything on the embedded default; `make test` checks everything.
# Both set up what they need first: the Python environment (uv) and system packages (apt).

SHELL := /bin/bash
UV ?= $(shell command -v uv 2>/dev/null || echo $(HOME)/.local/bin/uv)
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run run-cluster test setup lint messages bench-replay bench-wait bench-estimate bench-fanout bench-audio bench-sound bench-report bench-login bench-metrics

run: .venv/.synced
	@scripts/ensure-system run
	$(UV) run antrean run --host $(HOST) --port $(PORT)

# The way a city runs it, without docker: redis-server, two antrean processes, nginx in
# front on http://localhost:8080 and https://localhost:8443. Ctrl-C stops all of it.
run-cluster: .venv/.synced
	@scripts/ensure-system cluster
	$(UV) run antrean cluster

# One worker per core (pytest-xdist): most tests wait on servers, browsers and
# sockets, so the run takes about 16 minutes here instead of 26.
test: .venv/.synced lint
	@scripts/ensure-system test
	$(UV) run pytest -n auto

lint: .venv/.synced
	$(UV) run ruff check .
	$(UV) run ruff format --check .
	$(UV) run mypy --strict server displays counters visitors managers audio tests bench

# Re-extract every sentence (babel.cfg) into locale/messages.pot and update each language's
# .po from it: new sentences arrive untranslated (or fuzzy, from a similar one), sentences no
# source says any more are dropped. Then write their English and run tests/server/test_messages.py.
messages: .venv/.synced
	$(UV) run pybabel -q extract -F babel.cfg --no-default-keywords -k N_ --add-location=file \
		--sort-by-file --project=antrean --copyright-holder="antrean contributors" \
		-o locale/messages.pot .
	$(UV) run pybabel -q update -i locale/messages.pot -d locale -D messages --ignore-obsolete

setup: .venv/.synced
	@scripts/ensure-system test

bench-replay: .venv/.synced
	$(UV) run python -m bench.replay

bench-wait: .venv/.synced
	$(UV) run python -m bench.wait_estimate

bench-estimate: .venv/.synced
	$(UV) run python -m bench.estimate

bench-report: .venv/.synced
	$(UV) run python -m bench.report_month

# `make bench-fanout FANOUT_PREVIOUS=7cfd013` also measures the hub before issue 16 (a
# task and a queue per screen), or any earlier revision, beside today's.
FANOUT_PREVIOUS ?=
bench-fanout: .venv/.synced
	@scripts/ensure-system run
	$(UV) run python -m bench.fanout $(if $(FANOUT_PREVIOUS),--previous $(FANOUT_PREVIOUS))

bench-audio: .venv/.synced
	@scripts/ensure-system run
	$(UV) run python -m bench.audio_call

bench-sound: .venv/.synced
	@scripts/ensure-system run
	$(UV) run python -m bench.first_sound

bench-login: .venv/.synced
	@scripts/ensure-system run
	$(UV) run python -m bench.login

bench-metrics: .venv/.synced
	$(UV) run python -m bench.metrics_scrape

# The environment is rebuilt whenever the lock file changes.
.venv/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --locked
	@touch $@

$(UV):
	@echo "antrean: installing uv (the Python package manager) from PyPI"
	python3 -m pip install --quiet --user uv || python3 -m pip install --quiet --break-system-packages --user uv

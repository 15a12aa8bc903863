# Everything runs inside .venv, created on first use, so a fresh clone needs only
# Python >= 3.10 and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup demo test lint typecheck bench fuzz analysis clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: setup
	$(BIN)/ivr lint menus/ || true
	@for f in menus/bank.yaml menus/telecom.yaml menus/telecom_ja.yaml; do echo; echo "== ivr paths $$f"; $(BIN)/ivr paths $$f; done
	@echo; echo "== ivr lint menus/telecom_ja.yaml (Japanese prompts timed in morae)"; $(BIN)/ivr lint menus/telecom_ja.yaml || true
	@echo; echo "== ivr test journeys/telecom_ja.yaml"; $(BIN)/ivr test journeys/telecom_ja.yaml
	@for f in menus/bank.yaml menus/clinic.yaml; do echo; echo "== ivr simulate $$f"; $(BIN)/ivr simulate $$f; done
	@echo; echo "== ivr simulate --check menus/utility.yaml (simulated vs exact)"
	$(BIN)/ivr simulate --check menus/utility.yaml
	@echo; echo "== ivr test journeys/bank.yaml (key sequences and what they must reach)"; $(BIN)/ivr test journeys/bank.yaml
	@echo; echo "== ivr compare menus/bank.yaml analysis/bank-redesign/bank_redesign.yaml (same callers, paired)"
	$(BIN)/ivr compare menus/bank.yaml analysis/bank-redesign/bank_redesign.yaml --fail-if "abandoned_rate > 0"
	@echo; echo "== ivr audit --policy gethuman --policy spain-2025 menus/bank.yaml"
	$(BIN)/ivr audit --policy gethuman --policy spain-2025 menus/bank.yaml || true
	@echo; echo "== ivr staff menus/bank.yaml --policy fcc-cable (agents needed, hour by hour)"
	$(BIN)/ivr staff menus/bank.yaml --policy fcc-cable
	@echo; echo "== ivr sweep menus/bank.yaml (abandonment over service agents x calls per hour)"
	$(BIN)/ivr sweep menus/bank.yaml --vary staff.service_agent.agents=14..22:4 --vary callers.calls_per_hour=400,800 --format text
	@echo; echo "== ivr report menus/bank.yaml analysis/bank-redesign/bank_redesign.yaml -o demo-report.html"
	$(BIN)/ivr report menus/bank.yaml analysis/bank-redesign/bank_redesign.yaml -o demo-report.html

test: setup
	$(BIN)/ruff check ivr tests
	$(BIN)/mypy
	$(BIN)/python -m pytest

bench: setup
	$(BIN)/python benchmarks/bench_startup.py --write BENCHMARKS.md
	$(BIN)/python benchmarks/bench.py --write BENCHMARKS.md
	OPENBLAS_NUM_THREADS=1 $(BIN)/python benchmarks/bench_sim.py --write BENCHMARKS.md
	$(BIN)/python benchmarks/bench_limits.py --write BENCHMARKS.md
	OPENBLAS_NUM_THREADS=1 $(BIN)/python benchmarks/bench_sweep.py --write BENCHMARKS.md

# The fuzz suite (tests/fuzz) for FUZZ_MINUTES (default 30), in rounds with fresh seeds;
# `make test` runs the same tests with a few inputs each.
FUZZ_MINUTES ?= 30
fuzz: setup
	$(BIN)/python tests/fuzz/run.py --minutes $(FUZZ_MINUTES)

# The studies in analysis/: each run.py rewrites its REPORT.md (same seed, same numbers).
analysis: setup
	$(BIN)/python analysis/bank-redesign/run.py
	$(BIN)/python analysis/zero-out/run.py
	$(BIN)/python analysis/broad-vs-deep/run.py
	$(BIN)/python analysis/audit/run.py
	$(BIN)/python analysis/languages/run.py
	$(BIN)/python analysis/staffing/run.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache .hypothesis
	find . -name __pycache__ -type d -prune -exec rm -rf {} +

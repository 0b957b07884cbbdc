# One command each; see README.md. Run `make setup` first (or the README's set-up commands).
PY := .venv/bin/python

.PHONY: setup assess test lint format typecheck docs bench bench-memory fuzz mutate codes codes-check ci

setup:
	python3 -m venv .venv && .venv/bin/pip install -q -r requirements-dev.txt

assess:
	.venv/bin/herniarules assess examples/patients/*.json

test:
	$(PY) -m pytest -q

lint:
	.venv/bin/ruff check src plugins tests examples benchmarks
	.venv/bin/ruff format --check src plugins tests examples benchmarks

format:
	.venv/bin/ruff format src plugins tests examples benchmarks
	.venv/bin/ruff check --fix src plugins tests examples benchmarks

typecheck:
	.venv/bin/mypy

docs:
	$(PY) -m sphinx -W --keep-going -b html docs docs/_build/html

bench:
	$(PY) benchmarks/run.py

bench-memory:
	$(PY) benchmarks/memory.py

fuzz:
	$(PY) fuzz/run_long.py --minutes 30

mutate:
	bash mutation/run.sh

codes:
	$(PY) -m herniarules.terminology.expand

codes-check:
	$(PY) -m herniarules.terminology.expand --check

ci:
	bash .ci/run

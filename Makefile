# One command each; see README.md. Run `make setup` first (or the README's set-up commands).
PY := .venv/bin/python

.PHONY: setup assess test lint format typecheck docs docs-ru docs-gettext bench bench-memory fuzz mutate codes codes-check ci messages compile-messages

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

# The site in Russian, from the sphinx-intl catalogues in docs/locale/ru (in git), into
# docs/_build/html/ru: each page links to itself in the English build one level up.
docs-ru:
	$(PY) -m sphinx -W --keep-going -b html -D language=ru docs docs/_build/html/ru

# Extract the pages' texts and merge them into docs/locale/ru/LC_MESSAGES/*.po.
docs-gettext:
	$(PY) -m sphinx -q -b gettext docs docs/_build/gettext
	.venv/bin/sphinx-intl update -p docs/_build/gettext -d docs/locale -l ru -w 100

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

# Translations (gettext, managed with Babel): `make messages` extracts every N_()-marked string
# of the SDK and of each plugin that ships a catalogue into its .pot and merges it into the
# en and ru .po files, which are kept in git; `make compile-messages` builds the .mo files
# (the wheel build does it too; they are not committed).
CATALOGUES := src/herniarules:herniarules \
  $(foreach p,classic honey vacuum acupressure segmental hydromassage,plugins/$(p)/src/herniarules_$(p):herniarules_$(p)) \
  examples/kinesio/src/herniarules_kinesio:herniarules_kinesio

messages:
	@for entry in $(CATALOGUES); do \
	  dir=$${entry%%:*}; domain=$${entry##*:}; \
	  .venv/bin/pybabel extract -F babel.cfg -k N_ -k C_:1c,2 -k ngettext:1,2 --no-location --sort-output \
	    --project herniarules --copyright-holder "herniarules developers" \
	    -o $$dir/locale/$$domain.pot $$dir && \
	  .venv/bin/pybabel update -D $$domain -i $$dir/locale/$$domain.pot -d $$dir/locale \
	    --width 100 --ignore-obsolete || exit 1; \
	done

compile-messages:
	@for entry in $(CATALOGUES); do \
	  dir=$${entry%%:*}; domain=$${entry##*:}; \
	  .venv/bin/pybabel compile -D $$domain -d $$dir/locale --statistics || exit 1; \
	done

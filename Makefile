# Kassa: `make demo` runs the demo shop, `make test` runs every test. Both install what they need.
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
PYBABEL := $(VENV)/bin/pybabel
STAMP := $(VENV)/.kassa-installed
LOCALES := fi sv nb
CATALOGS := $(foreach l,$(LOCALES),translations/$(l)/LC_MESSAGES/kassa.mo)
# The demo shop's own catalog (domain `demo`), apart from Kassa's as a real shop keeps its own.
DEMO_CATALOGS := $(foreach l,$(LOCALES),demo_shop/translations/$(l)/LC_MESSAGES/demo.mo)
DEMO_PORT ?= 5000
# axe-core for the browser tests' accessibility checks: from npm (pinned in package-lock.json)
# into the git-ignored node_modules/, never from the web at run time.
AXE := node_modules/axe-core/axe.min.js

.PHONY: demo demo-remind demo-statement test bench install translations translations-extract translations-update docs \
        lint wheel-smoke clean

$(PY):
	python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip setuptools wheel

$(STAMP): $(PY) setup.cfg pyproject.toml
	$(PIP) install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) translations

translations/%/LC_MESSAGES/kassa.mo: translations/%/LC_MESSAGES/kassa.po $(STAMP)
	$(PYBABEL) compile -d translations -D kassa -l $*

demo_shop/translations/%/LC_MESSAGES/demo.mo: demo_shop/translations/%/LC_MESSAGES/demo.po $(STAMP)
	$(PYBABEL) compile -d demo_shop/translations -D demo -l $*

translations: $(CATALOGS) $(DEMO_CATALOGS)

translations-extract: $(STAMP)
	$(PYBABEL) extract -F translations/babel.cfg -k lazy_gettext -k _l \
	  --project=kassa --no-location --sort-output -o translations/kassa.pot .
	$(PYBABEL) extract -F demo_shop/babel.cfg \
	  --project=kassa-demo --no-location --sort-output -o demo_shop/translations/demo.pot .

translations-update: translations-extract
	$(PYBABEL) update -i translations/kassa.pot -d translations -D kassa --no-fuzzy-matching
	$(PYBABEL) update -i demo_shop/translations/demo.pot -d demo_shop/translations -D demo \
	  --no-fuzzy-matching

demo: install
	$(PY) -m demo_shop.run --port $(DEMO_PORT)

$(AXE): package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $(AXE)

test: install $(AXE)
	$(PY) -m pytest

bench: install
	$(PY) bench/run.py

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

docs: $(STAMP)
	$(PY) -c "from kassa.config import render_docs; print(render_docs(), end='')" > docs/configuration.md

wheel-smoke: install
	$(PY) -m pytest tests/test_wheel.py

clean:
	rm -rf build dist *.egg-info $(CATALOGS) $(DEMO_CATALOGS)

demo-remind: install
	$(PY) -m demo_shop.run --port $(DEMO_PORT) remind $(if $(DAYS),--days $(DAYS),--until $(or $(STEP),friendly))

demo-statement: install
	$(PY) -m demo_shop.run --port $(DEMO_PORT) statement

# The two commands of the README: `make demo` (the main job on the embedded default) and `make test`.
# Both create .venv themselves.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install assets demo test lint format bench reliability clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev,bench]'
	# The typo checker's caches (word index, shapes, corpus n-grams; about 3 s), so a first check starts fast.
	-$(BIN)/python -c "from govinspect.text.typo import find_typos; find_typos('二登奖')"
	touch $(STAMP)

install: $(STAMP)

# The dashboard's htmx and ECharts: npm ci (package-lock.json) and a copy into web/static/vendor (git-ignored).
ASSETS := src/govinspect/web/static/vendor/.built
$(ASSETS): package.json package-lock.json src/govinspect/web/assets.py
	$(PYTHON) src/govinspect/web/assets.py

assets: $(ASSETS)

demo: $(STAMP) $(ASSETS)
	$(BIN)/govinspect demo

# pytest on two workers (pytest-xdist), each taking whole files so a module's fixtures are built once; the
# Celery tests take a Redis database per worker (tests/test_celery.py).
test: $(STAMP) $(ASSETS)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/pytest -n 2 --dist loadfile

lint: $(STAMP)
	$(BIN)/ruff check src tests bench

format: $(STAMP)
	$(BIN)/ruff check --fix src tests bench
	$(BIN)/ruff format src tests bench

bench: $(STAMP)
	$(BIN)/python bench/farm_serve.py

# Re-run the reliability and security tests and rewrite the table of docs/RELIABILITY.md.
reliability: $(STAMP)
	$(BIN)/python -m bench.reliability

clean:
	rm -rf $(VENV) govinspect-data .pytest_cache .ruff_cache node_modules src/govinspect/web/static/vendor

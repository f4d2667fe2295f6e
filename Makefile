# One-command set-up: `make run` serves the app, `make test` runs every test (`make test-fast`: the quick tier).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
ACCURACY_STAMP := $(VENV)/.installed-accuracy
LINT_STAMP := $(VENV)/.installed-lint
PORT   ?= 8501

.PHONY: run test test-fast lint format bench accuracy demo lock browser clean i18n loadtest

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/streamlit run app.py --server.port $(PORT)

# The browser tests need Debian's chromium; `browser` installs it when we may (root).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium is missing: sudo apt-get install chromium (browser tests will be skipped)"; fi; }

test: $(STAMP) browser
	$(BIN)/python -m pytest

# Unit and page tests without full-pipeline runs (tests marked slow): a few minutes, for every edit.
test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not browser and not slow"

# ruff (lint and format check) and mypy on the code; CI runs it before the tests.
$(LINT_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test,lint]'
	touch $(LINT_STAMP)

lint: $(LINT_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# Rewrites files: the formatting `make lint` checks, and ruff's safe fixes.
format: $(LINT_STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Brings the translation catalogs in step with the code (new strings added untranslated, gone ones
# dropped); `python -m core.i18n check` lists what is still missing.
i18n: $(STAMP)
	$(BIN)/python -m core.i18n update

bench: $(STAMP)
	$(BIN)/python -m tests.bench
	$(BIN)/python -m tests.bench_featurestore
	$(BIN)/python -m tests.bench_models

# 40 students clicking through the demo project at once on a fresh server: p50/p95/max and errors
# per page, JSON in loadtest.json (a few minutes). Options: make loadtest LOADTEST_ARGS="--sessions 10".
loadtest: $(STAMP)
	$(BIN)/python -m tests.load $(LOADTEST_ARGS)

# The accuracy suite's extra (statsmodels, for its public tables): not needed by `make test`.
$(ACCURACY_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test,accuracy]'
	touch $(ACCURACY_STAMP)

# The CLI's best model vs a default HistGradientBoosting on public tables; not part of `make test`.
accuracy: $(ACCURACY_STAMP)
	$(BIN)/python -m tests.accuracy

demo: $(STAMP)
	$(BIN)/mlops-studio demo

# Re-pin after changing dependencies in pyproject.toml (extras included, so their pins stay).
lock: $(STAMP) $(ACCURACY_STAMP) $(LINT_STAMP)
	{ echo '# Exact versions installed by `make` (pip -c). Regenerate: make lock'; \
	  $(BIN)/python -m pip freeze --exclude-editable; } > constraints.txt

clean:
	rm -rf $(VENV) workspace .pytest_cache

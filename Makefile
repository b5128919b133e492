# Convenience targets; the README's two commands work without make.
PY ?= python3

run:
	$(PY) -m pip install -e . && $(PY) -m streamlit run app.py

test:
	$(PY) -m pip install -e '.[test]' && $(PY) -m pytest

lint:
	ruff check . && lint-imports

.PHONY: run test lint

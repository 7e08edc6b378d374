# The two commands of the quick start:  make run  and  make test
PYTHON ?= python3
VENV ?= .venv
PORT ?= 8000
BIN := $(VENV)/bin

.PHONY: run setup test lint explorer

## Set up everything (virtualenv, packages, database, demo catalogue) and serve the shop.
run: setup
	$(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

## Install, migrate, import the demo catalogue, embed its photos and build the index (safe to run again).
setup: $(VENV)/.installed
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py import_catalog data/demo-catalogue
	$(BIN)/python manage.py embed_catalog
	$(BIN)/python manage.py build_index

## The explorer for staff: Streamlit on http://127.0.0.1:8501, no login (the shop's database and index).
explorer: setup
	$(BIN)/streamlit run explorer/app.py

## Run the whole test suite.
test: $(VENV)/.installed
	$(BIN)/python -m pytest

## Lint, check the formatting and the apps' import contracts (pyproject.toml); CI runs it too.
lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

$(VENV)/.installed: requirements.txt requirements-dev.txt requirements-explorer.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

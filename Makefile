# onemap: `make demo` and `make test` set up everything they need on a fresh Debian 12
# machine (as root or as a sudo-capable user) and are safe to run again.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
OGCTESTS_VENV := .venv-ogctests
SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)
# What the service needs: PostgreSQL with PostGIS and pgRouting, a CJK font for pages
# and reports. Node/npm (Leaflet from the npm registry) are checked for separately.
APT_PACKAGES := postgresql-15 postgresql-15-postgis-3 postgresql-15-pgrouting \
	fonts-wqy-microhei ca-certificates
# What the tests add: real clients of the APIs — GDAL's ogr2ogr, QGIS's OAPIF provider
# (PyQGIS) and Chromium for the pages.
APT_TEST_PACKAGES := gdal-bin python3-qgis qgis-providers chromium
# What the benchmark suite adds: wrk, the load generator (pgbench comes with postgresql-15).
APT_BENCH_PACKAGES := wrk
TIPG_VENV := .venv-tipg
BENCH_ARGS ?=
HOST ?= 127.0.0.1
PORT ?= 8000
SCALE ?= district
SEED ?= 2024

.PHONY: help setup runtime-setup system-packages test-packages bench-packages apt-install python-env ogctests-env tipg-env web-assets db demo serve notebook test lint format bench clean

help:
	@echo "make demo   set up, load the demo district, serve http://$(HOST):$(PORT)"
	@echo "make test   set up and run the whole suite (lint, types, tests)"
	@echo "make setup  install everything, start nothing"
	@echo "make notebook  JupyterLab on notebooks/, against the local cluster (after make demo)"
	@echo "make bench  the benchmark suite, one table (BENCH_ARGS=\"--only features,points --scales district,city\")"

setup: runtime-setup test-packages ogctests-env
runtime-setup: system-packages python-env web-assets

system-packages:
	@$(MAKE) --no-print-directory apt-install PACKAGES="$(APT_PACKAGES)"
test-packages:
	@$(MAKE) --no-print-directory apt-install PACKAGES="$(APT_TEST_PACKAGES)"

apt-install:
	@missing=""; \
	for package in $(PACKAGES); do \
	  dpkg-query -W -f='$${Status}' "$$package" 2>/dev/null | grep -q "ok installed" || missing="$$missing $$package"; \
	done; \
	command -v npm >/dev/null || missing="$$missing nodejs npm"; \
	$(PYTHON) -c 'import ensurepip, venv' 2>/dev/null || missing="$$missing python3-venv"; \
	if [ -n "$$missing" ]; then \
	  echo "installing system packages:$$missing"; \
	  $(SUDO) apt-get update -q; \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing; \
	fi

python-env: $(VENV)/.installed
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

# The OGC API conformance tests live in their own environment: their pins must not
# bend the project's.
ogctests-env: $(OGCTESTS_VENV)/.installed
$(OGCTESTS_VENV)/.installed:
	$(PYTHON) -m venv $(OGCTESTS_VENV)
	$(OGCTESTS_VENV)/bin/pip install -q ogctests
	touch $@

# tipg, the peer the benchmark suite measures onemap against, in its own environment:
# its pins must not bend the project's.
tipg-env: $(TIPG_VENV)/.installed
$(TIPG_VENV)/.installed:
	$(PYTHON) -m venv $(TIPG_VENV)
	$(TIPG_VENV)/bin/pip install -q tipg uvicorn
	touch $@

bench-packages:
	@$(MAKE) --no-print-directory apt-install PACKAGES="$(APT_BENCH_PACKAGES)"

web-assets: web/node_modules/.installed
web/node_modules/.installed: web/package.json web/package-lock.json
	npm ci --prefix web --no-audit --no-fund --loglevel=error
	touch $@

# The project-local cluster, unless ONEMAP_DATABASE_URL points elsewhere.
db: runtime-setup
	@if [ -z "$${ONEMAP_DATABASE_URL:-}" ]; then $(BIN)/onemap db start; fi
	$(BIN)/onemap migrate

demo: db
	$(BIN)/onemap demo load --scale $(SCALE) --seed $(SEED)
	$(BIN)/onemap serve --host $(HOST) --port $(PORT)

serve: db
	$(BIN)/onemap serve --host $(HOST) --port $(PORT)

# Planners' notebooks: JupyterLab in the project's environment, so `import gis` works.
notebook: db $(VENV)/.notebook
	$(BIN)/jupyter lab --notebook-dir notebooks --ip $(HOST) $(if $(SUDO),,--allow-root)
$(VENV)/.notebook: $(VENV)/.installed
	$(BIN)/pip install -q -e '.[dev,notebook]'
	touch $@

lint: python-env web-assets
	$(BIN)/ruff check app gis tests bench migrations
	$(BIN)/ruff format --check app gis tests bench migrations
	$(BIN)/mypy gis
	$(BIN)/lint-imports
	cd web && node_modules/.bin/eslint --max-warnings 0 .

format: python-env
	$(BIN)/ruff format app gis tests bench migrations
	$(BIN)/ruff check --fix app gis tests bench migrations

test: setup lint
	@if [ -z "$${ONEMAP_TEST_ADMIN_URL:-}" ]; then $(BIN)/onemap db start; fi
	$(BIN)/pytest

# The benchmark suite (bench/suite.py): its own databases on the local cluster, one table.
bench: python-env system-packages bench-packages tipg-env
	@if [ -z "$${ONEMAP_TEST_ADMIN_URL:-}" ]; then $(BIN)/onemap db start; fi
	$(BIN)/python -m bench.suite $(BENCH_ARGS)

clean:
	-$(BIN)/onemap db stop
	rm -rf $(VENV) $(OGCTESTS_VENV) $(TIPG_VENV) web/node_modules .onemap .pytest_cache .mypy_cache .ruff_cache

# The README's two commands: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1:8000
# Branch coverage of casebook/, cases/, quiz/ and imaging/ over both test passes must not fall below this (95.9% when set).
COVERAGE_FLOOR ?= 95

.PHONY: run test install install-test browser checkers services gettext messages demo-data bench bench-dashboard loadtest wrk

run: install demo-data ## Install, create the database, load the demo cases, serve at http://127.0.0.1:8000/ with the image worker beside it
	@$(BIN)/python manage.py db_worker --interval 1 --no-reload & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	echo "Image worker started (pid $$worker); it stops with the server."; \
	$(BIN)/python manage.py runserver $(HOST)

test: install-test browser checkers services gettext ## Install what the tests need (Debian's chromium, PostgreSQL, Redis) and run the whole suite on SQLite, then on PostgreSQL with Redis
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/coverage erase
	$(BIN)/coverage run -m pytest
	$(BIN)/coverage run -m pytest -p tests.services
	$(BIN)/coverage combine -q
	$(BIN)/coverage report --format=total --fail-under=$(COVERAGE_FLOOR) >/dev/null || { $(BIN)/coverage report; exit 1; }
	@echo "Branch coverage, both databases: $$($(BIN)/coverage report --format=total)% (floor $(COVERAGE_FLOOR)%)"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt constraints.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements.txt -c constraints.txt
	touch $@

$(VENV)/.installed-test: requirements.txt requirements-dev.txt constraints.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt -c constraints.txt
	touch $(VENV)/.installed $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

demo-data: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py loaddata fixtures/demo_cases.yaml $(sort $(wildcard fixtures/library_*.yaml))

# Browser tests drive Debian's Chromium; Playwright cannot download its own browser here.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
		SUDO=$$( [ "$$(id -u)" -eq 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium fonts-dejavu-core; }

# The second test pass starts its own throwaway PostgreSQL cluster and Redis server (tests/services.py)
# from Debian's binaries; Debian's packages may start their own default instances, which the tests ignore.
services:
	@{ ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 && command -v redis-server >/dev/null 2>&1; } || { \
		SUDO=$$( [ "$$(id -u)" -eq 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq postgresql redis-server; }

# makemessages and compilemessages run GNU gettext; the tests check the French catalogue with it.
gettext:
	@command -v msgfmt >/dev/null 2>&1 || { \
		SUDO=$$( [ "$$(id -u)" -eq 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq gettext; }

# After marking or changing an interface string: update locale/fr/, translate what is new, run it again.
MESSAGES_IGNORE := --ignore=node_modules --ignore=staticfiles --ignore=media --ignore=tests --ignore=scripts --ignore=docs --ignore=fixtures
messages: install gettext ## Update the French catalogues from the code and templates, then compile them
	$(BIN)/python manage.py makemessages --locale=fr --no-obsolete $(MESSAGES_IGNORE)
	$(BIN)/python manage.py makemessages --locale=fr --domain=djangojs --no-obsolete $(MESSAGES_IGNORE)
	$(BIN)/python manage.py compilemessages --locale=fr --ignore=.venv --ignore=node_modules

# The Nu HTML checker (vnu-jar from npm) runs on Java.
checkers: node_modules/vnu-jar/build/dist/vnu.jar
	@command -v java >/dev/null 2>&1 || { \
		SUDO=$$( [ "$$(id -u)" -eq 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq default-jre-headless; }

node_modules/vnu-jar/build/dist/vnu.jar: package.json
	npm install --silent
	touch $@

# Performance (not part of `make test`): databases and results go to /tmp/casebook-bench/.
bench: install-test wrk services ## gunicorn + wrk against 1,000, 10,000 and 100,000 synthetic cases; prints the table
	$(BIN)/python scripts/benchmark.py $(BENCH_ARGS)
	$(BIN)/python scripts/bench_dashboard.py

bench-dashboard: install-test ## The faculty dashboard, an assignment's results and CSV at 200 residents × 50 cases, uncached
	$(BIN)/python scripts/bench_dashboard.py $(BENCH_DASHBOARD_ARGS)

loadtest: install-test services ## 50 residents taking quizzes for 60 s; attempts in the database must equal reveals
	$(BIN)/python scripts/loadtest.py $(LOADTEST_ARGS)

wrk:
	@command -v wrk >/dev/null 2>&1 || { \
		SUDO=$$( [ "$$(id -u)" -eq 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq wrk; }

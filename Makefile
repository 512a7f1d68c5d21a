# eventsapp — the two commands: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 5000
export FLASK_APP := eventsapp
# Links in e-mails, feeds and the seed's output point at this port unless EVENTSAPP_BASE_URL is set (config.py).
export EVENTSAPP_PORT := $(PORT)

.PHONY: run test test-fast lint lock setup translations assets migrate bench clean screenshots

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Installs exactly the locked versions (requirements-dev.txt = runtime + test tools, every file hashed).
$(VENV)/.installed: $(BIN)/python requirements.txt requirements-dev.txt
	$(BIN)/pip install --quiet --require-hashes -r requirements-dev.txt
	touch $@

## lock: recompile requirements.txt and requirements-dev.txt from the *.in ranges (UPGRADE=1: newest versions)
PIP_COMPILE := $(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links $(if $(UPGRADE),--upgrade)
lock: $(BIN)/python
	$(BIN)/pip install --quiet 'pip-tools>=7.4,<8'
	$(PIP_COMPILE) --output-file requirements.txt requirements.in
	$(PIP_COMPILE) --output-file requirements-dev.txt requirements-dev.in

setup: $(VENV)/.installed eventsapp/translations/vi/LC_MESSAGES/messages.mo node_modules/.package-lock.json

# ical.js (devDependencies): the tests validate every calendar the app produces with it.
node_modules/.package-lock.json: package.json package-lock.json
	npm install --no-audit --no-fund
	touch $@

eventsapp/translations/vi/LC_MESSAGES/messages.mo: eventsapp/translations/vi/LC_MESSAGES/messages.po $(VENV)/.installed
	$(BIN)/pybabel compile --use-fuzzy -d eventsapp/translations -f

## run: set up, migrate, seed the demo, then start web + worker + beat (Ctrl-C stops all)
run: setup
	$(BIN)/flask db upgrade
	$(BIN)/flask seed-demo
	@echo ""
	@echo "  Starting eventsapp on http://127.0.0.1:$(PORT) (the address is printed again once it is ready)."
	@echo "  Demo logins are listed above (admin@demo.eventsapp.vn / admin-demo-2026)."
	@echo ""
	@($(BIN)/python scripts/announce_ready.py http://127.0.0.1:$(PORT) &)
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/honcho start -p $(PORT)

## test: set up and run the whole suite (PostgreSQL, Redis, a Celery worker, SMTP, Chromium); CI's command.
## TEST_PROCESSES=1 runs it in one process; each process has its own database, Redis database, worker and clock.
TEST_PROCESSES ?= 2
test: setup lint
	$(BIN)/python -m pytest -n $(TEST_PROCESSES) --dist load

## test-fast: while working: every test but those marked browser, worker or slow (PostgreSQL, Redis, SMTP)
test-fast: setup
	$(BIN)/python -m pytest -n $(TEST_PROCESSES) --dist load -m "not browser and not worker and not slow"

## lint: ruff (rules in pyproject.toml)
lint: $(VENV)/.installed
	$(BIN)/ruff check .

## translations: extract new strings and add them to the Vietnamese catalogue
translations: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output --project eventsapp -o eventsapp/translations/messages.pot .
	$(BIN)/pybabel update -i eventsapp/translations/messages.pot -d eventsapp/translations -l vi --no-fuzzy-matching --no-wrap --ignore-obsolete
	$(BIN)/pybabel compile -d eventsapp/translations -f

## screenshots: the README's pictures (docs/screenshots/) from the demo data, with Playwright and /usr/bin/chromium
screenshots: setup
	$(BIN)/python scripts/screenshots.py --out docs/screenshots

## assets: refresh the vendored front-end files from the npm registry
assets:
	npm install --no-audit --no-fund
	cp node_modules/bootstrap/dist/css/bootstrap.min.css node_modules/bootstrap/dist/js/bootstrap.bundle.min.js eventsapp/static/vendor/bootstrap/
	mkdir -p eventsapp/static/vendor/zxing-browser
	cp node_modules/@zxing/browser/umd/zxing-browser.min.js node_modules/@zxing/browser/LICENSE eventsapp/static/vendor/zxing-browser/

## migrate: write a migration for model changes (MSG="what changed")
migrate: setup
	$(BIN)/flask db migrate -m "$(MSG)"

## bench: run every benchmark in bench/ (prints figures)
bench: setup
	for script in bench/*.py; do $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) instance .pytest_cache tests/.artifacts

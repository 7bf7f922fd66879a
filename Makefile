# Keyroom: `make run` serves the app, `make test` runs every check. See README.md.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
export KEYROOM_CHROMIUM ?= /usr/bin/chromium

# The JavaScript that Prettier formats (generated vector JSON and vendored code are left as they are).
JS_FILES := "static/js/**/*.js" "tests/js/**/*.mjs" "tests/vectors/*.mjs" "tests/browser/crypto_page/*.js" "scripts/*.mjs" eslint.config.mjs

.PHONY: run test lint format test-python test-js test-browser test-soak bench check-deploy clean

$(PY):
	@python=$$(scripts/find-python) || exit 1; \
	echo "Creating $(VENV) with $$python"; \
	"$$python" -m venv $(VENV)

$(VENV)/.deps-run: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	@touch $@

$(VENV)/.deps-test: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test,bench]'
	@touch $@ $(VENV)/.deps-run

run: $(VENV)/.deps-run
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput --verbosity 0
	@echo
	@echo "  Keyroom is running at http://$(HOST):$(PORT)/"
	@echo "  The first account you create (Sign up) becomes the administrator."
	@echo "  Stop it with Ctrl+C."
	@echo
	$(PY) -m keyroom.serve -b $(HOST) -p $(PORT) keyroom.asgi:application

# JavaScript tools (ESLint; axe-core for the browser tests) from package-lock.json, never served.
node_modules/.deps-node: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

lint: $(VENV)/.deps-test node_modules/.deps-node
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	npx --no-install eslint static/js tests/js tests/vectors tests/browser/crypto_page scripts
	npx --no-install prettier --check $(JS_FILES)

format: $(VENV)/.deps-test node_modules/.deps-node
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .
	npx --no-install prettier --write $(JS_FILES)

# Unit, view and Channels tests (browser tests run in their own process: event loops clash).
test-python: $(VENV)/.deps-test
	$(VENV)/bin/pytest --ignore=tests/browser -p no:cacheprovider

test-js:
	node --test tests/js/

test-browser: $(VENV)/.deps-test node_modules/.deps-node
	@scripts/ensure-chromium
	DJANGO_ALLOW_ASYNC_UNSAFE=true $(VENV)/bin/pytest tests/browser -p no:cacheprovider

test: lint test-js test-python test-browser

# The soak (tests/soak/): two daphne processes on PostgreSQL and a Redis of its own, ~100 sockets,
# 3,000 messages, one process killed and restarted, Redis restarted; it checks counts (no loss, no
# duplicate, per-room order). Needs PostgreSQL (DATABASE_URL, default postgres://postgres@127.0.0.1:5432/postgres)
# and redis-server; fails, never skips, without them. SOAK_ARGS=--help lists its options.
SOAK_TIMEOUT ?= 300
test-soak: $(VENV)/.deps-test
	timeout --kill-after=20 $(SOAK_TIMEOUT) $(PY) -m tests.soak $(SOAK_ARGS)

bench: $(VENV)/.deps-test
	$(PY) bench/fanout.py
	$(PY) bench/render_messages.py
	$(PY) bench/search_index.py

# Production settings must pass Django's deployment checklist, and the static files must
# collect (hashed names, ES module imports rewritten) the way `make run` and deploys do it.
check-deploy: $(VENV)/.deps-run
	SECRET_KEY=$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(50))') \
	SECURE_HTTPS=true ALLOWED_HOSTS=chat.example.com $(PY) manage.py check --deploy --fail-level WARNING
	tmp=$$(mktemp -d) && STATIC_ROOT=$$tmp $(PY) manage.py collectstatic --noinput --verbosity 0 \
	  && echo "collectstatic: $$(find $$tmp -name '*.js' | wc -l) JS files collected" && rm -rf $$tmp

clean:
	rm -rf $(VENV) var/static node_modules

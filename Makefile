# The two commands a newcomer types: `make run` and `make test`. See README.md.
SHELL := /bin/bash
.DEFAULT_GOAL := run
CONSOLE_SRC := $(shell find console/src -type f) console/index.html console/rollup.config.mjs

.PHONY: run install console test test-unit test-sqlite test-pg system-deps typecheck bench clean

node_modules/.installed: package.json package-lock.json
	npm install --no-audit --no-fund
	touch $@

install: node_modules/.installed

console/dist/index.html: node_modules/.installed $(CONSOLE_SRC)
	npx rollup -c console/rollup.config.mjs

console: console/dist/index.html

## Install, build the console, migrate the embedded SQLite database under ./data and serve on :8080.
run: install console
	node --import tsx server/main.ts

## Everything the tests need (Debian packages included), then the suite on SQLite and on PostgreSQL.
test: system-deps install console typecheck test-sqlite test-pg

system-deps:
	bash scripts/setup-system.sh

typecheck: install
	npx tsc --noEmit -p .

test-sqlite: install
	npx mocha

test-pg: install
	bash scripts/with-postgres.sh npx mocha

bench: install
	node --import tsx scripts/bench/run.ts

clean:
	rm -rf console/dist node_modules

# The two commands a newcomer types: `make run` and `make test`. See README.md.
SHELL := /bin/bash
.DEFAULT_GOAL := run
CONSOLE_SRC := $(shell find console/src -type f) console/index.html console/rollup.config.mjs
SERVER_SRC := $(shell find server migrations -name '*.ts' -not -path 'server/dist/*') scripts/build-server.mjs

.PHONY: run install console server test test-unit test-sqlite test-pg system-deps typecheck boundaries lint audit-deps bench bench-sustained bench-cluster cluster clean

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

install: node_modules/.installed

console/dist/index.html: node_modules/.installed $(CONSOLE_SRC)
	npx rollup -c console/rollup.config.mjs

console: console/dist/index.html

# The appliance compiled to plain JavaScript (server/dist): no TypeScript loader in production.
server/dist/main.mjs: node_modules/.installed $(SERVER_SRC)
	node scripts/build-server.mjs

server: server/dist/main.mjs

## Install, build the console, migrate the embedded SQLite database under ./data and serve on :8080.
run: install console server
	node --enable-source-maps server/start.cjs

## Everything the tests need (Debian packages included), then the suite on SQLite and on PostgreSQL.
test: system-deps install console server typecheck lint boundaries audit-deps test-sqlite test-pg

system-deps:
	bash scripts/setup-system.sh

## Three programs: the server without DOM globals, the console without Node's, and everything with both (tsconfig.json, which tsx and the build read).
typecheck: install
	npx tsc --noEmit -p tsconfig.server.json
	npx tsc --noEmit -p console/tsconfig.json
	npx tsc --noEmit -p tsconfig.json

## ESLint (typescript-eslint, eslint-plugin-lit) and Prettier's formatting check.
lint: install
	npx eslint .
	npx prettier --check . --log-level warn

## No high or critical advisory in the production dependencies (npm audit --omit=dev).
audit-deps: install
	bash scripts/npm-audit.sh

## Imports run downward between units and capabilities; no route runs a query (scripts/check-boundaries.mjs).
boundaries:
	node scripts/check-boundaries.mjs

test-sqlite: install
	npx mocha

test-pg: install
	bash scripts/with-postgres.sh npx mocha

bench: install console server system-deps
	node --import tsx scripts/bench/run.ts
	BENCH_ONLY=cluster bash scripts/with-postgres.sh node --import tsx scripts/bench/run.ts

## Ten minutes at twice the registration peak, mixed with inbox reads, signing and verification (BENCH_SUSTAINED_SECONDS).
bench-sustained: install console server
	BENCH_ONLY=sustained node --import tsx scripts/bench/run.ts

## The reference deployment on this machine: CLUSTER_NODES (3) nodes behind nginx on PostgreSQL and Swift (S3), under data/cluster; Ctrl-C stops it.
cluster: install console server system-deps
	bash scripts/with-postgres.sh node --import tsx scripts/cluster/main.ts

## Registration on PostgreSQL with one node and with two (shared blob directory), S3 against raw PUTs, and the audit head's share of wall time.
bench-cluster: install console server system-deps
	BENCH_ONLY=cluster bash scripts/with-postgres.sh node --import tsx scripts/bench/run.ts

clean:
	rm -rf console/dist server/dist node_modules

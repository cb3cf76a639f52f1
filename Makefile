# Skiff: `make up` starts a local cluster, `make test` runs the tests.
# Node 24 comes from node_modules/.bin (the `node` npm package), ahead of any system node.
SHELL := /bin/bash
export PATH := $(CURDIR)/node_modules/.bin:$(PATH)

.PHONY: up down clean test bench install build status

up: ## install what is missing, build, start the cluster under .skiff/
	@bash scripts/install.sh
	@bash scripts/cluster.sh up

down: ## stop what `make up` started (data is kept)
	@bash scripts/cluster.sh down

status: ## which services run and answer their probe
	@bash scripts/cluster.sh status

clean: down ## down, then remove .skiff/ (certificates, etcd data, logs)
	rm -rf .skiff

test: ## install, build, run all workspaces' compiled tests
	@bash scripts/test.sh

bench: ## run */bench/*.ts
	@bash scripts/bench.sh

install: ## only the install and build step
	@bash scripts/install.sh

build:
	tsc -b

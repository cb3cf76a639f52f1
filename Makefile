# Skiff: `make up` starts a local cluster, `make test` runs the tests.
# Node 24 comes from node_modules/.bin (the `node` npm package), ahead of any system node.
SHELL := /bin/bash
export PATH := $(CURDIR)/node_modules/.bin:$(PATH)

.PHONY: up down dashboard-link clean test fuzz bench install build status lab lab-down lab-kill token join lint format backup restore units course lab-ha lab-ha-down lab-ha-start dist chaos bench-scale

up: ## install what is missing, build, start the cluster under .skiff/
	@export SKIFF_STARTED_AT=$${EPOCHREALTIME:-}; bash scripts/install.sh --no-build && bash scripts/cluster.sh up --build

down: ## stop what `make up` started (data is kept)
	@bash scripts/cluster.sh down

backup: ## etcd snapshot with a sha256 checksum under .skiff/backups, the newest KEEP (default 7) kept
	@SKIFF_BACKUP_KEEP=$${KEEP:-$${SKIFF_BACKUP_KEEP:-7}} bash scripts/etcd-backup.sh backup

restore: ## bring the cluster back to an etcd snapshot: make restore FILE=.skiff/backups/etcd-….db
	@bash scripts/etcd-backup.sh restore "$(FILE)"

status: ## which services run and answer their probe
	@bash scripts/cluster.sh status

dashboard-link: ## a new one-time login link to the dashboard (make up prints one)
	@bash scripts/cluster.sh dashboard-link

clean: ## down, then remove what the node left (mounts, proxy rules, CNI bridge) and .skiff/
	@bash scripts/cluster.sh clean

test: ## install, build, run all workspaces' compiled tests
	@bash scripts/test.sh

fuzz: ## the apiserver fuzz test with a random seed (SEED=N to repeat one; `make test` runs seed 13)
	@bash scripts/fuzz.sh $(SEED)

lint: ## Biome: formatting and lint rules (floating promises, unused code) over the tree
	@bash scripts/install.sh --no-build
	@biome check .

format: ## rewrite the tree in Biome's format
	@biome format --write .

bench: ## run */bench/*.ts (FILTER='a b': only paths holding a or b), then the summary table of the performance figures
	@bash scripts/bench.sh $(FILTER)

bench-scale: ## issue 22's density run: SCALE_NODES (1000) hollow nodes, SCALE_PODS (10000) pods through Deployments at SCALE_POD_RATE (50)/s; P7 and P8's figures
	@tsc -b
	@flock /tmp/skiff-e2e.lock bash scripts/bench-scale.sh

install: ## only the install and build step
	@bash scripts/install.sh

build:
	tsc -b
	node dashboard/build.mjs
	node scripts/bundle-components.mjs

lab: ## a lab of NODES (default 3) worker "VMs" (network namespaces) joined to this control plane
	@bash scripts/lab.sh up $(or $(NODES),3)

lab-down: ## remove every namespace, link, route, rule, container and process the lab made
	@bash scripts/lab.sh down

lab-kill: ## make worker NODE die as a crashed VM would
	@bash scripts/lab.sh kill $(NODE)

# the HA lab: a control plane of its own, apart from `make up` and `make lab` (bridge skiffha1)
LAB_HA_ENV = SKIFF_LAB_CONTROL_PLANE=ha SKIFF_LAB_BRIDGE=skiffha1 SKIFF_LAB_NET=10.250.0 SKIFF_LAB_PREFIX=skiff-ha \
  SKIFF_LAB_CONTROL_PLANES=$(or $(CONTROL_PLANES),3)

lab-ha: ## an HA lab: CONTROL_PLANES (3) control-plane "VMs" (etcd, apiserver, controller-manager, scheduler each) and NODES (2) workers
	@$(LAB_HA_ENV) bash scripts/lab.sh up $(or $(NODES),2)

lab-ha-down: ## remove the HA lab
	@$(LAB_HA_ENV) bash scripts/lab.sh down

lab-ha-start: ## start what is not running on HA control-plane node N (after a kill)
	@$(LAB_HA_ENV) bash scripts/lab.sh control-plane $(N)

chaos: ## issue 21's chaos run: an HA lab of its own, CHAOS_MINUTES (10) of workload while components are SIGKILLed; report in .skiff/chaos/
	@tsc -b
	@flock /tmp/skiff-e2e.lock node e2e/dist/src/chaos/main.js

token: ## a bootstrap token and the join command for a worker (SERVER: default the advertised address; TTL=24h)
	@node --conditions=source apiserver/src/auth/token-cli.ts --kubeconfig .skiff/kubeconfig $(if $(SERVER),--server $(SERVER)) $(if $(TTL),--ttl $(TTL))

join: ## on a worker VM: install, then join with what `make token` printed (SERVER TOKEN CA_HASH [NODE NODE_IP REGISTRY])
	@bash scripts/install.sh
	@bash scripts/node/join.sh --server "$(SERVER)" --token "$(TOKEN)" --ca-hash "$(CA_HASH)" \
	  $(if $(NODE),--node $(NODE)) $(if $(NODE_IP),--node-ip $(NODE_IP)) $(if $(REGISTRY),--registry-mirror $(REGISTRY))

course: ## run every lesson of course/ on a fresh single-node cluster (LIVE=1: on the `make up` cluster; LESSONS=05: some)
ifeq ($(LIVE),1)
	@bash scripts/install.sh
	@node e2e/dist/src/course/cli.js $(if $(LESSONS),--lessons $(LESSONS))
else
	@flock /tmp/skiff-e2e.lock env SKIFF_COURSE=1 SKIFF_TEST_SPEC='e2e/dist/test/single-node/course.test.js' bash scripts/test.sh $(if $(LESSONS),--grep $(LESSONS))
endif

dist: ## the release tarball, install.sh and SHA256SUMS under .skiff/dist (after the build; deploy/install.sh installs it on a VM without a clone)
	@bash scripts/dist.sh

# factum — make targets. `make run` starts a node with the examples on the
# in-memory journal; `make test` runs every test (it needs redis-server, and
# installs it with apt-get on Debian when it is missing).

GO       ?= go
PKGS     ?= ./...
BENCH    ?= .
BENCHTIME ?= 1s
COUNT    ?= 3

.PHONY: run cluster test test-short bench lint proto redis-server build

run:
	$(GO) run ./cmd/node run

# A local cluster: redis-server on :6390 and three nodes on :8081-8083.
cluster: redis-server
	./scripts/cluster.sh

build:
	$(GO) build -o bin/node ./cmd/node

test: redis-server
	$(GO) vet $(PKGS)
	$(GO) test -race -count=1 -timeout 30m $(PKGS)

test-short:
	$(GO) test -short -count=1 $(PKGS)

bench: redis-server
	$(GO) test -run '^$$' -bench '$(BENCH)' -benchtime $(BENCHTIME) -count $(COUNT) $(PKGS)

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' | grep -v '\.pb\.go$$')); \
	  if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)

proto:
	protoc --go_out=proto/factumpb --go_opt=paths=source_relative -I proto/factum/v1 proto/factum/v1/*.proto

# Tests start their own redis-server processes; this only makes sure the
# binary is there.
redis-server:
	@command -v redis-server >/dev/null 2>&1 || { \
	  echo "redis-server not found: installing it (apt-get install -y redis-server)"; \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -q && apt-get install -y -q redis-server; \
	  else sudo apt-get update -q && sudo apt-get install -y -q redis-server; fi; }

#!/usr/bin/env bash
# Starts a local factum cluster: a redis-server on 127.0.0.1:6390 (in a
# temporary directory, nothing saved) and three nodes on 127.0.0.1:8081,
# 8082 and 8083 (64 partitions). Ctrl-C stops them all: the nodes first (they
# hand their partitions over), then Redis (in its own session, so that
# Ctrl-C does not stop it first).
set -euo pipefail
GO=${GO:-go}
REDIS_PORT=${REDIS_PORT:-6390}
PORTS=${PORTS:-"8081 8082 8083"}
PARTITIONS=${PARTITIONS:-64}

dir=$(mktemp -d)
redis_pid=""
pids=()
stop() {
	trap - INT TERM EXIT
	echo "stopping the cluster"
	# The nodes first (they hand their partitions over), then Redis.
	for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
	for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
	if [ -n "$redis_pid" ]; then kill "$redis_pid" 2>/dev/null || true; wait "$redis_pid" 2>/dev/null || true; fi
	rm -rf "$dir"
}
trap stop INT TERM EXIT

$GO build -o "$dir/node" ./cmd/node
setsid redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --dir "$dir" >"$dir/redis.log" 2>&1 &
redis_pid=$!
for _ in $(seq 50); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done

for port in $PORTS; do
	"$dir/node" run --cluster --redis "redis://127.0.0.1:$REDIS_PORT" --partitions "$PARTITIONS" \
		--addr "127.0.0.1:$port" --log-level warn &
	pids+=($!)
done
echo "three nodes: http://127.0.0.1:8081, :8082, :8083 (redis on :$REDIS_PORT); GET /v1/cluster on any; Ctrl-C stops all"
wait

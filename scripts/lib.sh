# Shared by scripts/demo and scripts/bench: a private run directory with
# its own redis-server (unix socket, no system service touched) and the
# sandbox provider, both stopped when the calling script exits.
# shellcheck shell=bash

run_dir_create() {
	RUN_DIR=$(mktemp -d "/tmp/amuddu-$1.XXXXXX")
	REDIS_SOCK="$RUN_DIR/redis.sock"
	PIDS=()
	trap run_dir_cleanup EXIT
}

run_dir_cleanup() {
	local pid
	for pid in "${PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null || true
	done
	for pid in "${PIDS[@]}"; do
		wait "$pid" 2>/dev/null || true
	done
	if [ -n "${KEEP_RUN_DIR:-}" ]; then
		echo "run directory kept: $RUN_DIR"
	else
		rm -rf "$RUN_DIR"
	fi
}

# redis_start [extra redis-server arguments...]
redis_start() {
	redis-server --port 0 --unixsocket "$REDIS_SOCK" --unixsocketperm 700 --dir "$RUN_DIR" \
		--save '' --appendonly no "$@" >"$RUN_DIR/redis.log" 2>&1 &
	PIDS+=($!)
	for _ in $(seq 100); do
		redis-cli -s "$REDIS_SOCK" ping >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	echo "redis-server did not start; see $RUN_DIR/redis.log" >&2
	return 1
}

# sandbox_start BUILD [extra sandbox arguments...]; sets SANDBOX_PORT
sandbox_start() {
	local build=$1
	shift
	"$build/amuddu-sandbox" --listen 127.0.0.1:0 --port-file "$RUN_DIR/sandbox.port" \
		--account-sid AC00000000000000000000000000000000 --auth-token sandbox-token "$@" \
		>"$RUN_DIR/sandbox.log" 2>&1 &
	PIDS+=($!)
	for _ in $(seq 200); do
		if [ -s "$RUN_DIR/sandbox.port" ]; then
			SANDBOX_PORT=$(cat "$RUN_DIR/sandbox.port")
			return 0
		fi
		sleep 0.05
	done
	echo "sandbox did not start; see $RUN_DIR/sandbox.log" >&2
	return 1
}

# gateway_port BUILD: sets GATEWAY_PORT to a free loopback port (once per run)
gateway_port() {
	: "${GATEWAY_PORT:=$("$1/tools/free_port")}"
}

# gateway_config FILE PREFIX [extra INI text]; call gateway_port first
gateway_config() {
	cat >"$1" <<INI
[redis]
url = unix://$REDIS_SOCK
prefix = $2

[http]
listen = 127.0.0.1:$GATEWAY_PORT

[twilio]
base_url = http://127.0.0.1:$SANDBOX_PORT
account_sid = AC00000000000000000000000000000000
auth_token = sandbox-token
from = +15005550006

[gateway]
pseudonym_key = demo-key-not-secret
${3:-}
INI
}

# Shared by scripts/demo and scripts/bench: a private run directory with
# its own redis-server (unix socket, no system service touched), the
# sandbox provider and, for the benchmark, a private nginx; all stopped when
# the calling script exits.
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

# nginx_start BUILD: a private, unprivileged nginx (Debian's nginx-light)
# standing in for a provider, from a configuration written into the run
# directory: every POST on the Twilio Messages path gets 201 and a Twilio-like
# Message resource, nothing else is done. Each answer carries its own sid
# (nginx's $request_id): one sid for all would make every message overwrite
# the gateway's one pid:twilio:<sid> key and understate Redis memory. Sets
# NGINX_PORT.
nginx_start() {
	local dir=$RUN_DIR/nginx bin sid account=AC00000000000000000000000000000000 as=()
	bin=$(command -v nginx || echo /usr/sbin/nginx)
	if [ ! -x "$bin" ]; then
		echo "nginx not found: scripts/install-deps installs nginx-light" >&2
		return 1
	fi
	NGINX_PORT=$("$1/tools/free_port")
	mkdir -p "$dir"
	# shellcheck disable=SC2016 # nginx's variable, not the shell's
	sid='SM${request_id}'
	cat >"$dir/nginx.conf" <<NGINX
worker_processes 1;
daemon off;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events {
	worker_connections 2048;
}
http {
	access_log off;
	client_body_temp_path $dir/client_body;
	proxy_temp_path $dir/proxy;
	fastcgi_temp_path $dir/fastcgi;
	uwsgi_temp_path $dir/uwsgi;
	scgi_temp_path $dir/scgi;
	# Connections are reused as long as the client wants: the figure is the
	# HTTP exchange, not a reconnect every 1,000 requests.
	keepalive_requests 1000000;
	server {
		listen 127.0.0.1:$NGINX_PORT;
		location ~ ^/2010-04-01/Accounts/[^/]+/Messages\.json\$ {
			if (\$request_method != POST) {
				return 405;
			}
			default_type application/json;
			return 201 '{"sid":"$sid","account_sid":"$account","to":"+212612345678","from":"+15005550006","messaging_service_sid":null,"body":"Amuddu benchmark message","status":"queued","num_segments":"1","num_media":"0","direction":"outbound-api","api_version":"2010-04-01","date_created":"Thu, 30 Jul 2015 20:12:31 +0000","date_updated":"Thu, 30 Jul 2015 20:12:31 +0000","date_sent":null,"error_code":null,"error_message":null,"price":null,"price_unit":"USD","uri":"/2010-04-01/Accounts/$account/Messages/$sid.json","subresource_uris":{"media":"/2010-04-01/Accounts/$account/Messages/$sid/Media.json"}}';
		}
		location / {
			return 404;
		}
	}
}
NGINX
	# Started by root (a container, CI), it still runs as the unprivileged
	# uid 65534 ("nobody"), which owns its directory and nothing else.
	if [ "$(id -u)" -eq 0 ]; then
		chmod 711 "$RUN_DIR"
		chown -R 65534:65534 "$dir"
		as=(setpriv --reuid=65534 --regid=65534 --clear-groups)
	fi
	"${as[@]}" "$bin" -p "$dir/" -c "$dir/nginx.conf" -e "$dir/error.log" >"$dir/stderr.log" 2>&1 &
	PIDS+=($!)
	for _ in $(seq 100); do
		if [ "$(curl -s -o /dev/null -w '%{http_code}' -X POST -d x=1 \
			"http://127.0.0.1:$NGINX_PORT/2010-04-01/Accounts/$account/Messages.json")" = 201 ]; then
			return 0
		fi
		sleep 0.05
	done
	echo "nginx did not start; see $dir/error.log and $dir/stderr.log" >&2
	return 1
}

# gateway_port BUILD: sets GATEWAY_PORT to a free loopback port (once per run)
gateway_port() {
	: "${GATEWAY_PORT:=$("$1/tools/free_port")}"
}

# gateway_config FILE PREFIX [extra INI text] [Twilio base URL, default the
# sandbox]; call gateway_port first
gateway_config() {
	cat >"$1" <<INI
[redis]
url = unix://$REDIS_SOCK
prefix = $2

[http]
listen = 127.0.0.1:$GATEWAY_PORT

[twilio]
base_url = ${4:-http://127.0.0.1:$SANDBOX_PORT}
account_sid = AC00000000000000000000000000000000
auth_token = sandbox-token
from = +15005550006

[gateway]
pseudonym_key = demo-key-not-secret
# The demo and the benchmarks run at any hour; the default holds campaigns 21:00-08:00.
quiet_hours = off
${3:-}
INI
}

# Sourced by scripts that test against `./sandman dev`: dev_up TEMPORAL_PORT HTTP_PORT E2B_PORT ADMIN_TOKEN starts it
# with SANDMAN_ADMIN_TOKEN=ADMIN_TOKEN, waits for /healthz, and stops it on exit.
dev_up() {
  local tport=$1 hport=$2 eport=$3 token=$4
  dev_log=$(mktemp)
  SANDMAN_ADMIN_TOKEN=$token setsid ./sandman dev --temporal-port "$tport" --http-port "$hport" --e2b-port "$eport" >"$dev_log" 2>&1 &
  dev_pid=$!
  # a dev mode already gone (it stops within the second) must not fail the script under set -e
  trap 'kill -- -$dev_pid 2>/dev/null || true; sleep 1; kill -9 -- -$dev_pid 2>/dev/null || true; rm -f "$dev_log"' EXIT
  for _ in $(seq 1 120); do
    curl -fsS "http://127.0.0.1:$hport/healthz" >/dev/null 2>&1 && return 0
    kill -0 "$dev_pid" 2>/dev/null || { echo "dev mode exited:"; tail -20 "$dev_log"; exit 1; }
    sleep 1
  done
  echo "dev mode did not answer /healthz within 120 s"; tail -20 "$dev_log"; exit 1
}

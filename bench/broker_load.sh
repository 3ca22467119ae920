# Shared by bench/storm.sh and bench/slow_consumer.sh (sourced, not run): builds the
# release `mco` and the broker's `loadgen` example, keeps a scratch directory and the
# processes started, and starts a broker and the probe clients.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
cargo build --release -q -p mco
cargo build --release -q -p marionette-broker --example loadgen
MCO="$PWD/target/release/mco"
LOAD="$PWD/target/release/examples/loadgen"
RUN="$(mktemp -d)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$RUN"; }
trap cleanup EXIT

# start_broker DIR [flags...]: `mco broker` on free loopback ports; sets BROKER (pid),
# ADDR (STOMP) and ADMIN.
start_broker() {
  local d=$1
  shift
  # The load tools use arbitrary destinations: their login may do everything.
  "$MCO" broker --listen 127.0.0.1:0 --admin 127.0.0.1:0 --user mcollective:marionette \
    --groups mcollective=admins "$@" \
    > "$d/broker.out" 2> "$d/broker.err" &
  BROKER=$!
  pids+=("$BROKER")
  for _ in $(seq 50); do grep -q listening "$d/broker.out" 2>/dev/null && break; sleep 0.1; done
  ADDR=$(sed -n 's/.*stomp=\([^ ]*\).*/\1/p' "$d/broker.out")
  ADMIN=$(sed -n 's/.*admin=\([^ ]*\).*/\1/p' "$d/broker.out")
}

# start_probe DIR: four request/reply pairs, a round trip every 10 ms each, one line
# per round trip in DIR/probe; sets PROBE (pid).
start_probe() {
  "$LOAD" --addr "$ADDR" probe --pairs 4 --interval-ms 10 > "$1/probe" &
  PROBE=$!
  pids+=("$PROBE")
}

# stop_broker: SIGTERM, then wait for it.
stop_broker() {
  kill "$BROKER"
  wait "$BROKER" 2> /dev/null || true
}

#!/usr/bin/env bash
# Soak: a fleet of simulated nodes (`mco swarm`, at most 5,000 per process) plus one real
# `mco daemon`, all on one `mco broker`; `mco bench soak` broadcasts discovery pings at
# RATE per second for DURATION seconds and accounts for every reply. The broker's, the
# daemon's and the swarms' resident memory and CPU time are printed before and after.
#
#   bench/soak.sh [NODES] [RATE] [DURATION]      (defaults: 10000 50 600)
#
# MCO names an mco binary to use instead of building the release one.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

nodes=${1:-10000}
rate=${2:-50}
duration=${3:-600}
per_swarm=5000
port=${SOAK_PORT:-61913}
admin=${SOAK_ADMIN_PORT:-61980}

if [ -z "${MCO:-}" ]; then
  cargo build --release -q -p mco
fi
mco=${MCO:-target/release/mco}
dir=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT

cfg() { # file login password extra
  cat >"$1" <<EOF
main_collective = mcollective
collectives = mcollective
securityprovider = psk
plugin.psk = soak
connector = activemq
plugin.activemq.pool.size = 1
plugin.activemq.pool.1.host = 127.0.0.1
plugin.activemq.pool.1.port = $port
plugin.activemq.pool.1.user = $2
plugin.activemq.pool.1.password = $3
$4
EOF
}
cfg "$dir/server.cfg" mcollective marionette ""
cfg "$dir/daemon.cfg" mcollective marionette "identity = soak-daemon"
cfg "$dir/client.cfg" admin secret ""

"$mco" broker --listen "127.0.0.1:$port" --admin "127.0.0.1:$admin" \
  --user mcollective:marionette --user admin:secret 2>"$dir/broker.log" &
broker=$!
pids+=("$broker")
sleep 1
"$mco" daemon --config "$dir/daemon.cfg" 2>"$dir/daemon.err" &
daemon=$!
pids+=("$daemon")
swarms=()
for ((first = 1; first <= nodes; first += per_swarm)); do
  n=$((nodes - first + 1 < per_swarm ? nodes - first + 1 : per_swarm))
  "$mco" swarm --nodes "$n" --first "$first" --config "$dir/server.cfg" 2>>"$dir/swarm.log" &
  swarms+=($!)
  pids+=($!)
done

connections() {
  curl -s "127.0.0.1:$admin/metrics" | awk '$1 == "marionette_broker_connections" {print $2}'
}
start=$(date +%s)
until [ "$(connections)" = "$((nodes + 1))" ]; do
  if [ $(($(date +%s) - start)) -gt 300 ]; then
    echo "the fleet did not connect: $(connections) of $((nodes + 1))" >&2
    exit 1
  fi
  sleep 1
done

kib() { # pid: resident memory in KiB
  awk '/^VmRSS/ {print $2}' "/proc/$1/status"
}
rss() { # label pid: resident memory and CPU time used so far
  local ticks
  ticks=$(awk '{print $14 + $15}' "/proc/$2/stat")
  printf '%-8s %8d KiB %9.2f s CPU\n' "$1" "$(kib "$2")" \
    "$(echo "$ticks / $(getconf CLK_TCK)" | bc -l)"
}
report() {
  echo "resident memory and CPU time $1:"
  rss broker "$broker"
  rss daemon "$daemon"
  for s in "${swarms[@]}"; do rss swarm "$s"; done
}
report "at the start"
# Memory every minute while the soak runs, to tell a plateau from a leak.
(
  while sleep 60; do
    # One write per line, so that it never interleaves with the soak's own lines.
    line="rss KiB: broker $(kib "$broker") daemon $(kib "$daemon") swarms"
    for s in "${swarms[@]}"; do line+=" $(kib "$s")"; done
    echo "$line"
  done
) &
sampler=$!
pids+=("$sampler")
status=0
"$mco" bench soak --config "$dir/client.cfg" --rate "$rate" --duration "$duration" \
  --expect "$((nodes + 1))" -t 10 || status=$?
kill "$sampler" 2>/dev/null || true
report "at the end"
echo "broker counters:"
curl -s "127.0.0.1:$admin/metrics" | grep -E '^marionette_broker_(slow_consumers_cut|messages_dropped_queue_full|messages_expired)_total'
exit "$status"

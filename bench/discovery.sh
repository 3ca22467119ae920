#!/usr/bin/env bash
# Broadcasts that end at the last reply (reply accounting), on this machine:
#   1. `mco up` plus two more `mco daemon`s: plain `mco ping` (no --expect), ours 11 times
#      and the real MCollective client 3 times when it is installed;
#   2. a 10,000-node `mco swarm` (two swarms of 5,000): `mco ping`, its last reply's time
#      and its wall time, 5 times;
#   3. on that swarm, `mco rpc rpcutil ping -F tenth=3` (1,000 matching nodes), 5 times.
#
#   bash bench/discovery.sh
#
# Prints the median, min and max of each figure; every figure comes from this one run.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
cargo build --release -q -p mco
MCO="$PWD/target/release/mco"
RUN="$(mktemp -d)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null; rm -rf "$RUN"; }
trap cleanup EXIT

# Wall time of a command in ms (its output goes to $RUN/last.out).
ms() { local s e; s=$(date +%s%N); "$@" > "$RUN/last.out" 2>&1 || true; e=$(date +%s%N); echo $(((e - s) / 1000000)); }
# median / min / max of the numbers on stdin.
stats() { sort -n | awk '{a[NR]=$1} END {printf "median %s  min %s  max %s  (%d runs)\n", a[int((NR+1)/2)], a[1], a[NR], NR}'; }

cfg() { # cfg FILE PORT USER PASSWORD IDENTITY
  cat > "$1" <<CFG
main_collective = mcollective
collectives = mcollective
securityprovider = psk
plugin.psk = bench-discovery
connector = activemq
plugin.activemq.pool.size = 1
plugin.activemq.pool.1.host = 127.0.0.1
plugin.activemq.pool.1.port = $2
plugin.activemq.pool.1.user = $3
plugin.activemq.pool.1.password = $4
identity = $5
CFG
}

"$MCO" broker --listen 127.0.0.1:0 --admin off --user mcollective:marionette --user admin:secret \
  --groups mcollective=admins > "$RUN/broker.out" 2> "$RUN/broker.err" &
pids+=($!)
for _ in $(seq 50); do grep -q listening "$RUN/broker.out" 2>/dev/null && break; sleep 0.1; done
PORT=$(sed -n 's/.*stomp=127.0.0.1:\([0-9]*\).*/\1/p' "$RUN/broker.out")
cfg "$RUN/client.cfg" "$PORT" admin secret client
for n in node1 node2 node3; do
  cfg "$RUN/$n.cfg" "$PORT" mcollective marionette "$n"
  "$MCO" daemon --config "$RUN/$n.cfg" > "$RUN/$n.log" 2>&1 &
  pids+=($!)
done
for _ in $(seq 50); do
  [ "$("$MCO" ping --config "$RUN/client.cfg" 2>/dev/null | grep -c 'time=')" = 3 ] && break
  sleep 0.2
done
echo "1. mco ping, 3 local nodes, wall time (ms):"
printf '   ours: '; for _ in $(seq 11); do ms "$MCO" ping --config "$RUN/client.cfg"; done | stats
grep -q '3 replies' "$RUN/last.out" || { echo "ours did not list 3 nodes" >&2; exit 1; }
if command -v mco >/dev/null; then
  printf '   real: '; for _ in $(seq 3); do ms mco ping --config "$RUN/client.cfg"; done | stats
fi
for n in 1 2 3; do kill "${pids[$n]}"; done

cfg "$RUN/server.cfg" "$PORT" mcollective marionette swarm
"$MCO" swarm --nodes 5000 --first 1 --config "$RUN/server.cfg" > /dev/null 2> "$RUN/swarm1.log" &
pids+=($!)
"$MCO" swarm --nodes 5000 --first 5001 --config "$RUN/server.cfg" > /dev/null 2> "$RUN/swarm2.log" &
pids+=($!)
for _ in $(seq 120); do
  "$MCO" ping --expect 10000 -t 10 --config "$RUN/client.cfg" 2>/dev/null | grep -q '^10000 replies' && break
  sleep 1
done
echo "2. mco ping, 10,000 simulated nodes:"
: > "$RUN/wall"; : > "$RUN/after"
for _ in $(seq 5); do
  w=$(ms "$MCO" ping -t 30 --config "$RUN/client.cfg")
  n=$(grep -c 'time=' "$RUN/last.out")
  last=$(sed -n 's/.*time=\([0-9.]*\) ms/\1/p' "$RUN/last.out" | sort -n | tail -1)
  echo "$w" >> "$RUN/wall"
  python3 -c "print(round($w - $last))" >> "$RUN/after"
  [ "$n" = 10000 ] || echo "   a run listed $n nodes"
done
printf '   wall time (ms):               '; stats < "$RUN/wall"
printf '   wall time after last reply:   '; stats < "$RUN/after"
echo "3. mco rpc rpcutil ping -F tenth=3 on 10,000 nodes, wall time (ms):"
printf '   '; for _ in $(seq 5); do ms "$MCO" rpc rpcutil ping -F tenth=3 --config "$RUN/client.cfg"; done | stats
grep -q 'Finished processing 1000 / 1000 hosts' "$RUN/last.out" || { echo "not 1000 hosts:"; tail -5 "$RUN/last.out"; }

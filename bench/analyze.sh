#!/usr/bin/env bash
# `mco analyze` throughput against tshark on the same capture.
#
#   bash bench/analyze.sh     (needs hyperfine and tshark/dumpcap; run as root for dumpcap)
#
# It records real traffic: `mco broker`, a 300-node `mco swarm` and a client loop of
# `mco ping` and `mco rpc rpcutil inventory`, captured by dumpcap on loopback; then times
# `mco analyze FILE --json` and `tshark -r FILE -q -z conv,tcp` (which only lists TCP
# conversations) with hyperfine, and prints the medians and MB/s.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
for t in hyperfine dumpcap tshark; do
  command -v "$t" >/dev/null || { echo "$t is needed" >&2; exit 1; }
done
cargo build --release -q -p mco
MCO="$PWD/target/release/mco"
RUN="$(mktemp -d)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; [ -n "${KEEP:-}" ] || rm -rf "$RUN"; echo "run dir: $RUN" >&2; }
trap cleanup EXIT
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cfg() { # USER PASSWORD
  printf '%s\n' "main_collective = mcollective" "collectives = mcollective" "securityprovider = psk" \
    "plugin.psk = bench" "connector = activemq" "plugin.activemq.pool.size = 1" \
    "plugin.activemq.pool.1.host = 127.0.0.1" "plugin.activemq.pool.1.port = $PORT" \
    "plugin.activemq.pool.1.user = $1" "plugin.activemq.pool.1.password = $2"
}
cfg mcollective marionette > "$RUN/server.cfg"
cfg admin secret > "$RUN/client.cfg"
dumpcap -q -i lo -f "tcp port $PORT" -w "$RUN/traffic.pcapng" 2> "$RUN/dumpcap.log" &
pids+=($!)
sleep 2
"$MCO" broker --listen "127.0.0.1:$PORT" --admin off --user mcollective:marionette --user admin:secret \
  > /dev/null 2> "$RUN/broker.log" &
pids+=($!)
sleep 0.5
"$MCO" swarm --nodes 300 --config "$RUN/server.cfg" > /dev/null 2> "$RUN/swarm.log" &
pids+=($!)
sleep 3
for _ in $(seq 30); do
  "$MCO" ping --expect 300 --config "$RUN/client.cfg" > /dev/null
  "$MCO" rpc rpcutil inventory -F tenth=0 --dt 1 --config "$RUN/client.cfg" > /dev/null 2>&1
done
sleep 1
kill "${pids[0]}"; wait "${pids[0]}" 2>/dev/null || true
SIZE=$(stat -c %s "$RUN/traffic.pcapng")
hyperfine -N --warmup 1 --runs 10 --export-json "$RUN/h.json" \
  -n "mco analyze --json" "$MCO analyze $RUN/traffic.pcapng --psk bench --json" \
  -n "tshark -q -z conv,tcp" "tshark -r $RUN/traffic.pcapng -q -z conv,tcp" > /dev/null
python3 - "$RUN/h.json" "$SIZE" <<'PY'
import json, sys
size = int(sys.argv[2])
print(f"capture: {size/1e6:.1f} MB")
for r in json.load(open(sys.argv[1]))["results"]:
    m = r["median"]
    print(f"  {r['command']:<24} median {m*1000:8.1f} ms  {size/1e6/m:8.1f} MB/s  ({len(r['times'])} runs)")
PY

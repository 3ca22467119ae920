#!/usr/bin/env bash
# Client latency and daemon memory with three local nodes, ours against the real
# MCollective 2.12 client where it is installed.
#
#   bash bench/client.sh            (needs hyperfine; the real mco is optional)
#
# It builds the release binary, starts `mco broker` on a free loopback port and three
# `mco daemon`s with the lab node configs (testdata/mcollective), then measures:
#   * idle RSS and PSS of each daemon after 5 s;
#   * `mco ping --expect 3` (ours) and `mco ping` (real: a fixed 5 s window);
#   * a directed `mco rpc rpcutil ping -I node1`, ours and real.
# hyperfine reports the median of its runs; every figure comes from this one run.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
command -v hyperfine >/dev/null || { echo "hyperfine is needed (apt-get install hyperfine)" >&2; exit 1; }
cargo build --release -q -p mco
MCO="$PWD/target/release/mco"
RUN="$(mktemp -d)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$RUN"; }
trap cleanup EXIT

"$MCO" broker --listen 127.0.0.1:0 --admin off --user mcollective:marionette --user admin:secret \
  > "$RUN/broker.out" 2> "$RUN/broker.err" &
pids+=($!)
for _ in $(seq 50); do grep -q listening "$RUN/broker.out" 2>/dev/null && break; sleep 0.1; done
PORT=$(sed -n 's/.*stomp=127.0.0.1:\([0-9]*\).*/\1/p' "$RUN/broker.out")

TD=testdata/mcollective
for n in node1 node2 node3; do
  mkdir -p "$RUN/nodes/$n"
  cp "$TD/nodes/$n/facts.yaml" "$TD/nodes/$n/classes.txt" "$RUN/nodes/$n/"
  EXTRA="$(cat "$TD/nodes/$n/extra.cfg")" RUN="$RUN" N="$n" PORT="$PORT" python3 - "$TD/server.cfg.in" <<'PY'
import os, sys
s = open(sys.argv[1]).read()
s = (s.replace('@IDENTITY@', os.environ['N']).replace('@RUN_DIR@', os.environ['RUN'])
      .replace('@EXTRA@', os.environ['EXTRA'])
      .replace('pool.1.port = 61613', 'pool.1.port = ' + os.environ['PORT']))
open(os.path.join(os.environ['RUN'], 'nodes', os.environ['N'], 'server.cfg'), 'w').write(s)
PY
  mkdir -p "$RUN/logs"
  "$MCO" daemon --config "$RUN/nodes/$n/server.cfg" > "$RUN/logs/$n.out" 2>&1 &
  pids+=($!)
done
sed -e "s#@RUN_DIR@#$RUN#g" -e "s/pool.1.port = 61613/pool.1.port = $PORT/" "$TD/client.cfg.in" > "$RUN/client.cfg"
echo '--- {}' > "$RUN/client-facts.yaml"
CFG="$RUN/client.cfg"
for _ in $(seq 30); do
  [ "$("$MCO" find --dt 1 --config "$CFG" 2>/dev/null | grep -c '^node')" = 3 ] && break
done

sleep 5
echo "idle daemons (kB):"
for p in "${pids[@]:1}"; do
  rss=$(awk '/^VmRSS/{print $2}' "/proc/$p/status")
  pss=$(awk '/^Pss:/{print $2}' "/proc/$p/smaps_rollup")
  anon=$(awk '/^Pss_Anon:/{print $2}' "/proc/$p/smaps_rollup")
  echo "  pid $p  RSS $rss  PSS $pss  (anonymous $anon)"
done

cmds=(-n "ours: mco ping --expect 3" "$MCO ping --expect 3 --config $CFG"
      -n "ours: mco rpc rpcutil ping -I node1" "$MCO rpc rpcutil ping -I node1 --config $CFG")
if command -v mco >/dev/null && [ "$(command -v mco)" != "$MCO" ]; then
  cmds+=(-n "real: mco rpc rpcutil ping -I node1" "mco rpc rpcutil ping -I node1 --config $CFG")
fi
hyperfine -N --warmup 2 --runs 15 --export-json "$RUN/h.json" "${cmds[@]}" > /dev/null
if command -v mco >/dev/null; then
  hyperfine -N --runs 3 --export-json "$RUN/h5.json" -n "real: mco ping" "mco ping --config $CFG" > /dev/null
fi
python3 - "$RUN"/h*.json <<'PY'
import json, sys
print("median wall time:")
for f in sys.argv[1:]:
    for r in json.load(open(f))["results"]:
        print(f"  {r['command']:<40} {r['median']*1000:9.1f} ms  ({len(r['times'])} runs)")
PY

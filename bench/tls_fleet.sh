#!/usr/bin/env bash
# What TLS costs the broker with a 10,000-node fleet: `mco broker` with a plain and a
# TLS listener, and two `mco swarm` processes of 5,000 nodes each connecting to one or
# the other (server.cfg with MCollective's `pool.1.ssl` keys for TLS, the shared node
# login, no client certificates).
#
#   bash bench/tls_fleet.sh [NODES_PER_SWARM] [PINGS] [RUNS]     (default: 5000 5 3)
#
# For each mode (plain, then TLS), on a fresh broker with admission pacing off
# (--accept-rate 0 --connect-rate 0, so the figure is the handshake capacity, not the
# pacing): the time from starting the swarms until every node is connected and
# subscribed (connections per second), the broker's RSS per idle node 10 s later
# ((RSS - RSS before) / nodes), and `mco ping --expect N` over the same kind of link,
# PINGS times (median wall time). RUNS rounds of both modes, then the median, min and
# max of each figure over the rounds. BROKER_KEY=ec gives the broker an ECDSA P-256 key
# instead of RSA 2048 (Ruby's stomp gem needs RSA only for its own key).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PER=${1:-5000}
PINGS=${2:-5}
RUNS=${3:-3}
NODES=$((PER * 2))
cargo build --release -q -p mco
MCO="$PWD/target/release/mco"
RUN="$(mktemp -d)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$RUN"; }
trap cleanup EXIT

# A CA and the broker's certificate (RSA, as a real fleet's would be).
P="$RUN/pki"
mkdir -p "$P"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$P/ca.key" -out "$P/ca.pem" -days 30 \
  -subj "/CN=Bench CA" 2>/dev/null
case "${BROKER_KEY:-rsa}" in
  ec) newkey=(-newkey ec -pkeyopt ec_paramgen_curve:P-256) ;;
  *) newkey=(-newkey rsa:2048) ;;
esac
openssl req -x509 -CA "$P/ca.pem" -CAkey "$P/ca.key" "${newkey[@]}" -nodes \
  -keyout "$P/broker.key" -out "$P/broker.pem" -days 30 -subj "/CN=127.0.0.1" \
  -addext "subjectAltName=IP:127.0.0.1" -addext "basicConstraints=critical,CA:FALSE" 2>/dev/null
chmod 600 "$P"/*.key

cfg() { # FILE PORT LOGIN PASSWORD TLS(0|1)
  {
    echo "main_collective = mcollective"
    echo "collectives = mcollective"
    echo "securityprovider = psk"
    echo "plugin.psk = bench"
    echo "connector = activemq"
    echo "plugin.activemq.pool.size = 1"
    echo "plugin.activemq.pool.1.host = 127.0.0.1"
    echo "plugin.activemq.pool.1.port = $2"
    echo "plugin.activemq.pool.1.user = $3"
    echo "plugin.activemq.pool.1.password = $4"
    echo "plugin.activemq.heartbeat_interval = 30"
    echo "identity = benchclient"
    if [ "$5" = 1 ]; then
      echo "plugin.activemq.pool.1.ssl = 1"
      echo "plugin.activemq.pool.1.ssl.ca = $P/ca.pem"
    fi
  } > "$1"
}

kib() { awk '/^VmRSS/{print $2}' "/proc/$1/status"; }
connections() { curl -s "http://$ADMIN/metrics" | awk '/^marionette_broker_connections /{print $2}'; }

for round in $(seq "$RUNS"); do
for mode in plain tls; do
  d="$RUN/$mode-$round"
  mkdir -p "$d"
  "$MCO" broker --listen 127.0.0.1:0 --tls-listen 127.0.0.1:0 --tls-cert "$P/broker.pem" \
    --tls-key "$P/broker.key" --admin 127.0.0.1:0 --accept-rate 0 --connect-rate 0 \
    --user mcollective:marionette --user admin:secret > "$d/broker.out" 2> "$d/broker.err" &
  broker=$!
  pids+=("$broker")
  for _ in $(seq 50); do grep -q listening "$d/broker.out" 2>/dev/null && break; sleep 0.1; done
  PLAIN=$(sed -n 's/.*stomp=127.0.0.1:\([0-9]*\).*/\1/p' "$d/broker.out")
  TLSP=$(sed -n 's/.*tls=127.0.0.1:\([0-9]*\).*/\1/p' "$d/broker.out")
  ADMIN=$(sed -n 's/.*admin=\([^ ]*\).*/\1/p' "$d/broker.out")
  if [ "$mode" = tls ]; then port=$TLSP; tls=1; else port=$PLAIN; tls=0; fi
  cfg "$d/server.cfg" "$port" mcollective marionette "$tls"
  cfg "$d/client.cfg" "$port" admin secret "$tls"
  sleep 1
  before=$(kib "$broker")
  start=$(date +%s.%N)
  "$MCO" swarm --config "$d/server.cfg" --nodes "$PER" --first 1 > "$d/swarm1.out" 2>&1 &
  pids+=($!)
  "$MCO" swarm --config "$d/server.cfg" --nodes "$PER" --first $((PER + 1)) > "$d/swarm2.out" 2>&1 &
  pids+=($!)
  until [ "$(connections)" -ge "$NODES" ]; do sleep 0.05; done
  connected=$(date +%s.%N)
  # Subscriptions follow CONNECT; the first ping that gets every node marks the end.
  until "$MCO" ping --expect "$NODES" --config "$d/client.cfg" > /dev/null 2>&1; do :; done
  ready=$(date +%s.%N)
  sleep 10
  after=$(kib "$broker")
  : > "$d/pings"
  for _ in $(seq "$PINGS"); do
    s=$(date +%s.%N)
    "$MCO" ping --expect "$NODES" --config "$d/client.cfg" > "$d/ping.out"
    e=$(date +%s.%N)
    echo "$s $e" >> "$d/pings"
  done
  python3 - "$mode" "$NODES" "$start" "$connected" "$ready" "$before" "$after" "$d/pings" <<'PY' | tee -a "$RUN/results"
import json, statistics, sys
mode, nodes, start, connected, ready, before, after, pings = sys.argv[1:]
nodes = int(nodes)
t = float(connected) - float(start)
ms = sorted((float(e) - float(s)) * 1000 for s, e in (l.split() for l in open(pings)))
print(json.dumps({"mode": mode, "connect_s": round(t, 2), "connects_per_s": round(nodes / t),
    "answering_s": round(float(ready) - float(start), 2),
    "rss_per_node_kib": round((int(after) - int(before)) / nodes, 1),
    "rss_after_mib": round(int(after) / 1024, 1),
    "ping_median_ms": round(statistics.median(ms))}))
PY
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  pids=()
done
done
python3 - "$RUN/results" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
for mode in ("plain", "tls"):
    mine = [r for r in rows if r["mode"] == mode]
    for key in mine[0]:
        if key == "mode":
            continue
        xs = [r[key] for r in mine]
        print(f"{mode} {key}: median {statistics.median(xs)} min {min(xs)} max {max(xs)}")
PY

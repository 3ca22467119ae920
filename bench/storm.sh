#!/usr/bin/env bash
# A 10,000-connection reconnect storm against `mco broker`, with admission control (the
# default rates) and without it (--accept-rate 0 --connect-rate 0), while already
# connected clients do request/reply round trips.
#
#   bash bench/storm.sh [RUNS]        (default: 3 runs of each mode, alternating)
#   ADMISSION="--connect-rate 1000" bash bench/storm.sh   (other rates for "limited")
#
# It builds the release `mco` and the broker's `loadgen` example. For each run and mode
# it starts a broker on a free loopback port, four probe pairs (a round trip through two
# queues every 10 ms each), waits 2 s, then starts two `loadgen storm --count 5000`
# processes at once (a process here may hold 20,000 descriptors, so the 10,000 come from
# two). Each storm connection CONNECTs, SUBSCRIBEs like a node (directed queue with an
# mc_identity selector, an agent topic) and is held; a refused CONNECT retries after 1 s.
# Per run it reports how long the 10,000 took from the first connect to the last
# CONNECTED, the probes' latency inside that window (median, p99, max) and before it,
# the broker's deferral counters and its peak RSS; then the median of each over the runs.
RUNS=${1:-3}
source "$(dirname "${BASH_SOURCE[0]}")/broker_load.sh"

one() { # MODE RUN [broker flags...]
  local mode=$1 n=$2
  shift 2
  local d="$RUN/$mode.$n"
  mkdir -p "$d"
  start_broker "$d" "$@"
  start_probe "$d"
  sleep 2
  "$LOAD" --addr "$ADDR" storm --count 5000 --first 0 > "$d/storm.0" &
  local s0=$!
  "$LOAD" --addr "$ADDR" storm --count 5000 --first 5000 > "$d/storm.1" &
  local s1=$!
  wait "$s0" "$s1"
  kill "$PROBE"
  grep VmHWM "/proc/$BROKER/status" > "$d/rss"
  python3 - "$d" "$mode" "$ADMIN" <<'PY' | tee -a "$RUN/results"
import json, re, sys, urllib.request
d, mode, admin = sys.argv[1:]
storms = [dict(kv.split("=") for kv in open(f"{d}/storm.{i}").read().split()[1:]) for i in (0, 1)]
start = min(int(s["start_ms"]) for s in storms)
end = max(int(s["last_admitted_ms"]) for s in storms)
probe = [tuple(map(int, l.split())) for l in open(f"{d}/probe") if len(l.split()) == 2]
during = sorted(us for at, us in probe if start <= at <= end)
before = sorted(us for at, us in probe if at < start)
metrics = urllib.request.urlopen(f"http://{admin}/metrics").read().decode()
def metric(name):
    m = re.search(rf"^marionette_broker_{name} (\d+)$", metrics, re.M)
    return int(m.group(1)) if m else 0
pct = lambda xs, p: xs[int((len(xs) - 1) * p)] / 1000
r = {
    "mode": mode,
    "admitted_s": (end - start) / 1000,
    "round_trips": len(during),
    "median_ms": pct(during, 0.5),
    "p99_ms": pct(during, 0.99),
    "max_ms": during[-1] / 1000,
    "before_median_ms": pct(before, 0.5),
    "retries": sum(int(s["retries"]) for s in storms),
    "accepts_deferred": metric("accepts_deferred_total"),
    "connects_deferred": metric("connects_deferred_total"),
    "peak_rss_mib": int(open(f"{d}/rss").read().split()[1]) / 1024,
}
print(json.dumps(r))
PY
  stop_broker
}

for n in $(seq "$RUNS"); do
  # shellcheck disable=SC2086 # ADMISSION is a list of flags
  one limited "$n" ${ADMISSION:-}
  one unlimited "$n" --accept-rate 0 --connect-rate 0
done

python3 - "$RUN/results" <<'PY'
import json, statistics, sys
runs = [json.loads(l) for l in open(sys.argv[1])]
keys = ["admitted_s", "median_ms", "p99_ms", "max_ms", "before_median_ms", "peak_rss_mib"]
print(f"medians of {len(runs) // 2} runs:")
print("mode       " + "  ".join(f"{k:>16}" for k in keys))
for mode in ("limited", "unlimited"):
    rs = [r for r in runs if r["mode"] == mode]
    print(f"{mode:<10} " + "  ".join(f"{statistics.median(r[k] for r in rs):16.2f}" for k in keys))
PY

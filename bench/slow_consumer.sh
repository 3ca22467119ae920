#!/usr/bin/env bash
# A client that stops reading while 100,000 messages are addressed to it, against
# `mco broker` with its default bounds, while already connected clients do request/reply
# round trips: the broker's memory, the cut, and the other clients' latency.
#
#   bash bench/slow_consumer.sh [RUNS]        (default: 3)
#
# It builds the release `mco` and the broker's `loadgen` example. For each run it starts
# a broker on a free loopback port and four probe pairs (a round trip through two queues
# every 10 ms each), waits 2 s, then runs `loadgen flood` twice: 100,000 messages of
# 256 bytes to a queue whose only consumer stopped reading, then the same to a topic.
# Per run it reports the broker's RSS before, its peak RSS (VmHWM) and RSS after, the
# probes' latency during the floods and before them (median, p99, max), and the broker's
# counters; then the median of each over the runs.
RUNS=${1:-3}
source "$(dirname "${BASH_SOURCE[0]}")/broker_load.sh"

for n in $(seq "$RUNS"); do
  d="$RUN/$n"
  mkdir -p "$d"
  start_broker "$d"
  start_probe "$d"
  sleep 2
  grep VmRSS "/proc/$BROKER/status" > "$d/rss.before"
  "$LOAD" --addr "$ADDR" flood --dest /queue/flood > "$d/flood"
  "$LOAD" --addr "$ADDR" flood --dest /topic/flood >> "$d/flood"
  sleep 1
  kill "$PROBE"
  grep -E 'VmHWM|VmRSS' "/proc/$BROKER/status" > "$d/rss.after"
  python3 - "$d" "$ADMIN" <<'PY' | tee -a "$RUN/results"
import json, re, sys, urllib.request
d, admin = sys.argv[1:]
floods = [dict(kv.split("=") for kv in l.split()[1:]) for l in open(f"{d}/flood")]
probe = [tuple(map(int, l.split())) for l in open(f"{d}/probe") if len(l.split()) == 2]
start = min(int(f["start_ms"]) for f in floods)
during = sorted(us for at, us in probe if any(int(f["start_ms"]) <= at <= int(f["end_ms"]) for f in floods))
before = sorted(us for at, us in probe if at < start)
metrics = urllib.request.urlopen(f"http://{admin}/metrics").read().decode()
def metric(name):
    m = re.search(rf"^marionette_broker_{name} (\d+)$", metrics, re.M)
    return int(m.group(1)) if m else 0
kib = lambda path, key: int(re.search(rf"{key}:\s+(\d+)", open(path).read()).group(1))
pct = lambda xs, p: xs[int((len(xs) - 1) * p)] / 1000
print(json.dumps({
    "flood_s": sum(int(f["end_ms"]) - int(f["start_ms"]) for f in floods) / 1000,
    "round_trips": len(during),
    "median_ms": pct(during, 0.5),
    "p99_ms": pct(during, 0.99),
    "max_ms": during[-1] / 1000,
    "before_median_ms": pct(before, 0.5),
    "rss_before_mib": kib(f"{d}/rss.before", "VmRSS") / 1024,
    "peak_rss_mib": kib(f"{d}/rss.after", "VmHWM") / 1024,
    "rss_after_mib": kib(f"{d}/rss.after", "VmRSS") / 1024,
    "cut": metric("slow_consumers_cut_total"),
    "held": metric("held_messages"),
    "dropped": metric("messages_dropped_queue_full_total"),
    "outbound_peak_bytes": metric("outbound_peak_bytes"),
}))
PY
  stop_broker
done

python3 - "$RUN/results" <<'PY'
import json, statistics, sys
runs = [json.loads(l) for l in open(sys.argv[1])]
print(f"medians of {len(runs)} runs:")
for k in runs[0]:
    print(f"  {k:<20} {statistics.median(r[k] for r in runs):12.2f}")
PY

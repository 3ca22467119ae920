#!/usr/bin/env bash
# Held-message memory: 4 MB messages without `expires` to queues that nobody consumes,
# from PRODUCERS connections at once, twice as many bytes as the broker's held-bytes
# bound (256 MiB by default), against `mco broker` with its default bounds.
#
#   bash bench/held_flood.sh [RUNS] [MESSAGES] [PRODUCERS]   (default: 3, 128, 8)
#
# Per run it reports the broker's RSS before, its peak (VmHWM) and RSS after, the bytes
# the queues hold by the broker's own account (`held_bytes`), and the messages dropped at
# the bound; then the median of each over the runs. The overhead is RSS after minus RSS
# before minus held bytes.
RUNS=${1:-3}
MESSAGES=${2:-128}
PRODUCERS=${3:-8}
source "$(dirname "${BASH_SOURCE[0]}")/broker_load.sh"

for n in $(seq "$RUNS"); do
  d="$RUN/$n"
  mkdir -p "$d"
  start_broker "$d"
  sleep 1
  grep VmRSS "/proc/$BROKER/status" > "$d/rss.before"
  producers=()
  for p in $(seq "$PRODUCERS"); do
    "$LOAD" --addr "$ADDR" held --messages $((MESSAGES / PRODUCERS)) > "$d/held.$p" &
    producers+=($!)
  done
  wait "${producers[@]}"
  sleep 2
  grep -E 'VmHWM|VmRSS' "/proc/$BROKER/status" > "$d/rss.after"
  python3 - "$d" "$ADMIN" <<'PY' | tee -a "$RUN/results"
import json, re, sys, urllib.request
d, admin = sys.argv[1:]
metrics = urllib.request.urlopen(f"http://{admin}/metrics").read().decode()
def metric(name):
    m = re.search(rf"^marionette_broker_{name} (\d+)$", metrics, re.M)
    return int(m.group(1)) if m else 0
kib = lambda path, key: int(re.search(rf"{key}:\s+(\d+)", open(path).read()).group(1))
before = kib(f"{d}/rss.before", "VmRSS")
after = kib(f"{d}/rss.after", "VmRSS")
held = metric("held_bytes") // 1024
print(json.dumps({
    "rss_before_mib": round(before / 1024, 1),
    "rss_peak_mib": round(kib(f"{d}/rss.after", "VmHWM") / 1024, 1),
    "rss_after_mib": round(after / 1024, 1),
    "held_mib": round(held / 1024, 1),
    "overhead_mib": round((after - before - held) / 1024, 1),
    "dropped": metric("messages_dropped_queue_full_total"),
}))
PY
  stop_broker
done
python3 - "$RUN/results" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
for key in rows[0]:
    xs = [r[key] for r in rows]
    print(f"{key}: median {statistics.median(xs)} min {min(xs)} max {max(xs)}")
PY

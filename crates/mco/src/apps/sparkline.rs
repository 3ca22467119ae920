//! `mco puppet summary`'s figures: for one output of `last_run_summary`, a sparkline of
//! the values in twenty buckets and their minimum, average and maximum, shortened
//! (`1.2k`, `3.4m`), as the puppet application prints them.

use super::output;
use marionette_client::RpcResult;
use marionette_client::sprintf;
use marionette_wire::Value;

/// The bars, lowest first.
const TICKS: [&str; 7] = ["▁", "▂", "▃", "▄", "▅", "▆", "▇"];
/// How many buckets the values are spread over.
const BUCKETS: usize = 20;

/// One bar per bucket, scaled to the fullest; all bars lowest when the counts are equal.
pub fn spark(histogram: &[usize]) -> String {
    let max = histogram.iter().copied().max().unwrap_or(0);
    let min = histogram.iter().copied().min().unwrap_or(0);
    if max == min {
        return TICKS[0].repeat(histogram.len());
    }
    let distance = max as f64 / (TICKS.len() - 1) as f64;
    histogram
        .iter()
        .map(|&v| {
            let mut tick = (v as f64 / distance).round() as usize;
            // Something shows for a bucket with anything in it.
            if v > 0 && tick == 0 {
                tick = 1;
            }
            TICKS[tick.min(TICKS.len() - 1)]
        })
        .collect()
}

/// `1.5`, `12.3k`, `4.0m`, with Ruby's rounding.
pub fn shorten(n: f64) -> String {
    let (value, format) = if n >= 1_000_000.0 {
        (n / 1_000_000.0, "%0.1fm")
    } else if n >= 1000.0 {
        (n / 1000.0, "%0.1fk")
    } else {
        (n, "%0.1f")
    };
    sprintf::format(format, &[Value::Float(value)]).unwrap_or_else(|_| "NaN".into())
}

/// The line for `field`: empty when no successful reply has a number for it.
pub fn sparkline(results: &[RpcResult], field: &str) -> String {
    let values: Vec<f64> = results
        .iter()
        .filter(|r| r.statuscode == 0)
        .filter_map(|r| match output(r, field) {
            Value::Int(i) => Some(*i as f64),
            Value::Float(f) => Some(*f),
            _ => None,
        })
        .collect();
    if values.is_empty() {
        return String::new();
    }
    let min = values.iter().copied().fold(f64::INFINITY, f64::min);
    let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let average = values.iter().sum::<f64>() / values.len() as f64;
    let mut buckets = [0usize; BUCKETS];
    if max != min {
        let size = (max - min) / BUCKETS as f64 + 1.0;
        for v in &values {
            let bucket = ((v - min) / size) as usize;
            buckets[bucket.min(BUCKETS - 1)] += 1;
        }
    }
    let pad = |s: String| format!("{s:<6}");
    format!(
        "{}  min: {} avg: {} max: {}",
        spark(&buckets),
        pad(shorten(min)),
        pad(shorten(average)),
        pad(shorten(max))
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apps::testing::reply;

    fn result(sender: &str, code: i64, field: &str, v: Value) -> RpcResult {
        reply("last_run_summary", sender, code, "OK", vec![(field, v)])
    }

    #[test]
    fn sparks() {
        assert_eq!(spark(&[2, 2, 2]), "▁▁▁");
        assert_eq!(spark(&[0, 1, 6, 3]), "▁▂▇▄");
        assert_eq!(spark(&[0, 1, 100]), "▁▂▇");
    }

    #[test]
    fn shortened() {
        assert_eq!(shorten(12.0), "12.0");
        assert_eq!(shorten(1250.0), "1.2k");
        assert_eq!(shorten(1350.0), "1.4k");
        assert_eq!(shorten(2_500_000.0), "2.5m");
    }

    #[test]
    fn a_field_over_the_replies() {
        let results = [
            result("a", 0, "total_resources", Value::Int(10)),
            result("b", 0, "total_resources", Value::Int(30)),
            result("c", 0, "total_resources", Value::Float(20.5)),
            result("d", 1, "total_resources", Value::Int(1000)),
            result("e", 0, "total_resources", Value::Nil),
        ];
        assert_eq!(
            sparkline(&results, "total_resources"),
            "▇▁▁▁▁▇▁▁▁▁▇▁▁▁▁▁▁▁▁▁  min: 10.0   avg: 20.2   max: 30.0  "
        );
        assert_eq!(sparkline(&results, "total_time"), "");
        let same = [
            result("a", 0, "t", Value::Int(5)),
            result("b", 0, "t", Value::Int(5)),
        ];
        assert_eq!(
            sparkline(&same, "t"),
            "▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁  min: 5.0    avg: 5.0    max: 5.0   "
        );
    }
}

//! What the Puppet agent's files say: whether it is disabled (and why), applying a
//! catalog, running as a daemon; its last run summary and report logs; the resources it
//! manages. Every file is read with a size bound; a missing file means the plugin's
//! default (enabled, not applying, no summary).

use super::yaml::{self, Yaml};
use marionette_wire::Value;
use std::io::Read;
use std::path::{Path, PathBuf};

/// The largest state file read (summaries and reports included).
const MAX_FILE: u64 = yaml::MAX_BYTES as u64;
/// The most managed resources read from the resources file.
const MAX_RESOURCES: usize = 1_000_000;
/// The most log lines returned from a report.
const MAX_LOGS: usize = 10_000;

/// Where the Puppet agent keeps its state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Files {
    pub agent_disabled_lockfile: PathBuf,
    pub agent_catalog_run_lockfile: PathBuf,
    pub lastrunfile: PathBuf,
    pub lastrunreport: PathBuf,
    pub resourcefile: PathBuf,
    pub pidfile: PathBuf,
}

/// The setting names, as `puppet config print` and `plugin.puppet.*` know them.
pub const SETTINGS: [&str; 6] = [
    "agent_disabled_lockfile",
    "agent_catalog_run_lockfile",
    "lastrunfile",
    "lastrunreport",
    "resourcefile",
    "pidfile",
];

impl Files {
    /// The locations of a root Puppet 6+ agent installed from Puppet's packages.
    pub fn aio_defaults() -> Files {
        let state = Path::new("/opt/puppetlabs/puppet/cache/state");
        Files {
            agent_disabled_lockfile: state.join("agent_disabled.lock"),
            agent_catalog_run_lockfile: state.join("agent_catalog_run.lock"),
            lastrunfile: "/opt/puppetlabs/puppet/public/last_run_summary.yaml".into(),
            lastrunreport: state.join("last_run_report.yaml"),
            resourcefile: state.join("resources.txt"),
            pidfile: "/var/run/puppetlabs/agent.pid".into(),
        }
    }

    /// The file of setting `name` (one of [`SETTINGS`]).
    pub fn get_mut(&mut self, name: &str) -> Option<&mut PathBuf> {
        Some(match name {
            "agent_disabled_lockfile" => &mut self.agent_disabled_lockfile,
            "agent_catalog_run_lockfile" => &mut self.agent_catalog_run_lockfile,
            "lastrunfile" => &mut self.lastrunfile,
            "lastrunreport" => &mut self.lastrunreport,
            "resourcefile" => &mut self.resourcefile,
            "pidfile" => &mut self.pidfile,
            _ => return None,
        })
    }
}

/// A file's text, at most [`MAX_FILE`] bytes; `None` when it cannot be read.
pub fn read(path: &Path) -> Option<String> {
    let mut text = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_FILE).read_to_end(&mut text))
        .ok()?;
    Some(String::from_utf8_lossy(&text).into_owned())
}

/// Whether a process with the pid written in `path` runs.
fn pid_alive(path: &Path) -> bool {
    let Some(pid) = read(path).and_then(|t| t.trim().parse::<libc::pid_t>().ok()) else {
        return false;
    };
    // SAFETY: signal 0 only checks that the process exists.
    pid > 0 && unsafe { libc::kill(pid, 0) } == 0
}

/// The pid in the daemon's pidfile, when it runs.
pub fn daemon_pid(files: &Files) -> Option<libc::pid_t> {
    pid_alive(&files.pidfile)
        .then(|| read(&files.pidfile)?.trim().parse().ok())
        .flatten()
}

impl Files {
    pub fn disabled(&self) -> bool {
        self.agent_disabled_lockfile.exists()
    }

    /// The reason given when it was disabled ("" when enabled).
    pub fn lock_message(&self) -> String {
        read(&self.agent_disabled_lockfile)
            .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
            .and_then(|j| j.get("disabled_message")?.as_str().map(str::to_string))
            .unwrap_or_default()
    }

    /// A catalog is being applied: the run lock names a live process.
    pub fn applying(&self) -> bool {
        pid_alive(&self.agent_catalog_run_lockfile)
    }

    pub fn daemon_present(&self) -> bool {
        pid_alive(&self.pidfile)
    }

    /// The last run summary with the plugin's defaults: every section present, the
    /// resource counters 0 when missing.
    pub fn summary(&self) -> Yaml {
        let mut sections: Vec<(String, Yaml)> =
            ["changes", "time", "resources", "version", "events"]
                .iter()
                .map(|s| (s.to_string(), Yaml::Map(Vec::new())))
                .collect();
        if let Some(Ok(Yaml::Map(found))) = read(&self.lastrunfile).map(|t| yaml::parse(&t)) {
            for (k, v) in found {
                match sections.iter_mut().find(|(s, _)| *s == k) {
                    Some((_, slot)) => *slot = v,
                    None => sections.push((k, v)),
                }
            }
        }
        let mut resources: Vec<(String, Yaml)> = [
            "failed",
            "changed",
            "corrective_change",
            "total",
            "restarted",
            "out_of_sync",
        ]
        .iter()
        .map(|k| (k.to_string(), Yaml::Int(0)))
        .collect();
        if let Some((_, Yaml::Map(given))) = sections.iter().find(|(k, _)| k == "resources") {
            for (k, v) in given {
                match resources.iter_mut().find(|(r, _)| r == k) {
                    Some((_, slot)) => *slot = v.clone(),
                    None => resources.push((k.clone(), v.clone())),
                }
            }
        }
        if let Some((_, slot)) = sections.iter_mut().find(|(k, _)| k == "resources") {
            *slot = Yaml::Map(resources);
        }
        Yaml::Map(sections)
    }

    /// The resources Puppet manages (`file[/etc/motd]`, lower-case type).
    pub fn managed_resources(&self) -> Vec<String> {
        read(&self.resourcefile)
            .map(|t| t.lines().take(MAX_RESOURCES).map(str::to_string).collect())
            .unwrap_or_default()
    }

    /// Managed resources per type (`File`, `Apache::Vhost`), in order of appearance.
    pub fn type_distribution(&self) -> Vec<(String, i64)> {
        let mut counts: Vec<(String, i64)> = Vec::new();
        for line in self.managed_resources() {
            let kind = line.split('[').next().unwrap_or_default();
            let name = kind
                .split("::")
                .map(capitalize)
                .collect::<Vec<_>>()
                .join("::");
            match counts.iter_mut().find(|(k, _)| *k == name) {
                Some((_, n)) => *n += 1,
                None => counts.push((name, 1)),
            }
        }
        counts
    }

    /// The log lines of the last run report: `{time_utc, time, level, source, msg}`.
    pub fn last_run_logs(&self) -> Vec<Value> {
        let Some(Ok(report)) = read(&self.lastrunreport).map(|t| yaml::parse(&t)) else {
            return Vec::new();
        };
        let Some(Yaml::List(logs)) = report.get("logs") else {
            return Vec::new();
        };
        logs.iter()
            .take(MAX_LOGS)
            .map(|log| {
                let text = |k| match log.get(k) {
                    Some(Yaml::Str(s)) => s.clone(),
                    Some(Yaml::Int(i)) => i.to_string(),
                    _ => String::new(),
                };
                let time = rfc3339_seconds(&text("time")).unwrap_or(0);
                Value::Hash(vec![
                    (Value::str("time_utc"), Value::Int(time)),
                    (Value::str("time"), Value::Int(time)),
                    (Value::str("level"), Value::str(text("level"))),
                    (Value::str("source"), Value::str(text("source"))),
                    (Value::str("msg"), Value::str(text("message").trim_end())),
                ])
            })
            .collect()
    }
}

/// Ruby's `String#capitalize`: the first letter upper-case, the rest lower-case.
fn capitalize(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first
            .to_uppercase()
            .chain(chars.flat_map(char::to_lowercase))
            .collect(),
        None => String::new(),
    }
}

/// Unix seconds of `2019-09-18T14:07:05.843262744+00:00` (or with a space, or `Z`).
pub fn rfc3339_seconds(text: &str) -> Option<i64> {
    let t = text.trim();
    let num = |s: &str| s.parse::<i64>().ok();
    let (y, mo, d) = (num(t.get(0..4)?)?, num(t.get(5..7)?)?, num(t.get(8..10)?)?);
    let (h, mi, s) = (
        num(t.get(11..13)?)?,
        num(t.get(14..16)?)?,
        num(t.get(17..19)?)?,
    );
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || s > 60 {
        return None;
    }
    let rest = t.get(19..)?;
    let rest = rest
        .trim_start_matches(|c: char| c == '.' || c.is_ascii_digit())
        .trim();
    let offset = match rest {
        "" | "Z" | "UTC" => 0,
        _ => {
            let sign = match rest.as_bytes()[0] {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let digits: String = rest[1..].chars().filter(char::is_ascii_digit).collect();
            let oh = num(digits.get(0..2)?)?;
            let om = digits.get(2..4).and_then(num).unwrap_or(0);
            sign * (oh * 3600 + om * 60)
        }
    };
    // Days from the civil date (Howard Hinnant's algorithm).
    let y = if mo <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (mo + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + h * 3600 + mi * 60 + s - offset)
}

/// Seconds as the plugin words them: `2 days 3 hours 4 minutes 05 seconds`.
pub fn seconds_to_human(seconds: i64) -> String {
    let mut s = seconds;
    let days = s / 86_400;
    s -= 86_400 * days;
    let hours = s / 3600;
    s -= 3600 * hours;
    let minutes = s / 60;
    s -= 60 * minutes;
    if days > 1 {
        format!("{days} days {hours} hours {minutes} minutes {s:02} seconds")
    } else if days == 1 {
        format!("{days} day {hours} hours {minutes} minutes {s:02} seconds")
    } else if hours > 0 {
        format!("{hours} hours {minutes} minutes {s:02} seconds")
    } else if minutes > 0 {
        format!("{minutes} minutes {s:02} seconds")
    } else {
        format!("{s:02} seconds")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn human_durations() {
        assert_eq!(seconds_to_human(5), "05 seconds");
        assert_eq!(seconds_to_human(65), "1 minutes 05 seconds");
        assert_eq!(seconds_to_human(3661), "1 hours 1 minutes 01 seconds");
        assert_eq!(
            seconds_to_human(86_400 + 61),
            "1 day 0 hours 1 minutes 01 seconds"
        );
        assert_eq!(
            seconds_to_human(3 * 86_400),
            "3 days 0 hours 0 minutes 00 seconds"
        );
    }

    #[test]
    fn times() {
        assert_eq!(
            rfc3339_seconds("2019-09-18T14:07:05.843262744+00:00"),
            Some(1_568_815_625)
        );
        assert_eq!(
            rfc3339_seconds("2019-09-18 16:07:05 +02:00"),
            Some(1_568_815_625)
        );
        assert_eq!(rfc3339_seconds("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(rfc3339_seconds("2000-02-29T00:00:00Z"), Some(951_782_400));
        assert_eq!(rfc3339_seconds("yesterday"), None);
        assert_eq!(capitalize("apache"), "Apache");
    }

    proptest! {
        #[test]
        fn any_time_text_is_read_without_panic(text in "\\PC{0,40}") {
            let _ = rfc3339_seconds(&text);
        }
    }
}

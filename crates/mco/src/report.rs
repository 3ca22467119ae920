//! The one way out of `mco`: every command's result comes here, which prints an error as
//! its chain of causes in one or two lines (never a stack backtrace, whatever
//! `RUST_BACKTRACE` says) and exits with the command's status: 1 for a runtime failure,
//! 2 for bad usage (as clap's own usage errors). Also decides whether logs are coloured.

use std::fmt;
use std::io::{IsTerminal, Write};

/// How a command reports its failure.
#[derive(Debug, Clone, Copy)]
pub enum Style {
    /// A client command, in MCollective's words: a blank line, then "The APP application
    /// failed to run: …"; `-v` adds a line with each cause's detail.
    Client { app: &'static str, verbose: bool },
    /// Any other command: "mco NAME: …" on one line.
    Command(&'static str),
}

/// A command line that parses but cannot be used (exit status 2).
#[derive(Debug)]
pub struct Usage(pub String);

impl fmt::Display for Usage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Usage {}

/// Returns early from a command with a [`Usage`] error unless `cond` holds.
macro_rules! ensure_usage {
    ($cond:expr, $($arg:tt)+) => {
        let holds: bool = $cond;
        if !holds {
            return Err($crate::report::Usage(format!($($arg)+)).into());
        }
    };
}
pub(crate) use ensure_usage;

/// Makes a panic one line on stderr, never a backtrace: "mco: internal error: …" with
/// where it happened. A command whose output pipe was closed (`mco … | head`) ends
/// quietly with status 141, as a program killed by SIGPIPE does.
pub fn quiet_panics() {
    std::panic::set_hook(Box::new(|info| {
        let payload = info.payload();
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".to_string());
        if message.contains("Broken pipe") {
            std::process::exit(141);
        }
        let place = info
            .location()
            .map(|l| format!(" ({}:{})", l.file(), l.line()))
            .unwrap_or_default();
        eprintln!("mco: internal error: {message}{place}");
    }));
}

/// The causes of `e` joined by ": ", as `{e:#}` prints them, but leaving out a cause
/// whose text its parent's message already ends with (an error that both prints its
/// source and returns it would otherwise say the same thing twice).
pub fn chain(e: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if line.is_empty() {
            line = text;
        } else if !line.ends_with(&text) {
            line.push_str(": ");
            line.push_str(&text);
        }
    }
    line
}

/// Each cause's own `Debug` form, outermost first: what `-v` adds.
fn detail(e: &anyhow::Error) -> String {
    e.chain()
        .map(|c| format!("{c:?}"))
        .collect::<Vec<_>>()
        .join(" <- ")
}

/// The exit status for a failure: 2 when it is bad usage, else 1.
fn failure_code(e: &anyhow::Error) -> i32 {
    if e.chain().any(|c| c.is::<Usage>()) {
        2
    } else {
        1
    }
}

/// Prints `e` in `style`; returns the exit status.
pub fn failure(style: Style, e: &anyhow::Error) -> i32 {
    let mut err = std::io::stderr().lock();
    let _ = match style {
        Style::Client { app, verbose } => {
            let _ = writeln!(err, "\nThe {app} application failed to run: {}", chain(e));
            if verbose {
                writeln!(err, "detail: {}", detail(e))
            } else {
                Ok(())
            }
        }
        Style::Command(name) => writeln!(err, "mco {name}: {}", chain(e)),
    };
    failure_code(e)
}

/// Flushes the output and exits with the command's status, or reports its error.
pub fn exit(style: Style, result: anyhow::Result<i32>) -> ! {
    let code = match result {
        Ok(code) => code,
        Err(e) => failure(style, &e),
    };
    let _ = std::io::stdout().flush();
    let _ = std::io::stderr().flush();
    std::process::exit(code)
}

/// Whether log lines on stderr may carry ANSI colour: only on a terminal, and never with
/// `NO_COLOR` set to anything but the empty string (<https://no-color.org>).
pub fn colour() -> bool {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    !no_color && std::io::stderr().is_terminal()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Doubled(std::io::Error);
    impl fmt::Display for Doubled {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "cannot listen: {}", self.0)
        }
    }
    impl std::error::Error for Doubled {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&self.0)
        }
    }

    #[test]
    fn a_cause_is_said_once() {
        let e = anyhow::Error::new(Doubled(std::io::Error::other("in use"))).context("broker");
        assert_eq!(chain(&e), "broker: cannot listen: in use");
        let e = anyhow::anyhow!("missing").context("cannot load x");
        assert_eq!(chain(&e), "cannot load x: missing");
    }

    #[test]
    fn usage_exits_2() {
        let e = anyhow::Error::new(Usage("bad".into())).context("analyze");
        assert_eq!(failure_code(&e), 2);
        assert_eq!(failure_code(&anyhow::anyhow!("x")), 1);
    }
}

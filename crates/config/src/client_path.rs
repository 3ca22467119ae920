//! Which file `mco` loads (`Applications.load_config`, `Util.config_file_for_user`): a
//! `-c`/`--config` given on the command line, else one found in `MCOLLECTIVE_EXTRA_OPTS`,
//! else the first readable of `~/.mcollective`, `/etc/puppetlabs/mcollective/client.cfg`
//! and `/etc/mcollective/client.cfg` (the first of them if none is readable).
//! `MCOLLECTIVE_EXTRA_OPTS` also holds default command-line options, which
//! [`extra_opts`] returns for the client's own option parser.

use std::path::{Path, PathBuf};

use crate::shellwords::{UnmatchedQuote, shellwords};

/// The words of `MCOLLECTIVE_EXTRA_OPTS`, parsed before the real command line.
pub fn extra_opts(env: impl Fn(&str) -> Option<String>) -> Result<Vec<String>, UnmatchedQuote> {
    env("MCOLLECTIVE_EXTRA_OPTS").map_or(Ok(Vec::new()), |s| shellwords(&s))
}

/// The config file named in `MCOLLECTIVE_EXTRA_OPTS`, as `filter_extra_options` and
/// Ruby's option parser find it. The first word that is `-c` or `--config` becomes
/// `--config=NEXT` (empty without a next word); the first that contains `-c=` or
/// `--config=` is kept as it is. That string is split into words again and its first
/// word read as an option: `--config=F` (or an abbreviation such as `--conf=F`) gives
/// `F`, `-cF` gives `F` (so `-c=F` gives `=F`). Unparsable contents give nothing, as
/// MCollective logs and ignores them.
fn extra_opts_config(env: impl Fn(&str) -> Option<String>) -> Option<String> {
    let words = extra_opts(env).ok()?;
    let filtered = words.iter().enumerate().find_map(|(i, word)| {
        if word == "-c" || word == "--config" {
            Some(format!(
                "--config={}",
                words.get(i + 1).map_or("", String::as_str)
            ))
        } else if word.contains("-c=") || word.contains("--config=") {
            Some(word.clone())
        } else {
            None
        }
    })?;
    let option = shellwords(&filtered).ok()?.into_iter().next()?;
    if let Some(long) = option.strip_prefix("--") {
        let (name, value) = long.split_once('=')?;
        (!name.is_empty() && "config".starts_with(name)).then(|| value.to_owned())
    } else {
        option.strip_prefix("-c").map(str::to_owned)
    }
}

/// The client configuration file: `cli_config` (`-c`/`--config` on the command line)
/// if given, else `MCOLLECTIVE_EXTRA_OPTS`'s, else the first of the standard locations
/// that `readable` accepts (`HOME` gives `~/.mcollective`; without `HOME` that candidate
/// is skipped). `None` when nothing names a file and no standard one is readable: the
/// caller may then use the embedded default ([`crate::localhost`]).
pub fn client_config_path(
    cli_config: Option<&str>,
    env: impl Fn(&str) -> Option<String>,
    readable: impl Fn(&Path) -> bool,
) -> Option<PathBuf> {
    if let Some(path) = cli_config {
        return Some(PathBuf::from(path));
    }
    if let Some(path) = extra_opts_config(&env) {
        return Some(PathBuf::from(path));
    }
    let mut candidates: Vec<PathBuf> = env("HOME")
        .map(|home| Path::new(&home).join(".mcollective"))
        .into_iter()
        .collect();
    candidates.push(PathBuf::from("/etc/puppetlabs/mcollective/client.cfg"));
    candidates.push(PathBuf::from("/etc/mcollective/client.cfg"));
    candidates.into_iter().find(|p| readable(p))
}

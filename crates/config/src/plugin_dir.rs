//! `plugin.d/`: `Config#read_plugin_config_dir`. Each file whose name matches MCollective's
//! `/^([\w]+).cfg$/` (ASCII word characters, any one character, then `cfg`) is read with
//! the usual `key = value` syntax, and each key is stored as `NAME.key`, overriding the
//! main file's `plugin.NAME.key`. Unknown keys are never an error here. Files are read in
//! name order (MCollective uses directory order, which is unspecified).

use std::collections::BTreeMap;
use std::path::Path;

use crate::error::{ConfigError, Origin};
use crate::read::read_config;
use crate::syntax;
use crate::syntax::Setting;

/// The plugin name a file name gives, if MCollective reads that file.
fn plugin_name(file_name: &str) -> Option<&str> {
    let stem = file_name.strip_suffix("cfg")?;
    let sep = stem.chars().next_back()?;
    let name = &stem[..stem.len() - sep.len_utf8()];
    let is_word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    (sep != '\n' && !name.is_empty() && name.chars().all(is_word)).then_some(name)
}

/// Reads every plugin file of `dir` into `plugins`; nothing happens if `dir` is not a
/// directory.
pub(crate) fn read(dir: &Path, plugins: &mut BTreeMap<String, Setting>) -> Result<(), ConfigError> {
    if !dir.is_dir() {
        return Ok(());
    }
    let io = |error| ConfigError::Io {
        path: dir.to_path_buf(),
        error,
    };
    let mut files = Vec::new();
    for dirent in std::fs::read_dir(dir).map_err(io)? {
        let file_name = dirent.map_err(io)?.file_name();
        let Some(file_name) = file_name.to_str() else {
            continue;
        };
        if let Some(name) = plugin_name(file_name) {
            files.push((file_name.to_owned(), name.to_owned()));
        }
    }
    files.sort();
    for (file_name, name) in files {
        let path = dir.join(&file_name);
        let text = read_config(&path)?;
        for entry in syntax::entries(&path, &text)? {
            let setting = Setting {
                value: entry.value.to_owned(),
                origin: Origin::file(&path, entry.line),
            };
            plugins.insert(format!("{name}.{}", entry.key), setting);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::plugin_name;

    #[test]
    fn file_names_follow_mcollectives_pattern() {
        assert_eq!(plugin_name("activemq.cfg"), Some("activemq"));
        assert_eq!(plugin_name("puppet_agent.cfg"), Some("puppet_agent"));
        assert_eq!(plugin_name("abcxcfg"), Some("abc"));
        assert_eq!(plugin_name("abccfg"), Some("ab"));
        assert_eq!(plugin_name("foo-bar.cfg"), None);
        assert_eq!(plugin_name(".cfg"), None);
        assert_eq!(plugin_name("x.cfg.bak"), None);
        assert_eq!(plugin_name("rpcutil.cfg~"), None);
        assert_eq!(plugin_name("été.cfg"), None);
        assert_eq!(plugin_name("cfg"), None);
    }
}

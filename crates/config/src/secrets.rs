//! The files that hold this configuration's secrets (`plugin.psk`, a broker password):
//! each one readable by its group or by everyone is named in a warning with its mode.

use crate::config::Config;
use crate::error::Origin;
use marionette_net::secret_file::{Exposure, warn_if_exposed};
use std::path::PathBuf;

impl Config {
    /// Warns about every file holding a secret setting that others than its owner may
    /// read, and returns them.
    pub fn warn_exposed_secrets(&self) -> Vec<(PathBuf, Exposure)> {
        let mut files: Vec<&PathBuf> = self
            .plugins
            .iter()
            .filter(|(key, _)| key.as_str() == "psk" || key.ends_with(".password"))
            .filter_map(|(_, setting)| match &setting.origin {
                Origin::File { path, .. } => Some(path),
                Origin::Env(_) => None,
            })
            .collect();
        files.sort();
        files.dedup();
        files
            .into_iter()
            .map(|path| {
                (
                    path.clone(),
                    warn_if_exposed(path, "PSK or broker password"),
                )
            })
            .filter(|(_, e)| *e != Exposure::Private)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn names_readable_files_with_secrets() {
        let dir = std::env::temp_dir().join(format!("mco-secrets-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("plugin.d")).unwrap();
        let cfg = dir.join("server.cfg");
        std::fs::write(&cfg, "identity = n1\nplugin.psk = k\n").unwrap();
        let plugin = dir.join("plugin.d/activemq.cfg");
        std::fs::write(&plugin, "activemq.pool.1.password = p\n").unwrap();
        let mode = |p: &PathBuf, m| std::fs::set_permissions(p, std::fs::Permissions::from_mode(m));
        mode(&cfg, 0o644).unwrap();
        mode(&plugin, 0o640).unwrap();
        let c = Config::load_with_hostname(&cfg, "n1").unwrap();
        let got = c.warn_exposed_secrets();
        assert_eq!(
            got,
            vec![
                (plugin.clone(), Exposure::Group(0o640)),
                (cfg.clone(), Exposure::Others(0o644)),
            ]
        );
        mode(&cfg, 0o600).unwrap();
        mode(&plugin, 0o600).unwrap();
        assert!(c.warn_exposed_secrets().is_empty());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

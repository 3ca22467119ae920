//! Reading what the package tools print: `dpkg-query` and `rpm -q` status lines,
//! `dpkg --list`, `apt-get --simulate dist-upgrade` and `yum check-update`. The text is
//! command output, so every reader takes any bytes without panicking (proptest cases
//! below) and keeps at most [`MAX_OUTDATED`] outdated packages.

/// The most outdated packages a check reports.
pub const MAX_OUTDATED: usize = 10_000;

/// What a package tool says of one installed package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Installed {
    pub name: String,
    /// The full version as the tool writes it (`1:2.36-9`, or `2.36-9.el9` for rpm).
    pub ensure: String,
    pub epoch: String,
    pub version: String,
    pub release: String,
    pub arch: String,
}

/// `dpkg-query -W -f='${Status}\t${Package}\t${Version}\t${Architecture}\n'`: the first
/// line whose status is `installed`, or `None` (not installed, only its configuration
/// files left, or not known at all).
pub fn dpkg_status(text: &str) -> Option<Installed> {
    text.lines().find_map(|line| {
        let mut fields = line.split('\t');
        let (status, name, full, arch) = (
            fields.next()?,
            fields.next()?,
            fields.next()?,
            fields.next()?,
        );
        if status.split_whitespace().nth(2) != Some("installed") || full.is_empty() {
            return None;
        }
        let (epoch, rest) = match full.split_once(':') {
            Some((e, rest)) if !e.is_empty() && e.bytes().all(|b| b.is_ascii_digit()) => (e, rest),
            _ => ("0", full),
        };
        let (version, release) = rest.rsplit_once('-').unwrap_or((rest, ""));
        Some(Installed {
            name: name.to_string(),
            ensure: full.to_string(),
            epoch: epoch.to_string(),
            version: version.to_string(),
            release: release.to_string(),
            arch: arch.to_string(),
        })
    })
}

/// `rpm -q --qf '%{NAME}\t%{EPOCH}\t%{VERSION}\t%{RELEASE}\t%{ARCH}\n'` (epoch `(none)`
/// or a number): the last package listed (the newest of several installed versions).
pub fn rpm_status(text: &str) -> Option<Installed> {
    text.lines().rev().find_map(|line| {
        let f: Vec<&str> = line.split('\t').collect();
        let [name, epoch, version, release, arch] = f[..] else {
            return None;
        };
        if name.is_empty() || version.is_empty() {
            return None;
        }
        let epoch = if epoch.bytes().all(|b| b.is_ascii_digit()) && !epoch.is_empty() {
            epoch
        } else {
            "0"
        };
        let vr = if release.is_empty() {
            version.to_string()
        } else {
            format!("{version}-{release}")
        };
        let ensure = if epoch == "0" {
            vr
        } else {
            format!("{epoch}:{vr}")
        };
        Some(Installed {
            name: name.to_string(),
            ensure,
            epoch: epoch.to_string(),
            version: version.to_string(),
            release: release.to_string(),
            arch: arch.to_string(),
        })
    })
}

/// The lines of `dpkg --list` for installed packages (`ii`), which `count` counts and
/// `md5` digests (joined with newlines), as the plugin does.
pub fn dpkg_installed_lines(text: &str) -> Vec<&str> {
    text.split('\n').filter(|l| l.starts_with("ii")).collect()
}

/// The non-empty lines of `rpm -qa`.
pub fn rpm_count(text: &str) -> usize {
    text.split('\n').filter(|l| !l.is_empty()).count()
}

/// One package with an update.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outdated {
    pub package: String,
    pub version: String,
    pub repo: String,
}

/// `Inst NAME [CURRENT] (NEW REPO...)` lines of `apt-get --simulate dist-upgrade`
/// (packages not yet installed have no `[CURRENT]` and are not updates).
pub fn apt_outdated(text: &str) -> Vec<Outdated> {
    text.lines()
        .filter_map(|line| {
            let rest = line.strip_prefix("Inst ")?;
            let (name, rest) = rest.split_once(" [")?;
            let (_, rest) = rest.split_once("] (")?;
            let (inside, _) = rest.split_once(')')?;
            let (version, repo) = inside.split_once(char::is_whitespace)?;
            if name.is_empty() || version.is_empty() || repo.is_empty() {
                return None;
            }
            Some(Outdated {
                package: name.trim().to_string(),
                version: version.trim().to_string(),
                repo: repo.trim().to_string(),
            })
        })
        .take(MAX_OUTDATED)
        .collect()
}

/// `PACKAGE VERSION REPO` lines of `yum -q check-update`, up to "Obsoleting Packages".
pub fn yum_outdated(text: &str) -> Vec<Outdated> {
    text.trim()
        .lines()
        .take_while(|l| !l.to_ascii_lowercase().starts_with("obsoleting packages"))
        .filter_map(|line| {
            let mut f = line.split_whitespace();
            let (package, version, repo) = (f.next()?, f.next()?, f.next()?);
            Some(Outdated {
                package: package.to_string(),
                version: version.to_string(),
                repo: repo.to_string(),
            })
        })
        .take(MAX_OUTDATED)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn dpkg_lines() {
        let bash = dpkg_status("install ok installed\tbash\t5.2.15-2+b8\tamd64\n").unwrap();
        assert_eq!(
            bash,
            Installed {
                name: "bash".into(),
                ensure: "5.2.15-2+b8".into(),
                epoch: "0".into(),
                version: "5.2.15".into(),
                release: "2+b8".into(),
                arch: "amd64".into(),
            }
        );
        let epoch = dpkg_status("install ok installed\tvim\t2:9.0.1378-2\tamd64").unwrap();
        assert_eq!(
            (
                epoch.epoch.as_str(),
                epoch.version.as_str(),
                epoch.release.as_str()
            ),
            ("2", "9.0.1378", "2")
        );
        assert_eq!(epoch.ensure, "2:9.0.1378-2");
        let native = dpkg_status("install ok installed\tadduser\t3.134\tall").unwrap();
        assert_eq!(
            (native.version.as_str(), native.release.as_str()),
            ("3.134", "")
        );
        assert_eq!(
            dpkg_status("deinstall ok config-files\tfoo\t1.0-1\tamd64\n"),
            None
        );
        assert_eq!(dpkg_status("unknown ok not-installed\tfoo\t\t\n"), None);
        assert_eq!(dpkg_status(""), None);
    }

    #[test]
    fn rpm_lines() {
        let p = rpm_status("bash\t(none)\t5.1.8\t9.el9\tx86_64\n").unwrap();
        assert_eq!(p.ensure, "5.1.8-9.el9");
        assert_eq!(p.epoch, "0");
        let p = rpm_status("kernel\t0\t5.14.0\t1.el9\tx86_64\nkernel\t1\t5.14.0\t2.el9\tx86_64\n")
            .unwrap();
        assert_eq!(p.ensure, "1:5.14.0-2.el9");
        assert_eq!(rpm_status("package foo is not installed\n"), None);
        assert_eq!(rpm_count("a-1\nb-2\n\n"), 2);
    }

    #[test]
    fn dpkg_list() {
        let text = "Desired=Unknown\n||/ Name\n+++-====\nii  a  1  all  x\nrc  b  2  all  y\nii  c  3  all  z\n";
        assert_eq!(
            dpkg_installed_lines(text),
            ["ii  a  1  all  x", "ii  c  3  all  z"]
        );
    }

    #[test]
    fn apt_and_yum_updates() {
        let apt = "Reading package lists...\n\
                   Inst bash [5.2.15-2+b8] (5.2.15-2+b13 Debian:12.15/oldstable [amd64])\n\
                   Inst newpkg (1.0 Debian:12 [amd64])\n\
                   Conf bash (5.2.15-2+b13 Debian:12.15/oldstable [amd64])\n";
        assert_eq!(
            apt_outdated(apt),
            [Outdated {
                package: "bash".into(),
                version: "5.2.15-2+b13".into(),
                repo: "Debian:12.15/oldstable [amd64]".into(),
            }]
        );
        let yum = "\nbash.x86_64   5.1.8-10.el9   baseos\nkernel.x86_64 5.14.0-3.el9 baseos\n\
                   Obsoleting Packages\nold.x86_64 1-1 baseos\n";
        let found = yum_outdated(yum);
        assert_eq!(found.len(), 2);
        assert_eq!(
            found[1],
            Outdated {
                package: "kernel.x86_64".into(),
                version: "5.14.0-3.el9".into(),
                repo: "baseos".into()
            }
        );
    }

    proptest! {
        #[test]
        fn any_text_is_read_without_panic(text in "\\PC{0,300}", tabs in proptest::collection::vec("[a-z0-9:.+~ -]{0,12}", 0..6)) {
            let joined = tabs.join("\t");
            for t in [text.as_str(), joined.as_str()] {
                let _ = dpkg_status(t);
                let _ = rpm_status(t);
                let _ = dpkg_installed_lines(t);
                let _ = rpm_count(t);
                prop_assert!(apt_outdated(t).len() <= MAX_OUTDATED);
                prop_assert!(yum_outdated(t).len() <= MAX_OUTDATED);
            }
        }

        #[test]
        fn dpkg_versions_split_back(epoch in proptest::option::of(1u32..100), up in "[0-9][a-z0-9.+~]{0,10}", rev in proptest::option::of("[a-z0-9.+~]{1,8}")) {
            let mut full = String::new();
            if let Some(e) = epoch { full.push_str(&format!("{e}:")); }
            full.push_str(&up);
            if let Some(r) = &rev { full.push('-'); full.push_str(r); }
            let p = dpkg_status(&format!("install ok installed\tp\t{full}\tall")).unwrap();
            prop_assert_eq!(&p.ensure, &full);
            prop_assert_eq!(p.version, up);
            prop_assert_eq!(p.release, rev.unwrap_or_default());
            prop_assert_eq!(p.epoch, epoch.map_or("0".to_string(), |e| e.to_string()));
        }
    }
}

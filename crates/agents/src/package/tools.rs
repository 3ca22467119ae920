//! The package tools of a node: dpkg and apt on the Debian family, rpm and yum (or dnf)
//! on the Red Hat family, found at their usual absolute paths, and one in-process lock
//! per family so that two actions of this node never run the manager at once.

use crate::RpcError;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::sync::{Mutex, MutexGuard};

pub const DPKG_QUERY: &str = "/usr/bin/dpkg-query";
pub const DPKG: &str = "/usr/bin/dpkg";
pub const APT_GET: &str = "/usr/bin/apt-get";
pub const YUM: &str = "/usr/bin/yum";
pub const DNF: &str = "/usr/bin/dnf";
const RPM: [&str; 2] = ["/usr/bin/rpm", "/bin/rpm"];

/// A family of package tools.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Family {
    /// dpkg-query for status, apt-get for changes.
    Debian,
    /// rpm for status, yum or dnf for changes.
    RedHat { rpm: PathBuf, yum: PathBuf },
}

impl Family {
    /// The provider name reported in `provider` (Puppet's default on each family).
    pub fn provider(&self) -> &'static str {
        match self {
            Family::Debian => "apt",
            Family::RedHat { yum, .. } if yum.ends_with("dnf") => "dnf",
            Family::RedHat { .. } => "yum",
        }
    }

    fn lock(&self) -> &'static Mutex<()> {
        static DEBIAN: Mutex<()> = Mutex::const_new(());
        static REDHAT: Mutex<()> = Mutex::const_new(());
        match self {
            Family::Debian => &DEBIAN,
            Family::RedHat { .. } => &REDHAT,
        }
    }

    /// Takes this family's in-process lock, waiting at most `wait`.
    pub async fn locked(&self, wait: Duration) -> Result<MutexGuard<'static, ()>, RpcError> {
        tokio::time::timeout(wait, self.lock().lock())
            .await
            .map_err(|_| {
                RpcError::Aborted(format!(
                    "the package manager is busy: another package action of this node still \
                     runs after {} s",
                    wait.as_secs()
                ))
            })
    }
}

/// The first of `paths` that exists.
fn first(paths: &[&str]) -> Option<PathBuf> {
    paths.iter().map(PathBuf::from).find(|p| p.exists())
}

/// The Red Hat tools, if rpm is installed (yum, else dnf, for changes).
pub fn redhat() -> Option<Family> {
    let rpm = first(&RPM)?;
    let yum = first(&[YUM, DNF]).unwrap_or_else(|| PathBuf::from(YUM));
    Some(Family::RedHat { rpm, yum })
}

/// The family of this machine: Debian when dpkg-query is installed, else Red Hat when
/// rpm is.
pub fn detect() -> Option<Family> {
    if Path::new(DPKG_QUERY).exists() {
        Some(Family::Debian)
    } else {
        redhat()
    }
}

/// Whether `name` may name a package (or a version): it starts with a letter or digit
/// and holds only letters, digits and `. + - _ : ~`, so it is never an option nor a
/// pattern.
pub fn valid_name(name: &str) -> bool {
    name.bytes()
        .next()
        .is_some_and(|b| b.is_ascii_alphanumeric())
        && name.bytes().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'.' | b'+' | b'-' | b'_' | b':' | b'~')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        for good in [
            "bash",
            "libc6",
            "g++",
            "python3.11",
            "kernel-core",
            "1:2.3-4",
            "0.9~rc1",
        ] {
            assert!(valid_name(good), "{good}");
        }
        for bad in [
            "", "-y", "--purge", "a b", "bash*", "a;b", "a/b", "$(x)", ".x",
        ] {
            assert!(!valid_name(bad), "{bad}");
        }
    }

    #[tokio::test]
    async fn the_lock_waits_then_refuses() {
        let family = Family::RedHat {
            rpm: "/bin/rpm".into(),
            yum: "/usr/bin/dnf".into(),
        };
        assert_eq!(family.provider(), "dnf");
        let held = family.locked(Duration::from_secs(1)).await.unwrap();
        let refused = family.locked(Duration::from_millis(50)).await.unwrap_err();
        assert_eq!(
            refused,
            RpcError::Aborted(
                "the package manager is busy: another package action of this node still runs \
                 after 0 s"
                    .into()
            )
        );
        drop(held);
        assert!(family.locked(Duration::from_millis(50)).await.is_ok());
    }
}

//! The `package` agent: `status`, `install`, `update`, `uninstall`, `purge` of one
//! package; `count` and `md5` of the installed set; `yum_clean`, `apt_update`,
//! `checkupdates`, `yum_checkupdates`, `apt_checkupdates`. Outputs, messages and status
//! codes are the plugin's (a failure it raises is status code 5 with its message).
//!
//! The tools are dpkg/apt on the Debian family and rpm/yum (or dnf) on the Red Hat
//! family ([`tools`]; `plugin.package.provider` may name one, the plugin's default
//! `puppet` means "detect"). Changes take the family's in-process lock, waiting at most
//! `plugin.package.lock_timeout` seconds (60), and apt is told to wait as long for
//! dpkg's own lock (`DPkg::Lock::Timeout`), so a second apt never starts into a locked
//! database. What the tools print is read by [`parse`].

pub mod parse;
pub mod tools;

use crate::input::Inputs;
use crate::process::{Argv, Output, run};
use crate::{Acting, LoadError, Reply, Request, RpcError, Standard, unknown_action};
use marionette_config::Config;
use marionette_ddl::InputType;
use marionette_wire::Value;
use marionette_wire::simplerpc::set;
use md5::{Digest, Md5};
use parse::Outdated;
use std::sync::Arc;
use std::time::Duration;
use tools::{APT_GET, DPKG, DPKG_QUERY, Family};

/// Bytes kept of a command's output that is parsed (package lists).
const LIST_CAPTURE: usize = 32 * 1024 * 1024;
/// Bytes kept of each output stream of a change (the last ones).
const ACTION_CAPTURE: usize = 1024 * 1024;
/// Bytes of a failed command's output quoted in its error.
const QUOTE: usize = 4096;

/// Which tools to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Provider {
    Auto,
    Debian,
    RedHat,
}

/// The `package` agent.
pub struct Package {
    provider: Provider,
    lock_timeout: Duration,
    yum_clean_mode: String,
}

impl Package {
    pub fn from_config(config: &Config) -> Result<Package, LoadError> {
        let setting = |message: String| LoadError::Setting {
            agent: "package",
            message,
        };
        let provider = match config.plugin("package.provider").map(str::trim) {
            None | Some("" | "puppet" | "auto") => Provider::Auto,
            Some("apt" | "dpkg" | "debian") => Provider::Debian,
            Some("yum" | "dnf" | "rpm" | "redhat") => Provider::RedHat,
            Some(other) => {
                return Err(setting(format!(
                    "plugin.package.provider = {other:?} is not one of apt, yum, dnf, puppet"
                )));
            }
        };
        let wait = config
            .plugin_int("package.lock_timeout", 60)
            .map_err(|source| LoadError::Config {
                agent: "package",
                source,
            })?;
        if !(0..=86_400).contains(&wait) {
            return Err(setting(format!(
                "plugin.package.lock_timeout = {wait} is not 0 to 86400 seconds"
            )));
        }
        Ok(Package {
            provider,
            lock_timeout: Duration::from_secs(wait as u64),
            yum_clean_mode: config
                .plugin("package.yum_clean_mode")
                .unwrap_or("all")
                .to_string(),
        })
    }

    fn family(&self) -> Option<Family> {
        match self.provider {
            Provider::Auto => tools::detect(),
            Provider::Debian => Some(Family::Debian),
            Provider::RedHat => tools::redhat(),
        }
    }
}

impl Standard for Package {
    fn name(&self) -> &'static str {
        "package"
    }

    fn call(self: Arc<Self>, request: Request, mut data: Value) -> Acting {
        Box::pin(async move {
            let outcome = match request.action.as_str() {
                "status" | "install" | "update" | "uninstall" | "purge" => {
                    self.package_action(&request, &mut data).await
                }
                "count" | "md5" => self.inventory(&request, &mut data).await,
                "yum_clean" => self.yum_clean(&request, &mut data).await,
                "apt_update" => self.apt_update(&request, &mut data).await,
                "checkupdates" | "yum_checkupdates" | "apt_checkupdates" => {
                    self.checkupdates(&request, &mut data).await
                }
                _ => return unknown_action("package", &request, data),
            };
            Reply { data, outcome }
        })
    }
}

/// Runs `argv` for `request`; a command that cannot run or times out fails with 5.
async fn exec(argv: &Argv, request: &Request, capture: usize) -> Result<Output, RpcError> {
    run(
        argv,
        request.command_limit(),
        capture,
        request.stopping.clone(),
    )
    .await
    .map_err(|e| RpcError::Unknown(e.to_string()))
}

fn raise(message: impl Into<String>) -> RpcError {
    RpcError::Unknown(message.into())
}

/// `apt-get` with the options every change gets.
fn apt(lock_wait: Duration) -> Argv {
    Argv::new(APT_GET)
        .env("DEBIAN_FRONTEND", "noninteractive")
        .env("APT_LISTCHANGES_FRONTEND", "none")
        .args(["-q", "-y", "-o"])
        .arg(format!("DPkg::Lock::Timeout={}", lock_wait.as_secs()))
        .args([
            "-o",
            "Dpkg::Options::=--force-confdef",
            "-o",
            "Dpkg::Options::=--force-confold",
        ])
}

impl Package {
    /// What the tools say of `name`: `Some` when installed.
    async fn query(
        &self,
        family: &Family,
        name: &str,
        request: &Request,
    ) -> Result<Option<parse::Installed>, RpcError> {
        let argv = match family {
            Family::Debian => Argv::new(DPKG_QUERY).args([
                "-W",
                "-f=${Status}\t${Package}\t${Version}\t${Architecture}\n",
                "--",
                name,
            ]),
            Family::RedHat { rpm, .. } => Argv::new(rpm).args([
                "-q",
                "--qf",
                "%{NAME}\t%{EPOCH}\t%{VERSION}\t%{RELEASE}\t%{ARCH}\n",
                name,
            ]),
        };
        let out = exec(&argv, request, LIST_CAPTURE).await?;
        let text = out.stdout.text();
        Ok(match family {
            Family::Debian => parse::dpkg_status(&text),
            Family::RedHat { .. } => parse::rpm_status(&text),
        })
    }

    /// Sets the status outputs for `name`; true when installed.
    async fn fill_status(
        &self,
        family: &Family,
        name: &str,
        request: &Request,
        data: &mut Value,
    ) -> Result<bool, RpcError> {
        set(data, "provider", Value::str(family.provider()));
        match self.query(family, name, request).await? {
            Some(p) => {
                set(data, "name", Value::str(p.name));
                set(data, "ensure", Value::str(p.ensure));
                set(data, "epoch", Value::str(p.epoch));
                set(data, "version", Value::str(p.version));
                set(data, "release", Value::str(p.release));
                set(data, "arch", Value::str(p.arch));
                Ok(true)
            }
            None => {
                set(data, "name", Value::str(name));
                set(data, "ensure", Value::str("absent"));
                Ok(false)
            }
        }
    }

    async fn package_action(&self, request: &Request, data: &mut Value) -> Result<(), RpcError> {
        let inputs = Inputs(&request.inputs);
        let Some(name) = inputs.string("package") else {
            return Err(RpcError::MissingData("missing input package".into()));
        };
        let version = inputs.string("version");
        for given in std::iter::once(name).chain(version) {
            if !tools::valid_name(given) {
                return Err(RpcError::InvalidData(format!(
                    "{given} is not a valid package name or version"
                )));
            }
        }
        let family = self
            .family()
            .ok_or_else(|| raise("Cannot find a package manager (dpkg or rpm)"))?;
        let action = request.action.as_str();
        if action == "status" {
            self.fill_status(&family, name, request, data).await?;
            return Ok(());
        }
        let wait = self.lock_timeout.min(request.command_limit());
        let _held = family.locked(wait).await?;
        let installed = self.fill_status(&family, name, request, data).await?;
        match (action, installed) {
            ("install", true) if version.is_none() => {
                return Err(raise("Package is already installed"));
            }
            ("update" | "uninstall" | "purge", false) => {
                return Err(raise("Package is not present on the system"));
            }
            _ => {}
        }
        let argv = match &family {
            Family::Debian => {
                let target = version.map_or(name.to_string(), |v| format!("{name}={v}"));
                let apt = apt(wait);
                match action {
                    "install" => apt.args(["install", "--", &target]),
                    "update" => apt.args(["install", "--only-upgrade", "--", name]),
                    "uninstall" => apt.args(["remove", "--", name]),
                    _ => apt.args(["purge", "--", name]),
                }
            }
            Family::RedHat { rpm, yum } => {
                let target = version.map_or(name.to_string(), |v| format!("{name}-{v}"));
                let yum = Argv::new(yum).args(["-y", "-d", "0", "-e", "0"]);
                match action {
                    "install" => yum.args(["install", &target]),
                    "update" => yum.args(["update", name]),
                    "uninstall" => Argv::new(rpm).args(["-e", name]),
                    _ => yum.args(["remove", name]),
                }
            }
        };
        tracing::info!(
            package = name,
            command = argv.display(),
            caller = request.caller,
            "package {action}"
        );
        let out = exec(&argv, request, ACTION_CAPTURE).await?;
        if !out.status.success() {
            let mut said = out.stdout.last(QUOTE);
            let err = out.stderr.last(QUOTE);
            if !err.is_empty() {
                said = if said.is_empty() {
                    err
                } else {
                    format!("{said}\n{err}")
                };
            }
            return Err(raise(format!(
                "Execution of '{}' returned {}: {said}",
                argv.display(),
                out.code()
            )));
        }
        self.fill_status(&family, name, request, data).await?;
        set(data, "output", Value::str(out.stdout.text()));
        Ok(())
    }

    /// `count` and `md5` of the installed packages, as the plugin computes them.
    async fn inventory(&self, request: &Request, data: &mut Value) -> Result<(), RpcError> {
        let count = request.action == "count";
        let family = self.family().ok_or_else(|| {
            raise(if count {
                "Cannot find a compatible package system to count packages"
            } else {
                "Cannot find a compatible package system to get a md5 of the package list"
            })
        })?;
        let (argv, tool) = match &family {
            Family::Debian => (Argv::new(DPKG).arg("--list"), "dpkg"),
            Family::RedHat { rpm, .. } => (Argv::new(rpm).arg("-qa"), "rpm"),
        };
        if !argv.program.exists() {
            return Err(raise(format!(
                "Cannot find {tool} at {}",
                argv.program.display()
            )));
        }
        let out = exec(&argv, request, LIST_CAPTURE).await?;
        if out.stdout.truncated() {
            return Err(raise(format!(
                "{tool} printed more than {LIST_CAPTURE} bytes"
            )));
        }
        if !out.status.success() {
            return Err(raise(format!(
                "{tool} command failed, exit code was {}",
                out.code()
            )));
        }
        let text = out.stdout.text();
        let result = match (&family, count) {
            (Family::Debian, true) => parse::dpkg_installed_lines(&text).len().to_string(),
            (Family::Debian, false) => {
                md5_hex(parse::dpkg_installed_lines(&text).join("\n").as_bytes())
            }
            (Family::RedHat { .. }, true) => parse::rpm_count(&text).to_string(),
            (Family::RedHat { .. }, false) => md5_hex(text.as_bytes()),
        };
        set(data, "exitcode", Value::Int(out.code().into()));
        set(data, "output", Value::str(result));
        Ok(())
    }

    async fn yum_clean(&self, request: &Request, data: &mut Value) -> Result<(), RpcError> {
        let mode = Inputs(&request.inputs)
            .string("mode")
            .unwrap_or(&self.yum_clean_mode);
        if !std::path::Path::new(tools::YUM).exists() {
            return Err(raise(format!("Cannot find yum at {}", tools::YUM)));
        }
        if !yum_clean_mode(mode) {
            return Err(raise(format!("Unsupported yum clean mode: {mode}")));
        }
        let family = self.family().unwrap_or(Family::RedHat {
            rpm: "/usr/bin/rpm".into(),
            yum: tools::YUM.into(),
        });
        let _held = family
            .locked(self.lock_timeout.min(request.command_limit()))
            .await?;
        let out = exec(
            &Argv::new(tools::YUM).args(["clean", mode]),
            request,
            ACTION_CAPTURE,
        )
        .await?;
        exit_and_output(&out, "Yum clean", data)
    }

    async fn apt_update(&self, request: &Request, data: &mut Value) -> Result<(), RpcError> {
        if !std::path::Path::new(APT_GET).exists() {
            return Err(raise(format!("Cannot find apt-get at {APT_GET}")));
        }
        let wait = self.lock_timeout.min(request.command_limit());
        let _held = Family::Debian.locked(wait).await?;
        let out = exec(&apt(wait).arg("update"), request, ACTION_CAPTURE).await?;
        exit_and_output(&out, "apt-get update", data)
    }

    async fn checkupdates(&self, request: &Request, data: &mut Value) -> Result<(), RpcError> {
        let yum_there = std::path::Path::new(tools::YUM).exists();
        let apt_there = std::path::Path::new(APT_GET).exists();
        let use_yum = match request.action.as_str() {
            "yum_checkupdates" if !yum_there => {
                return Err(raise(format!("Cannot find yum at {}", tools::YUM)));
            }
            "apt_checkupdates" if !apt_there => {
                return Err(raise(format!("Cannot find apt-get at {APT_GET}")));
            }
            "yum_checkupdates" => true,
            "apt_checkupdates" => false,
            _ if yum_there => true,
            _ if apt_there => false,
            _ => {
                return Err(raise(
                    "Cannot find a compatible package system to check updates",
                ));
            }
        };
        let (argv, manager) = if use_yum {
            (Argv::new(tools::YUM).args(["-q", "check-update"]), "yum")
        } else {
            (
                Argv::new(APT_GET)
                    .env("DEBIAN_FRONTEND", "noninteractive")
                    .args(["--simulate", "dist-upgrade"]),
                "apt",
            )
        };
        let out = exec(&argv, request, LIST_CAPTURE).await?;
        let text = out.stdout.text();
        set(data, "exitcode", Value::Int(out.code().into()));
        set(data, "output", Value::str(text.as_str()));
        set(data, "package_manager", Value::str(manager));
        if !use_yum && !out.status.success() {
            return Err(raise(format!(
                "Apt check-update failed, exit code was {}",
                out.code()
            )));
        }
        let outdated = if use_yum {
            parse::yum_outdated(&text)
        } else {
            parse::apt_outdated(&text)
        };
        set(
            data,
            "outdated_packages",
            Value::Array(outdated.iter().map(outdated_value).collect()),
        );
        Ok(())
    }
}

/// Sets `exitcode` and `output` from `out`; a failed exit is "WHAT failed, exit code
/// was N" (status 5), as the plugin raises it.
fn exit_and_output(out: &Output, what: &str, data: &mut Value) -> Result<(), RpcError> {
    set(data, "exitcode", Value::Int(out.code().into()));
    set(data, "output", Value::str(out.stdout.text()));
    if out.status.success() {
        Ok(())
    } else {
        Err(raise(format!(
            "{what} failed, exit code was {}",
            out.code()
        )))
    }
}

/// Whether `mode` is one of the clean modes `yum_clean`'s DDL lists (the configured
/// default is not checked by the DDL, so it is checked here).
fn yum_clean_mode(mode: &str) -> bool {
    let input = marionette_ddl::standard::by_name("package")
        .and_then(|ddl| ddl.action("yum_clean")?.input("mode").cloned());
    matches!(input.map(|i| i.kind), Some(InputType::List(modes))
        if modes.iter().any(|m| m.as_str() == Some(mode)))
}

fn outdated_value(o: &Outdated) -> Value {
    Value::Hash(vec![
        (Value::sym("package"), Value::str(o.package.as_str())),
        (Value::sym("version"), Value::str(o.version.as_str())),
        (Value::sym("repo"), Value::str(o.repo.as_str())),
    ])
}

fn md5_hex(bytes: &[u8]) -> String {
    marionette_wire::hex::encode(&Md5::digest(bytes))
}

#[cfg(test)]
mod tests;

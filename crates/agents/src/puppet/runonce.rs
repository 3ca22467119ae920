//! The arguments of a one-off Puppet run (`runonce`), checked as the plugin checks them:
//! environment and tag names, the server address, the splay limit. Each option is its
//! own argument (never a shell line).

use std::net::IpAddr;

/// What a `runonce` request asks for, after the splay rules are applied.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunOptions {
    pub noop: Option<bool>,
    pub environment: Option<String>,
    pub server: Option<String>,
    pub tags: Vec<String>,
    pub splay: Option<bool>,
    /// A number of seconds; the plugin refuses one that is not a whole number.
    pub splaylimit: Option<f64>,
    pub ignoreschedules: bool,
    pub use_cached_catalog: Option<bool>,
}

/// A single letter, or letters, digits and `_` (Puppet's names for environments and tag
/// parts).
pub fn valid_name(name: &str) -> bool {
    if name.len() == 1 {
        name.bytes().all(|b| b.is_ascii_alphabetic())
    } else {
        !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
    }
}

/// A host name (dot-separated labels of letters, digits and `-`, starting with a
/// letter), as the plugin's server check reads it.
fn valid_host(name: &str) -> bool {
    crate::nettest::is_hostname(name)
}

/// `host`, `host:port`, `[v6]:port` or a bare IPv6 address: the host and the port.
pub fn split_server(server: &str) -> (String, Option<String>) {
    if server.parse::<IpAddr>().is_ok_and(|ip| ip.is_ipv6()) {
        return (server.to_string(), None);
    }
    if let Some(inner) = server.strip_prefix('[')
        && let Some((host, rest)) = inner.split_once(']')
    {
        let port = rest.strip_prefix(':').map(str::to_string);
        return (host.to_string(), port);
    }
    match server.split_once(':') {
        Some((host, port)) if server.matches(':').count() == 1 => {
            (host.to_string(), Some(port.to_string()))
        }
        _ => (server.to_string(), None),
    }
}

/// The command-line options for `options`, or the plugin's message for a bad one.
pub fn arguments(options: &RunOptions) -> Result<Vec<String>, String> {
    let mut args = Vec::new();
    let (host, port) = match &options.server {
        Some(server) => {
            let (host, port) = split_server(server);
            let digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
            let ip = !digits(&host) && host.parse::<IpAddr>().is_ok();
            if !(ip || valid_host(&host)) {
                return Err(format!("The hostname '{host}' is not a valid hostname"));
            }
            if let Some(p) = &port
                && !digits(p)
            {
                return Err(format!("The port '{p}' is not a valid puppet master port"));
            }
            (Some(host), port)
        }
        None => (None, None),
    };
    if let Some(env) = &options.environment
        && !valid_name(env)
    {
        return Err(format!("Invalid environment '{env}' specified"));
    }
    let splaylimit = match options.splaylimit {
        Some(l) if l.fract() != 0.0 || !l.is_finite() || l < 0.0 => {
            return Err(format!("Invalid splaylimit '{l}' specified"));
        }
        Some(l) => Some(l as i64),
        None => None,
    };
    if !options.tags.is_empty() {
        for tag in &options.tags {
            if !tag.split("::").all(valid_name) {
                return Err(format!("Invalid tag '{tag}' specified"));
            }
        }
        args.push("--tags".to_string());
        args.push(options.tags.join(","));
    }
    match options.splay {
        Some(true) => args.push("--splay".into()),
        Some(false) => args.push("--no-splay".into()),
        None => {}
    }
    if let Some(l) = splaylimit {
        args.extend(["--splaylimit".to_string(), l.to_string()]);
    }
    match options.noop {
        Some(true) => args.push("--noop".into()),
        Some(false) => args.push("--no-noop".into()),
        None => {}
    }
    if let Some(env) = &options.environment {
        args.extend(["--environment".to_string(), env.clone()]);
    }
    if let Some(host) = host {
        args.extend(["--server".to_string(), host]);
    }
    if let Some(port) = port {
        args.extend(["--masterport".to_string(), port]);
    }
    if options.ignoreschedules {
        args.push("--ignoreschedules".into());
    }
    match options.use_cached_catalog {
        Some(true) => args.push("--use_cached_catalog".into()),
        Some(false) => args.push("--no-use_cached_catalog".into()),
        None => {}
    }
    Ok(args)
}

/// The options of a foreground one-off run, before the request's.
pub const FOREGROUND: [&str; 5] = [
    "--onetime",
    "--no-daemonize",
    "--color=false",
    "--show_diff",
    "--verbose",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_become_arguments() {
        let all = RunOptions {
            noop: Some(true),
            environment: Some("production".into()),
            server: Some("puppet.example.org:8141".into()),
            tags: vec!["apache".into(), "ntp::config".into()],
            splay: Some(true),
            splaylimit: Some(60.0),
            ignoreschedules: true,
            use_cached_catalog: Some(false),
        };
        assert_eq!(
            arguments(&all).unwrap(),
            [
                "--tags",
                "apache,ntp::config",
                "--splay",
                "--splaylimit",
                "60",
                "--noop",
                "--environment",
                "production",
                "--server",
                "puppet.example.org",
                "--masterport",
                "8141",
                "--ignoreschedules",
                "--no-use_cached_catalog"
            ]
        );
        assert_eq!(
            arguments(&RunOptions::default()).unwrap(),
            Vec::<String>::new()
        );
    }

    #[test]
    fn servers() {
        assert_eq!(split_server("h:1"), ("h".into(), Some("1".into())));
        assert_eq!(
            split_server("[::1]:8140"),
            ("::1".into(), Some("8140".into()))
        );
        assert_eq!(split_server("::1"), ("::1".into(), None));
        assert_eq!(split_server("h"), ("h".into(), None));
    }

    #[test]
    fn bad_options_are_refused_with_the_plugins_messages() {
        let bad = |o: RunOptions| arguments(&o).unwrap_err();
        assert_eq!(
            bad(RunOptions {
                environment: Some("prod-1".into()),
                ..Default::default()
            }),
            "Invalid environment 'prod-1' specified"
        );
        assert_eq!(
            bad(RunOptions {
                tags: vec!["a b".into()],
                ..Default::default()
            }),
            "Invalid tag 'a b' specified"
        );
        assert_eq!(
            bad(RunOptions {
                splaylimit: Some(1.5),
                ..Default::default()
            }),
            "Invalid splaylimit '1.5' specified"
        );
        assert_eq!(
            bad(RunOptions {
                server: Some("bad host:1".into()),
                ..Default::default()
            }),
            "The hostname 'bad host' is not a valid hostname"
        );
        assert_eq!(
            bad(RunOptions {
                server: Some("h:x1".into()),
                ..Default::default()
            }),
            "The port 'x1' is not a valid puppet master port"
        );
    }
}

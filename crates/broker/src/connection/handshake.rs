//! The CONNECT / STOMP handshake: version, credentials, heart-beats.
//!
//! [`authenticate`] settles who the connection is (its login, else its verified
//! certificate, else anonymous); [`accept`] the rest.

use super::refusal::Refusal;
use crate::auth::{Check, Principal};
use crate::config::BrokerConfig;
use crate::heartbeat::Heartbeat;
use crate::stats::{BadInput, Session};
use marionette_stomp::{Command, Frame, Version};

/// Versions this broker speaks, best last.
const SUPPORTED: [Version; 3] = [Version::V1_0, Version::V1_1, Version::V1_2];

/// A successful handshake.
#[derive(Debug, Clone)]
pub struct Accepted {
    pub version: Version,
    pub heartbeat: Heartbeat,
    pub session: Session,
    /// Who the connection is.
    pub principal: Principal,
    /// The CONNECTED frame to send.
    pub connected: Frame,
}

/// Who a CONNECT says it is, as far as a fast check can tell.
#[derive(Debug, PartialEq, Eq)]
pub enum Auth {
    Known(Principal),
    /// The password must be checked against an argon2 hash first.
    Hash {
        phc: String,
        principal: Principal,
    },
}

/// The refusal of a wrong login or password.
pub fn bad_login(frame: &Frame, login: &str) -> Refusal {
    Refusal::new(
        BadInput::BadCredentials,
        format!("User name [{login}] or password is invalid."),
    )
    .for_frame(frame)
}

/// Settles who the connection is: a CONNECT `login` must match its password; without
/// one, a verified client certificate's name is the identity; without either, the
/// connection is anonymous if the broker allows it.
pub fn authenticate(
    frame: &Frame,
    config: &BrokerConfig,
    certificate: Option<&str>,
) -> Result<Auth, Refusal> {
    version(frame)?;
    // A node login over a verified certificate keeps the login's groups but acts only
    // as the certificate's name: a shared node login must not let a node read another
    // node's directed requests. (A client's reply queues carry its configured identity,
    // which need not be its certificate's name.)
    let pin = |mut p: Principal| {
        if let Some(name) = certificate
            && p.in_group(crate::auth::GROUP_NODES)
            && !p.in_group(crate::auth::GROUP_ADMINS)
        {
            p.identities = vec![name.to_string()];
        }
        p
    };
    match (frame.get("login"), certificate) {
        (Some(login), _) => {
            let passcode = frame.get("passcode").unwrap_or("");
            match config.users.check_login(login, passcode) {
                Check::Valid(p) => Ok(Auth::Known(pin(p))),
                Check::Hash { phc, principal } => Ok(Auth::Hash {
                    phc,
                    principal: pin(principal),
                }),
                Check::Invalid => Err(bad_login(frame, login)),
            }
        }
        (None, Some(name)) => Ok(Auth::Known(config.users.certificate(name))),
        (None, None) if config.anonymous => Ok(Auth::Known(config.users.anonymous())),
        (None, None) => Err(Refusal::new(
            BadInput::BadCredentials,
            "Login required: this broker does not accept anonymous connections.",
        )
        .for_frame(frame)),
    }
}

/// Checks a CONNECT or STOMP frame from `principal` and builds the CONNECTED answer.
pub fn accept(
    frame: &Frame,
    config: &BrokerConfig,
    session_id: &str,
    principal: Principal,
) -> Result<Accepted, Refusal> {
    let version = version(frame)?;
    let login = frame.get("login");
    let (cx, cy) = match (version, frame.get("heart-beat")) {
        (Version::V1_0, _) | (_, None) => (0, 0),
        (_, Some(value)) => Heartbeat::parse_header(value).ok_or_else(|| {
            Refusal::new(
                BadInput::BadHeader,
                format!("heart-beat header {value:?} is not two comma-separated integers"),
            )
            .for_frame(frame)
        })?,
    };
    let heartbeat = if version == Version::V1_0 {
        Heartbeat::default()
    } else {
        Heartbeat::negotiate(config.heartbeat, cx, cy)
    };
    let connected = Frame::new(Command::Connected)
        .header("version", version.as_str())
        .header("server", concat!("marionette/", env!("CARGO_PKG_VERSION")))
        .header("session", session_id)
        .header("heart-beat", heartbeat.header());
    Ok(Accepted {
        version,
        heartbeat,
        session: Session {
            login: login.map(str::to_string),
            identity: Some(principal.name.clone()),
            groups: principal.groups.clone(),
            version: Some(version.as_str()),
            host: frame.get("host").map(str::to_string),
            heartbeat: (version != Version::V1_0).then_some(heartbeat),
        },
        principal,
        connected,
    })
}

/// The version a CONNECT gets, or its refusal.
fn version(frame: &Frame) -> Result<Version, Refusal> {
    negotiate_version(frame.get("accept-version")).ok_or_else(|| {
        Refusal::new(
            BadInput::UnsupportedVersion,
            "Supported protocol versions are 1.0,1.1,1.2",
        )
        .for_frame(frame)
    })
}

/// The highest version both sides speak; no `accept-version` means 1.0.
fn negotiate_version(accept: Option<&str>) -> Option<Version> {
    let Some(list) = accept else {
        return Some(Version::V1_0);
    };
    let offered: Vec<Version> = list.split(',').filter_map(Version::parse).collect();
    SUPPORTED.into_iter().rev().find(|v| offered.contains(v))
}

/// Whether a frame may open a connection.
pub fn is_connect(frame: &Frame) -> bool {
    matches!(frame.command, Command::Connect | Command::Stomp)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::HeartbeatPolicy;

    fn config() -> BrokerConfig {
        let mut c = BrokerConfig::new("127.0.0.1:0".parse().unwrap());
        c.users.insert("mcollective", "marionette");
        c
    }

    /// Authenticates with plain passwords, then accepts.
    fn accept(frame: &Frame, config: &BrokerConfig, sid: &str) -> Result<Accepted, Refusal> {
        match authenticate(frame, config, None)? {
            Auth::Known(p) => super::accept(frame, config, sid, p),
            Auth::Hash { .. } => panic!("no hashed passwords here"),
        }
    }

    fn connect(headers: &[(&str, &str)]) -> Frame {
        headers
            .iter()
            .fold(Frame::new(Command::Connect), |f, (k, v)| f.header(*k, *v))
    }

    #[test]
    fn versions() {
        assert_eq!(negotiate_version(None), Some(Version::V1_0));
        assert_eq!(negotiate_version(Some("1.0")), Some(Version::V1_0));
        assert_eq!(negotiate_version(Some("1.1,1.0")), Some(Version::V1_1));
        assert_eq!(negotiate_version(Some("1.0,1.1,1.2")), Some(Version::V1_2));
        assert_eq!(negotiate_version(Some("2.0")), None);
    }

    #[test]
    fn mcollective_daemon_with_heartbeats() {
        let f = connect(&[
            ("accept-version", "1.1,1.0"),
            ("host", "mcollective"),
            ("heart-beat", "30500,29500"),
            ("login", "mcollective"),
            ("passcode", "marionette"),
        ]);
        let a = accept(&f, &config(), "s-1").unwrap();
        assert_eq!(a.version, Version::V1_1);
        let got: Vec<_> = a.connected.headers.iter().collect();
        assert_eq!(
            got,
            vec![
                ("version", "1.1"),
                ("server", concat!("marionette/", env!("CARGO_PKG_VERSION"))),
                ("session", "s-1"),
                ("heart-beat", "29500,30500"),
            ]
        );
        assert_eq!(a.session.host.as_deref(), Some("mcollective"));
    }

    #[test]
    fn stomp_1_0_ignores_heartbeat() {
        let f = connect(&[
            ("login", "mcollective"),
            ("passcode", "marionette"),
            ("heart-beat", "x"),
        ]);
        let a = accept(&f, &config(), "s").unwrap();
        assert_eq!(a.version, Version::V1_0);
        assert_eq!(a.connected.get("heart-beat"), Some("0,0"));
        assert_eq!(a.heartbeat.send_every(), None);
    }

    #[test]
    fn refusals() {
        let c = config();
        let bad = accept(
            &connect(&[("login", "mcollective"), ("passcode", "x")]),
            &c,
            "s",
        );
        assert_eq!(bad.unwrap_err().kind, BadInput::BadCredentials);
        let anon = accept(&connect(&[]), &c, "s");
        assert_eq!(anon.unwrap_err().kind, BadInput::BadCredentials);
        let mut open = config();
        open.anonymous = true;
        assert!(accept(&connect(&[]), &open, "s").is_ok());
        let v = accept(
            &connect(&[("accept-version", "3.0"), ("receipt", "r")]),
            &c,
            "s",
        )
        .unwrap_err();
        assert_eq!(v.kind, BadInput::UnsupportedVersion);
        assert_eq!(v.to_frame().get("receipt-id"), Some("r"));
        let hb = accept(
            &connect(&[
                ("accept-version", "1.2"),
                ("login", "mcollective"),
                ("passcode", "marionette"),
                ("heart-beat", "1000"),
            ]),
            &c,
            "s",
        );
        assert_eq!(hb.unwrap_err().kind, BadInput::BadHeader);
    }

    #[test]
    fn fixed_policy_is_offered() {
        let mut c = config();
        c.heartbeat = HeartbeatPolicy::Fixed {
            send_ms: 5000,
            recv_ms: 7000,
        };
        let f = connect(&[
            ("accept-version", "1.2"),
            ("login", "mcollective"),
            ("passcode", "marionette"),
            ("heart-beat", "1000,1000"),
        ]);
        let a = accept(&f, &c, "s").unwrap();
        assert_eq!(a.connected.get("heart-beat"), Some("5000,7000"));
    }
}

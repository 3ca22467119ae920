//! Who a CONNECT is: a login is a password guess until its check settles, so it passes
//! the address's throttle first (failures and checks under way both count); argon2
//! checks run on blocking threads, a few at a time and within the CONNECT deadline; a
//! wrong password is answered after the address's back-off.

use super::{End, Refusal, handshake};
use crate::Shared;
use crate::abuse::Refused;
use crate::auth::Principal;
use crate::stats::{BadInput, ConnInfo};
use marionette_stomp::Frame;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// Settles who the connection is, or why it is refused.
pub async fn login(
    frame: &Frame,
    info: &ConnInfo,
    shared: &Shared,
    deadline: Instant,
    cancel: &CancellationToken,
) -> Result<Principal, End> {
    let certificate = info
        .tls
        .as_ref()
        .and_then(|t| t.client_certificate.as_deref());
    let ip = info.peer.ip();
    let attempt = match frame.get("login") {
        Some(_) => match shared.throttle.begin(ip) {
            Ok(attempt) => Some(attempt),
            Err(refused) => {
                shared
                    .metrics
                    .security
                    .logins_throttled
                    .fetch_add(1, Relaxed);
                let message = match refused {
                    Refused::Blocked(left) => format!(
                        "too many failed logins from {ip}: refused for another {} s",
                        left.as_secs() + 1
                    ),
                    Refused::Busy => {
                        format!("too many logins from {ip} under way: try again later")
                    }
                };
                return Err(End::Refused(
                    Refusal::new(BadInput::BadCredentials, message).for_frame(frame),
                ));
            }
        },
        None => None,
    };
    let refusal = match handshake::authenticate(frame, &shared.config, certificate) {
        Ok(handshake::Auth::Known(p)) => {
            if let Some(a) = attempt {
                a.succeeded();
            }
            return Ok(p);
        }
        Ok(handshake::Auth::Hash { phc, principal }) => {
            if hash_check(frame, shared, phc, deadline, cancel).await? {
                if let Some(a) = attempt {
                    a.succeeded();
                }
                return Ok(principal);
            }
            handshake::bad_login(frame, frame.get("login").unwrap_or_default())
        }
        Err(r) if r.kind == BadInput::BadCredentials && attempt.is_some() => r,
        Err(r) => return Err(End::Refused(r)),
    };
    shared.metrics.security.login_failures.fetch_add(1, Relaxed);
    let delay = attempt.map_or(Duration::ZERO, |a| a.failed());
    tokio::select! {
        _ = tokio::time::sleep(delay) => {}
        _ = tokio::time::sleep_until(deadline) => {}
        _ = cancel.cancelled() => return Err(End::Cancelled),
    }
    Err(End::Refused(refusal))
}

/// Runs one argon2 check on a blocking thread once one of the few check slots is free
/// (each check holds about 19 MiB while it runs), within the CONNECT deadline.
async fn hash_check(
    frame: &Frame,
    shared: &Shared,
    phc: String,
    deadline: Instant,
    cancel: &CancellationToken,
) -> Result<bool, End> {
    let permit = tokio::select! {
        p = shared.hash_checks.clone().acquire_owned() => p.ok(),
        _ = tokio::time::sleep_until(deadline) => None,
        _ = cancel.cancelled() => return Err(End::Cancelled),
    };
    let Some(permit) = permit else {
        return Err(End::Refused(
            Refusal::new(
                BadInput::ConnectTimeout,
                "broker busy: the password check cannot start within the CONNECT deadline",
            )
            .for_frame(frame),
        ));
    };
    let config = shared.config.clone();
    let login = frame.get("login").unwrap_or_default().to_string();
    let passcode = frame.get("passcode").unwrap_or_default().to_string();
    let check = tokio::task::spawn_blocking(move || {
        let _slot = permit;
        config.users.verify_hash(&login, &passcode, &phc)
    });
    Ok(check.await.unwrap_or(false))
}

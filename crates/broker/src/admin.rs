//! The HTTP admin endpoint: `/connections` (JSON), `/metrics` (Prometheus text),
//! `/healthz`, and `POST /connections/{id}/close`.
//!
//! With a token configured (mandatory beyond loopback) every route but `/healthz` needs
//! `Authorization: Bearer <token>`; a route that changes state is always a POST.

use crate::Shared;
use axum::Router;
use axum::extract::{Path, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Serialize;
use std::fmt::Write;
use std::sync::Arc;
use tokio::net::TcpListener;

/// The JSON document served at `/connections`.
#[derive(Serialize)]
struct ConnectionsDoc {
    connections: Vec<crate::stats::ConnectionView>,
}

/// Serves the admin endpoint until shutdown.
pub async fn serve(listener: TcpListener, shared: Arc<Shared>) {
    let shutdown = shared.shutdown.clone();
    let guarded = Router::new()
        .route("/connections", get(connections))
        .route("/connections/{id}/close", post(close))
        .route("/metrics", get(metrics))
        .route_layer(middleware::from_fn_with_state(shared.clone(), authorize));
    let app = guarded
        .route("/healthz", get(|| async { "ok\n" }))
        .with_state(shared);
    let result = axum::serve(listener, app)
        .with_graceful_shutdown(async move { shutdown.cancelled().await })
        .await;
    if let Err(e) = result {
        tracing::error!("admin endpoint stopped: {e}");
    }
}

/// Whether a `Host` or `Origin` value names this machine (a loopback address or
/// `localhost`), with or without a scheme and port.
fn is_local(value: &str) -> bool {
    let host = value
        .split_once("://")
        .map_or(value, |(_, rest)| rest)
        .trim_end_matches('/');
    let name = match host.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(""),
        None => host.rsplit_once(':').map_or(host, |(h, _)| h),
    };
    name == "localhost"
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Lets a request through when it carries the token, or, with no token configured (the
/// endpoint is then on loopback), when a browser did not send it from a page elsewhere
/// (`Origin`) and, for a POST, when it names this machine (`Host`), so that a web page can
/// neither make a browser change state here nor reach it through a DNS name of its own.
async fn authorize(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    let Some(token) = &shared.config.admin_token else {
        let post = request.method() == axum::http::Method::POST;
        let checked: &[header::HeaderName] = if post {
            &[header::HOST, header::ORIGIN]
        } else {
            &[header::ORIGIN]
        };
        let local = checked.iter().all(|name| {
            request
                .headers()
                .get(name)
                .is_none_or(|v| is_local(v.to_str().unwrap_or("")))
        });
        if local {
            return next.run(request).await;
        }
        return (StatusCode::FORBIDDEN, "not from this machine\n").into_response();
    };
    let given = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    if given.is_some_and(|g| token.matches(g)) {
        next.run(request).await
    } else {
        (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer")],
            "admin token required\n",
        )
            .into_response()
    }
}

async fn close(State(shared): State<Arc<Shared>>, Path(id): Path<u64>) -> impl IntoResponse {
    if shared.table.close(id) {
        tracing::info!(conn = id, "closed through the admin endpoint");
        (StatusCode::OK, format!("closed {id}\n"))
    } else {
        (StatusCode::NOT_FOUND, format!("no connection {id}\n"))
    }
}

async fn connections(State(shared): State<Arc<Shared>>) -> impl IntoResponse {
    axum::Json(ConnectionsDoc {
        connections: shared.table.snapshot(),
    })
}

async fn metrics(State(shared): State<Arc<Shared>>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        render_metrics(&shared),
    )
}

/// The Prometheus text exposition of every counter and gauge.
pub fn render_metrics(shared: &Shared) -> String {
    let mut out = String::new();
    let mut last = "";
    for (name, label, value) in shared.metrics.counters() {
        if name != last {
            let _ = writeln!(out, "# TYPE marionette_broker_{name} counter");
            last = name;
        }
        match label {
            Some(kind) => {
                let _ = writeln!(out, "marionette_broker_{name}{{kind=\"{kind}\"}} {value}");
            }
            None => {
                let _ = writeln!(out, "marionette_broker_{name} {value}");
            }
        }
    }
    last = "";
    for (name, labels, value) in shared.metrics.security.series() {
        if name != last {
            let _ = writeln!(out, "# TYPE marionette_broker_{name} counter");
            last = name;
        }
        if labels.is_empty() {
            let _ = writeln!(out, "marionette_broker_{name} {value}");
        } else {
            let _ = writeln!(out, "marionette_broker_{name}{{{labels}}} {value}");
        }
    }
    let gauges = shared.metrics.gauges();
    let connections = ("connections", shared.table.len() as u64);
    for (name, value) in std::iter::once(connections).chain(gauges) {
        let _ = writeln!(out, "# TYPE marionette_broker_{name} gauge");
        let _ = writeln!(out, "marionette_broker_{name} {value}");
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn local_names() {
        for yes in [
            "127.0.0.1:61680",
            "localhost",
            "[::1]:80",
            "http://localhost:1/",
        ] {
            assert!(super::is_local(yes), "{yes}");
        }
        for no in ["evil.example:61680", "http://evil.example", "10.0.0.1", ""] {
            assert!(!super::is_local(no), "{no}");
        }
    }
}

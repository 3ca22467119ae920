//! Registration: every `registerinterval` seconds the node announces its agents (the
//! `agentlist` plugin) on `/topic/C.registration.agent`, as a normal request from the
//! `registration` agent with reply-to `/queue/C.reply.<identity>_<pid>.0`.

use crate::handler::{Handler, unix_now};
use marionette_config::Config;
use marionette_connector::Rng;
use marionette_security::psk::RequestFields;
use marionette_stomp::{Command, Frame};
use marionette_wire::Value;
use marionette_wire::destinations::{Dialect, Message};
use marionette_wire::filter::Filter;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::{Instant, Interval, MissedTickBehavior};

pub struct Registration {
    interval: Option<Interval>,
    handler: Arc<Handler>,
    dialect: Dialect,
    collective: String,
    agents: Vec<String>,
    ttl: i64,
    /// The callerid of `plugin.psk.callertype`, as in every request this node sends.
    callerid: String,
}

impl Registration {
    pub fn new(
        config: &Config,
        dialect: Dialect,
        handler: Arc<Handler>,
        agents: Vec<String>,
    ) -> Registration {
        let interval = (config.registerinterval > 0
            && config.registration.eq_ignore_ascii_case("agentlist"))
        .then(|| {
            let period = Duration::from_secs(config.registerinterval as u64);
            let splay = if config.registration_splay {
                period.mul_f64(Rng::from_entropy().unit())
            } else {
                Duration::ZERO
            };
            let mut i = tokio::time::interval_at(Instant::now() + splay, period);
            i.set_missed_tick_behavior(MissedTickBehavior::Delay);
            i
        });
        Registration {
            interval,
            handler,
            dialect,
            collective: config
                .registration_collective
                .clone()
                .unwrap_or_else(|| config.main_collective.clone()),
            agents,
            ttl: config.ttl,
            callerid: config.psk_settings().callertype.callerid(&config.identity),
        }
    }

    /// Announces `agents` from now on (after a reload).
    pub fn set_agents(&mut self, agents: Vec<String>) {
        self.agents = agents;
    }

    /// Resolves at the next announcement; never when registration is off.
    pub async fn tick(&mut self) {
        match &mut self.interval {
            Some(i) => {
                i.tick().await;
            }
            None => std::future::pending().await,
        }
    }

    /// Sends one announcement.
    pub async fn send(&self) {
        let h = &self.handler;
        let now = unix_now();
        let requestid = match marionette_wire::requestid::generate() {
            Ok(id) => id,
            Err(e) => {
                tracing::warn!("registration skipped: no request id: {e}");
                return;
            }
        };
        let filter = Filter {
            agent: vec!["registration".into()],
            ..Filter::default()
        };
        let payload = Value::Array(self.agents.iter().map(Value::str).collect());
        let (_, body) = h.psk.seal_request(
            &payload,
            RequestFields {
                senderid: h.identity.clone(),
                requestid,
                filter: filter.to_value(),
                collective: self.collective.clone(),
                agent: "registration".into(),
                callerid: self.callerid.clone(),
                ttl: self.ttl,
                msgtime: now,
                shared: Default::default(),
            },
        );
        let reply_to = self.dialect.reply_to(
            &self.collective,
            &h.identity,
            std::process::id(),
            "0",
            "registration",
        );
        let message = Message::NodeRequest {
            reply_to: &reply_to,
        };
        let mut frame = Frame::new(Command::Send);
        for (name, value) in self.dialect.send_headers(message, now, self.ttl) {
            frame.headers.push(name, value);
        }
        let frame = frame
            .header("mc_sender", h.identity.as_str())
            .header(
                "destination",
                self.dialect.broadcast(&self.collective, "registration"),
            )
            .with_body(body);
        if let Err(e) = h.connector.send(frame).await {
            tracing::debug!("registration not sent: {e}");
        }
    }
}

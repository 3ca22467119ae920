//! One node at run time: its connection, subscriptions, request checks, agents and
//! registration, driven by an event loop that reloads and drains on request. The daemon
//! runs one; a fleet emulator runs many in one process.

use crate::agents::{self, Agent, Context};
use crate::authz::Authz;
use crate::checks::{self, Outcome};
use crate::guard::Guard;
use crate::handler::{Handler, unix_now};
use crate::registration::Registration;
use crate::stats::Stats;
use crate::{DaemonError, node, rpc};
use marionette_config::Config;
use marionette_connector::{Connector, Event, Settings, Subscription};
use marionette_ddl::Ddl;
use marionette_security::psk::{BodyEncoding, Psk};
use marionette_stomp::{Command, Frame};
use marionette_wire::destinations::{Dialect, NodeSubscription};
use marionette_wire::filter::{AgentMeta, FactMap, NodeInfo};
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use tokio::sync::{Semaphore, mpsc, watch};
use tokio::task::JoinSet;

/// Actions that may run at once; more wait their turn.
const MAX_RUNNING: usize = 64;
/// Requests that may wait for their turn besides those running; more are refused.
const MAX_WAITING: usize = 4 * MAX_RUNNING;
/// How long stopping waits for running actions unless `soft_shutdown_timeout` says.
pub const DEFAULT_DRAIN: Duration = Duration::from_secs(10);
/// How long actions told to stop get to send their replies before they are dropped.
const STOP_GRACE: Duration = Duration::from_secs(5);

/// What a running node can be asked to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    /// Reload facts, classes and external agents (SIGUSR1).
    Reload,
    /// Stop taking requests, drain running actions, disconnect.
    Stop,
}

/// Where a node's facts and classes come from.
pub enum NodeData {
    /// The configured fact source and classes file (reloadable), the standard agents
    /// the configuration activates, and the external agents in the configured libdirs.
    FromConfig,
    /// Given facts and classes, stock agents only (a simulated node: no standard agent
    /// acts on the machine for it).
    Fixed {
        facts: FactMap,
        classes: Vec<String>,
        /// Every request is answered this much later (a slow node of a fleet emulator).
        delay: Duration,
    },
}

/// The agents a node has loaded, with what filters and rpcutil read of them.
struct Loaded {
    agents: Vec<Arc<dyn Agent>>,
    /// The standard agents among them, kept as they are across reloads.
    standard: Vec<Arc<dyn Agent>>,
    ddls: Arc<Vec<Arc<Ddl>>>,
    meta: Vec<(String, AgentMeta)>,
}

impl Loaded {
    /// The stock agents, then (for a configured node) the activated standard ones (those
    /// of `previous` when reloading, so their state, such as shell jobs, lives on) and
    /// the external ones.
    fn load(config: &Config, data: &NodeData, previous: Option<&Loaded>) -> Loaded {
        let mut agents = agents::stock();
        let mut standard = Vec::new();
        if let NodeData::FromConfig = data {
            standard = match previous {
                Some(loaded) => loaded.standard.clone(),
                None => agents::standard::load(config),
            };
            agents.extend(standard.iter().cloned());
            let external = agents::external::load(config, &agents);
            agents.extend(external);
        }
        let ddls: Vec<Arc<Ddl>> = agents.iter().map(|a| a.ddl().clone()).collect();
        let meta = ddls
            .iter()
            .map(|d| (d.agent.clone(), rpc::agent_meta(d)))
            .collect();
        Loaded {
            agents,
            standard,
            ddls: Arc::new(ddls),
            meta,
        }
    }

    fn names(&self) -> Vec<String> {
        self.meta.iter().map(|(n, _)| n.clone()).collect()
    }
}

/// A started node.
pub struct Node {
    config: Arc<Config>,
    data: NodeData,
    handler: Arc<Handler>,
    events: mpsc::Receiver<Event>,
    info: Arc<NodeInfo>,
    loaded: Loaded,
    dialect: Dialect,
    multiplex: bool,
    registration: Registration,
    started: SystemTime,
    drain: Duration,
    stopping: watch::Sender<bool>,
}

impl Node {
    /// Checks the security settings, starts connecting with `settings` and subscribes (the
    /// connector replays the subscriptions on every connection).
    pub async fn start(
        config: Config,
        settings: Settings,
        data: NodeData,
    ) -> Result<Node, DaemonError> {
        if config.securityprovider != "psk" {
            return Err(DaemonError::Security(config.securityprovider.clone()));
        }
        let psk_key = config.psk_settings().psk.ok_or(DaemonError::NoPsk)?;
        let csettings = config.connector_settings()?;
        let drain = drain_timeout(&config)?;
        let stats = Arc::new(Stats::default());
        // Simulated nodes (many in one process) neither authorize nor audit: one audit
        // file cannot take many writers.
        let authz = match &data {
            NodeData::FromConfig => Authz::from_config(&config, &stats)?,
            NodeData::Fixed { .. } => Authz::off(),
        };
        let mut psk = Psk::new(psk_key);
        if csettings.base64 {
            psk.encoding = BodyEncoding::Base64;
        }
        let dialect = csettings.dialect;
        let multiplex = csettings.agents_multiplex;
        let loaded = Loaded::load(&config, &data, None);
        let info = Arc::new(match &data {
            NodeData::FromConfig => node::node_info(&config, &loaded.meta, None),
            NodeData::Fixed { facts, classes, .. } => NodeInfo {
                identity: config.identity.clone(),
                classes: classes.clone(),
                agents: loaded.meta.iter().cloned().collect(),
                facts: facts.clone(),
                collectives: config.collectives.clone(),
            },
        });
        let (connector, events) = Connector::start(settings)?;
        for s in subscriptions(&config, dialect, multiplex, &loaded.names()) {
            connector.subscribe(subscription(s)).await?;
        }
        let handler = Arc::new(Handler {
            psk,
            guard: Guard::new(&config),
            authz,
            dialect,
            identity: config.identity.clone(),
            ttl: config.ttl,
            stats,
            connector,
            running: Arc::new(Semaphore::new(MAX_RUNNING)),
            delay: match &data {
                NodeData::Fixed { delay, .. } => *delay,
                NodeData::FromConfig => Duration::ZERO,
            },
        });
        let registration = Registration::new(&config, dialect, handler.clone(), loaded.names());
        Ok(Node {
            config: Arc::new(config),
            data,
            handler,
            events,
            info,
            loaded,
            dialect,
            multiplex,
            registration,
            started: SystemTime::now(),
            drain,
            stopping: watch::channel(false).0,
        })
    }

    /// Serves requests until [`Control::Stop`] (or the connector gives up), then drains
    /// running actions (bounded) and disconnects.
    pub async fn serve(mut self, mut control: mpsc::Receiver<Control>) {
        tracing::info!(identity = self.config.identity, collectives = ?self.config.collectives, "node started");
        let mut tasks = JoinSet::new();
        loop {
            tokio::select! {
                event = self.events.recv() => match event {
                    Some(Event::Frame(frame)) if frame.command == Command::Message => {
                        self.dispatch(&frame, &mut tasks);
                    }
                    Some(Event::Error(frame)) => tracing::warn!("broker error: {}", frame.get("message").unwrap_or("")),
                    Some(Event::Connected { broker, version }) => tracing::debug!(%broker, %version, "session up"),
                    Some(Event::Disconnected { reason }) => tracing::warn!(%reason, "disconnected; reconnecting"),
                    Some(Event::GaveUp { reason }) => {
                        tracing::error!(%reason, "giving up on the middleware");
                        break;
                    }
                    Some(Event::Frame(_)) => {}
                    None => break,
                },
                Some(done) = tasks.join_next(), if !tasks.is_empty() => {
                    if let Err(e) = done {
                        tracing::error!("a request failed: {e}");
                    }
                }
                c = control.recv() => match c {
                    Some(Control::Reload) => self.reload().await,
                    Some(Control::Stop) | None => break,
                },
                _ = self.registration.tick() => self.registration.send().await,
            }
        }
        self.finish(tasks).await;
        self.handler.connector.close().await;
    }

    /// Checks one MESSAGE and, when accepted, runs it in `tasks`.
    fn dispatch(&self, frame: &Frame, tasks: &mut JoinSet<()>) {
        let h = &self.handler;
        let agents = &self.loaded.agents;
        let outcome = checks::check_request(
            &h.psk,
            &h.guard,
            &h.stats,
            agents,
            frame,
            &self.info,
            unix_now(),
        );
        let accepted = match outcome {
            Outcome::Accepted(accepted) => accepted,
            other => {
                if let Some(miss) = other.miss().cloned()
                    && tasks.len() < MAX_RUNNING + MAX_WAITING
                {
                    let h = h.clone();
                    tasks.spawn(async move { h.miss(miss).await });
                }
                return;
            }
        };
        if tasks.len() >= MAX_RUNNING + MAX_WAITING {
            tracing::warn!(
                requestid = accepted.request.requestid,
                agent = accepted.request.agent,
                "{} requests already running or waiting; not answering this one",
                tasks.len()
            );
            return;
        }
        let ctx = Context {
            node: self.info.clone(),
            config: self.config.clone(),
            stats: h.stats.clone(),
            started: self.started,
            agents: self.loaded.ddls.clone(),
            stopping: self.stopping.subscribe(),
        };
        let h = h.clone();
        tasks.spawn(async move { h.run(ctx, *accepted).await });
    }

    /// Stops taking requests: waits up to the drain timeout for running actions (their
    /// replies go out), then tells the rest to stop (external agents' processes are
    /// killed and their replies say so) and gives them a moment to answer.
    async fn finish(&self, mut tasks: JoinSet<()>) {
        async fn all(tasks: &mut JoinSet<()>) {
            while tasks.join_next().await.is_some() {}
        }
        if tasks.is_empty() {
            return;
        }
        let drain = self.drain;
        tracing::info!(
            identity = self.config.identity,
            "stopping: waiting up to {drain:?} for {} running actions",
            tasks.len()
        );
        if tokio::time::timeout(drain, all(&mut tasks)).await.is_ok() {
            return;
        }
        tracing::warn!(
            "{} actions still running after {drain:?}; stopping them",
            tasks.len()
        );
        self.stopping.send_replace(true);
        if tokio::time::timeout(STOP_GRACE, all(&mut tasks))
            .await
            .is_err()
        {
            tracing::warn!(
                "{} actions did not stop; leaving without their replies",
                tasks.len()
            );
            tasks.shutdown().await;
        }
    }

    /// Reloads facts, classes and external agents (a simulated node keeps its own),
    /// subscribing to new agents' topics and leaving removed agents' ones.
    async fn reload(&mut self) {
        let NodeData::FromConfig = self.data else {
            return;
        };
        let loaded = Loaded::load(&self.config, &self.data, Some(&self.loaded));
        let connector = &self.handler.connector;
        let before = subscriptions(
            &self.config,
            self.dialect,
            self.multiplex,
            &self.loaded.names(),
        );
        let after = subscriptions(&self.config, self.dialect, self.multiplex, &loaded.names());
        for s in before
            .iter()
            .filter(|s| !after.iter().any(|a| a.id == s.id))
        {
            if let Err(e) = connector.unsubscribe(&s.id).await {
                tracing::warn!(destination = s.destination, "cannot unsubscribe: {e}");
            }
        }
        for s in after
            .into_iter()
            .filter(|s| !before.iter().any(|b| b.id == s.id))
        {
            let destination = s.destination.clone();
            if let Err(e) = connector.subscribe(subscription(s)).await {
                tracing::warn!(destination, "cannot subscribe: {e}");
            }
        }
        self.registration.set_agents(loaded.names());
        self.info = Arc::new(node::node_info(
            &self.config,
            &loaded.meta,
            Some(&self.info),
        ));
        self.loaded = loaded;
        tracing::info!(
            facts = self.info.facts.len(),
            classes = self.info.classes.len(),
            agents = self.loaded.agents.len(),
            "reloaded facts, classes and agents"
        );
    }
}

/// `soft_shutdown_timeout`: how long stopping waits for running actions.
fn drain_timeout(config: &Config) -> Result<Duration, DaemonError> {
    match config.soft_shutdown_timeout {
        None => Ok(DEFAULT_DRAIN),
        Some(secs @ 0..=3600) => Ok(Duration::from_secs(secs as u64)),
        Some(other) => Err(DaemonError::Setting(format!(
            "soft_shutdown_timeout = {other} is not a number of seconds from 0 to 3600"
        ))),
    }
}

fn subscription(s: NodeSubscription) -> Subscription {
    Subscription {
        id: s.id,
        destination: s.destination,
        headers: s.headers,
    }
}

/// A node's subscriptions in every collective.
fn subscriptions(
    config: &Config,
    dialect: Dialect,
    multiplex: bool,
    agents: &[String],
) -> Vec<NodeSubscription> {
    config
        .collectives
        .iter()
        .flat_map(|c| collective_subscriptions(config, dialect, multiplex, c, agents))
        .collect()
}

/// A node's subscriptions in one collective, as MCollective makes them.
fn collective_subscriptions(
    config: &Config,
    dialect: Dialect,
    multiplex: bool,
    collective: &str,
    agents: &[String],
) -> Vec<NodeSubscription> {
    let mut subs = dialect.node_subscriptions(collective, &config.identity, agents);
    if !config.direct_addressing {
        subs.remove(0);
    }
    if multiplex && dialect == Dialect::ActiveMq {
        subs.truncate(usize::from(config.direct_addressing));
        let dest = format!("/topic/{collective}.agents");
        subs.push(NodeSubscription {
            id: dest.clone(),
            destination: dest,
            headers: vec![],
        });
    }
    subs
}

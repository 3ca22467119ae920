//! Where MCollective traffic goes, per connector dialect (`C` is the collective):
//!
//! | purpose | activemq | rabbitmq |
//! |---|---|---|
//! | broadcast request for agent A | `/topic/C.A.agent` | `/exchange/C_broadcast/A` |
//! | directed request to node N | `/queue/C.nodes` + `mc_identity:N` | `/exchange/C_directed/N` |
//! | node's directed subscription | `/queue/C.nodes`, selector `mc_identity = 'N'` | `/exchange/C_directed/N` |
//! | client reply queue | `/queue/C.reply.<id>_<pid>.<n>` | `/temp-queue/mcollective_reply_A` |

/// The connector's STOMP dialect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    ActiveMq,
    RabbitMq,
}

/// A SUBSCRIBE a node makes: id, destination and extra headers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeSubscription {
    pub id: String,
    pub destination: String,
    pub headers: Vec<(String, String)>,
}

impl Dialect {
    /// The connector plugin's name, also its configuration key prefix: `activemq` or
    /// `rabbitmq`.
    pub fn name(self) -> &'static str {
        match self {
            Dialect::ActiveMq => "activemq",
            Dialect::RabbitMq => "rabbitmq",
        }
    }

    /// Where a broadcast request for `agent` in `collective` goes (and what nodes with that
    /// agent subscribe to).
    pub fn broadcast(self, collective: &str, agent: &str) -> String {
        match self {
            Dialect::ActiveMq => format!("/topic/{collective}.{agent}.agent"),
            Dialect::RabbitMq => format!("/exchange/{collective}_broadcast/{agent}"),
        }
    }

    /// Where a directed request to `node` goes, and the header that selects the node.
    pub fn directed(
        self,
        collective: &str,
        node: &str,
    ) -> (String, Option<(&'static str, String)>) {
        match self {
            Dialect::ActiveMq => (
                format!("/queue/{collective}.nodes"),
                Some(("mc_identity", node.to_string())),
            ),
            Dialect::RabbitMq => (format!("/exchange/{collective}_directed/{node}"), None),
        }
    }

    /// The subscriptions of a node `identity` with `agents` in `collective`, in
    /// MCollective's order: the directed one first, then one per agent.
    pub fn node_subscriptions(
        self,
        collective: &str,
        identity: &str,
        agents: &[String],
    ) -> Vec<NodeSubscription> {
        let directed = match self {
            Dialect::ActiveMq => NodeSubscription {
                id: format!("{collective}_directed_to_identity"),
                destination: format!("/queue/{collective}.nodes"),
                headers: vec![("selector".into(), format!("mc_identity = '{identity}'"))],
            },
            Dialect::RabbitMq => NodeSubscription {
                id: format!("{collective}_{identity}_directed_to_identity"),
                destination: format!("/exchange/{collective}_directed/{identity}"),
                headers: vec![],
            },
        };
        let mut subs = vec![directed];
        for agent in agents {
            let destination = self.broadcast(collective, agent);
            let id = match self {
                Dialect::ActiveMq => destination.clone(),
                Dialect::RabbitMq => format!("{collective}_broadcast_{agent}"),
            };
            subs.push(NodeSubscription {
                id,
                destination,
                headers: vec![],
            });
        }
        subs
    }

    /// A client's reply destination for its `n`th request.
    pub fn reply_to(
        self,
        collective: &str,
        identity: &str,
        pid: u32,
        n: u64,
        agent: &str,
    ) -> String {
        match self {
            Dialect::ActiveMq => format!("/queue/{collective}.reply.{identity}_{pid}.{n}"),
            Dialect::RabbitMq => format!("/temp-queue/mcollective_reply_{agent}"),
        }
    }

    /// The expiry headers of a message with `ttl` seconds sent at `now` (Unix seconds):
    /// ActiveMQ's absolute `expires` in ms, RabbitMQ's relative `expiration` in ms; both
    /// give the message ttl + 10 s, as MCollective does.
    pub fn expiry_header(self, now: i64, ttl: i64) -> (&'static str, String) {
        match self {
            Dialect::ActiveMq => ("expires", ((now + ttl + 10) * 1000).to_string()),
            Dialect::RabbitMq => ("expiration", ((ttl + 10) * 1000).to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn activemq_names_as_recorded() {
        let d = Dialect::ActiveMq;
        assert_eq!(
            d.broadcast("mcollective", "discovery"),
            "/topic/mcollective.discovery.agent"
        );
        assert_eq!(
            d.directed("mcollective", "node1"),
            (
                "/queue/mcollective.nodes".to_string(),
                Some(("mc_identity", "node1".to_string()))
            )
        );
        let subs = d.node_subscriptions(
            "mcollective",
            "node2",
            &["discovery".into(), "rpcutil".into()],
        );
        assert_eq!(subs[0].destination, "/queue/mcollective.nodes");
        assert_eq!(subs[0].id, "mcollective_directed_to_identity");
        assert_eq!(
            subs[0].headers,
            vec![("selector".to_string(), "mc_identity = 'node2'".to_string())]
        );
        assert_eq!(subs[2].id, "/topic/mcollective.rpcutil.agent");
        assert_eq!(
            d.reply_to("mcollective", "mcoclient", 16907, 1, "x"),
            "/queue/mcollective.reply.mcoclient_16907.1"
        );
        assert_eq!(
            d.expiry_header(1795794182, 60),
            ("expires", "1795794252000".to_string())
        );
    }

    #[test]
    fn rabbitmq_names_as_the_connector_makes_them() {
        let d = Dialect::RabbitMq;
        assert_eq!(
            d.broadcast("mcollective", "rpcutil"),
            "/exchange/mcollective_broadcast/rpcutil"
        );
        assert_eq!(
            d.directed("mcollective", "node1").0,
            "/exchange/mcollective_directed/node1"
        );
        let subs = d.node_subscriptions("mcollective", "node1", &["rpcutil".into()]);
        assert_eq!(subs[0].id, "mcollective_node1_directed_to_identity");
        assert_eq!(subs[1].id, "mcollective_broadcast_rpcutil");
        assert_eq!(
            d.reply_to("mcollective", "c", 1, 1, "rpcutil"),
            "/temp-queue/mcollective_reply_rpcutil"
        );
        assert_eq!(d.expiry_header(5, 60), ("expiration", "70000".to_string()));
    }
}

//! Where MCollective traffic goes, per connector dialect (`C` is the collective):
//!
//! | purpose | activemq | rabbitmq |
//! |---|---|---|
//! | broadcast request for agent A | `/topic/C.A.agent` | `/exchange/C_broadcast/A` |
//! | directed request to node N | `/queue/C.nodes` + `mc_identity:N` | `/exchange/C_directed/N` |
//! | node's directed subscription | `/queue/C.nodes`, selector `mc_identity = 'N'` | `/exchange/C_directed/N` |
//! | client reply queue | `/queue/C.reply.<id>_<pid>.<unique>` | `/temp-queue/mcollective_reply_A` |

/// The connector's STOMP dialect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    ActiveMq,
    RabbitMq,
}

/// What a SEND carries, which decides its MCollective headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Message<'a> {
    /// A client's request, with the connector plugin's headers: ActiveMQ's `priority`
    /// (when above 0), `timestamp`, `expires`, `reply-to` and, when directed to one
    /// node, `mc_identity`; RabbitMQ's `reply-to` and `expiration`.
    ClientRequest {
        reply_to: &'a str,
        priority: i64,
        node: Option<&'a str>,
    },
    /// A node's own request (registration): `timestamp`, the expiry, `reply-to`.
    NodeRequest { reply_to: &'a str },
    /// A node's reply: `timestamp` and the expiry.
    Reply,
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

    /// A client's reply destination, `unique` telling its requests apart (MCollective's
    /// client uses a counter; ours adds random bits, see `ClientOptions::reply_destination`).
    pub fn reply_to(
        self,
        collective: &str,
        identity: &str,
        pid: u32,
        unique: &str,
        agent: &str,
    ) -> String {
        match self {
            Dialect::ActiveMq => format!("/queue/{collective}.reply.{identity}_{pid}.{unique}"),
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

    /// The MCollective headers of a SEND of `message` with `ttl` seconds sent at `now`
    /// (Unix seconds), in the order they are written; `mc_sender`, `destination` and the
    /// content headers follow them.
    pub fn send_headers(
        self,
        message: Message<'_>,
        now: i64,
        ttl: i64,
    ) -> Vec<(&'static str, String)> {
        let timestamp = ("timestamp", (now * 1000).to_string());
        let expiry = self.expiry_header(now, ttl);
        match (message, self) {
            (
                Message::ClientRequest {
                    reply_to,
                    priority,
                    node,
                },
                Dialect::ActiveMq,
            ) => {
                let mut h = Vec::with_capacity(5);
                if priority > 0 {
                    h.push(("priority", priority.to_string()));
                }
                h.extend([timestamp, expiry, ("reply-to", reply_to.to_string())]);
                h.extend(node.map(|n| ("mc_identity", n.to_string())));
                h
            }
            (Message::ClientRequest { reply_to, .. }, Dialect::RabbitMq) => {
                vec![("reply-to", reply_to.to_string()), expiry]
            }
            (Message::NodeRequest { reply_to }, _) => {
                vec![timestamp, expiry, ("reply-to", reply_to.to_string())]
            }
            (Message::Reply, _) => vec![timestamp, expiry],
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
            d.reply_to("mcollective", "mcoclient", 16907, "1", "x"),
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
            d.reply_to("mcollective", "c", 1, "1", "rpcutil"),
            "/temp-queue/mcollective_reply_rpcutil"
        );
        assert_eq!(d.expiry_header(5, 60), ("expiration", "70000".to_string()));
        let request = Message::ClientRequest {
            reply_to: "/temp-queue/r",
            priority: 4,
            node: Some("n"),
        };
        assert_eq!(
            d.send_headers(request, 5, 60),
            [
                ("reply-to", "/temp-queue/r".to_string()),
                ("expiration", "70000".to_string())
            ]
        );
    }

    #[test]
    fn send_headers_in_order() {
        let d = Dialect::ActiveMq;
        let names = |m| {
            d.send_headers(m, 5, 60)
                .into_iter()
                .map(|(k, _)| k)
                .collect::<Vec<_>>()
        };
        let request = |priority, node| Message::ClientRequest {
            reply_to: "r",
            priority,
            node,
        };
        assert_eq!(
            names(request(0, None)),
            ["timestamp", "expires", "reply-to"]
        );
        assert_eq!(
            names(request(2, Some("n"))),
            [
                "priority",
                "timestamp",
                "expires",
                "reply-to",
                "mc_identity"
            ]
        );
        assert_eq!(
            names(Message::NodeRequest { reply_to: "r" }),
            ["timestamp", "expires", "reply-to"]
        );
        assert_eq!(names(Message::Reply), ["timestamp", "expires"]);
    }
}

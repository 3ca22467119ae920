//! Authorization and audit of a SimpleRPC request, between DDL validation and the action,
//! in the order of MCollective's `RPC::Agent#handlemsg`: a request that fails its DDL is
//! answered with statuscode 4 and recorded as `invalid`; one the authorization plugin
//! (`rpcauthorization = 1`) refuses is answered with statuscode 1 and the plugin's
//! message and recorded as `denied`; the rest are recorded as `run` and go to their
//! agent. Every SimpleRPC agent passes here, `rpcutil` included; `discovery` is not
//! SimpleRPC and does not, as in MCollective. The decisions themselves are
//! `marionette_security`'s (`actionpolicy`, `audit`).

use crate::agents::Agent;
use crate::rpc::{self, RpcError, RpcRequest};
use crate::stats::Stats;
use marionette_config::Config;
use marionette_security::actionpolicy::{self, ActionPolicy, DENIED_MESSAGE};
use marionette_security::audit::{self, AuditError, Auditor, Decision, Record};
use marionette_wire::Value;
use marionette_wire::envelope::Request;
use marionette_wire::filter::NodeInfo;
use std::time::SystemTime;

/// Why the authorization or audit settings cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum AuthzError {
    #[error("rpcauthorization = 1 needs rpcauthprovider = action_policy")]
    NoProvider,
    #[error(transparent)]
    Policy(#[from] actionpolicy::SettingsError),
    #[error("rpcaudit = 1 needs rpcauditprovider = logfile or jsonl")]
    NoAuditProvider,
    #[error(transparent)]
    Audit(#[from] AuditError),
}

/// What happens to a request.
pub enum Verdict {
    /// On to its agent.
    Run,
    /// Answered here (`None`: the caller asked for no reply).
    Answer(Option<Value>),
}

/// The node's authorization plugin and audit log, each when configured.
#[derive(Default)]
pub struct Authz {
    policy: Option<ActionPolicy>,
    audit: Option<Auditor>,
}

impl Authz {
    /// Neither (a simulated node).
    pub fn off() -> Authz {
        Authz::default()
    }

    /// As `server.cfg` says; the audit log is opened now, and counts into `stats`.
    pub fn from_config(config: &Config, stats: &Stats) -> Result<Authz, AuthzError> {
        let mut authz = Authz::default();
        if config.rpcauthorization {
            if config.rpcauthprovider.is_empty() {
                return Err(AuthzError::NoProvider);
            }
            let settings =
                actionpolicy::Settings::new(&config.rpcauthprovider, &config.configdir, |key| {
                    config.plugin(key)
                })?;
            tracing::info!(
                policies = %settings.policy_dir.display(),
                allow_unconfigured = settings.allow_unconfigured,
                enable_default = settings.enable_default,
                "authorizing requests with actionpolicy"
            );
            authz.policy = Some(ActionPolicy::new(settings));
        }
        if config.rpcaudit {
            if config.rpcauditprovider.is_empty() {
                return Err(AuthzError::NoAuditProvider);
            }
            let settings =
                audit::Settings::new(&config.rpcauditprovider, config.plugin("rpcaudit.logfile"))?;
            authz.audit = Some(Auditor::start(&settings, stats.audit.clone())?);
            tracing::info!(file = %settings.path.display(), format = ?settings.format, "auditing requests");
        }
        Ok(authz)
    }

    /// Validates, authorizes and records one request for `agent` on `node`.
    pub fn check(
        &self,
        agent: &dyn Agent,
        request: &Request,
        payload: &Value,
        node: &NodeInfo,
        stats: &Stats,
    ) -> Verdict {
        if (self.policy.is_none() && self.audit.is_none()) || !agent.simplerpc() {
            return Verdict::Run;
        }
        let prepared = match rpc::prepare(agent.ddl(), payload) {
            Ok(prepared) => prepared,
            Err(reply) => {
                let reason = reply
                    .as_ref()
                    .and_then(|r| r.get_sym("statusmsg"))
                    .and_then(Value::as_str)
                    .unwrap_or("invalid (no reply was asked for)");
                let parsed = RpcRequest::parse(payload).ok();
                self.record(request, parsed.as_ref(), Decision::Invalid, Some(reason));
                return Verdict::Answer(reply);
            }
        };
        let Some(policy) = &self.policy else {
            self.record(request, Some(&prepared.request), Decision::Run, None);
            return Verdict::Run;
        };
        let decision = policy.authorize(
            &actionpolicy::Request {
                callerid: &request.callerid,
                agent: &request.agent,
                action: &prepared.request.action,
            },
            node,
        );
        if decision.allowed {
            self.record(request, Some(&prepared.request), Decision::Run, None);
            return Verdict::Run;
        }
        Stats::bump(&stats.unauthorized);
        tracing::debug!(
            requestid = request.requestid,
            callerid = request.callerid,
            agent = request.agent,
            action = prepared.request.action,
            "{decision}"
        );
        let reason = decision.to_string();
        self.record(
            request,
            Some(&prepared.request),
            Decision::Denied,
            Some(&reason),
        );
        let denied = RpcError::Aborted(DENIED_MESSAGE.to_owned());
        Verdict::Answer(rpc::finish(&prepared.request, prepared.data, Err(denied)))
    }

    /// Hands a record to the audit log, if there is one.
    fn record(
        &self,
        request: &Request,
        rpc: Option<&RpcRequest>,
        decision: Decision,
        reason: Option<&str>,
    ) {
        let Some(audit) = &self.audit else { return };
        audit.record(Record {
            time: SystemTime::now(),
            requestid: request.requestid.clone(),
            requesttime: request.msgtime,
            callerid: request.callerid.clone(),
            senderid: request.senderid.clone(),
            agent: request.agent.clone(),
            action: rpc.map(|r| r.action.clone()).unwrap_or_default(),
            data: rpc.map_or(Value::Nil, |r| r.data.clone()),
            decision,
            reason: reason.map(str::to_owned),
        });
    }
}

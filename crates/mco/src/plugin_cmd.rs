//! `mco plugin doc [AGENT | agent/AGENT]`: the agents the client can see, or one agent's
//! documentation, in MCollective's layouts (the list of `application/plugin.rb`, the page
//! of its `metadata-help.erb` and `rpc-help.erb` templates). [`doc`] is also what
//! `mco help AGENT` prints.

use crate::client_common;
use clap::{Args, Subcommand};
use marionette_client::ruby;
use marionette_ddl::libdir::{self, DdlFileError};
use marionette_ddl::{Ddl, Input, InputType, Validation};
use marionette_wire::Value;
use std::fmt::Write;

/// `mco plugin`.
#[derive(Args, Debug)]
pub struct PluginArgs {
    #[command(subcommand)]
    pub command: PluginCommand,
}

#[derive(Subcommand, Debug)]
pub enum PluginCommand {
    /// List the agents the client can see, or show one agent's documentation.
    Doc(DocArgs),
}

/// `mco plugin doc [TARGET]`.
#[derive(Args, Debug)]
pub struct DocArgs {
    /// An agent name, or TYPE/NAME (agent is the only type); none lists the agents.
    pub target: Option<String>,
    /// Load configuration from FILE (for its libdir; default as for the other commands).
    #[arg(short = 'c', long = "config", value_name = "FILE")]
    pub config: Option<String>,
}

/// Runs `mco plugin doc`.
pub fn run(args: PluginArgs) -> anyhow::Result<i32> {
    let PluginCommand::Doc(args) = args.command;
    let libdir = client_common::client_config(args.config.as_deref())?.libdir;
    let target = args.target.filter(|t| t != ".");
    let Some(target) = target else {
        print!("{}", list(&libdir::visible(&libdir)));
        return Ok(0);
    };
    // MCollective's `^(.+?)\/(.+)$`: a type, then a name.
    let typed = target
        .split_once('/')
        .filter(|(kind, name)| !kind.is_empty() && !name.is_empty());
    let name = typed.map_or(target.as_str(), |(_, name)| name);
    let found = match typed {
        Some((kind, _)) if kind != "agent" => None,
        _ => libdir::lookup(&libdir, name),
    };
    match (found, typed) {
        (Some(ddl), _) => {
            print!("{}", doc(&ddl?));
            Ok(0)
        }
        (None, Some((kind, name))) => {
            eprintln!("Could not find a '{kind}' plugin named '{name}'");
            Ok(1)
        }
        (None, None) => {
            eprintln!("Could not find a plugin named '{name}' in any supported plugin type");
            Ok(1)
        }
    }
}

/// The list of `mco plugin doc`: each agent with its description, then the DDLs that
/// could not be used. The stock discovery agent has no DDL file, so MCollective does not
/// list it.
pub fn list(visible: &libdir::Visible) -> String {
    let mut o = String::from("Please specify a plugin. Available plugins are:\n\nAgents:\n");
    let agents = visible.ddls.iter().filter(|d| d.agent != "discovery");
    for ddl in agents {
        let _ = writeln!(o, "  {:<25} {}", ddl.agent, ddl.meta.description);
    }
    o.push('\n');
    if !visible.errors.is_empty() {
        o.push_str("Plugin Load Errors:\n");
        for e in &visible.errors {
            let _ = writeln!(o, "  {:<25} {e}", load_error_name(e));
        }
    }
    o
}

/// `agent/NAME` for a DDL file that could not be used, as MCollective names it.
fn load_error_name(e: &DdlFileError) -> String {
    let stem = e.path().file_stem().unwrap_or_default().to_string_lossy();
    format!("agent/{stem}")
}

/// `Array#join(", ")`: nested arrays joined in place, every item as `to_s`.
fn join(items: &[Value]) -> String {
    let parts: Vec<String> = items
        .iter()
        .map(|v| match v {
            Value::Array(inner) => join(inner),
            other => ruby::to_s(other),
        })
        .collect();
    parts.join(", ")
}

/// An input's `:validation` as the template prints it (`to_s` of what the DDL gave).
fn validation_text(v: Option<&Validation>) -> String {
    match v {
        None => String::new(),
        Some(Validation::Regex(re)) => re.clone(),
        Some(Validation::Shellsafe) => "shellsafe".into(),
        Some(Validation::Ipv4Address) => "ipv4address".into(),
        Some(Validation::Ipv6Address) => "ipv6address".into(),
        Some(Validation::Type(InputType::List(items))) => {
            ruby::inspect(&Value::Array(items.clone()))
        }
        Some(Validation::Type(kind)) => kind.name().to_string(),
        Some(Validation::Other(name)) => name.clone(),
    }
}

/// `Default Value:`, shown only for a default Ruby counts as true.
fn default_line(o: &mut String, default: Option<&Value>) {
    if let Some(v) = default.filter(|v| !matches!(v, Value::Nil | Value::Bool(false))) {
        let _ = writeln!(o, "            Default Value: {}", ruby::to_s(v));
    }
}

fn input(o: &mut String, i: &Input) {
    let _ = writeln!(o, "           {}:", i.name);
    let _ = writeln!(o, "              Description: {}", i.description);
    let _ = writeln!(o, "                   Prompt: {}", i.prompt);
    let _ = writeln!(o, "                     Type: {}", i.kind.name());
    let _ = writeln!(o, "                 Optional: {}", i.optional);
    match &i.kind {
        InputType::String => {
            let validation = validation_text(i.validation.as_ref());
            let _ = writeln!(o, "               Validation: {validation}");
            let _ = writeln!(o, "                   Length: {}", i.maxlength);
        }
        InputType::List(items) => {
            let _ = writeln!(o, "             Valid Values: {}", join(items));
        }
        _ => {}
    }
    default_line(o, i.default.as_ref());
    o.push('\n');
}

/// An agent's documentation page: its metadata, then every action (sorted by name) with
/// its inputs and outputs (sorted by name).
pub fn doc(ddl: &Ddl) -> String {
    let m = &ddl.meta;
    let mut o = format!("{}\n{}\n\n", m.name, "=".repeat(m.name.chars().count()));
    let _ = writeln!(o, "{}\n", m.description);
    let _ = writeln!(o, "      Author: {}", m.author);
    let _ = writeln!(o, "     Version: {}", m.version);
    let _ = writeln!(o, "     License: {}", m.license);
    let _ = writeln!(o, "     Timeout: {}", m.timeout);
    let _ = writeln!(o, "   Home Page: {}", m.url);
    if let Some(version) = &ddl.requires {
        let _ = writeln!(o, "\n   Requires MCollective {version} or newer");
    }
    let mut actions: Vec<_> = ddl.actions.iter().collect();
    actions.sort_by(|a, b| a.name.cmp(&b.name));
    let names: Vec<&str> = actions.iter().map(|a| a.name.as_str()).collect();
    let _ = write!(o, "\nACTIONS:\n========\n   {}\n\n", names.join(", "));
    for a in actions {
        let _ = writeln!(o, "   {} action:", a.name);
        let _ = writeln!(o, "   {}", "-".repeat(a.name.chars().count() + 8));
        let _ = writeln!(o, "       {}\n", a.description);
        o.push_str("       INPUT:\n");
        let mut inputs: Vec<_> = a.inputs.iter().collect();
        inputs.sort_by(|x, y| x.name.cmp(&y.name));
        for i in &inputs {
            input(&mut o, i);
        }
        if inputs.is_empty() {
            o.push_str("          This action does not have any inputs\n");
        }
        o.push_str("\n       OUTPUT:\n");
        let mut outputs: Vec<_> = a.outputs.iter().collect();
        outputs.sort_by(|x, y| x.name.cmp(&y.name));
        for out in outputs {
            let _ = writeln!(o, "           {}:", out.name);
            let _ = writeln!(o, "              Description: {}", out.description);
            let _ = writeln!(o, "               Display As: {}", out.display_as);
            default_line(&mut o, out.default.as_ref());
            o.push('\n');
        }
    }
    o
}

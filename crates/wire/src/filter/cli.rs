//! What `mco`'s host filter options add to a filter (MCollective's
//! `Optionparser#add_filter_options`), and the discovery filter of the RPC client.

use super::{CompoundParseError, FactParseError, Filter, parse_compound, parse_fact, parse_with};

impl Filter {
    /// `-F` / `--with-fact fact=val`: one fact filter ([`parse_fact`]).
    pub fn add_fact_option(&mut self, arg: &str) -> Result<(), FactParseError> {
        self.fact.push(parse_fact(arg)?);
        Ok(())
    }

    /// `-C` / `--with-class CLASS`, taken as written (`/re/` is a regexp).
    pub fn add_class_option(&mut self, arg: &str) {
        self.cf_class.push(arg.to_owned());
    }

    /// `-A` / `--with-agent AGENT`.
    pub fn add_agent_option(&mut self, arg: &str) {
        self.agent.push(arg.to_owned());
    }

    /// `-I` / `--with-identity IDENT`.
    pub fn add_identity_option(&mut self, arg: &str) {
        self.identity.push(arg.to_owned());
    }

    /// `-W` / `--with "facts and classes"`: words with an operator are facts, the others
    /// classes ([`parse_with`]).
    pub fn add_with_option(&mut self, arg: &str) {
        let (facts, classes) = parse_with(arg);
        self.fact.extend(facts);
        self.cf_class.extend(classes);
    }

    /// `-S` / `--select EXPRESSION`: one compound entry ([`parse_compound`]).
    pub fn add_select_option(&mut self, arg: &str) -> Result<(), CompoundParseError> {
        self.compound.push(parse_compound(arg)?);
        Ok(())
    }

    /// The filter of an RPC client's discovery request: this one with `"collective"`
    /// added last (`filter.merge({"collective" => collective})`).
    pub fn for_discovery(&self, collective: &str) -> Filter {
        Filter {
            collective: Some(collective.to_owned()),
            ..self.clone()
        }
    }
}

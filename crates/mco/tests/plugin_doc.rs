//! `mco plugin doc` through the binary: each standard agent's page is byte for byte what
//! MCollective 2.12.5 prints for the same DDL (the fixtures beside the DDLs), the list's
//! Agents section too, and `mco help AGENT` prints the same page. A libdir's Ruby DDL is
//! documented in MCollective's layout; a broken one is named with its line, and unknown
//! agents get MCollective's messages.

#[path = "peers/harness.rs"]
mod harness;

use harness::TempDir;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

const STANDARD: [&str; 6] = [
    "filemgr", "nettest", "package", "puppet", "service", "shell",
];

fn fixture(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../ddl/standard/doc")
        .join(format!("{name}.txt"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A client.cfg whose libdir is `lib` (which may not exist).
fn client_cfg(dir: &Path, lib: &Path) -> PathBuf {
    let cfg = dir.join("client.cfg");
    std::fs::write(
        &cfg,
        format!(
            "main_collective = mcollective\ncollectives = mcollective\n\
             securityprovider = psk\nplugin.psk = unused\nlibdir = {}\n",
            lib.display()
        ),
    )
    .unwrap();
    cfg
}

fn mco(cfg: &Path, args: &[&str]) -> harness::Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mco"));
    cmd.args(args).arg("--config").arg(cfg);
    harness::run(cmd, Duration::from_secs(30)).expect("run mco")
}

#[test]
fn every_standard_agent_is_documented_as_mcollective_does() {
    let dir = TempDir::new("mco-plugin-doc");
    let cfg = client_cfg(dir.path(), &dir.path().join("lib"));
    for agent in STANDARD {
        let want = fixture(agent);
        for target in [agent.to_string(), format!("agent/{agent}")] {
            let out = mco(&cfg, &["plugin", "doc", &target]);
            assert!(out.success(), "{}", out.describe());
            assert_eq!(out.stdout, want, "mco plugin doc {target}");
            assert_eq!(out.stderr, "");
        }
        let out = mco(&cfg, &["help", agent]);
        assert!(out.success(), "{}", out.describe());
        assert_eq!(out.stdout, want, "mco help {agent}");
    }
}

#[test]
fn the_list_names_every_agent_as_mcollective_does() {
    let dir = TempDir::new("mco-plugin-list");
    let cfg = client_cfg(dir.path(), &dir.path().join("lib"));
    let out = mco(&cfg, &["plugin", "doc"]);
    assert!(out.success(), "{}", out.describe());
    // MCollective's list goes on with the stock non-agent plugins; the Agents section
    // is the part that is about what this client sees.
    let list = fixture("_list");
    let agents = &list[..list.find("Aggregate:\n").expect("sections")];
    assert_eq!(out.stdout, agents);
}

const GOOD: &str = r#"metadata :name => "Good Agent", :description => "Good", :author => "a",
         :license => "b", :version => "1", :url => "u", :timeout => 5
requires :mcollective => "2.2.1"
action "x", :description => "X" do
  input :y, :prompt => "Y", :description => "Y", :type => :string, :validation => /^a\/b/i,
        :maxlength => 3, :optional => true, :default => ""
  input :z, :prompt => "Z", :description => "Z", :type => :list, :list => ["a", :b, 1],
        :optional => nil, :default => [1, "a"]
  input :w, :prompt => "W", :description => "W", :type => :integer, :optional => false,
        :default => 1.0e20
  output :o, :description => "O", :display_as => "OO", :default => {:a => "b"}
  output :p, :description => "P", :display_as => "PP", :default => false
  summarize do
    aggregate average(:o, :format => "%s")
  end
end
"#;

/// What MCollective 2.12.5 prints for `GOOD` (as `good.ddl`).
const GOOD_DOC: &str = r#"Good Agent
==========

Good

      Author: a
     Version: 1
     License: b
     Timeout: 5
   Home Page: u

   Requires MCollective 2.2.1 or newer

ACTIONS:
========
   x

   x action:
   ---------
       X

       INPUT:
           w:
              Description: W
                   Prompt: W
                     Type: integer
                 Optional: false
            Default Value: 1.0e+20

           y:
              Description: Y
                   Prompt: Y
                     Type: string
                 Optional: true
               Validation: (?i-mx:^a\/b)
                   Length: 3
            Default Value: 

           z:
              Description: Z
                   Prompt: Z
                     Type: list
                 Optional: false
             Valid Values: a, b, 1
            Default Value: [1, "a"]


       OUTPUT:
           o:
              Description: O
               Display As: OO
            Default Value: {:a=>"b"}

           p:
              Description: P
               Display As: PP

"#;

const BROKEN: &str = "metadata :name => \"broken\", :description => \"Broken\", :author => \"a\",\n\
                      :license => \"b\", :version => \"1\", :url => \"u\", :timeout => 5\n\
                      action \"x\", :description => \"X\" do\n\
                      \x20 input :y, :prompt => \"Y\", :description => \"Y\", :type => :string\n\
                      end\n";

#[test]
fn libdir_ddls_are_documented_and_broken_ones_named_with_their_line() {
    let dir = TempDir::new("mco-plugin-libdir");
    let lib = dir.path().join("lib");
    let agents = lib.join("mcollective/agent");
    std::fs::create_dir_all(&agents).unwrap();
    std::fs::write(agents.join("good.ddl"), GOOD).unwrap();
    std::fs::write(agents.join("broken.ddl"), BROKEN).unwrap();
    let cfg = client_cfg(dir.path(), &lib);
    let broken = agents.join("broken.ddl");

    let out = mco(&cfg, &["plugin", "doc", "good"]);
    assert!(out.success(), "{}", out.describe());
    assert_eq!(out.stdout, GOOD_DOC);

    let out = mco(&cfg, &["plugin", "doc"]);
    assert!(out.success(), "{}", out.describe());
    let list = fixture("_list");
    let standard = &list[..list.find("Aggregate:\n").unwrap()];
    let with_good = standard.replace("  nettest ", "  good                      Good\n  nettest ");
    assert_eq!(
        out.stdout,
        format!(
            "{with_good}Plugin Load Errors:\n  agent/broken              {}:4: Input needs a :optional property\n",
            broken.display()
        )
    );

    let out = mco(&cfg, &["plugin", "doc", "broken"]);
    assert_eq!(out.code(), Some(1), "{}", out.describe());
    assert_eq!(out.stdout, "");
    assert_eq!(
        out.stderr,
        format!(
            "\nThe plugin application failed to run: {}:4: Input needs a :optional property\n",
            broken.display()
        )
    );
}

#[test]
fn unknown_agents_get_mcollectives_messages() {
    let dir = TempDir::new("mco-plugin-unknown");
    let cfg = client_cfg(dir.path(), &dir.path().join("lib"));
    for (target, message) in [
        (
            "nosuch",
            "Could not find a plugin named 'nosuch' in any supported plugin type\n",
        ),
        (
            "agent/nosuch",
            "Could not find a 'agent' plugin named 'nosuch'\n",
        ),
        (
            "data/fstat",
            "Could not find a 'data' plugin named 'fstat'\n",
        ),
    ] {
        let out = mco(&cfg, &["plugin", "doc", target]);
        assert_eq!(out.code(), Some(1), "{}", out.describe());
        assert_eq!(out.stdout, "");
        assert_eq!(out.stderr, message);
    }
}

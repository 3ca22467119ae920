//! Ruby DDLs written the ways the agent plugins write them (hash arguments with `=>` and
//! `key:`, parentheses or none, regexps as strings and literals, joined strings,
//! arithmetic, comments), read into the model with MCollective's rules.

use marionette_ddl::{
    Aggregate, Ddl, Display, InputType, RubyDdlError, Validation, ruby::Pos, stock,
};
use marionette_wire::Value;

const META: &str = r#"metadata    :name        => "Demo Agent",
            :description => "Demonstrates the subset",
            :author      => "Ops Team <ops@example.org>",
            :license     => "ASL 2.0",
            :version     => "1.2.0",
            :url         => "https://example.org/demo",
            :timeout     => 60

requires :mcollective => "2.2.1"
"#;

fn parse(body: &str) -> Ddl {
    let text = format!("{META}\n{body}");
    Ddl::from_ruby("demo", text.as_bytes()).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

fn refusal(text: &str) -> RubyDdlError {
    Ddl::from_ruby("demo", text.as_bytes()).expect_err(text)
}

/// The refusal's message for a body after the metadata (which takes 9 lines and a blank).
fn refused(body: &str) -> String {
    refusal(&format!("{META}\n{body}")).to_string()
}

#[test]
fn metadata_and_requirement() {
    let ddl = parse("");
    assert_eq!(ddl.agent, "demo", "the agent is named by the file");
    assert_eq!(ddl.meta.name, "Demo Agent");
    assert_eq!(ddl.meta.description, "Demonstrates the subset");
    assert_eq!(ddl.meta.author, "Ops Team <ops@example.org>");
    assert_eq!(ddl.meta.license, "ASL 2.0");
    assert_eq!(ddl.meta.version, "1.2.0");
    assert_eq!(ddl.meta.url, "https://example.org/demo");
    assert_eq!(ddl.meta.timeout, 60);
    assert_eq!(ddl.requires.as_deref(), Some("2.2.1"));
    assert!(ddl.actions.is_empty());
}

#[test]
fn a_resource_action_with_boolean_summary() {
    let ddl = parse(
        r#"
action "resource", :description => "Evaluate a resource" do
    display :always

    input :name,
          :prompt      => "Name",
          :description => "Resource Name",
          :type        => :string,
          :validation  => '^.+$',
          :optional    => false,
          :maxlength   => 150

    output :result,
           :description => "The result",
           :display_as  => "Result",
           :default     => ""

    output :changed,
           :description => "Was a change applied",
           :display_as  => "Changed",
           :default     => nil

    summarize do
        aggregate boolean_summary(:changed, {:true => "Changed", :false => "No Change"})
    end
end
"#,
    );
    let a = ddl.action("resource").unwrap();
    assert_eq!(a.description, "Evaluate a resource");
    assert_eq!(a.display, Display::Always);
    let name = a.input("name").unwrap();
    assert_eq!(
        (name.prompt.as_str(), name.description.as_str()),
        ("Name", "Resource Name")
    );
    assert_eq!(name.kind, InputType::String);
    assert_eq!(name.validation, Some(Validation::Regex("^.+$".into())));
    assert_eq!(
        (name.optional, name.maxlength, &name.default),
        (false, 150, &None)
    );
    assert_eq!(a.output("result").unwrap().default, Some(Value::str("")));
    assert_eq!(
        a.output("changed").unwrap().default,
        None,
        "nil is no default"
    );
    assert_eq!(
        a.aggregates,
        vec![Aggregate {
            function: "boolean_summary".into(),
            output: "changed".into(),
            args: vec![Value::Hash(vec![
                (Value::sym("true"), Value::str("Changed")),
                (Value::sym("false"), Value::str("No Change")),
            ])],
            format: None,
        }]
    );
}

#[test]
fn averages_with_formats_and_odd_defaults() {
    let ddl = parse(
        r#"
action "last_run_summary", :description => "Summary of the last run" do
    input  :parse_log,
           :description => "Whether to parse the logs",
           :prompt      => "Parse log?",
           :optional    => true,
           :type        => :boolean,
           :default     => false
    output :failed_resources, :description => "Failed", :display_as => "Failed Resources", :default => -1
    output :logs, :description => "Log lines", :display_as => "Logs", :default => {}
    output :total_time, :description => "Total time", :display_as => "Total Time", :default => 0
    summarize do
        aggregate average(:total_time, :format => "Average: %0.2f")
        aggregate sum(:failed_resources)
    end
end
"#,
    );
    let a = ddl.action("last_run_summary").unwrap();
    assert_eq!(a.display, Display::Failed, "the default display");
    let log = a.input("parse_log").unwrap();
    assert_eq!(log.kind, InputType::Boolean);
    assert_eq!((log.validation.as_ref(), log.maxlength), (None, 0));
    assert_eq!(log.default, Some(Value::Bool(false)));
    assert_eq!(
        ddl.default_reply_data("last_run_summary"),
        Value::Hash(vec![
            (Value::sym("failed_resources"), Value::Int(-1)),
            (Value::sym("logs"), Value::Hash(vec![])),
            (Value::sym("total_time"), Value::Int(0)),
        ])
    );
    assert_eq!(a.aggregates[0].function, "average");
    assert_eq!(a.aggregates[0].format.as_deref(), Some("Average: %0.2f"));
    assert!(a.aggregates[0].args.is_empty());
    assert_eq!(
        (
            a.aggregates[1].function.as_str(),
            a.aggregates[1].format.as_ref()
        ),
        ("sum", None)
    );
}

#[test]
fn shell_style_arithmetic_comments_and_custom_validators() {
    let ddl = parse(
        r#"
action "run", :description => "Run a command" do
    input   :command,
            :prompt      => "Command",
            :description => "Command to run",
            :type        => :string,
            :validation  => '.*',
            :maxlength   => 10 * 1024,
            :optional    => false

    input   :timeout,
            :prompt      => "Timeout",
            :description => "Seconds to wait",
            :type        => :float,
            :optional    => true
            # a comment after the last property, as real DDLs have

    input :service,
          :prompt => "Service Name",
          :description => "The service",
          :type => :string,
          :validation => :service_name,
          :optional => false,
          :maxlength => 90

    output :rtt,
           :description => "The round trip time in ms",
           :display_as=>"RTT"
end
"#,
    );
    let a = ddl.action("run").unwrap();
    assert_eq!(a.input("command").unwrap().maxlength, 10_240);
    assert_eq!(a.input("timeout").unwrap().kind, InputType::Float);
    assert_eq!(
        a.input("service").unwrap().validation,
        Some(Validation::Other("service_name".into()))
    );
    assert_eq!(a.output("rtt").unwrap().display_as, "RTT");
    let bad = Value::Hash(vec![
        (Value::sym("command"), Value::str("ls")),
        (Value::sym("service"), Value::str("sshd")),
    ]);
    assert_eq!(
        ddl.validate_rpc_request("run", &bad)
            .unwrap_err()
            .to_string(),
        "Cannot validate input service: Unknown validator: 'service_name'."
    );
}

#[test]
fn lists_symbols_and_named_validators() {
    let ddl = parse(
        r#"
action("yum_clean", description: "Clean the cache") {
    input(:mode, prompt: "Mode", description: "Clean mode", type: :list, optional: true,
          list: %w[all headers packages expire-cache],)
    input :package, prompt: "Package", description: "Package", type: :string,
          validation: :shellsafe, optional: false, maxlength: 90
    input :address, :prompt => "Address", :description => "IPv4", :type => :string,
          :validation => :ipv4address, :optional => false, :maxlength => 15
    input :kind, :prompt => "Kind", :description => "One of", :type => :string,
          :validation => ["a", "b"], :optional => true, :maxlength => 0
    display :ok
}
"#,
    );
    let a = ddl.action("yum_clean").unwrap();
    assert_eq!(a.display, Display::Ok);
    assert_eq!(
        a.input("mode").unwrap().kind,
        InputType::List(
            ["all", "headers", "packages", "expire-cache"]
                .map(Value::str)
                .to_vec()
        )
    );
    assert_eq!(
        a.input("package").unwrap().validation,
        Some(Validation::Shellsafe)
    );
    assert_eq!(
        a.input("address").unwrap().validation,
        Some(Validation::Ipv4Address)
    );
    assert_eq!(
        a.input("kind").unwrap().validation,
        Some(Validation::Type(InputType::List(vec![
            Value::str("a"),
            Value::str("b")
        ])))
    );
    let data = |k: &str, v: &str| {
        Value::Hash(vec![
            (Value::sym("package"), Value::str("vim")),
            (Value::sym("address"), Value::str("10.0.0.1")),
            (Value::sym(k), Value::str(v)),
        ])
    };
    assert_eq!(
        ddl.validate_rpc_request("yum_clean", &data("mode", "all")),
        Ok(())
    );
    assert_eq!(
        ddl.validate_rpc_request("yum_clean", &data("mode", "some"))
            .unwrap_err()
            .to_string(),
        "Cannot validate input mode: value should be one of all, headers, packages, expire-cache"
    );
    assert_eq!(
        ddl.validate_rpc_request("yum_clean", &data("kind", "c"))
            .unwrap_err()
            .to_string(),
        "Cannot validate input kind: value should be one of a, b"
    );
}

#[test]
fn regexp_literals_match_and_print_as_ruby_does() {
    let ddl = parse(
        r#"
action "get", :description => "Get " \
                              "something" + " long" do
    input :path, :prompt => "Path", :description => "A path", :type => :string,
          :validation => /^\/[a-z]+$/i, :optional => false, :maxlength => 0
end
"#,
    );
    let a = ddl.action("get").unwrap();
    assert_eq!(a.description, "Get something long");
    let path = a.input("path").unwrap();
    assert_eq!(
        path.validation,
        Some(Validation::Regex(r"(?i-mx:^\/[a-z]+$)".into()))
    );
    let data = |v: &str| Value::Hash(vec![(Value::sym("path"), Value::str(v))]);
    assert_eq!(ddl.validate_rpc_request("get", &data("/ETC")), Ok(()));
    assert_eq!(
        ddl.validate_rpc_request("get", &data("etc"))
            .unwrap_err()
            .to_string(),
        r"Cannot validate input path: value should match (?i-mx:^\/[a-z]+$)"
    );
}

#[test]
fn the_stock_get_fact_action_written_in_ruby() {
    let ddl = parse(
        r#"
action "get_fact", :description => "Retrieve a single fact from the fact store" do
     display :always

     input :fact,
           :prompt      => "The name of the fact",
           :description => "The fact to retrieve",
           :type        => :string,
           :validation  => '^[\w\-\.]+$',
           :optional    => false,
           :maxlength   => 40

     output :fact,
            :description => "The name of the fact being returned",
            :display_as => "Fact"

     output :value,
            :description => "The value of the fact",
            :display_as => "Value"

    summarize do
        aggregate summary(:value)
    end
end
"#,
    );
    assert_eq!(
        ddl.actions[0],
        *stock::rpcutil().action("get_fact").unwrap()
    );
}

#[test]
fn a_second_declaration_adds_to_the_first() {
    let ddl = parse(
        r#"
action "x", :description => "first" do
    input :a, :prompt => "A", :description => "a", :type => :integer, :optional => true
    output :o, :description => "o", :display_as => "O"
end
action "x", :description => "second" do
    display :always
    input :a, :prompt => "A2", :description => "a", :type => :number, :optional => false
    input :b, :prompt => "B", :description => "b", :type => :boolean, :optional => true
end
"#,
    );
    assert_eq!(ddl.actions.len(), 1);
    let a = &ddl.actions[0];
    assert_eq!(
        (a.description.as_str(), a.display),
        ("first", Display::Always)
    );
    let inputs: Vec<(&str, &str, InputType)> = a
        .inputs
        .iter()
        .map(|i| (i.name.as_str(), i.prompt.as_str(), i.kind.clone()))
        .collect();
    assert_eq!(
        inputs,
        [
            ("a", "A2", InputType::Number),
            ("b", "B", InputType::Boolean)
        ]
    );
}

#[test]
fn other_ruby_layouts() {
    let text = "# encoding: utf-8\n=begin\nA DDL for tests.\n=end\nmetadata(\n  name: \"t\", description: 'd', author: :me, license: \"L\",\n  version: 1, url: \"u\", timeout: 0x10,\n); action 'a', :description => %q(it's) do; display :flatten; end\n__END__\nanything at all (\n";
    let ddl = Ddl::from_ruby("t", text.as_bytes()).unwrap();
    assert_eq!(
        (
            ddl.meta.author.as_str(),
            ddl.meta.version.as_str(),
            ddl.meta.timeout
        ),
        ("me", "1", 16)
    );
    assert_eq!(ddl.actions[0].description, "it's");
    assert_eq!(ddl.actions[0].display, Display::Flatten);
}

#[test]
fn mcollective_messages_for_missing_properties() {
    let input = |props: &str| {
        refused(&format!(
            "action \"a\", :description => \"d\" do\n  input :i, {props}\nend\n"
        ))
    };
    assert_eq!(
        input(":prompt => \"P\", :description => \"D\", :type => :string"),
        "line 12, column 3: Input needs a :optional property"
    );
    assert_eq!(
        input(":optional => true, :description => \"D\", :type => :string"),
        "line 12, column 3: Input needs a :prompt property"
    );
    assert_eq!(
        input(
            ":optional => true, :prompt => \"P\", :description => \"D\", :type => :string, :maxlength => 1"
        ),
        "line 12, column 3: Input type :string needs a :validation argument"
    );
    assert_eq!(
        input(
            ":optional => true, :prompt => \"P\", :description => \"D\", :type => :string, :validation => nil"
        ),
        "line 12, column 3: Input type :string needs a :maxlength argument"
    );
    assert_eq!(
        input(":optional => true, :prompt => \"P\", :description => \"D\", :type => :list"),
        "line 12, column 3: Input type :list needs a :list argument"
    );
    assert_eq!(
        refused("action \"a\", :description => \"d\" do\n  output :o, :display_as => \"O\"\nend\n"),
        "line 12, column 10: Output o needs a description argument"
    );
    assert_eq!(
        refused("action \"a\" do\nend\n"),
        "line 11, column 1: wrong number of arguments (given 1, expected 2)"
    );
    assert_eq!(
        refused("action \"a\", :desc => 1\n"),
        "line 11, column 1: Action needs a :description property"
    );
    assert_eq!(
        refused("action \"a\", :description => \"d\" do\n  display :sometimes\nend\n"),
        "line 12, column 11: Display preference sometimes is not valid, should be :ok, :failed, :flatten or :always"
    );
    assert_eq!(
        refused("input :x, :optional => true\n"),
        "line 11, column 1: Cannot figure out what entity input x belongs to"
    );
    assert_eq!(
        refused("requires :puppet => \"3\"\n"),
        "line 11, column 10: Requirement puppet is not a valid requirement, only mcollective is supported"
    );
    assert_eq!(
        refused("requires :mcollective => \"2.13\"\n"),
        "line 11, column 1: Agent plugin 'demo' requires MCollective version 2.13 or newer"
    );
    let aggregate = |line: &str| {
        refused(&format!(
            "action \"a\", :description => \"d\" do\n  summarize do\n    {line}\n  end\nend\n"
        ))
    };
    assert_eq!(
        aggregate("aggregate :summary"),
        "line 13, column 15: Functions supplied to aggregate should be a hash"
    );
    assert_eq!(
        aggregate("aggregate summary(:o), \"%s\""),
        "line 13, column 28: Formats supplied to aggregation functions should be a hash"
    );
    assert_eq!(
        aggregate("aggregate summary(:o), {:f => 1}"),
        "line 13, column 28: Formats supplied to aggregation functions must have a :format key"
    );
    assert_eq!(
        aggregate("aggregate summary()"),
        "line 13, column 15: aggregate method for action 'a' missing a function parameter"
    );
    assert_eq!(
        aggregate("display :ok"),
        "line 13, column 5: undefined method `display' (a DDL has only aggregate here)"
    );
    let meta = refusal(
        "metadata :name => \"x\", :description => \"d\", :author => \"a\",\n  :license => \"l\", :version => \"1\", :url => \"u\"\n",
    );
    assert_eq!(
        meta.to_string(),
        "line 1, column 1: Metadata needs a :timeout property"
    );
    assert_eq!(meta.pos(), Some(Pos { line: 1, column: 1 }));
    assert_eq!(meta.reason(), "Metadata needs a :timeout property");
    assert_eq!(
        refusal("").to_string(),
        "the DDL has no metadata (metadata :name => ..., :timeout => ...)"
    );
}

#[test]
fn ruby_beyond_the_subset_is_refused_with_its_place() {
    let cases = [
        (
            "[\"start\", \"stop\"].each do |act|\n",
            "line 11, column 1: a statement cannot start with a list: loops such as `[...].each do |x|` are not supported; declare each action on its own",
        ),
        (
            "[\"start\", \"stop\"].each do |act|\n  action act, :description => \"#{act.capitalize} a service\" do\n",
            "line 11, column 1: a statement cannot start with a list: loops such as `[...].each do |x|` are not supported; declare each action on its own",
        ),
        (
            "action \"a\", :description => \"#{act} a service\" do\nend\n",
            "line 11, column 30: string interpolation (#{...}) is not supported; write the text out",
        ),
        (
            "require 'foo'\n",
            "line 11, column 1: `require` is not supported: a DDL cannot load Ruby code",
        ),
        (
            "if true\n",
            "line 11, column 1: Ruby `if` is not supported in a DDL (only declarations and literal values are)",
        ),
        (
            "def x\n",
            "line 11, column 1: method definitions (`def`) are not supported in a DDL",
        ),
        ("x = 1\n", "line 11, column 3: variables are not supported"),
        (
            "action \"a\", :description => d do\nend\n",
            "line 11, column 29: `d` is not a value: variables and method calls are not supported here",
        ),
        (
            "action \"a\", :description => \"d\".freeze do\nend\n",
            "line 11, column 32: method calls on values (such as `.each` or `.freeze`) are not supported",
        ),
        (
            "action \"a\", :description => \"d\" do\n",
            "line 12, column 1: unexpected end of file; expected `end`",
        ),
        (
            "action \"a\", :description => \"d\" + 1\n",
            "line 11, column 33: no implicit conversion of the Integer 1 into String",
        ),
        (
            "puts \"hi\"\n",
            "line 11, column 1: undefined method `puts' (a DDL has only metadata, requires and action here)",
        ),
        (
            "action \"a\", :description => \"d\" do |x|\nend\n",
            "line 11, column 36: block parameters (|x|) are not supported",
        ),
        (
            "action \"Bad-Name\", :description => \"d\"\n",
            "line 11, column 8: action name \"Bad-Name\" is not valid (lower-case letters, digits and _, at most 64)",
        ),
        (
            "action \"a\", :description => \"d\" do\n  input :i, :prompt => \"p\", :description => \"d\", :type => :string, :optional => true, :maxlength => 1, :validation => /(/\nend\n",
            "line 12, column 119: invalid regexp /(?-mix:()/: unclosed group",
        ),
        (
            "action \"a\", :description => \"d\", :description => 2 \"x\"\n",
            "line 11, column 52: unexpected a string; expected the end of the statement",
        ),
    ];
    for (body, want) in cases {
        assert_eq!(refused(body), want, "{body}");
    }
    assert_eq!(
        Ddl::from_ruby("x", b"metadata :name => \"\xff\"")
            .unwrap_err()
            .to_string(),
        "line 1, column 20: invalid multibyte char (UTF-8)"
    );
    assert_eq!(
        Ddl::from_ruby("Bad", b"").unwrap_err(),
        RubyDdlError::AgentName("Bad".into())
    );
    let big = vec![b'#'; marionette_ddl::json::MAX_DDL_BYTES + 1];
    assert_eq!(
        Ddl::from_ruby("x", &big).unwrap_err(),
        RubyDdlError::TooLarge
    );
}

#[test]
fn bounds_are_checked_while_reading() {
    let deep = format!("metadata {}1{}", "[".repeat(100), "]".repeat(100));
    assert!(
        refusal(&deep)
            .to_string()
            .contains("nesting deeper than 32 levels")
    );
    let minus = format!("metadata :timeout => {}1", "- ".repeat(100));
    assert!(
        refusal(&minus)
            .to_string()
            .contains("nesting deeper than 32 levels")
    );
    let many = "x,".repeat(40_000);
    assert!(
        refusal(&many)
            .to_string()
            .contains("more than 65536 tokens")
    );
    let mut actions = META.to_string();
    for n in 0..=256 {
        actions.push_str(&format!("action \"a{n}\", :description => \"d\"\n"));
    }
    assert_eq!(
        refusal(&actions).to_string(),
        "line 266, column 1: more than 256 actions"
    );
}

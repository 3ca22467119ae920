//! `action` blocks: `display`, `input` (with its `:validation`), `output` and
//! `summarize` with its `aggregate` lines.

use super::values::{Props, default, name, regexp_to_s, text_of, to_s, value};
use super::{Result, arity, invalid, undefined};
use crate::json::{MAX_ACTIONS, MAX_ITEMS};
use crate::ruby::ast::{Expr, ExprKind, Stmt};
use crate::ruby::error::Pos;
use crate::{Action, Aggregate, Display, Input, InputType, Output, RubyPattern, Validation};
use marionette_wire::Value;

pub(super) fn action(s: &Stmt, actions: &mut Vec<Action>) -> Result<()> {
    arity(s, 2, 2)?;
    let action_name = name(&s.args[0], "action")?;
    let index = match actions.iter().position(|a| a.name == action_name) {
        Some(i) => i,
        None => {
            let p = Props::of(&s.args[1]).filter(|p| p.get("description").is_some());
            let Some(p) = p else {
                return Err(invalid(s.pos, "Action needs a :description property"));
            };
            if actions.len() == MAX_ACTIONS {
                return Err(invalid(s.pos, format!("more than {MAX_ACTIONS} actions")));
            }
            actions.push(Action {
                name: action_name,
                description: text_of(&p, "description", "an action's :description")?,
                display: Display::Failed,
                inputs: Vec::new(),
                outputs: Vec::new(),
                aggregates: Vec::new(),
            });
            actions.len() - 1
        }
    };
    let action = &mut actions[index];
    for inner in s.block.iter().flatten() {
        match inner.name.as_str() {
            "display" => {
                arity(inner, 1, 1)?;
                action.display = display(&inner.args[0])?;
            }
            "input" => {
                arity(inner, 2, 2)?;
                let i = input(inner, &inner.args[0], &inner.args[1])?;
                replace_or_push(&mut action.inputs, i, |x| &x.name, inner.pos, "inputs")?;
            }
            "output" => {
                arity(inner, 2, 2)?;
                let o = output(&inner.args[0], &inner.args[1])?;
                replace_or_push(&mut action.outputs, o, |x| &x.name, inner.pos, "outputs")?;
            }
            "summarize" => summarize(inner, action)?,
            "action" => {
                return Err(invalid(
                    inner.pos,
                    "an action cannot be declared inside another action",
                ));
            }
            "metadata" | "requires" => {
                return Err(invalid(
                    inner.pos,
                    format!(
                        "`{}` belongs at the top level, not inside an action",
                        inner.name
                    ),
                ));
            }
            other => {
                return Err(undefined(
                    inner.pos,
                    other,
                    "display, input, output and summarize",
                ));
            }
        }
    }
    Ok(())
}

/// Puts `item` in place of the one with its name, or at the end.
fn replace_or_push<T>(
    items: &mut Vec<T>,
    item: T,
    key: impl Fn(&T) -> &String,
    pos: Pos,
    what: &str,
) -> Result<()> {
    match items.iter().position(|x| key(x) == key(&item)) {
        Some(i) => items[i] = item,
        None if items.len() == MAX_ITEMS => {
            return Err(invalid(
                pos,
                format!("more than {MAX_ITEMS} {what} in one action"),
            ));
        }
        None => items.push(item),
    }
    Ok(())
}

fn display(e: &Expr) -> Result<Display> {
    Ok(match &e.kind {
        ExprKind::Sym(s) if s == "ok" => Display::Ok,
        ExprKind::Sym(s) if s == "failed" => Display::Failed,
        ExprKind::Sym(s) if s == "flatten" => Display::Flatten,
        ExprKind::Sym(s) if s == "always" => Display::Always,
        other => {
            return Err(invalid(
                e.pos,
                format!(
                    "Display preference {} is not valid, should be :ok, :failed, :flatten or :always",
                    to_s(other)
                ),
            ));
        }
    })
}

fn input(s: &Stmt, name_arg: &Expr, props: &Expr) -> Result<Input> {
    let input_name = name(name_arg, "input")?;
    let p = Props::of(props).ok_or_else(|| {
        invalid(
            props.pos,
            format!("input {input_name} needs a Hash of properties"),
        )
    })?;
    let keys = ["optional", "prompt", "description", "type"];
    p.require(&keys, s.pos, |key| format!("Input needs a :{key} property"))?;
    let type_expr = p.get("type").unwrap_or(props);
    let ExprKind::Sym(type_name) = &type_expr.kind else {
        return Err(invalid(
            type_expr.pos,
            format!(
                "input {input_name}: :type must be a Symbol such as :string, not {}",
                type_expr.kind.describe()
            ),
        ));
    };
    let mut validation = None;
    let mut maxlength = 0;
    let kind = match type_name.as_str() {
        "string" => {
            p.require(&["validation", "maxlength"], s.pos, |key| {
                format!("Input type :string needs a :{key} argument")
            })?;
            validation = p
                .get("validation")
                .map(self::validation)
                .transpose()?
                .flatten();
            maxlength = match p.get("maxlength").map(|e| (&e.kind, e.pos)) {
                Some((ExprKind::Int(n), _)) => usize::try_from(*n).unwrap_or(0),
                Some((ExprKind::Nil, _)) | None => 0,
                Some((k, pos)) => {
                    return Err(invalid(
                        pos,
                        format!(
                            "input {input_name}: :maxlength must be an Integer, not {}",
                            k.describe()
                        ),
                    ));
                }
            };
            InputType::String
        }
        "list" => match p.get("list") {
            None => return Err(invalid(s.pos, "Input type :list needs a :list argument")),
            Some(
                e @ Expr {
                    kind: ExprKind::Array(_),
                    ..
                },
            ) => match value(e)? {
                Value::Array(items) => InputType::List(items),
                _ => InputType::List(Vec::new()),
            },
            Some(e) => {
                return Err(invalid(
                    e.pos,
                    format!(
                        "input {input_name}: :list must be an Array, not {}",
                        e.kind.describe()
                    ),
                ));
            }
        },
        "integer" => InputType::Integer,
        "float" => InputType::Float,
        "number" => InputType::Number,
        "boolean" => InputType::Boolean,
        other => InputType::Other(other.to_string()),
    };
    let optional = !matches!(
        p.get("optional").map(|e| &e.kind),
        Some(ExprKind::Nil | ExprKind::Bool(false)) | None
    );
    Ok(Input {
        prompt: text_of(&p, "prompt", "an input's :prompt")?,
        description: text_of(&p, "description", "an input's :description")?,
        name: input_name,
        kind,
        validation,
        optional,
        maxlength,
        default: default(&p)?,
    })
}

/// An input's `:validation`, as `Validator.validate` dispatches on it.
fn validation(e: &Expr) -> Result<Option<Validation>> {
    Ok(Some(match &e.kind {
        ExprKind::Nil => return Ok(None),
        ExprKind::Str(s) => Validation::Regex(s.clone()),
        ExprKind::Regexp { source, flags } => {
            let re = regexp_to_s(source, flags);
            RubyPattern::new(&re).map_err(|err| invalid(e.pos, err.to_string()))?;
            Validation::Regex(re)
        }
        ExprKind::Sym(s) => match s.as_str() {
            "shellsafe" => Validation::Shellsafe,
            "ipv4address" => Validation::Ipv4Address,
            "ipv6address" => Validation::Ipv6Address,
            "string" => Validation::Type(InputType::String),
            "integer" => Validation::Type(InputType::Integer),
            "float" => Validation::Type(InputType::Float),
            "number" => Validation::Type(InputType::Number),
            "boolean" => Validation::Type(InputType::Boolean),
            other => Validation::Other(other.to_string()),
        },
        ExprKind::Array(_) => match value(e)? {
            Value::Array(items) => Validation::Type(InputType::List(items)),
            _ => return Ok(None),
        },
        other => {
            return Err(invalid(
                e.pos,
                format!(
                    "a :validation must be a regexp, a String, a validator Symbol or an Array, not {}",
                    other.describe()
                ),
            ));
        }
    }))
}

fn output(name_arg: &Expr, props: &Expr) -> Result<Output> {
    let output_name = name(name_arg, "output")?;
    let p = Props::of(props).ok_or_else(|| {
        invalid(
            props.pos,
            format!("Output {output_name} needs a description argument"),
        )
    })?;
    p.require(&["description", "display_as"], name_arg.pos, |key| {
        format!("Output {output_name} needs a {key} argument")
    })?;
    Ok(Output {
        description: text_of(&p, "description", "an output's :description")?,
        display_as: text_of(&p, "display_as", "an output's :display_as")?,
        default: default(&p)?,
        name: output_name,
    })
}

fn summarize(s: &Stmt, action: &mut Action) -> Result<()> {
    arity(s, 0, 0)?;
    let Some(body) = &s.block else {
        return Err(invalid(
            s.pos,
            "summarize needs a block (summarize do ... end)",
        ));
    };
    for inner in body {
        if inner.name != "aggregate" {
            return Err(undefined(inner.pos, &inner.name, "aggregate"));
        }
        arity(inner, 1, 2)?;
        let aggregate = aggregate(inner, &action.name)?;
        if action.aggregates.len() == MAX_ITEMS {
            return Err(invalid(
                inner.pos,
                format!("more than {MAX_ITEMS} aggregates in one action"),
            ));
        }
        action.aggregates.push(aggregate);
    }
    Ok(())
}

/// `aggregate function(:output, {:format => "…", …}, …)`.
fn aggregate(s: &Stmt, action: &str) -> Result<Aggregate> {
    if let Some(format) = s.args.get(1) {
        let Some(p) = Props::of(format) else {
            return Err(invalid(
                format.pos,
                "Formats supplied to aggregation functions should be a hash",
            ));
        };
        if p.get("format").is_none() {
            return Err(invalid(
                format.pos,
                "Formats supplied to aggregation functions must have a :format key",
            ));
        }
    }
    let f = &s.args[0];
    let ExprKind::Call {
        name: function,
        args,
    } = &f.kind
    else {
        return Err(invalid(
            f.pos,
            "Functions supplied to aggregate should be a hash",
        ));
    };
    let output = match args.first().map(|e| &e.kind) {
        Some(ExprKind::Sym(o) | ExprKind::Str(o)) => o.clone(),
        Some(other) => {
            return Err(invalid(
                f.pos,
                format!(
                    "aggregate {function} must name an output first, not {}",
                    other.describe()
                ),
            ));
        }
        None => {
            return Err(invalid(
                f.pos,
                format!("aggregate method for action '{action}' missing a function parameter"),
            ));
        }
    };
    let mut format = None;
    let mut extra = Vec::new();
    for (n, arg) in args.iter().enumerate().skip(1) {
        let with_format = Props::of(arg).filter(|p| p.get("format").is_some());
        match with_format {
            Some(p) if n == 1 => {
                format = match p.get("format").map(|e| &e.kind) {
                    Some(ExprKind::Str(f)) => Some(f.clone()),
                    Some(ExprKind::Nil) | None => None,
                    Some(other) => {
                        return Err(invalid(
                            arg.pos,
                            format!(
                                "an aggregate's :format must be a String, not {}",
                                other.describe()
                            ),
                        ));
                    }
                };
                let rest: Vec<(Value, Value)> =
                    p.0.iter()
                        .filter(|(k, _)| k.kind != ExprKind::Sym("format".into()))
                        .map(|(k, v)| Ok((value(k)?, value(v)?)))
                        .collect::<Result<_>>()?;
                if !rest.is_empty() {
                    extra.push(Value::Hash(rest));
                }
            }
            _ => extra.push(value(arg)?),
        }
    }
    Ok(Aggregate {
        function: function.clone(),
        output,
        args: extra,
        format,
    })
}

//! Ruby agent DDLs, the `.ddl` files MCollective agents ship, read without running Ruby:
//! a lexer (`lexer`), a parser to a small tree of declarations with literal arguments
//! (`parser`, `ast`) and the mapping of that tree to a [`Ddl`] with MCollective's rules
//! and messages (`build`). [`Ddl::to_ruby`] (`print`) writes one back out.
//!
//! ```ruby
//! metadata :name => "echo", :description => "Echoes", :author => "ops",
//!          :license => "Apache-2.0", :version => "1.0.0", :url => "https://example.org",
//!          :timeout => 10
//! requires :mcollective => "2.2.1"
//!
//! action "echo", :description => "Echo a message" do
//!     display :always
//!     input :message, :prompt => "Message", :description => "What to say",
//!           :type => :string, :validation => /^.+$/, :maxlength => 128, :optional => false
//!     output :message, :description => "The message", :display_as => "Message"
//!     summarize do
//!         aggregate summary(:message)
//!     end
//! end
//! ```
//!
//! The subset: method calls with or without parentheses, `do … end` and `{ … }` blocks,
//! strings (with Ruby's escapes, but no interpolation), symbols, numbers, `true`, `false`,
//! `nil`, arrays, hashes (`=>` and `key:`), regexps, `%w[] %i[] %q() %Q() %r{}`, and
//! constant `+ - *` (string joining, `10 * 1024`). Anything else — variables, `if`,
//! loops, `require`, method definitions — is refused with its line and column. The text
//! is bounded ([`MAX_DDL_BYTES`](crate::json::MAX_DDL_BYTES)), as are its tokens
//! ([`MAX_TOKENS`]), nesting ([`MAX_DEPTH`]), actions and items per action.

mod ast;
mod build;
mod error;
mod lexer;
mod parser;
mod print;

pub use error::{Pos, RubyDdlError};
pub use lexer::MAX_TOKENS;
pub use parser::MAX_DEPTH;
pub use print::literal;

use crate::Ddl;
use crate::json::MAX_DDL_BYTES;

/// The place of byte `offset` in `text`.
fn pos_of(text: &[u8], offset: usize) -> Pos {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let column = before
        .get(line_start..)
        .unwrap_or_default()
        .iter()
        .filter(|&&b| b & 0xC0 != 0x80)
        .count()
        + 1;
    Pos {
        line: u32::try_from(line).unwrap_or(u32::MAX),
        column: u32::try_from(column).unwrap_or(u32::MAX),
    }
}

impl Ddl {
    /// Reads a Ruby DDL for agent `agent` (the file's name: a Ruby DDL's `:name` is only
    /// a display name).
    pub fn from_ruby(agent: &str, text: &[u8]) -> Result<Ddl, RubyDdlError> {
        if text.len() > MAX_DDL_BYTES {
            return Err(RubyDdlError::TooLarge);
        }
        if !crate::valid_name(agent) {
            return Err(RubyDdlError::AgentName(agent.to_string()));
        }
        let text = text.strip_prefix("\u{feff}".as_bytes()).unwrap_or(text);
        let text = std::str::from_utf8(text).map_err(|e| {
            RubyDdlError::syntax(
                pos_of(text, e.valid_up_to()),
                "invalid multibyte char (UTF-8)",
            )
        })?;
        let tokens = lexer::tokenize(text)?;
        let statements = parser::parse(&tokens)?;
        build::build(agent, &statements)
    }
}

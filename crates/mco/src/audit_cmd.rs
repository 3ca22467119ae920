//! `mco audit verify FILE...`: checks the hash chain of a node's audit log
//! (`marionette_security::audit`). Several files are taken oldest first, so a rotated
//! log can be checked with its successors. Intact: one summary line per file, status 0;
//! broken: the first edited, inserted or deleted line in one error line, status 1.

use clap::{Args, Subcommand};
use marionette_security::audit::verify::verify_files;
use std::path::PathBuf;

/// `mco audit`.
#[derive(Args, Debug)]
pub struct AuditArgs {
    #[command(subcommand)]
    command: AuditCommand,
}

#[derive(Subcommand, Debug)]
enum AuditCommand {
    /// Check that no line of an audit log was edited, inserted or deleted (its hash
    /// chain). Give rotated files oldest first to check that each continues the one
    /// before.
    Verify {
        /// The audit files (jsonl or logfile lines).
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

/// Runs `mco audit`; the exit status.
pub fn run(args: AuditArgs) -> anyhow::Result<i32> {
    match args.command {
        AuditCommand::Verify { files } => {
            let summaries = verify_files(&files)?;
            for (file, summary) in files.iter().zip(summaries) {
                println!("{}: intact: {summary}", file.display());
            }
            Ok(0)
        }
    }
}

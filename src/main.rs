use std::process::ExitCode;

use clap::Parser;
use evidence_agent::cli::Cli;
use evidence_agent::commands;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // clap prints help/version to stdout with success; usage errors with code 2.
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() {
                evidence_agent::exit::USAGE as u8
            } else {
                0
            });
        }
    };
    ExitCode::from(commands::dispatch(cli) as u8)
}

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = briefing::cli::Cli::parse();
    match briefing::cli::run(cli) {
        Ok(code) => code,
        Err(err) => {
            briefing::cli::print_error(&err);
            ExitCode::FAILURE
        }
    }
}

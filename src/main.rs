use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    briefing::cli::install_panic_hook();
    let cli = briefing::cli::Cli::parse();
    match briefing::cli::run(cli) {
        Ok(code) => code,
        Err(err) => {
            briefing::cli::print_error(&err);
            ExitCode::FAILURE
        }
    }
}

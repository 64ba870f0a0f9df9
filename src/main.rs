use std::process::ExitCode;

use clap::Parser;

// A build makes and frees millions of small strings (syntect's regions and scopes,
// Markdown events, template values): glibc's malloc took a fifth of a cold build's CPU,
// and kept what the preview's threads freed. mimalloc: cold builds of 10,000 pages about
// 12 % faster, a preview save 30 % faster, the preview holding 265 MB instead of 450.
// On Linux, with libmimalloc-sys's `override` feature, it is also the C code's malloc
// (Oniguruma's regions, under syntect): another 8 %.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    briefing::cli::tune_allocator();
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

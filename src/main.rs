use std::process::ExitCode;

use clap::Parser;

// A build makes and frees millions of small strings (syntect's regions and scopes,
// Markdown events, template values): glibc's malloc took a fifth of a cold build's CPU,
// and kept what the preview's threads freed. mimalloc: cold builds of 10,000 pages about
// 12 % faster, a preview save 30 % faster, the preview holding 290 MB instead of 450.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's `purge_delay` option: its place in mimalloc 3's list of options, which
/// libmimalloc-sys 0.1.49 does not name.
const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

fn main() -> ExitCode {
    // mimalloc 3 gives freed memory back to the system a second after it is freed; a
    // build frees most of what it makes well within that, so its peak grew by a tenth.
    // 10 ms is mimalloc 2's delay (10,000 pages: a warm build's peak 200 -> 168 MB).
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        // SAFETY: the option only changes when mimalloc hands free pages back.
        unsafe { libmimalloc_sys::mi_option_set(PURGE_DELAY, 10) };
    }
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

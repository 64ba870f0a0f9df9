//! The command line: arguments, the commands, and the one printer of errors.

pub mod figure_table;
pub mod init;
pub mod serve;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context as _;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::render::report;
use crate::{LoadOptions, Problems, Site};

#[derive(Debug, Parser)]
#[command(
    name = "briefing",
    version,
    about = "Build data-driven industry briefings into a website"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Build the site into the output folder (public/ by default)
    Build {
        /// The site's folder, holding briefing.yaml
        #[arg(long, default_value = ".")]
        root: PathBuf,
        /// Where to write the site [default: ROOT/public]
        #[arg(long, short)]
        output: Option<PathBuf>,
        /// Publish under this URL instead of briefing.yaml's base_url
        #[arg(long)]
        base_url: Option<String>,
        /// Include pages marked `draft: true`
        #[arg(long)]
        drafts: bool,
        /// Warn about broken internal links, anchors and images instead of failing
        #[arg(long)]
        allow_broken_links: bool,
        /// Build from scratch: neither read nor write the cache in .briefing-cache/
        #[arg(long)]
        no_cache: bool,
        /// Write into an output folder that holds files no build wrote (they are kept)
        #[arg(long)]
        force: bool,
        /// Print nothing but warnings and errors (no progress, no summary)
        #[arg(long, short)]
        quiet: bool,
        /// The highlight cache shared by every site [default: $BRIEFING_CACHE_DIR, else the platform's cache folder; `off` for none]
        #[arg(long, value_name = "DIR")]
        cache_dir: Option<PathBuf>,
    },
    /// Write the whole briefing as one self-contained HTML file, and a PDF with --pdf
    Report {
        /// The site's folder, holding briefing.yaml
        #[arg(long, default_value = ".")]
        root: PathBuf,
        /// The HTML file to write [default: report.html, unless only --pdf is given]
        #[arg(long, short)]
        output: Option<PathBuf>,
        /// Also print the report to this PDF file with a headless Chromium
        #[arg(long)]
        pdf: Option<PathBuf>,
        /// The Chromium or Chrome to print with [default: the first on PATH]
        #[arg(long)]
        chromium: Option<PathBuf>,
        /// Include pages marked `draft: true`
        #[arg(long)]
        drafts: bool,
        /// The highlight cache shared by every site [default: $BRIEFING_CACHE_DIR, else the platform's cache folder; `off` for none]
        #[arg(long, value_name = "DIR")]
        cache_dir: Option<PathBuf>,
    },
    /// Do everything build does and check every link, anchor and image; write nothing
    Check {
        /// The site's folder, holding briefing.yaml
        #[arg(long, default_value = ".")]
        root: PathBuf,
        /// Check pages marked `draft: true` too
        #[arg(long)]
        drafts: bool,
        /// Check as if published under this URL instead of briefing.yaml's base_url
        #[arg(long)]
        base_url: Option<String>,
        /// List every external link and where it is (they are never fetched)
        #[arg(long)]
        external: bool,
        /// The highlight cache shared by every site [default: $BRIEFING_CACHE_DIR, else the platform's cache folder; `off` for none]
        #[arg(long, value_name = "DIR")]
        cache_dir: Option<PathBuf>,
    },
    /// Write a new briefing site into DIR from the built-in starter
    Init {
        /// The folder for the new site (created if missing)
        dir: PathBuf,
        /// Write into a folder that is not empty, replacing files of the same names
        #[arg(long)]
        force: bool,
    },
    /// Print every figure: value in its own unit, display, kind, formula, inputs and source
    Figures {
        /// The site's folder, holding data/figures.yaml
        #[arg(long, default_value = ".")]
        root: PathBuf,
        /// table for reading, json or csv for tools
        #[arg(long, value_enum, default_value_t)]
        format: crate::cli::figure_table::Format,
        /// Show every figure as it is in this scenario of `scenarios:`
        #[arg(long, value_name = "NAME")]
        scenario: Option<String>,
    },
    /// Preview the site: serve it, rebuild on every save and reload the open pages
    Serve {
        /// The site's folder, holding briefing.yaml
        #[arg(long, default_value = ".")]
        root: PathBuf,
        /// The port to listen on; 0 picks any free port
        #[arg(long, short, default_value_t = crate::cli::serve::DEFAULT_PORT)]
        port: u16,
        /// The address to listen on; other than 127.0.0.1 or ::1, other machines can reach it
        #[arg(long, default_value = "127.0.0.1")]
        bind: std::net::IpAddr,
        /// Open the preview in the desktop's browser
        #[arg(long)]
        open: bool,
        /// Include pages marked `draft: true`
        #[arg(long)]
        drafts: bool,
        /// The highlight cache shared by every site [default: $BRIEFING_CACHE_DIR, else the platform's cache folder; `off` for none]
        #[arg(long, value_name = "DIR")]
        cache_dir: Option<PathBuf>,
    },
}

pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Build {
            root,
            output,
            base_url,
            drafts,
            allow_broken_links,
            no_cache,
            force,
            quiet,
            cache_dir,
        } => {
            let output = output.unwrap_or_else(|| root.join("public"));
            let progress =
                std::sync::Arc::new(crate::publish::progress::Progress::on_terminal(quiet));
            let publish = crate::publish::Options {
                allow_broken_links,
                output_dir: crate::util::files::display_path(&root, &output),
                progress: Some(std::sync::Arc::clone(&progress)),
                ..crate::publish::Options::default()
            };
            let load = LoadOptions {
                drafts,
                base_url,
                no_cache,
                shared_cache: crate::publish::shared::locate(cache_dir.as_deref()),
            };
            let summary = crate::build_with(
                &root,
                &output,
                &load,
                &publish,
                crate::publish::disk::WriteOptions { force },
            );
            // The progress line is cleared before anything else is printed.
            progress.finish();
            let summary = summary?;
            print_warnings(&summary.warnings);
            if quiet {
                return Ok(ExitCode::SUCCESS);
            }
            println!(
                "Built {} pages ({} rendered{}, the rest unchanged; {} code block{} highlighted; {} files, {} KiB) into {} in {} ms",
                summary.pages,
                summary.rendered,
                if summary.restored > 0 {
                    format!(", {} from the shared cache", summary.restored)
                } else {
                    String::new()
                },
                summary.highlighted,
                if summary.highlighted == 1 { "" } else { "s" },
                summary.files,
                summary.bytes.div_ceil(1024),
                output.display(),
                summary.elapsed.as_millis()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Report {
            root,
            output,
            pdf,
            chromium,
            drafts,
            cache_dir,
        } => report(
            &root,
            output,
            pdf,
            chromium.as_deref(),
            drafts,
            cache_dir.as_deref(),
        ),
        Command::Check {
            root,
            drafts,
            base_url,
            external,
            cache_dir,
        } => {
            let load = LoadOptions {
                drafts,
                base_url,
                ..LoadOptions::default()
            };
            let site = Site::load(&root, &load)?;
            let publish = crate::publish::Options {
                allow_broken_links: false,
                output_dir: PathBuf::from("public"),
                external_links: if external {
                    crate::publish::links::External::Locate
                } else {
                    crate::publish::links::External::List
                },
                ..crate::publish::Options::default()
            };
            let highlights = crate::publish::cache::Highlights::read_only(
                &root.join(crate::publish::cache::DIR_NAME),
            )
            .with_shared(crate::publish::shared::highlight_cache(
                crate::publish::shared::locate(cache_dir.as_deref()).as_deref(),
                false,
            ));
            let published = crate::publish::prepare_with(&site, &publish, &highlights)?;
            print_warnings(&published.warnings);
            let links = &published.links;
            if external {
                for link in &links.external {
                    println!("{}: {}", link.location, link.url);
                }
            }
            println!(
                "No problems found in {} pages, {} figures and {} internal links; {} external link{} listed, not fetched{}",
                site.pages.len(),
                site.figures.len(),
                links.internal,
                links.external.len(),
                if links.external.len() == 1 { "" } else { "s" },
                if external || links.external.is_empty() {
                    ""
                } else {
                    " (show them with --external)"
                }
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Figures {
            root,
            format,
            scenario,
        } => {
            let mut figures = crate::cli::figure_table::load(&root)?;
            if let Some(name) = scenario {
                figures = crate::cli::figure_table::in_scenario(&root, &figures, &name)?;
            }
            print!("{}", crate::cli::figure_table::render(&figures, format));
            Ok(ExitCode::SUCCESS)
        }
        Command::Init { dir, force } => {
            let written = crate::cli::init::init(&dir, force)?;
            println!(
                "Wrote a new briefing site ({} files) into {}",
                written.len(),
                dir.display()
            );
            println!(
                "Next: cd {} && briefing build   (then open public/index.html)",
                dir.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Serve {
            root,
            port,
            bind,
            open,
            drafts,
            cache_dir,
        } => crate::cli::serve::run(
            crate::cli::serve::ServeOptions {
                root,
                bind,
                port,
                drafts,
                shared_cache: crate::publish::shared::locate(cache_dir.as_deref()),
                ..crate::cli::serve::ServeOptions::default()
            },
            open,
        ),
    }
}

/// Problems that did not stop the command, each with where it is and how to fix it.
pub fn print_warnings(warnings: &[crate::Problem]) {
    let mut stderr = std::io::stderr().lock();
    for warning in warnings {
        let _ = writeln!(stderr, "warning: {warning}");
    }
}

fn report(
    root: &Path,
    output: Option<PathBuf>,
    pdf: Option<PathBuf>,
    chromium: Option<&Path>,
    drafts: bool,
    cache_dir: Option<&Path>,
) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let site = Site::load(
        root,
        &LoadOptions {
            drafts,
            ..LoadOptions::default()
        },
    )?;
    // Find the browser before any work, so a missing one fails fast.
    let chromium = pdf
        .as_ref()
        .map(|_| crate::publish::pdf::find_chromium(chromium))
        .transpose()?;
    let highlights =
        crate::publish::cache::Highlights::read_only(&root.join(crate::publish::cache::DIR_NAME))
            .with_shared(crate::publish::shared::highlight_cache(
                crate::publish::shared::locate(cache_dir).as_deref(),
                true,
            ));
    let first = report::render(&site, None, &highlights)?;
    for warning in &first.warnings {
        eprintln!("warning: {warning}");
    }
    let output = output.or_else(|| pdf.is_none().then(|| PathBuf::from("report.html")));
    if let Some(output) = &output {
        std::fs::write(output, &first.html)
            .with_context(|| format!("cannot write {}", output.display()))?;
        println!(
            "Wrote {} ({} KiB, {} sections) in {} ms",
            output.display(),
            first.html.len().div_ceil(1024),
            first.sections.len(),
            started.elapsed().as_millis()
        );
    }
    if let (Some(pdf), Some(chromium)) = (pdf, chromium) {
        let started = Instant::now();
        // Printed beside the PDF, which it replaces only once the last printing worked.
        let printed = crate::publish::pdf::print_pdf(&first.html, &pdf, &chromium)?;
        // A second printing puts the page numbers, read from the first, in the contents.
        let printed = match crate::publish::pdf::page_numbers(printed.path(), &first.sections) {
            Some(numbers) => {
                let numbered = report::render(&site, Some(&numbers), &highlights)?;
                crate::publish::pdf::print_pdf(&numbered.html, &pdf, &chromium)?
            }
            None => {
                eprintln!(
                    "note: the contents of {} have no page numbers (they need pdftotext, from poppler-utils)",
                    pdf.display()
                );
                printed
            }
        };
        crate::publish::pdf::persist_pdf(printed, &pdf)?;
        println!(
            "Wrote {} in {} ms",
            pdf.display(),
            started.elapsed().as_millis()
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// mimalloc's `purge_delay` option: its place in mimalloc 3's list of options, which
/// libmimalloc-sys 0.1.49 does not name.
const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Settings of mimalloc, the allocator of the binary (and of the benchmarks that run the
/// preview in their own process). mimalloc 3 gives freed memory back to the system a
/// second after it is freed; a build frees most of what it makes well within that, so
/// its peak grew by a tenth. Sooner costs time: at 10 ms (mimalloc 2's delay) a cold
/// build spent a twentieth of its time handing pages back and taking them again. At
/// 100 ms, 10,000 pages: cold 5 % faster than at 10 ms, peaks 185 MB instead of 175
/// (1 s: 193). `MIMALLOC_PURGE_DELAY` in the environment still wins.
pub fn tune_allocator() {
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        // SAFETY: the option only changes when mimalloc hands free pages back; without
        // mimalloc as the allocator it changes nothing at all.
        unsafe { libmimalloc_sys::mi_option_set(PURGE_DELAY, 100) };
    }
}

/// Make a panic print "internal error" and how to report it, instead of Rust's message
/// meant for the programmer. A last line of defence: bad input must get a problem with
/// its place, never a panic. The panicking thread still unwinds (temporary files are
/// removed) and the process exits with Rust's code for a panic, 101.
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let payload = info
            .payload()
            .downcast_ref::<&str>()
            .copied()
            .or_else(|| info.payload().downcast_ref::<String>().map(String::as_str))
            .unwrap_or("(no message)");
        let place = info
            .location()
            .map(|l| format!("{}:{}:{}", l.file(), l.line(), l.column()));
        let backtrace = std::backtrace::Backtrace::capture();
        let mut message = internal_error_message(payload, place.as_deref());
        if backtrace.status() == std::backtrace::BacktraceStatus::Captured {
            message.push_str(&format!("\n{backtrace}"));
        } else {
            message.push_str(" Run it again with RUST_BACKTRACE=1 to add a backtrace.");
        }
        let _ = writeln!(std::io::stderr().lock(), "{message}");
    }));
}

/// What the panic hook prints.
pub fn internal_error_message(payload: &str, place: Option<&str>) -> String {
    let place = place.map(|p| format!(" (at {p})")).unwrap_or_default();
    let args: Vec<String> = std::env::args().skip(1).collect();
    format!(
        "internal error: {payload}{place}\n\
         This is a bug in briefing {version}, not a problem in your files. Please file an \
         issue with the briefing project giving this message, the command you ran \
         (`briefing {args}`) and the file it was reading (or a small site that shows the \
         same error).",
        version = env!("CARGO_PKG_VERSION"),
        args = args.join(" "),
    )
}

/// Print an error and what caused it. Problems in the user's files are printed as
/// they are (they already say where and how to fix); anything else with its causes.
pub fn print_error(err: &anyhow::Error) {
    let mut stderr = std::io::stderr().lock();
    if let Some(problems) = err.downcast_ref::<Problems>() {
        let _ = writeln!(stderr, "{problems}");
        return;
    }
    let _ = writeln!(stderr, "error: {err}");
    for cause in err.chain().skip(1) {
        let _ = writeln!(stderr, "  caused by: {cause}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_internal_error_says_it_is_a_bug_and_how_to_report_it() {
        let message = internal_error_message("index out of range", Some("src/links.rs:582:54"));
        let first = message.lines().next().unwrap();
        assert_eq!(
            first,
            "internal error: index out of range (at src/links.rs:582:54)"
        );
        for part in [
            "a bug in briefing",
            "not a problem in your files",
            "file an issue",
            "the command you ran",
        ] {
            assert!(message.contains(part), "{part}: {message}");
        }
        assert!(internal_error_message("x", None).starts_with("internal error: x\n"));
    }
}

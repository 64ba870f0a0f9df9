//! The command line: arguments, the commands, and the one printer of errors.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

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
    },
    /// Write a new briefing site into DIR from the built-in starter
    Init {
        /// The folder for the new site (created if missing)
        dir: PathBuf,
        /// Write into a folder that is not empty, replacing files of the same names
        #[arg(long)]
        force: bool,
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
        } => {
            let output = output.unwrap_or_else(|| root.join("public"));
            let publish = crate::publish::Options {
                allow_broken_links,
                output_dir: crate::content::display_path(&root, &output),
            };
            let summary =
                crate::build_with(&root, &output, &LoadOptions { drafts, base_url }, &publish)?;
            print_warnings(&summary.warnings);
            println!(
                "Built {} pages ({} files, {} KiB) into {} in {} ms",
                summary.pages,
                summary.files,
                summary.bytes.div_ceil(1024),
                output.display(),
                summary.elapsed.as_millis()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Check {
            root,
            drafts,
            base_url,
            external,
        } => {
            let site = Site::load(&root, &LoadOptions { drafts, base_url })?;
            let publish = crate::publish::Options {
                allow_broken_links: false,
                output_dir: PathBuf::from("public"),
            };
            let published = crate::publish::prepare(&site, &publish)?;
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
        Command::Init { dir, force } => {
            let written = crate::init::init(&dir, force)?;
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
    }
}

/// Problems that did not stop the command, each with where it is and how to fix it.
pub fn print_warnings(warnings: &[crate::Problem]) {
    let mut stderr = std::io::stderr().lock();
    for warning in warnings {
        let _ = writeln!(stderr, "warning: {warning}");
    }
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

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
    },
    /// Load and render the whole site without writing anything; report every problem
    Check {
        /// The site's folder, holding briefing.yaml
        #[arg(long, default_value = ".")]
        root: PathBuf,
        /// Check pages marked `draft: true` too
        #[arg(long)]
        drafts: bool,
    },
    /// Preview the site: serve it, rebuild on every save and reload the open pages
    Serve {
        /// The site's folder, holding briefing.yaml
        #[arg(long, default_value = ".")]
        root: PathBuf,
        /// The port to listen on; 0 picks any free port
        #[arg(long, short, default_value_t = crate::serve::DEFAULT_PORT)]
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
    },
}

pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Build {
            root,
            output,
            base_url,
            drafts,
        } => {
            let output = output.unwrap_or_else(|| root.join("public"));
            let summary = crate::build(&root, &output, &LoadOptions { drafts, base_url })?;
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
        Command::Check { root, drafts } => {
            let site = Site::load(
                &root,
                &LoadOptions {
                    drafts,
                    base_url: None,
                },
            )?;
            crate::build::render(&site)?;
            println!(
                "No problems found in {} pages and {} figures",
                site.pages.len(),
                site.figures.len()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Serve {
            root,
            port,
            bind,
            open,
            drafts,
        } => crate::serve::run(
            crate::serve::ServeOptions {
                root,
                bind,
                port,
                drafts,
            },
            open,
        ),
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

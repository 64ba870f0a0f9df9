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
    /// Print every figure: value in its own unit, display, kind, formula, inputs and source
    Figures {
        /// The site's folder, holding data/figures.yaml
        #[arg(long, default_value = ".")]
        root: PathBuf,
        /// table for reading, json or csv for tools
        #[arg(long, value_enum, default_value_t)]
        format: crate::figure_table::Format,
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
        Command::Figures { root, format } => {
            let figures = crate::figure_table::load(&root)?;
            print!("{}", crate::figure_table::render(&figures, format));
            Ok(ExitCode::SUCCESS)
        }
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

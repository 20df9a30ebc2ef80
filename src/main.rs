//! The `netsim` command line: parses arguments, calls the library, maps errors
//! to exit codes (0 ok, 2 bad input, 1 internal error).

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "netsim",
    version,
    about = "A deterministic discrete-event network simulator",
    after_help = "Examples:\n  netsim run scenarios/quickstart.toml\n  netsim run scenarios/quickstart.toml --trace --seed 7 --out /tmp/results\n  netsim compare scenarios/diamond.toml\n  netsim validate scenarios/quickstart.toml\n  netsim bench --quick\n\nExit codes: 0 success, 2 bad input (scenario or arguments), 1 internal error."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Simulate a scenario and write summary, statistics (and a trace) to OUT/<name>/
    Run {
        /// The scenario file (TOML)
        file: PathBuf,
        /// Folder that receives the result folder
        #[arg(long, default_value = "output")]
        out: PathBuf,
        /// Override the scenario's seed
        #[arg(long)]
        seed: Option<u64>,
        /// Also write trace.txt, one line per event
        #[arg(long)]
        trace: bool,
        /// Print nothing but errors
        #[arg(long, short)]
        quiet: bool,
        /// Do not draw the charts (PNG and SVG)
        #[arg(long)]
        no_plots: bool,
        /// The TCP flow drawn in the ladder and sequence charts (default: the first)
        #[arg(long, value_name = "FLOW")]
        ladder_flow: Option<String>,
        /// How many of its first segments the ladder diagram shows
        #[arg(long, value_name = "N", default_value_t = 30)]
        ladder_segments: usize,
        /// Also write pcap/<from>-<to>.pcap: the packets of each link direction
        #[arg(long)]
        pcap: bool,
    },
    /// Run a scenario over packets and over circuits, same traffic and failures, side by side
    Compare {
        /// The scenario file (TOML)
        file: PathBuf,
        /// Folder that receives the result folder (<name>-compare)
        #[arg(long, default_value = "output")]
        out: PathBuf,
        /// Override the scenario's seed
        #[arg(long)]
        seed: Option<u64>,
        /// Also write trace-packet.txt and trace-circuit.txt
        #[arg(long)]
        trace: bool,
        /// Do not draw the charts
        #[arg(long)]
        no_plots: bool,
        /// Print nothing but errors
        #[arg(long, short)]
        quiet: bool,
    },
    /// Check a scenario file without simulating it
    Validate {
        /// The scenario file (TOML)
        file: PathBuf,
    },
    /// Measure the engine's speed: events per second and wall time
    Bench {
        /// Smaller sizes, for a quick look
        #[arg(long)]
        quick: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match execute(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(e.exit_code() as u8)
        }
    }
}

/// Writes to stdout; a closed pipe (`netsim run ... | head`) is not an error.
fn say(text: &str) {
    use std::io::Write;
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
}

fn execute(command: Command) -> netsim::Result<()> {
    match command {
        Command::Run {
            file,
            out,
            seed,
            trace,
            quiet,
            no_plots,
            ladder_flow,
            ladder_segments,
            pcap,
        } => {
            let scenario = netsim::run::load(&file, seed)?;
            let config = netsim::run::RunConfig {
                trace,
                plots: !no_plots,
                watch_flow: ladder_flow,
                ladder: netsim::charts::LadderOptions {
                    segments: ladder_segments,
                },
                progress: !quiet,
                pcap,
                ..netsim::run::RunConfig::new(out)
            };
            let result = netsim::run::run(scenario, &config)?;
            if !quiet {
                say(&result.report.summary());
                let mut files: Vec<String> = std::fs::read_dir(&result.folder)
                    .map_err(|e| netsim::Error::io(&result.folder, e))?
                    .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
                    .collect();
                files.sort();
                say(&format!(
                    "\nwrote {}/: {}\n",
                    result.folder.display(),
                    files.join(" ")
                ));
                let secs = result.wall.as_secs_f64();
                eprintln!(
                    "{} events in {:.3} s wall time ({:.2} M events/s)",
                    result.report.events,
                    secs,
                    result.report.events as f64 / secs.max(1e-9) / 1e6
                );
            }
            Ok(())
        }
        Command::Compare {
            file,
            out,
            seed,
            trace,
            no_plots,
            quiet,
        } => {
            let scenario = netsim::run::load(&file, seed)?;
            let result = netsim::compare::compare(scenario, &out, trace, !no_plots)?;
            if !quiet {
                say(&result.comparison.table());
                say(&format!("\nwrote {}/\n", result.folder.display()));
            }
            Ok(())
        }
        Command::Validate { file } => {
            let sc = netsim::scenario::load(&file)?;
            say(&format!(
                "{}: ok — scenario `{}`: {} nodes, {} links, {} flows, {} s simulated, seed {}\n",
                file.display(),
                sc.name,
                sc.nodes.len(),
                sc.links.len(),
                sc.flows.len(),
                sc.duration.as_secs_f64(),
                sc.seed
            ));
            Ok(())
        }
        Command::Bench { quick } => {
            say(&netsim::bench::run(quick));
            Ok(())
        }
    }
}

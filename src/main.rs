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
    after_help = "Examples:\n  netsim run scenarios/quickstart.toml\n  netsim run scenarios/quickstart.toml --trace --seed 7 --out /tmp/results\n  netsim compare scenarios/diamond.toml\n  netsim validate scenarios/quickstart.toml\n  netsim bench --quick\n\nExit codes: 0 success, 2 bad input (scenario or arguments), 3 a run stopped by a limit (--max-*, [limits]), 1 internal error."
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
        /// Also write view.html: the run animated in one self-contained page
        #[arg(long)]
        view: bool,
        /// Threads for the one run (the topology split into as many parts);
        /// the outputs are the same for any number
        #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=256))]
        threads: u16,
        #[command(flatten)]
        limits: LimitArgs,
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
        /// Run the packet side once per setting, overriding the scenario's:
        /// single, ecmp, spray-round-robin, spray-random (comma-separated)
        #[arg(long, value_name = "LIST", value_delimiter = ',', value_parser = parse_multipath)]
        multipath: Vec<netsim::scenario::Multipath>,
        /// Also write view.html: the packet and circuit runs animated side by side
        #[arg(long)]
        view: bool,
        #[command(flatten)]
        limits: LimitArgs,
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
        /// Run only this case, here, and print its figures as one tab-separated line
        #[arg(long, value_name = "CASE")]
        only: Option<String>,
        /// Threads for each simulated case (see `run --threads`)
        #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=256))]
        threads: u16,
    },
    /// Predict what a parallel run would gain: run a scenario (or a bench case) with a profile of its lookahead windows under splits into N parts
    Parallelism {
        /// A scenario file (TOML), or a bench case: fat-tree-K, dumbbell-N, diamond, udp-chain
        target: String,
        /// The part counts to model (comma-separated)
        #[arg(long, value_name = "LIST", value_delimiter = ',', default_value = "2,4,16,64", value_parser = parse_parts)]
        parts: Vec<usize>,
    },
    /// Run a scenario over a grid of --set values × seeds in parallel: mean and 95% CI per grid point
    Sweep {
        /// The scenario file (TOML)
        file: PathBuf,
        /// Folder that receives the result folder (<name>-sweep)
        #[arg(long, default_value = "output")]
        out: PathBuf,
        /// Seeds: an inclusive range `1..30` or a list `1,2,5` (default: the scenario's seed)
        #[arg(long, value_name = "SEEDS")]
        seeds: Option<String>,
        /// A scenario key and its values, e.g. tcp.mss=1000,1448 or link[R1,R2].queue=50p,100p; repeat for a grid
        #[arg(long = "set", value_name = "KEY=V1,V2,...")]
        set: Vec<String>,
        /// Simulations at once (default: all cores)
        #[arg(long, short, value_name = "N")]
        jobs: Option<usize>,
        /// Run only the runs whose number is I modulo N (0 <= I < N); default: from SLURM_ARRAY_TASK_ID/COUNT if set
        #[arg(long, value_name = "I/N")]
        shard: Option<String>,
        /// Print nothing but errors
        #[arg(long, short)]
        quiet: bool,
    },
    /// Combine the results of sweep shards (their --out folders) into one sweep result
    Merge {
        /// The shards' --out folders (or their <name>-sweep folders)
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
        /// Folder that receives the merged result folder (<name>-sweep)
        #[arg(long, default_value = "output")]
        out: PathBuf,
        /// Print nothing but errors
        #[arg(long, short)]
        quiet: bool,
    },
}

/// Caps on a run (override the scenario's `[limits]`; see README "Limits").
#[derive(clap::Args)]
struct LimitArgs {
    /// Stop after N events (default 1000000000)
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    max_events: Option<u64>,
    /// Stop when more than N packets are alive at once (default 10000000)
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    max_packets_in_flight: Option<u64>,
    /// Refuse scenarios with more than N nodes (default 100000)
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    max_nodes: Option<u64>,
    /// Stop when the process's resident memory exceeds SIZE, e.g. 8GiB (default 8GiB)
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    max_memory: Option<u64>,
}

impl LimitArgs {
    fn limits(&self) -> netsim::limits::Limits {
        netsim::limits::Limits {
            max_events: self.max_events,
            max_packets_in_flight: self.max_packets_in_flight,
            max_nodes: self.max_nodes,
            max_memory: self.max_memory,
        }
    }
}

fn parse_size(s: &str) -> Result<u64, String> {
    match s.parse::<netsim::units::ByteSize>()?.0 {
        0 => Err("expected a size greater than zero, e.g. 8GiB".into()),
        n => Ok(n),
    }
}

fn parse_parts(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(n) if (1..=4096).contains(&n) => Ok(n),
        _ => Err(format!(
            "expected a number of parts from 1 to 4096, not `{s}`"
        )),
    }
}

fn parse_multipath(s: &str) -> Result<netsim::scenario::Multipath, String> {
    netsim::scenario::Multipath::from_name(s).ok_or_else(|| {
        format!("expected single, ecmp, spray-round-robin or spray-random, not `{s}`")
    })
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

/// Why a run used fewer threads than asked for.
fn fewer_threads_why(used: usize) -> String {
    match used {
        1 => "the topology has no split whose cut links all have a positive delay, \
              so it ran on one thread"
            .into(),
        n => format!(
            "the topology splits into only {n} parts, a host going with its router; \
             one thread each"
        ),
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
            view,
            threads,
            limits,
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
                view,
                threads: threads.into(),
                limits: limits.limits(),
                ..netsim::run::RunConfig::new(out)
            };
            let folder = config.out_root.join(&scenario.name);
            let result = match netsim::run::run(scenario, &config) {
                Err(e @ netsim::Error::Limit(_)) => {
                    if !quiet {
                        say(&format!(
                            "wrote {}/: INCOMPLETE (see INCOMPLETE.txt)\n",
                            folder.display()
                        ));
                    }
                    return Err(e);
                }
                r => r?,
            };
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
                let used = result.threads;
                eprintln!(
                    "{} events in {:.3} s wall time on {used} thread{} ({:.2} M events/s)",
                    result.report.events,
                    secs,
                    if used == 1 { "" } else { "s" },
                    result.report.events as f64 / secs.max(1e-9) / 1e6
                );
                if result.windows > 0 {
                    eprintln!(
                        "the threads met {} times, after {:.0} events each on average",
                        result.windows,
                        result.report.events as f64 / result.windows as f64
                    );
                }
                if usize::from(threads) > used {
                    eprintln!("--threads {threads}: {}", fewer_threads_why(used));
                }
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
            multipath,
            view,
            limits,
        } => {
            let mut scenario = netsim::run::load(&file, seed)?;
            scenario.limits = limits.limits().or(scenario.limits);
            let options = netsim::compare::CompareOptions {
                trace,
                plots: !no_plots,
                view,
                multipath,
            };
            let result = netsim::compare::compare_with(scenario, &out, &options)?;
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
        Command::Bench {
            quick,
            only,
            threads,
        } => {
            netsim::bench::set_threads(threads.into());
            match only {
                Some(case) => match netsim::bench::run_case(&case, quick) {
                    Some(row) => say(&netsim::bench::row_line(&row)),
                    None => {
                        return Err(netsim::Error::Usage(format!(
                            "unknown benchmark `{case}`; expected one of: {}",
                            netsim::bench::cases(false).join(", ")
                        )));
                    }
                },
                None => {
                    let exe = std::env::current_exe().ok();
                    say(&netsim::bench::run(quick, exe.as_deref()));
                }
            }
            Ok(())
        }
        Command::Parallelism { target, parts } => {
            let sc = match netsim::bench::case_scenario(&target, false) {
                Some(text) => netsim::scenario::parse(&target, &text, &target)?,
                None => netsim::scenario::load(std::path::Path::new(&target))?,
            };
            say(&netsim::bench::parallel_model(sc, &parts)?);
            Ok(())
        }
        Command::Sweep {
            file,
            out,
            seeds,
            set,
            jobs,
            shard,
            quiet,
        } => {
            let args = netsim::sweep::SweepArgs {
                file,
                out,
                seeds,
                set,
                jobs,
                shard,
                quiet,
            };
            let result = netsim::sweep::sweep(&args)?;
            if !quiet {
                say(&result.table);
                say(&format!("\nwrote {}/\n", result.folder.display()));
                eprintln!(
                    "{} runs in {:.3} s wall time on {} thread{}",
                    result.runs,
                    result.wall.as_secs_f64(),
                    result.jobs,
                    if result.jobs == 1 { "" } else { "s" }
                );
            }
            Ok(())
        }
        Command::Merge { dirs, out, quiet } => {
            let result = netsim::sweep::merge(&dirs, &out)?;
            if !quiet {
                say(&result.table);
                say(&format!("\nwrote {}/\n", result.folder.display()));
            }
            Ok(())
        }
    }
}

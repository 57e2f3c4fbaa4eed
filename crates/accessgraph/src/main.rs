//! `accessgraph`: the command-line interface.
//!
//! `main` parses arguments, runs one subcommand, prints its output, and maps errors to a message
//! on standard error and exit code 2; with `--exit-code`, `query` and `diff` exit 1 when an answer
//! found something.

mod bounded_file;
mod cli;
#[cfg(feature = "collect")]
mod collect_command;
#[cfg(not(feature = "collect"))]
#[path = "no_collector.rs"]
mod collect_command;
mod eval_command;
mod front_door;
mod ingest_command;
mod policy_file;
mod query_command;
mod remote;
mod serve_command;
mod snapshots_command;

use std::process::ExitCode;

use clap::Parser as _;

/// mimalloc: ingest allocates many small values from two threads, where glibc's allocator spends
/// a third of the time (measured with `perf`, see BENCHMARKS.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    // `--exit-code`: 1 when an answer found something.
    let found = |printed: query_command::Printed, asked: bool| {
        (printed.text, if asked && printed.found { 1 } else { 0 })
    };
    let result = match cli.command {
        cli::Command::Eval(args) => eval_command::run(&args).map(|text| (text, 0)),
        cli::Command::Collect(args) => collect_command::run(&args).map(|text| (text, 0)),
        cli::Command::Ingest(args) => ingest_command::run(&args).map(|text| (text, 0)),
        cli::Command::Snapshots(args) => snapshots_command::run(&args).map(|text| (text, 0)),
        cli::Command::Query(args) => {
            query_command::run_command(&args).map(|printed| found(printed, args.exit_code))
        }
        cli::Command::Diff(args) => {
            query_command::diff(&args).map(|printed| found(printed, args.exit_code))
        }
        cli::Command::Serve(args) => serve_command::run(&args).map(|text| (text, 0)),
        cli::Command::Synth(args) => snapshots_command::synth(&args).map(|text| (text, 0)),
    };
    match result {
        Ok((output, code)) => {
            use std::io::Write as _;
            // A reader that stops early (`| head`) closes the pipe: not an error of ours.
            match std::io::stdout().lock().write_all(output.as_bytes()) {
                Err(error) if error.kind() != std::io::ErrorKind::BrokenPipe => {
                    #[expect(clippy::print_stderr, reason = "the binary's error report")]
                    {
                        eprintln!("error: cannot write the output: {error}");
                    }
                    ExitCode::from(2)
                }
                _ => ExitCode::from(code),
            }
        }
        Err(error) => {
            #[expect(clippy::print_stderr, reason = "the binary's error report")]
            {
                eprintln!("error: {error:#}");
            }
            ExitCode::from(2)
        }
    }
}

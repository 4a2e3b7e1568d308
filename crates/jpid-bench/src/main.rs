//! `jpid-bench`: load benchmarks of jpid's verification service. It lives outside the `jpid`
//! binary (which ships to counters and servers) because it carries what no deployment needs: a
//! load generator with its own HTTP client, OpenSSL signing with the simulator's test keys, and
//! CPU pinning.
//!
//! ```sh
//! cargo build --release -p jpid-bench && target/release/jpid-bench serve
//! target/release/jpid-bench --json serve --seconds 5 --connections 32
//! ```

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod serve;

/// Load benchmarks of jpid's verification service.
#[derive(Debug, Parser)]
#[command(name = "jpid-bench", version)]
struct Cli {
    /// Print one JSON document (schema_version, command, the figures) instead of text
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Load on the verification service: residence-card verification and JPKI login, requests/s,
    /// the service's CPU time per request and p50/p99 latency at full and at half load, beside
    /// `openssl speed rsa2048` verify/s, HTTP alone and verification alone.
    ///
    /// Runs the service in process (audit records committed as in `jpid serve`) with the
    /// simulator's test PKI. On Linux with two CPUs or more the service is pinned to one CPU and
    /// the load generator to the others (the header says which), so req/s per core is the
    /// service's rate on one core. Build with --release for meaningful figures:
    ///   cargo build --release -p jpid-bench && target/release/jpid-bench serve
    #[command(verbatim_doc_comment)]
    Serve {
        /// Seconds per phase
        #[arg(long, default_value_t = 5)]
        seconds: u64,
        /// Concurrent keep-alive connections
        #[arg(long, default_value_t = 8)]
        connections: usize,
        /// JPKI logins signed ahead for the full-load phase (it ends early, and says so, when
        /// they run out)
        #[arg(long, default_value_t = 20000)]
        logins: usize,
        /// Audit store (default: a fresh SQLite file in a temporary directory)
        #[arg(long, value_name = "URL")]
        db: Option<String>,
        /// Pin nothing: the service gets one worker thread per core and shares them with the load
        /// generator, as a service on a busy host would (its latency, not its rate per core)
        #[arg(long)]
        no_pin: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve {
            seconds,
            connections,
            logins,
            db,
            no_pin,
        } => serve::serve(
            cli.json,
            seconds,
            connections,
            logins,
            db.as_deref(),
            !no_pin,
        ),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("jpid-bench: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

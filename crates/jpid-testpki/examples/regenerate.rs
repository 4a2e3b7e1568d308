//! Regenerates the committed TEST PKI fixtures from `DEFAULT_SEED`.
//!
//! ```text
//! cargo run -p jpid-testpki --example regenerate -- crates/jpid-testpki/fixtures
//! ```

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

fn main() -> ExitCode {
    let Some(dir) = std::env::args_os().nth(1).map(PathBuf::from) else {
        eprintln!("usage: regenerate <fixture-dir>");
        return ExitCode::from(2);
    };
    let start = Instant::now();
    let pki = match jpid_testpki::TestPki::generate(jpid_testpki::DEFAULT_SEED) {
        Ok(pki) => pki,
        Err(e) => {
            eprintln!("generation failed: {e}");
            return ExitCode::FAILURE;
        }
    };
    let generated = start.elapsed();
    if let Err(e) = pki.write_fixtures(&dir) {
        eprintln!("writing fixtures failed: {e}");
        return ExitCode::FAILURE;
    }
    eprintln!(
        "generated in {generated:.2?}; wrote fixtures to {}",
        dir.display()
    );
    ExitCode::SUCCESS
}

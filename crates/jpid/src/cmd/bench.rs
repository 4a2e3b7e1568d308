//! `jpid bench residence`: what a whole residence-card read costs on the air interface.
//!
//! It reads every simulated residence kind with and without extended-length APDUs, counts the
//! APDUs and bytes that cross the interface, and models the time a real contactless read takes:
//!
//!   time = Σ_APDU (overhead + 10 · (bytes + 4 · frames) / bitrate)
//!
//! - ISO/IEC 14443 sends 10 bit-times per byte (start bit, 8 data bits, stop bit / guard time);
//! - each frame carries about 4 bytes of protocol (PCB, optional CID, 2 CRC bytes); frames hold at
//!   most `fsc` bytes (the reader/card frame size, 256 by default), so long APDUs are chained;
//! - `overhead` is a fixed cost per APDU for card processing and the reader's turnaround (default
//!   5 ms, an assumption: no published timing for these chips exists,
//!   docs/spec/residence-card.md §6).
//!
//! The in-process wall time of the host code is printed too; it is what jpid itself adds.

use std::time::Instant;

use jpid_card::residence::CardNumber;
use jpid_card::Channel;
use jpid_sim::kinds::DEFAULT_CARD_NUMBER;
use jpid_sim::SimSpec;
use serde_json::json;

use crate::cmd::residence::read_files;
use crate::context::Ctx;
use crate::error::{CliError, Kind};

const BITRATES: [u32; 4] = [106_000, 212_000, 424_000, 848_000];
const FRAME_OVERHEAD: u64 = 4;

pub fn residence(ctx: &Ctx, overhead_ms: f64, fsc: u64, rounds: u32) -> Result<(), CliError> {
    let number = CardNumber::try_from(DEFAULT_CARD_NUMBER)
        .map_err(|e| CliError::new(Kind::Internal, e.to_string()))?;
    let mut rows = Vec::new();
    let mut text = format!(
        "Residence-card read cost (model: {overhead_ms} ms per APDU + 10 bits per byte, {FRAME_OVERHEAD} bytes per frame of at most {fsc} bytes)\n\n\
         {:<16} {:<9} {:>5} {:>7} {:>7} {:>9} {:>9} {:>9} {:>9} {:>10}\n",
        "card", "APDUs", "count", "sent", "recv", "106k", "212k", "424k", "848k", "host (ms)"
    );
    for kind in ["residence", "residence-gen2", "spr", "spr-gen2"] {
        for ext in ["on", "off"] {
            let spec = SimSpec::parse(&format!("{kind},ext={ext}"))?;
            let mut channel = Channel::new(spec.transport()?);
            let mut spent = std::time::Duration::ZERO;
            for _ in 0..rounds.max(1) {
                // Building the simulated card (which signs its data) is not part of a read.
                channel = Channel::new(spec.transport()?);
                let started = Instant::now();
                read_files(&mut channel, &number, &mut |_| {})?;
                spent += started.elapsed();
            }
            let host_ms = spent.as_secs_f64() * 1000.0 / f64::from(rounds.max(1));
            let stats = channel.stats();
            let bytes = stats.bytes_sent + stats.bytes_received;
            // Every APDU has at least one frame each way; long ones are chained in fsc-byte frames.
            let frames = 2 * stats.apdus + bytes / fsc.max(16);
            let times: Vec<f64> = BITRATES
                .iter()
                .map(|r| {
                    stats.apdus as f64 * overhead_ms
                        + 10.0 * (bytes + FRAME_OVERHEAD * frames) as f64 * 1000.0 / f64::from(*r)
                })
                .collect();
            text.push_str(&format!(
                "{:<16} {:<9} {:>5} {:>7} {:>7} {:>7.0}ms {:>7.0}ms {:>7.0}ms {:>7.0}ms {:>10.2}\n",
                kind,
                if ext == "on" { "extended" } else { "short" },
                stats.apdus,
                stats.bytes_sent,
                stats.bytes_received,
                times.first().copied().unwrap_or_default(),
                times.get(1).copied().unwrap_or_default(),
                times.get(2).copied().unwrap_or_default(),
                times.get(3).copied().unwrap_or_default(),
                host_ms
            ));
            rows.push(json!({
                "card": kind, "extended_length": ext == "on", "apdus": stats.apdus,
                "bytes_sent": stats.bytes_sent, "bytes_received": stats.bytes_received,
                "modelled_ms": {"106k": times.first(), "212k": times.get(1), "424k": times.get(2), "848k": times.get(3)},
                "host_ms_per_read": host_ms,
            }));
        }
    }
    ctx.out.emit(
        "bench residence",
        json!({"model": {"overhead_ms_per_apdu": overhead_ms, "bits_per_byte": 10, "frame_overhead_bytes": FRAME_OVERHEAD, "fsc": fsc}, "rounds": rounds, "reads": rows}),
        || text,
    );
    Ok(())
}

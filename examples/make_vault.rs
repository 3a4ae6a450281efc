//! Builds a large vault through the real vault writer, for the benchmark in `bench/run.sh`.
//!
//! ```text
//! cargo run --release --example make_vault -- DIR [--mb 2048] [--files 20000] [--big 8]
//!     [--big-mb 128] [--per-run 100]
//! ```
//!
//! `--big` files of `--big-mb` each, plus `--files` small files sharing the rest of `--mb`,
//! committed `--per-run` to a run over two windows and many days. Content is pseudo-random so no
//! layer can shortcut it. Prints one `key=value` summary line.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use chrono::{Datelike, Duration, TimeZone, Utc};
use evidence_agent::evidence::RunStatus;
use evidence_agent::vault::{CollectorInfo, Outcome, RunMeta, Vault, WindowRef, layout};

/// What to build.
struct Spec {
    /// The vault folder; must not exist yet.
    dir: PathBuf,
    /// Total artifact size, MiB.
    mb: u64,
    /// Number of small artifacts.
    files: u64,
    /// Number of big artifacts.
    big: u64,
    /// Size of each big artifact, MiB.
    big_mb: u64,
    /// Small artifacts per run.
    per_run: u64,
}

const USAGE: &str =
    "usage: make_vault DIR [--mb 2048] [--files 20000] [--big 8] [--big-mb 128] [--per-run 100]";

fn parse() -> Result<Spec, String> {
    let mut args = std::env::args().skip(1);
    let dir = args.next().ok_or("give the vault folder to create")?;
    let mut spec = Spec {
        dir: dir.into(),
        mb: 2048,
        files: 20_000,
        big: 8,
        big_mb: 128,
        per_run: 100,
    };
    while let Some(flag) = args.next() {
        let value = args
            .next()
            .ok_or_else(|| format!("`{flag}` needs a value"))?;
        let n: u64 = value
            .parse()
            .map_err(|_| format!("`{flag}` needs a whole number, got `{value}`"))?;
        match flag.as_str() {
            "--mb" => spec.mb = n,
            "--files" => spec.files = n,
            "--big" => spec.big = n,
            "--big-mb" => spec.big_mb = n,
            "--per-run" => spec.per_run = n.max(1),
            _ => return Err(format!("unknown option `{flag}`")),
        }
    }
    if spec.big * spec.big_mb > spec.mb {
        return Err(format!(
            "{} big files of {} MiB do not fit in --mb {}",
            spec.big, spec.big_mb, spec.mb
        ));
    }
    if spec.dir.exists() {
        return Err(format!(
            "{} exists already: give a new folder",
            spec.dir.display()
        ));
    }
    Ok(spec)
}

/// A fast deterministic byte stream (xorshift64*), so the data cannot be compressed or deduplicated.
struct Noise(u64);

impl Noise {
    fn fill(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            let v = self.0.wrapping_mul(0x2545_F491_4F6C_DD1D).to_le_bytes();
            chunk.copy_from_slice(&v[..chunk.len()]);
        }
    }
}

fn main() -> ExitCode {
    let spec = match parse() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match build(&spec) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}

fn build(spec: &Spec) -> Result<(), Box<dyn std::error::Error>> {
    let started = Instant::now();
    let vault = Vault::open(&spec.dir)?;
    let mib = 1024 * 1024;
    let small_total = (spec.mb - spec.big * spec.big_mb) * mib;
    let mean = small_total / spec.files.max(1);
    let mut noise = Noise(0x9E37_79B9_7F4A_7C15);
    let mut buf = vec![0u8; (2 * mean as usize).max(1)];
    let windows = [
        ("2026-h1", "2026-01-01", "2026-06-30"),
        ("2026-h2", "2026-07-01", "2026-12-31"),
    ];
    let t0 = Utc
        .with_ymd_and_hms(2026, 1, 1, 3, 0, 0)
        .single()
        .ok_or("bad start time")?;
    let runs = spec.files.div_ceil(spec.per_run).max(spec.big);
    let (mut files, mut bytes, mut written_small) = (0u64, 0u64, 0u64);
    for r in 0..runs {
        // Spread runs over the year so both windows and many date folders are used.
        let at = t0 + Duration::minutes((r * 365 * 24 * 60 / runs.max(1)) as i64);
        let (name, start, end) = windows[usize::from(at.month() > 6)];
        let collector = ["host-baseline", "github", "aws-iam", "tls"][(r % 4) as usize];
        let mut staged = vault.begin(RunMeta {
            run_id: layout::new_run_id(at),
            collector: CollectorInfo {
                name: collector.into(),
                version: "1.0.0".into(),
                kind: "custom".into(),
            },
            criteria: vec!["CC6.1".into()],
            window: WindowRef {
                name: name.into(),
                start: Some(start.parse()?),
                end: Some(end.parse()?),
            },
            started_at: at,
        })?;
        let small_here = spec
            .per_run
            .min(spec.files - (r * spec.per_run).min(spec.files));
        for i in 0..small_here {
            // Sizes vary from 1 byte to twice the mean; the last file takes up the rounding.
            let last = r * spec.per_run + i + 1 == spec.files;
            let size = if last {
                small_total - written_small
            } else {
                1 + (noise.0 % (2 * mean).max(1))
            };
            let size = size.min(small_total - written_small) as usize;
            if buf.len() < size {
                buf.resize(size, 0);
            }
            noise.fill(&mut buf[..size]);
            staged.add_bytes(
                &format!("data/{:02}/item-{i:05}.bin", i % 16),
                "application/octet-stream",
                &buf[..size],
            )?;
            written_small += size as u64;
            files += 1;
            bytes += size as u64;
        }
        if r < spec.big {
            // Big files are streamed to the scratch folder and moved in, as a custom collector's are.
            let scratch = staged.scratch_dir()?.join("big.bin");
            let mut f = std::io::BufWriter::new(std::fs::File::create(&scratch)?);
            let mut block = vec![0u8; mib as usize];
            for _ in 0..spec.big_mb {
                noise.fill(&mut block);
                f.write_all(&block)?;
            }
            f.into_inner()?.sync_all()?;
            bytes += staged.add_file("export/big.bin", "application/octet-stream", &scratch)?;
            files += 1;
        }
        let mut outcome = Outcome::new(RunStatus::Succeeded, None);
        outcome.finished_at = at + Duration::seconds(5);
        staged.commit(outcome)?;
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "runs={runs} artifacts={files} bytes={bytes} seconds={secs:.1} runs_per_sec={:.1} mib_per_sec={:.1}",
        runs as f64 / secs,
        bytes as f64 / mib as f64 / secs
    );
    Ok(())
}

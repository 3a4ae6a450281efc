//! Hashing many files on several threads: one shared queue, biggest files first, each file
//! streamed through a per-thread buffer so memory does not grow with file size.

use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use super::report::{Kind, Problem};
use crate::vault::fsutil::open_nofollow;

/// Read size per call: big enough that syscalls cost little next to hashing, small enough to stay
/// in the core's L2 cache.
const BLOCK: usize = 256 * 1024;
/// Files at least this big get a sequential read-ahead hint.
const ADVISE_MIN: u64 = 4 * 1024 * 1024;

/// One file to hash and what it must hash to.
#[derive(Debug, Clone)]
pub struct Job {
    /// Where the file is.
    pub path: PathBuf,
    /// The path printed in a problem, relative to the vault folder.
    pub display: String,
    /// The size the record gives; files are queued biggest first.
    pub size: u64,
    /// The SHA-256 (lowercase hex) the record gives.
    pub sha256: String,
    /// Which record vouches for the hash, e.g. `run.json`.
    pub source: &'static str,
}

/// What the workers found, summed.
#[derive(Debug, Default)]
pub struct Outcome {
    pub problems: Vec<Problem>,
    pub files: u64,
    pub bytes: u64,
}

/// Hashes every job on `threads` threads and reports each file whose content differs.
pub fn run(mut jobs: Vec<Job>, threads: usize) -> Outcome {
    jobs.sort_by_key(|j| std::cmp::Reverse(j.size));
    let next = AtomicUsize::new(0);
    let threads = threads.clamp(1, jobs.len().max(1));
    let work = || {
        let mut out = Outcome::default();
        let mut buf = vec![0u8; BLOCK];
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(job) = jobs.get(i) else { break };
            check(job, &mut buf, &mut out);
        }
        out
    };
    if threads == 1 {
        return work();
    }
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads).map(|_| s.spawn(work)).collect();
        let mut total = Outcome::default();
        for h in handles {
            // A worker only panics on a bug; surface it rather than report a partial result.
            let part = h.join().unwrap_or_else(|p| std::panic::resume_unwind(p));
            total.problems.extend(part.problems);
            total.files += part.files;
            total.bytes += part.bytes;
        }
        total
    })
}

fn check(job: &Job, buf: &mut [u8], out: &mut Outcome) {
    match hash_file(&job.path, job.size, buf) {
        Ok((sha, size)) => {
            out.files += 1;
            out.bytes += size;
            if size != job.size {
                out.problems.push(Problem::new(
                    Kind::Modified,
                    &job.display,
                    format!(
                        "size changed while it was read: {size} bytes, {} says {}",
                        job.source, job.size
                    ),
                ));
            } else if sha != job.sha256 {
                out.problems.push(Problem::new(
                    Kind::Modified,
                    &job.display,
                    format!("SHA-256 is {sha}, {} says {}", job.source, job.sha256),
                ));
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            out.problems.push(Problem::new(
                Kind::Missing,
                &job.display,
                format!(
                    "removed while the vault was being verified ({} lists it)",
                    job.source
                ),
            ));
        }
        Err(e) => out.problems.push(Problem::new(
            Kind::Unreadable,
            &job.display,
            format!("cannot read: {e}"),
        )),
    }
}

/// SHA-256 (hex) and size of a regular file, refusing a symbolic link in its last component.
pub fn hash_file(path: &Path, size_hint: u64, buf: &mut [u8]) -> std::io::Result<(String, u64)> {
    let f = open_nofollow(path)?;
    if size_hint >= ADVISE_MIN {
        // SAFETY: a valid open descriptor; the call only sets a read-ahead hint.
        unsafe { libc::posix_fadvise(f.as_raw_fd(), 0, 0, libc::POSIX_FADV_SEQUENTIAL) };
    }
    crate::vault::fsutil::hash_reader(f, buf)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vault::canonical::sha256_hex;

    fn job(dir: &Path, name: &str, bytes: &[u8], claimed: &[u8]) -> Job {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        Job {
            path,
            display: name.into(),
            size: claimed.len() as u64,
            sha256: sha256_hex(claimed),
            source: "test",
        }
    }

    #[test]
    fn streams_files_bigger_than_the_block_and_flags_only_differences() {
        let dir = tempfile::tempdir().unwrap();
        let big: Vec<u8> = (0..BLOCK * 3 + 17).map(|i| (i * 31 % 251) as u8).collect();
        let mut changed = big.clone();
        changed[BLOCK + 5] ^= 1;
        let jobs = vec![
            job(dir.path(), "big", &big, &big),
            job(dir.path(), "changed", &changed, &big),
            job(dir.path(), "small", b"hello", b"hello"),
            job(dir.path(), "empty", b"", b""),
        ];
        for threads in [1, 2, 8] {
            let out = run(jobs.clone(), threads);
            assert_eq!(out.files, 4, "threads={threads}");
            assert_eq!(out.bytes, (big.len() * 2 + 5) as u64);
            assert_eq!(out.problems.len(), 1, "{:?}", out.problems);
            assert_eq!(out.problems[0].path, "changed");
            assert_eq!(out.problems[0].kind, Kind::Modified);
        }
    }

    #[test]
    fn refuses_a_symlink_and_reports_a_vanished_file() {
        let dir = tempfile::tempdir().unwrap();
        let real = job(dir.path(), "real", b"data", b"data");
        std::os::unix::fs::symlink(&real.path, dir.path().join("link")).unwrap();
        let link = Job {
            path: dir.path().join("link"),
            display: "link".into(),
            ..real.clone()
        };
        let gone = Job {
            path: dir.path().join("gone"),
            display: "gone".into(),
            ..real.clone()
        };
        let mut out = run(vec![real, link, gone], 2);
        out.problems.sort_by(|a, b| a.path.cmp(&b.path));
        let kinds: Vec<(&str, Kind)> = out
            .problems
            .iter()
            .map(|p| (p.path.as_str(), p.kind))
            .collect();
        assert_eq!(
            kinds,
            vec![("gone", Kind::Missing), ("link", Kind::Unreadable)]
        );
    }
}

//! Running a collector's command: its own process group, a cleared environment, capped pipes,
//! output limits watched while it runs, and a group kill on cancellation.

use std::ffi::OsString;
use std::fs;
use std::io;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::process::{Child, Command};
use tokio_util::sync::CancellationToken;

/// stdout and stderr are each kept up to this many bytes; the rest is read and discarded.
pub const PIPE_CAP: usize = 1024 * 1024;
/// How often the output folder is measured while the process runs.
const POLL: Duration = Duration::from_millis(200);
/// After SIGTERM, the group gets this long before SIGKILL.
pub const TERM_GRACE: Duration = Duration::from_secs(2);
/// How long the pipes may stay open after the group is gone (a process that left the group).
const PIPE_DRAIN: Duration = Duration::from_secs(2);

/// What to start.
pub struct Spec<'a> {
    pub program: &'a Path,
    pub args: &'a [String],
    /// The working directory: the collector folder.
    pub dir: &'a Path,
    /// The whole environment of the process.
    pub env: Vec<(String, OsString)>,
}

/// Output limits, measured over `watch` while the process runs.
pub struct Limits {
    pub watch: PathBuf,
    pub max_bytes: u64,
    pub max_files: u64,
}

/// Files and bytes under a folder.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    pub files: u64,
    pub bytes: u64,
}

impl Limits {
    /// What is over the limit, if anything.
    pub fn exceeded(&self, u: Usage) -> Option<Exceeded> {
        if u.bytes > self.max_bytes {
            Some(Exceeded::Bytes(self.max_bytes))
        } else if u.files > self.max_files {
            Some(Exceeded::Files(self.max_files))
        } else {
            None
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exceeded {
    Bytes(u64),
    Files(u64),
}

/// How the process ended.
#[derive(Debug)]
pub enum Ending {
    /// It exited (or died of a signal nobody here sent).
    Exited(ExitStatus),
    /// `cancel` fired; `forced` when the group outlived SIGTERM and got SIGKILL.
    Cancelled { forced: bool },
    /// Killed for writing too much; `usage` as last measured.
    OverLimit { exceeded: Exceeded, usage: Usage },
}

/// One pipe's bytes, up to the cap.
#[derive(Debug, Default)]
pub struct Captured {
    pub bytes: Vec<u8>,
    /// Bytes read in all, kept or not.
    pub total: u64,
    /// Still open when the agent stopped waiting (a process that left the group holds it).
    pub abandoned: bool,
}

impl Captured {
    pub fn truncated(&self) -> bool {
        self.total > self.bytes.len() as u64
    }
}

#[derive(Debug)]
pub struct Finished {
    pub ending: Ending,
    pub stdout: Captured,
    pub stderr: Captured,
}

/// Runs the command to its end. Errors only when it cannot be started.
pub async fn run(
    spec: Spec<'_>,
    limits: &Limits,
    cancel: &CancellationToken,
) -> io::Result<Finished> {
    let mut cmd = Command::new(spec.program);
    cmd.args(spec.args)
        .current_dir(spec.dir)
        .env_clear()
        .envs(spec.env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(true);
    let agent = std::process::id();
    // SAFETY: the closure runs in the forked child before exec and only makes async-signal-safe
    // system calls (prctl, getppid, both plain syscalls).
    unsafe {
        cmd.pre_exec(move || {
            // Dies with the agent, even on SIGKILL. The signal follows the forking *thread*: the
            // runtime's worker threads live as long as the agent does.
            if libc::prctl(
                libc::PR_SET_PDEATHSIG,
                libc::SIGKILL as libc::c_ulong,
                0,
                0,
                0,
            ) != 0
            {
                return Err(io::Error::last_os_error());
            }
            if libc::getppid() as u32 != agent {
                return Err(io::Error::other(
                    "the agent exited while starting the collector",
                ));
            }
            Ok(())
        });
    }
    let mut child = cmd.spawn()?;
    let mut group = Group(child.id().map(|id| id as libc::pid_t));
    let stdout = tokio::spawn(read_capped(child.stdout.take()));
    let stderr = tokio::spawn(read_capped(child.stderr.take()));

    let ending = watch(&mut child, &group, limits, cancel).await;
    group.finish();
    Ok(Finished {
        ending,
        stdout: drain(stdout).await,
        stderr: drain(stderr).await,
    })
}

async fn watch(
    child: &mut Child,
    group: &Group,
    limits: &Limits,
    cancel: &CancellationToken,
) -> Ending {
    let mut tick = tokio::time::interval(POLL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            status = child.wait() => return Ending::Exited(status.unwrap_or_else(|_| ExitStatus::from_raw(libc::SIGKILL))),
            _ = cancel.cancelled() => {
                group.signal(libc::SIGTERM);
                let forced = !group.ended_within(child, TERM_GRACE).await;
                group.signal(libc::SIGKILL);
                let _ = child.wait().await;
                return Ending::Cancelled { forced };
            }
            _ = tick.tick() => {
                let usage = measure(&limits.watch, limits.max_files).await;
                if let Some(exceeded) = limits.exceeded(usage) {
                    group.signal(libc::SIGKILL);
                    let _ = child.wait().await;
                    return Ending::OverLimit { exceeded, usage };
                }
            }
        }
    }
}

/// The collector's process group, named by its leader's pid.
struct Group(Option<libc::pid_t>);

impl Group {
    fn signal(&self, sig: libc::c_int) {
        if let Some(pgid) = self.0 {
            // SAFETY: plain syscall; ESRCH (group already gone) is fine.
            unsafe { libc::killpg(pgid, sig) };
        }
    }

    /// Whether the leader exited and the group emptied within `grace`.
    async fn ended_within(&self, child: &mut Child, grace: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + grace;
        if tokio::time::timeout_at(deadline, child.wait())
            .await
            .is_err()
        {
            return false;
        }
        let Some(pgid) = self.0 else { return true };
        loop {
            // SAFETY: signal 0 only checks that some process of the group exists.
            if unsafe { libc::killpg(pgid, 0) } != 0 {
                return true;
            }
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Group {
    /// Kills whatever the collector left running in its group, once, right after it ended.
    fn finish(&mut self) {
        self.signal(libc::SIGKILL);
        self.0 = None;
    }
}

impl Drop for Group {
    /// The run's future was dropped mid-way (the runner gave up waiting): leave nothing running.
    fn drop(&mut self) {
        self.signal(libc::SIGKILL);
    }
}

async fn read_capped(pipe: Option<impl AsyncRead + Unpin>) -> Captured {
    let mut out = Captured::default();
    let Some(mut pipe) = pipe else { return out };
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        match pipe.read(&mut chunk).await {
            Ok(0) => break,
            Ok(n) => {
                out.total += n as u64;
                let room = PIPE_CAP.saturating_sub(out.bytes.len());
                out.bytes.extend_from_slice(&chunk[..n.min(room)]);
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(_) => break,
        }
    }
    out
}

async fn drain(task: tokio::task::JoinHandle<Captured>) -> Captured {
    let abort = task.abort_handle();
    match tokio::time::timeout(PIPE_DRAIN, task).await {
        Ok(Ok(c)) => c,
        Ok(Err(_)) => Captured::default(),
        Err(_) => {
            abort.abort();
            Captured {
                abandoned: true,
                ..Captured::default()
            }
        }
    }
}

/// Measures `dir` off the async threads.
pub async fn measure(dir: &Path, max_files: u64) -> Usage {
    let dir = dir.to_path_buf();
    tokio::task::spawn_blocking(move || usage(&dir, max_files))
        .await
        .unwrap_or_default()
}

/// Files (anything but folders) and bytes of regular files under `dir`, never following links.
/// Stops counting once past `max_files`, so a flood of tiny files cannot stall the watch.
pub fn usage(dir: &Path, max_files: u64) -> Usage {
    let mut u = Usage::default();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let Ok(ft) = e.file_type() else { continue };
            if ft.is_dir() {
                stack.push(e.path());
                continue;
            }
            u.files += 1;
            if ft.is_file() {
                u.bytes += e.metadata().map(|m| m.len()).unwrap_or(0);
            }
            if u.files > max_files {
                return u;
            }
        }
    }
    u
}

/// How a finished process is described in a run's error.
pub fn describe_status(status: ExitStatus) -> String {
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exited with status {code}"),
        (None, Some(sig)) => format!("was killed by signal {sig} ({})", signal_name(sig)),
        _ => "ended in an unknown way".to_string(),
    }
}

fn signal_name(sig: i32) -> &'static str {
    match sig {
        libc::SIGKILL => "SIGKILL; out of memory, or killed from outside",
        libc::SIGTERM => "SIGTERM",
        libc::SIGSEGV => "SIGSEGV",
        libc::SIGABRT => "SIGABRT",
        libc::SIGINT => "SIGINT",
        libc::SIGPIPE => "SIGPIPE",
        _ => "signal",
    }
}

/// Kills collector processes left over from runs of this vault whose agent died (SIGKILL,
/// power loss): PR_SET_PDEATHSIG reaches the collector itself, not what it started. A process
/// is a leftover when its environment names an output folder in this vault's staging area and
/// no live agent holds that run's staging lock. Returns how many processes were killed.
pub fn reap_orphans(staging_root: &Path) -> usize {
    let Ok(staging) = fs::canonicalize(staging_root) else {
        return 0;
    };
    let Ok(procs) = fs::read_dir("/proc") else {
        return 0;
    };
    let me = std::process::id();
    let mut killed = 0;
    for p in procs.flatten() {
        let Some(pid) = p.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
            continue;
        };
        if pid == me {
            continue;
        }
        // Other users' processes are unreadable: they are not ours to reap anyway.
        let Ok(environ) = fs::read(p.path().join("environ")) else {
            continue;
        };
        let var = |name: &str| {
            environ
                .split(|&b| b == 0)
                .find_map(|kv| {
                    kv.strip_prefix(name.as_bytes())
                        .and_then(|rest| rest.strip_prefix(b"="))
                })
                .map(|v| String::from_utf8_lossy(v).into_owned())
        };
        let (Some(out_dir), Some(run_id)) = (var("EVIDENCE_OUT_DIR"), var("EVIDENCE_RUN_ID"))
        else {
            continue;
        };
        if !Path::new(&out_dir).starts_with(&staging) || !crate::vault::layout::valid_name(&run_id)
        {
            continue;
        }
        let lock = crate::vault::layout::staging_lock(&staging, &run_id);
        let alive = match fs::File::open(&lock) {
            Ok(f) => f.try_lock().is_err(),
            Err(_) => false, // the run was committed or recovered: nothing may still write for it
        };
        if !alive {
            // SAFETY: plain syscall on a pid just read from /proc.
            if unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) } == 0 {
                killed += 1;
            }
        }
    }
    if killed > 0 {
        tracing::warn!(
            message = "Killed collector processes left running by an agent that died.",
            processes = killed
        );
    }
    killed
}

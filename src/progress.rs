//! What `collect` shows while it works: spinners on a terminal, plain lines otherwise.

use std::io::IsTerminal;
use std::sync::Arc;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

/// The display for a whole `collect` invocation.
#[derive(Clone)]
pub struct Display {
    multi: Option<Arc<MultiProgress>>,
}

/// One run's line in the display. Cloning shares the line.
#[derive(Clone)]
pub struct RunProgress {
    name: String,
    bar: Option<ProgressBar>,
    /// The daemon logs outcomes instead of printing lines.
    quiet: bool,
}

impl Display {
    /// Spinners when stderr is a terminal, plain lines otherwise (logs, CI, cron mail).
    pub fn detect() -> Display {
        if std::io::stderr().is_terminal() {
            Display {
                multi: Some(Arc::new(MultiProgress::with_draw_target(
                    ProgressDrawTarget::stderr(),
                ))),
            }
        } else {
            Display::plain()
        }
    }

    pub fn plain() -> Display {
        Display { multi: None }
    }

    pub fn start(&self, collector: &str) -> RunProgress {
        let bar = self.multi.as_ref().map(|m| {
            let bar = m.add(ProgressBar::new_spinner());
            bar.set_style(
                ProgressStyle::with_template("{spinner} {prefix:.bold} {wide_msg} {elapsed}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            bar.set_prefix(collector.to_string());
            bar.enable_steady_tick(Duration::from_millis(120));
            bar
        });
        let p = RunProgress {
            name: collector.to_string(),
            bar,
            quiet: false,
        };
        p.message("starting");
        p
    }
}

impl RunProgress {
    /// A detached handle for runs with no display (the daemon, tests).
    pub fn none(name: &str) -> RunProgress {
        RunProgress {
            name: name.to_string(),
            bar: None,
            quiet: true,
        }
    }

    pub fn message(&self, msg: &str) {
        if let Some(bar) = &self.bar {
            bar.set_message(msg.to_string());
        }
    }

    /// Ends the line with a final word, on a terminal or as a plain line.
    pub fn finish(&self, line: &str) {
        match &self.bar {
            Some(bar) => bar.finish_with_message(line.to_string()),
            None if !self.quiet => eprintln!("{}: {line}", self.name),
            None => {}
        }
    }
}

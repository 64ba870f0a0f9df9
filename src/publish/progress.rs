//! Building: progress of a long build on a terminal — the step it is in, pages done of the
//! total, the time so far — on one line of stderr that is cleared when the build ends.
//!
//! Quiet unless both stdout and stderr are terminals (a build in CI, or piped into a file,
//! prints nothing extra), with `--quiet`, and for the first second: a build that takes
//! less than that never shows it.

use std::io::Write as _;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// Until then a build shows nothing; `BRIEFING_PROGRESS_AFTER_MS` changes it (the tests).
const AFTER: Duration = Duration::from_secs(1);
const EVERY: Duration = Duration::from_millis(100);

/// The progress of one build, shared by its steps.
pub struct Progress {
    state: Option<Arc<State>>,
    painter: Mutex<Option<std::thread::JoinHandle<()>>>,
}

impl std::fmt::Debug for Progress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Progress")
            .field("shown", &self.state.is_some())
            .finish()
    }
}

struct State {
    started: Instant,
    step: Mutex<&'static str>,
    done: AtomicUsize,
    total: AtomicUsize,
    stop: Mutex<bool>,
    wake: Condvar,
    painted: AtomicBool,
}

impl Progress {
    /// A progress that shows nothing.
    pub fn hidden() -> Progress {
        Progress {
            state: None,
            painter: Mutex::new(None),
        }
    }

    /// Progress on stderr when both outputs are terminals and `quiet` is not set.
    pub fn on_terminal(quiet: bool) -> Progress {
        use std::io::IsTerminal as _;
        if quiet || !std::io::stdout().is_terminal() || !std::io::stderr().is_terminal() {
            return Progress::hidden();
        }
        let after = std::env::var("BRIEFING_PROGRESS_AFTER_MS")
            .ok()
            .and_then(|v| v.parse().ok())
            .map_or(AFTER, Duration::from_millis);
        let state = Arc::new(State {
            started: Instant::now(),
            step: Mutex::new("Loading"),
            done: AtomicUsize::new(0),
            total: AtomicUsize::new(0),
            stop: Mutex::new(false),
            wake: Condvar::new(),
            painted: AtomicBool::new(false),
        });
        if after.is_zero() {
            // Shown at once, not whenever the painter's thread first runs.
            paint(&state);
        }
        let painter = {
            let state = Arc::clone(&state);
            std::thread::spawn(move || paint_until_stopped(&state, after))
        };
        Progress {
            state: Some(state),
            painter: Mutex::new(Some(painter)),
        }
    }

    /// A new step, with `total` items to do (0 when it does not count).
    pub fn step(&self, name: &'static str, total: usize) {
        if let Some(state) = &self.state {
            if let Ok(mut step) = state.step.lock() {
                *step = name;
            }
            state.done.store(0, Ordering::Relaxed);
            state.total.store(total, Ordering::Relaxed);
        }
    }

    /// One item of the step done.
    pub fn tick(&self) {
        if let Some(state) = &self.state {
            state.done.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Stop showing progress and clear its line.
    pub fn finish(&self) {
        let Some(state) = &self.state else { return };
        if let Ok(mut stop) = state.stop.lock() {
            *stop = true;
        }
        state.wake.notify_all();
        if let Some(painter) = self.painter.lock().ok().and_then(|mut p| p.take()) {
            let _ = painter.join();
        }
        if state.painted.swap(false, Ordering::Relaxed) {
            let _ = write!(std::io::stderr().lock(), "\r\x1b[2K");
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
    }
}

fn paint_until_stopped(state: &State, after: Duration) {
    let mut wait = after;
    loop {
        let Ok(stop) = state.stop.lock() else { return };
        let Ok((stop, _)) = state.wake.wait_timeout_while(stop, wait, |stop| !*stop) else {
            return;
        };
        if *stop {
            return;
        }
        drop(stop);
        paint(state);
        wait = EVERY;
    }
}

fn paint(state: &State) {
    let step = state.step.lock().map_or("Building", |s| *s);
    let done = state.done.load(Ordering::Relaxed);
    let total = state.total.load(Ordering::Relaxed);
    let elapsed = state.started.elapsed().as_secs_f64();
    let line = if total > 0 {
        format!("{step}: {done} of {total} pages, {elapsed:.1} s")
    } else {
        format!("{step}, {elapsed:.1} s")
    };
    state.painted.store(true, Ordering::Relaxed);
    let _ = write!(std::io::stderr().lock(), "\r\x1b[2K{line}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hidden_progress_does_nothing() {
        let progress = Progress::hidden();
        progress.step("Rendering pages", 3);
        progress.tick();
        progress.finish();
        assert!(progress.state.is_none());
    }
}

//! Preview: `briefing serve` keeps the rendered site in memory, serves it over HTTP, rebuilds on every save and reloads the open pages.
//!
//! The last good site lives in memory as a map of output path to bytes; only those
//! entries are ever served, so no request can reach a file outside the site, and
//! nothing is written to `public/`. A rebuild that fails keeps the last good site
//! and tells the pages (and the terminal) what is wrong.

mod http;
mod listen;
mod live;
mod watch;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::Context as _;
use tokio::sync::{mpsc, watch as state};
use tokio::task::JoinHandle;

use crate::publish::sink::Files;
use crate::{LoadOptions, Problem, Problems, Site};
use live::ProblemView;

pub const DEFAULT_PORT: u16 = 1111;

/// How to run the preview.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// The site's folder, holding briefing.yaml.
    pub root: PathBuf,
    pub bind: IpAddr,
    /// 0 picks any free port.
    pub port: u16,
    /// Include pages marked `draft: true`.
    pub drafts: bool,
    /// How long a client has to send a whole request head, counted from the moment the
    /// server waits for it: the connection's start, or the end of the previous answer on a
    /// kept-alive connection (so it also closes connections left idle between requests).
    pub header_timeout: Duration,
    /// How long a connection may go with no byte moving either way (a request body that
    /// never comes, a reader that stopped reading); the event stream sends a comment more
    /// often than that.
    pub idle_timeout: Duration,
    /// The highlight cache every site of the user shares, if one is used.
    pub shared_cache: Option<PathBuf>,
}

/// Long enough for any real client on a slow link, short enough that a client holding
/// connections open ties up nothing for long.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(60);

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
            root: PathBuf::from("."),
            bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: DEFAULT_PORT,
            drafts: false,
            header_timeout: HEADER_TIMEOUT,
            idle_timeout: IDLE_TIMEOUT,
            shared_cache: None,
        }
    }
}

/// A running preview. Dropping it without [`ServerHandle::shutdown`] leaves the server
/// running until the runtime stops.
pub struct ServerHandle {
    addr: SocketAddr,
    shared: Arc<Shared>,
    server: JoinHandle<std::io::Result<()>>,
    rebuilder: JoinHandle<()>,
}

impl ServerHandle {
    /// The address the server listens on (with the real port when 0 was asked for).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The URL to open: a wildcard bind address is shown as the loopback address.
    pub fn url(&self) -> String {
        format!("http://{}/", browsable(self.addr))
    }

    /// How many rebuilds (after the first build) have finished, good or failed.
    pub fn rebuilds(&self) -> u64 {
        self.shared.rebuilds.load(Ordering::SeqCst)
    }

    /// Whether the last build failed.
    pub fn is_broken(&self) -> bool {
        self.shared.status.borrow().problems.is_some()
    }

    /// Stop watching, end every open event stream and wait for the server to close its
    /// connections.
    pub async fn shutdown(self) -> anyhow::Result<()> {
        self.shared
            .status
            .send_modify(|status| status.closing = true);
        self.rebuilder.abort();
        let _ = self.rebuilder.await;
        self.server
            .await
            .context("the server task failed")?
            .context("the server failed")
    }
}

/// Everything the server, the rebuilder and the event streams share.
struct Shared {
    root: PathBuf,
    load: LoadOptions,
    /// Tells one run of the server from the next, so a page left open across a restart reloads.
    session: String,
    /// The last good site; `None` until a build succeeds.
    site: RwLock<Option<Arc<Snapshot>>>,
    /// What the event streams report; changed only after `site` is stored.
    status: state::Sender<Status>,
    rebuilds: AtomicU64,
    /// What a rebuild reuses of the last good one: page records and highlighted code.
    cache: Mutex<ServeCache>,
    /// Pages as last read, so a save reads and parses only the files that changed.
    sources: crate::load::content::SourceCache,
    /// How often an event stream sends a comment: well within the idle limit, so the
    /// stream of an open page is never closed as idle.
    keep_alive: Duration,
}

/// The build cache of a preview, in memory: a save re-renders only the pages it affects.
/// The cache on disk is read (highlighted code) but never written: `build` owns it.
struct ServeCache {
    records: crate::publish::cache::PageRecords,
    highlights: Arc<crate::publish::cache::Highlights>,
}

/// One good build of the site, as served.
struct Snapshot {
    version: u64,
    files: Arc<Files>,
}

#[derive(Debug, Clone, Default)]
struct Status {
    /// The version of the site being served (0: none yet).
    version: u64,
    /// The problems of the last build, if it failed.
    problems: Option<Arc<[ProblemView]>>,
    /// The server is stopping: event streams end.
    closing: bool,
}

impl Shared {
    fn token(&self, version: u64) -> String {
        format!("{}-{version}", self.session)
    }

    fn snapshot(&self) -> Option<Arc<Snapshot>> {
        self.site.read().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// Start the preview of the site in `options.root`: bind, build once, start watching and
/// serving. A first build that fails still starts the server, which shows the problems
/// until a save fixes them.
pub async fn serve(options: ServeOptions) -> anyhow::Result<ServerHandle> {
    // Watchers report absolute, resolved paths: the root must be spelled the same way.
    let root = options.root.canonicalize().with_context(|| {
        format!(
            "cannot serve {}: pass --root DIR with the site's folder",
            options.root.display()
        )
    })?;
    if !root.join(crate::load::config::FILE_NAME).is_file() {
        anyhow::bail!(
            "{} has no {}: pass --root DIR with the site's folder, or run briefing serve in it",
            root.display(),
            crate::load::config::FILE_NAME
        );
    }
    let requested = SocketAddr::new(options.bind, options.port);
    let listener = tokio::net::TcpListener::bind(requested)
        .await
        .with_context(|| {
            format!(
                "cannot listen on {requested}; pass another --port, or --port 0 for any free port"
            )
        })?;
    let addr = listener.local_addr()?;
    let session = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as u64)
        ^ u64::from(std::process::id());
    let shared = Arc::new(Shared {
        root: root.clone(),
        load: LoadOptions {
            drafts: options.drafts,
            // Permalinks point at the preview, not at the published site.
            base_url: Some(format!("http://{}", browsable(addr))),
            ..LoadOptions::default()
        },
        session: format!("{session:x}"),
        site: RwLock::new(None),
        status: state::Sender::new(Status::default()),
        rebuilds: AtomicU64::new(0),
        sources: crate::load::content::SourceCache::default(),
        keep_alive: (options.idle_timeout / 3).min(Duration::from_secs(15)),
        cache: Mutex::new(ServeCache {
            records: crate::publish::cache::PageRecords {
                listed: Some(Arc::default()),
                ..crate::publish::cache::PageRecords::default()
            },
            highlights: Arc::new(
                crate::publish::cache::Highlights::read_only(
                    &root.join(crate::publish::cache::DIR_NAME),
                )
                .with_shared(crate::publish::shared::highlight_cache(
                    options.shared_cache.as_deref(),
                    true,
                )),
            ),
        }),
    });

    // Watch before the first build, so a save during it is not missed.
    let (changes_tx, changes) = mpsc::unbounded_channel();
    let watcher = watch::SiteWatcher::start(&root, changes_tx)?;
    rebuild(&shared, None).await;

    let rebuilder = tokio::spawn(rebuild_on_changes(Arc::clone(&shared), watcher, changes));
    let app = http::router(Arc::clone(&shared));
    let mut closing = shared.status.subscribe();
    let limits = listen::Limits {
        header: options.header_timeout,
        idle: options.idle_timeout,
    };
    let server = tokio::spawn(listen::serve(listener, app, limits, async move {
        let _ = closing.wait_for(|status| status.closing).await;
    }));
    Ok(ServerHandle {
        addr,
        shared,
        server,
        rebuilder,
    })
}

/// Rebuild after each burst of saves. Saves during a rebuild make the next burst, so a
/// burst gives one rebuild, or two when it outlasts a rebuild.
async fn rebuild_on_changes(
    shared: Arc<Shared>,
    mut watcher: watch::SiteWatcher,
    mut changes: mpsc::UnboundedReceiver<Vec<PathBuf>>,
) {
    while let Some(changed) = watch::next_burst(&mut changes).await {
        watcher.refresh();
        rebuild(&shared, Some(&changed)).await;
        shared.rebuilds.fetch_add(1, Ordering::SeqCst);
    }
}

/// Load and render the whole site, store it if it is good and differs from the one being
/// served, then tell the pages. `changed` is `None` for the first build.
async fn rebuild(shared: &Arc<Shared>, changed: Option<&[PathBuf]>) {
    if let Some(changed) = changed {
        println!("{}", describe_changes(changed));
    }
    let started = Instant::now();
    let building = Arc::clone(shared);
    let built = tokio::task::spawn_blocking(move || render_site(&building))
        .await
        .unwrap_or_else(|panic| {
            // A bug in a build step must not stop the preview: report it like a problem.
            Err(Problems::one(Problem::new(
                &shared.root,
                format!("internal error: the build panicked ({panic})"),
            )))
        });
    let elapsed = started.elapsed();
    match built {
        Ok((pages, rendered, files)) => {
            let current = shared.snapshot();
            let differing = current
                .as_ref()
                .map_or(files.len(), |s| count_changed(&s.files, &files));
            let mut version = current.as_ref().map_or(0, |s| s.version);
            if current.is_none() || differing > 0 {
                version += 1;
                let snapshot = Arc::new(Snapshot {
                    version,
                    files: Arc::new(files),
                });
                *shared.site.write().unwrap_or_else(|e| e.into_inner()) = Some(snapshot);
            }
            let was_broken = shared.status.borrow().problems.is_some();
            // Only now that the new site is stored may a page be told to reload.
            shared.status.send_modify(|status| {
                status.version = version;
                status.problems = None;
            });
            match changed {
                None => println!("Built {pages} pages in {} ms", elapsed.as_millis()),
                Some(_) => println!(
                    "Rebuilt in {} ms: {} rendered, {}{}",
                    elapsed.as_millis(),
                    match rendered {
                        1 => "1 page".to_string(),
                        n => format!("{n} pages"),
                    },
                    match differing {
                        0 => "no output changed".to_string(),
                        1 => "1 file changed".to_string(),
                        n => format!("{n} files changed"),
                    },
                    if was_broken {
                        "; the problems are fixed"
                    } else {
                        ""
                    }
                ),
            }
        }
        Err(problems) => {
            let views: Arc<[ProblemView]> = problems.0.iter().map(ProblemView::from).collect();
            shared
                .status
                .send_modify(|status| status.problems = Some(views));
            eprintln!("{problems}");
            if shared.snapshot().is_some() {
                eprintln!("The build failed: the preview keeps showing the last good version.");
            } else {
                eprintln!(
                    "The build failed: the preview shows these problems until a save fixes them."
                );
            }
        }
    }
}

/// The pages count and every output file of the site, re-rendering only the pages the
/// changes since the last good build affect.
fn render_site(shared: &Shared) -> Result<(usize, usize, Files), Problems> {
    let root = &shared.root;
    let mut timings = crate::publish::engine::Timings::default();
    let site = Site::load_with(
        root,
        &LoadOptions {
            no_cache: true,
            ..shared.load.clone()
        },
        Some(&shared.sources),
    )?;
    timings.step("load");
    let mut cache = shared.cache.lock().unwrap_or_else(|e| e.into_inner());
    // The same steps as `build` (hashed assets, 404 page, link check), so the preview
    // shows what will be published and a broken link shows as a problem.
    let options = crate::publish::Options {
        output_dir: root.join("public"),
        // The preview shows broken links, never the list of links to other sites.
        external_links: crate::publish::links::External::Skip,
        ..crate::publish::Options::default()
    };
    let previous = shared
        .snapshot()
        .map(|s| Arc::clone(&s.files))
        .unwrap_or_default();
    let sink = crate::publish::sink::MemorySink::compressing(previous);
    // A failed build leaves the records as they were, for the next one.
    let outcome =
        crate::publish::engine::run(&site, &options, &sink, &*cache.highlights, &cache.records)?;
    timings.step("engine");
    cache.records = outcome.records;
    let files = sink.into_files();
    let pages = site.pages.len();
    // Freeing a large site takes milliseconds the reader would wait for.
    std::thread::spawn(move || {
        drop(site);
        release_freed_memory();
    });
    Ok((pages, outcome.rendered, files))
}

/// Give the memory a build freed back to the system now, not when the allocator next
/// gets round to it: the preview's threads sit idle after a build, and would hold its
/// peak for as long as the preview runs. mimalloc is the binary's allocator (on Linux
/// the C code's too, see `main.rs`); in a program that chose another, this frees nothing.
fn release_freed_memory() {
    // SAFETY: mi_collect only hands back pages that hold nothing, under mimalloc's own
    // locks; it touches no memory in use.
    unsafe { libmimalloc_sys::mi_collect(true) };
}

fn count_changed(old: &Files, new: &Files) -> usize {
    let changed_or_added = new
        .iter()
        .filter(|(path, stored)| !old.get(*path).is_some_and(|old| old.same_as(stored)))
        .count();
    let removed = old.keys().filter(|path| !new.contains_key(*path)).count();
    changed_or_added + removed
}

fn describe_changes(changed: &[PathBuf]) -> String {
    let first = changed
        .first()
        .map_or_else(String::new, |p| p.display().to_string());
    match changed.len() {
        0 | 1 => format!("Changed: {first}"),
        n => format!("Changed: {first} and {} more", n - 1),
    }
}

/// The address a browser can open: a wildcard address stands for the loopback one.
fn browsable(addr: SocketAddr) -> SocketAddr {
    let ip = match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    SocketAddr::new(ip, addr.port())
}

/// `briefing serve`: run the preview until Ctrl-C or SIGTERM.
pub fn run(options: ServeOptions, open: bool) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the server's runtime")?;
    let result = runtime.block_on(async {
        if !options.bind.is_loopback() {
            eprintln!(
                "warning: serving on {}, which other machines can reach; the preview has no access control",
                options.bind
            );
        }
        // Listen for Ctrl-C from the start: the first build of a large site takes a while.
        let stop = stop_signal();
        tokio::pin!(stop);
        let handle = tokio::select! {
            handle = serve(options) => handle?,
            () = &mut stop => return Ok(ExitCode::SUCCESS),
        };
        println!("Serving at {}", handle.url());
        println!(
            "Watching content/, data/, templates/, static/ and briefing.yaml; press Ctrl-C to stop"
        );
        if open {
            open_browser(&handle.url());
        }
        stop.await;
        println!("Stopping");
        match tokio::time::timeout(Duration::from_secs(5), handle.shutdown()).await {
            Ok(result) => result?,
            Err(_) => eprintln!("warning: some connections did not close in time"),
        }
        Ok(ExitCode::SUCCESS)
    });
    // A rebuild still running is of no use any more: do not wait for it.
    runtime.shutdown_timeout(Duration::from_millis(200));
    result
}

async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = terminate.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Open `url` in the desktop's browser; a machine without an opener gets a message, not a failure.
fn open_browser(url: &str) {
    let (program, args): (&str, &[&str]) = if cfg!(target_os = "macos") {
        ("open", &[])
    } else if cfg!(windows) {
        ("cmd", &["/C", "start", ""])
    } else {
        ("xdg-open", &[])
    };
    let spawned = std::process::Command::new(program)
        .args(args)
        .arg(url)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
    match spawned {
        // Reaped on its own thread: the opener may outlive the moment, never the server.
        Ok(mut child) => {
            std::thread::spawn(move || {
                if let Ok(status) = child.wait()
                    && !status.success()
                {
                    eprintln!(
                        "warning: `{program}` could not open a browser; open the URL above yourself"
                    );
                }
            });
        }
        Err(err) => eprintln!(
            "warning: cannot open a browser (`{program}`: {err}); open the URL above yourself"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcard_addresses_are_shown_as_loopback() {
        let any: SocketAddr = "0.0.0.0:8080".parse().unwrap();
        assert_eq!(browsable(any).to_string(), "127.0.0.1:8080");
        let any6: SocketAddr = "[::]:8080".parse().unwrap();
        assert_eq!(browsable(any6).to_string(), "[::1]:8080");
        let lan: SocketAddr = "192.168.1.5:80".parse().unwrap();
        assert_eq!(browsable(lan), lan);
    }

    #[test]
    fn changed_files_are_counted_both_ways() {
        use crate::publish::sink::Stored;
        let old: Files = [
            ("a".into(), Stored::plain(b"1".to_vec())),
            ("b".into(), Stored::plain(b"2".to_vec())),
        ]
        .into();
        let new: Files = [
            ("a".into(), Stored::plain(b"1".to_vec())),
            ("c".into(), Stored::plain(b"3".to_vec())),
        ]
        .into();
        assert_eq!(count_changed(&old, &old), 0);
        assert_eq!(count_changed(&old, &new), 2);
    }
}

//! `briefing serve`: the preview over real sockets — pages from memory, reload after saves,
//! problems shown while the last good site stays up, no path out of the site, clean stops.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use briefing::cli::serve::{ServeOptions, ServerHandle, serve};

use crate::support::SiteTest;

/// Long enough for a debug build on a busy machine; nothing is timed, only waited for.
const PATIENCE: Duration = Duration::from_secs(20);

/// A preview of a site, served from this test's own runtime on an ephemeral port.
struct Preview {
    site: SiteTest,
    runtime: tokio::runtime::Runtime,
    handle: Option<ServerHandle>,
}

impl Preview {
    fn start(site: SiteTest) -> Preview {
        let options = ServeOptions {
            root: site.root().to_path_buf(),
            port: 0,
            ..ServeOptions::default()
        };
        Preview::start_with(site, options)
    }

    fn start_with(site: SiteTest, options: ServeOptions) -> Preview {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let handle = runtime.block_on(serve(options)).expect("serve starts");
        Preview {
            site,
            runtime,
            handle: Some(handle),
        }
    }

    fn handle(&self) -> &ServerHandle {
        self.handle.as_ref().unwrap()
    }

    fn addr(&self) -> SocketAddr {
        self.handle().addr()
    }

    fn get(&self, path: &str) -> Reply {
        request(self.addr(), "GET", path)
    }

    /// Poll `path` until its body contains `needle`.
    fn wait_for(&self, path: &str, needle: &str) -> Reply {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let reply = self.get(path);
            if reply.text().contains(needle) {
                return reply;
            }
            assert!(
                Instant::now() < deadline,
                "{path} never showed {needle:?}; last reply:\n{}",
                reply.text()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Poll until `path` answers with `status`.
    fn wait_for_status(&self, path: &str, status: u16) -> Reply {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let reply = self.get(path);
            if reply.status == status {
                return reply;
            }
            assert!(
                Instant::now() < deadline,
                "{path} never answered {status}; last: {}",
                reply.status
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn events(&self, version: &str) -> Events {
        Events::open(self.addr(), version)
    }

    fn stop(mut self) {
        let handle = self.handle.take().unwrap();
        self.runtime
            .block_on(async { tokio::time::timeout(PATIENCE, handle.shutdown()).await })
            .expect("the server stops in time")
            .expect("the server stops cleanly");
    }
}

impl Drop for Preview {
    fn drop(&mut self) {
        if let Some(handle) = self.handle.take() {
            let _ = self.runtime.block_on(async {
                tokio::time::timeout(Duration::from_secs(5), handle.shutdown()).await
            });
        }
    }
}

struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The site version the page was served from, as the injected script carries it.
    fn version(&self) -> String {
        let text = self.text();
        let start = text
            .find("data-version=\"")
            .unwrap_or_else(|| panic!("no live-reload script in:\n{text}"))
            + "data-version=\"".len();
        let end = start + text[start..].find('"').unwrap();
        text[start..end].to_string()
    }
}

/// One HTTP/1.1 request with the path sent exactly as given, as an attacker would send it
/// (an HTTP client library would normalise `..` and escapes away).
fn request(addr: SocketAddr, method: &str, path: &str) -> Reply {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream.set_read_timeout(Some(PATIENCE)).unwrap();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).expect("read reply");
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("end of headers");
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .expect("status line");
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
        .collect();
    Reply {
        status,
        headers,
        body: raw[split + 4..].to_vec(),
    }
}

/// The live-reload event stream as a page sees it.
struct Events {
    reader: BufReader<TcpStream>,
}

impl Events {
    fn open(addr: SocketAddr, version: &str) -> Events {
        let mut stream = TcpStream::connect(addr).expect("connect");
        // HTTP/1.0: the stream comes unchunked, one event after another.
        write!(
            stream,
            "GET /__briefing/events?version={version} HTTP/1.0\r\nHost: {addr}\r\n\r\n"
        )
        .unwrap();
        stream
            .set_read_timeout(Some(Duration::from_millis(200)))
            .unwrap();
        let mut reader = BufReader::new(stream);
        let deadline = Instant::now() + PATIENCE;
        let mut line = String::new();
        loop {
            line.clear();
            match reader.read_line(&mut line) {
                Ok(0) => panic!("the event stream closed before its headers"),
                Ok(_) if line == "\r\n" => break,
                Ok(_) => {
                    if line.starts_with("HTTP/") {
                        assert!(line.contains(" 200 "), "{line}");
                    }
                }
                Err(_) => assert!(Instant::now() < deadline, "no event stream headers"),
            }
        }
        Events { reader }
    }

    /// The next event's name and data; `None` when the server ends the stream.
    fn next(&mut self) -> Option<(String, String)> {
        let deadline = Instant::now() + PATIENCE;
        let (mut name, mut data) = (String::new(), String::new());
        let mut line = String::new();
        loop {
            // A read that times out keeps what it read in `line`: keep appending to it.
            match self.reader.read_line(&mut line) {
                Ok(0) => return None,
                Ok(_) if line.ends_with('\n') => {
                    let text = line.trim_end_matches(['\r', '\n']).to_string();
                    line.clear();
                    if text.is_empty() {
                        if !name.is_empty() || !data.is_empty() {
                            return Some((name, data));
                        }
                    } else if let Some(value) = text.strip_prefix("event:") {
                        name = value.trim().to_string();
                    } else if let Some(value) = text.strip_prefix("data:") {
                        data.push_str(value.trim_start());
                    }
                }
                Ok(_) => {}
                Err(_) => assert!(Instant::now() < deadline, "no event came"),
            }
        }
    }

    /// Skip events until one named `name` comes; its data.
    fn wait_for(&mut self, name: &str) -> String {
        loop {
            match self.next() {
                Some((n, data)) if n == name => return data,
                Some(_) => {}
                None => panic!("the stream ended before a {name} event"),
            }
        }
    }
}

fn replace(site: &SiteTest, rel: &str, from: &str, to: &str) {
    let text = std::fs::read_to_string(site.path(rel)).unwrap();
    assert!(text.contains(from), "{rel} has no {from:?}");
    site.write(rel, &text.replacen(from, to, 1));
}

#[test]
fn serve_answers_from_the_site_in_memory() {
    let site = SiteTest::from_dir("basic");
    site.write(
        "content/gamma.md",
        "---\ntitle: Gamma\ntemplate: link.html\n---\nGamma.\n",
    );
    site.write(
        "templates/link.html",
        "<a id=\"self\" href=\"{{ page.permalink }}\">{{ page.title }}</a>",
    );
    let preview = Preview::start(site);

    let home = preview.get("/");
    assert_eq!(home.status, 200);
    assert_eq!(
        home.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    assert_eq!(home.header("cache-control"), Some("no-store"));
    assert!(home.text().contains("<h1>Fixture briefing</h1>"));
    assert_eq!(home.text().matches("/__briefing/live.js").count(), 1);
    assert!(
        home.text().trim_end().ends_with("</script></body></html>"),
        "the script goes before </body>"
    );

    let redirect = preview.get("/alpha");
    assert_eq!(redirect.status, 307);
    assert_eq!(redirect.header("location"), Some("/alpha/"));
    assert_eq!(redirect.header("cache-control"), Some("no-store"));
    let with_query = preview.get("/alpha?q=1");
    assert_eq!(with_query.header("location"), Some("/alpha/?q=1"));

    let alpha = preview.get("/alpha/");
    assert_eq!(alpha.status, 200);
    assert!(alpha.text().contains("Alpha pays"));
    assert_eq!(preview.get("/alpha/index.html").body, alpha.body);

    // The preview publishes as build does: the stylesheet has a content-hashed name.
    let css = preview.get(&format!(
        "/{}",
        hashed_name(&alpha.text(), "style.", ".css")
    ));
    assert_eq!(css.status, 200);
    assert_eq!(css.header("content-type"), Some("text/css; charset=utf-8"));
    assert!(
        !css.text().contains("__briefing"),
        "only pages get the script"
    );
    let not_found = preview.get("/no-such-page/").text();
    let favicon = hashed_name(&not_found, "favicon.", ".svg");
    assert_eq!(
        preview.get(&format!("/{favicon}")).header("content-type"),
        Some("image/svg+xml")
    );
    let script = preview.get("/__briefing/live.js");
    assert_eq!(
        script.header("content-type"),
        Some("text/javascript; charset=utf-8")
    );
    assert!(script.text().contains("EventSource"));

    let missing = preview.get("/no/such/page/");
    assert_eq!(missing.status, 404);
    assert_eq!(
        missing.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    assert!(
        missing.text().to_lowercase().contains("not found"),
        "the site's 404 page"
    );
    assert!(missing.text().contains("/__briefing/live.js"));

    let head = request(preview.addr(), "HEAD", "/alpha/");
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());
    let post = request(preview.addr(), "POST", "/alpha/");
    assert_eq!(post.status, 405);
    assert_eq!(post.header("allow"), Some("GET, HEAD"));

    // Permalinks point at the preview, so links built from them stay on it.
    let gamma = preview.get("/gamma/");
    assert!(
        gamma
            .text()
            .contains(&format!("href=\"http://{}/gamma/\"", preview.addr())),
        "{}",
        gamma.text()
    );

    assert!(
        !preview.site.path("public").exists(),
        "serve writes nothing to public/"
    );
    let built = preview.site.cli(&["build"]);
    assert!(built.status.success());
    for (path, bytes) in crate::support::snapshot_tree(&preview.site.path("public")) {
        assert!(
            !String::from_utf8_lossy(&bytes).contains("__briefing"),
            "public/{} has the reload script",
            path.display()
        );
    }
    preview.stop();
}

#[test]
fn the_sites_own_404_page_is_used() {
    let site = SiteTest::from_dir("basic");
    site.write(
        "static/404.html",
        "<!doctype html><html><body><h1>Lost in the briefing</h1></body></html>",
    );
    let preview = Preview::start(site);
    let missing = preview.get("/nowhere");
    assert_eq!(missing.status, 404);
    assert!(missing.text().contains("Lost in the briefing"));
    assert!(missing.text().contains("/__briefing/live.js"));
    preview.stop();
}

#[test]
fn saves_to_content_and_data_reload_open_pages_with_the_new_site() {
    let preview = Preview::start(SiteTest::from_dir("basic"));
    let page = preview.get("/alpha/");
    assert!(page.text().contains("300 MW"));
    let first = page.version();
    let mut events = preview.events(&first);
    assert_eq!(events.next().unwrap().0, "ready", "the page is current");

    replace(
        &preview.site,
        "content/alpha.md",
        "Alpha pays",
        "Alpha now pays",
    );
    let second = events.wait_for("reload");
    assert_ne!(second, first);
    // The reload comes only once the new site is served.
    let page = preview.get("/alpha/");
    assert!(page.text().contains("Alpha now pays"), "{}", page.text());
    assert_eq!(page.version(), second);

    replace(
        &preview.site,
        "data/figures.yaml",
        "value: 300",
        "value: 450",
    );
    let third = events.wait_for("reload");
    assert_ne!(third, second);
    let page = preview.get("/alpha/");
    assert!(page.text().contains("450 MW"), "{}", page.text());
    assert_eq!(page.version(), third);

    // A page still showing an older version is told to reload as soon as it connects.
    let mut late = preview.events(&first);
    assert_eq!(late.next().unwrap(), ("reload".to_string(), third.clone()));
    preview.stop();
}

#[test]
fn created_deleted_renamed_and_editor_saved_files_are_seen() {
    let preview = Preview::start(SiteTest::from_dir("basic"));
    let site = &preview.site;

    site.write(
        "content/delta.md",
        "---\ntitle: Delta\n---\nA new section.\n",
    );
    preview.wait_for("/delta/", "A new section.");

    std::fs::rename(
        site.path("content/gamma.md"),
        site.path("content/epsilon.md"),
    )
    .unwrap();
    preview.wait_for("/epsilon/", "Same weight as Alpha");
    assert_eq!(preview.get("/gamma/").status, 404);

    site.remove("content/delta.md");
    preview.wait_for_status("/delta/", 404);

    // Most editors: write a temporary file, then rename it over the original.
    let text = std::fs::read_to_string(site.path("content/alpha.md")).unwrap();
    site.write(
        "content/.alpha.md.tmp",
        &text.replace("Alpha pays", "Alpha saved pays"),
    );
    std::fs::rename(
        site.path("content/.alpha.md.tmp"),
        site.path("content/alpha.md"),
    )
    .unwrap();
    preview.wait_for("/alpha/", "Alpha saved pays");

    // Vim: probe file, original renamed to a backup, new file written, backup removed.
    site.write("content/4913", "");
    site.remove("content/4913");
    std::fs::rename(
        site.path("content/alpha.md"),
        site.path("content/alpha.md~"),
    )
    .unwrap();
    site.write(
        "content/alpha.md",
        &text.replace("Alpha pays", "Alpha vim pays"),
    );
    site.remove("content/alpha.md~");
    preview.wait_for("/alpha/", "Alpha vim pays");

    // The settings file and a new static file.
    replace(
        site,
        "briefing.yaml",
        "Fixture briefing",
        "Renamed briefing",
    );
    preview.wait_for("/", "Renamed briefing");
    site.write("static/notes.txt", "plain notes");
    let notes = preview.wait_for("/notes.txt", "plain notes");
    assert_eq!(
        notes.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    preview.stop();
}

#[test]
fn a_broken_template_keeps_the_last_good_site_and_shows_the_problem() {
    let preview = Preview::start(SiteTest::from_dir("basic"));
    let site = &preview.site;
    let good_page = preview.get("/alpha/");
    let version = good_page.version();
    let mut events = preview.events(&version);
    assert_eq!(events.next().unwrap().0, "ready");

    let template = std::fs::read_to_string(site.path("templates/page.html")).unwrap();
    site.write(
        "templates/page.html",
        &template.replace("{{ page.title }}", "{{ page.title "),
    );
    let report: serde_json::Value = serde_json::from_str(&events.wait_for("build-error")).unwrap();
    let problem = &report["problems"][0];
    let location = problem["location"].as_str().unwrap();
    assert!(
        location.starts_with("templates/page.html:"),
        "the overlay names the file and line: {report}"
    );
    assert!(!problem["message"].as_str().unwrap().is_empty());
    assert!(preview.handle().is_broken());

    // The last good site is still served, and a page opened now learns of the problem at once.
    let page = preview.get("/alpha/");
    assert_eq!(page.status, 200);
    assert_eq!(page.body, good_page.body);
    let mut opened_while_broken = preview.events(&page.version());
    assert_eq!(opened_while_broken.next().unwrap().0, "build-error");

    // Undoing the mistake gives back the same site: the pages only drop the overlay.
    site.write("templates/page.html", &template);
    assert_eq!(events.wait_for("ready"), version);
    assert_eq!(opened_while_broken.wait_for("ready"), version);
    assert!(!preview.handle().is_broken());

    // Breaking it again and fixing it with a change reloads the pages.
    site.write("templates/page.html", "{% if %}");
    events.wait_for("build-error");
    site.write(
        "templates/page.html",
        &template.replace("<h1>", "<h1 class=\"fixed\">"),
    );
    let fixed = events.wait_for("reload");
    assert_ne!(fixed, version);
    let page = preview.get("/alpha/");
    assert!(page.text().contains("<h1 class=\"fixed\">Alpha</h1>"));
    preview.stop();
}

#[test]
fn a_first_build_that_fails_still_serves_the_problems_and_recovers() {
    let site = SiteTest::from_dir("basic");
    replace(
        &site,
        "content/alpha.md",
        "{{ capacity }}",
        "{{ capacityy }}",
    );
    let preview = Preview::start(site);

    let page = preview.get("/alpha/");
    assert_eq!(page.status, 500);
    assert_eq!(
        page.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    assert!(page.text().contains("content/alpha.md:"), "{}", page.text());
    assert!(page.text().contains("capacityy"));
    assert!(page.text().contains("/__briefing/live.js"));
    assert_eq!(preview.get("/").status, 500);
    assert_eq!(preview.get("/style.css").status, 404);
    let mut events = preview.events(&page.version());
    let report = events.wait_for("build-error");
    assert!(report.contains("did you mean"), "{report}");

    replace(
        &preview.site,
        "content/alpha.md",
        "{{ capacityy }}",
        "{{ capacity }}",
    );
    events.wait_for("reload");
    let page = preview.get("/alpha/");
    assert_eq!(page.status, 200);
    assert!(page.text().contains("300 MW"));
    preview.stop();
}

#[test]
fn no_request_path_reaches_outside_the_site() {
    let site = SiteTest::from_dir("basic");
    let secret = "SECRET-OUTSIDE-THE-SITE";
    site.write("secret.txt", secret);
    site.write("public/secret.txt", secret);
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret.txt"), secret).unwrap();
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(outside.path(), site.path("leak")).unwrap();
        std::os::unix::fs::symlink(outside.path(), site.path("public/leak")).unwrap();
    }
    let preview = Preview::start(site);
    let absolute = preview.site.path("secret.txt").display().to_string();
    let paths = [
        "/../secret.txt",
        "/alpha/../../secret.txt",
        "/%2e%2e/secret.txt",
        "/%2E%2E/secret.txt",
        "/alpha/%2e%2e/%2e%2e/secret.txt",
        "/..%2fsecret.txt",
        "/%2e%2e%2fsecret.txt",
        "/alpha%2f..%2f..%2fsecret.txt",
        "/..\\secret.txt",
        "/%5c..%5csecret.txt",
        "/..%5csecret.txt",
        "/alpha%2Findex.html",
        "/alpha%5Cindex.html",
        "/alpha\\index.html",
        "//secret.txt",
        "//example.org",
        "/secret.txt",
        "/briefing.yaml",
        "/content/alpha.md",
        "/public/secret.txt",
        "/leak/secret.txt",
        "/public/leak/secret.txt",
        "/etc/passwd",
        "/%00",
        "/alpha/%00",
        &absolute,
        &format!("/{}", absolute.trim_start_matches('/')),
        &format!("/%2F{}", absolute.trim_start_matches('/')),
    ];
    for path in paths {
        let reply = preview.get(path);
        assert_eq!(reply.status, 404, "{path}");
        assert!(!reply.text().contains(secret), "{path} leaked the secret");
        assert!(reply.header("location").is_none(), "{path} redirected");
    }
    // The pages themselves are still there.
    assert_eq!(preview.get("/alpha/").status, 200);
    preview.stop();
}

#[test]
fn a_burst_of_saves_gives_few_rebuilds() {
    let preview = Preview::start(SiteTest::from_dir("basic"));
    let text = std::fs::read_to_string(preview.site.path("content/alpha.md")).unwrap();
    let before = preview.handle().rebuilds();
    for i in 0..20 {
        preview.site.write(
            "content/alpha.md",
            &text.replace("Alpha pays", &format!("Alpha burst {i} pays")),
        );
        // Spread like a formatter's or an autosave's writes, not all in one instant.
        std::thread::sleep(Duration::from_millis(5));
    }
    preview.wait_for("/alpha/", "Alpha burst 19 pays");
    // Let any rebuild still queued finish: the count must stay put for a while.
    let deadline = Instant::now() + PATIENCE;
    let mut seen = preview.handle().rebuilds();
    let mut still_since = Instant::now();
    while still_since.elapsed() < Duration::from_secs(1) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
        let now = preview.handle().rebuilds();
        if now != seen {
            seen = now;
            still_since = Instant::now();
        }
    }
    let rebuilds = seen - before;
    assert!(
        (1..=3).contains(&rebuilds),
        "{rebuilds} rebuilds for a burst of 20 saves"
    );
    preview.stop();
}

#[test]
fn shutdown_ends_open_event_streams() {
    let preview = Preview::start(SiteTest::from_dir("basic"));
    let mut events = preview.events("old");
    assert_eq!(events.next().unwrap().0, "reload");
    preview.stop();
    assert!(events.next().is_none(), "the stream ends with the server");
}

/// The `briefing serve` process, with its output read on threads so a test can wait for lines.
struct ServeProcess {
    child: Child,
    stdout: mpsc::Receiver<String>,
    stderr: mpsc::Receiver<String>,
}

impl ServeProcess {
    fn spawn(site: &SiteTest, args: &[&str]) -> ServeProcess {
        ServeProcess::spawn_with_path(site, args, &std::env::var_os("PATH").unwrap_or_default())
    }

    /// With `PATH` set, to choose which browser opener the process finds.
    fn spawn_with_path(site: &SiteTest, args: &[&str], path: &std::ffi::OsStr) -> ServeProcess {
        let mut child = Command::new(env!("CARGO_BIN_EXE_briefing"))
            .env("BRIEFING_CACHE_DIR", "off")
            .arg("serve")
            .args(args)
            .env("PATH", path)
            .current_dir(site.root())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run briefing serve");
        let stdout = lines(child.stdout.take().unwrap());
        let stderr = lines(child.stderr.take().unwrap());
        ServeProcess {
            child,
            stdout,
            stderr,
        }
    }

    /// The first stdout line containing `needle`.
    fn stdout_line(&self, needle: &str) -> String {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.stdout.recv_timeout(left) {
                Ok(line) if line.contains(needle) => return line,
                Ok(_) => {}
                Err(_) => panic!("briefing serve never printed {needle:?}"),
            }
        }
    }

    fn stderr_text(&self) -> String {
        self.stderr.try_iter().collect::<Vec<_>>().join("\n")
    }

    fn signal(&self, signal: i32) {
        // SAFETY: kill(2) on our own child's pid.
        let sent = unsafe { libc::kill(self.child.id() as libc::pid_t, signal) };
        assert_eq!(sent, 0);
    }

    fn wait(&mut self) -> std::process::ExitStatus {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("briefing serve did not stop");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for ServeProcess {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn lines(stream: impl Read + Send + 'static) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

fn served_addr(line: &str) -> SocketAddr {
    line.trim()
        .strip_prefix("Serving at http://")
        .and_then(|rest| rest.strip_suffix('/'))
        .and_then(|addr| addr.parse().ok())
        .unwrap_or_else(|| panic!("not a URL line: {line}"))
}

#[test]
fn serve_command_prints_the_url_and_stops_on_ctrl_c_and_sigterm() {
    let site = SiteTest::from_dir("basic");
    for signal in [libc::SIGINT, libc::SIGTERM] {
        let mut process = ServeProcess::spawn(&site, &["--port", "0"]);
        let addr = served_addr(&process.stdout_line("Serving at "));
        assert!(addr.ip().is_loopback());
        assert_ne!(addr.port(), 0, "the real port is printed");
        let page = request(addr, "GET", "/alpha/");
        assert_eq!(page.status, 200);
        // The default root is the working folder; its saves are seen too.
        let marker = format!("Alpha signal {signal} pays");
        let text = std::fs::read_to_string(site.path("content/alpha.md")).unwrap();
        site.write("content/alpha.md", &text.replace("Alpha pays", &marker));
        let deadline = Instant::now() + PATIENCE;
        while !request(addr, "GET", "/alpha/").text().contains(&marker) {
            assert!(Instant::now() < deadline, "the save was not seen");
            std::thread::sleep(Duration::from_millis(50));
        }
        site.write("content/alpha.md", &text);
        let page = request(addr, "GET", "/alpha/");
        // An open page keeps an event stream open: stopping must not wait for it.
        let _events = Events::open(addr, &page.version());
        process.signal(signal);
        let status = process.wait();
        assert!(
            status.success(),
            "exit {status} after signal {signal}: {}",
            process.stderr_text()
        );
    }
    assert!(!site.path("public").exists());
}

#[test]
fn serve_command_warns_on_a_public_address_and_fails_clearly() {
    let site = SiteTest::from_dir("basic");
    let mut process = ServeProcess::spawn(&site, &["--port", "0", "--bind", "0.0.0.0"]);
    let addr = served_addr(&process.stdout_line("Serving at "));
    assert_eq!(
        addr.ip().to_string(),
        "127.0.0.1",
        "a URL a browser can open"
    );
    assert_eq!(request(addr, "GET", "/").status, 200);
    process.signal(libc::SIGTERM);
    assert!(process.wait().success());
    let stderr = process.stderr_text();
    assert!(stderr.contains("warning: serving on 0.0.0.0"), "{stderr}");

    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let out = site.cli(&["serve", "--port", &port]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("cannot listen on 127.0.0.1:{port}"))
            && stderr.contains("--port 0"),
        "{stderr}"
    );

    let empty = tempfile::tempdir().unwrap();
    let out = site.cli(&[
        "serve",
        "--port",
        "0",
        "--root",
        &empty.path().display().to_string(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("has no briefing.yaml"));
}

fn eval(tab: &headless_chrome::Tab, expression: &str) -> serde_json::Value {
    tab.evaluate(expression, false)
        .ok()
        .and_then(|r| r.value)
        .unwrap_or_default()
}

fn page_text(tab: &headless_chrome::Tab) -> String {
    eval(tab, "document.body ? document.body.innerText : ''")
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// The text of the build-error overlay, empty when none is shown.
fn overlay_text(tab: &headless_chrome::Tab) -> String {
    eval(
        tab,
        "(function () { var o = document.querySelector('briefing-build-error'); \
         return o && o.shadowRoot ? o.shadowRoot.textContent : ''; })()",
    )
    .as_str()
    .unwrap_or_default()
    .to_string()
}

fn wait_until(what: &str, check: impl Fn() -> bool) {
    let deadline = Instant::now() + PATIENCE;
    while !check() {
        assert!(Instant::now() < deadline, "the page never {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn chromium_page_follows_saves_and_shows_problems() {
    let Some(browser) = crate::browser::launch() else {
        return;
    };
    let preview = Preview::start(SiteTest::from_dir("basic"));
    let tab = browser.new_tab().unwrap();
    tab.navigate_to(&format!("http://{}/alpha/", preview.addr()))
        .unwrap()
        .wait_until_navigated()
        .unwrap();
    wait_until("showed the section", || {
        page_text(&tab).contains("Alpha pays")
    });
    // No need to wait for the page's event stream: a save that lands before it connects
    // is reported by its first event, which compares versions.
    replace(
        &preview.site,
        "content/alpha.md",
        "Alpha pays",
        "Alpha reloaded pays",
    );
    wait_until("reloaded with the saved text", || {
        page_text(&tab).contains("Alpha reloaded pays")
    });

    let template = std::fs::read_to_string(preview.site.path("templates/page.html")).unwrap();
    preview.site.write("templates/page.html", "{% if %}");
    wait_until("showed the build error", || {
        overlay_text(&tab).contains("templates/page.html")
    });
    assert!(
        page_text(&tab).contains("Alpha reloaded pays"),
        "the last good page stays under the overlay"
    );

    // A page opened while the site is broken shows the problem too.
    let second = browser.new_tab().unwrap();
    second
        .navigate_to(&format!("http://{}/beta/", preview.addr()))
        .unwrap()
        .wait_until_navigated()
        .unwrap();
    wait_until("opened while broken showed the error", || {
        overlay_text(&second).contains("templates/page.html")
    });

    preview.site.write(
        "templates/page.html",
        &template.replace("<h1>", "<h1 class=\"back\">"),
    );
    let fixed = "document.querySelector('h1.back') !== null";
    wait_until("in front reloaded with the fixed template", || {
        eval(&second, fixed) == serde_json::Value::Bool(true)
    });
    assert_eq!(overlay_text(&second), "", "the error overlay is gone");

    // The first tab, in the background, stopped listening; shown again, it catches up.
    assert_eq!(eval(&tab, "document.visibilityState"), "hidden");
    assert_eq!(
        eval(&tab, fixed),
        serde_json::Value::Bool(false),
        "a hidden page waits"
    );
    tab.activate().unwrap();
    wait_until("brought back reloaded with the fixed template", || {
        eval(&tab, fixed) == serde_json::Value::Bool(true)
    });
    assert_eq!(overlay_text(&tab), "");
    assert!(page_text(&tab).contains("Alpha reloaded pays"));
    preview.stop();
}

#[cfg(target_os = "linux")]
#[test]
fn serve_command_opens_the_browser_when_asked() {
    use std::os::unix::fs::PermissionsExt;
    let site = SiteTest::from_dir("basic");
    let bin = tempfile::tempdir().unwrap();
    let opened = bin.path().join("opened.txt");
    let opener = bin.path().join("xdg-open");
    std::fs::write(
        &opener,
        format!("#!/bin/sh\necho \"$1\" > '{}'\n", opened.display()),
    )
    .unwrap();
    std::fs::set_permissions(&opener, std::fs::Permissions::from_mode(0o755)).unwrap();

    let path = std::env::join_paths(std::iter::once(bin.path().to_path_buf()).chain(
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()),
    ))
    .unwrap();
    let mut process = ServeProcess::spawn_with_path(&site, &["--port", "0", "--open"], &path);
    let line = process.stdout_line("Serving at ");
    let url = line.trim().strip_prefix("Serving at ").unwrap().to_string();
    let deadline = Instant::now() + PATIENCE;
    while std::fs::read_to_string(&opened).map_or(true, |t| t.trim() != url) {
        assert!(
            Instant::now() < deadline,
            "the browser was never opened at {url}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    process.signal(libc::SIGTERM);
    assert!(process.wait().success());

    // Without an opener, a message instead of a failure.
    let empty = tempfile::tempdir().unwrap();
    let mut process =
        ServeProcess::spawn_with_path(&site, &["--port", "0", "--open"], empty.path().as_os_str());
    let addr = served_addr(&process.stdout_line("Serving at "));
    assert_eq!(request(addr, "GET", "/").status, 200);
    process.signal(libc::SIGTERM);
    assert!(process.wait().success());
    let stderr = process.stderr_text();
    assert!(stderr.contains("cannot open a browser"), "{stderr}");
}

#[test]
fn drafts_are_served_only_when_asked() {
    let preview = Preview::start(SiteTest::from_dir("basic"));
    assert_eq!(preview.get("/draft/").status, 404);
    preview.stop();

    let site = SiteTest::from_dir("basic");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let handle = runtime
        .block_on(serve(ServeOptions {
            root: site.root().to_path_buf(),
            port: 0,
            drafts: true,
            ..ServeOptions::default()
        }))
        .unwrap();
    let page = request(handle.addr(), "GET", "/draft/");
    assert_eq!(page.status, 200);
    assert!(page.text().contains("Not yet."));
    runtime.block_on(handle.shutdown()).unwrap();
}

/// The content-hashed name of an asset a page refers to, e.g. `style.3f2a9c1b.css`.
fn hashed_name(page: &str, prefix: &str, extension: &str) -> String {
    let start = page
        .find(prefix)
        .unwrap_or_else(|| panic!("no {prefix} in the page"));
    let length = page[start..].find(extension).unwrap() + extension.len();
    page[start..start + length].to_string()
}

#[test]
fn a_save_renders_only_the_pages_it_affects() {
    let site = SiteTest::from_dir("basic");
    let mut process = ServeProcess::spawn(&site, &["--port", "0"]);
    let addr = served_addr(&process.stdout_line("Serving at "));
    // A word of gamma's text, not its title, summary or length: no other page shows it.
    let gamma = std::fs::read_to_string(site.path("content/gamma.md")).unwrap();
    site.write("content/gamma.md", &gamma.replace("Back to", "Return to"));
    let line = process.stdout_line("Rebuilt in ");
    assert!(line.contains(": 1 page rendered, 1 file changed"), "{line}");
    assert!(request(addr, "GET", "/gamma/").text().contains("Return to"));
    // A figure shown on alpha only: alpha is rendered again, and the figures page changes.
    let figures = std::fs::read_to_string(site.path("data/figures.yaml")).unwrap();
    site.write(
        "data/figures.yaml",
        &figures.replace("value: 300", "value: 450"),
    );
    let line = process.stdout_line("Rebuilt in ");
    assert!(line.contains(": 2 pages rendered"), "{line}");
    process.signal(libc::SIGTERM);
    assert!(process.wait().success());
}

/// Read until the server closes the connection (end of file or a reset); false if it is
/// still open at `deadline`.
fn closed_by_server(stream: &mut TcpStream, deadline: Instant) -> bool {
    let mut buffer = [0u8; 4096];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return false;
        }
        stream.set_read_timeout(Some(left)).unwrap();
        match stream.read(&mut buffer) {
            Ok(0) => return true,
            Ok(_) => {}
            Err(err) if err.kind() == std::io::ErrorKind::ConnectionReset => return true,
            Err(err)
                if matches!(
                    err.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(err) => panic!("reading: {err}"),
        }
    }
}

#[test]
fn slow_and_idle_connections_are_closed_and_others_still_served() {
    let site = SiteTest::from_dir("basic");
    // Far more than the socket buffers hold, for a client that stops reading.
    const BIG: usize = 16 << 20;
    site.write("static/big.txt", &"x".repeat(BIG));
    let options = ServeOptions {
        root: site.root().to_path_buf(),
        port: 0,
        header_timeout: Duration::from_secs(1),
        idle_timeout: Duration::from_secs(2),
        ..ServeOptions::default()
    };
    let preview = Preview::start_with(site, options);
    let addr = preview.addr();
    let mut events = preview.events("old");
    assert_eq!(events.next().unwrap().0, "reload");
    let opened = Instant::now();
    let mut open = Vec::new();
    for n in 0..256 {
        let mut stream = TcpStream::connect(addr).expect("connect");
        let sent = match n % 4 {
            // Connected, and not a byte since.
            0 => String::new(),
            // Half a request head, never finished.
            1 => format!("GET /alpha/ HTTP/1.1\r\nHost: {addr}\r\nX-Slow: "),
            // A whole request, then an idle kept-alive connection.
            2 => format!("GET /missing.txt HTTP/1.1\r\nHost: {addr}\r\n\r\n"),
            // A request whose body never comes.
            _ => format!("PUT /x HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 100000\r\n\r\nab"),
        };
        stream.write_all(sent.as_bytes()).unwrap();
        open.push((n % 4, stream));
    }
    // Slow loris: a request head a byte at a time, each well within the idle limit, so
    // only the limit on the whole head can end it.
    let tricklers: Vec<std::thread::JoinHandle<Option<Duration>>> = (0..8)
        .map(|_| {
            let mut stream = TcpStream::connect(addr).expect("connect");
            std::thread::spawn(move || {
                let started = Instant::now();
                let head = format!(
                    "GET /alpha/ HTTP/1.1\r\nHost: {addr}\r\nX-Slow: {}",
                    "a".repeat(100)
                );
                for byte in head.as_bytes() {
                    if stream.write_all(&[*byte]).is_err() {
                        return Some(started.elapsed());
                    }
                    std::thread::sleep(Duration::from_millis(300));
                }
                None
            })
        })
        .collect();
    // A reader that asks for a large file and then reads nothing.
    let mut stalled = TcpStream::connect(addr).expect("connect");
    write!(stalled, "GET /big.txt HTTP/1.1\r\nHost: {addr}\r\n\r\n").unwrap();
    let asked = Instant::now();
    // Still answered while those hang on.
    assert_eq!(preview.get("/alpha/").status, 200);
    // A slow client that finishes its head within the limit is answered.
    let mut slow = TcpStream::connect(addr).unwrap();
    write!(slow, "GET /alpha/ HTTP/1.1\r\nHost: {addr}\r\n").unwrap();
    std::thread::sleep(Duration::from_millis(300));
    write!(slow, "Connection: close\r\n\r\n").unwrap();
    let mut reply = Vec::new();
    slow.set_read_timeout(Some(PATIENCE)).unwrap();
    slow.read_to_end(&mut reply).unwrap();
    assert!(
        reply.starts_with(b"HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&reply)
    );

    let deadline = opened + Duration::from_secs(15);
    let still_open: Vec<u32> = open
        .iter_mut()
        .filter_map(|(kind, stream)| (!closed_by_server(stream, deadline)).then_some(*kind))
        .collect();
    assert!(
        still_open.is_empty(),
        "{} of {} connections still open after 15 s (kinds {:?})",
        still_open.len(),
        open.len(),
        still_open.iter().collect::<std::collections::BTreeSet<_>>()
    );
    for trickler in tricklers {
        let closed_after = trickler.join().unwrap();
        assert!(
            closed_after.is_some_and(|after| after < Duration::from_secs(5)),
            "a trickled request head was still being taken after {closed_after:?}"
        );
    }
    // Once the idle limit has passed since the buffers filled (counted from the request,
    // not from the first connection: setting up 264 connections on a loaded machine took
    // long enough that the reader began to read before the server gave up, and got it
    // all), the stalled reader finds its answer cut short.
    std::thread::sleep(
        (asked + Duration::from_millis(3500)).saturating_duration_since(Instant::now()),
    );
    let mut received = 0;
    let mut buffer = vec![0u8; 1 << 16];
    stalled.set_read_timeout(Some(PATIENCE)).unwrap();
    loop {
        match stalled.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => received += n,
            Err(err) if err.kind() == std::io::ErrorKind::ConnectionReset => break,
            Err(err) => panic!("the stalled reader's connection stayed open: {err}"),
        }
    }
    assert!(
        received < BIG,
        "{received} bytes: the whole answer was sent"
    );
    // The event stream outlives both limits: it carries a comment more often than that.
    replace(
        &preview.site,
        "content/alpha.md",
        "Alpha pays",
        "Alpha now pays",
    );
    events.wait_for("reload");
    preview.stop();
}

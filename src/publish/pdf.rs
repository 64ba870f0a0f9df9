//! Publishing: the report printed to PDF by a headless Chromium (found on PATH, never
//! downloaded), written beside its target and renamed over it only once it is whole,
//! with the title and author in its document information and page numbers read back
//! with pdftotext for the contents.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use anyhow::{Context as _, bail};

/// The headless Chromium to print with: the one given, or the first found on PATH.
pub fn find_chromium(given: Option<&Path>) -> anyhow::Result<PathBuf> {
    if let Some(path) = given {
        if path.is_file() {
            return Ok(path.to_path_buf());
        }
        bail!("--chromium {}: no such file", path.display());
    }
    let names = [
        "chromium",
        "chromium-browser",
        "google-chrome",
        "google-chrome-stable",
        "chrome",
    ];
    let paths = std::env::var_os("PATH").unwrap_or_default();
    for dir in std::env::split_paths(&paths) {
        for name in names {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return Ok(candidate);
            }
        }
    }
    bail!(
        "--pdf needs a Chromium or Chrome browser, and none was found on PATH\n  help: install one (Debian/Ubuntu: `apt-get install chromium`; macOS: install Google Chrome) or name it with --chromium PATH; briefing never downloads a browser"
    )
}

/// Print `html` with headless Chromium, offline (every host is unresolvable), into a
/// temporary file in `pdf`'s folder; `pdf` itself is untouched until [`persist_pdf`]
/// renames the printed file over it, so a failed printing keeps the old PDF.
pub fn print_pdf(
    html: &str,
    pdf: &Path,
    chromium: &Path,
) -> anyhow::Result<tempfile::NamedTempFile> {
    let work = tempfile::tempdir().context("cannot create a temporary folder")?;
    let page = work.path().join("report.html");
    std::fs::write(&page, html).with_context(|| format!("cannot write {}", page.display()))?;
    let pdf_abs =
        std::path::absolute(pdf).with_context(|| format!("bad path {}", pdf.display()))?;
    let folder = pdf_abs.parent().unwrap_or(Path::new("/"));
    let name = pdf_abs
        .file_name()
        .map_or_else(|| "report.pdf".into(), |n| n.to_string_lossy());
    let printed = {
        use std::os::unix::fs::PermissionsExt as _;
        tempfile::Builder::new()
            .prefix(&format!(".{name}."))
            .suffix(".tmp")
            // As a new file would get (the umask applies), not the 0600 of a temporary file.
            .permissions(std::fs::Permissions::from_mode(0o666))
            .tempfile_in(folder)
            .with_context(|| format!("cannot write a file in {}", folder.display()))?
    };
    let mut command = Command::new(chromium);
    command
        .arg("--headless")
        .arg("--disable-gpu")
        .arg("--no-first-run")
        .arg("--disable-background-networking")
        .arg("--disable-component-update")
        .arg("--disable-sync")
        .arg("--disable-extensions")
        .arg("--host-resolver-rules=MAP * ~NOTFOUND")
        .arg("--no-pdf-header-footer")
        .arg("--generate-pdf-document-outline")
        .arg(format!(
            "--user-data-dir={}",
            work.path().join("profile").display()
        ))
        .arg(format!("--print-to-pdf={}", printed.path().display()))
        .arg(format!("file://{}", page.display()))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if running_as_root() {
        // Chromium refuses to run as root with its sandbox; the page is our own, offline.
        command.arg("--no-sandbox");
    }
    let mut child = command
        .spawn()
        .with_context(|| format!("cannot start {}", chromium.display()))?;
    // Both pipes are read while Chromium runs: one it fills (64 KiB of log) would stop it.
    let stderr = Drained::start(child.stderr.take());
    let _stdout = Drained::start(child.stdout.take());
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            bail!(
                "{} did not finish printing within two minutes",
                chromium.display()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let is_pdf = std::fs::read(printed.path())
        .map(|bytes| bytes.starts_with(b"%PDF-"))
        .unwrap_or(false);
    if !status.success() || !is_pdf {
        bail!(
            "{} could not print the report ({status}):\n{}",
            chromium.display(),
            String::from_utf8_lossy(&stderr.finish()).trim()
        );
    }
    add_document_info(printed.path(), html)?;
    Ok(printed)
}

/// Move a printed PDF over `pdf`, replacing the old one in one step.
pub fn persist_pdf(printed: tempfile::NamedTempFile, pdf: &Path) -> anyhow::Result<()> {
    printed
        .persist(pdf)
        .map(drop)
        .map_err(|err| anyhow::Error::new(err.error))
        .with_context(|| format!("cannot write {}", pdf.display()))
}

/// What a child writes to one pipe, read on a thread of its own; the last 64 KiB are kept.
struct Drained {
    kept: std::sync::Arc<std::sync::Mutex<Vec<u8>>>,
    done: std::sync::mpsc::Receiver<()>,
}

impl Drained {
    const KEEP: usize = 64 * 1024;

    fn start(pipe: Option<impl std::io::Read + Send + 'static>) -> Drained {
        let kept = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let (done_tx, done) = std::sync::mpsc::channel();
        let sink = std::sync::Arc::clone(&kept);
        std::thread::spawn(move || {
            let Some(mut pipe) = pipe else { return };
            let mut buffer = [0u8; 8192];
            loop {
                let n = match pipe.read(&mut buffer) {
                    Ok(0) => break,
                    Ok(n) => n,
                    Err(err) if err.kind() == std::io::ErrorKind::Interrupted => continue,
                    Err(_) => break,
                };
                let Ok(mut kept) = sink.lock() else { return };
                kept.extend_from_slice(&buffer[..n]);
                if kept.len() > 2 * Drained::KEEP {
                    let cut = kept.len() - Drained::KEEP;
                    kept.drain(..cut);
                }
            }
            let _ = done_tx.send(());
        });
        Drained { kept, done }
    }

    /// What was read once the pipe closed; a helper process of Chromium's that keeps it
    /// open is given a moment, not forever.
    fn finish(self) -> Vec<u8> {
        let _ = self.done.recv_timeout(Duration::from_secs(2));
        let mut kept = self.kept.lock().map(|k| k.clone()).unwrap_or_default();
        if kept.len() > Drained::KEEP {
            kept.drain(..kept.len() - Drained::KEEP);
        }
        kept
    }
}

/// Give the PDF the report's title and author from its `<title>` and `<meta name="author">`.
/// Chromium writes the title but never an author, so the document information is written
/// again in an incremental update appended to the file: Chromium's bytes stay as they are.
fn add_document_info(pdf: &Path, html: &str) -> anyhow::Result<()> {
    let title = head_title(html);
    let author = meta_content(html, "author");
    if title.is_none() && author.is_none() {
        return Ok(());
    }
    let mut bytes = std::fs::read(pdf).with_context(|| format!("cannot read {}", pdf.display()))?;
    match info_update(&bytes, title.as_deref(), author.as_deref()) {
        Some(update) => {
            bytes.extend_from_slice(&update);
            std::fs::write(pdf, &bytes)
                .with_context(|| format!("cannot write {}", pdf.display()))?;
        }
        // A layout this does not know (a cross-reference stream, say) keeps Chromium's
        // title: the PDF is whole, only its author is missing.
        None => eprintln!(
            "note: {} has no author in its document information (its layout was not the expected one)",
            pdf.display()
        ),
    }
    Ok(())
}

/// The text of the document's `<title>`, entities decoded.
fn head_title(html: &str) -> Option<String> {
    let start = html.find("<title>")? + "<title>".len();
    let end = start + html.get(start..)?.find("</title>")?;
    let title = crate::util::urls::decode_entities(html.get(start..end)?.trim());
    (!title.is_empty()).then_some(title)
}

/// `content` of `<meta name="NAME" content="…">`, as the report template writes it.
fn meta_content(html: &str, name: &str) -> Option<String> {
    let tag = format!("<meta name=\"{name}\" content=\"");
    let start = html.find(&tag)? + tag.len();
    let end = start + html.get(start..)?.find('"')?;
    let content = crate::util::urls::decode_entities(html.get(start..end)?.trim());
    (!content.is_empty()).then_some(content)
}

/// The bytes to append to `pdf` so that its document information dictionary has `title`
/// and `author` (other entries, such as the creation date, are kept): the dictionary
/// written again as a new revision of its object, a cross-reference section for it, and a
/// trailer pointing back to the previous one. None unless the file ends in a classic
/// cross-reference table and trailer, as Chromium's (Skia's) PDFs do.
fn info_update(pdf: &[u8], title: Option<&str>, author: Option<&str>) -> Option<Vec<u8>> {
    let trailer_at = rfind(pdf, b"trailer")?;
    let startxref_at = trailer_at + rfind(pdf.get(trailer_at..)?, b"startxref")?;
    let trailer = std::str::from_utf8(pdf.get(trailer_at..startxref_at)?).ok()?;
    let previous: usize = std::str::from_utf8(pdf.get(startxref_at + "startxref".len()..)?)
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()?;
    if !pdf.get(previous..)?.starts_with(b"xref") {
        return None;
    }
    let size: usize = value_after(trailer, "/Size")?.parse().ok()?;
    let root = reference_after(trailer, "/Root")?;
    let info = reference_after(trailer, "/Info");
    // The old dictionary's other entries, one per line as Skia writes them.
    let mut entries: Vec<String> = info
        .as_deref()
        .and_then(|r| old_dictionary(pdf, r))
        .map(|body| {
            body.lines()
                .map(str::trim)
                .filter(|l| {
                    l.starts_with('/') && !l.starts_with("/Title") && !l.starts_with("/Author")
                })
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    if let Some(author) = author {
        entries.insert(0, format!("/Author {}", pdf_text(author)));
    }
    if let Some(title) = title {
        entries.insert(0, format!("/Title {}", pdf_text(title)));
    }
    // Redefine the information object when there is one, else add one.
    let (number, new_size) = match info.as_deref().and_then(|r| r.split_whitespace().next()) {
        Some(n) => (n.parse::<usize>().ok()?, size),
        None => (size, size + 1),
    };
    let mut update = Vec::new();
    if !pdf.ends_with(b"\n") {
        update.push(b'\n');
    }
    let object_at = pdf.len() + update.len();
    update.extend_from_slice(
        format!("{number} 0 obj\n<<{}>>\nendobj\n", entries.join("\n")).as_bytes(),
    );
    let xref_at = pdf.len() + update.len();
    update.extend_from_slice(
        format!(
            "xref\n{number} 1\n{object_at:010} 00000 n \ntrailer\n<</Size {new_size}\n/Root {root}\n/Info {number} 0 R\n/Prev {previous}>>\nstartxref\n{xref_at}\n%%EOF\n"
        )
        .as_bytes(),
    );
    Some(update)
}

fn rfind(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).rposition(|w| w == needle)
}

/// The token after `key` in a dictionary: `/Size 1906` gives "1906".
fn value_after<'a>(dictionary: &'a str, key: &str) -> Option<&'a str> {
    let at = dictionary.find(key)? + key.len();
    dictionary
        .get(at..)?
        .split(|c: char| c.is_whitespace() || c == '/' || c == '>')
        .find(|t| !t.is_empty())
}

/// An indirect reference after `key`: `/Root 1877 0 R` gives "1877 0 R".
fn reference_after(dictionary: &str, key: &str) -> Option<String> {
    let at = dictionary.find(key)? + key.len();
    let parts: Vec<&str> = dictionary.get(at..)?.split_whitespace().take(3).collect();
    match parts.as_slice() {
        [n, g, r]
            if r.starts_with('R') && n.parse::<usize>().is_ok() && g.parse::<usize>().is_ok() =>
        {
            Some(format!("{n} {g} R"))
        }
        _ => None,
    }
}

/// The body of the dictionary of object `reference` ("1 0 R"), between `<<` and `>>`.
fn old_dictionary(pdf: &[u8], reference: &str) -> Option<String> {
    let mut parts = reference.split_whitespace();
    let header = format!("\n{} {} obj", parts.next()?, parts.next()?);
    let at = rfind(pdf, header.as_bytes())? + header.len();
    let rest = pdf.get(at..)?;
    let end = rest.windows(6).position(|w| w == b"endobj")?;
    let object = std::str::from_utf8(rest.get(..end)?).ok()?;
    let open = object.find("<<")? + 2;
    let close = object.rfind(">>")?;
    object.get(open..close).map(str::to_string)
}

/// A PDF text string that holds any Unicode: UTF-16BE with a byte-order mark, in hex.
fn pdf_text(text: &str) -> String {
    let mut out = String::from("<FEFF");
    for unit in text.encode_utf16() {
        out.push_str(&format!("{unit:04X}"));
    }
    out.push('>');
    out
}

fn running_as_root() -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
    }
    #[cfg(not(unix))]
    {
        false
    }
}

/// The printed page each section starts on, read from a first printing with
/// `pdftotext` (poppler); None when it is not installed or a title was not found.
pub fn page_numbers(pdf: &Path, sections: &[(String, String)]) -> Option<HashMap<String, usize>> {
    let output = Command::new("pdftotext")
        .arg("-layout")
        .arg(pdf)
        .arg("-")
        .output()
        .ok()?;
    if !output.status.success() {
        return None;
    }
    let text = String::from_utf8_lossy(&output.stdout);
    // Each section starts a page with its title, under the running header: look for
    // the title in the first lines of each page, after the pages before it.
    let tops: Vec<String> = text
        .split('\u{c}')
        .map(|page| {
            normalise(
                &page
                    .lines()
                    .filter(|l| !l.trim().is_empty())
                    .take(3)
                    .collect::<Vec<_>>()
                    .join(" "),
            )
        })
        .collect();
    let mut numbers = HashMap::new();
    let mut from = 0;
    for (anchor, title) in sections {
        let title = normalise(title);
        let found = (from..tops.len()).find(|&i| tops[i].contains(&title))?;
        numbers.insert(anchor.clone(), found + 1);
        from = found + 1;
    }
    Some(numbers)
}

fn normalise(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny_pdf() -> Vec<u8> {
        let mut pdf = b"%PDF-1.4\n".to_vec();
        let mut offsets = Vec::new();
        for object in [
            "1 0 obj\n<</Title (Old)\n/Producer (Skia/PDF m156)\n/CreationDate (D:20261202)>>\nendobj\n",
            "2 0 obj\n<</Type /Catalog\n/Pages 3 0 R>>\nendobj\n",
            "3 0 obj\n<</Type /Pages\n/Kids []\n/Count 0>>\nendobj\n",
        ] {
            offsets.push(pdf.len());
            pdf.extend_from_slice(object.as_bytes());
        }
        let xref = pdf.len();
        let mut table = String::from("xref\n0 4\n0000000000 65535 f \n");
        for offset in offsets {
            table.push_str(&format!("{offset:010} 00000 n \n"));
        }
        pdf.extend_from_slice(table.as_bytes());
        pdf.extend_from_slice(
            format!("trailer\n<</Size 4\n/Root 2 0 R\n/Info 1 0 R>>\nstartxref\n{xref}\n%%EOF")
                .as_bytes(),
        );
        pdf
    }

    #[test]
    fn document_info_is_rewritten_by_an_incremental_update() {
        let pdf = tiny_pdf();
        let update =
            info_update(&pdf, Some("Compute for Rent: xAI's"), Some("Briefing desk")).unwrap();
        let whole = [pdf.clone(), update].concat();
        let text = String::from_utf8_lossy(&whole);
        // The file as Chromium wrote it is untouched; the update follows it.
        assert!(whole.starts_with(&pdf));
        // The last startxref leads to a cross-reference section for object 1 alone, whose
        // offset is the new dictionary's.
        let last = text.rfind("startxref\n").unwrap();
        let xref_at: usize = text[last + 10..].lines().next().unwrap().parse().unwrap();
        assert!(
            text[xref_at..].starts_with("xref\n1 1\n"),
            "{}",
            &text[xref_at..]
        );
        let object_at: usize = text[xref_at + 9..xref_at + 19].parse().unwrap();
        let object = &text[object_at..xref_at];
        assert!(object.starts_with("1 0 obj\n<<"), "{object}");
        assert!(object.contains(&format!("/Author {}", pdf_text("Briefing desk"))));
        assert!(object.contains(&format!("/Title {}", pdf_text("Compute for Rent: xAI's"))));
        assert!(!object.contains("(Old)"), "the old title is replaced");
        assert!(
            object.contains("/CreationDate (D:20261202)"),
            "other entries are kept"
        );
        let trailer = &text[text.rfind("trailer").unwrap()..];
        let previous = String::from_utf8_lossy(&pdf).rfind("\nxref\n").unwrap() + 1;
        assert!(trailer.contains(&format!("/Prev {previous}")), "{trailer}");
        assert!(trailer.contains("/Root 2 0 R") && trailer.contains("/Info 1 0 R"));
        assert!(text.ends_with("%%EOF\n"));
    }

    #[test]
    fn a_pdf_laid_out_otherwise_is_left_alone() {
        assert_eq!(
            info_update(b"%PDF-1.5\nno trailer here", Some("T"), None),
            None
        );
        let mut pdf = tiny_pdf();
        // startxref pointing somewhere that is not a cross-reference table.
        let at = String::from_utf8_lossy(&pdf).rfind("startxref\n").unwrap() + 10;
        pdf.truncate(at);
        pdf.extend_from_slice(b"9\n%%EOF");
        assert_eq!(info_update(&pdf, Some("T"), None), None);
    }

    #[test]
    fn title_and_author_come_from_the_head() {
        let html = "<html><head><title>Compute for Rent: xAI&#39;s &amp; more</title>\n<meta name=\"author\" content=\"Briefing &quot;desk&quot;\"></head>";
        assert_eq!(
            head_title(html).as_deref(),
            Some("Compute for Rent: xAI's & more")
        );
        assert_eq!(
            meta_content(html, "author").as_deref(),
            Some("Briefing \"desk\"")
        );
        assert_eq!(meta_content(html, "description"), None);
        assert_eq!(
            crate::util::urls::decode_entities("a &unknown; b &#x41;&#66;"),
            "a &unknown; b AB"
        );
        assert_eq!(pdf_text("Aé"), "<FEFF004100E9>");
    }
}

//! `faststream-gen docs`: one self-contained HTML page of a document, or
//! served on loopback and made again on every change.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use faststream_gen::asyncapi;
use faststream_gen::diagnostics::render_human;
use faststream_gen::{LoadOptions, check_file};

use crate::args::LoadArgs;
use crate::report::checked_or_report;

pub(crate) fn run(
    file: &Path,
    output: Option<PathBuf>,
    serve: bool,
    port: u16,
    load: &LoadArgs,
) -> Result<ExitCode, String> {
    if serve {
        return serve_docs(file, &load.options(), port);
    }
    let checked = checked_or_report(file, load)?;
    let Some(model) = checked.model.as_ref() else {
        return Ok(ExitCode::from(1));
    };
    let value = serde_json::to_value(model).map_err(|e| e.to_string())?;
    let page = asyncapi::html::render(&value);
    match output {
        Some(path) => {
            faststream_gen::write::write_atomic(&path, page.as_bytes())
                .map_err(|e| format!("cannot write `{}`: {e}", path.display()))?;
        }
        None => print!("{page}"),
    }
    Ok(ExitCode::SUCCESS)
}

/// The page of `file` and the files it reached, or the rendered
/// diagnostics when it does not load.
fn docs_page(file: &Path, options: &LoadOptions) -> (String, Vec<PathBuf>) {
    let checked = check_file(file, options);
    let mut files = vec![file.to_path_buf()];
    files.extend(
        checked
            .loaded
            .sources
            .paths()
            .filter(|p| *p != file)
            .map(Path::to_path_buf),
    );
    let page = match checked.model.as_ref().filter(|_| !checked.has_errors()) {
        Some(model) => match serde_json::to_value(model) {
            Ok(value) => asyncapi::html::render(&value),
            Err(e) => format!("<!doctype html><pre>{e}</pre>"),
        },
        None => {
            let text = render_human(&checked.diagnostics, &checked.loaded.sources);
            let escaped = text
                .replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('>', "&gt;");
            format!("<!doctype html><title>errors</title><pre>{escaped}</pre>")
        }
    };
    (page, files)
}

/// `docs --serve`: the page on 127.0.0.1:PORT, made again when a file
/// changes (polled twice a second); the served page asks `/version` every
/// second and reloads itself when it changed.
fn serve_docs(file: &Path, options: &LoadOptions, port: u16) -> Result<ExitCode, String> {
    use std::io::{BufRead as _, BufReader};
    use std::sync::{Arc, Mutex};
    const RELOAD: &str = "<script>(function(){var v=null;setInterval(function(){fetch('/version').then(function(r){return r.text()}).then(function(t){if(v!==null&&t!==v){location.reload()}v=t}).catch(function(){})},1000)})();</script>";
    let listener = std::net::TcpListener::bind(("127.0.0.1", port))
        .map_err(|e| format!("cannot listen on 127.0.0.1:{port}: {e}"))?;
    let (page, files) = docs_page(file, options);
    let state = Arc::new(Mutex::new((page, 0u64)));
    eprintln!("serving {} on http://127.0.0.1:{port}/", file.display());
    {
        let (state, file, options) = (state.clone(), file.to_path_buf(), options.clone());
        std::thread::spawn(move || {
            let stamp = |paths: &[PathBuf]| -> Vec<Option<std::time::SystemTime>> {
                paths
                    .iter()
                    .map(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok())
                    .collect()
            };
            let mut files = files;
            let mut seen = stamp(&files);
            loop {
                std::thread::sleep(std::time::Duration::from_millis(500));
                let now = stamp(&files);
                if now == seen {
                    continue;
                }
                let (page, reached) = docs_page(&file, &options);
                files = reached;
                seen = stamp(&files);
                let mut s = state.lock().unwrap_or_else(|e| e.into_inner());
                *s = (page, s.1 + 1);
                eprintln!("{} changed: page made again", file.display());
            }
        });
    }
    for stream in listener.incoming() {
        let Ok(mut stream) = stream else { continue };
        let state = state.clone();
        std::thread::spawn(move || {
            let mut line = String::new();
            if BufReader::new(&stream).read_line(&mut line).is_err() {
                return;
            }
            let path = line.split_whitespace().nth(1).unwrap_or("/");
            let (page, version) = state.lock().unwrap_or_else(|e| e.into_inner()).clone();
            let (status, kind, body) = match path.split('?').next().unwrap_or("/") {
                "/" | "/index.html" => (
                    "200 OK",
                    "text/html; charset=utf-8",
                    page.replacen("</body>", &format!("{RELOAD}</body>"), 1),
                ),
                "/version" => ("200 OK", "text/plain", version.to_string()),
                _ => ("404 Not Found", "text/plain", "not found".to_owned()),
            };
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        });
    }
    Ok(ExitCode::SUCCESS)
}

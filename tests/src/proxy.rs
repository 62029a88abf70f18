//! A reverse proxy in front of a test server that can make it look as if
//! the server had shipped a new build of the client, without a second
//! build: once told to (a `POST` to [`NEXT_BUILD_PATH`]), it serves
//! `/sw.js` with another version, so the browser installs a new service
//! worker beside the one it runs. Everything else, WebSockets included,
//! passes through untouched.
//!
//! It works on the bytes of HTTP/1.1: each request that is not a WebSocket
//! upgrade is sent upstream with `Connection: close`, so one connection
//! carries one request and every `/sw.js` is seen.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::{Context as _, anyhow, bail};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// The proxy's own path: a `POST` here makes `/sw.js` the next build's.
pub const NEXT_BUILD_PATH: &str = "/__proxy/next-build";

/// The prefix the next build's version gets in `sw.js`.
pub const NEXT_BUILD_PREFIX: &str = "next-";

/// The longest request head the proxy reads.
const MAX_HEAD: usize = 64 * 1024;

/// A running proxy; stops when dropped.
pub struct NextBuildProxy {
    address: SocketAddr,
    task: JoinHandle<()>,
}

impl NextBuildProxy {
    /// Listens on a free local port and forwards to `upstream` (`host:port`).
    pub async fn start(upstream: &str) -> anyhow::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let address = listener.local_addr()?;
        let upstream: Arc<str> = upstream.into();
        let next = Arc::new(AtomicBool::new(false));
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let upstream = upstream.clone();
                let next = next.clone();
                tokio::spawn(async move {
                    if let Err(error) = forward(client, &upstream, &next).await {
                        eprintln!("proxy: {error:#}");
                    }
                });
            }
        });
        Ok(Self { address, task })
    }

    pub fn http_url(&self) -> String {
        format!("http://{}", self.address)
    }
}

impl Drop for NextBuildProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// One client connection: answered here (the switch, or the next build's
/// `sw.js`) or piped to a fresh upstream connection.
async fn forward(mut client: TcpStream, upstream: &str, next: &AtomicBool) -> anyhow::Result<()> {
    let (head, body_start) = read_head(&mut client).await?;
    let head = String::from_utf8(head).context("a request head that is not UTF-8")?;
    let mut lines = head.split("\r\n").filter(|line| !line.is_empty());
    let request_line = lines.next().ok_or_else(|| anyhow!("an empty request"))?;
    let mut parts = request_line.split(' ');
    let (method, path) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    if method == "POST" && path == NEXT_BUILD_PATH {
        next.store(true, Ordering::SeqCst);
        client
            .write_all(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n")
            .await?;
        return Ok(());
    }
    let headers: Vec<&str> = lines.collect();
    let name_of = |line: &str| line.split(':').next().unwrap_or("").trim().to_ascii_lowercase();
    let upgrade = headers.iter().any(|line| name_of(line) == "upgrade");
    let next_worker = next.load(Ordering::SeqCst) && path == "/sw.js";
    let mut request = format!("{request_line}\r\n");
    for line in headers {
        let name = name_of(line);
        let dropped = (!upgrade && name == "connection")
            || (next_worker && (name == "accept-encoding" || name == "if-none-match"));
        if !dropped {
            request.push_str(line);
            request.push_str("\r\n");
        }
    }
    if !upgrade {
        request.push_str("Connection: close\r\n");
    }
    request.push_str("\r\n");

    let mut server = TcpStream::connect(upstream).await?;
    server.write_all(request.as_bytes()).await?;
    server.write_all(&body_start).await?;
    if next_worker {
        let mut response = Vec::new();
        server.read_to_end(&mut response).await?;
        client.write_all(&next_build_worker(&response)?).await?;
        client.shutdown().await?;
    } else {
        // Either side closing ends it (the browser may keep its half open).
        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
    }
    Ok(())
}

/// Reads up to the end of the request head; returns the head (without the
/// blank line) and whatever of the body came with it.
async fn read_head(client: &mut TcpStream) -> anyhow::Result<(Vec<u8>, Vec<u8>)> {
    let mut buffer = Vec::new();
    let mut chunk = [0_u8; 4096];
    loop {
        if let Some(end) = buffer.windows(4).position(|window| window == b"\r\n\r\n") {
            let body = buffer.split_off(end + 4);
            buffer.truncate(end);
            return Ok((buffer, body));
        }
        if buffer.len() > MAX_HEAD {
            bail!("a request head over {MAX_HEAD} bytes");
        }
        let read = client.read(&mut chunk).await?;
        if read == 0 {
            bail!("the client closed before its request head ended");
        }
        buffer.extend_from_slice(&chunk[..read]);
    }
}

/// The upstream's uncompressed `sw.js` response with the version turned
/// into the next build's, its length and ETag to match.
pub fn next_build_worker(response: &[u8]) -> anyhow::Result<Vec<u8>> {
    let end = response
        .windows(4)
        .position(|window| window == b"\r\n\r\n")
        .ok_or_else(|| anyhow!("a response with no head"))?;
    let head = std::str::from_utf8(&response[..end])?;
    let body = std::str::from_utf8(&response[end + 4..]).context("sw.js is not UTF-8 (compressed?)")?;
    const MARK: &str = "const VERSION = \"";
    if !body.contains(MARK) {
        bail!("sw.js has no `{MARK}`");
    }
    let body = body.replacen(MARK, &format!("{MARK}{NEXT_BUILD_PREFIX}"), 1);
    let mut rewritten = String::new();
    for line in head.split("\r\n") {
        let name = line.split(':').next().unwrap_or("").trim().to_ascii_lowercase();
        match name.as_str() {
            "content-length" => rewritten.push_str(&format!("content-length: {}", body.len())),
            "etag" => rewritten.push_str("etag: \"next-build\""),
            _ => rewritten.push_str(line),
        }
        rewritten.push_str("\r\n");
    }
    rewritten.push_str("\r\n");
    rewritten.push_str(&body);
    Ok(rewritten.into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_build_changes_the_version_and_keeps_the_length_true() {
        let body = "const VERSION = \"abc\";\nconst CACHE = `enlace-shell-${VERSION}`;\n";
        let response = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: text/javascript\r\ncontent-length: {}\r\netag: \"abc\"\r\n\r\n{body}",
            body.len()
        );
        let next =
            String::from_utf8(next_build_worker(response.as_bytes()).expect("rewrites")).expect("utf-8");
        let (head, new_body) = next.split_once("\r\n\r\n").expect("a head");
        assert!(new_body.starts_with("const VERSION = \"next-abc\";"));
        assert!(head.contains(&format!("content-length: {}", new_body.len())));
        assert!(head.contains("etag: \"next-build\""));
        assert!(next_build_worker(b"HTTP/1.1 200 OK\r\n\r\nconsole.log(1)").is_err());
    }
}

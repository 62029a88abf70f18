//! The running server's admin socket: `<data dir>/enlace.sock`, a Unix
//! socket only the data directory's owner can open (mode 0600). It exists
//! because the server holds the database file exclusively (see
//! `storage::builder`): `enlace backup --data DIR` on a running server
//! connects here, and the server streams a backup made from one read
//! transaction. Whoever can open the socket can read the data directory
//! anyway, so it grants nothing more.
//!
//! One command per connection, one line: `backup`. The answer is the backup
//! file's bytes (`storage::backup`), then the connection closes; anything
//! else gets one line starting with `error:`. Connections are served one at
//! a time on their own thread, so a second backup waits for the first and
//! the server's async workers never do this work.

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::storage::Storage;

/// The socket's file name in the data directory.
pub const ADMIN_SOCKET: &str = "enlace.sock";
/// The one command.
pub const BACKUP_COMMAND: &str = "backup";
/// How long a client may take to send its command.
const COMMAND_PATIENCE: Duration = Duration::from_secs(10);
/// The longest command line read.
const MAX_COMMAND_BYTES: u64 = 64;

/// The socket's path for a data directory.
pub fn socket_path(data_dir: &Path) -> PathBuf {
    data_dir.join(ADMIN_SOCKET)
}

/// The listening socket; dropping it removes the socket file (the thread
/// serving it ends with the process).
#[derive(Debug)]
pub struct AdminSocket {
    path: PathBuf,
}

impl Drop for AdminSocket {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Binds `<data_dir>/enlace.sock` (replacing a stale one: the server holds
/// the database exclusively, so no other server uses this directory) and
/// serves it on a thread of its own.
pub fn listen(storage: Storage, data_dir: &Path) -> std::io::Result<AdminSocket> {
    let path = socket_path(data_dir);
    match std::fs::remove_file(&path) {
        Ok(()) => {}
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
        Err(error) => return Err(error),
    }
    let listener = UnixListener::bind(&path)?;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
    std::thread::Builder::new()
        .name("enlace-admin-socket".into())
        .spawn(move || {
            for stream in listener.incoming() {
                match stream {
                    Ok(stream) => serve(&storage, stream),
                    Err(error) => tracing::warn!(%error, "admin socket: accept failed"),
                }
            }
        })?;
    Ok(AdminSocket { path })
}

fn serve(storage: &Storage, mut stream: UnixStream) {
    let _ = stream.set_read_timeout(Some(COMMAND_PATIENCE));
    let mut line = String::new();
    let read = BufReader::new((&stream).take(MAX_COMMAND_BYTES)).read_line(&mut line);
    if read.is_err() {
        let _ = writeln!(
            stream,
            "error: no command within {} s",
            COMMAND_PATIENCE.as_secs()
        );
        return;
    }
    match line.trim() {
        BACKUP_COMMAND => {
            let started = std::time::Instant::now();
            match storage.backup_into(&stream, Path::new(ADMIN_SOCKET), crate::system::now_ms()) {
                Ok(summary) => tracing::info!(
                    bytes = summary.bytes,
                    elapsed_ms = started.elapsed().as_millis() as u64,
                    "backup streamed through the admin socket"
                ),
                // The client sees a short file, which fails its checksum.
                Err(error) => tracing::warn!(%error, "backup through the admin socket failed"),
            }
        }
        other => {
            let _ = writeln!(
                stream,
                "error: unknown command {other:?}; the one command is `{BACKUP_COMMAND}`"
            );
        }
    }
}

/// Asks the server running on `data_dir` for a backup and copies it into
/// `out` (the caller checks it, by its checksum, before trusting it).
pub fn request_backup(data_dir: &Path, out: &mut impl Write) -> std::io::Result<u64> {
    let mut stream = UnixStream::connect(socket_path(data_dir))?;
    stream.write_all(format!("{BACKUP_COMMAND}\n").as_bytes())?;
    std::io::copy(&mut stream, out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_socket_answers_a_backup_and_refuses_anything_else() {
        let directory = tempfile::tempdir().expect("tempdir");
        let storage = Storage::open(directory.path()).expect("open");
        // A stale socket file from a killed server is replaced.
        std::fs::write(socket_path(directory.path()), b"stale").expect("stale file");
        let socket = listen(storage, directory.path()).expect("listen");
        let mode = std::fs::metadata(socket_path(directory.path()))
            .expect("socket")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "only the owner opens it");

        let file = directory.path().join("through-the-socket.backup");
        let mut out = std::fs::File::create(&file).expect("file");
        let bytes = request_backup(directory.path(), &mut out).expect("backup");
        drop(out);
        let (header, size) = crate::storage::verify_backup(&file).expect("a whole, valid backup");
        assert_eq!(size, bytes);
        assert!(header.tables.iter().any(|table| table.name == "workspaces"));

        let mut stream = UnixStream::connect(socket_path(directory.path())).expect("connect");
        stream.write_all(b"drop tables\n").expect("send");
        let mut answer = String::new();
        stream.read_to_string(&mut answer).expect("answer");
        assert!(answer.starts_with("error: unknown command"), "{answer}");

        drop(socket);
        assert!(!socket_path(directory.path()).exists(), "removed with its guard");
    }
}

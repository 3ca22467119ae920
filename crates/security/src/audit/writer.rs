//! The audit file as the writer thread holds it: opened for appending (created `0640`),
//! the chain's head recovered from its last line at start, and before each batch a look
//! at the path: a file moved away or replaced (another inode) is followed by a new one at
//! the path, a file cut short (`copytruncate`) is written on; either way the next line
//! carries the hash of the last line this writer wrote, and the change is logged with
//! the head so the old file can be checked against it.

use super::chain::Head;
use super::{AuditError, Format, Record, line};
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

/// The longest last line read back at start, in bytes.
pub const MAX_LINE_BYTES: u64 = 16 << 20;

/// The open audit file and the chain's head.
pub struct LogFile {
    path: PathBuf,
    format: Format,
    file: File,
    /// Device and inode of the open file.
    id: (u64, u64),
    /// Its length after this writer's last write.
    len: u64,
    /// The file ends without a newline (a line cut short): one is written first.
    needs_newline: bool,
    head: Head,
}

impl LogFile {
    /// Opens (or creates) `path` and recovers the chain from its last line.
    pub fn open(path: &Path, format: Format) -> Result<LogFile, AuditError> {
        let file = open_append(path).map_err(|e| AuditError::open(path, e))?;
        let meta = file.metadata().map_err(|e| AuditError::open(path, e))?;
        let (head, needs_newline) = last_line(&file, meta.len())
            .map_err(|e| AuditError::open(path, e))?
            .map_or((Head::genesis(), false), |(line, complete)| {
                (Head::after(&line), !complete)
            });
        Ok(LogFile {
            path: path.to_path_buf(),
            format,
            id: (meta.dev(), meta.ino()),
            len: meta.len(),
            file,
            needs_newline,
            head,
        })
    }

    pub fn head(&self) -> &Head {
        &self.head
    }

    /// Writes `records` as lines in one write. On failure nothing of the batch counts:
    /// the head stays where it was and the error is returned.
    pub fn write(&mut self, records: &[Record]) -> std::io::Result<()> {
        self.follow_rotation()?;
        let mut head = self.head.clone();
        let mut text = String::new();
        if self.needs_newline {
            text.push('\n');
        }
        for record in records {
            let seq = head.seq + 1;
            let line = line::render(record, self.format, seq, &head.hash);
            head = Head {
                seq,
                hash: super::chain::sha256_hex(line.as_bytes()),
            };
            text.push_str(&line);
            text.push('\n');
        }
        self.file.write_all(text.as_bytes())?;
        self.len += text.len() as u64;
        self.needs_newline = false;
        self.head = head;
        Ok(())
    }

    /// Reopens the path when the file there is no longer the open one.
    fn follow_rotation(&mut self) -> std::io::Result<()> {
        let at_path = match std::fs::metadata(&self.path) {
            Ok(meta) => Some(meta),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(e),
        };
        let head = &self.head;
        match at_path {
            Some(meta) if (meta.dev(), meta.ino()) == self.id => {
                if meta.len() < self.len {
                    tracing::info!(
                        file = %self.path.display(),
                        "audit log was truncated; it continues the chain from sequence {} (hash {})",
                        head.seq,
                        head.hash
                    );
                } else if meta.len() > self.len {
                    tracing::warn!(
                        file = %self.path.display(),
                        "audit log grew by {} bytes this node did not write",
                        meta.len() - self.len
                    );
                }
                self.len = meta.len();
                return Ok(());
            }
            _ => {}
        }
        tracing::info!(
            file = %self.path.display(),
            "audit log was rotated; the old file ends at sequence {} (hash {}), the new one continues from it",
            head.seq,
            head.hash
        );
        let file = open_append(&self.path)?;
        let meta = file.metadata()?;
        self.id = (meta.dev(), meta.ino());
        self.len = meta.len();
        self.needs_newline = self.len > 0 && !ends_with_newline(&file, self.len)?;
        self.file = file;
        Ok(())
    }
}

fn open_append(path: &Path) -> std::io::Result<File> {
    OpenOptions::new()
        .append(true)
        .read(true)
        .create(true)
        .mode(0o640)
        .open(path)
}

fn ends_with_newline(mut file: &File, len: u64) -> std::io::Result<bool> {
    let mut last = [0u8; 1];
    file.seek(SeekFrom::Start(len - 1))?;
    file.read_exact(&mut last)?;
    Ok(last[0] == b'\n')
}

/// The last line of a file `len` bytes long (without its newline) and whether it ends
/// in one; `None` for an empty file. Reads backwards in pieces, at most
/// [`MAX_LINE_BYTES`] of line.
fn last_line(mut file: &File, len: u64) -> std::io::Result<Option<(Vec<u8>, bool)>> {
    if len == 0 {
        return Ok(None);
    }
    let complete = ends_with_newline(file, len)?;
    let end = if complete { len - 1 } else { len };
    let mut start = end;
    const PIECE: u64 = 64 * 1024;
    while start > 0 {
        let from = start.saturating_sub(PIECE);
        let mut piece = vec![0u8; (start - from) as usize];
        file.seek(SeekFrom::Start(from))?;
        file.read_exact(&mut piece)?;
        if let Some(i) = piece.iter().rposition(|b| *b == b'\n') {
            start = from + i as u64 + 1;
            break;
        }
        start = from;
        if end - start > MAX_LINE_BYTES {
            return Err(std::io::Error::other(format!(
                "its last line is longer than {MAX_LINE_BYTES} bytes"
            )));
        }
    }
    let mut line = vec![0u8; (end - start) as usize];
    file.seek(SeekFrom::Start(start))?;
    file.read_exact(&mut line)?;
    Ok(Some((line, complete)))
}

//! The `fstat` data plugin (`data/fstat_data.rb`): what a node's file system says about
//! one path — presence, type, mode, size, owner, times and the MD5 of a regular file.
//! Times are written as `%F %T` in UTC. [`file_kind`], [`md5_file`] and
//! [`utc_timestamp`] serve the `filemgr` agent too.

use std::os::unix::fs::MetadataExt;
use std::time::{SystemTime, UNIX_EPOCH};

use md5::{Digest, Md5};

use super::data::{Datum, Outputs};

/// Largest file whose MD5 is computed; a larger one reports `md5` 0.
const MAX_MD5_BYTES: u64 = 64 * 1024 * 1024;

/// The outputs for `path`, in the order the Ruby plugin sets them.
pub(super) fn fstat(path: &str) -> Outputs {
    let s = |v: &str| Datum::Str(v.to_owned());
    let mut out: Outputs = vec![
        ("name", s(path)),
        ("output", s("not present")),
        ("type", s("unknown")),
        ("mode", s("0000")),
        ("present", Datum::Int(0)),
        ("size", Datum::Int(0)),
        ("mtime", Datum::Int(0)),
        ("ctime", Datum::Int(0)),
        ("atime", Datum::Int(0)),
        ("mtime_seconds", Datum::Int(0)),
        ("ctime_seconds", Datum::Int(0)),
        ("atime_seconds", Datum::Int(0)),
        ("md5", Datum::Int(0)),
        ("uid", Datum::Int(0)),
        ("gid", Datum::Int(0)),
    ];
    // File.exists? follows links: a dangling link is "not present".
    if std::fs::metadata(path).is_err() {
        return out;
    }
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return out;
    };
    let mut set = |key: &'static str, value: Datum| match out.iter_mut().find(|(k, _)| *k == key) {
        Some((_, v)) => *v = value,
        None => out.push((key, value)),
    };
    set("output", s("present"));
    set("present", Datum::Int(1));
    set("size", Datum::Int(meta.size() as i64));
    set("uid", Datum::Int(i64::from(meta.uid())));
    set("gid", Datum::Int(i64::from(meta.gid())));
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    for (name, secs) in [
        ("mtime", meta.mtime()),
        ("ctime", meta.ctime()),
        ("atime", meta.atime()),
    ] {
        set(name, Datum::Str(utc_timestamp(secs)));
        set(seconds_key(name), Datum::Int(secs));
        set(age_key(name), Datum::Int(now - secs));
    }
    set("mode", Datum::Str(format!("{:o}", meta.mode())));
    let ft = meta.file_type();
    if ft.is_file()
        && meta.size() <= MAX_MD5_BYTES
        && let Ok(digest) = md5_file(std::path::Path::new(path))
    {
        set("md5", Datum::Str(digest));
    }
    set("type", s(file_kind(ft)));
    out
}

fn seconds_key(name: &str) -> &'static str {
    match name {
        "mtime" => "mtime_seconds",
        "ctime" => "ctime_seconds",
        _ => "atime_seconds",
    }
}

fn age_key(name: &str) -> &'static str {
    match name {
        "mtime" => "mtime_age",
        "ctime" => "ctime_age",
        _ => "atime_age",
    }
}

/// The name Ruby's `File::Stat` tests give a file type: `directory`, `file`, `symlink`,
/// `socket`, `chardev`, `blockdev`, else `unknown`.
pub fn file_kind(ft: std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if ft.is_dir() {
        "directory"
    } else if ft.is_file() {
        "file"
    } else if ft.is_symlink() {
        "symlink"
    } else if ft.is_socket() {
        "socket"
    } else if ft.is_char_device() {
        "chardev"
    } else if ft.is_block_device() {
        "blockdev"
    } else {
        "unknown"
    }
}

/// The MD5 of a file's contents as lower-case hex, read in 64 KiB pieces.
pub fn md5_file(path: &std::path::Path) -> std::io::Result<String> {
    use std::io::Read;
    let mut file = std::fs::File::open(path)?;
    let mut md5 = Md5::new();
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        match file.read(&mut chunk)? {
            0 => break,
            n => md5.update(&chunk[..n]),
        }
    }
    Ok(crate::hex::encode(&md5.finalize()))
}

/// `YYYY-MM-DD HH:MM:SS` for Unix seconds, in UTC (the civil-from-days algorithm).
pub fn utc_timestamp(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates() {
        assert_eq!(utc_timestamp(0), "1970-01-01 00:00:00");
        assert_eq!(utc_timestamp(1_795_794_190), "2026-11-27 15:43:10");
        assert_eq!(utc_timestamp(951_782_400), "2000-02-29 00:00:00");
        assert_eq!(utc_timestamp(-1), "1969-12-31 23:59:59");
    }

    #[test]
    fn present_and_absent_files() {
        let dir = std::env::temp_dir().join(format!("fstat-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("f.txt");
        std::fs::write(&file, b"hello").unwrap();
        let get =
            |out: &Outputs, k: &str| out.iter().find(|(n, _)| *n == k).map(|(_, v)| v.clone());
        let out = fstat(file.to_str().unwrap());
        assert_eq!(get(&out, "present"), Some(Datum::Int(1)));
        assert_eq!(get(&out, "type"), Some(Datum::Str("file".into())));
        assert_eq!(get(&out, "size"), Some(Datum::Int(5)));
        assert_eq!(
            get(&out, "md5"),
            Some(Datum::Str("5d41402abc4b2a76b9719d911017c592".into()))
        );
        let dir_out = fstat(dir.to_str().unwrap());
        assert_eq!(get(&dir_out, "type"), Some(Datum::Str("directory".into())));
        let missing = fstat(dir.join("nope").to_str().unwrap());
        assert_eq!(
            get(&missing, "output"),
            Some(Datum::Str("not present".into()))
        );
        assert_eq!(get(&missing, "present"), Some(Datum::Int(0)));
        assert_eq!(missing.len(), 15);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

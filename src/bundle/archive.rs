//! The bundle's zip file. Each entry is written with its SHA-256 and size
//! noted for the manifest; the zip is built in a temporary file beside the
//! destination and renamed onto it only once complete, so a full disk or an
//! interrupted run never leaves a half-written bundle under the final name.
//! A destination that is not a regular file (a device, a pipe) is written
//! to once the zip is complete.
//!
//! The temporary files of a bundle are [`PartialFile`]s: a signal handler
//! removes every one of them with [`remove_partials_and_exit`], so that
//! Ctrl-C leaves nothing behind either.

use crate::model::BundleFile;
use sha2::{Digest, Sha256};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};
use zip::write::SimpleFileOptions;

/// Deflate level: 1 (fast). On the replication benchmark capture, level 6
/// made a 9.9 MB zip in 1.87 s, level 1 14.3 MB in 1.45 s (see
/// `docs/PERFORMANCE.md`, "Support bundles").
const LEVEL: i64 = 1;

/// Entries larger than this are written with ZIP64 sizes.
const ZIP64_FROM: u64 = 0xF000_0000;

/// Lower-case hex of a digest.
pub fn hex(bytes: &[u8]) -> String {
    const H: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(H[(b >> 4) as usize] as char);
        s.push(H[(b & 15) as usize] as char);
    }
    s
}

/// SHA-256 and size of everything read from `r`.
pub fn digest_of(r: &mut dyn Read) -> io::Result<(String, u64)> {
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut n = 0u64;
    loop {
        match r.read(&mut buf) {
            Ok(0) => break,
            Ok(k) => {
                h.update(&buf[..k]);
                n += k as u64;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok((hex(&h.finalize()), n))
}

/// The partial files that exist, and how many results were put in place.
struct Partials {
    paths: Vec<PathBuf>,
    completed: usize,
}

/// Every [`PartialFile`] of the process. Each is created, put in place or
/// removed under this lock, so that [`remove_partials_and_exit`] (which
/// holds it to the end) sees each either registered or gone.
static PARTIALS: Mutex<Partials> = Mutex::new(Partials {
    paths: Vec::new(),
    completed: 0,
});

fn partials() -> MutexGuard<'static, Partials> {
    PARTIALS.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A named temporary file that is not a result yet: removed when dropped,
/// and by [`remove_partials_and_exit`] when the process is interrupted.
pub struct PartialFile {
    /// Always `Some` but in `drop`.
    file: Option<tempfile::NamedTempFile>,
}

impl PartialFile {
    /// Creates one in `dir`, named as `builder` says.
    pub fn new_in(builder: &tempfile::Builder<'_, '_>, dir: &Path) -> io::Result<PartialFile> {
        let mut list = partials();
        let file = builder.tempfile_in(dir)?;
        list.paths.push(file.path().to_path_buf());
        Ok(PartialFile { file: Some(file) })
    }

    fn named(&self) -> &tempfile::NamedTempFile {
        self.file.as_ref().expect("present until dropped")
    }

    /// Its path.
    pub fn path(&self) -> &Path {
        self.named().path()
    }

    /// The open file.
    pub fn as_file_mut(&mut self) -> &mut std::fs::File {
        self.file
            .as_mut()
            .expect("present until dropped")
            .as_file_mut()
    }

    /// Opens it again, for reading from the start.
    pub fn reopen(&self) -> io::Result<std::fs::File> {
        self.named().reopen()
    }

    /// Renames it onto `to`: the result is in place, and no longer partial.
    pub fn persist(mut self, to: &Path) -> io::Result<()> {
        let mut list = partials();
        let file = self.file.take().expect("present until dropped");
        let path = file.path().to_path_buf();
        match file.persist(to) {
            Ok(_) => {
                list.paths.retain(|p| *p != path);
                list.completed += 1;
                Ok(())
            }
            Err(e) => {
                // Dropped (removed) with the lock held, then forgotten.
                drop(e.file);
                list.paths.retain(|p| *p != path);
                Err(e.error)
            }
        }
    }
}

impl Drop for PartialFile {
    fn drop(&mut self) {
        if let Some(file) = self.file.take() {
            let mut list = partials();
            let path = file.path().to_path_buf();
            drop(file);
            list.paths.retain(|p| *p != path);
        }
    }
}

/// For a signal handler: removes every [`PartialFile`], calls `say` with
/// how many were removed and whether a result was put in place meanwhile
/// (a bundle completed), and exits with `status`. No other thread creates,
/// completes or removes a partial file from then on.
pub fn remove_partials_and_exit(status: i32, say: impl FnOnce(usize, bool)) -> ! {
    let mut list = partials();
    let removed = list
        .paths
        .drain(..)
        .filter(|p| std::fs::remove_file(p).is_ok())
        .count();
    say(removed, list.completed > 0);
    // The lock is held to the end.
    std::process::exit(status)
}

/// A writer that hashes and counts what goes through it.
struct Hashing<W: Write> {
    inner: W,
    hash: Sha256,
    len: u64,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hash.update(&buf[..n]);
        self.len += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Where the finished zip goes.
enum Destination {
    /// A regular file (new or replaced): the temporary file is renamed onto it.
    Rename(PathBuf),
    /// Anything else: the zip is copied into it.
    Copy(PathBuf),
}

/// The zip's temporary file. Once a write to it fails (a full disk), it
/// stands in for a file that takes everything and keeps nothing: the zip
/// library completes an unfinished archive when it is dropped, and prints
/// the `Debug` form of the error on standard error when that fails too. The
/// archive is abandoned by then (the first error was returned), so its end
/// goes nowhere, quietly; positions and length are kept as a file's would
/// be, so that the library's arithmetic holds.
struct Spool {
    file: PartialFile,
    /// After a failure: the position and length, as if every write since
    /// had succeeded.
    failed: Option<(u64, u64)>,
    /// The first failure.
    error: Option<io::Error>,
}

impl Spool {
    fn new(file: PartialFile) -> Spool {
        Spool {
            file,
            failed: None,
            error: None,
        }
    }

    /// Notes a failure (an interrupted call is retried, not a failure).
    fn fail(&mut self, e: &io::Error) {
        if e.kind() == io::ErrorKind::Interrupted || self.failed.is_some() {
            return;
        }
        let f = self.file.as_file_mut();
        let pos = f.stream_position().unwrap_or(0);
        let len = f.metadata().map(|m| m.len()).unwrap_or(0).max(pos);
        self.failed = Some((pos, len));
        // The file's own error, without the temporary file's name.
        self.error = Some(io::Error::new(e.kind(), e.to_string()));
    }
}

impl Write for Spool {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if let Some((pos, len)) = &mut self.failed {
            *pos += buf.len() as u64;
            *len = (*len).max(*pos);
            return Ok(buf.len());
        }
        self.file
            .as_file_mut()
            .write(buf)
            .inspect_err(|e| self.fail(e))
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.failed.is_some() {
            return Ok(());
        }
        self.file
            .as_file_mut()
            .flush()
            .inspect_err(|e| self.fail(e))
    }
}

impl Seek for Spool {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        if let Some((pos, len)) = &mut self.failed {
            let at = match to {
                SeekFrom::Start(n) => Some(n),
                SeekFrom::Current(d) => pos.checked_add_signed(d),
                SeekFrom::End(d) => len.checked_add_signed(d),
            }
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "seek before the start"))?;
            *pos = at;
            return Ok(at);
        }
        self.file
            .as_file_mut()
            .seek(to)
            .inspect_err(|e| self.fail(e))
    }
}

/// A zip being written.
pub struct Archive {
    zip: zip::ZipWriter<Spool>,
    dest: Destination,
    files: Vec<BundleFile>,
    time: zip::DateTime,
}

fn zip_error(e: zip::result::ZipError) -> io::Error {
    match e {
        zip::result::ZipError::Io(e) => e,
        other => io::Error::other(other.to_string()),
    }
}

impl Archive {
    /// Starts a zip for `path`; its entries are dated `created_us`.
    pub fn create(path: &Path, created_us: i64) -> io::Result<Archive> {
        let regular = match std::fs::metadata(path) {
            Ok(m) if m.is_dir() => {
                return Err(io::Error::new(
                    io::ErrorKind::IsADirectory,
                    "it is a folder: give the name of the zip file to write",
                ));
            }
            Ok(m) => m.is_file(),
            Err(e) if e.kind() == io::ErrorKind::NotFound => true,
            Err(e) => return Err(e),
        };
        let (dir, dest) = if regular {
            let dir = match path.parent() {
                Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
                _ => PathBuf::from("."),
            };
            (dir, Destination::Rename(path.to_path_buf()))
        } else {
            (std::env::temp_dir(), Destination::Copy(path.to_path_buf()))
        };
        let tmp = PartialFile::new_in(
            tempfile::Builder::new()
                .prefix(".asrscope-bundle-")
                .suffix(".partial"),
            &dir,
        )?;
        let (y, mo, d, h, mi, s) = crate::dates::civil_utc(created_us);
        let time = u16::try_from(y)
            .ok()
            .and_then(|y| zip::DateTime::from_date_and_time(y, mo, d, h, mi, s).ok())
            .unwrap_or_default();
        Ok(Archive {
            zip: zip::ZipWriter::new(Spool::new(tmp)),
            dest,
            files: Vec::new(),
            time,
        })
    }

    /// Adds an entry made of `parts` read one after the other; `size` is
    /// their total size when known (it decides ZIP64).
    pub fn add(&mut self, name: &str, parts: &mut [&mut dyn Read], size: u64) -> io::Result<()> {
        let opts = SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .compression_level(Some(LEVEL))
            .last_modified_time(self.time)
            .unix_permissions(0o644)
            .large_file(size >= ZIP64_FROM);
        self.zip.start_file(name, opts).map_err(zip_error)?;
        let mut w = Hashing {
            inner: &mut self.zip,
            hash: Sha256::new(),
            len: 0,
        };
        for p in parts.iter_mut() {
            io::copy(p, &mut w)?;
        }
        let (hash, len) = (w.hash.finalize(), w.len);
        self.files.push(BundleFile {
            name: name.to_string(),
            size: len,
            sha256: hex(&hash),
        });
        Ok(())
    }

    /// Adds an entry from bytes.
    pub fn add_bytes(&mut self, name: &str, bytes: &[u8]) -> io::Result<()> {
        self.add(name, &mut [&mut &bytes[..]], bytes.len() as u64)
    }

    /// The entries added so far, with their digests.
    pub fn files(&self) -> &[BundleFile] {
        &self.files
    }

    /// Completes the zip and puts it in place.
    pub fn finish(self) -> io::Result<()> {
        let spool = self.zip.finish().map_err(zip_error)?;
        if let Some(e) = spool.error {
            return Err(e);
        }
        let mut tmp = spool.file;
        tmp.as_file_mut().sync_all()?;
        match self.dest {
            Destination::Rename(p) => tmp.persist(&p)?,
            Destination::Copy(p) => {
                let mut out = std::fs::OpenOptions::new().write(true).open(&p)?;
                let mut f = tmp.reopen()?;
                io::copy(&mut f, &mut out)?;
                out.flush()?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_read_back_with_their_digests() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("case.zip");
        let mut a = Archive::create(&p, 1_764_633_600_000_000).unwrap();
        a.add_bytes("a.txt", b"hello").unwrap();
        let mut one: &[u8] = b"ab";
        let mut two: &[u8] = b"cd";
        a.add("b.bin", &mut [&mut one, &mut two], 4).unwrap();
        // Nothing under the final name until the zip is complete.
        assert!(!p.exists());
        let files = a.files().to_vec();
        a.finish().unwrap();
        assert!(p.exists());
        assert_eq!(
            files[0].sha256,
            "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
        );
        assert_eq!(files[1].size, 4);
        let mut z = zip::ZipArchive::new(std::fs::File::open(&p).unwrap()).unwrap();
        let mut s = String::new();
        z.by_name("b.bin").unwrap().read_to_string(&mut s).unwrap();
        assert_eq!(s, "abcd");
        let entries = std::fs::read_dir(dir.path()).unwrap().count();
        assert_eq!(entries, 1, "the temporary file is gone");
    }

    #[test]
    fn an_unfinished_zip_leaves_nothing_behind() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("case.zip");
        let mut a = Archive::create(&p, 0).unwrap();
        a.add_bytes("a.txt", b"x").unwrap();
        drop(a);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}

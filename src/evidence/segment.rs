//! Segment files in `DIR/log/`: naming, the 8-byte header, appending, fsync (file and
//! directory), and scanning frames in order with torn-tail detection. Owns no chain or
//! signature rules: callers judge each entry and decide between truncation and a fault.
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use super::entry::{read_frame, Frame, FRAME_HEADER, MAX_ENTRY_BYTES};

/// Magic bytes at the start of every segment.
pub(crate) const MAGIC: &[u8; 8] = b"AIMSEG01";

/// `DIR/log`.
pub(crate) fn log_dir(dir: &Path) -> PathBuf {
    dir.join("log")
}

/// Path of the segment whose first entry has sequence number `first`.
pub(crate) fn segment_path(logdir: &Path, first: u64) -> PathBuf {
    logdir.join(format!("{first:020}.seg"))
}

/// Segments in `logdir` as `(first seq, path)`, ascending.
pub(crate) fn list_segments(logdir: &Path) -> io::Result<Vec<(u64, PathBuf)>> {
    let mut out = Vec::new();
    let rd = match fs::read_dir(logdir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(e),
    };
    for e in rd {
        let p = e?.path();
        let first = p
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_suffix(".seg"))
            .and_then(|n| n.parse::<u64>().ok());
        if let Some(first) = first {
            out.push((first, p));
        }
    }
    out.sort();
    Ok(out)
}

/// fsyncs a directory so that created or renamed entries in it survive a crash.
pub(crate) fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Where a scan stopped before the end of the data.
#[derive(Debug, Clone)]
pub(crate) struct Torn {
    /// First seq of the segment (its file name).
    pub seg: u64,
    /// Path of the segment.
    pub path: PathBuf,
    /// Offset of the first bad byte (start of the bad frame).
    pub offset: u64,
    /// Segment length on disk.
    pub file_len: u64,
    /// What was wrong.
    pub reason: String,
    /// Whether this is the newest segment (only then can it be a torn tail).
    pub last: bool,
}

/// Reads every frame of every segment in order, calling `f(seg, offset, entry bytes)`. A frame
/// that is short, fails its CRC, or that `f` rejects stops the scan and is returned as `Torn`.
/// Segments whose first seq is below `min_first` (left over from an interrupted prune) are
/// skipped.
pub(crate) fn scan<F>(logdir: &Path, min_first: u64, mut f: F) -> io::Result<Option<Torn>>
where
    F: FnMut(u64, u64, &[u8]) -> Result<(), String>,
{
    let mut segs = list_segments(logdir)?;
    segs.retain(|(first, _)| *first >= min_first);
    let n = segs.len();
    for (i, (seg, path)) in segs.into_iter().enumerate() {
        let data = fs::read(&path)?;
        let torn = |offset: usize, reason: String| Torn {
            seg,
            path: path.clone(),
            offset: offset as u64,
            file_len: data.len() as u64,
            reason,
            last: i + 1 == n,
        };
        if data.get(..MAGIC.len()) != Some(&MAGIC[..]) {
            return Ok(Some(torn(0, "segment header missing or wrong".into())));
        }
        let mut off = MAGIC.len();
        while let Some(rest) = data.get(off..).filter(|r| !r.is_empty()) {
            match read_frame(rest) {
                Frame::Ok(entry, len) => {
                    if let Err(why) = f(seg, off as u64, entry) {
                        return Ok(Some(torn(off, why)));
                    }
                    off += len;
                }
                Frame::Short => return Ok(Some(torn(off, "segment ends inside a frame".into()))),
                Frame::Bad(why) => return Ok(Some(torn(off, why.into()))),
            }
        }
    }
    Ok(None)
}

/// Reads frames from offset `offset` of segment `seg` onwards (then the later segments from
/// their start), calling `f(seg, offset, entry bytes)` until it returns false or the data ends
/// (a short or bad frame also ends it: callers re-read later). Reads only what it visits.
pub(crate) fn read_from<F>(logdir: &Path, seg: u64, offset: u64, mut f: F) -> io::Result<()>
where
    F: FnMut(u64, u64, &[u8]) -> bool,
{
    use std::io::{BufReader, Read, Seek};
    let mut entry = Vec::new();
    for (first, path) in list_segments(logdir)? {
        if first < seg {
            continue;
        }
        let mut off = if first == seg {
            offset
        } else {
            MAGIC.len() as u64
        };
        let mut r = BufReader::with_capacity(256 << 10, File::open(&path)?);
        r.seek(io::SeekFrom::Start(off))?;
        loop {
            let mut hdr = [0u8; FRAME_HEADER];
            if r.read_exact(&mut hdr).is_err() {
                break;
            }
            let len = u32::from_be_bytes([hdr[0], hdr[1], hdr[2], hdr[3]]) as usize;
            if len == 0 || len > MAX_ENTRY_BYTES {
                return Ok(());
            }
            entry.clear();
            entry.extend_from_slice(&hdr);
            entry.resize(FRAME_HEADER + len, 0);
            if r.read_exact(&mut entry[FRAME_HEADER..]).is_err() {
                return Ok(());
            }
            let Frame::Ok(bytes, n) = read_frame(&entry) else {
                return Ok(());
            };
            if !f(first, off, bytes) {
                return Ok(());
            }
            off += n as u64;
        }
    }
    Ok(())
}

/// The segment being appended to.
#[derive(Debug)]
pub(crate) struct Active {
    file: File,
    /// First seq in this segment.
    pub first: u64,
    /// Bytes in the file.
    pub len: u64,
}

impl Active {
    /// Creates a new segment (header written and fsync'd, directory fsync'd).
    pub fn create(logdir: &Path, first: u64) -> io::Result<Self> {
        let path = segment_path(logdir, first);
        let mut file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&path)?;
        file.write_all(MAGIC)?;
        file.sync_all()?;
        sync_dir(logdir)?;
        Ok(Self {
            file,
            first,
            len: MAGIC.len() as u64,
        })
    }

    /// Opens an existing segment for appending, truncating it to `len` first.
    pub fn reopen(path: &Path, first: u64, len: u64) -> io::Result<Self> {
        let file = OpenOptions::new().write(true).open(path)?;
        if file.metadata()?.len() != len {
            file.set_len(len)?;
            file.sync_all()?;
        }
        let mut a = Self { file, first, len };
        a.seek_end()?;
        Ok(a)
    }

    fn seek_end(&mut self) -> io::Result<()> {
        use std::io::Seek;
        self.file.seek(io::SeekFrom::Start(self.len)).map(|_| ())
    }

    /// Appends bytes (not yet durable).
    pub fn write(&mut self, buf: &[u8]) -> io::Result<()> {
        self.file.write_all(buf)?;
        self.len += buf.len() as u64;
        Ok(())
    }

    /// A second handle on the file, for fsyncing it from another thread.
    pub fn sync_handle(&self) -> io::Result<File> {
        self.file.try_clone()
    }

    /// Makes everything written so far durable.
    pub fn sync(&mut self) -> io::Result<()> {
        self.file.sync_data()
    }

    /// Cuts the file back to `len` after a failed write.
    pub fn truncate(&mut self, len: u64) -> io::Result<()> {
        self.file.set_len(len)?;
        self.len = len;
        self.seek_end()?;
        self.file.sync_all()
    }
}

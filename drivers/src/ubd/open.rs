//! Attaching a disk as the command line describes it (`ubdN[flags]=FILE` or
//! `=COW,BACKING`), with UML's rules from `ubd_kern.c`:
//!
//! - `ubdN=FILE`: FILE is a COW file if it starts with a COW header (its
//!   backing file is then the one the header names), else a plain image;
//!   `ubdNd=FILE` ("data") skips that test and always uses FILE as it is.
//! - `ubdN=COW,BACKING` (or `COW:BACKING`): COW is created over BACKING if it
//!   does not exist. If it exists and names another backing file, BACKING
//!   replaces that name in its header, provided BACKING has the size and
//!   mtime the header records (a moved base image).
//! - The backing file must still have the size and mtime recorded in the COW
//!   header: a changed base invalidates every COW file made over it. UML's way
//!   out is the same here: give the base back its mtime (`touch -d @MTIME`),
//!   or remove the COW file (losing its changes).
//! - `r` read-only, `s` synchronous writes (`O_SYNC`), `c` shared (no host
//!   lock), `t` no discard (this kernel has none anyway).
//!
//! Every refusal is one line naming the disk and the file; nothing is
//! written to any file that is refused.

use super::cow::{self, Bitmap, Header};
use super::cow_disk::CowDisk;
use super::{Store, Ubd};
use arch::host::file::{self, HostFile, OpenError, OpenMode};
use std::io::ErrorKind;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

/// One `ubdN[flags]=FILE[,BACKING[,SERIAL]]` disk.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UbdSpec {
    /// The disk's file: the COW file when it has a backing file.
    pub path: PathBuf,
    /// `=COW,BACKING`: the backing file named on the command line.
    pub backing: Option<PathBuf>,
    /// `r`: the guest cannot write.
    pub read_only: bool,
    /// `s`: writes are synchronous on the host.
    pub sync: bool,
    /// `d`: FILE is data, never read as a COW file.
    pub no_cow: bool,
    /// `c`: shared with other instances, not locked on the host.
    pub shared: bool,
    /// The third field, UML's serial number for sysfs (kept, not shown yet).
    pub serial: Option<String>,
}

/// Opens `path` for disk `name`, with one line on failure.
fn open(name: &str, what: &str, path: &Path, mode: OpenMode) -> Result<HostFile, String> {
    HostFile::open_with(path, mode).map_err(|e| describe(name, what, path, e))
}

fn describe(name: &str, what: &str, path: &Path, e: OpenError) -> String {
    let path = path.display();
    match e {
        OpenError::Open(e) => format!("{name}: cannot open {what}{path}: {e}"),
        OpenError::Locked => format!(
            "{name}: {what}{path} is locked: it is in use by another instance (or another program)"
        ),
        OpenError::Lock(e) => format!("{name}: cannot lock {what}{path}: {e}"),
    }
}

/// Opens disk `index` as `spec` says.
pub fn open_disk(index: usize, spec: &UbdSpec) -> Result<Ubd, String> {
    let name = format!("ubd{index}");
    if spec.no_cow && spec.backing.is_some() {
        return Err(format!(
            "{name}: the d flag and a COW file exclude each other"
        ));
    }
    let mode = OpenMode {
        read_only: spec.read_only,
        sync: spec.sync,
        shared: spec.shared,
        create_new: false,
    };
    if spec.shared {
        log::info!("{name}: not locking {} on the host", spec.path.display());
    }
    let file = match HostFile::open_with(&spec.path, mode) {
        Ok(file) => file,
        Err(OpenError::Open(e)) if e.kind() == ErrorKind::NotFound && spec.backing.is_some() => {
            let backing = spec.backing.as_deref().expect("checked above");
            return create_cow(&name, index, spec, backing, mode);
        }
        Err(e) => return Err(describe(&name, "", &spec.path, e)),
    };
    let header = if spec.no_cow {
        None
    } else {
        read_header(&name, &spec.path, &file)?
    };
    match header {
        None if spec.backing.is_some() => Err(format!(
            "{name}: {} is not a COW file (it has no UML COW header)",
            spec.path.display()
        )),
        None => Ok(Ubd::with_store(index, Store::Plain(file))),
        Some(header) => open_cow(&name, index, spec, file, header, mode),
    }
}

/// Reads the COW header of `file`, if it has one.
fn read_header(name: &str, path: &Path, file: &HostFile) -> Result<Option<Header>, String> {
    let len = file.size().min(cow::HEADER_READ_LEN as u64) as usize;
    let mut bytes = vec![0u8; len];
    file.read_at(0, &mut bytes)
        .map_err(|e| format!("{name}: cannot read {}: {e}", path.display()))?;
    Header::decode(&bytes).map_err(|e| format!("{name}: COW file {}: {}", path.display(), e.0))
}

/// How a backing file differs from what a COW header records.
enum Mismatch {
    Size(u64),
    Mtime(i64),
}

/// Returns how `backing` differs from the size and mtime in `header`, if it
/// does; an error line if it cannot be asked.
fn mismatch(
    name: &str,
    backing: &HostFile,
    path: &Path,
    header: &Header,
) -> Result<Option<Mismatch>, String> {
    let mtime = backing
        .mtime()
        .map_err(|e| format!("{name}: cannot stat backing file {}: {e}", path.display()))?;
    Ok(if backing.size() != header.size {
        Some(Mismatch::Size(backing.size()))
    } else if mtime as u32 != header.mtime {
        // UML records the low 32 bits of the time.
        Some(Mismatch::Mtime(mtime))
    } else {
        None
    })
}

/// Refuses a backing file that changed since the COW file was made, saying
/// how and what the user can do (UML's advice).
fn check_backing(
    name: &str,
    cow_path: &Path,
    backing: &HostFile,
    path: &Path,
    header: &Header,
) -> Result<(), String> {
    let (cow, p) = (cow_path.display(), path.display());
    match mismatch(name, backing, path, header)? {
        None => Ok(()),
        Some(Mismatch::Size(size)) => Err(format!(
            "{name}: backing file {p} has changed since COW file {cow} was made: its size \
             is {size} bytes, the COW header says {} (remove the COW file to start again, \
             losing its changes)",
            header.size
        )),
        Some(Mismatch::Mtime(mtime)) => Err(format!(
            "{name}: backing file {p} has changed since COW file {cow} was made: its mtime \
             is {mtime}, the COW header says {m} (if its contents are the same, restore \
             the mtime with `touch -d @{m} {p}`; else remove the COW file, losing its \
             changes)",
            m = header.mtime
        )),
    }
}

/// Returns the path as the bytes stored in a COW header.
fn path_bytes(path: &Path) -> &[u8] {
    path.as_os_str().as_bytes()
}

fn open_cow(
    name: &str,
    index: usize,
    spec: &UbdSpec,
    file: HostFile,
    mut header: Header,
    mode: OpenMode,
) -> Result<Ubd, String> {
    let cow_path = spec.path.as_path();
    let recorded = PathBuf::from(std::ffi::OsStr::from_bytes(&header.backing_file));
    let backing_mode = OpenMode {
        read_only: true,
        sync: false,
        shared: mode.shared,
        create_new: false,
    };
    // The backing file the command line names, when it is another file than
    // the header's (UML's path_requires_switch).
    let switch_to = spec.backing.as_deref().filter(|b| {
        *b != recorded
            && match (file::file_id(b), file::file_id(&recorded)) {
                (Ok(a), Ok(r)) => a != r,
                _ => true,
            }
    });
    let backing_path = switch_to.unwrap_or(&recorded);
    let backing = open(name, "backing file ", backing_path, backing_mode).map_err(|e| {
        if switch_to.is_some() {
            return e;
        }
        format!(
            "{e} (named in COW file {}; if it moved, give its new path as {name}={},NEWPATH)",
            cow_path.display(),
            cow_path.display()
        )
    })?;
    if let Some(to) = switch_to {
        if mismatch(name, &backing, to, &header)?.is_some() {
            return Err(format!(
                "{name}: COW file {} was made over {}, not {} (whose size or mtime differs \
                 from the COW header's)",
                cow_path.display(),
                recorded.display(),
                to.display()
            ));
        }
        if file.read_only() {
            return Err(format!(
                "{name}: COW file {} names backing file {}, not {} (a read-only disk cannot \
                 switch it)",
                cow_path.display(),
                recorded.display(),
                to.display()
            ));
        }
        let absolute = file::absolute_path(to)
            .map_err(|e| format!("{name}: cannot resolve {}: {e}", to.display()))?;
        header.backing_file = path_bytes(&absolute).to_vec();
        if header.backing_file.len() >= cow::PATH_LEN {
            return Err(format!(
                "{name}: {} is too long for a COW header",
                to.display()
            ));
        }
        file.write_at(0, &header.encode())
            .map_err(|e| format!("{name}: cannot write COW file {}: {e}", cow_path.display()))?;
        log::warn!(
            "{name}: switching the backing file of {} to {}",
            cow_path.display(),
            absolute.display()
        );
    } else {
        check_backing(name, cow_path, &backing, backing_path, &header)?;
    }
    let layout = header
        .layout()
        .map_err(|e| format!("{name}: COW file {}: {}", cow_path.display(), e.0))?;
    let bitmap_end = layout.bitmap_offset + layout.bitmap_len;
    if file.size() < bitmap_end {
        return Err(format!(
            "{name}: COW file {} is truncated: it has {} bytes, its bitmap ends at {bitmap_end}",
            cow_path.display(),
            file.size()
        ));
    }
    let mut bitmap = vec![0u8; layout.bitmap_len as usize];
    file.read_at(layout.bitmap_offset, &mut bitmap)
        .map_err(|e| format!("{name}: cannot read COW file {}: {e}", cow_path.display()))?;
    log::info!(
        "{name}: COW file {} over {}",
        cow_path.display(),
        backing_path.display()
    );
    let disk = CowDisk::new(
        file,
        backing,
        layout,
        header.size,
        Bitmap::from_bytes(bitmap),
    );
    Ok(Ubd::with_store(index, Store::Cow(disk)))
}

/// Creates the missing COW file `spec.path` over `backing`, as UML does:
/// sector size 512, alignment 4096, the backing file's absolute path.
fn create_cow(
    name: &str,
    index: usize,
    spec: &UbdSpec,
    backing_path: &Path,
    mode: OpenMode,
) -> Result<Ubd, String> {
    let cow_path = spec.path.as_path();
    if mode.read_only {
        return Err(format!(
            "{name}: COW file {} does not exist (a read-only disk does not create one)",
            cow_path.display()
        ));
    }
    let backing_mode = OpenMode {
        read_only: true,
        sync: false,
        shared: mode.shared,
        create_new: false,
    };
    let backing = open(name, "backing file ", backing_path, backing_mode)?;
    let absolute = file::absolute_path(backing_path)
        .map_err(|e| format!("{name}: cannot resolve {}: {e}", backing_path.display()))?;
    let mtime = backing
        .mtime()
        .map_err(|e| format!("{name}: cannot stat {}: {e}", backing_path.display()))?;
    let header = Header::new(path_bytes(&absolute), mtime, backing.size())
        .and_then(|h| h.layout().map(|l| (h, l)));
    let (header, layout) = header.map_err(|e| {
        format!(
            "{name}: cannot make a COW file over {}: {}",
            backing_path.display(),
            e.0
        )
    })?;
    let mut file = open(
        name,
        "",
        cow_path,
        OpenMode {
            create_new: true,
            ..mode
        },
    )?;
    let written = file
        .write_at(0, &header.encode())
        .and_then(|()| file.set_len(layout.data_offset + header.size));
    if let Err(e) = written {
        let _ = file::remove(cow_path);
        return Err(format!(
            "{name}: cannot write COW file {}: {e}",
            cow_path.display()
        ));
    }
    log::info!(
        "{name}: creating {} as COW file for {}",
        cow_path.display(),
        absolute.display()
    );
    let bitmap = Bitmap::from_bytes(vec![0; layout.bitmap_len as usize]);
    let disk = CowDisk::new(file, backing, layout, header.size, bitmap);
    Ok(Ubd::with_store(index, Store::Cow(disk)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use fs::BlockDevice;
    use std::path::PathBuf;

    /// A scratch directory removed when dropped.
    struct Scratch(PathBuf);

    impl Scratch {
        fn new(name: &str) -> Scratch {
            let dir = std::env::temp_dir().join(format!("ubd-{name}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).expect("scratch directory");
            Scratch(dir)
        }

        fn path(&self, name: &str) -> PathBuf {
            self.0.join(name)
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn pattern(len: usize, seed: u8) -> Vec<u8> {
        (0..len)
            .map(|i| (i as u8).wrapping_mul(31) ^ seed)
            .collect()
    }

    fn cow_spec(cow: &Path, backing: Option<&Path>) -> UbdSpec {
        UbdSpec {
            path: cow.to_path_buf(),
            backing: backing.map(Path::to_path_buf),
            ..UbdSpec::default()
        }
    }

    /// A missing COW file is made as UML makes it; writes of any alignment
    /// land in it and read back; the backing file is never written; the
    /// bitmap and data survive a reopen by the COW file's name alone.
    #[test]
    fn creates_writes_and_reopens() {
        let dir = Scratch::new("cow");
        let (base, cow) = (dir.path("base.img"), dir.path("disk.cow"));
        // 10 sectors and a half: the last sector is partial.
        let original = pattern(5376, 7);
        std::fs::write(&base, &original).expect("write base");
        let disk = open_disk(0, &cow_spec(&cow, Some(&base))).expect("create");
        assert!(disk.is_cow() && !disk.read_only());
        assert_eq!(disk.size(), 5376);
        let header = std::fs::read(&cow).expect("read COW");
        assert_eq!(header.len(), 8192 + 4096 + 5376, "header, bitmap, data");
        let h = Header::decode(&header).expect("valid").expect("COW");
        assert_eq!(h.backing_file, path_bytes(&base));

        let mut want = original.clone();
        for (at, len, seed) in [(0, 512, 1), (700, 100, 2), (1500, 1200, 3), (5300, 76, 4)] {
            let data = pattern(len, seed);
            disk.write_at(at as u64, &data).expect("write");
            want[at..at + len].copy_from_slice(&data);
        }
        let mut got = vec![0u8; want.len()];
        disk.read_at(0, &mut got).expect("read");
        assert!(got == want, "reads see the writes over the backing data");
        let mut odd = vec![0u8; 333];
        disk.read_at(1400, &mut odd).expect("read");
        assert_eq!(odd, want[1400..1733]);
        assert!(disk.write_at(5370, &[0; 7]).is_err(), "past the end");
        disk.flush().expect("flush");
        drop(disk);
        assert_eq!(
            std::fs::read(&base).expect("base"),
            original,
            "backing untouched"
        );

        let cow_bytes = std::fs::read(&cow).expect("COW");
        // Sectors 0, 1, 2..=5 and 10 are in the COW file.
        assert_eq!(&cow_bytes[8192..8194], &[0b0011_1111, 0b0000_0100]);
        let disk = open_disk(0, &cow_spec(&cow, None)).expect("reopen by header");
        assert!(disk.is_cow());
        disk.read_at(0, &mut got).expect("read");
        assert!(got == want, "the second boot sees the first one's writes");
        let ro = UbdSpec {
            read_only: true,
            ..cow_spec(&cow, None)
        };
        drop(disk);
        let disk = open_disk(0, &ro).expect("read-only");
        assert_eq!(disk.write_at(0, &[1]), Err(arch::Errno::EROFS));
        drop(disk);
        // `d`: the COW file itself, header and all, is the disk.
        let data = UbdSpec { no_cow: true, ..ro };
        let disk = open_disk(0, &data).expect("as data");
        assert!(!disk.is_cow());
        assert_eq!(disk.size(), cow_bytes.len() as u64);
    }

    /// A changed backing file, a corrupt or truncated COW file and a plain
    /// image named as a COW file are refused, each with one line, and
    /// nothing is written.
    #[test]
    fn refuses_bad_input() {
        let dir = Scratch::new("cowbad");
        let (base, cow) = (dir.path("base.img"), dir.path("disk.cow"));
        std::fs::write(&base, pattern(4096, 1)).expect("write base");
        drop(open_disk(0, &cow_spec(&cow, Some(&base))).expect("create"));
        let good = std::fs::read(&cow).expect("COW");
        let refused = |spec: &UbdSpec, what: &str| {
            let e = open_disk(0, spec)
                .err()
                .unwrap_or_else(|| panic!("{what}: accepted"));
            assert!(e.starts_with("ubd0: ") && !e.contains('\n'), "{what}: {e}");
            e
        };
        // The base grows: its size no longer matches.
        std::fs::write(&base, pattern(8192, 1)).expect("rewrite base");
        let e = refused(&cow_spec(&cow, None), "size");
        assert!(e.contains("size is 8192") && e.contains("says 4096"), "{e}");
        // Same size, another mtime.
        std::fs::write(&base, pattern(4096, 1)).expect("rewrite base");
        let h = Header::decode(&good).expect("valid").expect("COW");
        if std::fs::metadata(&base).map(|m| m.mtime() as u32).ok() != Some(h.mtime) {
            let e = refused(&cow_spec(&cow, None), "mtime");
            assert!(e.contains("touch -d @"), "{e}");
        }
        let mut bad = good.clone();
        bad[0] = b'X';
        std::fs::write(&cow, &bad).expect("write");
        let e = refused(&cow_spec(&cow, Some(&base)), "no magic");
        assert!(e.contains("not a COW file"), "{e}");
        std::fs::write(&cow, &good[..8192]).expect("write");
        let e = refused(&cow_spec(&cow, None), "truncated");
        assert!(e.contains("truncated"), "{e}");
        std::fs::write(&cow, &good[..200]).expect("write");
        refused(&cow_spec(&cow, None), "cut header");
        assert_eq!(
            std::fs::read(&cow).expect("COW"),
            &good[..200],
            "nothing written"
        );
        std::fs::remove_file(&base).expect("remove base");
        std::fs::write(&cow, &good).expect("write");
        let e = refused(&cow_spec(&cow, None), "missing backing");
        assert!(e.contains("NEWPATH"), "{e}");
        let e = refused(
            &cow_spec(&dir.path("new.cow"), Some(&base)),
            "no backing to create",
        );
        assert!(e.contains("base.img"), "{e}");
        assert!(!dir.path("new.cow").exists(), "no COW file left behind");
    }

    use std::os::unix::fs::MetadataExt;
}

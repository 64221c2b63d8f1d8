//! Boot and shutdown: guest RAM, the ubd disks, the root filesystem, and init as
//! pid 1 on the console; at the end, sync and leave with init's status.

use crate::cmdline::Cmdline;
use crate::devices::Devices;
use crate::task::{self, ExitStatus, Process, Task};
use crate::tty::TtyFile;
use arch::abi::resource::{RLIMIT_NPROC, RLIMIT_SIGPENDING};
use arch::backend::Backend;
use arch::PhysMem;
use drivers::ubd::Ubd;
use fs::tmpfs::Tmpfs;
use fs::{File, FileSystem, FileType, HostClock, LookupFlags, OpenFlags, Vfs};
use mm::FrameAllocator;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

/// The kernel's global state, set once at boot.
pub struct Kernel {
    pub physmem: Arc<PhysMem>,
    /// What runs guest code: creates each task's guest CPU.
    pub backend: Box<dyn Backend>,
    pub frames: Arc<FrameAllocator>,
    /// What the frame allocator asks for memory when RAM runs out (it holds
    /// a weak reference; this one keeps it alive).
    _shrinker: Arc<dyn mm::Shrinker>,
    pub vfs: Arc<Vfs>,
    pub devices: Devices,
    /// The host CPUs tasks are spread over.
    pub host_cpus: Vec<usize>,
    /// The kernel command line, for /proc/cmdline.
    pub cmdline: String,
    /// The ubd disks and their partitions, for /dev, /sys/block,
    /// /proc/partitions and mount(2).
    pub block: crate::block::BlockTable,
}

static BOOT_TIME: OnceLock<Instant> = OnceLock::new();

/// Returns when the kernel booted.
pub fn boot_time() -> Instant {
    *BOOT_TIME.get_or_init(Instant::now)
}

/// Returns the time since boot (/proc/uptime, sysinfo(2)).
pub fn uptime() -> Duration {
    boot_time().elapsed()
}

static KERNEL: OnceLock<Kernel> = OnceLock::new();

/// Returns the kernel's global state.
pub fn kernel() -> &'static Kernel {
    KERNEL
        .get()
        .expect("the kernel is booted before any task runs")
}

/// Returns the kernel's global state once booted (host unit tests run
/// kernel code without it).
pub fn try_kernel() -> Option<&'static Kernel> {
    KERNEL.get()
}

/// Why boot stopped before init ran: one line for the user.
pub struct BootError(pub String);

/// The host files of attached disks: (device, inode), the disk, and whether
/// it is the disk's own file (not a backing file, which disks may share).
pub type AttachedFiles = Vec<((u64, u64), usize, bool)>;

/// Returns the host files `disks` use, as `same_file` compares them.
pub fn attached_files<'a>(disks: impl IntoIterator<Item = &'a Arc<Ubd>>) -> AttachedFiles {
    let mut seen = Vec::new();
    for d in disks {
        let i = (fs::minor(d.dev()) / 16) as usize;
        seen.extend(d.host_files().iter().map(|(f, own)| (f.id(), i, *own)));
    }
    seen
}

/// Refuses disk `i` if a file of `spec` is one an attached disk uses: the
/// same file twice is found by its inode before its lock says "in use", so
/// the message names the other disk.
pub fn same_file(
    i: usize,
    spec: &drivers::ubd::UbdSpec,
    seen: &AttachedFiles,
) -> Result<(), String> {
    let named = [(&spec.path, true)]
        .into_iter()
        .chain(spec.backing.as_ref().map(|b| (b, false)));
    for (path, own) in named {
        let Some(meta) = std::fs::metadata(path).ok().filter(|m| m.is_file()) else {
            continue;
        };
        use std::os::unix::fs::MetadataExt;
        let id = (meta.dev(), meta.ino());
        if let Some((_, j, _)) = seen.iter().find(|(s, _, o)| *s == id && (own || *o)) {
            return Err(format!(
                "ubd{i}: {} is the same file as ubd{j}: a disk can be attached once",
                path.display()
            ));
        }
    }
    Ok(())
}

/// Logs what disk `ubd` is, as attached by `spec`.
pub fn log_disk(ubd: &Ubd, spec: &drivers::ubd::UbdSpec) {
    log::info!(
        "{}: {} ({} MiB{}{})",
        ubd.name(),
        spec.path.display(),
        fs::BlockDevice::size(ubd) >> 20,
        if ubd.is_cow() { ", copy-on-write" } else { "" },
        if spec.read_only { ", read-only" } else { "" }
    );
}

fn open_disks(c: &Cmdline) -> Result<Vec<Option<Arc<Ubd>>>, BootError> {
    let mut disks: Vec<Option<Arc<Ubd>>> = Vec::new();
    let mut seen = AttachedFiles::new();
    for (i, spec) in c.ubd.iter().enumerate() {
        let Some(spec) = spec else {
            disks.push(None);
            continue;
        };
        same_file(i, spec, &seen).map_err(BootError)?;
        let ubd = drivers::ubd::open_disk(i, spec).map_err(BootError)?;
        seen.extend(ubd.host_files().iter().map(|(f, own)| (f.id(), i, *own)));
        log_disk(&ubd, spec);
        disks.push(Some(Arc::new(ubd)));
    }
    Ok(disks)
}

/// Returns the disk index and partition number (0: the whole disk) `root=`
/// names: /dev/ubda ... /dev/ubdh, /dev/ubda1 ... /dev/ubda15, or 98:MINOR.
fn root_device(root: &str) -> Option<(usize, u32)> {
    if let Some(rest) = root.strip_prefix("/dev/ubd") {
        let b = rest.as_bytes();
        let (&letter, part) = b.split_first()?;
        if !(b'a'..=b'h').contains(&letter) {
            return None;
        }
        let part = match part {
            [] => 0,
            [b'1'..=b'9', ..] => std::str::from_utf8(part).ok()?.parse().ok()?,
            _ => return None,
        };
        return (part <= drivers::ubd::MAX_PARTITIONS).then_some(((letter - b'a') as usize, part));
    }
    let (maj, min) = root.split_once(':')?;
    if maj.parse::<u32>().ok()? != drivers::ubd::UBD_MAJOR {
        return None;
    }
    let min: u32 = min.parse().ok()?;
    (min / 16 < 8).then_some(((min / 16) as usize, min % 16))
}

/// Boots: sets up RAM, disks and the root filesystem, and starts init. Returns once
/// init runs; the kernel ends in `shutdown` when init exits.
pub fn boot(c: Cmdline, backend: Box<dyn Backend>) -> Result<(), BootError> {
    boot_time();
    crate::syscall::time::record_boot_clocks();
    // Booting is kernel code like any other: it holds the kernel lock until
    // init's thread is started (which then waits for it).
    let _kernel = crate::lock::entered();
    log::info!(
        "Linux version {} (linux-rs {})",
        crate::syscall::RELEASE,
        env!("CARGO_PKG_VERSION")
    );
    log::info!("Kernel command line: {}", c.raw);
    let physmem = Arc::new(
        PhysMem::new(c.mem)
            .map_err(|e| BootError(format!("mem={}: cannot allocate guest RAM: {e}", c.mem)))?,
    );
    let frames = FrameAllocator::new(physmem.clone(), 0);
    mm::commit::set_totalram_pages(frames.total_frames());
    let shrinker: Arc<dyn mm::Shrinker> = Arc::new(crate::filemap::CacheShrinker);
    frames.set_shrinker(Arc::downgrade(&shrinker));
    log::info!("Memory: {}K available", frames.free_frames() * 4);
    let max_threads = task::limits::set_max_threads(c.mem, arch::host::cpu::host_task_capacity());
    log::info!("threads-max: {max_threads}");
    crate::epoll::watches::init(c.mem);
    crate::filesystems::set_hostfs_prefix(c.hostfs.as_deref());
    let disks = open_disks(&c)?;
    let (block, vfs) = match c.rootfstype.as_deref() {
        Some("hostfs") => {
            let disks: Vec<Arc<Ubd>> = disks.into_iter().flatten().collect();
            (
                crate::block::BlockDevices::probe(&disks, &c.ubd),
                hostfs_root(&c)?,
            )
        }
        _ => disk_root(&c, disks)?,
    };
    let init_paths: Vec<Vec<u8>> = match &c.init {
        Some(p) => vec![p.clone().into_bytes()],
        None => ["/sbin/init", "/etc/init", "/bin/init", "/bin/sh"]
            .iter()
            .map(|s| s.as_bytes().to_vec())
            .collect(),
    };
    let mut envp: Vec<Vec<u8>> = vec![b"HOME=/".to_vec(), b"TERM=linux".to_vec()];
    envp.extend(c.init_env.iter().map(|e| e.clone().into_bytes()));
    let init_args = c.init_args.clone();
    let lines = crate::lines::Lines::open(&c).map_err(BootError)?;
    crate::net::attach_nics(&c.nics);
    let k = Kernel {
        physmem,
        backend,
        frames,
        _shrinker: shrinker,
        vfs,
        devices: Devices { lines },
        host_cpus: arch::host::cpu::allowed_cpus(),
        cmdline: c.raw.clone(),
        block: crate::block::BlockTable::new(block),
    };
    if KERNEL.set(k).is_err() {
        return Err(BootError("booted twice".into()));
    }
    kernel().devices.lines.start_input();
    start_host_signal_thread();
    let vfs = &kernel().vfs;
    mount_pseudo(vfs);
    mount_tmpfs(vfs);
    start_init(init_paths, init_args, envp)
}

/// Mounts the root filesystem from the disk `root=` names; returns the
/// block devices found and the mount tree.
fn disk_root(
    c: &Cmdline,
    disks: Vec<Option<Arc<Ubd>>>,
) -> Result<(crate::block::BlockDevices, Arc<Vfs>), BootError> {
    let (index, part) = root_device(&c.root).ok_or_else(|| {
        BootError(format!(
            "root={}: not a ubd disk or partition (use /dev/ubda ... /dev/ubdh, /dev/ubda1 ...)",
            c.root
        ))
    })?;
    let disk = disks.get(index).cloned().flatten().ok_or_else(|| {
        BootError(format!(
            "root={}: no such disk; give it with ubd{index}=FILE",
            c.root
        ))
    })?;
    let disks: Vec<Arc<Ubd>> = disks.into_iter().flatten().collect();
    let block = crate::block::BlockDevices::probe(&disks, &c.ubd);
    let root_dev = disk.dev() + u64::from(part);
    let root_node = block.find(root_dev).cloned().ok_or_else(|| {
        BootError(format!(
            "root={}: {} has no partition {part}",
            c.root,
            disk.name()
        ))
    })?;
    if let Some(t) = &c.rootfstype {
        if t != "ext4" && t != "ext3" && t != "ext2" {
            return Err(BootError(format!(
                "rootfstype={t}: unsupported (ext4 and hostfs are)"
            )));
        }
    }
    // Read-write only when asked (`rw`, as Linux's root_mountflags) and the
    // disk allows it (`ubd0=`, not `ubd0r=`).
    let read_only = c.read_only_root || fs::BlockDevice::read_only(&*disk);
    if !c.read_only_root && read_only {
        log::warn!(
            "{}: read-only disk, mounting the root read-only",
            disk.name()
        );
    }
    let root_name = root_node.name();
    let root_fs = fs::ext4::Ext4::mount(root_node.device(), root_dev, read_only)
        .map_err(|e| BootError(format!("VFS: cannot mount root fs on {root_name}: {e}")))?;
    crate::filesystems::register_ext4(root_dev, &root_fs);
    let root_fs: Arc<dyn FileSystem> = root_fs;
    let mut root_flags = fs::MountFlags::RELATIME;
    if read_only {
        root_flags |= fs::MountFlags::RDONLY;
    }
    let vfs = Vfs::new_with(root_fs, root_flags, &format!("/dev/{root_name}"))
        .map_err(|e| BootError(format!("VFS: cannot set up the root: {e}")))?;
    log::info!(
        "VFS: Mounted root (ext4 filesystem){} on device {}:{}.",
        if read_only { " readonly" } else { "" },
        fs::major(root_dev),
        fs::minor(root_dev)
    );
    Ok((block, vfs))
}

/// Mounts the host directory `rootflags=` beneath `hostfs=` as the root
/// (UML's `rootfstype=hostfs`), read-only unless `rw`.
fn hostfs_root(c: &Cmdline) -> Result<Arc<Vfs>, BootError> {
    let prefix = crate::filesystems::hostfs_prefix();
    let root_fs = fs::hostfs::Hostfs::mount(&prefix, c.rootflags.as_bytes(), fs::anon_dev())
        .map_err(|e| {
            BootError(format!(
                "VFS: cannot mount hostfs root {}/{}: {e}",
                prefix.display(),
                c.rootflags
            ))
        })?;
    let mut root_flags = fs::MountFlags::RELATIME;
    if c.read_only_root {
        root_flags |= fs::MountFlags::RDONLY;
    }
    let vfs = Vfs::new_with(root_fs, root_flags, "none")
        .map_err(|e| BootError(format!("VFS: cannot set up the root: {e}")))?;
    log::info!(
        "VFS: Mounted root (hostfs filesystem) from {}",
        prefix.display()
    );
    Ok(vfs)
}

/// Returns the directory `dir` of the tree, if it exists.
fn directory(vfs: &Vfs, dir: &str) -> Option<fs::Path> {
    let root = vfs.root();
    let cred = fs::Credentials::ROOT;
    match vfs.lookup(&cred, &root, &root, dir.as_bytes(), LookupFlags::empty()) {
        Ok(at) if at.inode().file_type() == FileType::Directory => Some(at),
        _ => None,
    }
}

/// Mounts devtmpfs on /dev (as CONFIG_DEVTMPFS_MOUNT does), procfs on /proc
/// and sysfs on /sys, where the root filesystem has those directories.
fn mount_pseudo(vfs: &Vfs) {
    let relatime = fs::MountFlags::RELATIME;
    let nosuid = relatime | fs::MountFlags::NOSUID;
    let noexec = nosuid | fs::MountFlags::NODEV | fs::MountFlags::NOEXEC;
    let types: [(&str, &str, fs::MountFlags); 4] = [
        ("/dev", "devtmpfs", nosuid),
        ("/dev/pts", "devpts", nosuid | fs::MountFlags::NOEXEC),
        ("/proc", "proc", noexec),
        ("/sys", "sysfs", noexec),
    ];
    for (dir, name, flags) in types {
        let Some(at) = directory(vfs, dir) else {
            continue;
        };
        let fs = match name {
            "devtmpfs" => crate::devtmpfs::instance(),
            "proc" => Ok(crate::proc::ProcFs::new() as Arc<dyn FileSystem>),
            "devpts" => Ok(crate::devpts::DevPts::instance()),
            _ => Ok(crate::sysfs::new()),
        };
        match fs.and_then(|fs| vfs.mount_fs(&at, fs, flags, name)) {
            Ok(_) => log::debug!("{name}: mounted on {dir}"),
            Err(e) => log::warn!("{name}: cannot mount on {dir}: {e}"),
        }
    }
}

/// Mounts a fresh tmpfs on /tmp, /dev/shm and /run where the tree has those
/// directories, as an init system would; each may hold half of RAM (Linux's
/// default `size=` and `nr_inodes=`).
fn mount_tmpfs(vfs: &Vfs) {
    for (dir, mode) in [("/tmp", 0o1777), ("/dev/shm", 0o1777), ("/run", 0o755)] {
        let Some(at) = directory(vfs, dir) else {
            continue;
        };
        let opts = crate::filesystems::tmpfs_defaults(mode);
        // No nodev, unlike systemd's tmp.mount: guests make device nodes here.
        let flags = fs::MountFlags::RELATIME;
        let r = Tmpfs::new(
            opts,
            Arc::new(HostClock),
            crate::boot::kernel().frames.clone(),
        )
        .and_then(|t| vfs.mount_fs(&at, t, flags, "tmpfs").map(|_| ()));
        match r {
            Ok(()) => log::debug!("tmpfs: mounted on {dir} (size={}k)", opts.size >> 10),
            Err(e) => log::warn!("tmpfs: cannot mount on {dir}: {e}"),
        }
    }
}

fn start_init(paths: Vec<Vec<u8>>, args: Vec<String>, envp: Vec<Vec<u8>>) -> Result<(), BootError> {
    let k = kernel();
    let pid = task::alloc_pid().ok_or_else(|| BootError("no pid for init".into()))?;
    let root = k.vfs.root();
    let mut files = fs::FdTable::new();
    let console = match k.vfs.open(
        &fs::Credentials::ROOT,
        &root,
        &root,
        b"/dev/console",
        OpenFlags::O_RDWR,
        0,
        &k.devices,
    ) {
        Ok(f) => f,
        Err(e) => {
            log::warn!(
                "Warning: unable to open an initial console ({e}); using the host's directly."
            );
            File::new(
                None,
                Arc::new(TtyFile::console(k.devices.lines.console.clone())),
                OpenFlags::O_RDWR,
            )
        }
    };
    for _ in 0..3 {
        files
            .alloc(console.clone(), false, fs::NR_OPEN)
            .map_err(|e| BootError(format!("init's files: {e}")))?;
    }
    let p = Process::new_kernel_started(pid, files);
    p.unkillable
        .store(true, std::sync::atomic::Ordering::Relaxed);
    // init's RLIMIT_NPROC is half of threads-max, and its RLIMIT_SIGPENDING
    // the same, as Linux's fork_init sets init_task's.
    let nproc = (task::limits::max_threads() / 2) as u64;
    p.rlimits.borrow_mut()[RLIMIT_NPROC] = (nproc, nproc);
    p.rlimits.borrow_mut()[RLIMIT_SIGPENDING] = (nproc, nproc);
    task::register(&p);
    crate::cgroup::init(&p);
    let t = Task::new(pid, p.clone(), 0);
    p.threads.borrow_mut().push(t.clone());
    task::start_task(
        t,
        task::Start::Exec {
            paths,
            args: args.into_iter().map(String::into_bytes).collect(),
            envp,
        },
    )
    .map_err(|e| BootError(format!("cannot start init's thread: {e}")))
}

/// Ends the kernel when init has exited: syncs the disks, says how init ended, and
/// exits with its status (128 + signal if it was killed).
/// Syncs the disks and puts the host terminal back, as every way out does.
fn sync_and_restore() {
    sync_all();
    arch::host::console::restore();
}

/// Writes back the page caches and syncs every filesystem: the mounted ones,
/// and ext4 instances a lazy umount took out of the tree while their files
/// stay open.
pub fn sync_all() {
    let k = kernel();
    if let Err(e) = k.vfs.sync() {
        log::error!("sync at shutdown failed: {e}");
    }
    let mounted = k.vfs.mounts();
    for fs in crate::filesystems::ext4_instances() {
        if !mounted.iter().any(|m| Arc::ptr_eq(m.fs(), &fs)) {
            if let Err(e) = fs.sync() {
                log::error!("sync of an unmounted ext4 failed: {e}");
            }
        }
    }
}

/// How long a host termination signal waits for the kernel lock before the
/// kernel is taken for hung.
const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(5);

/// Starts the thread that ends the kernel when the host sends it SIGTERM,
/// SIGHUP, SIGINT or SIGQUIT, and `./linux` exits with 128 + the signal. A
/// healthy kernel syncs its disks and restores the terminal first. One that
/// does not give up its lock within `SHUTDOWN_GRACE` (a bug left a thread
/// stuck holding it), or that is signalled again while it syncs, exits at
/// once without writing anything more: what reached the disks is consistent
/// on its own, as after a crash, and the journal covers the rest.
fn start_host_signal_thread() {
    let spawned = std::thread::Builder::new()
        .name("host-signals".into())
        .spawn(|| {
            let sig = arch::host::signals::wait_termination_signal();
            let hard_exit = move |why: &str| -> ! {
                arch::host::console::restore();
                let line = format!("linux: killed by host signal {sig}, {why}: disks not synced\n");
                arch::host::console::write_err(line.as_bytes());
                exit(128 + sig)
            };
            if !crate::lock::try_enter_for(SHUTDOWN_GRACE) {
                hard_exit("kernel not responding");
            }
            // A second signal while syncing ends it all the same.
            let _ = std::thread::Builder::new()
                .name("host-signals-2".into())
                .spawn(move || {
                    arch::host::signals::wait_termination_signal();
                    hard_exit("signalled again while syncing")
                });
            sync_and_restore();
            let line = format!("linux: killed by host signal {sig}, disks synced\n");
            arch::host::console::write_err(line.as_bytes());
            exit(128 + sig)
        });
    if let Err(e) = spawned {
        log::error!("cannot start the host signal thread: {e}");
    }
}

/// Leaves the host process with `code`: every way out of the kernel ends
/// here (or in the panic hook), so the umid directory and the passt
/// processes go with it.
pub fn exit(code: i32) -> ! {
    arch::host::umid::remove();
    arch::host::passt::stop_all();
    std::process::exit(code)
}

/// Ends the kernel for reboot(2)'s power off and halt: status 0.
pub fn power_off(message: &str) -> ! {
    log::info!("{message}");
    sync_and_restore();
    exit(0)
}

/// Restarts the kernel for reboot(2): syncs, then re-executes `./linux` with
/// its command line. If that fails, the kernel ends with status 0 as if
/// powered off.
pub fn restart() -> ! {
    log::info!("reboot: Restarting system");
    sync_and_restore();
    reexec()
}

/// Re-executes `./linux` without syncing (sysrq b, Linux's
/// emergency_restart).
pub fn emergency_restart() -> ! {
    arch::host::console::restore();
    reexec()
}

/// Runs the kernel afresh: the umid directory goes first, or the new run
/// (the same host pid) would find it taken.
fn reexec() -> ! {
    arch::host::umid::remove();
    arch::host::passt::stop_all();
    let e = arch::host::reexec();
    arch::host::console::write_err(format!("linux: cannot restart: {e}\n").as_bytes());
    exit(0)
}

pub fn shutdown(status: ExitStatus) -> ! {
    sync_all();
    let line = match status {
        ExitStatus::Exited(code) => format!("linux: init exited with status {code}\n"),
        ExitStatus::Signaled(sig) | ExitStatus::CoreDumped(sig) => format!(
            "linux: init killed by signal {sig} (status {})\n",
            128 + sig
        ),
    };
    arch::host::console::write_err(line.as_bytes());
    arch::host::console::restore();
    exit(status.shell_status())
}

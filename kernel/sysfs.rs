//! sysfs (sysfs(5)): a tree of the devices the kernel has, built
//! with procfs's nodes when mounted — the CPUs the guest sees, each ubd disk
//! (kernel/sysfs_block.rs, listed afresh as disks come and go), the memory and tty character devices, the /sys/class and /sys/dev views as
//! symlinks into /sys/devices as Linux lays them out, and the transparent
//! huge page setting (never). Each device directory has a `subsystem` link
//! and a `uevent` file (kernel/kobject_uevent.rs) that `udevadm trigger`
//! writes; /sys/kernel/uevent_seqnum counts the events.

use crate::kobject_uevent::{uevent_file, Kobject};
use crate::proc::node::Node;
use crate::proc::tree::{named, Tree};
use crate::sysfs_block::Links;
use arch::{Result, PAGE_SIZE};
use fs::{FileSystem, Inode, StatFs};
use std::sync::Arc;

/// `SYSFS_MAGIC`, the `f_type` statfs(2) reports.
const SYSFS_MAGIC: u64 = 0x6265_6572;

/// A mounted sysfs.
struct SysFs {
    dev: u64,
    root: Arc<Node>,
}

pub(crate) fn dir(t: &mut Tree, entries: Vec<(String, Node)>) -> Node {
    t.dir(entries).with_mode(0o755)
}

pub(crate) fn attr(t: &mut Tree, text: impl Into<String>) -> Node {
    // sysfs attributes report a page as their size, as on Linux.
    t.text(text).with_size(PAGE_SIZE)
}

/// Returns "0-N" (or "0") for `n` CPUs.
fn cpu_range(n: usize) -> String {
    match n {
        0 | 1 => "0\n".to_string(),
        n => format!("0-{}\n", n - 1),
    }
}

/// /sys/devices/system/cpu.
fn cpus(t: &mut Tree) -> Node {
    let n = crate::boot::kernel().host_cpus.len().max(1);
    let mut e = vec![
        named("kernel_max", attr(t, "8191\n")),
        named("offline", attr(t, "\n")),
        named("online", attr(t, cpu_range(n))),
        named("possible", attr(t, cpu_range(n))),
        named("present", attr(t, cpu_range(n))),
    ];
    for i in 0..n {
        let topology = vec![
            named("core_id", attr(t, format!("{i}\n"))),
            named("physical_package_id", attr(t, "0\n")),
            named("thread_siblings_list", attr(t, format!("{i}\n"))),
            named("core_siblings_list", attr(t, cpu_range(n))),
        ];
        let mut cpu = vec![named("topology", dir(t, topology))];
        if i > 0 {
            cpu.push(named("online", attr(t, "1\n")));
        }
        e.push((format!("cpu{i}"), dir(t, cpu)));
    }
    dir(t, e)
}

/// Returns the uevent variables of a device.
pub(crate) fn uevent(
    major: u32,
    minor: u32,
    name: &str,
    devtype: Option<&str>,
) -> Vec<(String, String)> {
    let mut env = vec![
        ("MAJOR".to_string(), major.to_string()),
        ("MINOR".to_string(), minor.to_string()),
        ("DEVNAME".to_string(), name.to_string()),
    ];
    if let Some(d) = devtype {
        env.push(("DEVTYPE".to_string(), d.to_string()));
    }
    env
}

/// Returns the `uevent` file of the device at /sys`devpath`.
pub(crate) fn uevent_attr(
    t: &mut Tree,
    devpath: String,
    subsystem: &str,
    env: Vec<(String, String)>,
) -> Node {
    let subsystem = subsystem.to_string();
    uevent_file(t.dev(), t.ino(), move || {
        Ok(Kobject {
            devpath: devpath.clone(),
            subsystem: subsystem.clone(),
            env: env.clone(),
        })
    })
}

/// Returns the `subsystem` link of a device `depth` directories below
/// /sys, to /sys/class/`class`.
pub(crate) fn subsystem_link(t: &mut Tree, depth: usize, class: &str) -> Node {
    t.link(format!("{}class/{class}", "../".repeat(depth)))
}

/// Character devices under /sys/devices/virtual: class, name, major, minor.
const CHAR_DEVICES: &[(&str, &str, u32, u32)] = &[
    ("mem", "null", 1, 3),
    ("mem", "zero", 1, 5),
    ("mem", "full", 1, 7),
    ("mem", "random", 1, 8),
    ("mem", "urandom", 1, 9),
    ("mem", "kmsg", 1, 11),
    ("tty", "tty", 5, 0),
    ("tty", "console", 5, 1),
    ("tty", "ptmx", 5, 2),
];

/// A character device in the tree: class, name, major, minor.
type CharEntry = (String, String, u32, u32);

/// Returns the character devices: the fixed ones, then the virtual
/// consoles and serial lines the kernel was given.
fn char_devices() -> Vec<CharEntry> {
    let mut v: Vec<CharEntry> = CHAR_DEVICES
        .iter()
        .map(|&(c, n, ma, mi)| (c.to_string(), n.to_string(), ma, mi))
        .collect();
    for (name, dev, _, _) in crate::boot::kernel().devices.lines.nodes() {
        let entry = ("tty".to_string(), name, fs::major(dev), fs::minor(dev));
        if !v.contains(&entry) {
            v.push(entry);
        }
    }
    v
}

/// Returns /sys/devices/virtual/CLASS for the character devices of `class`.
fn char_class(t: &mut Tree, devices: &[CharEntry], class: &str) -> Node {
    let mut e = Vec::new();
    for (_, name, ma, mi) in devices.iter().filter(|d| d.0 == class) {
        let (ma, mi) = (*ma, *mi);
        let path = format!("/devices/virtual/{class}/{name}");
        let env = uevent(ma, mi, name, None);
        let mut files = vec![
            named("dev", attr(t, format!("{ma}:{mi}\n"))),
            named("subsystem", subsystem_link(t, 4, class)),
            named("uevent", uevent_attr(t, path, class, env)),
        ];
        // The line the kernel's messages go to, by its paravirtual console
        // name (systemd starts a serial getty on it).
        if name == "console" {
            files.push(named("active", attr(t, "hvc0\n")));
        }
        e.push(named(name, dir(t, files)));
    }
    dir(t, e)
}

/// Builds the whole tree.
fn build(t: &mut Tree) -> Node {
    let block = crate::sysfs_block::devices_dir(t.dev(), t.ino());
    let chars = char_devices();
    let mem = char_class(t, &chars, "mem");
    let tty = char_class(t, &chars, "tty");
    let dev = t.dev();
    let net = crate::sysfs_net::devices_dir(dev, t.ino());
    let virt = vec![
        named("block", block),
        named("mem", mem),
        named("net", net),
        named("tty", tty),
    ];
    let system = vec![named("cpu", cpus(t))];
    let devices = vec![
        named("system", dir(t, system)),
        named("virtual", dir(t, virt)),
    ];
    let link = |t: &mut Tree, up: &str, path: String| t.link(format!("{up}devices/virtual/{path}"));
    let links = |t: &mut Tree, which| crate::sysfs_block::links_dir(t.dev(), t.ino(), which);
    let sys_block = links(t, Links::Block);
    let class_block = links(t, Links::Class);
    let dev_block = links(t, Links::Dev);
    let mut class = vec![named("block", class_block)];
    let mut dev_char = Vec::new();
    for c in ["mem", "tty"] {
        let mut e = Vec::new();
        for (_, name, ma, mi) in chars.iter().filter(|d| d.0 == c) {
            e.push(named(name, link(t, "../../", format!("{c}/{name}"))));
            dev_char.push((
                format!("{ma}:{mi}"),
                link(t, "../../", format!("{c}/{name}")),
            ));
        }
        class.push(named(c, dir(t, e)));
    }
    let class_net = crate::sysfs_net::class_dir(t.dev(), t.ino());
    class.push(named("net", class_net));
    let dev = vec![named("block", dev_block), named("char", dir(t, dev_char))];
    let thp = vec![
        named(
            "defrag",
            attr(t, "always defer defer+madvise madvise [never]\n"),
        ),
        named("enabled", attr(t, "always madvise [never]\n")),
    ];
    let mm = vec![named("transparent_hugepage", dir(t, thp))];
    let seqnum = t.file(|| Ok(format!("{}\n", crate::kobject_uevent::seqnum()).into_bytes()));
    let kernel = vec![
        named("mm", dir(t, mm)),
        named("uevent_seqnum", seqnum.with_size(PAGE_SIZE)),
    ];
    let cgroup = dir(t, Vec::new());
    let fs_dir = vec![named("cgroup", cgroup)];
    let top = vec![
        named("block", sys_block),
        named("bus", dir(t, Vec::new())),
        named("class", dir(t, class)),
        named("dev", dir(t, dev)),
        named("devices", dir(t, devices)),
        named("firmware", dir(t, Vec::new())),
        named("fs", dir(t, fs_dir)),
        named("kernel", dir(t, kernel)),
        named("module", dir(t, Vec::new())),
    ];
    dir(t, top)
}

/// Returns a new sysfs instance.
pub fn new() -> Arc<dyn FileSystem> {
    let dev = fs::anon_dev();
    let mut t = Tree::new(dev, 1);
    let root = Arc::new(build(&mut t));
    Arc::new(SysFs { dev, root })
}

impl FileSystem for SysFs {
    fn root(&self) -> Result<Arc<dyn Inode>> {
        Ok(self.root.clone())
    }

    fn name(&self) -> &'static str {
        "sysfs"
    }

    fn dev(&self) -> u64 {
        self.dev
    }

    fn sync(&self) -> Result<()> {
        Ok(())
    }

    fn statfs(&self) -> StatFs {
        StatFs::pseudo(SYSFS_MAGIC)
    }
}

//! /proc/PID/maps and smaps_rollup (Linux's fs/proc/task_mmu.c formats), and
//! the memory figures stat, statm and status share: the sizes of the kinds of
//! areas and how much of each is resident, counted from the page table.

use super::pid::Target;
use crate::task::Process;
use arch::Result;
use mm::{MapFlags, Mm, Prot, VmArea, VmaName, PAGE_SIZE};

/// The memory figures of a process, in pages.
#[derive(Default)]
pub struct Usage {
    pub size: u64,
    pub rss: u64,
    pub rss_anon: u64,
    pub rss_file: u64,
    pub rss_shmem: u64,
    /// Private writable areas that are not the stack (Linux's data_vm).
    pub data: u64,
    pub stack: u64,
    /// Executable areas that are not writable (exec_vm).
    pub exec: u64,
    /// Locked areas (locked_vm).
    pub locked: u64,
    /// The most pages resident at once (hiwater_rss).
    pub hiwater: u64,
    pub layout: mm::Layout,
    pub brk_base: u64,
}

fn is_stack(v: &VmArea) -> bool {
    v.name == VmaName::Stack || v.flags.contains(MapFlags::GROWSDOWN)
}

/// Runs `f` on the process's address space.
fn with_mm<R>(p: &Process, f: impl FnOnce(&Mm) -> R) -> R {
    let mm = p.mm.borrow().clone();
    let m = mm.borrow();
    f(&m)
}

/// Returns the memory figures of `p`.
pub fn usage(p: &Process) -> Usage {
    with_mm(p, |m| {
        let mut u = Usage {
            layout: m.layout,
            brk_base: m.brk_base(),
            hiwater: m.hiwater_rss(),
            ..Usage::default()
        };
        for v in m.vmas() {
            let pages = v.len() / PAGE_SIZE;
            let resident = m.resident(v.start, v.end).len() as u64;
            u.size += pages;
            u.rss += resident;
            if v.is_locked() {
                u.locked += pages;
            }
            match (v.mapped_file(), v.is_shared()) {
                (Some(_), _) => u.rss_file += resident,
                (None, true) => u.rss_shmem += resident,
                (None, false) => u.rss_anon += resident,
            }
            if is_stack(v) {
                u.stack += pages;
            } else if v.prot.contains(Prot::WRITE) && !v.is_shared() {
                u.data += pages;
            } else if v.prot.contains(Prot::EXEC) && !v.prot.contains(Prot::WRITE) {
                u.exec += pages;
            }
        }
        u
    })
}

/// Returns the beginning of a maps line: range, rights, offset, device, inode.
fn header(v: &VmArea) -> String {
    let r = |p: Prot, c: char| if v.prot.contains(p) { c } else { '-' };
    let (dev, ino) = v.file.as_ref().map_or((0, 0), |f| f.dev_ino());
    format!(
        "{:08x}-{:08x} {}{}{}{} {:08x} {:02x}:{:02x} {} ",
        v.start,
        v.end,
        r(Prot::READ, 'r'),
        r(Prot::WRITE, 'w'),
        r(Prot::EXEC, 'x'),
        if v.is_shared() { 's' } else { 'p' },
        if v.file.is_some() { v.offset } else { 0 },
        fs::major(dev),
        fs::minor(dev),
        ino
    )
}

/// Appends `name` to a maps line, in the column Linux pads to.
fn with_name(mut line: String, name: &str) -> String {
    const NAME_COLUMN: usize = 73;
    while line.len() < NAME_COLUMN {
        line.push(' ');
    }
    line + name
}

/// /proc/PID/maps: one line per area.
pub fn maps(t: &Target) -> Result<Vec<u8>> {
    let p = t.inspect()?;
    let mut out = String::new();
    with_mm(&p, |m| {
        for v in m.vmas() {
            let line = header(v);
            let line = match &v.name {
                VmaName::None => line,
                VmaName::Heap => with_name(line, "[heap]"),
                VmaName::Stack => with_name(line, "[stack]"),
                VmaName::Named(n) => with_name(line, n),
            };
            out += &line;
            out.push('\n');
        }
    });
    // The vsyscall page, which every process has (Linux's gate area); its
    // calls are emulated (task/emulate.rs).
    let gate = "ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0 ";
    out += &with_name(gate.to_string(), "[vsyscall]");
    out.push('\n');
    Ok(out.into_bytes())
}

/// /proc/PID/smaps_rollup: the smaps figures of all areas together.
pub fn smaps_rollup(t: &Target) -> Result<Vec<u8>> {
    let p = t.inspect()?;
    let kb = PAGE_SIZE / 1024;
    let (mut rss, mut pss, mut pss_anon, mut pss_file) = (0u64, 0u64, 0u64, 0u64);
    let (mut shared, mut private_clean, mut private_dirty, mut anon) = (0u64, 0u64, 0u64, 0u64);
    let (mut first, mut last) = (None, 0);
    with_mm(&p, |m| {
        for v in m.vmas() {
            first = first.or(Some(v.start));
            last = v.end;
            for (_, frame) in m.resident(v.start, v.end) {
                // The page cache holds a reference to the frames of shared
                // mappings besides the mappings' own.
                let cache_ref = u32::from(v.is_shared() && v.file.is_some());
                let refs = u64::from(m.frames().refcount(frame).saturating_sub(cache_ref).max(1));
                // Pss in 1/1024 kB, as Linux keeps it, to round once at the end.
                let share = kb * 1024 / refs;
                rss += kb;
                pss += share;
                if v.mapped_file().is_some() {
                    pss_file += share;
                } else {
                    pss_anon += share;
                    anon += kb;
                }
                match (refs > 1, v.mapped_file().is_some()) {
                    (true, _) => shared += kb,
                    (false, true) => private_clean += kb,
                    (false, false) => private_dirty += kb,
                }
            }
        }
    });
    let Some(first) = first else {
        return Ok(Vec::new());
    };
    let head = format!("{first:08x}-{last:08x} ---p 00000000 00:00 0 ");
    let mut out = with_name(head, "[rollup]") + "\n";
    let fields = [
        ("Rss:", rss),
        ("Pss:", pss / 1024),
        ("Pss_Dirty:", pss_anon / 1024),
        ("Pss_Anon:", pss_anon / 1024),
        ("Pss_File:", pss_file / 1024),
        ("Pss_Shmem:", 0),
        ("Shared_Clean:", shared),
        ("Shared_Dirty:", 0),
        ("Private_Clean:", private_clean),
        ("Private_Dirty:", private_dirty),
        ("Referenced:", rss),
        ("Anonymous:", anon),
        ("LazyFree:", 0),
        ("AnonHugePages:", 0),
        ("ShmemPmdMapped:", 0),
        ("FilePmdMapped:", 0),
        ("Shared_Hugetlb:", 0),
        ("Private_Hugetlb:", 0),
        ("Swap:", 0),
        ("SwapPss:", 0),
        ("Locked:", 0),
    ];
    for (name, v) in fields {
        out += &format!("{name:<16}{v:>8} kB\n");
    }
    Ok(out.into_bytes())
}

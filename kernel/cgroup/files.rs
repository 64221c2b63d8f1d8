//! The control files of a group (Documentation/admin-guide/cgroup-v2.rst
//! gives their formats): the core files every group has, and those of the
//! controllers its parent enables. Writes take the whole value at once; a
//! value that does not parse is `EINVAL`, one out of range `ERANGE`, as in
//! Linux.

use super::limits::{self, MEMORY_LIMITS};
use super::{Cgroup, Controllers, CONTROLLER_NAMES, MAX};
use crate::task::Process;
use arch::{Errno, Result};
use std::sync::atomic::Ordering;
use std::sync::Arc;

type Show = fn(&Arc<Cgroup>) -> String;
type Store = fn(&Arc<Cgroup>, &str) -> Result<()>;

/// Where a file appears.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Place {
    Everywhere,
    NotOnRoot,
    /// In the groups that have the controller (never the root's).
    Controller(Controllers),
}

/// One control file.
pub struct CFile {
    pub name: &'static str,
    place: Place,
    show: Option<Show>,
    store: Option<Store>,
}

impl CFile {
    /// Returns the permission bits: read for all if it shows something,
    /// write for the owner if it stores.
    pub fn mode(&self) -> u32 {
        (if self.show.is_some() { 0o444 } else { 0 })
            | (if self.store.is_some() { 0o200 } else { 0 })
    }

    pub fn show(&self, cg: &Arc<Cgroup>) -> Result<Vec<u8>> {
        let f = self.show.ok_or(Errno::EINVAL)?;
        Ok(f(cg).into_bytes())
    }

    pub fn store(&self, cg: &Arc<Cgroup>, data: &[u8]) -> Result<()> {
        let f = self.store.ok_or(Errno::EINVAL)?;
        let text = std::str::from_utf8(data).map_err(|_| Errno::EINVAL)?;
        f(cg, text.trim_end_matches(['\n', '\0']))
    }

    /// Returns whether the file is in group `cg`.
    pub fn present(&self, cg: &Cgroup) -> bool {
        match self.place {
            Place::Everywhere => true,
            Place::NotOnRoot => !cg.is_root(),
            Place::Controller(c) => !cg.is_root() && cg.controllers().contains(c),
        }
    }
}

const fn file(name: &'static str, place: Place, show: Option<Show>, store: Option<Store>) -> CFile {
    CFile {
        name,
        place,
        show,
        store,
    }
}

const CPU: Place = Place::Controller(Controllers::CPU);
const MEM: Place = Place::Controller(Controllers::MEMORY);
const PIDS: Place = Place::Controller(Controllers::PIDS);

/// Every control file, in the order readdir lists them.
pub static FILES: &[CFile] = &[
    file(
        "cgroup.controllers",
        Place::Everywhere,
        Some(controllers),
        None,
    ),
    file("cgroup.events", Place::NotOnRoot, Some(events), None),
    file(
        "cgroup.freeze",
        Place::NotOnRoot,
        Some(freeze),
        Some(set_freeze),
    ),
    file("cgroup.kill", Place::NotOnRoot, None, Some(kill)),
    file(
        "cgroup.max.depth",
        Place::Everywhere,
        Some(max_depth),
        Some(set_max_depth),
    ),
    file(
        "cgroup.max.descendants",
        Place::Everywhere,
        Some(max_desc),
        Some(set_max_desc),
    ),
    file(
        "cgroup.procs",
        Place::Everywhere,
        Some(procs),
        Some(super::fs::procs_store),
    ),
    file("cgroup.stat", Place::Everywhere, Some(stat), None),
    file(
        "cgroup.subtree_control",
        Place::Everywhere,
        Some(subtree),
        Some(set_subtree),
    ),
    file(
        "cgroup.threads",
        Place::Everywhere,
        Some(threads),
        Some(super::fs::threads_store),
    ),
    file("cgroup.type", Place::NotOnRoot, Some(kind), Some(set_kind)),
    file("cpu.stat", Place::Everywhere, Some(cpu_stat), None),
    file("cpu.weight", CPU, Some(weight), Some(set_weight)),
    file(
        "cpu.weight.nice",
        CPU,
        Some(weight_nice),
        Some(set_weight_nice),
    ),
    file("memory.current", MEM, Some(mem_current), None),
    file("memory.events", MEM, Some(mem_events), None),
    file(
        "memory.high",
        MEM,
        Some(|c| limit(c.st.borrow().memory.high)),
        Some(set_high),
    ),
    file(
        "memory.low",
        MEM,
        Some(|c| limit(c.st.borrow().memory.low)),
        Some(set_low),
    ),
    file(
        "memory.max",
        MEM,
        Some(|c| limit(c.st.borrow().memory.max)),
        Some(set_mem_max),
    ),
    file(
        "memory.min",
        MEM,
        Some(|c| limit(c.st.borrow().memory.min)),
        Some(set_min),
    ),
    file(
        "memory.oom.group",
        MEM,
        Some(oom_group),
        Some(set_oom_group),
    ),
    file("memory.stat", MEM, Some(mem_stat), None),
    file("memory.swap.current", MEM, Some(|_| "0\n".into()), None),
    file(
        "memory.swap.max",
        MEM,
        Some(|c| limit(c.st.borrow().memory.swap_max)),
        Some(set_swap),
    ),
    file(
        "pids.current",
        PIDS,
        Some(|c| format!("{}\n", c.nr_tasks())),
        None,
    ),
    file(
        "pids.events",
        PIDS,
        Some(|c| format!("max {}\n", c.st.borrow().pids_events_max)),
        None,
    ),
    file(
        "pids.max",
        PIDS,
        Some(|c| limit(c.st.borrow().pids_max)),
        Some(set_pids_max),
    ),
];

/// Returns the control file `name`, whether or not a group has it.
pub fn find(name: &str) -> Option<&'static CFile> {
    FILES.iter().find(|f| f.name == name)
}

/// Returns whether `name` is a control file's (no group may take it).
pub fn is_file_name(name: &str) -> bool {
    find(name).is_some()
}

fn names(c: Controllers) -> String {
    let v: Vec<_> = CONTROLLER_NAMES
        .iter()
        .filter(|(b, _)| c.contains(*b))
        .map(|(_, n)| *n)
        .collect();
    format!("{}\n", v.join(" "))
}

fn limit(v: u64) -> String {
    if v == MAX {
        "max\n".into()
    } else {
        format!("{v}\n")
    }
}

/// Parses "max" or a number.
fn parse_limit(s: &str) -> Result<u64> {
    let s = s.trim();
    if s == "max" {
        return Ok(MAX);
    }
    s.parse().map_err(|_| Errno::EINVAL)
}

/// Parses "max" or a byte count with an optional K, M, G, T suffix
/// (Linux's memparse), rounded down to whole pages.
fn parse_bytes(s: &str) -> Result<u64> {
    let s = s.trim();
    if s == "max" {
        return Ok(MAX);
    }
    let (digits, shift) = match s.as_bytes().last() {
        Some(b'k' | b'K') => (&s[..s.len() - 1], 10),
        Some(b'm' | b'M') => (&s[..s.len() - 1], 20),
        Some(b'g' | b'G') => (&s[..s.len() - 1], 30),
        Some(b't' | b'T') => (&s[..s.len() - 1], 40),
        _ => (s, 0),
    };
    let n: u64 = digits.parse().map_err(|_| Errno::EINVAL)?;
    let v = n
        .checked_shl(shift)
        .filter(|v| v >> shift == n)
        .unwrap_or(MAX);
    Ok(if v == MAX {
        MAX
    } else {
        v & !(arch::PAGE_SIZE - 1)
    })
}

fn controllers(c: &Arc<Cgroup>) -> String {
    names(c.controllers())
}

fn subtree(c: &Arc<Cgroup>) -> String {
    names(c.st.borrow().subtree_control)
}

/// cgroup.subtree_control: "+name" enables, "-name" disables, all or none.
fn set_subtree(c: &Arc<Cgroup>, s: &str) -> Result<()> {
    let (mut on, mut off) = (Controllers::empty(), Controllers::empty());
    for tok in s.split_whitespace() {
        let (add, name) = match tok.as_bytes()[0] {
            b'+' => (true, &tok[1..]),
            b'-' => (false, &tok[1..]),
            _ => return Err(Errno::EINVAL),
        };
        let bit = CONTROLLER_NAMES
            .iter()
            .find(|(_, n)| *n == name)
            .map(|(b, _)| *b)
            .ok_or(Errno::EINVAL)?;
        if add {
            on |= bit;
            off -= bit;
        } else {
            off |= bit;
            on -= bit;
        }
    }
    if !c.controllers().contains(on) {
        return Err(Errno::ENOENT);
    }
    let st = c.st.borrow();
    if !on.is_empty() && !c.is_root() && !st.procs.is_empty() {
        return Err(Errno::EBUSY);
    }
    // A controller stays while a child still gives it to its own children.
    for child in st.children.values() {
        if child.st.borrow().subtree_control.intersects(off) {
            return Err(Errno::EBUSY);
        }
    }
    let old = st.subtree_control;
    drop(st);
    let new = (old | on) - off;
    c.st.borrow_mut().subtree_control = new;
    if (old ^ new).contains(Controllers::CPU) {
        for p in c.subtree_processes() {
            limits::apply_nice(&p);
        }
    }
    Ok(())
}

fn events(c: &Arc<Cgroup>) -> String {
    format!(
        "populated {}\nfrozen {}\n",
        u8::from(c.populated()),
        u8::from(c.frozen())
    )
}

fn freeze(c: &Arc<Cgroup>) -> String {
    format!("{}\n", u8::from(c.st.borrow().freeze))
}

fn set_freeze(c: &Arc<Cgroup>, s: &str) -> Result<()> {
    let on = match s.trim() {
        "0" => false,
        "1" => true,
        _ => return Err(Errno::ERANGE),
    };
    let before: Vec<_> = c.subtree().iter().map(|g| g.frozen()).collect();
    c.st.borrow_mut().freeze = on;
    for (g, was) in c.subtree().iter().zip(before) {
        if g.frozen() != was {
            for p in g.processes() {
                super::set_frozen(&p, !was);
            }
            g.events_changed();
        }
    }
    Ok(())
}

fn kill(c: &Arc<Cgroup>, s: &str) -> Result<()> {
    match s.trim() {
        "1" => {
            super::kill(c);
            Ok(())
        }
        _ => Err(Errno::ERANGE),
    }
}

fn max_depth(c: &Arc<Cgroup>) -> String {
    limit(c.st.borrow().max_depth)
}

fn set_max_depth(c: &Arc<Cgroup>, s: &str) -> Result<()> {
    let v = parse_limit(s)?;
    if v != MAX && v > i32::MAX as u64 {
        return Err(Errno::EINVAL);
    }
    c.st.borrow_mut().max_depth = v;
    Ok(())
}

fn max_desc(c: &Arc<Cgroup>) -> String {
    limit(c.st.borrow().max_descendants)
}

fn set_max_desc(c: &Arc<Cgroup>, s: &str) -> Result<()> {
    let v = parse_limit(s)?;
    if v != MAX && v > i32::MAX as u64 {
        return Err(Errno::EINVAL);
    }
    c.st.borrow_mut().max_descendants = v;
    Ok(())
}

/// cgroup.procs as read: each pid in the reader's PID namespace, 0 for one
/// not visible there (Linux's cgroup_procs_show, task_pid_vnr).
fn procs(c: &Arc<Cgroup>) -> String {
    let ns = crate::pid_ns::current();
    c.processes()
        .iter()
        .map(|p| format!("{}\n", ns.nr(p.pid)))
        .collect()
}

fn threads(c: &Arc<Cgroup>) -> String {
    let ns = crate::pid_ns::current();
    let mut s = String::new();
    for p in c.processes() {
        for t in p.threads.borrow().iter() {
            s += &format!("{}\n", ns.nr(t.tid()));
        }
    }
    s
}

fn stat(c: &Arc<Cgroup>) -> String {
    let n = c.subtree().len() - 1;
    format!("nr_descendants {n}\nnr_dying_descendants 0\n")
}

fn kind(_: &Arc<Cgroup>) -> String {
    "domain\n".into()
}

/// cgroup.type: "domain" is what every group is; threaded subtrees are not
/// built here.
fn set_kind(_: &Arc<Cgroup>, s: &str) -> Result<()> {
    match s.trim() {
        "domain" => Ok(()),
        "threaded" => Err(Errno::EOPNOTSUPP),
        _ => Err(Errno::EINVAL),
    }
}

/// Returns the CPU time (user, system) in nanoseconds of the group and its
/// descendants: their processes' and what ended in them.
fn cpu_usage(c: &Arc<Cgroup>) -> (u64, u64) {
    let (mut u, mut s) = (0, 0);
    for g in c.subtree() {
        let dead = g.st.borrow().cpu_dead;
        u += dead.0;
        s += dead.1;
        for p in g.processes() {
            let t = crate::syscall::sched::process_times(&p);
            u += t.0;
            s += t.1;
        }
    }
    (u, s)
}

fn cpu_stat(c: &Arc<Cgroup>) -> String {
    let (u, s) = cpu_usage(c);
    let mut out = format!(
        "usage_usec {}\nuser_usec {}\nsystem_usec {}\n",
        (u + s) / 1000,
        u / 1000,
        s / 1000
    );
    if !c.is_root() && c.controllers().contains(Controllers::CPU) {
        out += "nr_periods 0\nnr_throttled 0\nthrottled_usec 0\nnr_bursts 0\nburst_usec 0\n";
    }
    out
}

fn weight(c: &Arc<Cgroup>) -> String {
    format!("{}\n", c.st.borrow().cpu_weight)
}

fn set_cpu_weight(c: &Arc<Cgroup>, w: u64) {
    c.st.borrow_mut().cpu_weight = w;
    for p in c.processes() {
        limits::apply_nice(&p);
    }
}

fn set_weight(c: &Arc<Cgroup>, s: &str) -> Result<()> {
    let w: u64 = s.trim().parse().map_err(|_| Errno::EINVAL)?;
    if !(1..=10_000).contains(&w) {
        return Err(Errno::ERANGE);
    }
    set_cpu_weight(c, w);
    Ok(())
}

fn weight_nice(c: &Arc<Cgroup>) -> String {
    format!("{}\n", limits::weight_to_nice(c.st.borrow().cpu_weight))
}

fn set_weight_nice(c: &Arc<Cgroup>, s: &str) -> Result<()> {
    let n: i64 = s.trim().parse().map_err(|_| Errno::EINVAL)?;
    if !(-20..=19).contains(&n) {
        return Err(Errno::ERANGE);
    }
    set_cpu_weight(c, limits::nice_to_weight(n as i32));
    Ok(())
}

fn mem_current(c: &Arc<Cgroup>) -> String {
    format!("{}\n", limits::memory_current(c))
}

fn mem_events(c: &Arc<Cgroup>) -> String {
    let e = c.st.borrow().memory.events;
    format!(
        "low 0\nhigh {}\nmax {}\noom {}\noom_kill {}\noom_group_kill 0\n",
        e[0], e[1], e[2], e[3]
    )
}

fn mem_stat(c: &Arc<Cgroup>) -> String {
    let m = limits::memory_stat(c);
    format!(
        "anon {}\nfile {}\nkernel 0\nkernel_stack 0\npagetables {}\nsec_pagetables 0\n\
         percpu 0\nsock 0\nvmalloc 0\nshmem 0\nfile_mapped {}\nfile_dirty 0\n\
         file_writeback 0\nswapcached 0\nanon_thp 0\nfile_thp 0\nshmem_thp 0\n\
         inactive_anon 0\nactive_anon {}\ninactive_file 0\nactive_file {}\nunevictable 0\n",
        m.anon, m.file, m.pagetables, m.file, m.anon, m.file
    )
}

fn set_memory(c: &Arc<Cgroup>, s: &str, f: fn(&mut super::Memory) -> &mut u64) -> Result<()> {
    let v = parse_bytes(s)?;
    *f(&mut c.st.borrow_mut().memory) = v;
    Ok(())
}

fn set_high(c: &Arc<Cgroup>, s: &str) -> Result<()> {
    set_memory(c, s, |m| &mut m.high)
}

fn set_low(c: &Arc<Cgroup>, s: &str) -> Result<()> {
    set_memory(c, s, |m| &mut m.low)
}

fn set_min(c: &Arc<Cgroup>, s: &str) -> Result<()> {
    set_memory(c, s, |m| &mut m.min)
}

fn set_swap(c: &Arc<Cgroup>, s: &str) -> Result<()> {
    set_memory(c, s, |m| &mut m.swap_max)
}

/// memory.max: a new limit takes effect at the next fault; a group over it
/// already is brought under it then.
fn set_mem_max(c: &Arc<Cgroup>, s: &str) -> Result<()> {
    let v = parse_bytes(s)?;
    let old = std::mem::replace(&mut c.st.borrow_mut().memory.max, v);
    match (old == MAX, v == MAX) {
        (true, false) => MEMORY_LIMITS.fetch_add(1, Ordering::Relaxed),
        (false, true) => MEMORY_LIMITS.fetch_sub(1, Ordering::Relaxed),
        _ => 0,
    };
    Ok(())
}

fn oom_group(c: &Arc<Cgroup>) -> String {
    format!("{}\n", u8::from(c.st.borrow().memory.oom_group))
}

fn set_oom_group(c: &Arc<Cgroup>, s: &str) -> Result<()> {
    c.st.borrow_mut().memory.oom_group = match s.trim() {
        "0" => false,
        "1" => true,
        _ => return Err(Errno::EINVAL),
    };
    Ok(())
}

fn set_pids_max(c: &Arc<Cgroup>, s: &str) -> Result<()> {
    let v = parse_limit(s)?;
    if v != MAX && v > (1 << 22) {
        return Err(Errno::EINVAL);
    }
    c.st.borrow_mut().pids_max = v;
    Ok(())
}

/// Returns the process a pid written to cgroup.procs names ("0": the
/// writer's own), any thread's pid standing for its process.
pub fn written_process(s: &str) -> Result<Arc<Process>> {
    let pid: i32 = s.trim().parse().map_err(|_| Errno::EINVAL)?;
    if pid < 0 {
        return Err(Errno::EINVAL);
    }
    let me = crate::task::current().ok_or(Errno::ESRCH)?;
    if pid == 0 {
        return Ok(me.process.clone());
    }
    let t = me.process.find_task(pid).ok_or(Errno::ESRCH)?;
    Ok(t.process.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_limits_parse_as_memparse_does() {
        assert_eq!(parse_bytes("max"), Ok(MAX));
        assert_eq!(parse_bytes("4096"), Ok(4096));
        assert_eq!(parse_bytes("5000"), Ok(4096));
        assert_eq!(parse_bytes("1M"), Ok(1 << 20));
        assert_eq!(parse_bytes("2g"), Ok(2 << 30));
        assert_eq!(parse_bytes("99999999999999T"), Ok(MAX));
        assert_eq!(parse_bytes("x"), Err(Errno::EINVAL));
        assert_eq!(parse_bytes("-1"), Err(Errno::EINVAL));
        assert_eq!(parse_limit(" 12 "), Ok(12));
        assert_eq!(parse_limit(""), Err(Errno::EINVAL));
    }

    #[test]
    fn every_file_name_is_known_once() {
        for (i, f) in FILES.iter().enumerate() {
            assert!(
                FILES[i + 1..].iter().all(|g| g.name != f.name),
                "{}",
                f.name
            );
            assert!(f.show.is_some() || f.store.is_some());
        }
        assert!(is_file_name("cgroup.procs"));
        assert!(!is_file_name("system.slice"));
    }
}

//! What a guest CPU's host mappings hold, page by page: the CPU's TLB as the
//! kernel last set it. Batches of mapping changes go through it before they
//! reach the host, which drops what would change nothing (fault-around asks
//! again for neighbours already mapped, a munmap of memory never touched asks
//! the host to remove nothing) and joins neighbouring pages of neighbouring
//! frames into one call. Every host call on a large stub address space splits
//! and merges areas, so the calls saved are the expensive part of a fault.

use super::MapOp;
use crate::PAGE_SIZE;
use std::collections::BTreeMap;

/// The pages a CPU maps: guest page address to (frame, protection).
#[derive(Default)]
pub(super) struct HostTlb {
    pages: BTreeMap<u64, (u64, u32)>,
}

impl HostTlb {
    /// Returns the host calls `ops` need, in order, and records their effect.
    pub(super) fn filter(&mut self, ops: impl IntoIterator<Item = MapOp>) -> Vec<MapOp> {
        let mut out: Vec<MapOp> = Vec::new();
        for op in ops {
            match op {
                MapOp::Map {
                    vaddr,
                    len,
                    paddr,
                    prot,
                } => {
                    let mut off = 0;
                    while off < len {
                        let (v, p) = (vaddr + off, paddr + off);
                        off += PAGE_SIZE;
                        if self.pages.get(&v) == Some(&(p, prot)) {
                            continue;
                        }
                        self.pages.insert(v, (p, prot));
                        push_map(&mut out, v, p, prot);
                    }
                }
                MapOp::Unmap { vaddr, len } => {
                    let end = vaddr.saturating_add(len);
                    if self.take_range(vaddr, end).is_empty() {
                        continue;
                    }
                    out.push(op);
                }
                MapOp::WriteProtect { vaddr, len } => {
                    let end = vaddr.saturating_add(len);
                    for (&v, e) in self.pages.range_mut(vaddr..end) {
                        if e.1 & PROT_WRITE != 0 {
                            e.1 &= !PROT_WRITE;
                            push_protect(&mut out, v, e.1);
                        }
                    }
                }
                MapOp::Protect { vaddr, len, prot } => {
                    let end = vaddr.saturating_add(len);
                    let mut any = false;
                    for (_, e) in self.pages.range_mut(vaddr..end) {
                        any = true;
                        e.1 = prot;
                    }
                    if any {
                        out.push(op);
                    }
                }
            }
        }
        out
    }

    /// Removes and returns the pages in `[start, end)`.
    fn take_range(&mut self, start: u64, end: u64) -> BTreeMap<u64, (u64, u32)> {
        let mut mid = self.pages.split_off(&start);
        let mut tail = mid.split_off(&end);
        self.pages.append(&mut tail);
        mid
    }
}

/// Linux's `PROT_WRITE`.
const PROT_WRITE: u32 = 2;

/// Appends a one-page protection change, extending the previous one when the
/// pages follow on with the same protection.
fn push_protect(out: &mut Vec<MapOp>, vaddr: u64, prot: u32) {
    if let Some(MapOp::Protect {
        vaddr: v,
        len,
        prot: q,
    }) = out.last_mut()
    {
        if *q == prot && *v + *len == vaddr {
            *len += PAGE_SIZE;
            return;
        }
    }
    out.push(MapOp::Protect {
        vaddr,
        len: PAGE_SIZE,
        prot,
    });
}

/// Appends a one-page map, extending the previous map when both the guest
/// pages and the frames follow on with the same protection.
fn push_map(out: &mut Vec<MapOp>, vaddr: u64, paddr: u64, prot: u32) {
    if let Some(MapOp::Map {
        vaddr: v,
        len,
        paddr: p,
        prot: q,
    }) = out.last_mut()
    {
        if *q == prot && *v + *len == vaddr && *p + *len == paddr {
            *len += PAGE_SIZE;
            return;
        }
    }
    out.push(MapOp::Map {
        vaddr,
        len: PAGE_SIZE,
        paddr,
        prot,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(vaddr: u64, paddr: u64) -> MapOp {
        MapOp::Map {
            vaddr,
            len: PAGE_SIZE,
            paddr,
            prot: 3,
        }
    }

    #[test]
    fn drops_repeats_and_joins_neighbours() {
        let mut t = HostTlb::default();
        let out = t.filter([
            map(0x1000, 0x5000),
            map(0x2000, 0x6000),
            map(0x4000, 0x9000),
        ]);
        assert_eq!(
            out,
            vec![
                MapOp::Map {
                    vaddr: 0x1000,
                    len: 0x2000,
                    paddr: 0x5000,
                    prot: 3
                },
                map(0x4000, 0x9000)
            ]
        );
        // Fault-around asking again: nothing to do; a new frame: one call.
        assert!(t
            .filter([map(0x1000, 0x5000), map(0x2000, 0x6000)])
            .is_empty());
        assert_eq!(t.filter([map(0x2000, 0x7000)]), vec![map(0x2000, 0x7000)]);
    }

    #[test]
    fn unmap_and_protect_only_what_is_mapped() {
        let mut t = HostTlb::default();
        t.filter([map(0x1000, 0x5000), map(0x3000, 0x6000)]);
        let gone = MapOp::Unmap {
            vaddr: 0x10000,
            len: 0x1000,
        };
        assert!(t.filter([gone]).is_empty());
        let ro = MapOp::Protect {
            vaddr: 0,
            len: 0x2000,
            prot: 1,
        };
        assert_eq!(t.filter([ro]), vec![ro]);
        // Write access again after the downgrade is a real change.
        assert_eq!(t.filter([map(0x1000, 0x5000)]), vec![map(0x1000, 0x5000)]);
        let all = MapOp::Unmap {
            vaddr: 0,
            len: 1 << 40,
        };
        assert_eq!(t.filter([all]), vec![all]);
        assert!(t.filter([all]).is_empty());
        assert_eq!(t.filter([map(0x3000, 0x6000)]), vec![map(0x3000, 0x6000)]);
    }
}

//! The software page table of one address space: a four-level radix tree of
//! 512-entry tables indexed by bits 47..12 of the virtual address, shaped like
//! x86_64's PML4/PDPT/PD/PT. Leaf entries (`Pte`) hold a frame address and flags.
//! Tables are created on first use and freed when their last entry goes, and
//! range walks skip empty subtrees, so sparse address spaces stay cheap.
//!
//! The table records what the host may map: a `Pte` with `WRITE` set is one the
//! kernel may have handed to a stub writable. `Mm` keeps it consistent with the
//! VMAs and reference counts; this module only stores entries.

use bitflags::bitflags;

const ENTRIES: usize = 512;
const LEVELS: u32 = 4;

bitflags! {
    /// Flags of a page-table entry.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct PteFlags: u64 {
        /// The entry maps a frame.
        const PRESENT = 1 << 0;
        /// The host may map the page writable: the frame is exclusive to this
        /// mapping (private) or a shared mapping's frame in a writable VMA.
        const WRITE = 1 << 1;
    }
}

/// A page-table entry: a frame address and `PteFlags`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pte(u64);

const ADDR_MASK: u64 = 0x000f_ffff_ffff_f000;

impl Pte {
    /// Returns an entry mapping the frame at `paddr` with `flags` (plus PRESENT).
    pub fn new(paddr: u64, flags: PteFlags) -> Pte {
        Pte((paddr & ADDR_MASK) | (flags | PteFlags::PRESENT).bits())
    }

    /// Returns the frame address.
    pub fn paddr(self) -> u64 {
        self.0 & ADDR_MASK
    }

    /// Returns the flags.
    pub fn flags(self) -> PteFlags {
        PteFlags::from_bits_truncate(self.0)
    }

    /// Returns whether the host may map the page writable.
    pub fn writable(self) -> bool {
        self.flags().contains(PteFlags::WRITE)
    }

    /// Returns the entry with `flags` in place of its own (PRESENT is kept).
    pub fn with_flags(self, flags: PteFlags) -> Pte {
        Pte::new(self.paddr(), flags)
    }

    fn present(self) -> bool {
        self.flags().contains(PteFlags::PRESENT)
    }
}

enum Node {
    Dir(Vec<Option<Box<Node>>>, usize),
    Leaf(Vec<Pte>, usize),
}

impl Node {
    fn new(level: u32) -> Node {
        if level == 0 {
            Node::Leaf(vec![Pte(0); ENTRIES], 0)
        } else {
            Node::Dir((0..ENTRIES).map(|_| None).collect(), 0)
        }
    }

    fn is_empty(&self) -> bool {
        matches!(self, Node::Dir(_, 0) | Node::Leaf(_, 0))
    }
}

fn index(vaddr: u64, level: u32) -> usize {
    ((vaddr >> (12 + 9 * level)) as usize) & (ENTRIES - 1)
}

/// Bytes covered by one entry of a table at `level` (0 = leaf table).
fn span(level: u32) -> u64 {
    1u64 << (12 + 9 * level)
}

/// A four-level software page table.
pub struct PageTable {
    root: Node,
    present: u64,
    /// The most entries ever present at once (Linux's `hiwater_rss`).
    peak: u64,
}

impl Default for PageTable {
    fn default() -> Self {
        Self::new()
    }
}

impl PageTable {
    /// Creates an empty page table.
    pub fn new() -> PageTable {
        PageTable {
            root: Node::new(LEVELS - 1),
            present: 0,
            peak: 0,
        }
    }

    /// Returns the most entries that were ever present at once.
    pub fn peak(&self) -> u64 {
        self.peak
    }

    /// Returns the number of present entries.
    pub fn len(&self) -> u64 {
        self.present
    }

    /// Returns whether no entry is present.
    pub fn is_empty(&self) -> bool {
        self.present == 0
    }

    /// Returns the entry for the page containing `vaddr`, if present.
    pub fn lookup(&self, vaddr: u64) -> Option<Pte> {
        let mut node = &self.root;
        let mut level = LEVELS - 1;
        loop {
            match node {
                Node::Dir(slots, _) => {
                    node = slots[index(vaddr, level)].as_deref()?;
                    level -= 1;
                }
                Node::Leaf(ptes, _) => {
                    let pte = ptes[index(vaddr, 0)];
                    return pte.present().then_some(pte);
                }
            }
        }
    }

    /// Sets the entry for the page containing `vaddr`; returns the old one.
    pub fn map(&mut self, vaddr: u64, pte: Pte) -> Option<Pte> {
        let mut node = &mut self.root;
        let mut level = LEVELS - 1;
        loop {
            match node {
                Node::Dir(slots, used) => {
                    let slot = &mut slots[index(vaddr, level)];
                    if slot.is_none() {
                        *used += 1;
                    }
                    node = slot.get_or_insert_with(|| Box::new(Node::new(level - 1)));
                    level -= 1;
                }
                Node::Leaf(ptes, used) => {
                    let old = std::mem::replace(&mut ptes[index(vaddr, 0)], pte);
                    if old.present() {
                        return Some(old);
                    }
                    *used += 1;
                    self.present += 1;
                    self.peak = self.peak.max(self.present);
                    return None;
                }
            }
        }
    }

    /// Removes and returns the entry for the page containing `vaddr`, freeing
    /// tables that become empty.
    pub fn unmap(&mut self, vaddr: u64) -> Option<Pte> {
        let old = Self::unmap_in(&mut self.root, LEVELS - 1, vaddr)?;
        self.present -= 1;
        Some(old)
    }

    fn unmap_in(node: &mut Node, level: u32, vaddr: u64) -> Option<Pte> {
        match node {
            Node::Dir(slots, used) => {
                let slot = &mut slots[index(vaddr, level)];
                let child = slot.as_deref_mut()?;
                let old = Self::unmap_in(child, level - 1, vaddr)?;
                if child.is_empty() {
                    *slot = None;
                    *used -= 1;
                }
                Some(old)
            }
            Node::Leaf(ptes, used) => {
                let pte = &mut ptes[index(vaddr, 0)];
                if !pte.present() {
                    return None;
                }
                *used -= 1;
                Some(std::mem::replace(pte, Pte(0)))
            }
        }
    }

    /// Returns the number of tables (4 KiB each on x86_64), the root included:
    /// what Linux's `mm_pgtables_bytes` counts in pages.
    pub fn table_pages(&self) -> u64 {
        fn count(node: &Node) -> u64 {
            match node {
                Node::Dir(slots, _) => 1 + slots.iter().flatten().map(|c| count(c)).sum::<u64>(),
                Node::Leaf(..) => 1,
            }
        }
        count(&self.root)
    }

    /// Returns the present entries of pages in `[start, end)`, in address order.
    pub fn entries(&self, start: u64, end: u64) -> Vec<(u64, Pte)> {
        let mut out = Vec::new();
        if start < end {
            Self::walk(&self.root, LEVELS - 1, 0, start, end, &mut out);
        }
        out
    }

    fn walk(node: &Node, level: u32, base: u64, start: u64, end: u64, out: &mut Vec<(u64, Pte)>) {
        let size = span(level);
        let first = if start > base { index(start, level) } else { 0 };
        for i in first..ENTRIES {
            let addr = base + i as u64 * size;
            if addr >= end {
                break;
            }
            match node {
                Node::Dir(slots, _) => {
                    if let Some(child) = &slots[i] {
                        Self::walk(child, level - 1, addr, start, end, out);
                    }
                }
                Node::Leaf(ptes, _) => {
                    if ptes[i].present() {
                        out.push((addr, ptes[i]));
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn map_lookup_unmap_across_levels() {
        let mut pt = PageTable::new();
        // Pages either side of a leaf-table, a PD and a PDPT boundary.
        let addrs = [
            0x1f_f000u64,
            0x20_0000,
            0x3fff_f000,
            0x4000_0000,
            0x7f_ffff_f000,
            0x80_0000_0000,
            0x7fff_ffff_f000,
        ];
        for (i, &a) in addrs.iter().enumerate() {
            let pte = Pte::new((i as u64 + 1) * 0x1000, PteFlags::WRITE);
            assert_eq!(pt.map(a, pte), None);
        }
        assert_eq!(pt.len(), addrs.len() as u64);
        for (i, &a) in addrs.iter().enumerate() {
            let pte = pt.lookup(a + 0x123).expect("present");
            assert_eq!(pte.paddr(), (i as u64 + 1) * 0x1000);
            assert!(pte.writable());
            assert_eq!(pt.lookup(a ^ 0x1000), None);
        }
        let walked: Vec<u64> = pt
            .entries(0x20_0000, 0x80_0000_1000)
            .iter()
            .map(|e| e.0)
            .collect();
        assert_eq!(walked, addrs[1..6].to_vec());
        assert_eq!(pt.unmap(0x4000_0000).map(Pte::paddr), Some(0x4000));
        assert_eq!(pt.unmap(0x4000_0000), None);
        assert_eq!(pt.lookup(0x4000_0000), None);
        assert_eq!(pt.lookup(0x3fff_f000).map(Pte::paddr), Some(0x3000));
        for &a in &addrs {
            pt.unmap(a);
        }
        assert!(pt.is_empty());
        assert!(pt.root.is_empty(), "empty tables are freed");
    }

    #[test]
    fn remap_replaces_and_keeps_count() {
        let mut pt = PageTable::new();
        pt.map(0x5000, Pte::new(0x1000, PteFlags::empty()));
        let old = pt.map(0x5000, Pte::new(0x2000, PteFlags::WRITE));
        assert_eq!(old.map(Pte::paddr), Some(0x1000));
        assert_eq!(pt.len(), 1);
        let pte = pt.lookup(0x5fff).expect("present");
        assert!(!pte.with_flags(PteFlags::empty()).writable());
    }
}

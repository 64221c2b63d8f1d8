//! Range edits of an `ExtentMap`, for fallocate(2) and truncation: unmapping
//! a range of logical blocks (punching a hole, collapsing, truncating),
//! marking written blocks unwritten (zeroing a range), and moving every
//! extent past a point down or up (collapsing and inserting a range). Each
//! splits the extents that straddle the range's edges, works on the sorted
//! list and merges what became contiguous; `extent_write` writes the tree.

use super::extent::{Extent, ExtentMap, LBLK_END, UNWRITTEN_MAX_LEN};
use arch::{Errno, Result};
use std::ops::Range;

impl ExtentMap {
    /// Splits the extent that straddles `lblk`, so that one starts there.
    fn split_at(&mut self, lblk: u64) {
        let i = self.extents.partition_point(|e| e.end() <= lblk);
        let Some(&e) = self.extents.get(i) else {
            return;
        };
        if (e.lblk as u64) < lblk {
            let head = (lblk - e.lblk as u64) as u32;
            self.extents[i].len = head;
            let tail = Extent {
                lblk: lblk as u32,
                len: e.len - head,
                pblk: e.pblk + head as u64,
                unwritten: e.unwritten,
            };
            self.extents.insert(i + 1, tail);
            self.dirty = true;
        }
    }

    /// Splits the extents at `start` and `end` and returns the positions in
    /// the list of those inside `[start, end)`.
    fn isolate(&mut self, start: u64, end: u64) -> Range<usize> {
        self.split_at(start);
        self.split_at(end);
        let first = self.extents.partition_point(|e| e.end() <= start);
        let last = self.extents.partition_point(|e| (e.lblk as u64) < end);
        first..last.max(first)
    }

    /// Merges every two neighbours that are of one kind and contiguous on
    /// disk, as far as the longest extent of their kind allows.
    fn merge_all(&mut self) {
        let mut i = 0;
        while i + 1 < self.extents.len() {
            let before = self.extents.len();
            self.try_merge_next(i);
            if self.extents.len() == before {
                i += 1;
            }
        }
    }

    /// Unmaps the blocks of `[start, end)`; returns the physical runs that
    /// held them.
    pub fn remove_range(&mut self, start: u64, end: u64) -> Vec<(u64, u64)> {
        let inside = self.isolate(start, end);
        if !inside.is_empty() {
            self.dirty = true;
        }
        self.extents
            .drain(inside)
            .map(|e| (e.pblk, e.len as u64))
            .collect()
    }

    /// Marks the written blocks of `[start, end)` unwritten: they keep their
    /// disk blocks and read as zeroes.
    pub fn set_unwritten(&mut self, start: u64, end: u64) {
        let inside = self.isolate(start, end);
        let mut marked = Vec::with_capacity(inside.len());
        for &e in &self.extents[inside.clone()] {
            let mut done = 0;
            while done < e.len {
                // A written extent can be longer than an unwritten one.
                let len = (e.len - done).min(if e.unwritten {
                    e.len
                } else {
                    UNWRITTEN_MAX_LEN
                });
                marked.push(Extent {
                    lblk: e.lblk + done,
                    len,
                    pblk: e.pblk + done as u64,
                    unwritten: true,
                });
                done += len;
            }
        }
        self.extents.splice(inside, marked);
        self.dirty = true;
        self.merge_all();
    }

    /// Moves every extent at or after `from` down by `n` blocks, into a
    /// range just unmapped (collapsing it).
    pub fn shift_down(&mut self, from: u64, n: u64) {
        let first = self.extents.partition_point(|e| (e.lblk as u64) < from);
        for e in &mut self.extents[first..] {
            e.lblk -= n as u32;
            self.dirty = true;
        }
        self.merge_all();
    }

    /// Moves every extent at or after `from` up by `n` blocks, splitting the
    /// one that straddles `from`, so that `[from, from + n)` becomes a hole;
    /// `EFBIG` if the last block would pass the largest logical block.
    pub fn shift_up(&mut self, from: u64, n: u64) -> Result<()> {
        let end = self.extents.last().map_or(0, Extent::end);
        if end.saturating_add(n) > LBLK_END {
            return Err(Errno::EFBIG);
        }
        self.split_at(from);
        let first = self.extents.partition_point(|e| (e.lblk as u64) < from);
        for e in &mut self.extents[first..] {
            e.lblk += n as u32;
            self.dirty = true;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ext(lblk: u32, len: u32, pblk: u64, unwritten: bool) -> Extent {
        Extent {
            lblk,
            len,
            pblk,
            unwritten,
        }
    }

    fn map(extents: &[Extent]) -> ExtentMap {
        ExtentMap {
            extents: extents.to_vec(),
            ..ExtentMap::default()
        }
    }

    #[test]
    fn remove_range_splits_and_frees_the_middle() {
        let mut m = map(&[ext(0, 100, 1000, false), ext(200, 10, 5000, true)]);
        assert_eq!(m.remove_range(10, 205), vec![(1010, 90), (5000, 5)]);
        assert_eq!(
            m.extents,
            vec![ext(0, 10, 1000, false), ext(205, 5, 5005, true)]
        );
        assert!(m.dirty);
        assert_eq!(m.remove_range(20, 30), vec![]);
    }

    #[test]
    fn set_unwritten_splits_long_extents_and_merges() {
        let mut m = map(&[ext(0, 32768, 1000, false), ext(32768, 10, 33768, true)]);
        m.set_unwritten(0, 32768);
        assert_eq!(
            m.extents,
            vec![ext(0, 32767, 1000, true), ext(32767, 11, 33767, true)]
        );
        let mut m = map(&[ext(0, 10, 1000, false)]);
        m.set_unwritten(3, 5);
        assert_eq!(
            m.extents,
            vec![
                ext(0, 3, 1000, false),
                ext(3, 2, 1003, true),
                ext(5, 5, 1005, false)
            ]
        );
    }

    #[test]
    fn shifts_move_the_tail() {
        let mut m = map(&[ext(0, 10, 1000, false), ext(20, 10, 1010, false)]);
        m.remove_range(10, 20);
        m.shift_down(20, 10);
        assert_eq!(m.extents, vec![ext(0, 20, 1000, false)]);
        m.shift_up(5, 3).expect("room");
        assert_eq!(
            m.extents,
            vec![ext(0, 5, 1000, false), ext(8, 15, 1005, false)]
        );
        assert_eq!(m.shift_up(0, LBLK_END), Err(Errno::EFBIG));
    }
}

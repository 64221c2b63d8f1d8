//! The free frames of guest RAM as a bitmap (a set bit: free), with a
//! second level that says which words have a free frame, so that one frame
//! is found in a few word reads whatever the RAM's size, and aligned runs
//! of free frames can be found at all (a stack of frame numbers cannot):
//! a run maps a block of neighbouring pages with one host mapping.
//!
//! Single frames come from the word the last one came from while it has
//! any, so that they fill words one after another and leave the others'
//! runs whole.

/// Bits in a word of the bitmap.
const BITS: usize = 64;

pub(crate) struct FreeSet {
    /// Bit `f % 64` of word `f / 64`: frame `f` is free.
    words: Vec<u64>,
    /// Bit `w % 64` of word `w / 64`: word `w` has a free frame.
    any: Vec<u64>,
    count: u64,
    /// The word single frames come from while it has any.
    cursor: usize,
    /// Where the search for runs goes on from.
    run_cursor: usize,
}

impl FreeSet {
    /// A set of `total` frames, those in `[first, total)` free.
    pub(crate) fn new(first: u64, total: u64) -> FreeSet {
        let nwords = (total as usize).div_ceil(BITS);
        let mut s = FreeSet {
            words: vec![0; nwords],
            any: vec![0; nwords.div_ceil(BITS)],
            count: 0,
            cursor: 0,
            run_cursor: 0,
        };
        for f in first..total {
            s.insert(f as usize);
        }
        s
    }

    pub(crate) fn len(&self) -> u64 {
        self.count
    }

    /// Marks frame `f` free.
    pub(crate) fn insert(&mut self, f: usize) {
        let (w, b) = (f / BITS, f % BITS);
        debug_assert!(self.words[w] & (1 << b) == 0, "frame {f} freed twice");
        self.words[w] |= 1 << b;
        self.any[w / BITS] |= 1 << (w % BITS);
        self.count += 1;
    }

    /// Takes a free frame: the lowest of the current word, else of the
    /// first word that has one.
    pub(crate) fn pop(&mut self) -> Option<usize> {
        let w = if self.words.get(self.cursor).is_some_and(|&x| x != 0) {
            self.cursor
        } else {
            let i = self.any.iter().position(|&a| a != 0)?;
            i * BITS + self.any[i].trailing_zeros() as usize
        };
        self.cursor = w;
        let f = w * BITS + self.words[w].trailing_zeros() as usize;
        self.take(f, 1);
        Some(f)
    }

    /// Takes `n` free frames in a row whose first is a multiple of `n` (a
    /// power of two, at most 64), looking at no more than `tries` words;
    /// returns the first.
    pub(crate) fn pop_run(&mut self, n: usize, tries: usize) -> Option<usize> {
        debug_assert!(n.is_power_of_two() && n <= BITS);
        let mask = if n == BITS { u64::MAX } else { (1u64 << n) - 1 };
        let nwords = self.words.len();
        for i in 0..tries.min(nwords) {
            let w = (self.run_cursor + i) % nwords;
            let word = self.words[w];
            if word.count_ones() < n as u32 {
                continue;
            }
            for shift in (0..BITS).step_by(n) {
                if (word >> shift) & mask == mask {
                    self.run_cursor = w;
                    let f = w * BITS + shift;
                    self.take(f, n);
                    return Some(f);
                }
            }
        }
        self.run_cursor = (self.run_cursor + tries) % nwords.max(1);
        None
    }

    /// Marks the `n` frames from `f` (within one word, all free) taken.
    fn take(&mut self, f: usize, n: usize) {
        let (w, b) = (f / BITS, f % BITS);
        let mask = if n == BITS {
            u64::MAX
        } else {
            ((1u64 << n) - 1) << b
        };
        self.words[w] &= !mask;
        if self.words[w] == 0 {
            self.any[w / BITS] &= !(1 << (w % BITS));
        }
        self.count -= n as u64;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn singles_fill_one_word_then_the_next() {
        let mut s = FreeSet::new(3, 200);
        assert_eq!(s.len(), 197);
        let got: Vec<usize> = (0..70).map(|_| s.pop().expect("free")).collect();
        assert_eq!(got, (3..73).collect::<Vec<_>>());
        s.insert(10);
        // The current word (64..128) goes on first.
        assert_eq!(s.pop(), Some(73));
        while s.pop().is_some() {}
        assert_eq!(s.len(), 0);
        s.insert(10);
        assert_eq!(s.pop(), Some(10));
        assert_eq!(s.pop(), None);
    }

    #[test]
    fn runs_are_aligned_and_whole() {
        let mut s = FreeSet::new(0, 256);
        // Frame 5 taken: the first 16-run is at 16.
        for _ in 0..6 {
            s.pop();
        }
        for f in 0..5 {
            s.insert(f);
        }
        assert_eq!(s.pop_run(16, 8), Some(16));
        assert_eq!(s.pop_run(16, 8), Some(32));
        assert_eq!(s.len(), 256 - 1 - 32);
        // 64-frame runs: words 1.. are whole but for what was taken.
        assert_eq!(s.pop_run(64, 8), Some(64));
        let mut t = FreeSet::new(0, 64);
        t.pop();
        assert_eq!(t.pop_run(64, 8), None, "no whole word is free");
    }
}

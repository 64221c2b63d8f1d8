//! The data of a pipe: a ring of at most `max_pages` pages (Linux's
//! `pipe_buffer` array), each a frame of guest RAM, so that what pipes hold
//! is bounded by `mem=` and goes back to the host when read. A write first
//! tops up the last page with the part of it past a page boundary, if that
//! fits, then fills fresh pages; so a write of at most one page needs one
//! page and is never split, and small writes share pages. A page is freed
//! once read to its end. A page comes from `alloc_kernel`, which leaves RAM's
//! last reserve to page faults; without one, a write that put nothing in
//! fails with `ENOMEM`, as Linux's pipe_write.

use arch::Result;
use mm::FrameAllocator;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// The page size, as the byte count of a pipe buffer's page.
pub const PAGE: usize = arch::PAGE_SIZE as usize;

/// The frames all pipes hold, for /proc/meminfo.
static BUFFER_PAGES: AtomicU64 = AtomicU64::new(0);

/// Returns the number of frames all pipes hold.
pub fn buffer_pages() -> u64 {
    BUFFER_PAGES.load(Ordering::Relaxed)
}

/// One page: `len` bytes written to its frame, of which those from `read`
/// on are unread.
struct Page {
    paddr: u64,
    len: usize,
    read: usize,
}

impl Page {
    fn unread(&self) -> usize {
        self.len - self.read
    }
}

/// A pipe's pages.
pub struct Ring {
    frames: Arc<FrameAllocator>,
    pages: VecDeque<Page>,
    max_pages: usize,
}

impl Ring {
    /// Creates an empty ring of `max_pages` pages from `frames`.
    pub fn new(frames: Arc<FrameAllocator>, max_pages: usize) -> Ring {
        Ring {
            frames,
            pages: VecDeque::new(),
            max_pages,
        }
    }

    /// Returns the number of unread bytes.
    pub fn buffered(&self) -> usize {
        self.pages.iter().map(Page::unread).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.pages.is_empty()
    }

    /// Returns whether every page is in use: nothing but a top-up fits.
    pub fn is_full(&self) -> bool {
        self.pages.len() >= self.max_pages
    }

    pub fn max_pages(&self) -> usize {
        self.max_pages
    }

    /// Sets the number of pages; false (nothing changes) if more are in use.
    pub fn set_max_pages(&mut self, n: usize) -> bool {
        if self.pages.len() > n {
            return false;
        }
        self.max_pages = n;
        true
    }

    /// Returns how many bytes a write takes whole now: a page for each free
    /// one (Linux's splice fills fresh buffers only).
    pub fn room(&self) -> usize {
        self.max_pages.saturating_sub(self.pages.len()) * PAGE
    }

    /// Copies up to `buf.len()` unread bytes out, leaving them unread;
    /// returns how many.
    pub fn peek(&self, buf: &mut [u8]) -> usize {
        let mut n = 0;
        for page in &self.pages {
            if n == buf.len() {
                break;
            }
            let take = (buf.len() - n).min(page.unread());
            let at = page.paddr + page.read as u64;
            self.frames.physmem().read(at, &mut buf[n..n + take]);
            n += take;
        }
        n
    }

    /// Frees the first page.
    fn pop(&mut self) {
        if let Some(page) = self.pages.pop_front() {
            self.frames.put(page.paddr);
            BUFFER_PAGES.fetch_sub(1, Ordering::Relaxed);
        }
    }

    /// Drops up to `n` unread bytes; returns how many.
    pub fn discard(&mut self, n: usize) -> usize {
        let mut done = 0;
        while done < n {
            let Some(page) = self.pages.front_mut() else {
                break;
            };
            let take = (n - done).min(page.unread());
            page.read += take;
            done += take;
            if page.unread() == 0 {
                self.pop();
            }
        }
        done
    }

    /// Moves up to `buf.len()` bytes out; returns how many.
    pub fn read(&mut self, buf: &mut [u8]) -> usize {
        let n = self.peek(buf);
        self.discard(n)
    }

    /// Puts in as much of `data` as fits; returns how much, or `ENOMEM` if
    /// nothing went in for want of a frame.
    pub fn write(&mut self, data: &[u8]) -> Result<usize> {
        let mut done = 0;
        let chars = data.len() % PAGE;
        if let Some(last) = self.pages.back_mut() {
            if chars != 0 && last.len + chars <= PAGE {
                let at = last.paddr + last.len as u64;
                self.frames.physmem().write(at, &data[..chars]);
                last.len += chars;
                done = chars;
            }
        }
        while done < data.len() && !self.is_full() {
            let paddr = match self.frames.alloc_kernel() {
                Ok(paddr) => paddr,
                Err(_) if done > 0 => break,
                Err(e) => return Err(e),
            };
            BUFFER_PAGES.fetch_add(1, Ordering::Relaxed);
            let n = (data.len() - done).min(PAGE);
            self.frames.physmem().write(paddr, &data[done..done + n]);
            self.pages.push_back(Page {
                paddr,
                len: n,
                read: 0,
            });
            done += n;
        }
        Ok(done)
    }
}

impl Drop for Ring {
    fn drop(&mut self) {
        while !self.pages.is_empty() {
            self.pop();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arch::Errno;

    fn ring(max_pages: usize) -> Ring {
        ring_in(64, max_pages)
    }

    fn ring_in(ram_pages: u64, max_pages: usize) -> Ring {
        let ram = arch::PhysMem::new(ram_pages * arch::PAGE_SIZE).expect("guest RAM");
        Ring::new(FrameAllocator::new(Arc::new(ram), 0), max_pages)
    }

    #[test]
    fn page_writes_fill_every_page() {
        let mut r = ring(2);
        assert_eq!(r.write(&[1; PAGE]), Ok(PAGE));
        assert_eq!(r.write(&[2; 3 * PAGE]), Ok(PAGE));
        assert!(r.is_full());
        assert_eq!(r.write(&[3; 1]), Ok(0), "the last page is full");
        let mut buf = [0; 10];
        assert_eq!(r.read(&mut buf), 10);
        assert_eq!(buf, [1; 10]);
        assert_eq!(
            r.write(&[3; 1]),
            Ok(0),
            "a partly read page is still in use"
        );
        assert_eq!(r.buffered(), 2 * PAGE - 10);
    }

    #[test]
    fn small_writes_share_a_page_and_never_split() {
        let mut r = ring(2);
        let mut total = 0;
        loop {
            let n = r.write(&[7; 1000]).expect("frames");
            if n == 0 {
                break;
            }
            assert_eq!(n, 1000);
            total += n;
        }
        assert_eq!(total, 8000);
        assert!(!r.set_max_pages(1));
        let mut buf = vec![0; 9000];
        assert_eq!(r.read(&mut buf), 8000);
        assert!(r.is_empty() && r.set_max_pages(1));
    }

    #[test]
    fn peek_leaves_the_bytes_discard_drops_them_room_counts_free_pages() {
        let mut r = ring(4);
        assert_eq!(r.room(), 4 * PAGE);
        assert_eq!(r.write(&[1; 10]), Ok(10));
        assert_eq!(r.write(&[2; PAGE]), Ok(PAGE));
        assert_eq!(r.room(), 2 * PAGE);
        let mut buf = vec![0; 20];
        assert_eq!(r.peek(&mut buf), 20);
        assert_eq!((&buf[..10], &buf[10..]), (&[1; 10][..], &[2; 10][..]));
        assert_eq!(r.buffered(), PAGE + 10);
        assert_eq!(r.discard(15), 15);
        assert_eq!(r.peek(&mut buf[..1]), 1);
        assert_eq!(buf[0], 2);
        assert_eq!(r.room(), 3 * PAGE);
    }

    #[test]
    fn the_tail_of_a_large_write_tops_up_the_last_page() {
        let mut r = ring(4);
        assert_eq!(r.write(&[1; 100]), Ok(100));
        // 4096 + 50: the 50 go into the first page, the rest into a new one.
        assert_eq!(r.write(&[2; PAGE + 50]), Ok(PAGE + 50));
        let mut buf = vec![0; 200];
        assert_eq!(r.read(&mut buf), 200);
        assert_eq!(&buf[..100], &[1; 100][..]);
        assert_eq!(&buf[100..150], &[2; 50][..]);
        assert_eq!(r.buffered(), PAGE - 50);
    }

    #[test]
    fn pages_are_frames_given_back_when_read_and_bounded_by_ram() {
        // 64 frames, of which alloc_kernel leaves a quarter.
        let mut r = ring_in(64, 1000);
        let free = r.frames.free_frames();
        assert_eq!(r.write(&[5; 100 * PAGE]), Ok(48 * PAGE));
        assert_eq!(r.frames.free_frames(), free - 48);
        assert_eq!(r.write(&[6; PAGE]), Err(Errno::ENOMEM));
        let mut buf = vec![0; 10 * PAGE];
        assert_eq!(r.read(&mut buf), 10 * PAGE);
        assert!(buf.iter().all(|&b| b == 5));
        assert_eq!(r.frames.free_frames(), free - 38);
        let frames = r.frames.clone();
        drop(r);
        assert_eq!(frames.free_frames(), free, "a dropped pipe frees its pages");
    }
}

//! The data of a pipe: a ring of at most `max_pages` pages (Linux's
//! `pipe_buffer` array). A write first tops up the last page with the part of
//! it past a page boundary, if that fits, then fills fresh pages; so a write of
//! at most one page needs one page and is never split, and small writes share
//! pages. A page is freed once read to its end.

use std::collections::VecDeque;

pub const PAGE_SIZE: usize = 4096;

/// One page: the bytes written to it, of which those from `read` on are unread.
struct Page {
    data: Vec<u8>,
    read: usize,
}

/// A pipe's pages.
pub struct Ring {
    pages: VecDeque<Page>,
    max_pages: usize,
}

impl Ring {
    /// Creates an empty ring of `max_pages` pages.
    pub fn new(max_pages: usize) -> Ring {
        Ring {
            pages: VecDeque::new(),
            max_pages,
        }
    }

    /// Returns the number of unread bytes.
    pub fn buffered(&self) -> usize {
        self.pages.iter().map(|p| p.data.len() - p.read).sum()
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
        self.max_pages.saturating_sub(self.pages.len()) * PAGE_SIZE
    }

    /// Copies up to `buf.len()` unread bytes out, leaving them unread;
    /// returns how many.
    pub fn peek(&self, buf: &mut [u8]) -> usize {
        let mut n = 0;
        for page in &self.pages {
            if n == buf.len() {
                break;
            }
            let take = (buf.len() - n).min(page.data.len() - page.read);
            buf[n..n + take].copy_from_slice(&page.data[page.read..page.read + take]);
            n += take;
        }
        n
    }

    /// Drops up to `n` unread bytes; returns how many.
    pub fn discard(&mut self, n: usize) -> usize {
        let mut done = 0;
        while done < n {
            let Some(page) = self.pages.front_mut() else {
                break;
            };
            let take = (n - done).min(page.data.len() - page.read);
            page.read += take;
            done += take;
            if page.read == page.data.len() {
                self.pages.pop_front();
            }
        }
        done
    }

    /// Moves up to `buf.len()` bytes out; returns how many.
    pub fn read(&mut self, buf: &mut [u8]) -> usize {
        let mut n = 0;
        while n < buf.len() {
            let Some(page) = self.pages.front_mut() else {
                break;
            };
            let take = (buf.len() - n).min(page.data.len() - page.read);
            buf[n..n + take].copy_from_slice(&page.data[page.read..page.read + take]);
            page.read += take;
            n += take;
            if page.read == page.data.len() {
                self.pages.pop_front();
            }
        }
        n
    }

    /// Puts in as much of `data` as fits; returns how much.
    pub fn write(&mut self, data: &[u8]) -> usize {
        let mut done = 0;
        let chars = data.len() % PAGE_SIZE;
        if let Some(last) = self.pages.back_mut() {
            if chars != 0 && last.data.len() + chars <= PAGE_SIZE {
                last.data.extend_from_slice(&data[..chars]);
                done = chars;
            }
        }
        while done < data.len() && !self.is_full() {
            let n = (data.len() - done).min(PAGE_SIZE);
            let mut page = Vec::with_capacity(PAGE_SIZE);
            page.extend_from_slice(&data[done..done + n]);
            self.pages.push_back(Page {
                data: page,
                read: 0,
            });
            done += n;
        }
        done
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_writes_fill_every_page() {
        let mut r = Ring::new(2);
        assert_eq!(r.write(&[1; PAGE_SIZE]), PAGE_SIZE);
        assert_eq!(r.write(&[2; 3 * PAGE_SIZE]), PAGE_SIZE);
        assert!(r.is_full());
        assert_eq!(r.write(&[3; 1]), 0, "the last page is full");
        let mut buf = [0; 10];
        assert_eq!(r.read(&mut buf), 10);
        assert_eq!(buf, [1; 10]);
        assert_eq!(r.write(&[3; 1]), 0, "a partly read page is still in use");
        assert_eq!(r.buffered(), 2 * PAGE_SIZE - 10);
    }

    #[test]
    fn small_writes_share_a_page_and_never_split() {
        let mut r = Ring::new(2);
        let mut total = 0;
        loop {
            let n = r.write(&[7; 1000]);
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
        let mut r = Ring::new(4);
        assert_eq!(r.room(), 4 * PAGE_SIZE);
        assert_eq!(r.write(&[1; 10]), 10);
        assert_eq!(r.write(&[2; PAGE_SIZE]), PAGE_SIZE);
        assert_eq!(r.room(), 2 * PAGE_SIZE);
        let mut buf = vec![0; 20];
        assert_eq!(r.peek(&mut buf), 20);
        assert_eq!((&buf[..10], &buf[10..]), (&[1; 10][..], &[2; 10][..]));
        assert_eq!(r.buffered(), PAGE_SIZE + 10);
        assert_eq!(r.discard(15), 15);
        assert_eq!(r.peek(&mut buf[..1]), 1);
        assert_eq!(buf[0], 2);
        assert_eq!(r.room(), 3 * PAGE_SIZE);
    }

    #[test]
    fn the_tail_of_a_large_write_tops_up_the_last_page() {
        let mut r = Ring::new(4);
        assert_eq!(r.write(&[1; 100]), 100);
        // 4096 + 50: the 50 go into the first page, the rest into a new one.
        assert_eq!(r.write(&[2; PAGE_SIZE + 50]), PAGE_SIZE + 50);
        let mut buf = vec![0; 200];
        assert_eq!(r.read(&mut buf), 200);
        assert_eq!(&buf[..100], &[1; 100][..]);
        assert_eq!(&buf[100..150], &[2; 50][..]);
        assert_eq!(r.buffered(), PAGE_SIZE - 50);
    }
}

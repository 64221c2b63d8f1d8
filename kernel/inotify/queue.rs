//! The event queue of an inotify instance and the records read(2) returns:
//! `struct inotify_event { int wd; u32 mask; u32 cookie; u32 len; char
//! name[len]; }`, the name NUL-padded to a multiple of 16 bytes as Linux pads
//! it. As on Linux an event equal to the last one queued is merged into it,
//! and a full queue takes one `IN_Q_OVERFLOW` event (wd -1) and drops the
//! rest until it is read.

use arch::abi::pod::write_record;
use arch::abi::structs::InotifyEvent;
use arch::{Errno, Result};
use fs::fsnotify::IN_Q_OVERFLOW;
use std::collections::VecDeque;

/// The size of `struct inotify_event` without its name.
const HEADER: usize = size_of::<InotifyEvent>();

/// One queued event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    pub wd: i32,
    pub mask: u32,
    pub cookie: u32,
    pub name: Vec<u8>,
}

impl Event {
    /// Returns the length of the padded name (`len`): 0 without a name, else
    /// the name and at least one NUL rounded up to 16 bytes.
    fn name_len(&self) -> usize {
        match self.name.len() {
            0 => 0,
            n => (n + 1).next_multiple_of(HEADER),
        }
    }

    /// Returns the size of the record read(2) gives.
    pub fn size(&self) -> usize {
        HEADER + self.name_len()
    }

    /// Writes the record to the start of `out`, which holds `size()` bytes.
    fn pack(&self, out: &mut [u8]) {
        let header = InotifyEvent {
            wd: self.wd,
            mask: self.mask,
            cookie: self.cookie,
            len: self.name_len() as u32,
        };
        write_record(&mut out[..self.size()], &header, &self.name);
    }

    fn overflow() -> Event {
        Event {
            wd: -1,
            mask: IN_Q_OVERFLOW,
            cookie: 0,
            name: Vec::new(),
        }
    }
}

/// The events waiting to be read.
pub struct EventQueue {
    events: VecDeque<Event>,
    /// The bytes a read of everything would return (FIONREAD).
    bytes: usize,
    /// The most events queued before the overflow event.
    max: usize,
}

impl EventQueue {
    /// Creates an empty queue holding at most `max` events.
    pub fn new(max: usize) -> EventQueue {
        EventQueue {
            events: VecDeque::new(),
            bytes: 0,
            max,
        }
    }

    /// Queues `ev`, unless it equals the last event queued; a full queue
    /// takes the overflow event instead, once. Returns whether the queue grew.
    pub fn push(&mut self, ev: Event) -> bool {
        let ev = if self.events.len() >= self.max {
            if self.events.back().is_some_and(|l| l.mask == IN_Q_OVERFLOW) {
                return false;
            }
            Event::overflow()
        } else {
            if self.events.back() == Some(&ev) {
                return false;
            }
            ev
        };
        self.bytes += ev.size();
        self.events.push_back(ev);
        true
    }

    /// Returns whether no event waits.
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// Returns the size of all the records waiting.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Moves as many whole records as fit into `buf`: `EAGAIN` if there is
    /// none, `EINVAL` if the first does not fit.
    pub fn read(&mut self, buf: &mut [u8]) -> Result<usize> {
        let first = self.events.front().ok_or(Errno::EAGAIN)?;
        if first.size() > buf.len() {
            return Err(Errno::EINVAL);
        }
        let mut used = 0;
        while let Some(ev) = self.events.front() {
            let size = ev.size();
            if used + size > buf.len() {
                break;
            }
            ev.pack(&mut buf[used..used + size]);
            used += size;
            self.bytes -= size;
            self.events.pop_front();
        }
        Ok(used)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(wd: i32, mask: u32, name: &[u8]) -> Event {
        Event {
            wd,
            mask,
            cookie: 0,
            name: name.to_vec(),
        }
    }

    #[test]
    fn records_are_packed_with_padded_names() {
        let mut q = EventQueue::new(16);
        q.push(ev(1, 2, b""));
        q.push(Event {
            cookie: 7,
            ..ev(3, 0x40, b"abcdefghijklmno")
        });
        q.push(ev(4, 0x100, b"abcdefghijklmnop"));
        assert_eq!(q.bytes(), 16 + 32 + 48);
        let mut buf = [0xffu8; 200];
        assert_eq!(q.read(&mut buf), Ok(96));
        assert_eq!(
            &buf[0..16],
            &[1, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
        );
        assert_eq!(
            &buf[16..32],
            &[3, 0, 0, 0, 0x40, 0, 0, 0, 7, 0, 0, 0, 16, 0, 0, 0]
        );
        assert_eq!(&buf[32..48], b"abcdefghijklmno\0");
        assert_eq!(buf[60], 32);
        assert_eq!(&buf[64..80], b"abcdefghijklmnop");
        assert!(buf[80..96].iter().all(|&b| b == 0));
        assert_eq!(buf[96], 0xff);
        assert!(q.is_empty());
        assert_eq!(q.bytes(), 0);
        assert_eq!(q.read(&mut buf), Err(Errno::EAGAIN));
    }

    #[test]
    fn a_buffer_too_small_for_the_first_record_is_einval() {
        let mut q = EventQueue::new(16);
        q.push(ev(1, 2, b"name"));
        q.push(ev(1, 4, b""));
        let mut small = [0u8; 31];
        assert_eq!(q.read(&mut small), Err(Errno::EINVAL));
        // Room for the first record only: the second waits.
        let mut one = [0u8; 40];
        assert_eq!(q.read(&mut one), Ok(32));
        assert_eq!(q.bytes(), 16);
    }

    #[test]
    fn an_event_equal_to_the_last_is_merged() {
        let mut q = EventQueue::new(16);
        assert!(q.push(ev(1, 2, b"a")));
        assert!(!q.push(ev(1, 2, b"a")));
        assert!(q.push(ev(1, 2, b"b")));
        // Only the last event counts.
        assert!(q.push(ev(1, 2, b"a")));
        let cookie = Event {
            cookie: 5,
            ..ev(1, 2, b"a")
        };
        assert!(q.push(cookie));
        assert_eq!(q.bytes(), 4 * 32);
    }

    #[test]
    fn a_full_queue_takes_one_overflow_event() {
        let mut q = EventQueue::new(2);
        q.push(ev(1, 1, b""));
        q.push(ev(1, 2, b""));
        assert!(q.push(ev(1, 4, b"")));
        assert!(!q.push(ev(1, 8, b"")));
        let mut buf = [0u8; 64];
        assert_eq!(q.read(&mut buf), Ok(48));
        assert_eq!(&buf[32..40], &[0xff, 0xff, 0xff, 0xff, 0, 0x40, 0, 0]);
        // Read, the queue takes events again.
        assert!(q.push(ev(1, 8, b"")));
    }
}

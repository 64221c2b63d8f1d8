//! Host tests of epoll instances over a fake file whose readiness the test sets.

use super::*;
use fs::OpenFlags;

/// A file whose poll answer the test sets; setting it wakes the queue.
#[derive(Default)]
struct Fake {
    ready: KernelCell<u32>,
    wait: WaitQueue,
}

impl Fake {
    fn set(&self, ev: PollEvents) {
        *self.ready.borrow_mut() = ev.bits();
        self.wait.wake_all();
    }
}

impl FileOps for Fake {
    fn read(&self, _: u64, _: &mut [u8]) -> Result<usize> {
        Err(Errno::EAGAIN)
    }
    fn write(&self, _: u64, _: &[u8]) -> Result<usize> {
        Err(Errno::EAGAIN)
    }
    fn poll(&self) -> PollEvents {
        PollEvents::from_bits_truncate(*self.ready.borrow())
    }
    fn wait_queue(&self) -> Option<&WaitQueue> {
        Some(&self.wait)
    }
}

fn fake() -> (Arc<Fake>, Arc<File>) {
    let ops = Arc::new(Fake::default());
    let file = File::new(None, ops.clone(), OpenFlags::O_RDWR);
    (ops, file)
}

const IN: u32 = PollEvents::POLLIN.bits();

#[test]
fn level_edge_and_one_shot() {
    let _k = crate::lock::entered();
    let ep = Epoll::default();
    let (ops, file) = fake();
    ep.add(3, &file, IN, 1).expect("add");
    let et = Epoll::default();
    et.add(3, &file, IN | EPOLLET, 2).expect("add");
    let once = Epoll::default();
    once.add(3, &file, IN | EPOLLONESHOT, 3).expect("add");
    assert!(ep.collect(8).is_empty() && et.collect(8).is_empty());
    ops.set(PollEvents::POLLIN);
    assert_eq!(ep.collect(8), vec![(IN, 1)]);
    assert_eq!(
        ep.collect(8),
        vec![(IN, 1)],
        "level-triggered reports again"
    );
    assert_eq!(et.collect(8), vec![(IN, 2)]);
    assert!(et.collect(8).is_empty(), "no new edge");
    ops.set(PollEvents::POLLIN);
    assert_eq!(et.collect(8), vec![(IN, 2)], "a wake-up is a new edge");
    assert_eq!(once.collect(8), vec![(IN, 3)]);
    assert!(once.collect(8).is_empty());
    once.modify(3, &file, IN | EPOLLONESHOT, 4).expect("re-arm");
    assert_eq!(once.collect(8), vec![(IN, 4)]);
    assert_eq!(ep.add(3, &file, IN, 1), Err(Errno::EEXIST));
    ep.delete(3, &file).expect("delete");
    assert!(ep.collect(8).is_empty());
    assert_eq!(ep.delete(3, &file), Err(Errno::ENOENT));
}

#[test]
fn hang_up_is_always_reported_and_entries_die_with_their_file() {
    let _k = crate::lock::entered();
    let ep = Epoll::default();
    let (ops, file) = fake();
    ep.add(4, &file, PollEvents::POLLOUT.bits(), 9)
        .expect("add");
    ops.set(PollEvents::POLLIN | PollEvents::POLLHUP);
    assert_eq!(ep.collect(8), vec![(PollEvents::POLLHUP.bits(), 9)]);
    drop(file);
    assert!(ep.collect(8).is_empty());
    assert!(ep.entries.borrow().is_empty());
}

#[test]
fn small_batches_take_turns() {
    let _k = crate::lock::entered();
    let ep = Epoll::default();
    let files: Vec<_> = (0..3).map(|_| fake()).collect();
    for (i, (ops, file)) in files.iter().enumerate() {
        ops.set(PollEvents::POLLIN);
        ep.add(i as i32, file, IN, i as u64).expect("add");
    }
    let mut seen: Vec<u64> = ep.collect(2).into_iter().map(|(_, d)| d).collect();
    seen.extend(ep.collect(2).into_iter().map(|(_, d)| d));
    seen.sort();
    seen.dedup();
    assert_eq!(seen, vec![0, 1, 2]);
}

#[test]
fn nesting_wakes_the_outer_instance_and_loops_are_found() {
    let _k = crate::lock::entered();
    let inner_ops = Arc::new(Epoll::default());
    let inner = File::new(None, inner_ops.clone(), OpenFlags::O_RDWR);
    let outer_ops = Arc::new(Epoll::default());
    let outer = File::new(None, outer_ops.clone(), OpenFlags::O_RDWR);
    let (ops, file) = fake();
    inner_ops.add(1, &file, IN | EPOLLET, 1).expect("add");
    outer_ops.add(2, &inner, IN, 2).expect("nest");
    assert!(outer_ops.collect(8).is_empty());
    ops.set(PollEvents::POLLIN);
    assert_eq!(outer_ops.collect(8), vec![(IN, 2)]);
    assert_eq!(inner_ops.collect(8), vec![(IN, 1)]);
    assert!(outer_ops.collect(8).is_empty(), "the inner edge was taken");
    assert_eq!(inner_ops.reaches(&outer_ops, 1), Ok(false));
    assert_eq!(outer_ops.reaches(&inner_ops, 1), Ok(true));
    drop(outer);
}

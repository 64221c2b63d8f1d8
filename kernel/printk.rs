//! printk: the kernel log. Messages from the `log` crate go into a ring of recent
//! lines (for dmesg later) and, when their level passes the console log level, to
//! the console, stamped with the time since boot as Linux does.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Instant;

/// Lines kept in the ring.
const RING_LINES: usize = 1024;

struct Printk {
    boot: Instant,
    console_level: Mutex<u8>,
    ring: Mutex<VecDeque<String>>,
}

static PRINTK: std::sync::OnceLock<Printk> = std::sync::OnceLock::new();

/// Linux's message level (KERN_ERR = 3 ... KERN_DEBUG = 7) of a `log` level.
fn kern_level(level: log::Level) -> u8 {
    match level {
        log::Level::Error => 3,
        log::Level::Warn => 4,
        log::Level::Info => 6,
        log::Level::Debug | log::Level::Trace => 7,
    }
}

struct Logger;

impl log::Log for Logger {
    fn enabled(&self, _: &log::Metadata) -> bool {
        true
    }

    fn log(&self, record: &log::Record) {
        let Some(p) = PRINTK.get() else { return };
        let t = p.boot.elapsed();
        let line = format!(
            "[{:5}.{:06}] {}\n",
            t.as_secs(),
            t.subsec_micros(),
            record.args()
        );
        let show =
            kern_level(record.level()) < *p.console_level.lock().unwrap_or_else(|e| e.into_inner());
        if show {
            let _ = arch::host::console::write(line.as_bytes());
        }
        let mut ring = p.ring.lock().unwrap_or_else(|e| e.into_inner());
        if ring.len() == RING_LINES {
            ring.pop_front();
        }
        ring.push_back(line);
    }

    fn flush(&self) {}
}

static LOGGER: Logger = Logger;

/// Starts the kernel log with console log level `console_level` (messages with a
/// lower level number are shown, as Linux's `loglevel=`).
pub fn init(console_level: u8) {
    let _ = PRINTK.set(Printk {
        boot: Instant::now(),
        console_level: Mutex::new(console_level),
        ring: Mutex::new(VecDeque::new()),
    });
    let _ = log::set_logger(&LOGGER);
    log::set_max_level(if console_level > 7 {
        log::LevelFilter::Trace
    } else {
        log::LevelFilter::Debug
    });
}

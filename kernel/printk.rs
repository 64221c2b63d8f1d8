//! printk: the kernel log. Messages from the `log` crate go into a ring of recent
//! records, each with its sequence number, level and time since boot (read
//! through /dev/kmsg), and, when their level passes the console log level, to
//! the console, stamped with the time since boot as Linux does.

use arch::sync::Mutex;
use std::collections::VecDeque;
use std::time::Instant;

/// Lines kept in the ring.
const RING_LINES: usize = 1024;

/// One message of the log.
#[derive(Clone)]
pub struct Record {
    pub seq: u64,
    /// Linux's message level (KERN_ERR = 3 ... KERN_DEBUG = 7).
    pub level: u8,
    /// The syslog facility: 0 for the kernel's own, 1 (LOG_USER) for what
    /// /dev/kmsg's writers log unless they name another.
    pub facility: u8,
    /// Microseconds since boot.
    pub usec: u64,
    pub text: String,
}

struct Ring {
    records: VecDeque<Record>,
    next_seq: u64,
}

struct Printk {
    boot: Instant,
    console_level: Mutex<u8>,
    ring: Mutex<Ring>,
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
        emit(kern_level(record.level()), &record.args().to_string());
    }

    fn flush(&self) {}
}

/// Logs `text` at Linux message level `level`: into the ring, and to the
/// console if the level passes the console log level.
pub fn emit(level: u8, text: &str) {
    emit_as(0, level, text);
}

/// Logs `text` at `level` for syslog facility `facility`.
pub fn emit_as(facility: u8, level: u8, text: &str) {
    let Some(p) = PRINTK.get() else { return };
    let t = p.boot.elapsed();
    let show = level < *p.console_level.lock();
    if show {
        // A terminal in raw mode does no output processing: end lines with
        // CR LF, as a serial console driver does.
        let eol = if arch::host::console::stdout_is_terminal() {
            "\r\n"
        } else {
            "\n"
        };
        let line = format!("[{:5}.{:06}] {text}{eol}", t.as_secs(), t.subsec_micros());
        let _ = arch::host::console::write(line.as_bytes());
    }
    let mut ring = p.ring.lock();
    if ring.records.len() == RING_LINES {
        ring.records.pop_front();
    }
    let seq = ring.next_seq;
    ring.next_seq += 1;
    ring.records.push_back(Record {
        seq,
        level,
        facility,
        usec: t.as_micros() as u64,
        text: text.to_string(),
    });
}

/// Returns the first record kept whose sequence number is `seq` or later.
pub fn record_from(seq: u64) -> Option<Record> {
    let p = PRINTK.get()?;
    let ring = p.ring.lock();
    let first = ring.records.front()?.seq;
    let i = seq.saturating_sub(first) as usize;
    ring.records.get(i).cloned()
}

/// Returns the sequence number the next record will get.
pub fn next_seq() -> u64 {
    PRINTK.get().map_or(0, |p| p.ring.lock().next_seq)
}

/// Sets the console log level (syslog(2)'s SYSLOG_ACTION_CONSOLE_LEVEL).
pub fn set_console_level(level: u8) {
    if let Some(p) = PRINTK.get() {
        *p.console_level.lock() = level;
    }
}

static LOGGER: Logger = Logger;

/// Starts the kernel log with console log level `console_level` (messages with a
/// lower level number are shown, as Linux's `loglevel=`).
pub fn init(console_level: u8) {
    let _ = PRINTK.set(Printk {
        boot: Instant::now(),
        console_level: Mutex::new(console_level),
        ring: Mutex::new(Ring {
            records: VecDeque::new(),
            next_seq: 0,
        }),
    });
    let _ = log::set_logger(&LOGGER);
    log::set_max_level(if console_level > 7 {
        log::LevelFilter::Trace
    } else {
        log::LevelFilter::Debug
    });
}

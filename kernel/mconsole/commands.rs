//! The mconsole's commands, in the order UML's table has them (a request
//! runs the first command its text starts with, as UML's mconsole_parse
//! matches). Replies and errors are UML's; what a command does is this
//! kernel's way of doing what UML's does: `halt`, `reboot` and `cad` reply
//! first and then act, `sysrq` and `stack` answer with the kernel log lines
//! they produce, `proc` reads through a procfs instance of the kernel's own.

use super::Request;
use crate::signal::{self, SigInfo, SIGINT, SI_KERNEL};
use arch::sync::KernelCell;
use fs::{OpenFlags, Path};

type Handler = fn(&Request, &str);

const COMMANDS: [(&str, Handler); 13] = [
    ("version", version),
    ("halt", halt),
    ("reboot", reboot),
    ("config", super::devices::config),
    ("remove", super::devices::remove),
    ("sysrq", sysrq),
    ("help", help),
    ("cad", cad),
    ("stop", stop),
    ("go", go),
    ("log", log),
    ("proc", proc),
    ("stack", stack),
];

/// Runs the command `text` names, or answers "Unknown command".
pub fn run(req: &Request, text: &str) {
    match COMMANDS.iter().find(|(name, _)| text.starts_with(name)) {
        Some((_, handler)) => handler(req, text),
        None => req.reply("Unknown command", true, false),
    }
}

/// Returns what follows the command word, leading white space skipped.
pub fn argument<'a>(text: &'a str, command: &str) -> &'a str {
    text.get(command.len()..)
        .unwrap_or_default()
        .trim_start_matches(|c: char| c.is_ascii_whitespace())
}

/// `version`: uname's fields as UML gives them, "sysname nodename release
/// version machine".
fn version(req: &Request, _: &str) {
    let k = crate::lock::entered();
    let nodename = crate::uts::INIT_UTS.nodename.borrow().clone();
    drop(k);
    let text = format!(
        "Linux {nodename} {} {} x86_64",
        crate::syscall::RELEASE,
        crate::syscall::UTS_VERSION
    );
    req.reply(&text, false, false);
}

const HELP: &str = "\
Commands:
    version - the kernel's name, host name, release, version and machine
    help - this list
    halt - stop the machine (sync, then exit 0)
    reboot - restart the machine
    config <dev>=<config> - attach a device, in the command line's syntax
    config <dev> - show how a device is configured
    remove <dev> - detach a device
    sysrq <letter> - run the SysRq action of that letter
    cad - send Ctrl-Alt-Del to init
    stop - freeze every guest task until 'go'
    go - thaw the guest tasks after 'stop'
    log <string> - put <string> into the kernel log
    proc <file> - the contents of the guest's /proc/<file>
    stack <pid> - the state and registers of task <pid>
";

fn help(req: &Request, _: &str) {
    req.reply(HELP, false, false);
}

fn halt(req: &Request, _: &str) {
    req.reply("", false, false);
    let _k = crate::lock::entered();
    crate::boot::power_off("reboot: System halted");
}

fn reboot(req: &Request, _: &str) {
    req.reply("", false, false);
    let _k = crate::lock::entered();
    crate::boot::restart();
}

/// `cad`: Linux's ctrl_alt_del: a restart when reboot(2) enabled it, else
/// SIGINT to init (its default: init systems disable it and handle SIGINT).
fn cad(req: &Request, _: &str) {
    req.reply("", false, false);
    let _k = crate::lock::entered();
    if crate::syscall::reboot::cad_enabled() {
        crate::boot::restart();
    }
    if let Some(init) = crate::task::find_process(1) {
        signal::send_to_process(&init, SigInfo::new(SIGINT, SI_KERNEL));
    }
}

/// Runs `f` under the kernel lock and returns the kernel log lines it wrote,
/// as UML's with_console sends them (each line ended by a newline).
fn captured(f: impl FnOnce()) -> String {
    let seq = crate::printk::next_seq();
    {
        let _k = crate::lock::entered();
        f();
    }
    let mut out = String::new();
    let mut next = seq;
    while let Some(r) = crate::printk::record_from(next) {
        next = r.seq + 1;
        out.push_str(&r.text);
        out.push('\n');
    }
    out
}

/// Sends log lines captured by `captured` and then the last, empty reply.
fn reply_captured(req: &Request, lines: &str) {
    if !lines.is_empty() {
        req.reply(lines, false, true);
    }
    req.reply("", false, false);
}

fn sysrq(req: &Request, text: &str) {
    let key = argument(text, "sysrq").bytes().next().unwrap_or(0);
    // b ends the machine without a chance to answer afterwards.
    if key == b'b' {
        req.reply("", false, false);
    }
    let lines = captured(|| crate::sysrq::handle(key));
    reply_captured(req, &lines);
}

fn stop(req: &Request, _: &str) {
    let _k = crate::lock::entered();
    if crate::freezer::freeze() {
        log::info!("mconsole: guest tasks stopped");
        req.reply("", false, false);
    } else {
        req.reply("Already stopped", true, false);
    }
}

fn go(req: &Request, _: &str) {
    let _k = crate::lock::entered();
    if crate::freezer::thaw() {
        log::info!("mconsole: guest tasks continued");
        req.reply("", false, false);
    } else {
        req.reply("Not stopped", true, false);
    }
}

/// `log STRING`: STRING into the kernel log at KERN_WARNING, as UML's (a
/// line of its own for each of its lines; uml_mconsole ends each message
/// with a second request holding just a newline, which adds nothing).
fn log(req: &Request, text: &str) {
    let msg = text.get(4..).unwrap_or_default();
    for line in msg.split('\n').filter(|l| !l.is_empty()) {
        crate::printk::emit(4, line);
    }
    req.reply("", false, false);
}

/// The procfs instance `proc` reads (Linux's pid namespace's proc_mnt).
static PROC_MNT: KernelCell<Option<Path>> = KernelCell::new(None);

fn proc_root() -> arch::Result<Path> {
    if let Some(p) = PROC_MNT.borrow().as_ref() {
        return Ok(p.clone());
    }
    let p = fs::internal_mount(crate::proc::ProcFs::new(), "proc")?;
    *PROC_MNT.borrow_mut() = Some(p.clone());
    Ok(p)
}

/// `proc FILE`: the file's text, on a line of its own, in page-sized reads
/// as UML sends it.
fn proc(req: &Request, text: &str) {
    let name = argument(text, "proc");
    let _k = crate::lock::entered();
    let k = crate::boot::kernel();
    let opened = proc_root().and_then(|root| {
        k.vfs.open(
            &fs::Credentials::ROOT,
            &root,
            &root,
            name.as_bytes(),
            OpenFlags::empty(),
            0,
            &k.devices,
        )
    });
    let file = match opened {
        Ok(f) => f,
        Err(e) => {
            req.reply("Failed to open file", true, false);
            log::error!("open /proc/{name}: -{}", e.as_i32());
            return;
        }
    };
    let mut buf = vec![0u8; arch::PAGE_SIZE as usize - 1];
    let mut first = true;
    loop {
        let n = match file.read(&mut buf) {
            Ok(n) => n,
            Err(_) => {
                req.reply("Read of file failed", true, false);
                return;
            }
        };
        if std::mem::take(&mut first) {
            req.reply("\n", false, true);
        }
        req.reply_bytes(&buf[..n], false, n > 0);
        if n == 0 {
            return;
        }
    }
}

/// `stack PID`: what the kernel knows of the task: its state and the
/// registers of its last trap, into the log and the reply.
fn stack(req: &Request, text: &str) {
    let arg = argument(text, "stack");
    let digits = arg
        .char_indices()
        .find(|(i, c)| !(c.is_ascii_digit() || (*i == 0 && *c == '-')))
        .map_or(arg, |(i, _)| &arg[..i]);
    let Ok(pid) = digits.parse::<i32>() else {
        req.reply("Please specify a pid", true, false);
        return;
    };
    let k = crate::lock::entered();
    let task = crate::task::find_task(pid);
    drop(k);
    let Some(task) = task.filter(|_| pid != 0) else {
        req.reply("Couldn't find that pid", true, false);
        return;
    };
    let lines = captured(|| crate::sysrq::show_task(&task, true));
    reply_captured(req, &lines);
}

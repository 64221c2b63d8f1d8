//! Boot tests of the umid and the management console (issue 17), with UML's
//! own client: `./linux umid=NAME` makes `$HOME/.uml/NAME/` with its pid
//! and the `mconsole` socket, Debian's `uml_mconsole NAME CMD` gets UML's
//! answers to version, proc, log, sysrq, stop/go and halt, a second
//! instance of the same umid is refused, malformed datagrams get UML's
//! error replies, and the directory is gone after halt and after SIGTERM.
//!
//! Needs Debian's uml-utilities (`apt-get install uml-utilities`).

mod common;

use common::*;
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering::Relaxed};
use std::time::{Duration, Instant};

/// A scratch HOME for one test, removed when dropped.
struct Home(PathBuf);

impl Home {
    fn new(name: &str) -> Home {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("mconsole-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("scratch HOME");
        Home(dir)
    }

    fn umid_dir(&self, umid: &str) -> PathBuf {
        self.0.join(".uml").join(umid)
    }
}

impl Drop for Home {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Starts `linux umid=UMID` with HOME, running a shell that prints a
/// numbered tick every 200 ms; returns once the mconsole socket exists and
/// the first tick is out.
fn start(home: &Home, umid: &str) -> Running {
    let umid_word = format!("umid={umid}");
    let ubd = ubd0r();
    let script = "i=0; while true; do i=$((i+1)); echo tick $i; usleep 200000; done";
    let mut cmd = linux(&[&ubd, &umid_word, "init=/bin/sh", "--", "-c", script]);
    cmd.env("HOME", &home.0);
    let mut r = Running::spawn(&mut cmd, false);
    assert!(r.wait_for_stdout("tick 1"), "no tick:\n{}", r.stdout_seen);
    let sock = home.umid_dir(umid).join("mconsole");
    let until = Instant::now() + Duration::from_secs(10);
    while !sock.exists() {
        assert!(Instant::now() < until, "{} never appeared", sock.display());
        std::thread::sleep(Duration::from_millis(20));
    }
    r
}

/// Runs `uml_mconsole UMID WORDS...` with HOME; returns its exit status and
/// what it printed.
fn mconsole(home: &Home, umid: &str, words: &[&str]) -> (i32, String) {
    let tool = Path::new("/usr/bin/uml_mconsole");
    assert!(
        tool.exists(),
        "uml_mconsole not found: these tests need Debian's uml-utilities \
         (apt-get install uml-utilities)"
    );
    let out = Command::new(tool)
        .arg(umid)
        .args(words)
        .env("HOME", &home.0)
        .output()
        .expect("run uml_mconsole");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.code().unwrap_or(-1), text)
}

/// Returns the highest tick number the guest printed so far.
fn last_tick(r: &mut Running, wait: Duration) -> u32 {
    let until = Instant::now() + wait;
    r.stdout_seen.push_str(&drain_until(&r.stdout, until));
    r.stdout_seen
        .lines()
        .filter_map(|l| l.trim().strip_prefix("tick ")?.parse().ok())
        .max()
        .unwrap_or(0)
}

/// Returns the lines received on RX until UNTIL.
fn drain_until(rx: &std::sync::mpsc::Receiver<String>, until: Instant) -> String {
    let mut out = String::new();
    while let Ok(line) = rx.recv_timeout(until.saturating_duration_since(Instant::now())) {
        out.push_str(&line);
    }
    out
}

#[test]
fn uml_mconsole_commands_and_halt() {
    let home = Home::new("cmds");
    let umid = "mc-cmds";
    let mut r = start(&home, umid);
    let dir = home.umid_dir(umid);
    let pid = std::fs::read_to_string(dir.join("pid")).expect("pid file");
    assert_eq!(pid, format!("{}\n", r.child.id()), "the kernel's host pid");

    let (code, out) = mconsole(&home, umid, &["version"]);
    assert_eq!(code, 0, "{out}");
    let words: Vec<&str> = out.trim_end().split(' ').collect();
    assert_eq!(words[..2], ["OK", "Linux"], "{out}");
    assert!(out.trim_end().ends_with(" x86_64"), "{out}");

    let (code, out) = mconsole(&home, umid, &["proc", "meminfo"]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("\nMemTotal:") && out.contains("MemFree:"),
        "{out}"
    );
    let (code, out) = mconsole(&home, umid, &["proc", "no-such-file"]);
    assert_eq!((code, out.trim_end()), (1, "ERR Failed to open file"));

    // uml_mconsole sends the text, then a newline to end the line: two OKs.
    let (code, out) = mconsole(&home, umid, &["log", "mconsole-log-marker"]);
    assert!(
        code == 0 && out.lines().all(|l| l.trim_end() == "OK"),
        "{out}"
    );
    let (code, out) = mconsole(&home, umid, &["sysrq", "s"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("sysrq: Emergency Sync"), "{out}");
    let (code, out) = mconsole(&home, umid, &["bogus"]);
    assert_eq!((code, out.trim_end()), (1, "ERR Unknown command"));
    let (code, out) = mconsole(&home, umid, &["stack", "1"]);
    assert!(
        code == 0 && out.contains("pid:1 ") && out.contains("RIP:"),
        "{out}"
    );

    // stop freezes the guest: no tick while stopped; go lets it run on.
    let (code, out) = mconsole(&home, umid, &["stop"]);
    assert_eq!((code, out.trim_end()), (0, "OK"));
    let at_stop = last_tick(&mut r, Duration::from_millis(500));
    let (code, out) = mconsole(&home, umid, &["stop"]);
    assert_eq!((code, out.trim_end()), (1, "ERR Already stopped"));
    let still = last_tick(&mut r, Duration::from_secs(2));
    assert_eq!(at_stop, still, "the guest ran while stopped");
    // The kernel answers while its tasks are frozen.
    assert_eq!(mconsole(&home, umid, &["version"]).0, 0);
    let (code, out) = mconsole(&home, umid, &["go"]);
    assert_eq!((code, out.trim_end()), (0, "OK"));
    let after = last_tick(&mut r, Duration::from_secs(2));
    assert!(after > still, "no tick after go ({still} -> {after})");
    let (code, out) = mconsole(&home, umid, &["go"]);
    assert_eq!((code, out.trim_end()), (1, "ERR Not stopped"));

    // A second instance of the umid is refused, and leaves the first's
    // directory alone.
    let umid_word = format!("umid={umid}");
    let mut second = linux(&[&ubd0r(), &umid_word, "init=/bin/true"]);
    second.env("HOME", &home.0);
    let run = Running::spawn(&mut second, false).finish();
    assert_eq!(run.code(), Some(1), "{run}");
    assert!(run.stderr.contains("already in use"), "{run}");
    assert_eq!(run.stderr.lines().count(), 1, "one line:\n{run}");
    assert!(dir.join("pid").exists() && dir.join("mconsole").exists());

    let (code, out) = mconsole(&home, umid, &["halt"]);
    assert_eq!((code, out.trim_end()), (0, "OK"));
    let run = r.finish();
    assert_eq!(run.code(), Some(0), "{run}");
    assert!(run.stdout.contains("mconsole-log-marker"), "{run}");
    assert!(!dir.exists(), "{} is still there", dir.display());
}

/// Sends one datagram to the socket and returns the replies until one
/// without `more` (or the bare version-0 answer).
fn exchange(sock: &Path, packet: &[u8]) -> Vec<(u32, u32, Vec<u8>)> {
    use std::os::linux::net::SocketAddrExt;
    use std::os::unix::net::SocketAddr;
    static N: AtomicU32 = AtomicU32::new(0);
    // An abstract address of our own, as uml_mconsole binds, to be answered.
    let name = format!(
        "mconsole-test-{}-{}",
        std::process::id(),
        N.fetch_add(1, Relaxed)
    );
    let local = SocketAddr::from_abstract_name(name.as_bytes()).expect("abstract address");
    let me = UnixDatagram::bind_addr(&local).expect("bind");
    let addr = SocketAddr::from_pathname(sock).expect("address");
    me.set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    me.send_to_addr(packet, &addr).expect("send");
    let mut replies = Vec::new();
    loop {
        let mut buf = [0u8; 1024];
        let n = me.recv(&mut buf).expect("a reply");
        let word = |i: usize| u32::from_ne_bytes(buf[i..i + 4].try_into().expect("4 bytes"));
        if n < 12 || buf.starts_with(b"ERR ") {
            replies.push((u32::MAX, 0, buf[..n].to_vec()));
            return replies;
        }
        let (err, more, len) = (word(0), word(4), word(8) as usize);
        assert_eq!(n, 12 + len, "reply length");
        replies.push((err, more, buf[12..n - 1].to_vec()));
        if more == 0 {
            return replies;
        }
    }
}

fn request(magic: u32, version: u32, len: u32, text: &[u8]) -> Vec<u8> {
    let mut p = Vec::new();
    for w in [magic, version, len] {
        p.extend_from_slice(&w.to_ne_bytes());
    }
    p.extend_from_slice(text);
    p
}

#[test]
fn malformed_requests_and_sigterm() {
    let home = Home::new("bad");
    let umid = "mc-bad";
    let mut r = start(&home, umid);
    let sock = home.umid_dir(umid).join("mconsole");
    const MAGIC: u32 = 0xcafe_babe;

    let v0 = exchange(&sock, b"version");
    assert_eq!(v0.len(), 1);
    assert!(v0[0].2.starts_with(b"ERR Version 0"), "{:?}", v0);
    let cases: [(Vec<u8>, &str); 4] = [
        (
            request(MAGIC, 1, 7, b"version"),
            "This driver only supports version 2 clients",
        ),
        (request(MAGIC, 2, 512, b"version"), "Request too large"),
        (request(MAGIC, 2, u32::MAX, b""), "Request too large"),
        (request(MAGIC, 2, 4, b"nope"), "Unknown command"),
    ];
    for (packet, want) in cases {
        let got = exchange(&sock, &packet);
        assert_eq!(got, [(1, 0, want.as_bytes().to_vec())]);
    }
    // A header cut short, an empty datagram: an error, no crash.
    let got = exchange(&sock, &request(MAGIC, 2, 7, b"")[..6]);
    assert_eq!(got.len(), 1);
    assert!(got[0].0 != 0);
    assert!(exchange(&sock, b"")[0].2.starts_with(b"ERR "));

    // A long reply comes in packets of at most 511 bytes, `more` on all but
    // the last; the first says the file starts on a line of its own.
    let got = exchange(&sock, &request(MAGIC, 2, 12, b"proc meminfo"));
    assert!(got.len() > 2, "{got:?}");
    assert_eq!((got[0].0, got[0].1, &got[0].2[..]), (0, 1, &b"\n"[..]));
    assert!(got.iter().all(|(e, _, d)| *e == 0 && d.len() <= 511));
    assert!(got[..got.len() - 1].iter().all(|(_, m, _)| *m == 1));
    let text: Vec<u8> = got.iter().flat_map(|(_, _, d)| d.clone()).collect();
    assert!(String::from_utf8_lossy(&text).contains("MemTotal:"));
    let (code, out) = mconsole(&home, umid, &["version"]);
    assert_eq!(code, 0, "still answering: {out}");

    // SIGTERM of ./linux: it syncs, exits 143, and the directory goes.
    let _ = Command::new("kill")
        .args(["-TERM", &r.child.id().to_string()])
        .status();
    let run = r.finish();
    assert_eq!(run.code(), Some(128 + 15), "{run}");
    assert!(!home.umid_dir(umid).exists(), "umid directory left:\n{run}");
}

/// Waits for a stdout line containing MARKER (or finds it among the lines
/// seen already); fails with what was seen.
fn expect_line(r: &mut Running, marker: &str) {
    assert!(
        r.stdout_seen.contains(marker) || r.wait_for_stdout(marker),
        "no '{marker}' from the guest:\n{}",
        r.stdout_seen
    );
}

/// Sends one line to the guest's shell.
fn say(r: &mut Running, line: &str) {
    use std::io::Write;
    let stdin = r.stdin.as_mut().expect("stdin is piped");
    writeln!(stdin, "{line}").expect("write to the guest");
    stdin.flush().expect("flush");
}

/// Disk hot-plug: `config ubd1=IMG` attaches an ext4 image to the running
/// guest (its /dev node, sysfs, /proc/partitions and `add` uevents), the
/// guest mounts it and reads and writes files; `remove ubd1` is refused
/// while it is mounted or its device file open, and succeeds after, sending `remove`
/// uevents and taking the node away; the host file is then closed and
/// unlocked (it can be attached again), clean, and holds the guest's file.
#[test]
fn ubd_hotplug_and_remove() {
    let home = Home::new("hotplug");
    let umid = "mc-hotplug";
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let img = dir.join(format!("hotplug-{}.img", std::process::id()));
    let _img_gone = RemoveOnDrop(img.clone());
    let known = dir.join(format!("hotplug-{}.txt", std::process::id()));
    let _known_gone = RemoveOnDrop(known.clone());
    std::fs::write(&known, "known contents\n").expect("write the known file");
    let ok = Command::new(e2fsprogs("mkfs.ext4"))
        .args(["-q", "-F"])
        .arg(&img)
        .arg("16M")
        .output()
        .expect("run mkfs.ext4");
    assert!(ok.status.success(), "mkfs.ext4 failed: {ok:?}");
    let (_, err) = debugfs_w(&img, &format!("write {} known", known.display()));
    assert!(!err.contains("rror"), "debugfs write: {err}");

    let script = "export p=hp-; mkdir -p /tmp/m; \
        uevent sh -c 'echo \"${p}ev $ACTION $DEVNAME $DEVTYPE\"' & \
        usleep 300000; echo ${p}ready; \
        while [ ! -b /dev/ubdb ]; do usleep 20000; done; \
        echo ${p}seen $(cat /sys/block/ubdb/size) $(grep -c ubdb /proc/partitions); \
        mount -t ext4 /dev/ubdb /tmp/m && cat /tmp/m/known && \
        echo from the guest > /tmp/m/new && echo ${p}mounted; \
        read x; umount /tmp/m && echo ${p}unmounted; \
        exec 3</dev/ubdb; echo ${p}held; read x; exec 3<&-; echo ${p}closed; \
        read x; while [ -b /dev/ubdb ]; do usleep 20000; done; \
        echo ${p}gone $(ls /sys/block) $(grep -c ubdb /proc/partitions); \
        read x; echo ${p}end";
    let umid_word = format!("umid={umid}");
    let mut cmd = linux(&[&ubd0r(), &umid_word, "init=/bin/sh", "--", "-c", script]);
    cmd.env("HOME", &home.0);
    let mut r = Running::spawn(&mut cmd, true);
    expect_line(&mut r, "hp-ready");
    let sock = home.umid_dir(umid).join("mconsole");
    assert!(sock.exists(), "no mconsole socket");
    let mc = |words: &[&str]| mconsole(&home, umid, words);

    let missing = format!("ubd1={}", dir.join("no-such.img").display());
    let (code, out) = mc(&["config", &missing]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("ERR Couldn't determine size"), "{out}");
    assert_eq!(mc(&["config", "ubd1"]).1.trim_end(), "OK", "not attached");
    let attach = format!("ubd1={}", img.display());
    let (code, out) = mc(&["config", &attach]);
    assert_eq!((code, out.trim_end()), (0, "OK"));
    let (code, out) = mc(&["config", &attach]);
    assert_eq!(
        (code, out.trim_end()),
        (1, "ERR Device is already configured")
    );
    let (code, out) = mc(&["config", "ubd1"]);
    assert_eq!(
        (code, out.trim_end()),
        (0, &*format!("OK {}", img.display()))
    );
    let twice = format!("ubd2={}", img.display());
    let (code, out) = mc(&["config", &twice]);
    assert!(code == 1 && out.contains("same file as ubd1"), "{out}");

    expect_line(&mut r, "hp-seen 32768 1");
    expect_line(&mut r, "known contents");
    expect_line(&mut r, "hp-mounted");
    expect_line(&mut r, "hp-ev add ubdb disk");
    let (code, out) = mc(&["remove", "ubd1"]);
    assert_eq!((code, out.trim_end()), (1, "ERR Device is currently open"));
    let (code, out) = mc(&["remove", "ubd0"]);
    assert_eq!((code, out.trim_end()), (1, "ERR Device is currently open"));
    let (code, out) = mc(&["remove", "ubd3"]);
    assert_eq!((code, out.trim_end()), (1, "ERR Device doesn't exist"));
    say(&mut r, "go");
    expect_line(&mut r, "hp-unmounted");
    expect_line(&mut r, "hp-held");
    // An open block device file holds the disk too.
    let (code, out) = mc(&["remove", "ubd1"]);
    assert_eq!((code, out.trim_end()), (1, "ERR Device is currently open"));
    say(&mut r, "go");
    expect_line(&mut r, "hp-closed");
    let (code, out) = mc(&["remove", "ubd1"]);
    assert_eq!((code, out.trim_end()), (0, "OK"));
    say(&mut r, "go");
    expect_line(&mut r, "hp-gone ubda 0");
    expect_line(&mut r, "hp-ev remove ubdb disk");
    assert_eq!(mc(&["config", "ubd1"]).1.trim_end(), "OK", "detached");

    // The host file is closed and unlocked: clean, with the guest's file,
    // and it can be attached again at once.
    assert_fsck_clean(&img);
    let (data, err) = debugfs(&img, "cat /new");
    assert_eq!(String::from_utf8_lossy(&data), "from the guest\n", "{err}");
    let (code, out) = mc(&["config", &attach]);
    assert_eq!((code, out.trim_end()), (0, "OK"));
    let (code, out) = mc(&["remove", "ubd1"]);
    assert_eq!((code, out.trim_end()), (0, "OK"));

    say(&mut r, "go");
    expect_line(&mut r, "hp-end");
    let run = r.finish();
    assert_eq!(run.code(), Some(0), "{run}");
}

/// Returns the command lines of the passt processes the kernel of host
/// pid PID started (their socket directory is named after it).
fn passts_of(pid: &str) -> String {
    let out = Command::new("pgrep")
        .args(["-a", "-f", &format!("linux-passt-{pid}-")])
        .output()
        .expect("run pgrep");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Returns a host TCP port on the loopback that was free a moment ago.
fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    l.local_addr().expect("its address").port()
}

/// Network card hot-plug: `config eth1=user,...` attaches a card on
/// user-mode networking (passt) to the running guest, which sees it in
/// `ip link` and /sys/class/net, gets its `add` uevent and RTM_NEWLINK,
/// brings it up and takes a DHCP lease through it; `remove eth1` is
/// refused while it is up (UML's -EBUSY) and succeeds once it is down,
/// with RTM_DELLINK and a `remove` uevent; passt is gone on the reply and
/// its forwarded port free, so the same card can be attached again.
#[test]
fn eth_hotplug_and_remove() {
    if Command::new("passt").arg("--version").output().is_err() {
        eprintln!("eth_hotplug_and_remove: SKIP (no passt on the host)");
        return;
    }
    let home = Home::new("ethplug");
    let umid = "mc-ethplug";
    let script = "export p=np-; linkmon & \
        uevent sh -c 'echo \"${p}ev $ACTION $INTERFACE\"' & \
        usleep 300000; echo ${p}ready; \
        while [ ! -e /sys/class/net/eth1 ]; do usleep 20000; done; \
        echo ${p}seen $(cat /sys/class/net/eth1/address) $(ip -o link | grep -c ' eth1:'); \
        ip link set eth1 up && echo ${p}up $(cat /sys/class/net/eth1/flags); \
        udhcpc -i eth1 -n -q -t 10 -s /bin/true > /dev/null 2>&1 && echo ${p}lease; \
        read x; ip link set eth1 down && echo ${p}down; \
        read x; while [ -e /sys/class/net/eth1 ]; do usleep 20000; done; \
        echo ${p}gone $(ls /sys/class/net) $(ip -o link | grep -c eth1); \
        read x; echo ${p}end";
    let umid_word = format!("umid={umid}");
    let mut cmd = linux(&[&ubd0r(), &umid_word, "init=/bin/sh", "--", "-c", script]);
    cmd.env("HOME", &home.0);
    let mut r = Running::spawn(&mut cmd, true);
    expect_line(&mut r, "np-ready");
    expect_line(&mut r, "linkmon ready");
    let pid = std::fs::read_to_string(home.umid_dir(umid).join("pid")).expect("the pid file");
    let pid = pid.trim().to_string();
    let mc = |words: &[&str]| mconsole(&home, umid, words);

    let (code, out) = mc(&["config", "eth1=bogus"]);
    assert!(
        code == 1 && out.contains("ERR eth1=bogus: unknown transport 'bogus'"),
        "{out}"
    );
    let (code, out) = mc(&["config", "eth1"]);
    assert_eq!(
        (code, out.trim_end()),
        (1, "ERR No get_config routine defined")
    );
    let (code, out) = mc(&["remove", "eth1"]);
    assert_eq!((code, out.trim_end()), (1, "ERR Device doesn't exist"));
    let port = free_port();
    let card = format!("eth1=user,mac=02:00:00:00:00:31,hostfwd=tcp:127.0.0.1:{port}-:22");
    let (code, out) = mc(&["config", &card]);
    assert_eq!((code, out.trim_end()), (0, "OK"));
    assert!(
        passts_of(&pid).contains("-t"),
        "no passt: {}",
        passts_of(&pid)
    );
    let (code, out) = mc(&["config", "eth1=user"]);
    assert_eq!((code, out.trim_end()), (1, "ERR Device already configured"));

    expect_line(&mut r, "np-seen 02:00:00:00:00:31 1");
    expect_line(&mut r, "np-up 0x1003");
    expect_line(&mut r, "np-lease");
    expect_line(&mut r, "linkmon NEWLINK eth1 down");
    expect_line(&mut r, "linkmon NEWLINK eth1 up");
    expect_line(&mut r, "np-ev add eth1");
    let (code, out) = mc(&["remove", "eth1"]);
    assert_eq!((code, out.trim_end()), (1, "ERR Device is currently open"));
    let (code, out) = mc(&["remove", "eth1x"]);
    assert_eq!(
        (code, out.trim_end()),
        (1, "ERR Couldn't parse device number")
    );
    say(&mut r, "go");
    expect_line(&mut r, "np-down");
    let (code, out) = mc(&["remove", "eth1"]);
    assert_eq!((code, out.trim_end()), (0, "OK"));
    // The host side is released by the time the reply comes.
    assert_eq!(passts_of(&pid), "", "passt left after remove");
    let bound = std::net::TcpListener::bind(("127.0.0.1", port));
    assert!(bound.is_ok(), "port {port} still taken: {bound:?}");
    drop(bound);
    say(&mut r, "go");
    expect_line(&mut r, "np-gone lo 0");
    expect_line(&mut r, "linkmon DELLINK eth1");
    expect_line(&mut r, "np-ev remove eth1");
    let (code, out) = mc(&["remove", "eth1"]);
    assert_eq!((code, out.trim_end()), (1, "ERR Device doesn't exist"));

    // The same card again, its port and all, then gone again.
    let (code, out) = mc(&["config", &card]);
    assert_eq!((code, out.trim_end()), (0, "OK"));
    let (code, out) = mc(&["remove", "eth1"]);
    assert_eq!((code, out.trim_end()), (0, "OK"));
    assert_eq!(passts_of(&pid), "", "passt left after the second remove");

    say(&mut r, "go");
    expect_line(&mut r, "np-end");
    let run = r.finish();
    assert_eq!(run.code(), Some(0), "{run}");
}

/// Runs one write request of debugfs on IMG; returns (stdout, stderr).
fn debugfs_w(img: &Path, request: &str) -> (Vec<u8>, String) {
    let out = Command::new(e2fsprogs("debugfs"))
        .args(["-w", "-R", request])
        .arg(img)
        .output()
        .expect("run debugfs -w");
    (
        out.stdout,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

//! util-linux's process and IPC tools in the Debian image (ipcmk, ipcs,
//! ipcrm, prlimit, taskset, setarch, chrt), each printing what it prints on
//! the host: one script runs in the guest and, in a new IPC namespace, on
//! the host; the sections whose text does not depend on the machine are
//! compared (after the pids and the random IPC keys are blanked out), the
//! others checked line by line.

use super::*;
use std::collections::BTreeMap;

/// The script, one `@@NAME` line before each section's output.
const SCRIPT: &str = "\
echo @@ipcmk; ipcmk -M 4096; ipcmk -S 2; ipcmk -Q
echo @@ipcs; ipcs -m; ipcs -s; ipcs -q
echo @@ipcs-l; ipcs -l
echo @@ipcrm; ipcrm -a; echo ipcrm=$?; ipcs
echo @@prlimit; prlimit --pid $$
echo @@prlimit-set; prlimit --nofile=512:1024 sh -c 'ulimit -n; ulimit -Hn'
  prlimit --cpu=1:2 --pid $$; prlimit --cpu --pid $$
echo @@taskset; taskset -p $$; taskset -c 0 sh -c 'taskset -p $$'; taskset -pc 0 $$; taskset -p $$
echo @@uname26; uname -r; setarch x86_64 --uname-2.6 uname -r
echo @@personality; setarch -R sh -c 'cat /proc/self/personality'; cat /proc/self/personality
echo @@setarch-list; setarch --list
echo @@chrt-m; chrt -m
echo @@chrt; chrt -p $$; for p in '-f 10' '-b 0' '-i 0' '-r 5'; do chrt $p sh -c 'chrt -p $$'; done
echo @@chrt-dl-inval
  chrt -d --sched-runtime 3000000 --sched-deadline 2000000 --sched-period 2000000 0 true 2>&1
  echo status=$?
echo @@chrt-dl
  chrt -d --sched-runtime 1000000 --sched-deadline 2000000 --sched-period 2000000 0 true 2>&1
  echo status=$?
echo @@end
";

/// Splits OUT at its `@@NAME` lines into each section's text, with the pids
/// in `pid N's` and the IPC keys (`0x` and 8 hex digits) blanked out.
fn sections(out: &str) -> BTreeMap<String, String> {
    let mut map = BTreeMap::new();
    let mut name = String::new();
    for line in out.lines() {
        if let Some(n) = line.trim_end().strip_prefix("@@") {
            name = n.to_string();
            map.insert(name.clone(), String::new());
        } else if let Some(text) = map.get_mut(&name) {
            text.push_str(&blank(line.trim_end()));
            text.push('\n');
        }
    }
    map
}

/// LINE with `pid DIGITS's` as `pid N's` and `0xHHHHHHHH` as `0xKEY`.
fn blank(line: &str) -> String {
    let mut out = String::new();
    let mut rest = line;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix("pid ") {
            let digits = after.chars().take_while(char::is_ascii_digit).count();
            if digits > 0 && after[digits..].starts_with("'s") {
                out.push_str("pid N");
                rest = &after[digits..];
                continue;
            }
        }
        if let Some(after) = rest.strip_prefix("0x") {
            let hex = after.chars().take_while(char::is_ascii_hexdigit).count();
            if hex == 8 {
                out.push_str("0xKEY");
                rest = &after[8..];
                continue;
            }
        }
        let c = rest.chars().next().unwrap_or(' ');
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// prlimit's table without its values: each row's resource name, the
/// words of its description and its units (empty for NICE and RTPRIO).
fn prlimit_rows(text: &str) -> Vec<(String, String, String)> {
    let value = |w: &str| w == "unlimited" || w.parse::<u64>().is_ok();
    text.lines()
        .skip(1)
        .map(|l| {
            let words: Vec<&str> = l.split_whitespace().collect();
            let hard = words.iter().rposition(|w| value(w)).unwrap_or(0);
            let soft = hard.saturating_sub(1).max(1);
            (
                words.first().unwrap_or(&"").to_string(),
                words.get(1..soft).unwrap_or(&[]).join(" "),
                words.get(hard + 1..).unwrap_or(&[]).join(" "),
            )
        })
        .collect()
}

/// The soft and hard values of prlimit's row for RESOURCE in TEXT.
fn prlimit_values<'a>(text: &'a str, resource: &str) -> Vec<&'a str> {
    let row = text
        .lines()
        .find(|l| l.split_whitespace().next() == Some(resource));
    let words: Vec<&str> = row.unwrap_or("").split_whitespace().collect();
    let n = words.len();
    words
        .get(n.saturating_sub(3)..n.saturating_sub(1))
        .unwrap_or(&[])
        .to_vec()
}

/// What `setarch --uname-2.6` makes of RELEASE (Linux's override_release:
/// 2.6.(60 + the minor version), then whatever follows the version).
fn uname26(release: &str) -> String {
    let mut parts = release.splitn(3, '.');
    let _major = parts.next();
    let minor: u32 = parts.next().and_then(|m| m.parse().ok()).expect(release);
    let tail = parts.next().unwrap_or("");
    let rest = tail.trim_start_matches(|c: char| c.is_ascii_digit());
    format!("2.6.{}{rest}", 60 + minor)
}

/// ipcmk, ipcs (segments, arrays and queues, then the limits, which are
/// Linux's defaults in a new IPC namespace) and ipcrm; prlimit's table,
/// limits set for a new program and for a running one; taskset's masks
/// and lists; setarch's `--uname-2.6`, `-R` and `--list`; chrt's ranges,
/// every policy but SCHED_DEADLINE, which is refused as admission control
/// refuses it (EBUSY, after its parameters' check, which answers EINVAL as
/// on the host).
#[test]
fn util_linux_process_tools() {
    let run = boot(&[
        &format!("ubd0r={}", debian_image().display()),
        "mem=256M",
        "init=/bin/bash",
        "quiet",
        "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
        "--",
        "-c",
        &format!("mount -t proc proc /proc 2>/dev/null; {SCRIPT}"),
    ]);
    assert_init_exit(&run, 0);
    let host = Command::new("unshare")
        .args(["--ipc", "bash", "-c", SCRIPT])
        .env("LC_ALL", "C")
        .output()
        .expect("run unshare on the host");
    let host_out = String::from_utf8_lossy(&host.stdout);
    assert!(host.status.success(), "host: {host:?}");
    let guest = sections(&run.stdout);
    let host = sections(&host_out);
    assert!(
        guest.contains_key("end"),
        "the script ran to its end\n{run}"
    );
    for name in [
        "ipcmk",
        "ipcs",
        "ipcs-l",
        "ipcrm",
        "prlimit-set",
        "setarch-list",
        "chrt-m",
        "chrt-dl-inval",
    ] {
        let text = guest.get(name).filter(|t| !t.is_empty());
        assert!(text.is_some(), "no section {name}\n{run}");
        assert_eq!(text, host.get(name), "section {name}\n{run}");
    }
    // The same ids and sizes as on the host, as these lines say.
    for want in [
        "Shared memory id: 0\nSemaphore id: 0\nMessage queue id: 0\n",
        "0xKEY 0          root       644        4096       0",
        "0xKEY 0          root       644        2",
        "0xKEY 0          root       644        0            0",
        "max seg size (kbytes) = 18014398509465599",
        "semaphore max value = 32767",
        "ipcrm=0\n\n------ Message Queues --------\nkey        msqid      owner      perms      used-bytes   messages\n\n",
        "512\n1024\nRESOURCE DESCRIPTION SOFT HARD UNITS\nCPU      CPU time       1    2 seconds\n",
        "i686\nathlon\nx86_64\n",
        "SCHED_DEADLINE min/max priority\t: 0/0",
    ] {
        assert!(
            guest.values().any(|s| s.contains(want)),
            "no {want:?} in\n{run}"
        );
    }
    let rows = prlimit_rows(&guest["prlimit"]);
    assert_eq!(rows, prlimit_rows(&host["prlimit"]), "{run}");
    assert_eq!(rows.len(), 16, "{run}");
    assert!(
        guest["prlimit"].starts_with(
            "RESOURCE   DESCRIPTION                             SOFT      HARD UNITS\n"
        ),
        "{run}"
    );
    // init's RLIMIT_SIGPENDING is its RLIMIT_NPROC, as Linux's fork_init
    // sets them (half of threads-max).
    let nproc = prlimit_values(&guest["prlimit"], "NPROC");
    assert_eq!(nproc.len(), 2, "{run}");
    assert_eq!(
        nproc,
        prlimit_values(&guest["prlimit"], "SIGPENDING"),
        "{run}"
    );
    let taskset: Vec<&str> = guest["taskset"].lines().collect();
    assert_eq!(taskset.len(), 5, "{run}");
    let mask = taskset[0].strip_prefix("pid N's current affinity mask: ");
    assert!(
        mask.is_some_and(|m| u64::from_str_radix(m, 16).is_ok_and(|m| m & 1 == 1)),
        "{run}"
    );
    assert_eq!(taskset[1], "pid N's current affinity mask: 1", "{run}");
    assert!(
        taskset[2].starts_with("pid N's current affinity list: 0"),
        "{run}"
    );
    assert_eq!(taskset[3], "pid N's new affinity list: 0", "{run}");
    assert_eq!(taskset[4], "pid N's current affinity mask: 1", "{run}");
    let uname: Vec<&str> = guest["uname26"].lines().collect();
    assert_eq!(uname.len(), 2, "{run}");
    assert_eq!(uname[1], uname26(uname[0]), "{run}");
    assert_eq!(guest["personality"], "00040000\n00000000\n", "{run}");
    assert_eq!(
        guest["chrt"],
        "pid N's current scheduling policy: SCHED_OTHER\n\
         pid N's current scheduling priority: 0\n\
         pid N's current scheduling policy: SCHED_FIFO\n\
         pid N's current scheduling priority: 10\n\
         pid N's current scheduling policy: SCHED_BATCH\n\
         pid N's current scheduling priority: 0\n\
         pid N's current scheduling policy: SCHED_IDLE\n\
         pid N's current scheduling priority: 0\n\
         pid N's current scheduling policy: SCHED_RR\n\
         pid N's current scheduling priority: 5\n",
        "{run}"
    );
    assert_eq!(
        guest["chrt-dl-inval"], "chrt: failed to set pid N's policy: Invalid argument\nstatus=1\n",
        "{run}"
    );
    assert_eq!(
        guest["chrt-dl"], "chrt: failed to set pid N's policy: Device or resource busy\nstatus=1\n",
        "{run}"
    );
}

#!/usr/bin/env python3
"""Drives ./linux booting a Debian image on a pseudo-terminal, the way a person
at a terminal would: waits for prompts, types commands, presses Ctrl-C, and
checks what comes back. Prints the whole transcript; exits 0 only if every
step saw what it expected.

usage: debian-session.py LINUX IMAGE bash|bash-again|sysv
  bash        init=/bin/bash: python3, stty size, Ctrl-C, job control in a
              `setsid -cw bash` session, a file written, `exit` ends ./linux
  bash-again  a second boot sees the file and removes it
  sysv        sysvinit to login:, root logs in, `poweroff` ends ./linux
  systemd     the stock systemd image to login: on the console (hvc0), root
              logs in: is-system-running, --failed, journalctl -b, a
              sandboxed systemd-run (PrivateTmp=, ProtectSystem=,
              SystemCallFilter=, PrivateNetwork=); `systemctl poweroff` ends ./linux
  systemd-reboot  the systemd image: `systemctl reboot` restarts the kernel in
              the same ./linux, which boots to login: again; `systemctl
              poweroff` then ends it with status 0
"""
import fcntl, os, pty, re, select, struct, sys, termios, time

ROWS, COLS = 33, 111


class Session:
    def __init__(self, argv):
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            os.execv(argv[0], argv)
        fcntl.ioctl(self.fd, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLS, 0, 0))
        self.out = b""
        self.pos = 0  # where the next expect starts looking
        self.eof = False

    def _read(self, timeout):
        r, _, _ = select.select([self.fd], [], [], timeout)
        if not r:
            return
        try:
            data = os.read(self.fd, 65536)
        except OSError:
            data = b""
        if not data:
            self.eof = True
        self.out += data

    def expect(self, pattern, timeout=60):
        """Waits for `pattern` (a regex on bytes) after the last match."""
        deadline = time.monotonic() + timeout
        rx = re.compile(pattern)
        while True:
            m = rx.search(self.out, self.pos)
            if m:
                self.pos = m.end()
                return m
            left = deadline - time.monotonic()
            if left <= 0 or self.eof:
                raise Failure(f"timed out waiting for {pattern!r}")
            self._read(min(left, 0.5))

    def send(self, text):
        os.write(self.fd, text.encode())

    def line(self, text):
        self.send(text + "\r")

    def wait_exit(self, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                while not self.eof:
                    self._read(0.2)
                    if not select.select([self.fd], [], [], 0)[0]:
                        break
                return os.waitstatus_to_exitcode(status)
            self._read(0.2)
        raise Failure("./linux did not exit")


class Failure(Exception):
    pass


PROMPT = rb"\n[^\n]*# $"


def bash_session(s):
    s.expect(PROMPT)
    s.line("python3 -c 'import sys; print(sum(range(10**5)), sys.version_info[:2])'")
    s.expect(rb"4999950000 \(3, 11\)")
    s.expect(PROMPT)
    s.line("stty size")
    s.expect(rf"{ROWS} {COLS}".encode())
    s.expect(PROMPT)
    s.line("sleep 30")
    time.sleep(1)
    start = time.monotonic()
    s.send("\x03")
    s.expect(PROMPT, timeout=10)
    took = time.monotonic() - start
    print(f"\n[driver: Ctrl-C ended sleep 30 after {took:.2f}s]", file=sys.stderr)
    if took > 3:
        raise Failure(f"Ctrl-C took {took:.1f}s")
    s.line("echo status=$?")
    s.expect(rb"status=130")
    s.expect(PROMPT)
    # A session of its own, with the console as its controlling terminal.
    s.line("setsid -cw bash")
    s.expect(PROMPT)
    s.line("sleep 100 &")
    s.expect(rb"\[1\] \d+")
    s.expect(PROMPT)
    s.line("jobs")
    s.expect(rb"\[1\]\+\s+Running\s+sleep 100 &")
    s.expect(PROMPT)
    # `wait` makes bash report the killed job at once; without it the report
    # waits for whichever prompt follows the child's exit.
    s.line("kill %1; wait %1; jobs; echo jobs-$((6*7))")
    s.expect(rb"\[1\]\+\s+Terminated\s+sleep 100")
    s.expect(rb"jobs-42")
    s.expect(PROMPT)
    s.line("exit")
    s.expect(PROMPT)
    s.line("echo written-by-first-boot > /root/persist && sync && echo wrote-$((6*7))")
    s.expect(rb"wrote-42")
    s.expect(PROMPT)
    s.line("exit")
    status = s.wait_exit()
    if status != 0:
        raise Failure(f"./linux exited with {status}")


def bash_again(s):
    s.expect(PROMPT)
    s.line("cat /root/persist && rm /root/persist && echo removed-$((6*7))")
    s.expect(rb"written-by-first-boot\r?\n")
    s.expect(rb"removed-42")
    s.expect(PROMPT)
    s.line("exit")
    status = s.wait_exit()
    if status != 0:
        raise Failure(f"./linux exited with {status}")


def sysv(s):
    s.expect(rb"login: ", timeout=120)
    s.line("root")
    s.expect(PROMPT, timeout=60)
    s.line("echo runlevel=$(runlevel)")
    s.expect(rb"runlevel=N 2")
    s.expect(PROMPT)
    s.line("tty")
    s.expect(rb"/dev/tty0")
    s.expect(PROMPT)
    s.line("poweroff")
    # The login shell ends when login does (its terminal hangs up), so
    # sendsigs finds nothing left to kill.
    s.expect(rb"All processes ended within", timeout=120)
    status = s.wait_exit(timeout=120)
    if status != 0:
        raise Failure(f"./linux exited with {status}")


# Units allowed to fail for reasons not the kernel's: none today. (Debian's
# e2scrub_reap.service once stood here; its failure was the kernel's, a lock
# on a socket that PrivateNetwork= takes.)
NOT_THE_KERNELS = set()


def systemd(s):
    start = time.monotonic()
    s.expect(rb"login: ", timeout=180)
    took = time.monotonic() - start
    print(f"\n[driver: login: after {took:.2f}s]", file=sys.stderr)
    s.line("root")
    s.expect(PROMPT, timeout=60)
    s.line("systemctl is-system-running --wait; echo state-done")
    m = s.expect(rb"(\w+)\r?\nstate-done", timeout=120)
    state = m.group(1)
    s.expect(PROMPT)
    s.line("systemctl --failed --no-legend --plain | sed 's/^/failed: /'; echo failed-done")
    # The output line, not the command's echo: it starts a line, perhaps
    # after bash's bracketed-paste switch.
    m = s.expect(rb"(?:\n|\x1b\[\?2004l)\r?failed-done", timeout=60)
    listing = s.out[: m.start()].split(b"echo failed-done")[-1]
    failed = re.findall(rb"failed: ([\w@.\\:-]+\.[a-z]+) ", listing)
    s.expect(PROMPT)
    s.line("journalctl -b --no-pager | grep -c . ; journalctl -b --no-pager | grep -q 'Reached target.*Multi-User' && echo journal-ok")
    s.expect(rb"journal-ok", timeout=60)
    s.expect(PROMPT)
    s.line("systemd-run --wait -q -p PrivateTmp=yes -p ProtectSystem=strict "
           "-p SystemCallFilter=@system-service true; echo run=$?")
    s.expect(rb"run=0", timeout=60)
    s.expect(PROMPT)
    # The rest of the sandboxing options the issue names, together.
    s.line("systemd-run --wait -q -p ProtectHome=yes -p PrivateDevices=yes "
           "-p ReadOnlyPaths=/var -p ProtectKernelTunables=yes -p NoNewPrivileges=yes "
           "sh -c 'test ! -e /dev/ubda && test ! -w /proc/sys/kernel/hostname "
           "&& ! touch /var/x 2>/dev/null && grep -q \"NoNewPrivs:.*1\" /proc/self/status'; "
           "echo sandbox=$?")
    s.expect(rb"sandbox=0", timeout=60)
    s.expect(PROMPT)
    # PrivateNetwork= runs the service in a network namespace of its own.
    s.line('ns=$(systemd-run --wait -q --pipe -p PrivateNetwork=yes readlink /proc/self/ns/net); '
           'case $ns in "net:["*) [ "$ns" != "$(readlink /proc/self/ns/net)" ] '
           '&& echo private-net-ok;; *) echo "private-net-failed $ns";; esac')
    s.expect(rb"(?:\n|\x1b\[\?2004l)\r?private-net-ok", timeout=60)
    s.expect(PROMPT)
    # README lists the units that fail for reasons not the kernel's.
    unexplained = [u.decode() for u in failed if u not in NOT_THE_KERNELS]
    if unexplained:
        raise Failure(f"failed units: {unexplained}")
    if state != b"running" and not (state == b"degraded" and failed):
        raise Failure(f"is-system-running said {state.decode()}")
    s.line("systemctl poweroff")
    status = s.wait_exit(timeout=120)
    if status != 0:
        raise Failure(f"./linux exited with {status}")


def systemd_reboot(s):
    s.expect(rb"login: ", timeout=180)
    s.line("root")
    s.expect(PROMPT, timeout=60)
    s.line("systemctl is-system-running --wait; echo boot-id=$(cat /proc/sys/kernel/random/boot_id)")
    first = s.expect(rb"boot-id=([0-9a-f-]{36})", timeout=120).group(1)
    s.expect(PROMPT)
    s.line("systemctl reboot")
    s.expect(rb"reboot: Restarting system", timeout=120)
    s.expect(rb"login: ", timeout=180)
    s.line("root")
    s.expect(PROMPT, timeout=60)
    s.line("echo boot-id=$(cat /proc/sys/kernel/random/boot_id); journalctl --list-boots --no-pager | grep -c . ")
    second = s.expect(rb"boot-id=([0-9a-f-]{36})", timeout=60).group(1)
    s.expect(PROMPT)
    if first == second:
        raise Failure("the same boot id after the reboot")
    s.line("systemctl poweroff")
    status = s.wait_exit(timeout=120)
    if status != 0:
        raise Failure(f"./linux exited with {status}")


def main():
    linux, image, mode = sys.argv[1:4]
    mem = "512M" if mode.startswith("systemd") else "256M"
    argv = [linux, f"ubd0={image}", f"mem={mem}"] + os.environ.get("LINUX_EXTRA", "").split()
    if mode.startswith("bash"):
        argv += ["init=/bin/bash", "rw"]
    s = Session(argv)
    ok = True
    try:
        modes = {"bash": bash_session, "bash-again": bash_again, "sysv": sysv, "systemd": systemd,
                 "systemd-reboot": systemd_reboot}
        modes[mode](s)
    except Failure as e:
        print(f"\n[driver: FAILED: {e}]", file=sys.stderr)
        ok = False
        try:
            os.kill(s.pid, 9)
        except ProcessLookupError:
            pass
    sys.stdout.write(s.out.decode(errors="replace"))
    sys.exit(0 if ok else 1)


main()

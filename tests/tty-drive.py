#!/usr/bin/env python3
"""Runs a command on a new pseudo-terminal, like a person at a terminal would:
sets the window to 33x111, answers the guest's READY-* lines by typing, and
resizes the window on READY-WINCH. Prints everything the command wrote and
exits with its status."""
import fcntl, os, pty, select, struct, sys, termios, time

ANSWERS = {
    b"READY-LINE": b"abc\x7fd\r",
    b"READY-RAW": b"x",
    b"READY-INTR": b"\x03",
}

def set_size(fd, rows, cols):
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))

def main():
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(sys.argv[1], sys.argv[1:])
    set_size(fd, 33, 111)
    out = b""
    seen = 0
    deadline = time.time() + 120
    while time.time() < deadline:
        r, _, _ = select.select([fd], [], [], 0.5)
        if not r:
            continue
        try:
            data = os.read(fd, 4096)
        except OSError:
            break
        if not data:
            break
        out += data
        while True:
            nl = out.find(b"\n", seen)
            if nl < 0:
                break
            line = out[seen:nl].strip()
            seen = nl + 1
            if line in ANSWERS:
                time.sleep(0.1)
                os.write(fd, ANSWERS[line])
            elif line == b"READY-WINCH":
                time.sleep(0.1)
                set_size(fd, 40, 100)
    sys.stdout.write(out.decode(errors="replace"))
    _, status = os.waitpid(pid, 0)
    sys.exit(os.waitstatus_to_exitcode(status) if hasattr(os, "waitstatus_to_exitcode") else status >> 8)

main()

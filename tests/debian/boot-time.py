#!/usr/bin/env python3
"""Time from starting ./linux to `login:` on its console, for each image given
(a sparse copy is booted, then powered off), the median of RUNS boots each.
There is no native line to set beside it where the host runs no systemd
(systemd-nspawn needs one), so the sysvinit image stands beside the systemd one.

usage: boot-time.py LINUX RUNS NAME=IMAGE...
"""
import os, shutil, statistics, subprocess, sys, tempfile, time

here = os.path.dirname(os.path.abspath(__file__))
src = open(os.path.join(here, "..", "debian-session.py")).read().replace("\nmain()\n", "\n")
session = {}
exec(compile(src, "debian-session.py", "exec"), session)


def boot_once(linux, image):
    with tempfile.TemporaryDirectory() as tmp:
        copy = os.path.join(tmp, "boot.img")
        subprocess.run(["cp", "--sparse=always", image, copy], check=True)
        start = time.monotonic()
        s = session["Session"]([linux, f"ubd0={copy}", "mem=512M"])
        s.expect(rb"login: ", timeout=180)
        took = time.monotonic() - start
        s.line("root")
        s.expect(session["PROMPT"], timeout=60)
        s.line("poweroff")
        s.wait_exit(timeout=120)
        return took


def main():
    linux, runs = sys.argv[1], int(sys.argv[2])
    for spec in sys.argv[3:]:
        name, image = spec.split("=", 1)
        times = [boot_once(linux, image) for _ in range(runs)]
        print(f"{name:10} login: after {statistics.median(times):.2f} s "
              f"(median of {runs}: {', '.join(f'{t:.2f}' for t in times)})")


main()

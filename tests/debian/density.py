#!/usr/bin/env python3
"""Many instances on one host: N copies of ./linux (mem=256M each) started
together from copy-on-write files over one read-only base image, each on a
pty of its own; reports when all showed `login:`, then, after they idle,
each instance's host memory as the PSS of its processes (the kernel and its
stubs, shared pages split among their sharers), and how the instances'
threads were spread over the host's CPUs. Kills them at the end.

usage: density.py LINUX IMAGE N
"""
import collections, os, shutil, signal, subprocess, sys, tempfile, time

here = os.path.dirname(os.path.abspath(__file__))
src = open(os.path.join(here, "..", "debian-session.py")).read().replace("\nmain()\n", "\n")
session = {}
exec(compile(src, "debian-session.py", "exec"), session)


def children(pid):
    out = []
    for e in os.listdir("/proc"):
        if e.isdigit():
            try:
                stat = open(f"/proc/{e}/stat").read()
            except OSError:
                continue
            if int(stat[stat.rfind(")") + 2:].split()[1]) == pid:
                out.append(int(e))
    return out


def pss_kib(pid):
    try:
        for line in open(f"/proc/{pid}/smaps_rollup"):
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def cpus_of(pid):
    """The host CPU each thread of pid last ran on."""
    out = []
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            stat = open(f"/proc/{pid}/task/{tid}/stat").read()
            out.append(int(stat[stat.rfind(")") + 2:].split()[36]))
        except (OSError, IndexError, ValueError):
            pass
    return out


def main():
    linux, image, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    with tempfile.TemporaryDirectory() as tmp:
        base = os.path.join(tmp, "base.img")
        subprocess.run(["cp", "--sparse=always", image, base], check=True)
        os.chmod(base, 0o444)
        start = time.monotonic()
        sessions = []
        for i in range(n):
            cow = os.path.join(tmp, f"instance{i}.cow")
            argv = [linux, f"ubd0={cow},{base}", "mem=256M", f"umid=density{i}",
                    f"uml_dir={tmp}/uml"]
            sessions.append(session["Session"](argv))
        try:
            for s in sessions:
                s.expect(rb"login: ", timeout=900)
            took = time.monotonic() - start
            print(f"{n} instances: all at login: after {took:.1f} s")
            time.sleep(20)
            per = []
            cpus = collections.Counter()
            for s in sessions:
                procs = [s.pid] + children(s.pid)
                per.append(sum(pss_kib(p) for p in procs) / 1024)
                for p in procs:
                    cpus.update(cpus_of(p))
            per.sort()
            print(f"host memory per idle instance (PSS of the kernel and its stubs): "
                  f"median {per[len(per) // 2]:.1f} MiB, min {per[0]:.1f}, max {per[-1]:.1f}")
            print("threads last seen per host CPU: "
                  + ", ".join(f"cpu{c}: {k}" for c, k in sorted(cpus.items())))
        finally:
            for s in sessions:
                try:
                    os.kill(s.pid, signal.SIGKILL)
                except OSError:
                    pass
            for s in sessions:
                try:
                    os.waitpid(s.pid, 0)
                except OSError:
                    pass


main()

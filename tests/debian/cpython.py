"""Runs CPython regression test modules one at a time (`python3 -m test -v
MODULE`) and prints one line per module: "MODULE run passed failed skipped
seconds", then the names of the tests that failed. Runs inside the Debian image:
under ./linux, and natively in a chroot of the same tree."""
import re, signal, subprocess, sys, time

MODULES = """test_os test_posix test_subprocess test_signal test_select
test_selectors test_fcntl test_pty test_tempfile test_shutil test_tarfile
test_mmap test_threading test_file test_fileio test_io test_pathlib test_glob
test_stat test_time test_resource test_termios test_socket test_socketserver
test_httplib test_urllib2_localnet test_ssl test_asyncio.test_sock_lowlevel
test_asyncio.test_streams test_asyncio.test_server test_asyncio.test_sendfile
test_asyncio.test_events""".split()

# Per-module arguments, the same on both sides. test_socket's VSOCK tests
# hang natively on hosts with a vsock transport loaded and AF_VSOCK does not
# exist under ./linux; test_socketserver runs only with the network resource,
# which stays on lo inside the namespace both runs have.
EXTRA = {
    "test_socket": ["-i", "*VSOCK*"],
    "test_socketserver": ["-u", "network"],
}

result = re.compile(r"^(ok|FAIL|ERROR|skipped.*|expected failure|unexpected success)$")


def run(module, timeout):
    start = time.monotonic()
    try:
        p = subprocess.run([sys.executable, "-m", "test", "-v", *EXTRA.get(module, []), module],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           stdin=subprocess.DEVNULL, timeout=timeout)
        out = p.stdout.decode(errors="replace")
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"").decode(errors="replace") + "\nTIMEOUT\n"
    secs = time.monotonic() - start
    counts = {"ok": 0, "fail": 0, "skip": 0}
    failed = []
    for line in out.splitlines():
        if " ... " not in line:
            continue
        name, _, verdict = line.rpartition(" ... ")
        verdict = verdict.strip()
        if verdict in ("ok", "expected failure"):
            counts["ok"] += 1
        elif verdict.startswith("skipped"):
            counts["skip"] += 1
        elif verdict in ("FAIL", "ERROR", "unexpected success"):
            counts["fail"] += 1
            failed.append(name.strip())
    ran = re.findall(r"^Ran (\d+) tests?", out, re.M)
    total = sum(int(n) for n in ran)
    if "TIMEOUT" in out:
        failed.append("(timed out)")
    crashed = total == 0 and not counts["skip"]
    return total, counts, failed, secs, crashed, out


def main():
    # A run started in the background inherits SIGINT ignored, which the
    # tests of KeyboardInterrupt need delivered: give the modules the default.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    modules = sys.argv[1:] or MODULES
    for m in modules:
        total, c, failed, secs, crashed, out = run(m, timeout=1200)
        print(f"MODULE {m} {total} {c['ok']} {c['fail']} {c['skip']} {secs:.0f}", flush=True)
        for f in failed:
            print(f"FAILED {m} {f}", flush=True)
        if crashed:
            tail = out.strip().splitlines()[-15:]
            for line in tail:
                print(f"OUTPUT {m} {line}", flush=True)
    print("DONE", flush=True)


main()

# gdb commands that show the guest of a running `linux` kernel from the host.
#
# The kernel embeds this file in its `.debug_gdb_scripts` section
# (arch/src/gdb_scripts.rs), so gdb runs it when it loads the binary once
# auto-load trusts the binary:
#
#     gdb -iex "add-auto-load-safe-path /path/to/linux" -p $(pidof linux)
#
# Commands: lx-ps, lx-dmesg, lx-mounts, lx-task TID, lx-files PID. They read
# the kernel's Rust data structures through gdb's value API (the binary has
# full debug information for the workspace crates) while gdb holds the
# process stopped; they never call into the kernel, so they work on a kernel
# that is wedged or holds the kernel lock. The readers of Rust std types
# (Arc, Vec, VecDeque, BTreeMap, String, Option, the cells and mutexes) are
# below; they follow the layouts of the toolchain in rust-toolchain.toml.

import re

import gdb


class Rust:
    """Switches gdb's language to Rust while inside, for enum values."""

    def __enter__(self):
        self.saved = gdb.parameter("language")
        gdb.execute("set language rust", to_string=True)

    def __exit__(self, *exc):
        gdb.execute("set language " + self.saved, to_string=True)


def static(name):
    """Returns the value of the Rust static `name` (a full path)."""
    sym = gdb.lookup_global_symbol(name, gdb.SYMBOL_VAR_DOMAIN)
    if sym is None:
        sym = gdb.lookup_static_symbol(name, gdb.SYMBOL_VAR_DOMAIN)
    if sym is not None and sym.addr_class != gdb.SYMBOL_LOC_TYPEDEF:
        return sym.value()
    # A static that shares its path with a type (a macro's) is found by
    # the Rust expression parser.
    try:
        with Rust():
            return gdb.parse_and_eval(name)
    except gdb.error:
        raise gdb.GdbError(
            "no symbol %s: is this the linux kernel, built with debug information?" % name
        )


# Wrapper types whose one interesting field holds the value itself.
WRAPPERS = (
    ("arch::sync::kernel_lock::KernelCell<", "value"),
    ("arch::sync::mutex::Mutex<", "inner"),
    ("std::sync::poison::mutex::Mutex<", "data"),
    ("core::cell::UnsafeCell<", "value"),
    ("core::cell::Cell<", "value"),
    ("core::cell::RefCell<", "value"),
    ("core::mem::manually_drop::ManuallyDrop<", "value"),
    ("core::mem::maybe_dangling::MaybeDangling<", "__0"),
    ("core::mem::maybe_uninit::MaybeUninit<", "value"),
    ("core::sync::atomic::Atomic", "v"),
)


def inner(v):
    """Returns the value inside cells, mutexes and atomics (no locking:
    gdb holds every kernel thread stopped)."""
    while True:
        name = v.type.strip_typedefs().name or ""
        for prefix, field in WRAPPERS:
            if name.startswith(prefix):
                v = v[field]
                break
        else:
            return v


def once(v):
    """Returns the value of a OnceLock, or None while it is unset."""
    state = int(inner(v["once"]["inner"]["state_and_queued"]))
    # std's futex Once (of the pinned toolchain): COMPLETE is 0, INCOMPLETE 3.
    if state != 0:
        return None
    return inner(v["value"])


def variant(v):
    """Returns the name of the variant an enum value holds ("Some", "None")."""
    with Rust():
        text = v.format_string(max_depth=1, raw=True)
    prefix = str(v.type.strip_typedefs()) + "::"
    if text.startswith(prefix):
        text = text[len(prefix) :]
    m = re.match(r"[A-Za-z_][A-Za-z0-9_]*", text)
    return m.group(0) if m else text


def option(v):
    """Returns the payload of an Option, or None."""
    if variant(v) != "Some":
        return None
    return v["Some"]["__0"]


def raw_pointer(v):
    """Returns the raw pointer inside a NonNull or Unique."""
    while v.type.strip_typedefs().code != gdb.TYPE_CODE_PTR:
        v = v[v.type.strip_typedefs().fields()[0]]
    return v


def arc(v):
    """Returns the value an Arc points to."""
    return raw_pointer(v["ptr"]).dereference()["data"]


def weak(v):
    """Returns the value a Weak points to, or None once it is dead."""
    p = raw_pointer(v["ptr"])
    if int(p.cast(gdb.lookup_type("u64"))) == 0xFFFFFFFFFFFFFFFF:
        return None
    inner_arc = p.dereference()
    if int(inner(inner_arc["strong"])) == 0:
        return None
    return inner_arc["data"]


# For each trait: the address of each implementor's vtable -> its type name.
VTABLES = {}


def vtable_types(trait):
    """Returns {vtable address: type name} of the types that implement
    `trait` (a full path), from the vtables' debug information (rustc
    names them "<TYPE as TRAIT>::{vtable}"; they have no ELF symbol)."""
    if trait not in VTABLES:
        found = {}
        out = gdb.execute(
            "info variables -n as %s>::.vtable" % re.escape(trait), to_string=True
        )
        for m in re.finditer(r"<(.+) as %s>::\{vtable_type\}" % re.escape(trait), out):
            name = "<%s as %s>::{vtable}" % (m.group(1), trait)
            # Each codegen unit that makes the vtable has its own copy.
            for sym in gdb.lookup_static_symbols(name):
                found[int(sym.value().address)] = m.group(1)
        VTABLES[trait] = found
    return VTABLES[trait]


def dyn_arc(v):
    """Returns (concrete type name, pointer to the ArcInner) of an
    `Arc<dyn Trait>`."""
    ptr = v["ptr"]["pointer"]
    data, vtable = ptr["pointer"], int(ptr["vtable"])
    m = re.search(r"<dyn ([^>+ ]+)", str(ptr.type))
    trait = m.group(1) if m else ""
    return vtable_types(trait).get(vtable, "?"), data


def vec_items(v):
    """Yields the elements of a Vec."""
    ty = v.type.strip_typedefs().template_argument(0)
    ptr = raw_pointer(v["buf"]["inner"]["ptr"]).cast(ty.pointer())
    for i in range(int(v["len"])):
        yield (ptr + i).dereference()


def vecdeque_items(v):
    """Yields the elements of a VecDeque, front first."""
    ty = v.type.strip_typedefs().template_argument(0)
    buf = v["buf"]["inner"]
    ptr = raw_pointer(buf["ptr"]).cast(ty.pointer())
    cap = buf["cap"]
    if cap.type.strip_typedefs().code != gdb.TYPE_CODE_INT:
        cap = cap["__0"]
    cap, head = int(cap), int(v["head"])
    for i in range(int(v["len"])):
        yield (ptr + (head + i) % cap).dereference()


def btree_items(m):
    """Yields the (key, value) pairs of a BTreeMap in key order."""
    if int(m["length"]) == 0:
        return
    root = option(m["root"])
    if root is None:
        return

    def walk(node, height):
        leaf = node.dereference()
        n = int(leaf["len"])
        edges = None
        if height > 0:
            internal = gdb.lookup_type(
                str(node.type.target()).replace("LeafNode", "InternalNode", 1)
            )
            edges = node.cast(internal.pointer()).dereference()["edges"]
        for i in range(n + 1):
            if edges is not None:
                yield from walk(raw_pointer(inner(edges[i])), height - 1)
            if i < n:
                yield inner(leaf["keys"][i]), inner(leaf["vals"][i])

    yield from walk(raw_pointer(root["node"]), int(root["height"]))


def read_bytes(ptr, length):
    if length == 0:
        return b""
    return bytes(gdb.selected_inferior().read_memory(ptr, length))


def vec_bytes(v):
    """Returns the bytes of a Vec<u8>."""
    return read_bytes(raw_pointer(v["buf"]["inner"]["ptr"]), int(v["len"]))


def string(v):
    """Returns a String's text."""
    return vec_bytes(v["vec"]).decode("utf-8", "replace")


# The kernel's own structures.


def live_tasks():
    """Yields every live Task (the values, not the Arcs), in tid order."""
    pids = inner(static("linux::task::PIDS"))
    for tid, w in btree_items(pids["tasks"]):
        t = weak(w)
        if t is not None:
            yield int(tid), t


def processes():
    """Yields every Process, zombies included, in pid order."""
    pids = inner(static("linux::task::PIDS"))
    for pid, w in btree_items(pids["processes"]):
        p = weak(w)
        if p is not None:
            yield int(pid), p


def find_process(pid):
    for p_id, p in processes():
        if p_id == pid:
            return p
    raise gdb.GdbError("no process %d" % pid)


def find_task(tid):
    for t_id, t in live_tasks():
        if t_id == tid:
            return t
    raise gdb.GdbError("no task %d" % tid)


def comm(process):
    return vec_bytes(inner(process["comm"])).decode("utf-8", "replace")


def task_state(t):
    """Returns the task's state letter as /proc/PID/stat gives it, or "G"
    for guest code running (the thread waits for its stub's next trap)."""
    p = arc(t["process"])
    if option(inner(p["exit_status"])) is not None:
        return "Z"
    if option(inner(p["signal"])["stopped"]) is not None:
        return "T"
    if int(inner(t["in_guest"])):
        return "G"
    if int(inner(arc(t["waiter"])["sleeping"])):
        return "S"
    return "R"


def stub_pid(t):
    """Returns the host pid of the task's stub (0: none, or gone)."""
    cpu = once(t["cpu"])
    if cpu is None:
        return 0
    concrete, data = dyn_arc(cpu)
    try:
        ty = gdb.lookup_type("alloc::sync::ArcInner<%s>" % concrete)
    except gdb.error:
        return 0
    handle = data.cast(ty.pointer()).dereference()["data"]
    fields = [f.name for f in handle.type.strip_typedefs().fields()]
    # The ptrace backend's handle keeps it as `pid: StubPid(Mutex<pid_t>)`;
    # the seccomp backend's names the task's host thread in its stub,
    # `thread: Mutex<Option<(Arc<Stub>, pid_t)>>`.
    if "pid" in fields:
        return int(inner(handle["pid"]["__0"]))
    thread = option(inner(handle["thread"]))
    if thread is None:
        return 0
    return int(thread["__1"])


def host_thread(t):
    """Returns the gdb thread of the task's kernel thread, or None."""
    lwp = int(inner(t["host_tid"]))
    for th in gdb.selected_inferior().threads():
        if th.ptid[1] == lwp:
            return th
    return None


# Frames of the sleeping machinery, skipped when looking for what a task waits on.
SLEEP_FRAMES = ("std::", "core::", "alloc::", "arch::sync::", "linux::sleep::")


def short(name):
    """Returns a function name without its generic arguments."""
    out, depth = "", 0
    for ch in name:
        if ch == "<":
            depth += 1
        elif ch == ">":
            depth -= 1
        elif depth == 0:
            out += ch
    return out


def kernel_frames(t):
    """Returns the function names on the task's kernel stack, newest first."""
    th = host_thread(t)
    if th is None:
        return []
    saved = gdb.selected_thread()
    names = []
    try:
        th.switch()
        f = gdb.newest_frame()
        while f is not None and len(names) < 64:
            names.append(f.name() or "")
            f = f.older()
    except gdb.error:
        pass
    finally:
        if saved is not None:
            saved.switch()
    return names


def wchan(frames):
    """Returns the kernel function the task waits in (Linux's wchan)."""
    for name in frames:
        if name.startswith("linux::") and not name.startswith(SLEEP_FRAMES):
            return short(name)
    return "-"


def syscall_handler(frames):
    """Returns the name of the system call whose handler (`sys_NAME`, under
    linux::syscall) is on the kernel stack, or None."""
    for name in frames:
        base = short(name)
        if base.startswith("linux::syscall::"):
            last = base.split("::")[-1]
            if last.startswith("sys_"):
                return last[4:]
    return None


class LxPs(gdb.Command):
    """List the guest's tasks: pid, tid, comm, state, what each waits on,
    its kernel thread's and its stub's host ids.
State: R running in the kernel, S sleeping, T stopped, Z zombie, G running
guest code."""

    def __init__(self):
        super().__init__("lx-ps", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        rows = []
        for tid, t in live_tasks():
            p = arc(t["process"])
            state = task_state(t)
            waits = wchan(kernel_frames(t)) if state == "S" else "-"
            rows.append(
                (int(p["pid"]), tid, comm(p), state, waits, int(inner(t["host_tid"])), stub_pid(t))
            )
        # Zombies have no thread left: one line per process, as ps shows them.
        for pid, p in processes():
            if int(inner(p["threads"])["len"]) == 0:
                rows.append((pid, pid, comm(p), "Z", "-", 0, 0))
        rows.sort(key=lambda r: (r[0], r[1]))
        gdb.write(
            "%6s %6s %-16s %s %-32s %8s %8s\n"
            % ("PID", "TID", "COMM", "S", "WAITS IN", "THREAD", "STUB")
        )
        for row in rows:
            gdb.write("%6d %6d %-16s %s %-32s %8d %8d\n" % row)


class LxDmesg(gdb.Command):
    """Print the kernel log ring, as dmesg does."""

    def __init__(self):
        super().__init__("lx-dmesg", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        printk = once(static("linux::printk::PRINTK"))
        if printk is None:
            raise gdb.GdbError("the kernel log is not started yet")
        ring = inner(printk["ring"])
        for r in vecdeque_items(ring["records"]):
            usec = int(r["usec"])
            gdb.write("[%5d.%06d] %s\n" % (usec // 1000000, usec % 1000000, string(r["text"])))


def dentry_name(d):
    return vec_bytes(inner(d["name"])).decode("utf-8", "replace")


def d_path(mnt, dentry):
    """Returns the path of (mount, dentry) from the root of the tree, as
    Linux's d_path: names up to the mount's root, then up from its
    mountpoint."""
    parts = []
    while True:
        root = raw_pointer(mnt["root"]["ptr"])
        while int(dentry.address) != int(root["data"].address):
            parts.append(dentry_name(dentry))
            parent = option(inner(dentry["parent"]))
            if parent is None:
                break
            dentry = arc(parent)
        mp = option(inner(mnt["mountpoint"]))
        if mp is None:
            break
        mnt, dentry = arc(mp["__0"]), arc(mp["__1"])
    return "/" + "/".join(reversed(parts))


def str_slice(v):
    """Returns a &str's text."""
    return read_bytes(v["data_ptr"], int(v["length"])).decode("utf-8", "replace")


def fs_type(mnt):
    return str_slice(mnt["fstype"])


def mount_line(mnt):
    return "%-16s %-32s %s (mount %d)" % (
        string(mnt["source"]),
        d_path(mnt, arc(mnt["root"])),
        fs_type(mnt),
        int(mnt["id"]),
    )


class LxMounts(gdb.Command):
    """List the mounts of the kernel's tree (those of every mount namespace):
source, mountpoint, filesystem type."""

    def __init__(self):
        super().__init__("lx-mounts", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        k = once(static("linux::boot::KERNEL"))
        if k is None:
            raise gdb.GdbError("the kernel has not booted yet")
        vfs = arc(k["vfs"])
        gdb.write("%-16s %-32s %s\n" % ("SOURCE", "MOUNTPOINT", "TYPE"))
        gdb.write(mount_line(arc(vfs["root"]["mnt"])) + "\n")
        for m in vec_items(inner(vfs["mounts"])):
            gdb.write(mount_line(arc(m)) + "\n")


def task_arg(arg):
    try:
        return int(gdb.parse_and_eval(arg))
    except (gdb.error, ValueError):
        raise gdb.GdbError("usage: a guest pid or tid")


REGS = (
    ("rip", "rsp", "rbp", "eflags"),
    ("rax", "rbx", "rcx", "rdx"),
    ("rsi", "rdi", "r8", "r9"),
    ("r10", "r11", "r12", "r13"),
    ("r14", "r15", "orig_rax", "cs"),
    ("fs_base", "gs_base", "ss", "ds"),
)


def sigset(s):
    """Returns the signal numbers in a mask, as a list "2,15"."""
    return ",".join(str(i + 1) for i in range(64) if s >> i & 1) or "-"


class LxTask(gdb.Command):
    """Show one guest task: its registers as of its last trap into the kernel,
    the system call it is in, its signal state.
Usage: lx-task TID"""

    def __init__(self):
        super().__init__("lx-task", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        tid = task_arg(arg)
        t = find_task(tid)
        p = arc(t["process"])
        state = task_state(t)
        frames = kernel_frames(t)
        gdb.write(
            "task %d (pid %d, %s) state %s, kernel thread %d, stub %d\n"
            % (tid, int(p["pid"]), comm(p), state, int(inner(t["host_tid"])), stub_pid(t))
        )
        r = inner(t["trap_regs"])
        for row in REGS:
            gdb.write("  ".join("%-8s %016x" % (n.upper(), int(r[n])) for n in row) + "\n")
        handler = syscall_handler(frames) if state != "G" else None
        if handler is not None:
            nr = int(r["orig_rax"])
            gdb.write("system call: %s (%d), waits in %s\n" % (handler, nr, wchan(frames)))
        elif state == "G":
            gdb.write("system call: none (running guest code)\n")
        else:
            gdb.write("system call: none\n")
        ts = inner(t["signal"])
        ps = inner(p["signal"])
        gdb.write("blocked:  %s\n" % sigset(int(ts["mask"])))
        gdb.write("pending (thread):  %s\n" % pending_set(ts["pending"]))
        gdb.write("pending (process): %s\n" % pending_set(ps["pending"]))
        handled = []
        for i, a in enumerate(inner(p["sigactions"])[j] for j in range(64)):
            h = int(a["handler"])
            if h == 1:
                handled.append("%d:ign" % (i + 1))
            elif h != 0:
                handled.append("%d:%x" % (i + 1, h))
        gdb.write("handlers: %s\n" % (" ".join(handled) or "-"))
        stopped = option(ps["stopped"])
        if stopped is not None:
            gdb.write("stopped by signal %d\n" % int(stopped))


def pending_set(pending):
    """Returns the signals queued in a SigPending."""
    for f in pending.type.strip_typedefs().fields():
        if f.name in ("set", "mask", "signal"):
            return sigset(int(pending[f.name]))
    # Otherwise the first u64 field is the set.
    for f in pending.type.strip_typedefs().fields():
        if str(f.type) == "u64":
            return sigset(int(pending[f.name]))
    return "?"


class LxFiles(gdb.Command):
    """List the open files of a guest process: descriptor, flags, path.
Usage: lx-files PID"""

    def __init__(self):
        super().__init__("lx-files", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        p = find_process(task_arg(arg))
        table = inner(arc(inner(p["files"])))
        for fd, slot in enumerate(vec_items(table["slots"])):
            s = option(slot)
            if s is None:
                continue
            f = arc(s["file"])
            path = option(f["path"])
            if path is not None:
                name = d_path(arc(path["mnt"]), arc(path["dentry"]))
            else:
                concrete, _ = dyn_arc(f["ops"])
                name = "anon:[%s]" % short(concrete)
            gdb.write(
                "%4d %s %s\n" % (fd, "cloexec" if int(s["cloexec"]) else "       ", name)
            )


LxPs()
LxDmesg()
LxMounts()
LxTask()
LxFiles()

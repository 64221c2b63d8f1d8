//! The system call table: one line per x86_64 system call this kernel
//! implements, giving its number, its name, its arguments with their kinds,
//! and its handler. From this one list come dispatch (each handler is called
//! with exactly the arguments named, so none can read a register its call
//! does not pass), the arity, `strace=` decoding (by kind) and the names the
//! "unimplemented" log and strace print. A number listed twice is a compile
//! error. Handlers live in one file per family, under their Linux names.

use super::arg::FromArg;
use super::*;

/// What an argument is, which says how `strace=` shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArgKind {
    /// A file descriptor (shown as a signed decimal).
    Fd,
    /// A pointer to a NUL-terminated file name (shown as the string).
    Path,
    /// Any other pointer into guest memory (shown in hex, never read).
    Ptr,
    /// A signed integer (an `int` or `long`: shown as a signed decimal).
    Int,
    /// An unsigned integer or size (shown in decimal).
    Uint,
    /// Flags, masks, commands (shown in hex).
    Flags,
    /// A file mode (shown in octal).
    Mode,
}

/// One system call of the table.
pub struct Entry {
    pub nr: u64,
    pub name: &'static str,
    /// The arguments' names and kinds, in register order.
    pub args: &'static [(&'static str, ArgKind)],
    /// Calls the handler with the arguments it takes from the six registers.
    pub call: fn(&mut TrapContext, [u64; 6]) -> Result<u64>,
}

/// Panics at compile time if a number appears twice.
const fn assert_unique(nrs: &[u64]) {
    let mut i = 0;
    while i < nrs.len() {
        let mut j = i + 1;
        while j < nrs.len() {
            assert!(
                nrs[i] != nrs[j],
                "a system call number is in the table twice"
            );
            j += 1;
        }
        i += 1;
    }
}

macro_rules! syscall_table {
    ($($nr:literal $name:ident($($arg:ident: $kind:ident),*) => $handler:path;)*) => {
        /// Every implemented system call, in number order.
        pub static TABLE: &[Entry] = &[$(
            Entry {
                nr: $nr,
                name: stringify!($name),
                args: &[$((stringify!($arg), ArgKind::$kind)),*],
                call: {
                    fn call(ctx: &mut TrapContext, raw: [u64; 6]) -> Result<u64> {
                        let [$($arg,)* ..] = raw;
                        $handler(ctx $(, FromArg::from_arg($arg))*)
                    }
                    call
                },
            },
        )*];
        const _: () = assert_unique(&[$($nr),*]);
    };
}

#[rustfmt::skip]
syscall_table! {
    0 read(fd: Fd, buf: Ptr, count: Uint) => rw::sys_read;
    1 write(fd: Fd, buf: Ptr, count: Uint) => rw::sys_write;
    2 open(path: Path, flags: Flags, mode: Mode) => open::sys_open;
    3 close(fd: Fd) => open::sys_close;
    4 stat(path: Path, statbuf: Ptr) => stat::sys_stat;
    5 fstat(fd: Fd, statbuf: Ptr) => stat::sys_fstat;
    6 lstat(path: Path, statbuf: Ptr) => stat::sys_lstat;
    7 poll(fds: Ptr, nfds: Uint, timeout: Int) => poll::sys_poll;
    8 lseek(fd: Fd, offset: Int, whence: Int) => rw::sys_lseek;
    9 mmap(addr: Ptr, len: Uint, prot: Flags, flags: Flags, fd: Fd, offset: Uint) => mem::sys_mmap;
    10 mprotect(addr: Ptr, len: Uint, prot: Flags) => mem::sys_mprotect;
    11 munmap(addr: Ptr, len: Uint) => mem::sys_munmap;
    12 brk(addr: Ptr) => mem::sys_brk;
    13 rt_sigaction(sig: Int, act: Ptr, oact: Ptr, sigsetsize: Uint) => signal::sys_rt_sigaction;
    14 rt_sigprocmask(how: Int, set: Ptr, oset: Ptr, sigsetsize: Uint) => signal::sys_rt_sigprocmask;
    15 rt_sigreturn() => signal::sys_rt_sigreturn;
    16 ioctl(fd: Fd, cmd: Flags, arg: Ptr) => ioctl::sys_ioctl;
    17 pread64(fd: Fd, buf: Ptr, count: Uint, pos: Int) => rw::sys_pread64;
    18 pwrite64(fd: Fd, buf: Ptr, count: Uint, pos: Int) => rw::sys_pwrite64;
    19 readv(fd: Fd, iov: Ptr, iovcnt: Uint) => rw::sys_readv;
    20 writev(fd: Fd, iov: Ptr, iovcnt: Uint) => rw::sys_writev;
    21 access(path: Path, mode: Mode) => stat::sys_access;
    22 pipe(fds: Ptr) => pipe::sys_pipe;
    23 select(n: Int, inp: Ptr, outp: Ptr, exp: Ptr, tvp: Ptr) => select::sys_select;
    24 sched_yield() => sched::sys_sched_yield;
    25 mremap(addr: Ptr, old_len: Uint, new_len: Uint, flags: Flags, new_addr: Ptr) => mem::sys_mremap;
    26 msync(addr: Ptr, len: Uint, flags: Flags) => mem::sys_msync;
    27 mincore(addr: Ptr, len: Uint, vec: Ptr) => mem::sys_mincore;
    28 madvise(addr: Ptr, len: Uint, advice: Int) => mem::sys_madvise;
    29 shmget(key: Int, size: Uint, shmflg: Flags) => crate::ipc::shm::sys_shmget;
    30 shmat(shmid: Int, shmaddr: Ptr, shmflg: Flags) => crate::ipc::shm::sys_shmat;
    31 shmctl(shmid: Int, cmd: Int, buf: Ptr) => crate::ipc::shm::sys_shmctl;
    32 dup(fd: Fd) => fd::sys_dup;
    33 dup2(oldfd: Fd, newfd: Fd) => fd::sys_dup2;
    34 pause() => signal::sys_pause;
    35 nanosleep(req: Ptr, rem: Ptr) => time::sys_nanosleep;
    36 getitimer(which: Int, curr_value: Ptr) => itimer::sys_getitimer;
    37 alarm(seconds: Uint) => itimer::sys_alarm;
    38 setitimer(which: Int, new: Ptr, old: Ptr) => itimer::sys_setitimer;
    39 getpid() => pid::sys_getpid;
    40 sendfile(out_fd: Fd, in_fd: Fd, offp: Ptr, count: Uint) => sendfile::sys_sendfile;
    41 socket(family: Int, type_: Flags, protocol: Int) => socket::sys_socket;
    42 connect(fd: Fd, addr: Ptr, addrlen: Uint) => socket::sys_connect;
    43 accept(fd: Fd, addr: Ptr, addrlen: Ptr) => socket::sys_accept;
    44 sendto(fd: Fd, buf: Ptr, len: Uint, flags: Flags, addr: Ptr, addrlen: Uint) => sendmsg::sys_sendto;
    45 recvfrom(fd: Fd, buf: Ptr, len: Uint, flags: Flags, addr: Ptr, addrlen: Ptr) => recvmsg::sys_recvfrom;
    46 sendmsg(fd: Fd, msg: Ptr, flags: Flags) => sendmsg::sys_sendmsg;
    47 recvmsg(fd: Fd, msg: Ptr, flags: Flags) => recvmsg::sys_recvmsg;
    48 shutdown(fd: Fd, how: Int) => socket::sys_shutdown;
    49 bind(fd: Fd, addr: Ptr, addrlen: Uint) => socket::sys_bind;
    50 listen(fd: Fd, backlog: Int) => socket::sys_listen;
    51 getsockname(fd: Fd, addr: Ptr, addrlen: Ptr) => socket::sys_getsockname;
    52 getpeername(fd: Fd, addr: Ptr, addrlen: Ptr) => socket::sys_getpeername;
    53 socketpair(family: Int, type_: Flags, protocol: Int, sv: Ptr) => socket::sys_socketpair;
    54 setsockopt(fd: Fd, level: Int, optname: Int, optval: Ptr, optlen: Uint) => sockopt::sys_setsockopt;
    55 getsockopt(fd: Fd, level: Int, optname: Int, optval: Ptr, optlen: Ptr) => sockopt::sys_getsockopt;
    56 clone(flags: Flags, stack: Ptr, parent_tid: Ptr, child_tid: Ptr, tls: Ptr) => clone::sys_clone;
    57 fork() => clone::sys_fork;
    58 vfork() => clone::sys_vfork;
    59 execve(path: Path, argv: Ptr, envp: Ptr) => exec::sys_execve;
    60 exit(status: Int) => exit::sys_exit;
    61 wait4(pid: Int, status: Ptr, options: Flags, rusage: Ptr) => wait4::sys_wait4;
    62 kill(pid: Int, sig: Int) => signal::sys_kill;
    63 uname(name: Ptr) => info::sys_uname;
    64 semget(key: Int, nsems: Int, semflg: Flags) => crate::ipc::sem::sys_semget;
    65 semop(semid: Int, sops: Ptr, nsops: Uint) => crate::ipc::sem::sys_semop;
    66 semctl(semid: Int, semnum: Int, cmd: Int, arg: Ptr) => crate::ipc::sem::sys_semctl;
    67 shmdt(shmaddr: Ptr) => crate::ipc::shm::sys_shmdt;
    68 msgget(key: Int, msgflg: Flags) => crate::ipc::msg::sys_msgget;
    69 msgsnd(msqid: Int, msgp: Ptr, msgsz: Uint, msgflg: Flags) => crate::ipc::msg::sys_msgsnd;
    70 msgrcv(msqid: Int, msgp: Ptr, msgsz: Uint, msgtyp: Int, msgflg: Flags) => crate::ipc::msg::sys_msgrcv;
    71 msgctl(msqid: Int, cmd: Int, buf: Ptr) => crate::ipc::msg::sys_msgctl;
    72 fcntl(fd: Fd, cmd: Int, arg: Flags) => fd::sys_fcntl;
    73 flock(fd: Fd, operation: Flags) => flock::sys_flock;
    74 fsync(fd: Fd) => sync::sys_fsync;
    75 fdatasync(fd: Fd) => sync::sys_fdatasync;
    76 truncate(path: Path, length: Int) => attr::sys_truncate;
    77 ftruncate(fd: Fd, length: Int) => attr::sys_ftruncate;
    79 getcwd(buf: Ptr, size: Uint) => open::sys_getcwd;
    80 chdir(path: Path) => open::sys_chdir;
    81 fchdir(fd: Fd) => open::sys_fchdir;
    82 rename(oldpath: Path, newpath: Path) => unlink::sys_rename;
    83 mkdir(path: Path, mode: Mode) => namei::sys_mkdir;
    84 rmdir(path: Path) => unlink::sys_rmdir;
    85 creat(path: Path, mode: Mode) => open::sys_creat;
    86 link(oldpath: Path, newpath: Path) => namei::sys_link;
    87 unlink(path: Path) => unlink::sys_unlink;
    88 symlink(target: Path, linkpath: Path) => namei::sys_symlink;
    89 readlink(path: Path, buf: Ptr, bufsiz: Uint) => stat::sys_readlink;
    90 chmod(path: Path, mode: Mode) => attr::sys_chmod;
    91 fchmod(fd: Fd, mode: Mode) => attr::sys_fchmod;
    92 chown(path: Path, uid: Int, gid: Int) => attr::sys_chown;
    93 fchown(fd: Fd, uid: Int, gid: Int) => attr::sys_fchown;
    94 lchown(path: Path, uid: Int, gid: Int) => attr::sys_lchown;
    95 umask(mask: Mode) => attr::sys_umask;
    96 gettimeofday(tv: Ptr, tz: Ptr) => time::sys_gettimeofday;
    97 getrlimit(resource: Int, rlim: Ptr) => rlimit::sys_getrlimit;
    98 getrusage(who: Int, usage: Ptr) => sched::sys_getrusage;
    99 sysinfo(info: Ptr) => sysinfo::sys_sysinfo;
    100 times(buf: Ptr) => sched::sys_times;
    101 ptrace(request: Flags, pid: Int, addr: Ptr, data: Ptr) => crate::ptrace::sys_ptrace;
    102 getuid() => cred::sys_getuid;
    103 syslog(type_: Int, buf: Ptr, len: Int) => syslog::sys_syslog;
    104 getgid() => cred::sys_getgid;
    105 setuid(uid: Int) => cred::sys_setuid;
    106 setgid(gid: Int) => cred::sys_setgid;
    107 geteuid() => cred::sys_geteuid;
    108 getegid() => cred::sys_getegid;
    109 setpgid(pid: Int, pgid: Int) => pid::sys_setpgid;
    110 getppid() => pid::sys_getppid;
    111 getpgrp() => pid::sys_getpgrp;
    112 setsid() => pid::sys_setsid;
    113 setreuid(ruid: Int, euid: Int) => cred::sys_setreuid;
    114 setregid(rgid: Int, egid: Int) => cred::sys_setregid;
    115 getgroups(size: Int, list: Ptr) => cred::sys_getgroups;
    116 setgroups(size: Int, list: Ptr) => cred::sys_setgroups;
    117 setresuid(ruid: Int, euid: Int, suid: Int) => cred::sys_setresuid;
    118 getresuid(ruid: Ptr, euid: Ptr, suid: Ptr) => cred::sys_getresuid;
    119 setresgid(rgid: Int, egid: Int, sgid: Int) => cred::sys_setresgid;
    120 getresgid(rgid: Ptr, egid: Ptr, sgid: Ptr) => cred::sys_getresgid;
    121 getpgid(pid: Int) => pid::sys_getpgid;
    122 setfsuid(uid: Int) => cred::sys_setfsuid;
    123 setfsgid(gid: Int) => cred::sys_setfsgid;
    124 getsid(pid: Int) => pid::sys_getsid;
    125 capget(header: Ptr, data: Ptr) => cred::sys_capget;
    126 capset(header: Ptr, data: Ptr) => cred::sys_capset;
    127 rt_sigpending(set: Ptr, sigsetsize: Uint) => signal::sys_rt_sigpending;
    128 rt_sigtimedwait(set: Ptr, info: Ptr, timeout: Ptr, sigsetsize: Uint) => signal::sys_rt_sigtimedwait;
    129 rt_sigqueueinfo(pid: Int, sig: Int, info: Ptr) => signal::sys_rt_sigqueueinfo;
    130 rt_sigsuspend(set: Ptr, sigsetsize: Uint) => signal::sys_rt_sigsuspend;
    131 sigaltstack(ss: Ptr, oss: Ptr) => signal::sys_sigaltstack;
    132 utime(path: Path, buf: Ptr) => utimes::sys_utime;
    133 mknod(path: Path, mode: Mode, dev: Flags) => namei::sys_mknod;
    135 personality(persona: Flags) => info::sys_personality;
    137 statfs(path: Path, buf: Ptr) => statfs::sys_statfs;
    138 fstatfs(fd: Fd, buf: Ptr) => statfs::sys_fstatfs;
    140 getpriority(which: Int, who: Int) => sched::sys_getpriority;
    141 setpriority(which: Int, who: Int, prio: Int) => sched::sys_setpriority;
    142 sched_setparam(pid: Int, param: Ptr) => sched_policy::sys_sched_setparam;
    143 sched_getparam(pid: Int, param: Ptr) => sched_policy::sys_sched_getparam;
    144 sched_setscheduler(pid: Int, policy: Int, param: Ptr) => sched_policy::sys_sched_setscheduler;
    145 sched_getscheduler(pid: Int) => sched_policy::sys_sched_getscheduler;
    146 sched_get_priority_max(policy: Int) => sched_policy::sys_sched_get_priority_max;
    147 sched_get_priority_min(policy: Int) => sched_policy::sys_sched_get_priority_min;
    148 sched_rr_get_interval(pid: Int, interval: Ptr) => sched_policy::sys_sched_rr_get_interval;
    149 mlock(addr: Ptr, len: Uint) => mem::sys_mlock;
    150 munlock(addr: Ptr, len: Uint) => mem::sys_munlock;
    151 mlockall(flags: Flags) => mem::sys_mlockall;
    152 munlockall() => mem::sys_munlockall;
    153 vhangup() => pid::sys_vhangup;
    157 prctl(option: Int, arg2: Flags, arg3: Flags, arg4: Flags, arg5: Flags) => prctl::sys_prctl;
    158 arch_prctl(code: Flags, addr: Ptr) => prctl::sys_arch_prctl;
    160 setrlimit(resource: Int, rlim: Ptr) => rlimit::sys_setrlimit;
    155 pivot_root(new_root: Path, put_old: Path) => mount::sys_pivot_root;
    161 chroot(path: Path) => open::sys_chroot;
    162 sync() => sync::sys_sync;
    164 settimeofday(utv: Ptr, tz: Ptr) => time::sys_settimeofday;
    165 mount(source: Path, target: Path, fstype: Path, flags: Flags, data: Ptr) => mount::sys_mount;
    166 umount2(target: Path, flags: Flags) => mount::sys_umount2;
    169 reboot(magic1: Flags, magic2: Flags, cmd: Flags, arg: Ptr) => reboot::sys_reboot;
    170 sethostname(hostname: Ptr, len: Uint) => info::sys_sethostname;
    171 setdomainname(name: Ptr, len: Uint) => info::sys_setdomainname;
    186 gettid() => pid::sys_gettid;
    188 setxattr(path: Path, name: Path, value: Ptr, size: Uint, flags: Flags) => xattr::sys_setxattr;
    189 lsetxattr(path: Path, name: Path, value: Ptr, size: Uint, flags: Flags) => xattr::sys_lsetxattr;
    190 fsetxattr(fd: Fd, name: Path, value: Ptr, size: Uint, flags: Flags) => xattr::sys_fsetxattr;
    191 getxattr(path: Path, name: Path, value: Ptr, size: Uint) => xattr::sys_getxattr;
    192 lgetxattr(path: Path, name: Path, value: Ptr, size: Uint) => xattr::sys_lgetxattr;
    193 fgetxattr(fd: Fd, name: Path, value: Ptr, size: Uint) => xattr::sys_fgetxattr;
    194 listxattr(path: Path, list: Ptr, size: Uint) => xattr::sys_listxattr;
    195 llistxattr(path: Path, list: Ptr, size: Uint) => xattr::sys_llistxattr;
    196 flistxattr(fd: Fd, list: Ptr, size: Uint) => xattr::sys_flistxattr;
    197 removexattr(path: Path, name: Path) => xattr::sys_removexattr;
    198 lremovexattr(path: Path, name: Path) => xattr::sys_lremovexattr;
    199 fremovexattr(fd: Fd, name: Path) => xattr::sys_fremovexattr;
    200 tkill(tid: Int, sig: Int) => signal::sys_tkill;
    201 time(tloc: Ptr) => time::sys_time;
    202 futex(uaddr: Ptr, op: Int, val: Uint, timeout: Ptr, uaddr2: Ptr, val3: Uint) => futex::sys_futex;
    203 sched_setaffinity(pid: Int, len: Uint, mask: Ptr) => sched::sys_sched_setaffinity;
    204 sched_getaffinity(pid: Int, len: Uint, user_mask: Ptr) => sched::sys_sched_getaffinity;
    213 epoll_create(size: Int) => epoll::sys_epoll_create;
    217 getdents64(fd: Fd, dirp: Ptr, count: Uint) => open::sys_getdents64;
    218 set_tid_address(tidptr: Ptr) => tidaddr::sys_set_tid_address;
    219 restart_syscall() => crate::signal::restart_syscall;
    220 semtimedop(semid: Int, sops: Ptr, nsops: Uint, timeout: Ptr) => crate::ipc::sem::sys_semtimedop;
    221 fadvise64(fd: Fd, offset: Int, len: Int, advice: Int) => sendfile::sys_fadvise64;
    222 timer_create(clock: Int, sevp: Ptr, idp: Ptr) => posix_timer::sys_timer_create;
    223 timer_settime(id: Int, flags: Flags, new: Ptr, old: Ptr) => posix_timer::sys_timer_settime;
    224 timer_gettime(id: Int, curr_value: Ptr) => posix_timer::sys_timer_gettime;
    225 timer_getoverrun(id: Int) => posix_timer::sys_timer_getoverrun;
    226 timer_delete(id: Int) => posix_timer::sys_timer_delete;
    227 clock_settime(clock: Int, tp: Ptr) => time::sys_clock_settime;
    228 clock_gettime(clock: Int, tp: Ptr) => time::sys_clock_gettime;
    229 clock_getres(clock: Int, res: Ptr) => time::sys_clock_getres;
    230 clock_nanosleep(clock: Int, flags: Flags, req: Ptr, rem: Ptr) => time::sys_clock_nanosleep;
    231 exit_group(status: Int) => exit::sys_exit_group;
    232 epoll_wait(epfd: Fd, events: Ptr, maxevents: Int, timeout: Int) => epoll::sys_epoll_wait;
    233 epoll_ctl(epfd: Fd, op: Int, fd: Fd, event: Ptr) => epoll::sys_epoll_ctl;
    234 tgkill(tgid: Int, tid: Int, sig: Int) => signal::sys_tgkill;
    235 utimes(path: Path, times: Ptr) => utimes::sys_utimes;
    240 mq_open(name: Path, oflag: Flags, mode: Mode, attr: Ptr) => crate::ipc::mq_sys::sys_mq_open;
    241 mq_unlink(name: Path) => crate::ipc::mq_sys::sys_mq_unlink;
    242 mq_timedsend(mqdes: Fd, msg: Ptr, len: Uint, prio: Uint, timeout: Ptr) => crate::ipc::mq_sys::sys_mq_timedsend;
    243 mq_timedreceive(mqdes: Fd, msg: Ptr, len: Uint, prio: Ptr, timeout: Ptr) => crate::ipc::mq_sys::sys_mq_timedreceive;
    244 mq_notify(mqdes: Fd, sevp: Ptr) => crate::ipc::mq_sys::sys_mq_notify;
    245 mq_getsetattr(mqdes: Fd, new: Ptr, old: Ptr) => crate::ipc::mq_sys::sys_mq_getsetattr;
    247 waitid(idtype: Int, id: Int, infop: Ptr, options: Flags, rusage: Ptr) => wait4::sys_waitid;
    253 inotify_init() => inotify::sys_inotify_init;
    254 inotify_add_watch(fd: Fd, path: Path, mask: Flags) => inotify::sys_inotify_add_watch;
    255 inotify_rm_watch(fd: Fd, wd: Int) => inotify::sys_inotify_rm_watch;
    257 openat(dirfd: Fd, path: Path, flags: Flags, mode: Mode) => open::sys_openat;
    258 mkdirat(dirfd: Fd, path: Path, mode: Mode) => namei::sys_mkdirat;
    259 mknodat(dirfd: Fd, path: Path, mode: Mode, dev: Flags) => namei::sys_mknodat;
    260 fchownat(dirfd: Fd, path: Path, uid: Int, gid: Int, flags: Flags) => attr::sys_fchownat;
    261 futimesat(dirfd: Fd, path: Path, times: Ptr) => utimes::sys_futimesat;
    262 newfstatat(dirfd: Fd, path: Path, statbuf: Ptr, flags: Flags) => stat::sys_newfstatat;
    263 unlinkat(dirfd: Fd, path: Path, flags: Flags) => unlink::sys_unlinkat;
    264 renameat(olddirfd: Fd, oldpath: Path, newdirfd: Fd, newpath: Path) => unlink::sys_renameat;
    265 linkat(olddirfd: Fd, oldpath: Path, newdirfd: Fd, newpath: Path, flags: Flags) => namei::sys_linkat;
    266 symlinkat(target: Path, newdirfd: Fd, linkpath: Path) => namei::sys_symlinkat;
    267 readlinkat(dirfd: Fd, path: Path, buf: Ptr, bufsiz: Uint) => stat::sys_readlinkat;
    268 fchmodat(dirfd: Fd, path: Path, mode: Mode) => attr::sys_fchmodat;
    269 faccessat(dirfd: Fd, path: Path, mode: Mode) => stat::sys_faccessat;
    270 pselect6(n: Int, inp: Ptr, outp: Ptr, exp: Ptr, tsp: Ptr, sig: Ptr) => select::sys_pselect6;
    271 ppoll(ufds: Ptr, nfds: Uint, tsp: Ptr, sigmask: Ptr, sigsetsize: Uint) => poll::sys_ppoll;
    251 ioprio_set(which: Int, who: Int, ioprio: Int) => ioprio::sys_ioprio_set;
    252 ioprio_get(which: Int, who: Int) => ioprio::sys_ioprio_get;
    272 unshare(flags: Flags) => info::sys_unshare;
    273 set_robust_list(head: Ptr, len: Uint) => tidaddr::sys_set_robust_list;
    274 get_robust_list(pid: Int, head_ptr: Ptr, len_ptr: Ptr) => tidaddr::sys_get_robust_list;
    275 splice(fd_in: Fd, off_in: Ptr, fd_out: Fd, off_out: Ptr, len: Uint, flags: Flags) => splice::sys_splice;
    276 tee(fd_in: Fd, fd_out: Fd, len: Uint, flags: Flags) => splice::sys_tee;
    277 sync_file_range(fd: Fd, offset: Int, nbytes: Int, flags: Flags) => sync::sys_sync_file_range;
    278 vmsplice(fd: Fd, iov: Ptr, nr_segs: Uint, flags: Flags) => splice::sys_vmsplice;
    280 utimensat(dirfd: Fd, path: Path, times: Ptr, flags: Flags) => utimes::sys_utimensat;
    281 epoll_pwait(epfd: Fd, events: Ptr, maxevents: Int, timeout: Int, sigmask: Ptr, sigsetsize: Uint) => epoll::sys_epoll_pwait;
    282 signalfd(fd: Fd, mask: Ptr, sizemask: Uint) => signal::sys_signalfd;
    283 timerfd_create(clock: Int, flags: Flags) => timerfd::sys_timerfd_create;
    284 eventfd(count: Uint) => eventfd::sys_eventfd;
    285 fallocate(fd: Fd, mode: Flags, offset: Int, len: Int) => fallocate::sys_fallocate;
    286 timerfd_settime(fd: Fd, flags: Flags, new: Ptr, old: Ptr) => timerfd::sys_timerfd_settime;
    287 timerfd_gettime(fd: Fd, value: Ptr) => timerfd::sys_timerfd_gettime;
    288 accept4(fd: Fd, addr: Ptr, addrlen: Ptr, flags: Flags) => socket::sys_accept4;
    289 signalfd4(fd: Fd, mask: Ptr, sizemask: Uint, flags: Flags) => signal::sys_signalfd4;
    290 eventfd2(count: Uint, flags: Flags) => eventfd::sys_eventfd2;
    291 epoll_create1(flags: Flags) => epoll::sys_epoll_create1;
    292 dup3(oldfd: Fd, newfd: Fd, flags: Flags) => fd::sys_dup3;
    293 pipe2(fds: Ptr, flags: Flags) => pipe::sys_pipe2;
    294 inotify_init1(flags: Flags) => inotify::sys_inotify_init1;
    295 preadv(fd: Fd, iov: Ptr, iovcnt: Uint, pos_l: Uint, pos_h: Uint) => rw::sys_preadv;
    296 pwritev(fd: Fd, iov: Ptr, iovcnt: Uint, pos_l: Uint, pos_h: Uint) => rw::sys_pwritev;
    297 rt_tgsigqueueinfo(tgid: Int, tid: Int, sig: Int, info: Ptr) => signal::sys_rt_tgsigqueueinfo;
    299 recvmmsg(fd: Fd, msgvec: Ptr, vlen: Uint, flags: Flags, timeout: Ptr) => recvmsg::sys_recvmmsg;
    302 prlimit64(pid: Int, resource: Int, new: Ptr, old: Ptr) => rlimit::sys_prlimit64;
    303 name_to_handle_at(dirfd: Fd, path: Path, handle: Ptr, mnt_id: Ptr, flags: Flags) => fhandle::sys_name_to_handle_at;
    304 open_by_handle_at(mount_fd: Fd, handle: Ptr, flags: Flags) => fhandle::sys_open_by_handle_at;
    306 syncfs(fd: Fd) => sync::sys_syncfs;
    307 sendmmsg(fd: Fd, msgvec: Ptr, vlen: Uint, flags: Flags) => sendmsg::sys_sendmmsg;
    308 setns(fd: Fd, nstype: Flags) => info::sys_setns;
    309 getcpu(cpup: Ptr, nodep: Ptr, cache: Ptr) => sched::sys_getcpu;
    310 process_vm_readv(pid: Int, local_iov: Ptr, liovcnt: Uint, remote_iov: Ptr, riovcnt: Uint, flags: Flags) => crate::ptrace::sys_process_vm_readv;
    311 process_vm_writev(pid: Int, local_iov: Ptr, liovcnt: Uint, remote_iov: Ptr, riovcnt: Uint, flags: Flags) => crate::ptrace::sys_process_vm_writev;
    312 kcmp(pid1: Int, pid2: Int, kind: Int, idx1: Uint, idx2: Uint) => kcmp::sys_kcmp;
    314 sched_setattr(pid: Int, attr: Ptr, flags: Flags) => sched_policy::sys_sched_setattr;
    315 sched_getattr(pid: Int, attr: Ptr, size: Uint, flags: Flags) => sched_policy::sys_sched_getattr;
    316 renameat2(olddirfd: Fd, oldpath: Path, newdirfd: Fd, newpath: Path, flags: Flags) => unlink::sys_renameat2;
    317 seccomp(op: Uint, flags: Flags, uargs: Ptr) => prctl::sys_seccomp;
    318 getrandom(ubuf: Ptr, count: Uint, flags: Flags) => info::sys_getrandom;
    319 memfd_create(name: Path, flags: Flags) => memfd::sys_memfd_create;
    322 execveat(dirfd: Fd, path: Path, argv: Ptr, envp: Ptr, flags: Flags) => exec::sys_execveat;
    326 copy_file_range(in_fd: Fd, in_offp: Ptr, out_fd: Fd, out_offp: Ptr, len: Uint, flags: Flags) => sendfile::sys_copy_file_range;
    327 preadv2(fd: Fd, iov: Ptr, iovcnt: Uint, pos_l: Uint, pos_h: Uint, flags: Flags) => rw::sys_preadv2;
    328 pwritev2(fd: Fd, iov: Ptr, iovcnt: Uint, pos_l: Uint, pos_h: Uint, flags: Flags) => rw::sys_pwritev2;
    325 mlock2(addr: Ptr, len: Uint, flags: Flags) => mem::sys_mlock2;
    332 statx(dirfd: Fd, path: Path, flags: Flags, mask: Flags, buf: Ptr) => statx::sys_statx;
    424 pidfd_send_signal(fd: Fd, sig: Int, info: Ptr, flags: Flags) => pidfd::sys_pidfd_send_signal;
    434 pidfd_open(pid: Int, flags: Flags) => pidfd::sys_pidfd_open;
    435 clone3(args: Ptr, size: Uint) => clone::sys_clone3;
    436 close_range(first: Uint, last: Uint, flags: Flags) => open::sys_close_range;
    437 openat2(dirfd: Fd, path: Path, how: Ptr, size: Uint) => openat2::sys_openat2;
    439 faccessat2(dirfd: Fd, path: Path, mode: Mode, flags: Flags) => stat::sys_faccessat2;
    441 epoll_pwait2(epfd: Fd, events: Ptr, maxevents: Int, timeout: Ptr, sigmask: Ptr, sigsetsize: Uint) => epoll::sys_epoll_pwait2;
    449 futex_waitv(waiters: Ptr, nr: Uint, flags: Flags, timeout: Ptr, clockid: Int) => futex::sys_futex_waitv;
    452 fchmodat2(dirfd: Fd, path: Path, mode: Mode, flags: Flags) => attr::sys_fchmodat2;
}

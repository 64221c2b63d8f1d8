/*
 * PID namespaces, the second part (pid_namespaces(7)): pids given to the
 * kernel are looked up in the caller's namespace and pids it reports are
 * in the observer's, 0 where the process is not visible there. From inside
 * a new namespace and from its parent: the priority, scheduling, prlimit,
 * ioprio, capget, CPU-clock and process_vm_readv calls on a pid; ptrace
 * (its pid argument, PTRACE_GETEVENTMSG of a fork, TracerPid); F_GETLK's
 * l_pid; SO_PEERCRED and SCM_CREDENTIALS (and the pid a sender may claim);
 * the pty master's TIOCGPGRP; cgroup.procs. Everything happens in a mount namespace of
 * its own (a tmpfs on /tmp, a procfs per PID namespace), so that natively,
 * as root, it leaves the host alone.
 */
#include "check.h"
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <linux/capability.h>

#define IOPRIO_WHO_PROCESS 1
#define IOPRIO_BE_5 ((2 << 13) | 5)

/* The pipes between the outer process (P), the namespace's init (C) and
 * its child (G): each carries ints. */
static int p2c[2], c2p[2], c2g[2], g2c[2];
static int dgram[2]; /* P's end 0, the namespace's end 1 */
static int listener, master;
static char sun_path[64];
static volatile int marker;

static void put(int fd, int v)
{
	if (write(fd, &v, sizeof v) != sizeof v)
		_exit(90);
}

static int get(int fd)
{
	int v;
	if (read(fd, &v, sizeof v) != sizeof v)
		_exit(91);
	return v;
}

/* Returns the value of field NAME in /proc/PID/status, "" if absent. */
static void status_field(int pid, const char *name, char *buf, size_t len)
{
	char path[64], text[4096], key[32];
	buf[0] = 0;
	snprintf(path, sizeof path, "/proc/%d/status", pid);
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return;
	ssize_t n = read(fd, text, sizeof text - 1);
	close(fd);
	if (n <= 0)
		return;
	text[n] = 0;
	snprintf(key, sizeof key, "\n%s:\t", name);
	char *l = strstr(text, key);
	if (!l)
		return;
	l += strlen(key);
	size_t i = 0;
	while (l[i] && l[i] != '\n' && i + 1 < len) {
		buf[i] = l[i];
		i++;
	}
	buf[i] = 0;
}

/* Sends one byte on S with SCM_CREDENTIALS {pid, uid, gid}. */
static ssize_t send_creds(int s, pid_t pid, uid_t uid, gid_t gid)
{
	char byte = 'c';
	struct iovec iov = { &byte, 1 };
	union {
		char buf[CMSG_SPACE(sizeof(struct ucred))];
		struct cmsghdr align;
	} u;
	memset(&u, 0, sizeof u);
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
			    .msg_controllen = sizeof u.buf };
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_CREDENTIALS;
	c->cmsg_len = CMSG_LEN(sizeof(struct ucred));
	struct ucred cr = { pid, uid, gid };
	memcpy(CMSG_DATA(c), &cr, sizeof cr);
	return sendmsg(s, &m, 0);
}

/* Receives one byte from S; returns the pid of its SCM_CREDENTIALS, -1000
 * without one. */
static pid_t recv_creds(int s)
{
	char byte;
	struct iovec iov = { &byte, 1 };
	union {
		char buf[CMSG_SPACE(sizeof(struct ucred))];
		struct cmsghdr align;
	} u;
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
			    .msg_controllen = sizeof u.buf };
	if (recvmsg(s, &m, 0) != 1)
		return -1000;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS) {
			struct ucred cr;
			memcpy(&cr, CMSG_DATA(c), sizeof cr);
			return cr.pid;
		}
	return -1000;
}

static pid_t peer_pid(int s)
{
	struct ucred cr;
	socklen_t len = sizeof cr;
	if (getsockopt(s, SOL_SOCKET, SO_PEERCRED, &cr, &len))
		return -1000;
	return cr.pid;
}

/* Returns the pid F_GETLK (or F_OFD_GETLK) reports for byte AT of FD. */
static pid_t lock_owner(int fd, int cmd, off_t at)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = at, .l_len = 1 };
	if (fcntl(fd, cmd, &fl) || fl.l_type == F_UNLCK)
		return -1000;
	return fl.l_pid;
}

static int set_lock(int fd, int cmd, off_t at)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = at, .l_len = 1 };
	return fcntl(fd, cmd, &fl);
}

/* Returns whether the cgroup.procs of our group, read from a cgroup2
 * mounted on /tmp/cg, lists C and G as 1 and 2 and others as 0. */
static int cgroup_procs_ok(void)
{
	char self[512], path[700], text[4096];
	int fd = open("/proc/self/cgroup", O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, self, sizeof self - 1);
	close(fd);
	if (n <= 3)
		return 0;
	self[n] = 0;
	/* The cgroup2 line, "0::PATH", among v1 ones on a hybrid host. */
	char *v2 = strncmp(self, "0::", 3) == 0 ? self : strstr(self, "\n0::");
	if (!v2)
		return 0;
	v2 += v2 == self ? 3 : 4;
	v2[strcspn(v2, "\n")] = 0;
	if (mkdir("/tmp/cg", 0700) || mount("cgroup2", "/tmp/cg", "cgroup2", 0, NULL))
		return 0;
	snprintf(path, sizeof path, "/tmp/cg%s/cgroup.procs", v2);
	fd = open(path, O_RDONLY);
	n = fd < 0 ? -1 : read(fd, text, sizeof text - 1);
	close(fd);
	umount("/tmp/cg");
	if (n <= 0)
		return 0;
	text[n] = 0;
	int seen = 0;
	for (char *l = strtok(text, "\n"); l; l = strtok(NULL, "\n")) {
		int v = atoi(l);
		if (v == 1 || v == 2)
			seen |= v;
		else if (v != 0)
			return 0;
	}
	return seen == 3;
}

/* pid 2 of the namespace. */
static int g_main(void)
{
	/* Only the ends it uses: a failure anywhere ends the others' reads. */
	close(c2g[1]);
	close(g2c[0]);
	close(p2c[0]);
	close(p2c[1]);
	close(c2p[0]);
	close(c2p[1]);
	CHECK("G is pid 2", getpid() == 2 && getppid() == 1);
	CHECK("setsid in the namespace", setsid() == 2);
	int tty = open(ptsname(master), O_RDWR);
	CHECK("the pty is G's terminal", tty >= 0 && tcgetpgrp(tty) == 2);
	CHECK_SYS("SCM_CREDENTIALS with G's own pid", send_creds(dgram[1], 2, 0, 0));
	CHECK_SYS("SCM_CREDENTIALS with its init's pid, as root", send_creds(dgram[1], 1, 0, 0));
	CHECKF("SCM_CREDENTIALS with a pid not in the namespace is ESRCH",
	       send_creds(dgram[1], 999, 0, 0) == -1 && errno == ESRCH, "errno %d", errno);
	int sv[2];
	CHECK_SYS("socketpair", socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	CHECKF("SO_PEERCRED of its own socketpair is 2", peer_pid(sv[0]) == 2, "pid %d",
	       peer_pid(sv[0]));
	close(sv[0]);
	close(sv[1]);
	/* Without CAP_SYS_ADMIN, only its own pid in its namespace. */
	pid_t k = fork();
	if (k == 0) {
		int s[2], one = 1;
		if (setuid(1000) || socketpair(AF_UNIX, SOCK_DGRAM, 0, s) ||
		    setsockopt(s[1], SOL_SOCKET, SO_PASSCRED, &one, sizeof one))
			_exit(30);
		if (send_creds(s[0], getpid(), 1000, 0) != 1)
			_exit(31);
		if (recv_creds(s[1]) != getpid())
			_exit(32);
		if (send_creds(s[0], 1, 1000, 0) != -1 || errno != EPERM)
			_exit(33);
		_exit(0);
	}
	int st;
	CHECKF("a user sends SCM_CREDENTIALS with its own pid, EPERM with another",
	       waitpid(k, &st, 0) == k && WIFEXITED(st) && WEXITSTATUS(st) == 0, "status %#x", st);
	marker = 0x1234;
	int f = open("/tmp/pidns2.lock", O_RDWR);
	int ofd = open("/tmp/pidns2.lock", O_RDWR);
	CHECK_SYS("G locks byte 1", set_lock(f, F_SETLK, 1));
	CHECK_SYS("G takes an OFD lock on byte 2", set_lock(ofd, F_OFD_SETLK, 2));
	put(g2c[1], 1);
	/* C seizes us and lets us fork. */
	get(c2g[0]);
	pid_t h = fork();
	if (h == 0)
		_exit(0);
	if (waitpid(h, &st, 0) != h)
		_exit(40);
	put(g2c[1], 2);
	get(c2g[0]);
	return check_done();
}

/* pid 1 of the namespace. */
static int c_main(void)
{
	if (getpid() != 1)
		return 20;
	if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
	    mount("proc", "/proc", "proc", 0, NULL))
		return 21;
	pid_t g = fork();
	if (g == 0)
		_exit(g_main());
	close(c2g[0]);
	close(g2c[1]);
	close(p2c[1]);
	close(c2p[0]);
	CHECK("C's child is 2", g == 2);
	CHECK("G is ready", get(g2c[0]) == 1);
	/* Reported pids. */
	CHECKF("SCM_CREDENTIALS of a sender outside is 0", recv_creds(dgram[1]) == 0, "pid %d",
	       recv_creds(dgram[1]));
	int f = open("/tmp/pidns2.lock", O_RDWR);
	CHECKF("F_GETLK of a lock held outside is 0", lock_owner(f, F_GETLK, 0) == 0, "l_pid %d",
	       lock_owner(f, F_GETLK, 0));
	CHECKF("F_GETLK of G's lock is 2", lock_owner(f, F_GETLK, 1) == 2, "l_pid %d",
	       lock_owner(f, F_GETLK, 1));
	CHECKF("F_OFD_GETLK of an OFD lock is -1", lock_owner(f, F_OFD_GETLK, 2) == -1,
	       "l_pid %d", lock_owner(f, F_OFD_GETLK, 2));
	pid_t pg = -1;
	CHECKF("TIOCGPGRP of the master is 2", ioctl(master, TIOCGPGRP, &pg) == 0 && pg == 2,
	       "pgrp %d", pg);
	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	memcpy(a.sun_path, sun_path, sizeof sun_path);
	CHECK_SYS("connect to the listener outside", connect(s, (struct sockaddr *)&a, sizeof a));
	CHECKF("SO_PEERCRED of a listener outside is 0", peer_pid(s) == 0, "pid %d", peer_pid(s));
	CHECK("cgroup.procs lists 1 and 2 in here, 0 for those outside", cgroup_procs_ok());
	/* Pid arguments. */
	CHECK_SYS("setpriority(PRIO_PROCESS, 2)", setpriority(PRIO_PROCESS, 2, 7));
	CHECK("getpriority(PRIO_PROCESS, 2)", getpriority(PRIO_PROCESS, 2) == 7);
	CHECK("getpriority(PRIO_PROCESS, 0) is C's own", getpriority(PRIO_PROCESS, 0) == 0);
	CHECK_SYS("setpriority(PRIO_PGRP, 2)", setpriority(PRIO_PGRP, 2, 9));
	CHECK("getpriority(PRIO_PGRP, 2)", getpriority(PRIO_PGRP, 2) == 9);
	CHECK("sched_getscheduler(2)", sched_getscheduler(2) == SCHED_OTHER);
	struct sched_param sp;
	CHECK_SYS("sched_getparam(2)", sched_getparam(2, &sp));
	cpu_set_t set;
	CHECK_SYS("sched_getaffinity(2)", sched_getaffinity(2, sizeof set, &set));
	CHECK_SYS("sched_setaffinity(2)", sched_setaffinity(2, sizeof set, &set));
	struct rlimit rl = { 100, 100 };
	CHECK_SYS("prlimit(2, RLIMIT_NOFILE)", prlimit(2, RLIMIT_NOFILE, &rl, NULL));
	CHECK_SYS("ioprio_set(WHO_PROCESS, 2)",
		  syscall(SYS_ioprio_set, IOPRIO_WHO_PROCESS, 2, IOPRIO_BE_5));
	CHECK("ioprio_get(WHO_PROCESS, 2)",
	      syscall(SYS_ioprio_get, IOPRIO_WHO_PROCESS, 2) == IOPRIO_BE_5);
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 2 };
	struct __user_cap_data_struct caps[2];
	CHECK_SYS("capget(2)", syscall(SYS_capget, &hdr, caps));
	clockid_t clk;
	struct timespec ts;
	CHECK("G's CPU clock", clock_getcpuclockid(2, &clk) == 0 && clock_gettime(clk, &ts) == 0);
	int got = 0;
	struct iovec local = { &got, sizeof got }, remote = { (void *)&marker, sizeof marker };
	CHECKF("process_vm_readv(2)",
	       syscall(SYS_process_vm_readv, 2, &local, 1, &remote, 1, 0) == sizeof got &&
		       got == 0x1234,
	       "got %#x", got);
	/* A pid outside the namespace names nobody in here. */
	int g_out = get(p2c[0]);
	CHECK("getpriority of an outer pid is ESRCH",
	      getpriority(PRIO_PROCESS, (id_t)g_out) == -1 && errno == ESRCH);
	CHECK("sched_getscheduler of an outer pid is ESRCH",
	      sched_getscheduler(g_out) == -1 && errno == ESRCH);
	CHECK("prlimit of an outer pid is ESRCH",
	      prlimit(g_out, RLIMIT_NOFILE, NULL, &rl) == -1 && errno == ESRCH);
	hdr.pid = g_out;
	CHECK("capget of an outer pid is ESRCH",
	      syscall(SYS_capget, &hdr, caps) == -1 && errno == ESRCH);
	CHECK("ptrace of an outer pid is ESRCH",
	      ptrace(PTRACE_SEIZE, g_out, 0, 0) == -1 && errno == ESRCH);
	/* ptrace from inside. */
	CHECK_SYS("PTRACE_SEIZE 2", ptrace(PTRACE_SEIZE, 2, 0, PTRACE_O_TRACEFORK));
	char buf[64];
	status_field(2, "TracerPid", buf, sizeof buf);
	CHECKF("TracerPid inside is 1", strcmp(buf, "1") == 0, "TracerPid %s", buf);
	put(c2p[1], 1);
	get(p2c[0]);
	put(c2g[1], 1);
	int st;
	CHECKF("G stops at its fork", waitpid(2, &st, __WALL) == 2 && WIFSTOPPED(st) &&
					     st >> 8 == (SIGTRAP | PTRACE_EVENT_FORK << 8),
	       "status %#x", st);
	unsigned long msg = 0;
	CHECK_SYS("PTRACE_GETEVENTMSG", ptrace(PTRACE_GETEVENTMSG, 2, 0, &msg));
	pid_t h = (pid_t)msg;
	CHECKF("the event message is the child's pid in here", h > 2 && h < 10, "msg %lu", msg);
	CHECKF("the new child is traced by us", waitpid(h, &st, __WALL) == h && WIFSTOPPED(st),
	       "status %#x", st);
	CHECK_SYS("detach the child", ptrace(PTRACE_DETACH, h, 0, 0));
	CHECK_SYS("detach G", ptrace(PTRACE_DETACH, 2, 0, 0));
	CHECK("G reaped its child", get(g2c[0]) == 2);
	/* Let the outside look, then end. */
	put(c2p[1], 2);
	get(p2c[0]);
	put(c2g[1], 3);
	CHECKF("G passed", waitpid(2, &st, 0) == 2 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	       "status %#x", st);
	return check_done();
}

int main(void)
{
	CHECK_SYS("unshare NEWNS", unshare(CLONE_NEWNS));
	CHECK_SYS("make / private", mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL));
	CHECK_SYS("mount a procfs", mount("proc", "/proc", "proc", 0, NULL));
	CHECK_SYS("mount a tmpfs", mount("tmpfs", "/tmp", "tmpfs", 0, NULL));
	/* Outer numbers well above the namespace's. */
	for (int i = 0; i < 20; i++) {
		pid_t b = fork();
		if (b == 0)
			_exit(0);
		waitpid(b, NULL, 0);
	}
	int one = 1;
	CHECK("pipes", !pipe(p2c) && !pipe(c2p) && !pipe(c2g) && !pipe(g2c));
	CHECK_SYS("socketpair", socketpair(AF_UNIX, SOCK_DGRAM, 0, dgram));
	CHECK("SO_PASSCRED", !setsockopt(dgram[0], SOL_SOCKET, SO_PASSCRED, &one, sizeof one) &&
				     !setsockopt(dgram[1], SOL_SOCKET, SO_PASSCRED, &one, sizeof one));
	CHECK("send to the namespace", send(dgram[0], "p", 1, 0) == 1);
	int f = open("/tmp/pidns2.lock", O_RDWR | O_CREAT, 0600);
	CHECK_SYS("lock byte 0", set_lock(f, F_SETLK, 0));
	listener = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	snprintf(sun_path + 1, sizeof sun_path - 1, "pidns2-%d", getpid());
	memcpy(a.sun_path, sun_path, sizeof sun_path);
	CHECK_SYS("bind", bind(listener, (struct sockaddr *)&a, sizeof a));
	CHECK_SYS("listen", listen(listener, 1));
	master = posix_openpt(O_RDWR | O_NOCTTY);
	CHECK("a pty", master >= 0 && grantpt(master) == 0 && unlockpt(master) == 0);
	CHECK_SYS("unshare NEWPID", unshare(CLONE_NEWPID));
	pid_t c = fork();
	if (c == 0)
		_exit(c_main());
	CHECK("fork the namespace's init", c > 0);
	close(p2c[0]);
	close(c2p[1]);
	close(c2g[0]);
	close(c2g[1]);
	close(g2c[0]);
	close(g2c[1]);
	pid_t g = recv_creds(dgram[0]);
	char buf[64], want[64];
	status_field(g, "NSpid", buf, sizeof buf);
	snprintf(want, sizeof want, "%d\t2", g);
	CHECKF("SCM_CREDENTIALS of G is its pid out here", g > 20 && strcmp(buf, want) == 0,
	       "pid %d NSpid %s", g, buf);
	CHECKF("SCM_CREDENTIALS naming pid 1 in there is C out here", recv_creds(dgram[0]) == c,
	       "c %d", c);
	put(p2c[1], g);
	CHECK("C traces G", get(c2p[0]) == 1);
	status_field(g, "TracerPid", buf, sizeof buf);
	snprintf(want, sizeof want, "%d", c);
	CHECKF("TracerPid outside is C's outer pid", strcmp(buf, want) == 0, "TracerPid %s", buf);
	put(p2c[1], 1);
	CHECK("C is done", get(c2p[0]) == 2);
	CHECKF("G's nice value", getpriority(PRIO_PROCESS, (id_t)g) == 9, "nice %d",
	       getpriority(PRIO_PROCESS, (id_t)g));
	CHECK("C's nice value", getpriority(PRIO_PROCESS, (id_t)c) == 0);
	struct rlimit rl;
	CHECK("G's RLIMIT_NOFILE", prlimit(g, RLIMIT_NOFILE, NULL, &rl) == 0 && rl.rlim_cur == 100);
	CHECK("G's I/O priority", syscall(SYS_ioprio_get, IOPRIO_WHO_PROCESS, g) == IOPRIO_BE_5);
	CHECKF("F_GETLK of G's lock is its outer pid", lock_owner(f, F_GETLK, 1) == g, "l_pid %d",
	       lock_owner(f, F_GETLK, 1));
	pid_t pg = -1;
	CHECKF("TIOCGPGRP of the master is G's outer pid",
	       ioctl(master, TIOCGPGRP, &pg) == 0 && pg == g, "pgrp %d", pg);
	int s = accept(listener, NULL, NULL);
	CHECKF("SO_PEERCRED of C's connection is its outer pid", s >= 0 && peer_pid(s) == c,
	       "pid %d", peer_pid(s));
	put(p2c[1], 2);
	int st;
	CHECKF("the namespace's checks passed",
	       waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 0, "status %#x",
	       st);
	return check_done();
}

/*
 * PID namespaces (pid_namespaces(7)): unshare and clone with CLONE_NEWPID,
 * pid 1 and ppid 0 inside, nested namespaces and their NSpid columns,
 * kill and wait across levels, orphans adopted by the namespace's init,
 * the init's protection from signals it has no handler for, the death of
 * the init killing the rest (and ENOMEM for a fork after), a procfs of the
 * namespace, setns through /proc/PID/ns/pid and a pidfd, and the errnos.
 * Everything happens in a mount namespace of its own, so that natively,
 * as root, it leaves the host alone.
 */
#include "check.h"
#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <termios.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>

/* Runs fn in a child; returns its exit status (0 if all its checks passed). */
static int in_child(int (*fn)(void))
{
	pid_t c = fork();
	if (c == 0)
		_exit(fn());
	int st;
	if (waitpid(c, &st, 0) != c)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Reads the NSpid line of /proc/PID/status into buf ("" if absent). */
static void nspid(const char *pid, char *buf, size_t len)
{
	char path[64], text[4096];
	buf[0] = 0;
	snprintf(path, sizeof path, "/proc/%s/status", pid);
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return;
	ssize_t n = read(fd, text, sizeof text - 1);
	close(fd);
	if (n <= 0)
		return;
	text[n] = 0;
	char *l = strstr(text, "\nNSpid:\t");
	if (!l)
		return;
	l += 8;
	size_t i = 0;
	while (l[i] && l[i] != '\n' && i + 1 < len) {
		buf[i] = l[i];
		i++;
	}
	buf[i] = 0;
}

/* The numeric entries of /proc, as "1 2 ...". */
static void proc_pids(char *buf, size_t len)
{
	DIR *d = opendir("/proc");
	size_t at = 0;
	buf[0] = 0;
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d)))
		if (e->d_name[0] >= '0' && e->d_name[0] <= '9' && at + 16 < len)
			at += (size_t)snprintf(buf + at, len - at, "%s ", e->d_name);
	closedir(d);
}

static int errnos(void)
{
	/* With CLONE_THREAD: EINVAL. */
	long r = syscall(SYS_clone, CLONE_NEWPID | CLONE_THREAD | CLONE_SIGHAND | CLONE_VM,
			 0, 0, 0, 0);
	int e = errno;
	CHECKF("clone NEWPID|THREAD is EINVAL", r == -1 && e == EINVAL, "r=%ld errno %d", r, e);
	/* A second unshare before the first child: EINVAL. */
	CHECK_SYS("unshare NEWPID", unshare(CLONE_NEWPID));
	errno = 0;
	CHECK("second unshare is EINVAL", unshare(CLONE_NEWPID) == -1 && errno == EINVAL);
	char buf[64];
	errno = 0;
	CHECK("pid_for_children dangles before the init",
	      readlink("/proc/self/ns/pid_for_children", buf, sizeof buf) == -1 && errno == ENOENT);
	/* As uid 1000: EPERM. */
	pid_t c = fork();
	if (c == 0) {
		/* pid 1 of the new namespace. */
		if (getpid() != 1 || getppid() != 0)
			_exit(2);
		if (setuid(1000) != 0)
			_exit(3);
		_exit(unshare(CLONE_NEWPID) == -1 && errno == EPERM ? 0 : 4);
	}
	int st;
	CHECK("wait for the init by its outer pid", waitpid(c, &st, 0) == c);
	CHECKF("init saw pid 1, ppid 0, and EPERM as uid 1000",
	       WIFEXITED(st) && WEXITSTATUS(st) == 0, "status %#x", st);
	errno = 0;
	CHECK("fork after the init died is ENOMEM", fork() == -1 && errno == ENOMEM);
	return check_done();
}

/* Goes 32 levels deep; the 33rd unshare is ENOSPC. */
static int depth(int level)
{
	if (unshare(CLONE_NEWPID) != 0)
		return level == 32 && errno == ENOSPC ? 0 : 10;
	if (level >= 32)
		return 11;
	pid_t c = fork();
	if (c < 0)
		return 12;
	if (c == 0)
		_exit(getpid() == 1 ? depth(level + 1) : 13);
	int st;
	pid_t w = waitpid(c, &st, 0);
	if (w != c || !WIFEXITED(st)) {
		check_printf("level %d: waitpid(%d) = %d, status %#x, errno %d\n", level, c, w, st,
			     errno);
		return 14;
	}
	return WEXITSTATUS(st);
}

static int nesting(void)
{
	int r = depth(0);
	CHECKF("32 levels, then ENOSPC", r == 0, "code %d", r);
	return check_done();
}

/* The init of a namespace: a procfs of its own, orphans, signals, a nested
 * namespace. Exit status 0 when all went as Linux does. */
static int init_main(int report)
{
	if (getpid() != 1 || getppid() != 0)
		return 20;
	if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		return 21;
	if (mount("proc", "/proc", "proc", 0, NULL))
		return 22;
	char buf[256];
	ssize_t n = readlink("/proc/self", buf, sizeof buf - 1);
	if (n != 1 || buf[0] != '1')
		return 23;
	proc_pids(buf, sizeof buf);
	if (strcmp(buf, "1 ") != 0)
		return 24;
	/* A terminal numbers its session and foreground group in here. */
	int pt = open("/dev/ptmx", O_RDWR);
	if (pt < 0 || grantpt(pt) || unlockpt(pt) || setsid() != 1)
		return 36;
	int tty = open(ptsname(pt), O_RDWR);
	pid_t sid = -1;
	if (tty < 0 || tcgetpgrp(tty) != 1 || ioctl(tty, TIOCGSID, &sid) || sid != 1 ||
	    tcsetpgrp(tty, 1))
		return 37;
	close(tty);
	close(pt);
	/* Signals with no handler from inside are discarded, SIGKILL too. */
	kill(1, SIGTERM);
	kill(1, SIGUSR1);
	pid_t j = fork();
	if (j == 0) {
		kill(1, SIGKILL);
		/* An orphan: its parent exits, init adopts it. */
		pid_t k = fork();
		if (k == 0) {
			for (int i = 0; i < 200 && getppid() != 1; i++)
				sleep_ms(10);
			_exit(getppid() == 1 ? 0 : 1);
		}
		_exit(k == 3 ? 0 : 2);
	}
	int st;
	if (j != 2 || waitpid(j, &st, 0) != 2 || !WIFEXITED(st) || WEXITSTATUS(st))
		return 25;
	/* The orphan, pid 3, is init's to reap now. */
	if (waitpid(3, &st, 0) != 3 || !WIFEXITED(st) || WEXITSTATUS(st))
		return 26;
	/* A nested namespace: its init is 4 here and 1 there. */
	if (unshare(CLONE_NEWPID))
		return 27;
	int p[2];
	if (pipe(p))
		return 28;
	pid_t n4 = fork();
	if (n4 == 0) {
		close(p[0]);
		char c = (getpid() == 1 && getppid() == 0) ? 'y' : 'n';
		if (write(p[1], &c, 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(p[1]);
	char c = 0;
	if (n4 != 4 || read(p[0], &c, 1) != 1 || c != 'y')
		return 29;
	nspid("4", buf, sizeof buf);
	if (strcmp(buf, "4\t1") != 0)
		return 30;
	/* From an ancestor, an unhandled SIGUSR1 is discarded, SIGKILL kills. */
	kill(4, SIGUSR1);
	sleep_ms(50);
	if (waitpid(4, &st, WNOHANG) != 0)
		return 31;
	kill(4, SIGKILL);
	if (waitpid(4, &st, 0) != 4 || !WIFSIGNALED(st) || WTERMSIG(st) != SIGKILL)
		return 32;
	/* A fork into the nested namespace, whose init died, is ENOMEM. */
	errno = 0;
	if (fork() != -1 || errno != ENOMEM)
		return 34;
	/* Back to our own namespace for children. */
	int self = open("/proc/self/ns/pid", O_RDONLY);
	if (self < 0 || setns(self, CLONE_NEWPID))
		return 35;
	/* A sleeper for the outside to see killed with us: pid 6, the failed
	 * fork used up 5, as Linux allocates before it looks. */
	pid_t s = fork();
	if (s == 0) {
		for (;;)
			pause();
	}
	if (s != 6 || write(report, "r", 1) != 1)
		return 33;
	for (;;)
		pause();
}

/* Finds the outer pid of the process whose NSpid is "outer<TAB>inner"
 * and whose parent is ppid; 0 if none. */
static pid_t outer_pid(int inner, pid_t ppid)
{
	DIR *d = opendir("/proc");
	pid_t found = 0;
	if (!d)
		return 0;
	struct dirent *e;
	while ((e = readdir(d)) && !found) {
		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		char want[300], got[300];
		snprintf(want, sizeof want, "%s\t%d", e->d_name, inner);
		nspid(e->d_name, got, sizeof got);
		/* NSpid from the host's root may have more columns before ours. */
		size_t gl = strlen(got), wl = strlen(want);
		if (gl >= wl && strcmp(got + gl - wl, want) == 0) {
			char path[300], text[4096];
			snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
			int fd = open(path, O_RDONLY);
			ssize_t n = fd < 0 ? -1 : read(fd, text, sizeof text - 1);
			if (fd >= 0)
				close(fd);
			if (n > 0) {
				text[n] = 0;
				char *r = strrchr(text, ')');
				int pp = 0;
				if (r && sscanf(r + 2, "%*c %d", &pp) == 1 && pp == ppid)
					found = atoi(e->d_name);
			}
		}
	}
	closedir(d);
	return found;
}

static int lifecycle(void)
{
	int p[2];
	CHECK_SYS("pipe", pipe(p));
	CHECK_SYS("unshare NEWPID", unshare(CLONE_NEWPID));
	pid_t init = fork();
	if (init == 0) {
		close(p[0]);
		_exit(init_main(p[1]));
	}
	close(p[1]);
	char c;
	ssize_t n = read(p[0], &c, 1);
	int st;
	if (n != 1) {
		waitpid(init, &st, 0);
		CHECKF("the namespace's init ran its checks", 0, "status %#x", st);
	}
	check_ok("init: pid 1, its own /proc, orphans, signals, nested NSpid");
	char link[64], want[64];
	snprintf(want, sizeof want, "/proc/%d/ns/pid", init);
	n = readlink(want, link, sizeof link - 1);
	CHECK("/proc/PID/ns/pid reads pid:[N]", n > 5 && strncmp(link, "pid:[", 5) == 0);
	pid_t sleeper = outer_pid(6, init);
	CHECKF("the sleeper is pid 6 in there", sleeper > 0, "none found");
	CHECK_SYS("the sleeper lives", kill(sleeper, 0));
	/* SIGKILL from outside reaches the init; its death kills the rest. */
	CHECK_SYS("kill the init from outside", kill(init, SIGKILL));
	CHECK("wait for the init", waitpid(init, &st, 0) == init);
	CHECKF("the init died of SIGKILL", WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "%#x", st);
	errno = 0;
	CHECK("the sleeper went with it", kill(sleeper, 0) == -1 && errno == ESRCH);
	errno = 0;
	CHECK("fork into the dead namespace is ENOMEM", fork() == -1 && errno == ENOMEM);
	return check_done();
}

static int join(void)
{
	int p[2];
	CHECK_SYS("pipe", pipe(p));
	int rootns = open("/proc/self/ns/pid", O_RDONLY);
	CHECK("open my own ns/pid", rootns >= 0);
	CHECK_SYS("unshare NEWPID", unshare(CLONE_NEWPID));
	pid_t init = fork();
	if (init == 0) {
		close(p[0]);
		close(p[1]);
		for (;;)
			pause();
	}
	close(p[1]);
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/ns/pid", init);
	/* Another process (a child of ours in the root namespace) joins. */
	pid_t c = fork();
	if (c == 0) {
		/* We are its pid 2. */
		_exit(getpid() == 2 && getppid() == 0 ? 0 : 1);
	}
	int st;
	CHECK("child 2 saw pid 2, ppid 0", waitpid(c, &st, 0) == c && WIFEXITED(st) && !WEXITSTATUS(st));
	/* Back to our own namespace for children; the joiner starts there. */
	CHECK_SYS("setns to our own namespace", setns(rootns, CLONE_NEWPID));
	c = fork();
	if (c == 0) {
		int fd = open(path, O_RDONLY);
		if (fd < 0 || setns(fd, CLONE_NEWPID))
			_exit(11);
		pid_t g = fork();
		if (g == 0) {
			/* Inside: setns to an ancestor is EINVAL. */
			errno = 0;
			_exit(getpid() == 3 && getppid() == 0 && setns(rootns, CLONE_NEWPID) == -1 &&
				      errno == EINVAL
			      ? 0
			      : 12);
		}
		if (waitpid(g, &st, 0) != g || !WIFEXITED(st))
			_exit(13);
		if (WEXITSTATUS(st))
			_exit(WEXITSTATUS(st));
		/* Through a pidfd. */
		if (setns(rootns, CLONE_NEWPID))
			_exit(14);
		int pfd = (int)syscall(SYS_pidfd_open, init, 0);
		if (pfd < 0 || setns(pfd, CLONE_NEWPID))
			_exit(15);
		g = fork();
		if (g == 0)
			_exit(getpid() == 4 ? 0 : 16);
		if (waitpid(g, &st, 0) != g || !WIFEXITED(st))
			_exit(17);
		_exit(WEXITSTATUS(st));
	}
	CHECK("the joiner ran", waitpid(c, &st, 0) == c && WIFEXITED(st));
	CHECKF("setns by /proc/PID/ns/pid and by pidfd, EINVAL upwards", WEXITSTATUS(st) == 0,
	       "code %d", WEXITSTATUS(st));
	kill(init, SIGKILL);
	waitpid(init, &st, 0);
	return check_done();
}

int main(void)
{
	CHECK_SYS("unshare NEWNS", unshare(CLONE_NEWNS));
	CHECK_SYS("make / private", mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL));
	CHECK_SYS("mount a procfs", mount("proc", "/proc", "proc", 0, NULL));
	int r = in_child(errnos);
	CHECKF("errnos", r == 0, "status %d", r);
	r = in_child(nesting);
	CHECKF("nesting", r == 0, "status %d", r);
	r = in_child(lifecycle);
	CHECKF("lifecycle", r == 0, "status %d", r);
	r = in_child(join);
	CHECKF("join", r == 0, "status %d", r);
	return check_done();
}

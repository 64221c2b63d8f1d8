/*
 * Checks the pseudo-filesystems and mount(2): /proc/self/{stat,status,
 * cmdline,environ,exe,fd,maps,...} of this program and of a child (the fd
 * links of anonymous files named for their kind), zombies
 * and reaped processes in /proc, meminfo against mem= on the kernel command
 * line, /proc/sys, devtmpfs nodes and modes on /dev, sysfs CPUs and disks,
 * and mount/umount2: tmpfs, bind mounts, read-only remounts, noexec, EBUSY,
 * MNT_DETACH, ENODEV, EINVAL and EPERM. Needs no pipes.
 *
 * Boot it with mem=128M (any mem= works: the check reads /proc/cmdline).
 * On the host: run it in a private mount namespace (unshare -m) as root.
 */
#include "check.h"

#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/sysmacros.h>
#include <sys/timerfd.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>

#define TMPFS_MAGIC 0x01021994
#define PROC_SUPER_MAGIC 0x9fa0
#define SYSFS_MAGIC 0x62656572

extern char **environ;
static char buf[1 << 16];

/* Reads all of PATH into buf (NUL-terminated); returns its length or -1. */
static ssize_t slurp(const char *path)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	size_t len = 0;
	ssize_t n;
	while ((n = read(fd, buf + len, sizeof buf - 1 - len)) > 0)
		len += (size_t)n;
	close(fd);
	buf[len] = 0;
	return n < 0 ? -1 : (ssize_t)len;
}

static int put(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return -1;
	ssize_t n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

/* Returns the value after "KEY:" in status-like text, or NULL. */
static const char *field(const char *text, const char *key)
{
	size_t k = strlen(key);
	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		if (strncmp(l, key, k) == 0 && l[k] == ':')
			return l + k + 1 + strspn(l + k + 1, " \t");
	return NULL;
}

/* Returns whether readdir of DIR lists NAME. */
static int lists(const char *dir, const char *name)
{
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	struct dirent *e;
	int found = 0;
	while ((e = readdir(d)))
		found |= strcmp(e->d_name, name) == 0;
	closedir(d);
	return found;
}

static void test_self(int argc, char **argv)
{
	CHECK("read /proc/self/stat", slurp("/proc/self/stat") > 0);
	int pid, ppid;
	char comm[32], state;
	int n = sscanf(buf, "%d (%31[^)]) %c %d", &pid, comm, &state, &ppid);
	CHECKF("stat: pid, comm, state, ppid", n == 4 && pid == getpid() && !strcmp(comm, "procfs") &&
						       state == 'R' && ppid == getppid(),
	       "%s", buf);
	int fields = 0;
	for (char *p = strrchr(buf, ')'); p && *p; p++)
		fields += *p == ' ';
	CHECKF("stat has 52 fields", fields + 2 == 52, "%d fields", fields + 2);

	CHECK("read /proc/self/status", slurp("/proc/self/status") > 0);
	const char *v;
	CHECK("status Name", (v = field(buf, "Name")) && !strncmp(v, "procfs\n", 7));
	CHECK("status Pid", (v = field(buf, "Pid")) && atoi(v) == getpid());
	CHECK("status PPid", (v = field(buf, "PPid")) && atoi(v) == getppid());
	CHECK("status Uid", (v = field(buf, "Uid")) && !strncmp(v, "0\t0\t0\t0\n", 8));
	CHECK("status Threads", (v = field(buf, "Threads")) && atoi(v) == 1);
	CHECK("status State", (v = field(buf, "State")) && !strncmp(v, "R (running)", 11));

	ssize_t len = slurp("/proc/self/cmdline");
	char want[4096];
	size_t wl = 0;
	for (int i = 0; i < argc; i++) {
		strcpy(want + wl, argv[i]);
		wl += strlen(argv[i]) + 1;
	}
	CHECKF("cmdline is argv", len == (ssize_t)wl && !memcmp(buf, want, wl), "%zd bytes", len);
	len = slurp("/proc/self/environ");
	wl = 0;
	for (char **e = environ; *e; e++) {
		strcpy(want + wl, *e);
		wl += strlen(*e) + 1;
	}
	CHECKF("environ is the environment", len == (ssize_t)wl && !memcmp(buf, want, wl),
	       "%zd bytes, want %zu", len, wl);

	char link[256];
	ssize_t ln = readlink("/proc/self/exe", link, sizeof link - 1);
	CHECK("readlink /proc/self/exe", ln == 11 && !memcmp(link, "/bin/procfs", 11));
	char self[32];
	snprintf(self, sizeof self, "%d", getpid());
	ln = readlink("/proc/self", link, sizeof link - 1);
	CHECK("/proc/self names the caller", ln > 0 && (link[ln] = 0, !strcmp(link, self)));
	CHECK("/proc lists the caller", lists("/proc", self));

	CHECK("read /proc/self/maps", slurp("/proc/self/maps") > 0);
	CHECK("maps has [stack]", strstr(buf, "[stack]\n") != NULL);
	CHECK("maps has the executable", strstr(buf, "r-xp") && strstr(buf, " /bin/procfs\n"));
	CHECK("statm", slurp("/proc/self/statm") > 0 && atoi(buf) > 0);
	CHECK("smaps_rollup", slurp("/proc/self/smaps_rollup") > 0 && strstr(buf, "\nRss:"));
	struct rlimit rl;
	getrlimit(RLIMIT_NOFILE, &rl);
	char lim[128];
	snprintf(lim, sizeof lim, "Max open files            %-20lu %-20lu files",
		 (unsigned long)rl.rlim_cur, (unsigned long)rl.rlim_max);
	CHECK("limits", slurp("/proc/self/limits") > 0 && strstr(buf, lim));
	CHECK("comm write", put("/proc/self/comm", "renamed") == 0);
	char name[17] = { 0 };
	CHECK("prctl sees the new comm", prctl(PR_GET_NAME, name) == 0 && !strcmp(name, "renamed"));
	prctl(PR_SET_NAME, "procfs");
}

static void test_fds(void)
{
	mkdir("/tmp/p", 0755);
	int fd = open("/tmp/p/file", O_RDWR | O_CREAT | O_TRUNC, 0644);
	CHECK_SYS("open a file", fd);
	CHECK("write it", write(fd, "data", 4) == 4);
	char path[64], link[256];
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	ssize_t n = readlink(path, link, sizeof link - 1);
	CHECK("readlink /proc/self/fd/N", n == 11 && !memcmp(link, "/tmp/p/file", 11));
	CHECK("/proc/self/fd lists it", lists("/proc/self/fd", strrchr(path, '/') + 1));
	unlink("/tmp/p/file");
	n = readlink(path, link, sizeof link - 1);
	CHECKF("a deleted file's link", n > 0 && (link[n] = 0, !strcmp(link, "/tmp/p/file (deleted)")),
	       "%s", link);
	int again = open(path, O_RDONLY);
	CHECK_SYS("open /proc/self/fd/N of a deleted file", again);
	char data[8] = { 0 };
	CHECK("it is the same file", read(again, data, 8) == 4 && !strcmp(data, "data"));
	close(again);
	snprintf(path, sizeof path, "/proc/self/fdinfo/%d", fd);
	CHECK("fdinfo", slurp(path) > 0 && !strncmp(buf, "pos:\t4\n", 7) && strstr(buf, "flags:\t0"));
	close(fd);
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	CHECK_ERRNO("a closed fd is gone", readlink(path, link, sizeof link), ENOENT);
	n = readlink("/dev/stdin", link, sizeof link - 1);
	CHECK("/dev/stdin -> /proc/self/fd/0", n == 15 && !memcmp(link, "/proc/self/fd/0", 15));
	CHECK("write through /dev/stdout", (fd = open("/dev/stdout", O_WRONLY)) >= 0 &&
						   write(fd, "", 0) == 0 && close(fd) == 0);

	/* Files without a path link to the anonymous inode, named for their kind. */
	struct {
		int fd;
		const char *link;
	} anon[] = {
		{ eventfd(0, 0), "anon_inode:[eventfd]" },
		{ epoll_create1(0), "anon_inode:[eventpoll]" },
		{ timerfd_create(CLOCK_MONOTONIC, 0), "anon_inode:[timerfd]" },
		{ (int)syscall(SYS_pidfd_open, getpid(), 0), "anon_inode:[pidfd]" },
		{ inotify_init1(0), "anon_inode:inotify" },
	};
	for (size_t i = 0; i < sizeof anon / sizeof anon[0]; i++) {
		snprintf(path, sizeof path, "/proc/self/fd/%d", anon[i].fd);
		n = readlink(path, link, sizeof link - 1);
		CHECKF(anon[i].link, n > 0 && (link[n] = 0, !strcmp(link, anon[i].link)), "%s", n > 0 ? link : "-");
		close(anon[i].fd);
	}
}

static void test_child(void)
{
	pid_t pid = fork();
	if (pid == 0) {
		char *argv[] = { "/bin/procfs", "sleeper", "two words", NULL };
		char *envp[] = { "A=1", "B=two", NULL };
		execve(argv[0], argv, envp);
		_exit(127);
	}
	char path[64], dir[32];
	snprintf(dir, sizeof dir, "%d", pid);
	snprintf(path, sizeof path, "/proc/%d/cmdline", pid);
	const char want[] = "/bin/procfs\0sleeper\0two words";
	int ok = 0;
	for (int i = 0; i < 500 && !ok; i++) {
		ssize_t n = slurp(path);
		ok = n == sizeof want && !memcmp(buf, want, sizeof want);
		if (!ok)
			sleep_ms(10);
	}
	CHECK("child's cmdline after exec", ok);
	snprintf(path, sizeof path, "/proc/%d/environ", pid);
	CHECK("child's environ", slurp(path) == 10 && !memcmp(buf, "A=1\0B=two", 10));
	snprintf(path, sizeof path, "/proc/%d/stat", pid);
	char state = 0;
	for (int i = 0; i < 500 && state != 'S'; i++) {
		int p, pp;
		if (slurp(path) < 0 || sscanf(buf, "%d (procfs) %c %d", &p, &state, &pp) != 3 ||
		    p != pid || pp != getpid())
			break;
		if (state != 'S')
			sleep_ms(10);
	}
	CHECKF("paused child is S", state == 'S', "%s", buf);
	CHECK("/proc lists the child", lists("/proc", dir));
	kill(pid, SIGKILL);
	for (int i = 0; i < 500 && state != 'Z'; i++) {
		if (slurp(path) < 0 || sscanf(buf, "%*d (procfs) %c", &state) != 1)
			break;
		if (state != 'Z')
			sleep_ms(10);
	}
	CHECK("killed child is a zombie", state == 'Z');
	int st;
	CHECK("reap it", waitpid(pid, &st, 0) == pid && WIFSIGNALED(st));
	struct stat sb;
	snprintf(path, sizeof path, "/proc/%d", pid);
	CHECK_ERRNO("reaped child's directory is gone", stat(path, &sb), ENOENT);
	CHECK("/proc no longer lists it", !lists("/proc", dir));
}

/* Sets *arg to a bit per check that passes in a second thread. */
static void *thread_main(void *arg)
{
	char link[64], want[64], path[64], tid[16];
	long me = syscall(SYS_gettid);
	ssize_t n = readlink("/proc/thread-self", link, sizeof link - 1);
	snprintf(want, sizeof want, "%d/task/%ld", getpid(), me);
	int ok = n > 0 && (link[n] = 0, !strcmp(link, want));
	/* /proc/TID works for a thread but is not listed. */
	snprintf(path, sizeof path, "/proc/%ld/status", me);
	snprintf(tid, sizeof tid, "%ld", me);
	const char *v;
	ok |= (slurp(path) > 0 && (v = field(buf, "Pid")) && atol(v) == me &&
	       (v = field(buf, "Tgid")) && atol(v) == getpid()) << 1;
	ok |= !lists("/proc", tid) << 2;
	ok |= lists("/proc/self/task", tid) << 3;
	*(int *)arg = ok;
	return NULL;
}

static void test_threads(void)
{
	int ok = 0;
	pthread_t t;
	CHECK("run a thread", pthread_create(&t, NULL, thread_main, &ok) == 0 && pthread_join(t, NULL) == 0);
	CHECK("thread-self in a thread", ok & 1);
	CHECK("/proc/TID of a thread", ok & 2);
	CHECK("/proc does not list it", ok & 4);
	CHECK("task/ lists it", ok & 8);
	char self[32];
	snprintf(self, sizeof self, "%d", getpid());
	CHECK("task/ lists the main thread", lists("/proc/self/task", self));
}

static void test_system(void)
{
	CHECK("read /proc/cmdline", slurp("/proc/cmdline") > 0);
	const char *m = strstr(buf, "mem=");
	long mem = m ? strtol(m + 4, NULL, 10) : 0;
	char unit = m ? m[4 + strspn(m + 4, "0123456789")] : 0;
	long kb = unit == 'G' ? mem << 20 : unit == 'M' ? mem << 10 : unit == 'K' ? mem : mem >> 10;
	struct sysinfo si;
	CHECK_SYS("sysinfo", sysinfo(&si));
	if (!m) /* on the host */
		kb = (long)(si.totalram * si.mem_unit / 1024);
	CHECKF("sysinfo totalram is mem=", (long)(si.totalram * si.mem_unit / 1024) == kb,
	       "%lu", si.totalram);
	CHECK("read /proc/meminfo", slurp("/proc/meminfo") > 0);
	long total = atol(field(buf, "MemTotal") ?: "0");
	long free_kb = atol(field(buf, "MemFree") ?: "0");
	CHECKF("MemTotal is mem=", total == kb && kb > 0, "MemTotal %ld kB, mem= %ld kB", total, kb);
	CHECK("MemFree is below it", free_kb > 0 && free_kb < total);
	CHECK("cpuinfo has one entry per CPU", slurp("/proc/cpuinfo") > 0 &&
						       strstr(buf, "processor\t: 0\n"));
	CHECKF("uptime agrees with sysinfo", slurp("/proc/uptime") > 0 && sysinfo(&si) == 0 &&
						   atof(buf) >= 0 && atof(buf) - (double)si.uptime < 2 &&
						   (double)si.uptime - atof(buf) < 2,
	       "%s vs %ld", buf, si.uptime);
	struct timespec bt;
	clock_gettime(CLOCK_BOOTTIME, &bt);
	CHECKF("CLOCK_BOOTTIME counts from boot, as uptime", slurp("/proc/uptime") > 0 &&
							   atof(buf) - (bt.tv_sec + bt.tv_nsec / 1e9) < 2 &&
							   (bt.tv_sec + bt.tv_nsec / 1e9) - atof(buf) < 2,
	       "%s vs %ld.%09ld", buf, (long)bt.tv_sec, bt.tv_nsec);
	CHECK("loadavg", slurp("/proc/loadavg") > 0 && strchr(buf, '/'));
	CHECK("stat", slurp("/proc/stat") > 0 && !strncmp(buf, "cpu  ", 5) && strstr(buf, "\nbtime "));
	CHECK("version", slurp("/proc/version") > 0 && !strncmp(buf, "Linux version ", 14));
	CHECK("filesystems", slurp("/proc/filesystems") > 0 && strstr(buf, "nodev\tproc\n") &&
				     strstr(buf, "\text4\n"));
	CHECK("/proc/mounts has proc", slurp("/proc/mounts") > 0 && strstr(buf, "proc /proc proc rw"));
	CHECK("mountinfo", slurp("/proc/self/mountinfo") > 0 && strstr(buf, " / / ro,relatime - ext4 "));
	struct utsname u;
	uname(&u);
	CHECK("hostname", slurp("/proc/sys/kernel/hostname") > 0 && !strncmp(buf, u.nodename, strlen(u.nodename)));
	CHECK("set hostname through /proc", put("/proc/sys/kernel/hostname", "procfs-test\n") == 0 &&
						    uname(&u) == 0 && !strcmp(u.nodename, "procfs-test"));
	CHECK("osrelease", slurp("/proc/sys/kernel/osrelease") > 0 && !strncmp(buf, u.release, strlen(u.release)));
	CHECK("pid_max", slurp("/proc/sys/kernel/pid_max") > 0 && atoi(buf) >= 32768 && atoi(buf) > getpid());
	char a[64];
	CHECK("boot_id", slurp("/proc/sys/kernel/random/boot_id") == 37 && (strcpy(a, buf), 1) &&
				 slurp("/proc/sys/kernel/random/boot_id") == 37 && !strcmp(a, buf));
	CHECK("uuid differs each time", slurp("/proc/sys/kernel/random/uuid") == 37 && strcpy(a, buf) &&
						slurp("/proc/sys/kernel/random/uuid") == 37 && strcmp(a, buf));
	struct statfs sf;
	CHECK("/proc is procfs", statfs("/proc", &sf) == 0 && sf.f_type == PROC_SUPER_MAGIC);
	CHECK("/sys is sysfs", statfs("/sys", &sf) == 0 && sf.f_type == SYSFS_MAGIC);
}

static void test_dev_sys(void)
{
	static const struct { const char *path; int major, minor; mode_t mode; } nodes[] = {
		{ "/dev/null", 1, 3, S_IFCHR | 0666 },	  { "/dev/zero", 1, 5, S_IFCHR | 0666 },
		{ "/dev/full", 1, 7, S_IFCHR | 0666 },	  { "/dev/random", 1, 8, S_IFCHR | 0666 },
		{ "/dev/urandom", 1, 9, S_IFCHR | 0666 }, { "/dev/tty", 5, 0, S_IFCHR | 0666 },
		{ "/dev/console", 5, 1, S_IFCHR | 0600 },
	};
	for (size_t i = 0; i < sizeof nodes / sizeof *nodes; i++) {
		struct stat st;
		CHECKF(nodes[i].path, lstat(nodes[i].path, &st) == 0 && st.st_mode == nodes[i].mode &&
					      st.st_rdev == makedev(nodes[i].major, nodes[i].minor),
		       "mode %o rdev %lx", st.st_mode, (unsigned long)st.st_rdev);
	}
	struct stat st;
	CHECK("/dev/shm is a 1777 directory", stat("/dev/shm", &st) == 0 && st.st_mode == (S_IFDIR | 01777));
	int fd = open("/dev/full", O_WRONLY);
	CHECK_ERRNO("/dev/full is full", write(fd, "x", 1), ENOSPC);
	close(fd);
	fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);
	CHECK_SYS("open /dev/kmsg", fd);
	ssize_t got = read(fd, buf, sizeof buf - 1);
	unsigned level;
	unsigned long long seq, usec;
	int end = 0;
	CHECKF("a kmsg record", got > 0 && (buf[got] = 0, 1) &&
				      sscanf(buf, "%u,%llu,%llu,%*[^;];%n", &level, &seq, &usec, &end) == 3 &&
				      end > 0 && buf[got - 1] == '\n',
	       "%s", buf);
	CHECK_ERRNO("a too small buffer", read(fd, buf, 8), EINVAL);
	/* A writev is one record (systemd and udev log so). */
	int w = open("/dev/kmsg", O_WRONLY);
	struct iovec rec[] = { { "<5>", 3 }, { "procfs test: ", 13 }, { "one record\n", 11 } };
	CHECK("writev to /dev/kmsg", writev(w, rec, 3) == 27);
	close(w);
	int found = 0;
	while ((got = read(fd, buf, sizeof buf - 1)) > 0 || (got < 0 && errno == EPIPE)) {
		if (got < 0)
			continue; /* records lost to newer ones */
		buf[got] = 0;
		char *text = strchr(buf, ';');
		if (text && strstr(text, "procfs test"))
			found = !strcmp(text, ";procfs test: one record\n") && !strncmp(buf, "13,", 3) ? 1 : -1;
	}
	CHECKF("is one record, of level 5 and facility user", found == 1, "%d %s", found, buf);
	close(fd);
	CHECK("read /sys/devices/system/cpu/online", slurp("/sys/devices/system/cpu/online") > 0);
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	char want[32];
	snprintf(want, sizeof want, n == 1 ? "0\n" : "0-%ld\n", n - 1);
	CHECKF("online CPUs agree with sysconf", !strcmp(buf, want) && n >= 1, "%s vs %ld", buf, n);
	/* The first disk of /proc/partitions: ubda (98:0) here, vda on a VM host. */
	CHECK("partitions", slurp("/proc/partitions") > 0);
	unsigned dmaj = 0, dmin = 0;
	unsigned long blocks = 0;
	char disk[32] = "", path[96];
	CHECK("partitions names a disk",
	      sscanf(buf, "major minor  #blocks  name\n\n %u %u %lu %31s", &dmaj, &dmin, &blocks, disk) == 4);
	CHECK("the disk is ubda, 98:0", strncmp(disk, "ubd", 3) || (!strcmp(disk, "ubda") && dmaj == 98 && dmin == 0));
	snprintf(path, sizeof path, "/dev/%s", disk);
	CHECKF("its block node (0660 for ubd)", stat(path, &st) == 0 && S_ISBLK(st.st_mode) &&
						       st.st_rdev == makedev(dmaj, dmin) &&
						       ((st.st_mode & 07777) == 0660 || strncmp(disk, "ubd", 3)),
	       "%s: mode %o", path, st.st_mode);
	snprintf(path, sizeof path, "/sys/block/%s/size", disk);
	CHECKF("its size in sectors", slurp(path) > 0 && strtoul(buf, NULL, 10) == blocks * 2, "%s", buf);
	snprintf(path, sizeof path, "/sys/block/%s/dev", disk);
	char want_dev[32];
	snprintf(want_dev, sizeof want_dev, "%u:%u\n", dmaj, dmin);
	CHECK("its dev", slurp(path) > 0 && !strcmp(buf, want_dev));
	snprintf(path, sizeof path, "/sys/block/%s/queue/logical_block_size", disk);
	CHECK("queue/logical_block_size", slurp(path) > 0 && !strcmp(buf, "512\n"));
	CHECK("transparent hugepage setting", /* [never] here */
	      slurp("/sys/kernel/mm/transparent_hugepage/enabled") > 0 &&
		      (strstr(buf, "[never]") || strstr(buf, "[always]") || strstr(buf, "[madvise]")));
}

static void test_mount(void)
{
	struct statfs sf;
	mkdir("/tmp/m", 0755);
	mkdir("/tmp/b", 0755);
	/* systemd follows the mounts so: epoll on mountinfo for EPOLLPRI. */
	int mi = open("/proc/self/mountinfo", O_RDONLY);
	int ep = epoll_create1(0);
	struct epoll_event ev = { .events = EPOLLPRI, .data.fd = mi }, got;
	epoll_ctl(ep, EPOLL_CTL_ADD, mi, &ev);
	CHECK("mountinfo is quiet with no change", epoll_wait(ep, &got, 1, 0) == 0);
	CHECK_SYS("mount tmpfs", mount("none", "/tmp/m", "tmpfs", 0, "size=1m,mode=700"));
	CHECK("a mount makes mountinfo report EPOLLPRI",
	      epoll_wait(ep, &got, 1, 1000) == 1 && (got.events & EPOLLPRI) && (got.events & EPOLLERR));
	CHECK("once", epoll_wait(ep, &got, 1, 0) == 0);
	close(ep);
	close(mi);
	struct stat st;
	CHECK("size= and mode=", statfs("/tmp/m", &sf) == 0 && sf.f_type == TMPFS_MAGIC &&
					 sf.f_blocks * sf.f_bsize == 1 << 20 && stat("/tmp/m", &st) == 0 &&
					 (st.st_mode & 07777) == 0700);
	CHECK("write into it", put("/tmp/m/f", "x") == 0);
	CHECK("listed in /proc/mounts", slurp("/proc/mounts") > 0 && strstr(buf, "none /tmp/m tmpfs rw,relatime"));
	CHECK_ERRNO("ENODEV for an unknown type", mount("x", "/tmp/b", "nosuchfs", 0, NULL), ENODEV);
	CHECK_ERRNO("EINVAL for bad tmpfs options", mount("x", "/tmp/b", "tmpfs", 0, "bogus=1"), EINVAL);
	CHECK_SYS("bind mount", mount("/tmp/m", "/tmp/b", NULL, MS_BIND, NULL));
	CHECK("the bind shows the file", stat("/tmp/b/f", &st) == 0);
	CHECK_SYS("remount the bind read-only", mount(NULL, "/tmp/b", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL));
	CHECK_ERRNO("EROFS through it", open("/tmp/b/g", O_WRONLY | O_CREAT, 0644), EROFS);
	CHECK("still writable through the other", put("/tmp/m/g", "y") == 0);
	CHECK("statfs says ro", statfs("/tmp/b", &sf) == 0 && (sf.f_flags & ST_RDONLY));
	CHECK_SYS("remount read-write", mount(NULL, "/tmp/b", NULL, MS_REMOUNT | MS_BIND, NULL));
	CHECK("writable again", put("/tmp/b/h", "z") == 0);
	CHECK_SYS("chdir into the bind", chdir("/tmp/b"));
	CHECK_ERRNO("EBUSY with the cwd inside", umount2("/tmp/b", 0), EBUSY);
	chdir("/");
	int fd = open("/tmp/b/f", O_RDONLY);
	CHECK_ERRNO("EBUSY with a file open inside", umount2("/tmp/b", 0), EBUSY);
	close(fd);
	CHECK_SYS("umount the bind", umount2("/tmp/b", 0));
	CHECK_ERRNO("EINVAL for a non-mount", umount2("/tmp/b", 0), EINVAL);
	mkdir("/tmp/m/sub", 0755);
	CHECK_SYS("mount below", mount("t", "/tmp/m/sub", "tmpfs", 0, NULL));
	CHECK_ERRNO("EBUSY with a mount below", umount2("/tmp/m", 0), EBUSY);
	CHECK_SYS("chdir into it", chdir("/tmp/m/sub"));
	CHECK_SYS("MNT_DETACH", umount2("/tmp/m", MNT_DETACH));
	CHECK("the cwd still works", put("here", "x") == 0 && stat("here", &st) == 0);
	chdir("/");
	CHECK_ERRNO("gone from the tree", stat("/tmp/m/f", &st), ENOENT);

	CHECK_SYS("mount noexec", mount("t", "/tmp/m", "tmpfs", MS_NOEXEC, NULL));
	ssize_t len = slurp("/bin/exit42");
	fd = open("/tmp/m/prog", O_WRONLY | O_CREAT, 0755);
	CHECK("copy it", fd >= 0 && write(fd, buf, (size_t)len) == len && close(fd) == 0);
	char *argv[] = { "/tmp/m/prog", NULL };
	CHECK_ERRNO("execve on noexec is EACCES", execve(argv[0], argv, environ), EACCES);
	fd = open("/tmp/m/prog", O_RDONLY);
	CHECK("mmap PROT_EXEC on noexec is EPERM",
	      mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0) == MAP_FAILED && errno == EPERM);
	close(fd);
	CHECK_SYS("umount it", umount2("/tmp/m", 0));
	CHECK_SYS("mount proc elsewhere", mount("proc", "/tmp/m", "proc", 0, NULL));
	CHECK("a second procfs works", stat("/tmp/m/self/status", &st) == 0);
	CHECK_SYS("umount it", umount2("/tmp/m", 0));

	pid_t pid = fork();
	if (pid == 0) {
		if (setuid(1000) != 0)
			_exit(2);
		_exit(mount("t", "/tmp/m", "tmpfs", 0, NULL) == -1 && errno == EPERM ? 0 : 1);
	}
	int status;
	CHECK("EPERM for non-root", waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
					    WEXITSTATUS(status) == 0);
}

/* Another user may read a process's stat but not its environment, links or
 * files, nor write sysctls. */
static void test_other_user(void)
{
	pid_t pid = fork();
	if (pid == 0) {
		char link[64], path[64];
		snprintf(path, sizeof path, "/proc/%d/stat", getppid());
		if (setuid(1000) != 0 || slurp(path) <= 0)
			_exit(2);
		snprintf(path, sizeof path, "/proc/%d/environ", getppid());
		if (slurp(path) != -1 || errno != EACCES)
			_exit(3);
		snprintf(path, sizeof path, "/proc/%d/exe", getppid());
		if (readlink(path, link, sizeof link) != -1 || errno != EACCES)
			_exit(4);
		snprintf(path, sizeof path, "/proc/%d/fd", getppid());
		if (opendir(path) && lists(path, "0"))
			_exit(5);
		if (put("/proc/sys/kernel/hostname", "nope\n") != -1 || errno != EACCES)
			_exit(6);
		if (readlink("/proc/self/exe", link, sizeof link) != 11)
			_exit(7);
		_exit(0);
	}
	int status;
	CHECKF("another user's view", waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
					      WEXITSTATUS(status) == 0,
	       "status %d", WEXITSTATUS(status));
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "sleeper")) {
		for (;;)
			pause();
	}
	test_self(argc, argv);
	test_fds();
	test_child();
	test_threads();
	test_system();
	test_dev_sys();
	test_mount();
	test_other_user();
	return check_done();
}

/*
 * Checks inotify(7) in each directory given (default /tmp): inotify_init1
 * flags, inotify_add_watch and inotify_rm_watch errors (EINVAL, EBADF,
 * ENOENT, ENOTDIR, IN_ONLYDIR, EACCES, EEXIST with IN_MASK_CREATE, ENOSPC
 * past max_user_watches), watch descriptors, IN_MASK_ADD, IN_DONT_FOLLOW;
 * the events of a create-write-close-rename-unlink sequence seen by a
 * directory watch (with names) and a file watch, rename cookies, IN_ISDIR,
 * IN_ATTRIB (chmod, chown, utimes, link counts), IN_MODIFY (truncate,
 * fallocate), IN_CREATE for mknod, symlink, link and O_TMPFILE linkat,
 * IN_DELETE_SELF at the last close of an unlinked file, IN_EXCL_UNLINK,
 * IN_ONESHOT, IN_IGNORED; reads: packing and padding, EINVAL for a small
 * buffer, EAGAIN, a blocking read woken by another process and interrupted
 * by a signal, poll and epoll readiness, /proc/self/fdinfo, FIONREAD,
 * merging of equal events, IN_Q_OVERFLOW; IN_UNMOUNT when a tmpfs mounted
 * below is unmounted (root).
 *
 * The host kernel is the reference: run it there as `inotify DIR...` with
 * DIRs on tmpfs and ext4.
 */
#include "check.h"

#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>

static const char *dir;
static char base[PATH_MAX];

/* Returns "DIR: WHAT" as a check name (valid until the next call). */
static const char *N(const char *what)
{
	static char name[PATH_MAX + 256];
	snprintf(name, sizeof name, "%s: %s", dir, what);
	return name;
}

/* Returns BASE/NAME (one of four rotating buffers). */
static const char *P(const char *name)
{
	static char bufs[4][PATH_MAX + 64];
	static int i;
	char *b = bufs[i++ % 4];
	snprintf(b, PATH_MAX + 64, "%s/%s", base, name);
	return b;
}

static const struct {
	uint32_t bit;
	const char *name;
} bits[] = {
	{ IN_ACCESS, "ACCESS" },	 { IN_MODIFY, "MODIFY" },
	{ IN_ATTRIB, "ATTRIB" },	 { IN_CLOSE_WRITE, "CLOSE_WRITE" },
	{ IN_CLOSE_NOWRITE, "CLOSE_NOWRITE" }, { IN_OPEN, "OPEN" },
	{ IN_MOVED_FROM, "MOVED_FROM" }, { IN_MOVED_TO, "MOVED_TO" },
	{ IN_CREATE, "CREATE" },	 { IN_DELETE, "DELETE" },
	{ IN_DELETE_SELF, "DELETE_SELF" }, { IN_MOVE_SELF, "MOVE_SELF" },
	{ IN_UNMOUNT, "UNMOUNT" },	 { IN_Q_OVERFLOW, "Q_OVERFLOW" },
	{ IN_IGNORED, "IGNORED" },	 { IN_ISDIR, "ISDIR" },
};

static uint32_t cookies[64];
static int ncookies;

/*
 * Reads every event waiting on FD (it must be O_NONBLOCK) and returns them
 * as "WD MASK[ NAME]" separated by "; "; cookies of nonzero go to cookies[].
 */
static const char *events(int fd)
{
	static char out[8192];
	char buf[4096] __attribute__((aligned(8)));
	size_t used = 0;
	out[0] = 0;
	ncookies = 0;
	for (;;) {
		ssize_t n = read(fd, buf, sizeof buf);
		if (n <= 0)
			break;
		for (char *p = buf; p < buf + n;) {
			struct inotify_event *e = (struct inotify_event *)p;
			used += snprintf(out + used, sizeof out - used, "%s%d ",
					 used ? "; " : "", e->wd);
			int first = 1;
			for (size_t i = 0; i < sizeof bits / sizeof bits[0]; i++)
				if (e->mask & bits[i].bit) {
					used += snprintf(out + used,
							 sizeof out - used,
							 "%s%s", first ? "" : "|",
							 bits[i].name);
					first = 0;
				}
			if (e->len)
				used += snprintf(out + used, sizeof out - used,
						 " %s", e->name);
			if (e->cookie && ncookies < 64)
				cookies[ncookies++] = e->cookie;
			p += sizeof *e + e->len;
		}
	}
	return out;
}

/* Checks that the events waiting on FD are exactly WANT. */
#define EXPECT(what, fd, want)                                                \
	do {                                                                  \
		const char *got_ = events(fd);                                \
		CHECKF(N(what), strcmp(got_, want) == 0,                      \
		       "got \"%s\", want \"%s\"", got_, want);                \
	} while (0)

static int new_instance(void)
{
	return MUST(inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
}

static void touch(const char *path)
{
	close(MUST(open(path, O_CREAT | O_WRONLY, 0644)));
}

static void write_file(const char *path, const char *text)
{
	int fd = MUST(open(path, O_WRONLY));
	MUST(write(fd, text, strlen(text)));
	close(fd);
}

static void check_init_and_errors(void)
{
	CHECK_ERRNO(N("inotify_init1 with an unknown flag: EINVAL"),
		    inotify_init1(O_RDWR), EINVAL);
	int fd = inotify_init();
	CHECK(N("inotify_init"), fd >= 0 && !(fcntl(fd, F_GETFL) & O_NONBLOCK));
	close(fd);
	fd = MUST(inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
	CHECK(N("inotify_init1 IN_NONBLOCK|IN_CLOEXEC"),
	      (fcntl(fd, F_GETFL) & O_NONBLOCK) &&
		      (fcntl(fd, F_GETFD) & FD_CLOEXEC));
	touch(P("f"));
	CHECK_ERRNO(N("add_watch with no event: EINVAL"),
		    inotify_add_watch(fd, base, 0), EINVAL);
	CHECK_ERRNO(N("add_watch with an unknown bit only: EINVAL"),
		    inotify_add_watch(fd, base, 0x1000), EINVAL);
	CHECK_ERRNO(N("the mask is checked before the fd: EINVAL"),
		    inotify_add_watch(-1, base, 0), EINVAL);
	CHECK_ERRNO(N("IN_MASK_ADD|IN_MASK_CREATE: EINVAL"),
		    inotify_add_watch(fd, base,
				      IN_MODIFY | IN_MASK_ADD | IN_MASK_CREATE),
		    EINVAL);
	CHECK_ERRNO(N("add_watch on a bad fd: EBADF"),
		    inotify_add_watch(-1, base, IN_MODIFY), EBADF);
	int plain = MUST(open(P("f"), O_RDONLY));
	CHECK_ERRNO(N("add_watch on a file that is not inotify: EINVAL"),
		    inotify_add_watch(plain, base, IN_MODIFY), EINVAL);
	CHECK_ERRNO(N("rm_watch on a file that is not inotify: EINVAL"),
		    inotify_rm_watch(plain, 1), EINVAL);
	close(plain);
	CHECK_ERRNO(N("rm_watch on a bad fd: EBADF"), inotify_rm_watch(-1, 1),
		    EBADF);
	CHECK_ERRNO(N("add_watch of a missing file: ENOENT"),
		    inotify_add_watch(fd, P("missing"), IN_MODIFY), ENOENT);
	CHECK_ERRNO(N("add_watch through a file: ENOTDIR"),
		    inotify_add_watch(fd, P("f/x"), IN_MODIFY), ENOTDIR);
	CHECK_ERRNO(N("IN_ONLYDIR on a file: ENOTDIR"),
		    inotify_add_watch(fd, P("f"), IN_MODIFY | IN_ONLYDIR),
		    ENOTDIR);
	CHECK_ERRNO(N("rm_watch of an unknown wd: EINVAL"),
		    inotify_rm_watch(fd, 1), EINVAL);
	int wd1 = inotify_add_watch(fd, base, IN_MODIFY | IN_ONLYDIR);
	int wd2 = inotify_add_watch(fd, P("f"), IN_MODIFY);
	CHECKF(N("watch descriptors start at 1 and increase"),
	       wd1 == 1 && wd2 == 2, "wds %d %d", wd1, wd2);
	CHECK(N("adding a watch again gives the same wd"),
	      inotify_add_watch(fd, P("f"), IN_ATTRIB) == 2);
	CHECK_ERRNO(N("IN_MASK_CREATE on a watched inode: EEXIST"),
		    inotify_add_watch(fd, P("f"), IN_ATTRIB | IN_MASK_CREATE),
		    EEXIST);
	CHECK_SYS(N("rm_watch"), inotify_rm_watch(fd, 2));
	EXPECT("rm_watch queues IN_IGNORED", fd, "2 IGNORED");
	CHECK_ERRNO(N("rm_watch twice: EINVAL"), inotify_rm_watch(fd, 2),
		    EINVAL);
	CHECK(N("wds are not reused"),
	      inotify_add_watch(fd, P("f"), IN_MODIFY) == 3);
	CHECK(N("a watch through a symlink watches the target"),
	      symlink("f", P("l")) == 0 &&
		      inotify_add_watch(fd, P("l"), IN_MODIFY) == 3);
	CHECK(N("IN_DONT_FOLLOW watches the symlink"),
	      inotify_add_watch(fd, P("l"), IN_MODIFY | IN_DONT_FOLLOW) == 4);
	EXPECT("no events yet", fd, "");
	CHECK_ERRNO(N("read with nothing queued: EAGAIN"),
		    read(fd, (char[64]){ 0 }, 64), EAGAIN);
	close(fd);
	MUST(unlink(P("l")));
	MUST(unlink(P("f")));

	if (geteuid() != 0)
		return;
	touch(P("secret"));
	MUST(chmod(P("secret"), 0600));
	pid_t pid = MUST(fork());
	if (pid == 0) {
		int ifd = inotify_init1(0);
		if (setresuid(1000, 1000, 1000) != 0)
			_exit(2);
		errno = 0;
		int r = inotify_add_watch(ifd, P("secret"), IN_MODIFY);
		_exit(r == -1 && errno == EACCES ? 0 : 1);
	}
	int status;
	MUST(waitpid(pid, &status, 0));
	CHECK(N("a file the caller may not read: EACCES"),
	      WIFEXITED(status) && WEXITSTATUS(status) == 0);
	MUST(unlink(P("secret")));
}

static void check_sequence(void)
{
	int fd = new_instance();
	int dwd = MUST(inotify_add_watch(fd, base, IN_ALL_EVENTS));
	int out = MUST(open(P("a"), O_CREAT | O_WRONLY, 0644));
	close(out);
	EXPECT("creat", fd, "1 CREATE a; 1 OPEN a; 1 CLOSE_WRITE a");
	int fwd = MUST(inotify_add_watch(fd, P("a"), IN_ALL_EVENTS));
	CHECK(N("the file's wd"), dwd == 1 && fwd == 2);
	out = MUST(open(P("a"), O_WRONLY));
	MUST(write(out, "x", 1));
	MUST(write(out, "y", 1));
	close(out);
	EXPECT("open, write twice, close (interleaved: not merged)", fd,
	       "1 OPEN a; 2 OPEN; 1 MODIFY a; 2 MODIFY; 1 MODIFY a; 2 MODIFY; "
	       "1 CLOSE_WRITE a; 2 CLOSE_WRITE");
	char buf[8];
	int in = MUST(open(P("a"), O_RDONLY));
	MUST(read(in, buf, sizeof buf));
	MUST(read(in, buf, sizeof buf));
	close(in);
	EXPECT("read (at EOF no access)", fd,
	       "1 OPEN a; 2 OPEN; 1 ACCESS a; 2 ACCESS; 1 CLOSE_NOWRITE a; "
	       "2 CLOSE_NOWRITE");
	MUST(rename(P("a"), P("b")));
	EXPECT("rename", fd, "1 MOVED_FROM a; 1 MOVED_TO b; 2 MOVE_SELF");
	CHECKF(N("the halves of a rename share a nonzero cookie"),
	       ncookies == 2 && cookies[0] && cookies[0] == cookies[1],
	       "%d cookies %u %u", ncookies, cookies[0], cookies[1]);
	touch(P("c"));
	events(fd);
	MUST(rename(P("c"), P("b")));
	EXPECT("rename over a watched file", fd,
	       "1 MOVED_FROM c; 1 MOVED_TO b; 2 ATTRIB; 2 DELETE_SELF; "
	       "2 IGNORED");
	CHECK(N("a new cookie for each rename"),
	      ncookies == 2 && cookies[0] == cookies[1]);
	fwd = MUST(inotify_add_watch(fd, P("b"), IN_ALL_EVENTS));
	MUST(unlink(P("b")));
	EXPECT("unlink", fd, "3 ATTRIB; 3 DELETE_SELF; 3 IGNORED; 1 DELETE b");

	MUST(mkdir(P("sub"), 0755));
	int swd = MUST(inotify_add_watch(fd, P("sub"), IN_ALL_EVENTS));
	int d = MUST(open(P("sub"), O_RDONLY | O_DIRECTORY));
	MUST(syscall(SYS_getdents64, d, (char[1024]){ 0 }, 1024));
	close(d);
	MUST(rename(P("sub"), P("sub2")));
	MUST(rmdir(P("sub2")));
	EXPECT("a directory: IN_ISDIR", fd,
	       "1 CREATE|ISDIR sub; 1 OPEN|ISDIR sub; 4 OPEN|ISDIR; "
	       "1 ACCESS|ISDIR sub; 4 ACCESS|ISDIR; "
	       "1 CLOSE_NOWRITE|ISDIR sub; 4 CLOSE_NOWRITE|ISDIR; "
	       "1 MOVED_FROM|ISDIR sub; 1 MOVED_TO|ISDIR sub2; 4 MOVE_SELF; "
	       "4 DELETE_SELF; 4 IGNORED; 1 DELETE|ISDIR sub2");
	CHECK(N("the subdirectory's wd"), swd == 4);
	close(fd);
}

static void check_attributes(void)
{
	touch(P("f"));
	int fd = new_instance();
	MUST(inotify_add_watch(fd, base, IN_ALL_EVENTS));
	MUST(inotify_add_watch(fd, P("f"), IN_ATTRIB | IN_MODIFY | IN_CREATE));
	MUST(chmod(P("f"), 0600));
	EXPECT("chmod", fd, "1 ATTRIB f; 2 ATTRIB");
	MUST(utimensat(AT_FDCWD, P("f"), NULL, 0));
	EXPECT("utimensat", fd, "1 ATTRIB f; 2 ATTRIB");
	struct timespec mt[2] = { { 0, UTIME_OMIT }, { 5, 0 } };
	MUST(utimensat(AT_FDCWD, P("f"), mt, 0));
	EXPECT("utimensat of the modification time alone", fd,
	       "1 MODIFY f; 2 MODIFY");
	if (geteuid() == 0) {
		MUST(chown(P("f"), 1, 1));
		EXPECT("chown", fd, "1 ATTRIB f; 2 ATTRIB");
	}
	MUST(truncate(P("f"), 100));
	EXPECT("truncate", fd, "1 MODIFY f; 2 MODIFY");
	int w = MUST(open(P("f"), O_WRONLY));
	events(fd);
	MUST(fallocate(w, 0, 0, 4096));
	EXPECT("fallocate", fd, "1 MODIFY f; 2 MODIFY");
	MUST(ftruncate(w, 0));
	EXPECT("ftruncate", fd, "1 MODIFY f; 2 MODIFY");
	close(w);
	events(fd);
	int tr = MUST(open(P("f"), O_WRONLY | O_TRUNC));
	EXPECT("O_TRUNC", fd, "1 OPEN f; 1 MODIFY f; 2 MODIFY");
	close(tr);
	events(fd);
	MUST(link(P("f"), P("g")));
	EXPECT("link", fd, "2 ATTRIB; 1 CREATE g");
	MUST(unlink(P("g")));
	EXPECT("unlink of one name", fd, "2 ATTRIB; 1 DELETE g");
	MUST(mkfifo(P("fifo"), 0600));
	MUST(symlink("f", P("sym")));
	EXPECT("mkfifo and symlink", fd, "1 CREATE fifo; 1 CREATE sym");
	MUST(unlink(P("fifo")));
	MUST(unlink(P("sym")));
	events(fd);
	int t = open(base, O_TMPFILE | O_WRONLY, 0600);
	if (t >= 0) {
		char proc[64];
		snprintf(proc, sizeof proc, "/proc/self/fd/%d", t);
		char want[64];
		struct stat st;
		MUST(fstat(t, &st));
		snprintf(want, sizeof want, "1 OPEN #%lu", (unsigned long)st.st_ino);
		EXPECT("O_TMPFILE: the directory sees \"#INO\" opened", fd, want);
		MUST(linkat(t, "", AT_FDCWD, P("t"), AT_EMPTY_PATH));
		EXPECT("linkat of an O_TMPFILE file", fd, "1 CREATE t");
		close(t);
		MUST(unlink(P("t")));
	}
	close(fd);
	MUST(unlink(P("f")));
}

static void check_unlinked_open_file(void)
{
	int fd = new_instance();
	touch(P("f"));
	MUST(inotify_add_watch(fd, base, IN_ALL_EVENTS));
	int wd = MUST(inotify_add_watch(fd, P("f"), IN_ALL_EVENTS));
	int o = MUST(open(P("f"), O_RDWR));
	MUST(unlink(P("f")));
	EXPECT("unlink of an open file", fd,
	       "1 OPEN f; 2 OPEN; 2 ATTRIB; 1 DELETE f");
	MUST(write(o, "x", 1));
	EXPECT("a write to it still reaches the directory", fd,
	       "1 MODIFY f; 2 MODIFY");
	close(o);
	EXPECT("its last close", fd,
	       "1 CLOSE_WRITE f; 2 CLOSE_WRITE; 2 DELETE_SELF; 2 IGNORED");
	CHECK(N("the wd is gone"), wd == 2 && inotify_rm_watch(fd, wd) == -1);
	close(fd);

	fd = new_instance();
	touch(P("f"));
	MUST(inotify_add_watch(fd, base, IN_MODIFY | IN_EXCL_UNLINK));
	o = MUST(open(P("f"), O_RDWR));
	MUST(write(o, "x", 1));
	MUST(unlink(P("f")));
	MUST(write(o, "y", 1));
	close(o);
	EXPECT("IN_EXCL_UNLINK", fd, "1 MODIFY f");
	close(fd);
}

static void check_flags(void)
{
	touch(P("f"));
	int fd = new_instance();
	int wd = MUST(inotify_add_watch(fd, P("f"), IN_MODIFY | IN_ONESHOT));
	write_file(P("f"), "a");
	write_file(P("f"), "b");
	EXPECT("IN_ONESHOT", fd, "1 MODIFY; 1 IGNORED");
	CHECK_ERRNO(N("a oneshot watch is gone after its event"),
		    inotify_rm_watch(fd, wd), EINVAL);
	close(fd);
	fd = new_instance();
	MUST(inotify_add_watch(fd, base, IN_ALL_EVENTS));
	int w = MUST(open(P("f"), O_WRONLY));
	MUST(write(w, "a", 1));
	MUST(write(w, "b", 1));
	close(w);
	EXPECT("an event equal to the last one is merged", fd,
	       "1 OPEN f; 1 MODIFY f; 1 CLOSE_WRITE f");
	char info[64], text[512] = { 0 };
	snprintf(info, sizeof info, "/proc/self/fdinfo/%d", fd);
	int fi = open(info, O_RDONLY);
	if (fi >= 0) {
		MUST(read(fi, text, sizeof text - 1));
		close(fi);
		CHECKF(N("fdinfo shows the watch"),
		       strstr(text, "\ninotify wd:1 ino:") != NULL, "%s", text);
	}
	close(fd);
	fd = new_instance();
	wd = MUST(inotify_add_watch(fd, P("f"), IN_OPEN));
	CHECK(N("IN_MASK_ADD gives the same wd"),
	      inotify_add_watch(fd, P("f"), IN_CLOSE_NOWRITE | IN_MASK_ADD) ==
		      wd);
	close(MUST(open(P("f"), O_RDONLY)));
	EXPECT("IN_MASK_ADD adds events", fd, "1 OPEN; 1 CLOSE_NOWRITE");
	MUST(inotify_add_watch(fd, P("f"), IN_ACCESS));
	close(MUST(open(P("f"), O_RDONLY)));
	EXPECT("adding again replaces the mask", fd, "");
	close(fd);
	MUST(unlink(P("f")));
}

static void on_alarm(int sig)
{
	(void)sig;
}

static void check_reads(void)
{
	int fd = new_instance();
	MUST(inotify_add_watch(fd, base, IN_CREATE));
	struct pollfd pfd = { fd, POLLIN, 0 };
	CHECK(N("poll: not readable while empty"), poll(&pfd, 1, 0) == 0);
	touch(P("a-long-name-of-20c"));
	touch(P("b"));
	CHECK(N("poll: readable with an event"),
	      poll(&pfd, 1, 0) == 1 && pfd.revents == POLLIN);
	int ep = MUST(epoll_create1(0));
	struct epoll_event ee = { .events = EPOLLIN };
	MUST(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ee));
	CHECK(N("epoll: readable with an event"),
	      epoll_wait(ep, &ee, 1, 0) == 1 && ee.events == EPOLLIN);
	close(ep);
	int avail = -1;
	MUST(ioctl(fd, FIONREAD, &avail));
	CHECKF(N("FIONREAD"), avail == 16 + 32 + 16 + 16, "%d", avail);
	char buf[256] __attribute__((aligned(8)));
	CHECK_ERRNO(N("a buffer too small for the next event: EINVAL"),
		    read(fd, buf, 47), EINVAL);
	ssize_t n = read(fd, buf, 48);
	struct inotify_event *e = (struct inotify_event *)buf;
	CHECKF(N("one event, its name NUL-padded to 16 bytes"),
	       n == 48 && e->len == 32 && e->mask == IN_CREATE &&
		       strcmp(e->name, "a-long-name-of-20c") == 0 &&
		       e->name[31] == 0,
	       "n %zd len %u", n, e->len);
	n = read(fd, buf, sizeof buf);
	CHECKF(N("the rest"), n == 32 && e->len == 16 && !strcmp(e->name, "b"),
	       "n %zd", n);
	MUST(unlink(P("a-long-name-of-20c")));
	MUST(unlink(P("b")));
	close(fd);

	fd = MUST(inotify_init1(0));
	MUST(inotify_add_watch(fd, base, IN_CREATE));
	pid_t pid = MUST(fork());
	if (pid == 0) {
		sleep_ms(100);
		touch(P("woke"));
		_exit(0);
	}
	n = read(fd, buf, sizeof buf);
	CHECK(N("a blocking read waits for another process's event"),
	      n == 32 && !strcmp(e->name, "woke"));
	MUST(waitpid(pid, NULL, 0));
	MUST(unlink(P("woke")));
	struct sigaction sa = { .sa_handler = on_alarm };
	MUST(sigaction(SIGALRM, &sa, NULL));
	struct itimerval it = { { 0, 0 }, { 0, 50000 } };
	MUST(setitimer(ITIMER_REAL, &it, NULL));
	CHECK_ERRNO(N("a blocking read is interrupted: EINTR"),
		    read(fd, buf, sizeof buf), EINTR);
	close(fd);
}

static void check_overflow(void)
{
	if (geteuid() != 0)
		return;
	const char *knob = "/proc/sys/fs/inotify/max_queued_events";
	char old[32] = { 0 };
	int k = MUST(open(knob, O_RDWR));
	MUST(read(k, old, sizeof old - 1));
	MUST(pwrite(k, "4\n", 2, 0));
	int fd = new_instance();
	MUST(pwrite(k, old, strlen(old), 0));
	close(k);
	touch(P("f"));
	MUST(inotify_add_watch(fd, P("f"), IN_ALL_EVENTS));
	for (int i = 0; i < 4; i++) {
		int o = MUST(open(P("f"), O_RDONLY));
		close(o);
	}
	EXPECT("a full queue ends with one IN_Q_OVERFLOW", fd,
	       "1 OPEN; 1 CLOSE_NOWRITE; 1 OPEN; 1 CLOSE_NOWRITE; "
	       "-1 Q_OVERFLOW");
	close(fd);
	MUST(unlink(P("f")));

	knob = "/proc/sys/fs/inotify/max_user_watches";
	k = MUST(open(knob, O_RDWR));
	memset(old, 0, sizeof old);
	MUST(read(k, old, sizeof old - 1));
	fd = new_instance();
	MUST(inotify_add_watch(fd, base, IN_CREATE));
	MUST(pwrite(k, "1\n", 2, 0));
	touch(P("f"));
	errno = 0;
	int r = inotify_add_watch(fd, P("f"), IN_CREATE);
	int err = errno;
	MUST(pwrite(k, old, strlen(old), 0));
	close(k);
	CHECKF(N("past max_user_watches: ENOSPC"), r == -1 && err == ENOSPC,
	       "returned %d errno %d", r, err);
	close(fd);
	MUST(unlink(P("f")));
}

static void check_unmount(void)
{
	if (geteuid() != 0)
		return;
	MUST(mkdir(P("mnt"), 0755));
	MUST(mount("none", P("mnt"), "tmpfs", 0, NULL));
	touch(P("mnt/f"));
	int fd = new_instance();
	MUST(inotify_add_watch(fd, P("mnt"), IN_CREATE));
	MUST(inotify_add_watch(fd, P("mnt/f"), IN_MODIFY));
	MUST(umount(P("mnt")));
	const char *got = events(fd);
	CHECKF(N("unmount: IN_UNMOUNT and IN_IGNORED on each watch"),
	       strcmp(got, "1 UNMOUNT|ISDIR; 1 IGNORED; 2 UNMOUNT; 2 IGNORED") == 0 ||
		       strcmp(got, "2 UNMOUNT; 2 IGNORED; 1 UNMOUNT|ISDIR; 1 IGNORED") ==
			       0,
	       "got \"%s\"", got);
	close(fd);
	MUST(rmdir(P("mnt")));
}

static void check_proc(void)
{
	const char *names[] = { "max_queued_events", "max_user_instances",
				"max_user_watches" };
	for (int i = 0; i < 3; i++) {
		char path[128], text[32] = { 0 };
		snprintf(path, sizeof path, "/proc/sys/fs/inotify/%s",
			 names[i]);
		int f = open(path, O_RDONLY);
		CHECKF(N(path), f >= 0 && read(f, text, 31) > 0 && atol(text) > 0,
		       "\"%s\"", text);
		close(f);
	}
}

int main(int argc, char **argv)
{
	const char *dflt[] = { "/tmp" };
	const char **dirs = argc > 1 ? (const char **)argv + 1 : dflt;
	int n = argc > 1 ? argc - 1 : 1;
	for (int i = 0; i < n; i++) {
		dir = dirs[i];
		snprintf(base, sizeof base, "%s/inotify.%d",
			 strcmp(dir, "/") ? dir : "", getpid());
		MUST(mkdir(base, 0755));
		check_init_and_errors();
		check_sequence();
		check_attributes();
		check_unlinked_open_file();
		check_flags();
		check_reads();
		check_overflow();
		check_unmount();
		MUST(rmdir(base));
	}
	check_proc();
	return check_done();
}

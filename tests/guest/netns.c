/*
 * Network namespaces: the test first moves into a network namespace of its
 * own (so that natively, as root, it never touches the host's network), then
 * checks that a new namespace has only lo, down; that TCP listeners, UDP
 * ports and abstract Unix names of one namespace are invisible from another
 * and may be taken again there, while socket files work across; that a
 * socket stays in the namespace it was made in after its maker moved
 * (setns through /proc/PID/ns/net and through a pidfd); that /proc/net and
 * /proc/sys/net show the reader's namespace, and /proc/PID/net the
 * process's; clone(CLONE_NEWNET); and the errnos: EPERM for a user,
 * EINVAL for setns with another namespace type.
 */
#include "check.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>

#define PORT 7311

/* Returns the inode number of /proc/self/ns/net. */
static ino_t net_ino(void)
{
	struct stat st;
	return stat("/proc/self/ns/net", &st) == 0 ? st.st_ino : 0;
}

/* Returns how many interfaces SIOCGIFCONF-free enumeration finds: the
 * names if_nameindex lists (netlink underneath), up to 16 in NAMES. */
static int links(char names[16][IF_NAMESIZE])
{
	struct if_nameindex *ni = if_nameindex();
	int n = 0;
	if (!ni)
		return -1;
	for (struct if_nameindex *p = ni; p->if_index && n < 16; p++)
		snprintf(names[n++], IF_NAMESIZE, "%s", p->if_name);
	if_freenameindex(ni);
	return n;
}

/* Returns the IFF_ flags of NAME through socket S, or -1. */
static int if_flags(int s, const char *name)
{
	struct ifreq r;
	memset(&r, 0, sizeof r);
	snprintf(r.ifr_name, sizeof r.ifr_name, "%s", name);
	return ioctl(s, SIOCGIFFLAGS, &r) == 0 ? r.ifr_flags : -1;
}

/* Brings lo up in the caller's namespace. */
static int lo_up(void)
{
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	struct ifreq r;
	memset(&r, 0, sizeof r);
	snprintf(r.ifr_name, sizeof r.ifr_name, "lo");
	int rc = ioctl(s, SIOCGIFFLAGS, &r);
	r.ifr_flags |= IFF_UP;
	if (rc == 0)
		rc = ioctl(s, SIOCSIFFLAGS, &r);
	close(s);
	return rc;
}

static struct sockaddr_in loopback(int port)
{
	struct sockaddr_in a;
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_port = htons(port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return a;
}

/* Returns a TCP listener on 127.0.0.1:PORT, or -1. */
static int listener(int port)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = loopback(port);
	int one = 1;
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(s, (struct sockaddr *)&a, sizeof a) < 0 || listen(s, 4) < 0) {
		int e = errno;
		close(s);
		errno = e;
		return -1;
	}
	return s;
}

/* Connects S to 127.0.0.1:PORT; returns 0 or the errno. */
static int connect_with(int s, int port)
{
	struct sockaddr_in a = loopback(port);
	int rc = connect(s, (struct sockaddr *)&a, sizeof a) == 0 ? 0 : errno;
	close(s);
	return rc;
}

/* Connects a new socket to 127.0.0.1:PORT; returns 0 or the errno. */
static int try_connect(int port)
{
	return connect_with(socket(AF_INET, SOCK_STREAM, 0), port);
}

static socklen_t abstract_addr(struct sockaddr_un *a, const char *name)
{
	memset(a, 0, sizeof *a);
	a->sun_family = AF_UNIX;
	size_t n = strlen(name);
	memcpy(a->sun_path + 1, name, n);
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n);
}

/* Binds a listening Unix stream socket to the abstract NAME. */
static int unix_listener(const char *name)
{
	struct sockaddr_un a;
	socklen_t len = abstract_addr(&a, name);
	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	if (bind(s, (struct sockaddr *)&a, len) < 0 || listen(s, 4) < 0) {
		int e = errno;
		close(s);
		errno = e;
		return -1;
	}
	return s;
}

/* Connects to the abstract NAME; returns 0 or the errno. */
static int unix_connect(const char *name)
{
	struct sockaddr_un a;
	socklen_t len = abstract_addr(&a, name);
	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	int rc = connect(s, (struct sockaddr *)&a, len) == 0 ? 0 : errno;
	close(s);
	return rc;
}

/* Returns whether FILE's text contains NEEDLE. */
static int file_has(const char *file, const char *needle)
{
	static char text[65536];
	int fd = open(file, O_RDONLY);
	if (fd < 0)
		return 0;
	size_t got = 0;
	ssize_t n;
	while (got < sizeof text - 1 &&
	       (n = read(fd, text + got, sizeof text - 1 - got)) > 0)
		got += (size_t)n;
	close(fd);
	text[got] = 0;
	return strstr(text, needle) != NULL;
}

/* Reads the first number of FILE, or -1. */
static long read_num(const char *file)
{
	char b[64] = {0};
	int fd = open(file, O_RDONLY);
	ssize_t n = fd >= 0 ? read(fd, b, sizeof b - 1) : -1;
	if (fd >= 0)
		close(fd);
	return n > 0 ? strtol(b, NULL, 10) : -1;
}

static int write_str(const char *file, const char *s)
{
	int fd = open(file, O_WRONLY);
	if (fd < 0)
		return -1;
	int rc = write(fd, s, strlen(s)) == (ssize_t)strlen(s) ? 0 : -1;
	close(fd);
	return rc;
}

/* A child that waits in a namespace of its own until killed; returns its
 * pid, after it reported through a pipe that it is ready. */
static pid_t holder(void)
{
	int p[2];
	MUST(pipe(p));
	pid_t pid = fork();
	if (pid == 0) {
		close(p[0]);
		if (unshare(CLONE_NEWNET) < 0 || lo_up() < 0)
			_exit(1);
		int l = listener(PORT);
		int l2 = listener(PORT + 1);
		int u = unix_listener("netns-test");
		if (l < 0 || l2 < 0 || u < 0)
			_exit(2);
		char c = 'r';
		if (write(p[1], &c, 1) != 1)
			_exit(3);
		pause();
		_exit(0);
	}
	close(p[1]);
	char c = 0;
	if (read(p[0], &c, 1) != 1)
		c = 0;
	close(p[0]);
	return c == 'r' ? pid : -1;
}

int main(void)
{
	ino_t host = net_ino();
	CHECK_SYS("unshare(CLONE_NEWNET)", unshare(CLONE_NEWNET));
	ino_t mine = net_ino();
	CHECKF("/proc/self/ns/net names a new namespace", mine && mine != host,
	       "%lu then %lu", (unsigned long)host, (unsigned long)mine);
	char link[64] = {0};
	readlink("/proc/self/ns/net", link, sizeof link - 1);
	char want[64];
	snprintf(want, sizeof want, "net:[%lu]", (unsigned long)mine);
	CHECKF("the link reads net:[INODE]", strcmp(link, want) == 0, "%s", link);

	char names[16][IF_NAMESIZE];
	int n = links(names);
	CHECKF("a new namespace has lo alone", n == 1 && strcmp(names[0], "lo") == 0,
	       "%d links, first %s", n, n > 0 ? names[0] : "-");
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	CHECKF("lo starts down", (if_flags(s, "lo") & IFF_UP) == 0, "flags %#x",
	       if_flags(s, "lo"));
	CHECK_ERRNO("no card of the first namespace is here",
		    if_flags(s, "eth0"), ENODEV);
	CHECK_SYS("lo comes up", lo_up());
	CHECK("and is up", (if_flags(s, "lo") & IFF_UP) != 0);

	int l = listener(PORT);
	CHECK_SYS("a listener on 127.0.0.1", l);
	CHECK("it answers within its namespace", try_connect(PORT) == 0);
	int u = unix_listener("netns-test");
	CHECK_SYS("an abstract Unix name", u);
	CHECK("it answers within its namespace", unix_connect("netns-test") == 0);
	CHECK("/proc/net/tcp lists the listener", file_has("/proc/net/tcp", ":1C8F 00000000:0000 0A"));
	CHECK("/proc/net/unix lists the name", file_has("/proc/net/unix", "@netns-test"));

	/* A second namespace, held by a child. */
	pid_t h = holder();
	CHECK("a child in a namespace of its own takes the same port and name", h > 0);
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/ns/net", h);
	struct stat st;
	CHECK("its namespace is another", stat(path, &st) == 0 && st.st_ino != mine);

	/* Another namespace sees neither. */
	pid_t c = fork();
	if (c == 0) {
		if (unshare(CLONE_NEWNET) < 0 || lo_up() < 0)
			_exit(10);
		if (try_connect(PORT) != ECONNREFUSED)
			_exit(11);
		if (unix_connect("netns-test") != ECONNREFUSED)
			_exit(12);
		if (file_has("/proc/net/tcp", ":1C8F") || file_has("/proc/net/unix", "@netns-test"))
			_exit(13);
		_exit(0);
	}
	int status = 0;
	waitpid(c, &status, 0);
	CHECKF("a third namespace sees no listener, name or /proc/net line",
	       WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %#x", status);

	/* Socket files work across namespaces. */
	struct sockaddr_un fa;
	memset(&fa, 0, sizeof fa);
	fa.sun_family = AF_UNIX;
	snprintf(fa.sun_path, sizeof fa.sun_path, "/tmp/netns-test.sock");
	unlink(fa.sun_path);
	int fl = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK_SYS("a socket file", bind(fl, (struct sockaddr *)&fa, sizeof fa) | listen(fl, 2));
	c = fork();
	if (c == 0) {
		if (unshare(CLONE_NEWNET) < 0)
			_exit(10);
		int x = socket(AF_UNIX, SOCK_STREAM, 0);
		_exit(connect(x, (struct sockaddr *)&fa, sizeof fa) == 0 ? 0 : 11);
	}
	waitpid(c, &status, 0);
	CHECKF("is reached from another namespace", WIFEXITED(status) && WEXITSTATUS(status) == 0,
	       "status %#x", status);
	close(fl);
	unlink(fa.sun_path);

	/* setns into the holder's namespace, and back. */
	int home = open("/proc/self/ns/net", O_RDONLY);
	CHECK_SYS("open /proc/self/ns/net", home);
	int keep = socket(AF_INET, SOCK_DGRAM, 0);
	int keep_tcp = socket(AF_INET, SOCK_STREAM, 0);
	int nsfd = open(path, O_RDONLY);
	CHECK_SYS("open /proc/PID/ns/net", nsfd);
	CHECK_ERRNO("setns with another type is EINVAL", setns(nsfd, CLONE_NEWUTS), EINVAL);
	CHECK_SYS("setns(CLONE_NEWNET)", setns(nsfd, CLONE_NEWNET));
	CHECK("the caller is in it", net_ino() == st.st_ino);
	CHECK("its listeners answer", try_connect(PORT) == 0 && try_connect(PORT + 1) == 0);
	CHECK("its abstract name answers", unix_connect("netns-test") == 0);
	CHECKF("a socket made before stays in the first namespace",
	       connect_with(keep_tcp, PORT + 1) == ECONNREFUSED, "no refusal");
	CHECK("and an older one still sees the first namespace's lo, up",
	      (if_flags(keep, "lo") & IFF_UP) != 0);
	close(keep);
	CHECK_SYS("setns back home with nstype 0", setns(home, 0));
	CHECK("back in the first namespace", net_ino() == mine && try_connect(PORT + 1) == ECONNREFUSED);
	close(nsfd);

	/* setns through a pidfd. */
	int pfd = (int)syscall(SYS_pidfd_open, h, 0);
	CHECK_SYS("pidfd_open", pfd);
	CHECK_SYS("setns(pidfd, CLONE_NEWNET)", setns(pfd, CLONE_NEWNET));
	CHECK("joins the process's namespace", net_ino() == st.st_ino);
	close(pfd);
	CHECK_SYS("and back", setns(home, CLONE_NEWNET));
	CHECK("home again", net_ino() == mine);
	close(home);

	/* /proc/sys/net is per namespace. */
	long before = read_num("/proc/sys/net/core/somaxconn");
	CHECK("somaxconn reads", before > 0);
	c = fork();
	if (c == 0) {
		if (unshare(CLONE_NEWNET) < 0)
			_exit(10);
		if (write_str("/proc/sys/net/core/somaxconn", "77\n") < 0)
			_exit(11);
		_exit(read_num("/proc/sys/net/core/somaxconn") == 77 ? 0 : 12);
	}
	waitpid(c, &status, 0);
	CHECKF("a setting written in another namespace", WIFEXITED(status) && WEXITSTATUS(status) == 0,
	       "status %#x", status);
	CHECK("leaves this one's alone", read_num("/proc/sys/net/core/somaxconn") == before);

	/* /proc/PID/net is that process's. */
	snprintf(path, sizeof path, "/proc/%d/net/unix", h);
	CHECK("/proc/PID/net shows the process's namespace", file_has(path, "@netns-test"));

	/* How systemd guards the socket pair that keeps a unit's namespace:
	 * lockf on a socket (regression: record locks were EINVAL there). */
	int sp[2];
	MUST(socketpair(AF_UNIX, SOCK_DGRAM, 0, sp));
	CHECK_SYS("lockf(F_LOCK) on a socket", lockf(sp[0], F_LOCK, 0));
	CHECK_SYS("and F_ULOCK", lockf(sp[0], F_ULOCK, 0));
	close(sp[0]);
	close(sp[1]);

	/* clone(CLONE_NEWNET). */
	c = (pid_t)syscall(SYS_clone, CLONE_NEWNET | SIGCHLD, 0, 0, 0, 0);
	if (c == 0)
		_exit(net_ino() != mine && links(names) == 1 ? 0 : 1);
	waitpid(c, &status, 0);
	CHECKF("clone(CLONE_NEWNET) starts the child in a new namespace",
	       WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %#x", status);

	/* A user may not. */
	c = fork();
	if (c == 0) {
		if (setuid(1000) < 0)
			_exit(10);
		_exit(unshare(CLONE_NEWNET) < 0 && errno == EPERM ? 0 : 11);
	}
	waitpid(c, &status, 0);
	CHECKF("unshare(CLONE_NEWNET) as uid 1000 is EPERM",
	       WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %#x", status);

	kill(h, SIGKILL);
	waitpid(h, NULL, 0);
	close(l);
	close(u);
	close(s);
	return check_done();
}

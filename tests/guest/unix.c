/*
 * Checks Unix domain sockets (unix(7)): socketpair of every type with their
 * message boundaries, bind/listen/connect/accept over a path on /tmp and on
 * the disk root (EXT4DIR, first argument, default /unix-ext4), abstract names
 * and autobind, addresses from getsockname/getpeername/recvfrom/accept,
 * SCM_RIGHTS (a pipe end passed and used, truncated control buffers,
 * MSG_CMSG_CLOEXEC), SCM_CREDENTIALS with SO_PASSCRED, SO_PEERCRED across
 * fork, shutdown and close (EOF, EPIPE with SIGPIPE, MSG_NOSIGNAL,
 * ECONNRESET), non-blocking EAGAIN, poll and epoll readiness, blocked calls
 * interrupted by signals and timeouts, socket options, and hostile arguments.
 *
 * The disk root must be writable: DIR/kept.sock is left bound there for the
 * host to inspect with debugfs.
 */
#include "check.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>

#define SUN_OFF offsetof(struct sockaddr_un, sun_path)

static char buf[1 << 17];
static volatile sig_atomic_t caught;

static void on_signal(int sig)
{
	caught = sig;
}

static void set_handler(int sig, void (*fn)(int), int flags)
{
	struct sigaction sa = { 0 };
	sa.sa_handler = fn;
	sa.sa_flags = flags;
	sigemptyset(&sa.sa_mask);
	MUST(sigaction(sig, &sa, NULL));
}

/* Arms a one-shot real-time timer that sends SIGALRM after MS milliseconds. */
static void alarm_ms(long ms)
{
	struct itimerval it = { { 0, 0 }, { ms / 1000, (ms % 1000) * 1000 } };
	MUST(setitimer(ITIMER_REAL, &it, NULL));
}

/* Waits for PID and returns its wait status. */
static int reap(pid_t pid)
{
	int status = 0;
	if (waitpid(pid, &status, 0) != pid)
		check_fail("waitpid", errno, "pid %d", pid);
	return status;
}

static int exited_ok(int status)
{
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* Fills A with the filesystem address PATH; returns its length. */
static socklen_t path_addr(struct sockaddr_un *a, const char *path)
{
	memset(a, 0, sizeof *a);
	a->sun_family = AF_UNIX;
	strncpy(a->sun_path, path, sizeof a->sun_path - 1);
	return (socklen_t)(SUN_OFF + strlen(a->sun_path) + 1);
}

/* Fills A with the abstract name NAME (a leading NUL, no trailing one). */
static socklen_t abstract_addr(struct sockaddr_un *a, const char *name)
{
	memset(a, 0, sizeof *a);
	a->sun_family = AF_UNIX;
	memcpy(a->sun_path + 1, name, strlen(name));
	return (socklen_t)(SUN_OFF + 1 + strlen(name));
}

/* Returns a socket of TYPE bound to the path or abstract address A. */
static int bound(int type, const struct sockaddr_un *a, socklen_t len)
{
	int s = MUST(socket(AF_UNIX, type, 0));
	MUST(bind(s, (const struct sockaddr *)a, len));
	return s;
}

/* Sends LEN bytes of DATA with N file descriptors FDS in one SCM_RIGHTS. */
static ssize_t send_fds(int s, const int *fds, int n, const void *data, size_t len)
{
	char ctl[CMSG_SPACE(sizeof(int) * 256)];
	struct iovec iov = { (void *)data, len };
	struct msghdr m = { 0 };
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	if (n > 0) {
		memset(ctl, 0, sizeof ctl);
		m.msg_control = ctl;
		m.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)n);
		struct cmsghdr *c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)n);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)n);
	}
	return sendmsg(s, &m, 0);
}

/* What recv_fds received besides the data. */
struct received {
	int fds[256];
	int nfds;
	int msg_flags;
	size_t controllen;
	int has_creds;
	struct ucred creds;
};

/* Receives into DATA with a control buffer of CTLLEN bytes; collects fds
 * and credentials into R. */
static ssize_t recv_fds(int s, void *data, size_t len, size_t ctllen, int flags,
			struct received *r)
{
	static char ctl[4096];
	struct iovec iov = { data, len };
	struct msghdr m = { 0 };
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	m.msg_control = ctllen ? ctl : NULL;
	m.msg_controllen = ctllen;
	memset(r, 0, sizeof *r);
	memset(ctl, 0, sizeof ctl);
	ssize_t n = recvmsg(s, &m, flags);
	if (n < 0)
		return n;
	r->msg_flags = m.msg_flags;
	r->controllen = m.msg_controllen;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
		if (c->cmsg_level != SOL_SOCKET)
			continue;
		if (c->cmsg_type == SCM_RIGHTS) {
			int k = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
			memcpy(r->fds + r->nfds, CMSG_DATA(c), sizeof(int) * (size_t)k);
			r->nfds += k;
		} else if (c->cmsg_type == SCM_CREDENTIALS) {
			r->has_creds = 1;
			memcpy(&r->creds, CMSG_DATA(c), sizeof r->creds);
		}
	}
	return n;
}

static struct ucred peercred(int s)
{
	struct ucred c = { -1, 0, 0 };
	socklen_t len = sizeof c;
	if (getsockopt(s, SOL_SOCKET, SO_PEERCRED, &c, &len) != 0 || len != sizeof c)
		check_fail("SO_PEERCRED", errno, "len %u", len);
	return c;
}

static int getint(int s, int opt)
{
	int v = -12345;
	socklen_t len = sizeof v;
	if (getsockopt(s, SOL_SOCKET, opt, &v, &len) != 0)
		return -12345;
	return v;
}

static short revents(int fd, short events)
{
	struct pollfd p = { fd, events, 0 };
	if (poll(&p, 1, 0) < 0)
		return -1;
	return p.revents;
}

static void test_socket_calls(void)
{
	int s;
	CHECK_SYS("socket stream", s = socket(AF_UNIX, SOCK_STREAM, 0));
	struct stat st;
	CHECK_SYS("fstat", fstat(s, &st));
	CHECKF("S_IFSOCK 0777", S_ISSOCK(st.st_mode) && (st.st_mode & 07777) == 0777,
	       "mode %o", st.st_mode);
	char link[64], want[64];
	snprintf(link, sizeof link, "/proc/self/fd/%d", s);
	snprintf(want, sizeof want, "socket:[%lu]", (unsigned long)st.st_ino);
	ssize_t n = readlink(link, buf, sizeof buf);
	CHECKF("/proc/self/fd link", n == (ssize_t)strlen(want) && memcmp(buf, want, (size_t)n) == 0,
	       "%.*s", (int)(n > 0 ? n : 0), buf);
	int t = MUST(socket(AF_UNIX, SOCK_STREAM, 0));
	struct stat st2;
	MUST(fstat(t, &st2));
	CHECK("each socket its own inode", st2.st_ino != st.st_ino);
	close(t);
	CHECK("F_GETFL O_RDWR", (fcntl(s, F_GETFL) & (O_ACCMODE | O_NONBLOCK)) == O_RDWR);
	CHECK("SO_TYPE", getint(s, SO_TYPE) == SOCK_STREAM);
	CHECK("SO_DOMAIN", getint(s, SO_DOMAIN) == AF_UNIX);
	CHECK("SO_PROTOCOL", getint(s, SO_PROTOCOL) == 0);
	CHECK("SO_ACCEPTCONN 0", getint(s, SO_ACCEPTCONN) == 0);
	CHECK("SO_ERROR 0", getint(s, SO_ERROR) == 0);
	close(s);

	CHECK_SYS("SOCK_NONBLOCK|SOCK_CLOEXEC",
		  s = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
	CHECK("O_NONBLOCK set", (fcntl(s, F_GETFL) & O_NONBLOCK) != 0);
	CHECK("FD_CLOEXEC set", fcntl(s, F_GETFD) == FD_CLOEXEC);
	CHECK("SO_TYPE dgram", getint(s, SO_TYPE) == SOCK_DGRAM);
	close(s);
	CHECK_SYS("PF_UNIX protocol", s = socket(AF_UNIX, SOCK_SEQPACKET, PF_UNIX));
	CHECK("SO_TYPE seqpacket", getint(s, SO_TYPE) == SOCK_SEQPACKET);
	close(s);
	CHECK_SYS("SOCK_RAW is a datagram socket", s = socket(AF_UNIX, SOCK_RAW, 0));
	CHECK("SO_TYPE raw->dgram", getint(s, SO_TYPE) == SOCK_DGRAM);
	close(s);

	CHECK_ERRNO("family out of range", socket(AF_MAX, SOCK_STREAM, 0), EAFNOSUPPORT);
	CHECK_ERRNO("negative family", socket(-1, SOCK_STREAM, 0), EAFNOSUPPORT);
	/* AF_INET exists on most Linux builds; a kernel without it says EAFNOSUPPORT. */
	CHECKF("AF_INET: a socket or EAFNOSUPPORT",
	       (s = socket(AF_INET, SOCK_STREAM, 0)) >= 0 || errno == EAFNOSUPPORT, "%d", s);
	if (s >= 0)
		close(s);
	CHECK_ERRNO("bad type flags", socket(AF_UNIX, SOCK_STREAM | 0x100, 0), EINVAL);
	CHECK_ERRNO("type out of range", socket(AF_UNIX, 99, 0), EINVAL);
	CHECK_ERRNO("SOCK_RDM", socket(AF_UNIX, SOCK_RDM, 0), ESOCKTNOSUPPORT);
	CHECK_ERRNO("protocol", socket(AF_UNIX, SOCK_STREAM, 7), EPROTONOSUPPORT);

	int p[2];
	MUST(pipe(p));
	struct sockaddr_un a;
	socklen_t al = sizeof a;
	CHECK_ERRNO("getsockname on a pipe", getsockname(p[0], (struct sockaddr *)&a, &al), ENOTSOCK);
	CHECK_ERRNO("send on a pipe", send(p[1], "x", 1, 0), ENOTSOCK);
	CHECK_ERRNO("listen on bad fd", listen(999, 1), EBADF);
	close(p[0]), close(p[1]);
	int sv[2];
	CHECK_ERRNO("socketpair bad pointer", syscall(SYS_socketpair, AF_UNIX, SOCK_STREAM, 0, (void *)8),
		    EFAULT);
	/* EOPNOTSUPP where AF_INET exists, EAFNOSUPPORT where it does not. */
	CHECK("socketpair AF_INET", socketpair(AF_INET, SOCK_STREAM, 0, sv) == -1 &&
					    (errno == EOPNOTSUPP || errno == EAFNOSUPPORT));
}

static void test_stream_pair(void)
{
	int sv[2];
	CHECK_SYS("socketpair stream", socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	CHECK("write", write(sv[0], "ab", 2) == 2 && write(sv[0], "cd", 2) == 2);
	int v = -1;
	CHECK("FIONREAD", ioctl(sv[1], FIONREAD, &v) == 0 && v == 4);
	CHECK("MSG_PEEK", recv(sv[1], buf, 3, MSG_PEEK) == 3 && memcmp(buf, "abc", 3) == 0);
	CHECK("writes merge in a stream", read(sv[1], buf, 10) == 4 && memcmp(buf, "abcd", 4) == 0);
	CHECK("other direction", send(sv[1], "xyz", 3, 0) == 3 && recv(sv[0], buf, 2, 0) == 2 &&
					 recv(sv[0], buf + 2, 10, 0) == 1 && memcmp(buf, "xyz", 3) == 0);
	CHECK_ERRNO("MSG_DONTWAIT empty", recv(sv[0], buf, 1, MSG_DONTWAIT), EAGAIN);
	CHECK("zero-length send", send(sv[0], "", 0, 0) == 0);
	CHECK_ERRNO("nothing queued by it", recv(sv[1], buf, 1, MSG_DONTWAIT), EAGAIN);
	struct sockaddr_un a;
	socklen_t al = sizeof a;
	CHECK("getsockname unbound", getsockname(sv[0], (struct sockaddr *)&a, &al) == 0 &&
					     al == sizeof(sa_family_t) && a.sun_family == AF_UNIX);
	al = sizeof a;
	CHECK("getpeername of a pair", getpeername(sv[0], (struct sockaddr *)&a, &al) == 0 &&
					       al == sizeof(sa_family_t));
	struct ucred c = peercred(sv[0]);
	CHECKF("SO_PEERCRED of a pair", c.pid == getpid() && c.uid == geteuid() && c.gid == getegid(),
	       "pid %d uid %u gid %u", c.pid, c.uid, c.gid);
	struct sockaddr_un to;
	socklen_t tl = path_addr(&to, "/tmp/nowhere");
	CHECK_ERRNO("sendto on a connected stream", sendto(sv[0], "x", 1, 0, (struct sockaddr *)&to, tl),
		    EISCONN);
	CHECK_ERRNO("listen on a connected stream", listen(sv[0], 1), EINVAL);
	CHECK_ERRNO("accept on a connected stream", accept(sv[0], NULL, NULL), EINVAL);
	CHECK_ERRNO("connect a connected stream", connect(sv[0], (struct sockaddr *)&to, tl), ENOENT);
	close(sv[0]), close(sv[1]);

	int s = MUST(socket(AF_UNIX, SOCK_STREAM, 0));
	CHECK_ERRNO("recv unconnected", recv(s, buf, 1, 0), EINVAL);
	CHECK_ERRNO("send unconnected", send(s, "x", 1, 0), ENOTCONN);
	CHECK_ERRNO("sendto unconnected stream", sendto(s, "x", 1, 0, (struct sockaddr *)&to, tl),
		    EOPNOTSUPP);
	al = sizeof a;
	CHECK_ERRNO("getpeername unconnected", getpeername(s, (struct sockaddr *)&a, &al), ENOTCONN);
	CHECK("shutdown unconnected", shutdown(s, SHUT_RDWR) == 0);
	CHECK_ERRNO("shutdown bad how", shutdown(s, 3), EINVAL);
	close(s);
}

static void test_stream_close(void)
{
	int sv[2];
	MUST(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	MUST(write(sv[0], "hello", 5));
	CHECK_SYS("shutdown SHUT_WR", shutdown(sv[0], SHUT_WR));
	CHECK("data before EOF", read(sv[1], buf, 100) == 5);
	CHECK("EOF after SHUT_WR", read(sv[1], buf, 100) == 0);
	CHECK("POLLIN|POLLRDHUP at EOF", (revents(sv[1], POLLIN | POLLRDHUP) & (POLLIN | POLLRDHUP)) ==
						 (POLLIN | POLLRDHUP));
	CHECK("the other way still works", write(sv[1], "back", 4) == 4 && read(sv[0], buf, 10) == 4);
	set_handler(SIGPIPE, on_signal, 0);
	caught = 0;
	CHECK_ERRNO("write after own SHUT_WR", write(sv[0], "x", 1), EPIPE);
	CHECKF("SIGPIPE raised", caught == SIGPIPE, "caught %d", caught);
	caught = 0;
	CHECK_ERRNO("MSG_NOSIGNAL", send(sv[0], "x", 1, MSG_NOSIGNAL), EPIPE);
	CHECK("no SIGPIPE with MSG_NOSIGNAL", caught == 0);
	close(sv[0]), close(sv[1]);

	MUST(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	MUST(write(sv[1], "last", 4));
	close(sv[1]);
	CHECK("data then EOF after close", read(sv[0], buf, 100) == 4 && read(sv[0], buf, 100) == 0);
	short ev = revents(sv[0], POLLIN | POLLOUT);
	CHECKF("POLLHUP after close", (ev & (POLLHUP | POLLIN)) == (POLLHUP | POLLIN), "revents %#x", ev);
	caught = 0;
	CHECK_ERRNO("write to a closed peer", write(sv[0], "x", 1), EPIPE);
	CHECK("SIGPIPE for it", caught == SIGPIPE);
	close(sv[0]);

	/* Closing with unread data resets the connection. */
	MUST(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	MUST(write(sv[0], "unread", 6));
	close(sv[1]);
	CHECK("SO_ERROR ECONNRESET", getint(sv[0], SO_ERROR) == ECONNRESET);
	CHECK("SO_ERROR cleared", getint(sv[0], SO_ERROR) == 0);
	close(sv[0]);
	MUST(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	MUST(write(sv[0], "unread", 6));
	close(sv[1]);
	CHECK("POLLERR after a reset", (revents(sv[0], POLLIN) & POLLERR) != 0);
	CHECK_ERRNO("read gives ECONNRESET", read(sv[0], buf, 10), ECONNRESET);
	CHECK("then EOF", read(sv[0], buf, 10) == 0);
	close(sv[0]);

	set_handler(SIGPIPE, SIG_DFL, 0);
	MUST(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	close(sv[1]);
	pid_t pid = fork();
	if (pid == 0) {
		write(sv[0], "x", 1);
		_exit(0);
	}
	int st = reap(pid);
	CHECKF("SIGPIPE kills by default", WIFSIGNALED(st) && WTERMSIG(st) == SIGPIPE, "status %#x", st);
	close(sv[0]);

	/* shutdown(SHUT_RD) on one end stops the peer's writes. */
	MUST(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	MUST(shutdown(sv[0], SHUT_RD));
	CHECK("read after own SHUT_RD is EOF", read(sv[0], buf, 10) == 0);
	CHECK_ERRNO("peer write after our SHUT_RD", send(sv[1], "x", 1, MSG_NOSIGNAL), EPIPE);
	MUST(shutdown(sv[0], SHUT_WR));
	CHECK("POLLHUP after SHUT_RDWR", (revents(sv[0], POLLIN) & POLLHUP) != 0);
	close(sv[0]), close(sv[1]);
}

static void test_stream_nonblock(void)
{
	int sv[2];
	MUST(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv));
	CHECK_ERRNO("EAGAIN on empty", read(sv[0], buf, 1), EAGAIN);
	CHECK("POLLOUT only", revents(sv[0], POLLIN | POLLOUT) == POLLOUT);
	memset(buf, 'n', sizeof buf);
	ssize_t total = 0, n;
	while ((n = write(sv[0], buf, 10000)) > 0)
		total += n;
	int err = errno;
	CHECKF("fills then EAGAIN", n < 0 && err == EAGAIN && total >= 10000, "total %zd errno %d",
	       total, err);
	CHECK("not writable when full", (revents(sv[0], POLLOUT) & POLLOUT) == 0);
	CHECK("peer readable", revents(sv[1], POLLIN) == POLLIN);
	ssize_t got = 0;
	while ((n = read(sv[1], buf, sizeof buf)) > 0)
		got += n;
	CHECKF("everything arrives", got == total, "got %zd of %zd", got, total);
	CHECK("writable again once drained", revents(sv[0], POLLOUT) == POLLOUT);
	int outq = -1;
	CHECK("SIOCOUTQ 0 when drained", ioctl(sv[0], TIOCOUTQ, &outq) == 0 && outq == 0);
	/* A large write on a non-blocking socket moves what fits. */
	static char mib[1 << 20];
	n = write(sv[0], mib, sizeof mib);
	CHECKF("partial write", n > 0 && n < (ssize_t)sizeof mib, "%zd", n);
	close(sv[0]), close(sv[1]);

	/* A blocking writer waits for room; a reader in another process drains. */
	MUST(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	pid_t pid = fork();
	if (pid == 0) {
		close(sv[0]);
		size_t want = 4 << 20, have = 0;
		while (have < want) {
			ssize_t r = read(sv[1], buf, sizeof buf);
			if (r <= 0)
				_exit(2);
			for (ssize_t i = 0; i < r; i++)
				if (buf[i] != (char)((have + (size_t)i) * 7))
					_exit(3);
			have += (size_t)r;
		}
		_exit(read(sv[1], buf, 1) == 0 ? 0 : 4);
	}
	close(sv[1]);
	size_t sent = 0;
	int ok = 1;
	while (sent < (4 << 20) && ok) {
		size_t len = (4 << 20) - sent < 100003 ? (4 << 20) - sent : 100003;
		static char w[100003];
		for (size_t i = 0; i < len; i++)
			w[i] = (char)((sent + i) * 7);
		ok = write(sv[0], w, len) == (ssize_t)len;
		sent += len;
	}
	CHECK("4 MiB in blocking writes", ok);
	close(sv[0]);
	int st = reap(pid);
	CHECKF("reader saw every byte in order", exited_ok(st), "status %#x", st);

	/* MSG_WAITALL collects pieces written with pauses. */
	MUST(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	pid = fork();
	if (pid == 0) {
		for (int i = 0; i < 4; i++) {
			sleep_ms(20);
			write(sv[1], "abcd", 4);
		}
		_exit(0);
	}
	CHECK("MSG_WAITALL", recv(sv[0], buf, 16, MSG_WAITALL) == 16 && memcmp(buf + 12, "abcd", 4) == 0);
	reap(pid);
	MUST(write(sv[1], "xy", 2));
	close(sv[1]);
	CHECK("MSG_WAITALL stops at EOF", recv(sv[0], buf, 16, MSG_WAITALL) == 2);
	close(sv[0]);
}

static void test_dgram_pair(int type, const char *name)
{
	char label[96];
	int sv[2];
	snprintf(label, sizeof label, "socketpair %s", name);
	CHECK_SYS(label, socketpair(AF_UNIX, type, 0, sv));
	MUST(send(sv[0], "one", 3, 0));
	MUST(send(sv[0], "three", 5, 0));
	MUST(send(sv[0], "", 0, 0));
	MUST(send(sv[0], "0123456789", 10, 0));
	int v = -1;
	snprintf(label, sizeof label, "%s FIONREAD", name);
	CHECKF(label, ioctl(sv[1], FIONREAD, &v) == 0 && v == (type == SOCK_DGRAM ? 3 : 18), "%d", v);
	snprintf(label, sizeof label, "%s boundaries", name);
	CHECK(label, recv(sv[1], buf, 100, 0) == 3 && recv(sv[1], buf, 100, 0) == 5 &&
			     memcmp(buf, "three", 5) == 0);
	snprintf(label, sizeof label, "%s empty message", name);
	CHECK(label, recv(sv[1], buf, 100, MSG_DONTWAIT) == 0);
	struct received r;
	snprintf(label, sizeof label, "%s MSG_PEEK + MSG_TRUNC returns the length", name);
	CHECK(label, recv(sv[1], buf, 4, MSG_PEEK | MSG_TRUNC) == 10);
	ssize_t n = recv_fds(sv[1], buf, 4, 0, 0, &r);
	snprintf(label, sizeof label, "%s truncated", name);
	CHECKF(label, n == 4 && (r.msg_flags & MSG_TRUNC) && memcmp(buf, "0123", 4) == 0,
	       "n %zd flags %#x", n, r.msg_flags);
	snprintf(label, sizeof label, "%s rest discarded", name);
	CHECK_ERRNO(label, recv(sv[1], buf, 100, MSG_DONTWAIT), EAGAIN);
	struct iovec iov[3] = { { "ab", 2 }, { "cde", 3 }, { "f", 1 } };
	snprintf(label, sizeof label, "%s writev is one message", name);
	CHECK(label, writev(sv[0], iov, 3) == 6 && read(sv[1], buf, 100) == 6 &&
			     memcmp(buf, "abcdef", 6) == 0);
	snprintf(label, sizeof label, "%s EMSGSIZE", name);
	CHECK_ERRNO(label, send(sv[0], buf, sizeof buf * 2 > 300000 ? 300000 : 300000, 0), EMSGSIZE);
	close(sv[0]), close(sv[1]);
}

static void test_seqpacket_close(void)
{
	int sv[2];
	MUST(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv));
	MUST(send(sv[0], "abc", 3, 0));
	close(sv[0]);
	CHECK("seqpacket data then EOF", recv(sv[1], buf, 10, 0) == 3 && recv(sv[1], buf, 10, 0) == 0);
	set_handler(SIGPIPE, on_signal, 0);
	caught = 0;
	CHECK_ERRNO("seqpacket send to a closed peer", send(sv[1], "x", 1, 0), EPIPE);
	CHECKF("no SIGPIPE on seqpacket", caught == 0, "caught %d", caught);
	set_handler(SIGPIPE, SIG_DFL, 0);
	CHECK("seqpacket POLLHUP", (revents(sv[1], POLLIN) & POLLHUP) != 0);
	close(sv[1]);

	int s = MUST(socket(AF_UNIX, SOCK_SEQPACKET, 0));
	CHECK_ERRNO("seqpacket send unconnected", send(s, "x", 1, 0), ENOTCONN);
	CHECK_ERRNO("seqpacket recv unconnected", recv(s, buf, 1, 0), ENOTCONN);
	close(s);

	/* Dgram: no EOF, the pair's survivor gets ECONNREFUSED, then ENOTCONN. */
	MUST(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv));
	close(sv[1]);
	CHECK_ERRNO("dgram send to a closed peer", send(sv[0], "x", 1, 0), ECONNREFUSED);
	CHECK_ERRNO("then not connected", send(sv[0], "x", 1, 0), ENOTCONN);
	CHECK_ERRNO("dgram recv does not end", recv(sv[0], buf, 1, MSG_DONTWAIT), EAGAIN);
	close(sv[0]);
}

/* Binds, listens, connects and accepts over DIR/NAME. */
static void test_path(const char *dir, const char *fs)
{
	char path[128], label[128];
	struct sockaddr_un a, b;
	/* Leftovers of an interrupted run. */
	static const char *const names[] = { "listen", "second", "rel", "dgram" };
	for (int i = 0; i < 4; i++) {
		snprintf(path, sizeof path, "%s/%s.sock", dir, names[i]);
		unlink(path);
	}
	snprintf(path, sizeof path, "%s/listen.sock", dir);
	socklen_t al = path_addr(&a, path);
	int l = MUST(socket(AF_UNIX, SOCK_STREAM, 0));
	snprintf(label, sizeof label, "%s: bind", fs);
	CHECK_SYS(label, bind(l, (struct sockaddr *)&a, al));
	struct stat st;
	snprintf(label, sizeof label, "%s: socket file S_IFSOCK, mode 0777 & ~umask", fs);
	CHECKF(label, stat(path, &st) == 0 && S_ISSOCK(st.st_mode) && (st.st_mode & 0777) == 0755,
	       "mode %o", st.st_mode);
	snprintf(label, sizeof label, "%s: open gives ENXIO", fs);
	CHECK_ERRNO(label, open(path, O_RDWR), ENXIO);
	int c = MUST(socket(AF_UNIX, SOCK_STREAM, 0));
	snprintf(label, sizeof label, "%s: connect before listen", fs);
	CHECK_ERRNO(label, connect(c, (struct sockaddr *)&a, al), ECONNREFUSED);
	snprintf(label, sizeof label, "%s: listen", fs);
	CHECK_SYS(label, listen(l, 5));
	CHECK("SO_ACCEPTCONN 1", getint(l, SO_ACCEPTCONN) == 1);
	CHECK("listener not readable", revents(l, POLLIN | POLLOUT) == 0);
	snprintf(label, sizeof label, "%s: connect", fs);
	CHECK_SYS(label, connect(c, (struct sockaddr *)&a, al));
	CHECK("client may write before accept", write(c, "early", 5) == 5);
	CHECK("listener readable", revents(l, POLLIN) == POLLIN);
	socklen_t bl = sizeof b;
	memset(&b, 0x55, sizeof b);
	int s;
	snprintf(label, sizeof label, "%s: accept", fs);
	CHECK_SYS(label, s = accept(l, (struct sockaddr *)&b, &bl));
	CHECKF("accept: unbound client's address", bl == sizeof(sa_family_t) && b.sun_family == AF_UNIX,
	       "len %u", bl);
	CHECK("data sent before accept", read(s, buf, 100) == 5 && memcmp(buf, "early", 5) == 0);
	CHECK("and back", write(s, "reply", 5) == 5 && read(c, buf, 100) == 5);
	bl = sizeof b;
	CHECK("getsockname(listener)", getsockname(l, (struct sockaddr *)&b, &bl) == 0 && bl == al &&
					       strcmp(b.sun_path, path) == 0);
	bl = sizeof b;
	CHECK("getsockname(accepted) is the listener's", getsockname(s, (struct sockaddr *)&b, &bl) == 0 &&
								 bl == al && strcmp(b.sun_path, path) == 0);
	bl = sizeof b;
	CHECK("getpeername(client)", getpeername(c, (struct sockaddr *)&b, &bl) == 0 && bl == al &&
					     strcmp(b.sun_path, path) == 0);
	bl = 4;
	memset(&b, 0, sizeof b);
	CHECK("short getpeername buffer: truncated, full length", getpeername(c, (struct sockaddr *)&b, &bl) == 0 &&
			 bl == al && b.sun_path[0] == path[0] && b.sun_path[1] == path[1] && b.sun_path[2] == 0);
	CHECK_ERRNO("connect again", connect(c, (struct sockaddr *)&a, al), EISCONN);
	int d = MUST(socket(AF_UNIX, SOCK_STREAM, 0));
	snprintf(label, sizeof label, "%s: bind a used path", fs);
	CHECK_ERRNO(label, bind(d, (struct sockaddr *)&a, al), EADDRINUSE);
	close(d);
	CHECK_ERRNO("rebinding a bound socket's path", bind(l, (struct sockaddr *)&a, al), EADDRINUSE);
	snprintf(path, sizeof path, "%s/second.sock", dir);
	socklen_t sl = path_addr(&b, path);
	CHECK_ERRNO("bind a bound socket elsewhere", bind(l, (struct sockaddr *)&b, sl), EINVAL);
	CHECK_ERRNO("leaves no file behind", access(path, F_OK), ENOENT);
	snprintf(path, sizeof path, "%s/listen.sock", dir);
	d = MUST(socket(AF_UNIX, SOCK_DGRAM, 0));
	CHECK_ERRNO("dgram connect to a stream listener", connect(d, (struct sockaddr *)&a, al), EPROTOTYPE);
	close(d);

	/* Unlinking the name leaves the listener working for the connections it has. */
	int c2 = MUST(socket(AF_UNIX, SOCK_STREAM, 0));
	MUST(connect(c2, (struct sockaddr *)&a, al));
	snprintf(label, sizeof label, "%s: unlink the socket file", fs);
	CHECK_SYS(label, unlink(path));
	d = MUST(socket(AF_UNIX, SOCK_STREAM, 0));
	CHECK_ERRNO("connect after unlink", connect(d, (struct sockaddr *)&a, al), ENOENT);
	int s2 = accept(l, NULL, NULL);
	CHECK("queued connection still accepted", s2 >= 0 && write(c2, "q", 1) == 1 &&
							  read(s2, buf, 10) == 1);
	int l2 = MUST(socket(AF_UNIX, SOCK_STREAM, 0));
	CHECK_SYS("the name can be bound again", bind(l2, (struct sockaddr *)&a, al));
	MUST(listen(l2, 1));
	CHECK_SYS("connect reaches the new listener", connect(d, (struct sockaddr *)&a, al));
	close(d), close(c2), close(s2), close(l2);
	unlink(path);

	/* A listener closed with a pending connection resets it. */
	close(c), close(s);
	l2 = bound(SOCK_STREAM, &a, al);
	MUST(listen(l2, 1));
	c = MUST(socket(AF_UNIX, SOCK_STREAM, 0));
	MUST(connect(c, (struct sockaddr *)&a, al));
	close(l2);
	CHECK_ERRNO("pending connection reset by the listener's close", read(c, buf, 1), ECONNRESET);
	close(c);
	c = MUST(socket(AF_UNIX, SOCK_STREAM, 0));
	snprintf(label, sizeof label, "%s: ECONNREFUSED once the listener is closed", fs);
	CHECK_ERRNO(label, connect(c, (struct sockaddr *)&a, al), ECONNREFUSED);
	close(c);
	unlink(path);

	/* Relative names stay relative. */
	char cwd[256];
	MUST((long)getcwd(cwd, sizeof cwd));
	MUST(chdir(dir));
	int r = MUST(socket(AF_UNIX, SOCK_STREAM, 0));
	socklen_t rl = path_addr(&b, "rel.sock");
	snprintf(label, sizeof label, "%s: bind a relative path", fs);
	CHECK_SYS(label, bind(r, (struct sockaddr *)&b, rl));
	bl = sizeof b;
	CHECK("getsockname keeps it relative", getsockname(r, (struct sockaddr *)&b, &bl) == 0 &&
						       bl == rl && strcmp(b.sun_path, "rel.sock") == 0);
	MUST(listen(r, 1));
	MUST(chdir(cwd));
	snprintf(path, sizeof path, "%s/rel.sock", dir);
	al = path_addr(&a, path);
	c = MUST(socket(AF_UNIX, SOCK_STREAM, 0));
	CHECK_SYS("connect by the absolute name", connect(c, (struct sockaddr *)&a, al));
	close(c), close(r);
	unlink(path);

	/* Datagrams over a path. */
	snprintf(path, sizeof path, "%s/dgram.sock", dir);
	al = path_addr(&a, path);
	int srv = bound(SOCK_DGRAM, &a, al);
	c = MUST(socket(AF_UNIX, SOCK_DGRAM, 0));
	snprintf(label, sizeof label, "%s: sendto a path", fs);
	CHECK(label, sendto(c, "dg", 2, 0, (struct sockaddr *)&a, al) == 2);
	bl = sizeof b;
	memset(&b, 0x55, sizeof b);
	CHECKF("recvfrom an unbound sender: no address", recvfrom(srv, buf, 10, 0, (struct sockaddr *)&b, &bl) == 2 &&
							 bl == 0, "len %u", bl);
	close(c), close(srv);
	unlink(path);
}

static void test_path_errors(void)
{
	struct sockaddr_un a;
	socklen_t al = path_addr(&a, "/tmp/unix-tmp/nodir/s.sock");
	int s = MUST(socket(AF_UNIX, SOCK_STREAM, 0));
	CHECK_ERRNO("bind in a missing directory", bind(s, (struct sockaddr *)&a, al), ENOENT);
	CHECK_ERRNO("connect to a missing path", connect(s, (struct sockaddr *)&a, al), ENOENT);
	int f = MUST(open("/tmp/unix-tmp/regular", O_CREAT | O_WRONLY, 0666));
	close(f);
	al = path_addr(&a, "/tmp/unix-tmp/regular");
	CHECK_ERRNO("connect to a regular file", connect(s, (struct sockaddr *)&a, al), ECONNREFUSED);
	CHECK_ERRNO("bind over a regular file", bind(s, (struct sockaddr *)&a, al), EADDRINUSE);
	unlink("/tmp/unix-tmp/regular");
	al = path_addr(&a, "/tmp/unix-tmp/stale.sock");
	int t = bound(SOCK_STREAM, &a, al);
	close(t);
	CHECK_ERRNO("connect to a stale socket file", connect(s, (struct sockaddr *)&a, al), ECONNREFUSED);
	unlink("/tmp/unix-tmp/stale.sock");
	al = path_addr(&a, "/proc/unix.sock");
	CHECK("bind on a read-only place fails", bind(s, (struct sockaddr *)&a, al) == -1);
	CHECK_ERRNO("addrlen too long", bind(s, (struct sockaddr *)&a, sizeof a + 1), EINVAL);
	CHECK_ERRNO("addrlen beyond sockaddr_storage", bind(s, (struct sockaddr *)&a, 1000), EINVAL);
	CHECK_ERRNO("negative addrlen", bind(s, (struct sockaddr *)&a, (socklen_t)-1), EINVAL);
	CHECK_ERRNO("addrlen 1", bind(s, (struct sockaddr *)&a, 1), EINVAL);
	a.sun_family = AF_INET;
	CHECK_ERRNO("wrong family", bind(s, (struct sockaddr *)&a, al), EINVAL);
	CHECK_ERRNO("wrong family connect", connect(s, (struct sockaddr *)&a, al), EINVAL);
	CHECK_ERRNO("bad address pointer", bind(s, (struct sockaddr *)8, al), EFAULT);
	CHECK_ERRNO("listen unbound", listen(s, 1), EINVAL);
	close(s);
	s = MUST(socket(AF_UNIX, SOCK_DGRAM, 0));
	CHECK_ERRNO("listen on dgram", listen(s, 1), EOPNOTSUPP);
	CHECK_ERRNO("accept on dgram", accept(s, NULL, NULL), EOPNOTSUPP);
	close(s);

	/* A full path of 108 bytes without a NUL is accepted. */
	char name[109];
	memset(name, 'x', 108);
	name[108] = 0;
	memcpy(name, "/tmp/unix-tmp/", 14);
	memset(&a, 0, sizeof a);
	a.sun_family = AF_UNIX;
	memcpy(a.sun_path, name, 108);
	s = MUST(socket(AF_UNIX, SOCK_STREAM, 0));
	CHECK_SYS("108-byte path without NUL", bind(s, (struct sockaddr *)&a, sizeof a));
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	CHECKF("its name has 108 bytes and a NUL", getsockname(s, (struct sockaddr *)&ss, &sl) == 0 &&
							   sl == SUN_OFF + 109, "len %u", sl);
	close(s);
	unlink(name);

	/* Backlog: listen(1) queues two connections; the third would block. */
	al = path_addr(&a, "/tmp/unix-tmp/backlog.sock");
	int l = bound(SOCK_STREAM, &a, al);
	MUST(listen(l, 1));
	int c[3];
	for (int i = 0; i < 3; i++)
		c[i] = MUST(socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0));
	CHECK("backlog 1: two connect", connect(c[0], (struct sockaddr *)&a, al) == 0 &&
						connect(c[1], (struct sockaddr *)&a, al) == 0);
	CHECK_ERRNO("the third EAGAIN", connect(c[2], (struct sockaddr *)&a, al), EAGAIN);
	struct timeval tv = { 0, 100000 };
	int b = MUST(socket(AF_UNIX, SOCK_STREAM, 0));
	MUST(setsockopt(b, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv));
	double t0 = now_ms();
	CHECK_ERRNO("blocking connect times out (SO_SNDTIMEO)", connect(b, (struct sockaddr *)&a, al), EAGAIN);
	CHECKF("after the timeout", now_ms() - t0 >= 90, "%.0f ms", now_ms() - t0);
	int s0 = accept(l, NULL, NULL);
	CHECK("accept makes room", s0 >= 0 && connect(c[2], (struct sockaddr *)&a, al) == 0);
	close(s0), close(b);
	for (int i = 0; i < 3; i++)
		close(c[i]);
	int ac = accept4(l, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	CHECK("accept4 flags", ac >= 0 && (fcntl(ac, F_GETFL) & O_NONBLOCK) && fcntl(ac, F_GETFD) == FD_CLOEXEC);
	close(ac);
	CHECK_ERRNO("accept4 bad flags", accept4(l, NULL, NULL, O_APPEND), EINVAL);
	close(l);
	unlink("/tmp/unix-tmp/backlog.sock");
}

static void test_permissions(void)
{
	if (geteuid() != 0)
		return;
	struct sockaddr_un a;
	socklen_t al = path_addr(&a, "/tmp/unix-tmp/perm.sock");
	int l = bound(SOCK_STREAM, &a, al);
	MUST(listen(l, 5));
	MUST(chmod("/tmp/unix-tmp/perm.sock", 0755));
	pid_t pid = fork();
	if (pid == 0) {
		if (setgid(1000) || setuid(1000))
			_exit(9);
		int s = socket(AF_UNIX, SOCK_STREAM, 0);
		if (connect(s, (struct sockaddr *)&a, al) == 0 || errno != EACCES)
			_exit(1);
		_exit(0);
	}
	int st = reap(pid);
	CHECKF("connect needs write permission (EACCES)", exited_ok(st), "status %#x", st);
	MUST(chmod("/tmp/unix-tmp/perm.sock", 0777));
	pid = fork();
	if (pid == 0) {
		if (setgid(1000) || setuid(1000))
			_exit(9);
		int s = socket(AF_UNIX, SOCK_STREAM, 0);
		if (connect(s, (struct sockaddr *)&a, al) != 0)
			_exit(1);
		struct ucred c = peercred(s);
		_exit(c.pid == getppid() && c.uid == 0 ? 0 : 2);
	}
	int s = accept(l, NULL, NULL);
	struct ucred c = peercred(s);
	CHECKF("SO_PEERCRED of a uid 1000 child", c.pid == pid && c.uid == 1000 && c.gid == 1000,
	       "pid %d/%d uid %u gid %u", c.pid, pid, c.uid, c.gid);
	st = reap(pid);
	CHECKF("child saw the listener's credentials", exited_ok(st), "status %#x", st);
	close(s), close(l);
	unlink("/tmp/unix-tmp/perm.sock");
}

static void test_abstract(void)
{
	struct sockaddr_un a, b;
	socklen_t al = abstract_addr(&a, "unix-test");
	int l = MUST(socket(AF_UNIX, SOCK_STREAM, 0));
	CHECK_SYS("bind abstract", bind(l, (struct sockaddr *)&a, al));
	socklen_t bl = sizeof b;
	CHECK("getsockname abstract", getsockname(l, (struct sockaddr *)&b, &bl) == 0 && bl == al &&
					      memcmp(&a, &b, al) == 0);
	CHECK_ERRNO("no file made", access("unix-test", F_OK), ENOENT);
	int d = MUST(socket(AF_UNIX, SOCK_STREAM, 0));
	CHECK_ERRNO("abstract name in use", bind(d, (struct sockaddr *)&a, al), EADDRINUSE);
	close(d);
	d = MUST(socket(AF_UNIX, SOCK_DGRAM, 0));
	CHECK_SYS("the same name for another type", bind(d, (struct sockaddr *)&a, al));
	close(d);
	d = MUST(socket(AF_UNIX, SOCK_STREAM, 0));
	socklen_t pl = abstract_addr(&b, "unix-tes");
	CHECK_ERRNO("a prefix is another name", connect(d, (struct sockaddr *)&b, pl), ECONNREFUSED);
	MUST(listen(l, 5));
	CHECK_SYS("connect abstract", connect(d, (struct sockaddr *)&a, al));
	int s = MUST(accept(l, NULL, NULL));
	bl = sizeof b;
	CHECK("getpeername abstract", getpeername(d, (struct sockaddr *)&b, &bl) == 0 && bl == al &&
					      memcmp(&a, &b, al) == 0);
	close(s), close(d), close(l);
	d = MUST(socket(AF_UNIX, SOCK_STREAM, 0));
	CHECK_SYS("name free after close", bind(d, (struct sockaddr *)&a, al));
	close(d);
	/* Embedded NULs are part of an abstract name. */
	memcpy(a.sun_path, "\0a\0b", 4);
	d = MUST(socket(AF_UNIX, SOCK_DGRAM, 0));
	CHECK_SYS("name with NULs", bind(d, (struct sockaddr *)&a, SUN_OFF + 4));
	bl = sizeof b;
	CHECK("getsockname keeps them", getsockname(d, (struct sockaddr *)&b, &bl) == 0 &&
						bl == SUN_OFF + 4 && memcmp(b.sun_path, "\0a\0b", 4) == 0);
	int e = MUST(socket(AF_UNIX, SOCK_DGRAM, 0));
	CHECK("sendto it", sendto(e, "n", 1, 0, (struct sockaddr *)&a, SUN_OFF + 4) == 1 &&
				   recv(d, buf, 10, 0) == 1);
	close(d), close(e);

	/* Autobind: an address of only the family, or SO_PASSCRED before connect/send. */
	s = MUST(socket(AF_UNIX, SOCK_DGRAM, 0));
	sa_family_t fam = AF_UNIX;
	CHECK_SYS("autobind", bind(s, (struct sockaddr *)&fam, sizeof fam));
	bl = sizeof b;
	memset(&b, 0, sizeof b);
	int hex = 1;
	if (getsockname(s, (struct sockaddr *)&b, &bl) == 0 && bl == SUN_OFF + 6)
		for (int i = 1; i < 6; i++)
			hex &= strchr("0123456789abcdef", b.sun_path[i]) != NULL && b.sun_path[i];
	CHECKF("autobind name: NUL + 5 hex digits", bl == SUN_OFF + 6 && b.sun_path[0] == 0 && hex,
	       "len %u", bl);
	l = MUST(socket(AF_UNIX, SOCK_DGRAM, 0));
	CHECK("datagrams to an autobound name", sendto(l, "ab", 2, 0, (struct sockaddr *)&b, bl) == 2 &&
							recv(s, buf, 10, 0) == 2);
	close(l), close(s);
	al = abstract_addr(&a, "unix-test-listen");
	l = bound(SOCK_STREAM, &a, al);
	MUST(listen(l, 5));
	s = MUST(socket(AF_UNIX, SOCK_STREAM, 0));
	int one = 1;
	MUST(setsockopt(s, SOL_SOCKET, SO_PASSCRED, &one, sizeof one));
	MUST(connect(s, (struct sockaddr *)&a, al));
	bl = sizeof b;
	CHECK("SO_PASSCRED autobinds on connect", getsockname(s, (struct sockaddr *)&b, &bl) == 0 &&
							  bl == SUN_OFF + 6 && b.sun_path[0] == 0);
	struct sockaddr_un peer;
	socklen_t peerl = sizeof peer;
	d = MUST(accept(l, (struct sockaddr *)&peer, &peerl));
	CHECK("accept returns the autobound name", peerl == bl && memcmp(&peer, &b, bl) == 0);
	close(d), close(s), close(l);
}

static void test_dgram_addresses(void)
{
	struct sockaddr_un a, b, c;
	socklen_t al = abstract_addr(&a, "unix-dgram-srv");
	socklen_t bl = abstract_addr(&b, "unix-dgram-cli");
	int srv = bound(SOCK_DGRAM, &a, al);
	int cli = bound(SOCK_DGRAM, &b, bl);
	socklen_t cl = sizeof c;
	CHECK("recvfrom gives the sender's name", sendto(cli, "hi", 2, 0, (struct sockaddr *)&a, al) == 2 &&
							   recvfrom(srv, buf, 10, 0, (struct sockaddr *)&c, &cl) == 2 &&
							   cl == bl && memcmp(&b, &c, bl) == 0);
	CHECK_SYS("connect dgram", connect(cli, (struct sockaddr *)&a, al));
	CHECK("send without an address", send(cli, "c", 1, 0) == 1 && recv(srv, buf, 10, 0) == 1);
	cl = sizeof c;
	CHECK("getpeername dgram", getpeername(cli, (struct sockaddr *)&c, &cl) == 0 && cl == al);
	/* A socket connected elsewhere refuses others' datagrams. */
	CHECK_SYS("connect the server to the client", connect(srv, (struct sockaddr *)&b, bl));
	int other = MUST(socket(AF_UNIX, SOCK_DGRAM, 0));
	CHECK_ERRNO("EPERM from a stranger", sendto(other, "x", 1, 0, (struct sockaddr *)&a, al), EPERM);
	CHECK_ERRNO("connect from a stranger", connect(other, (struct sockaddr *)&a, al), EPERM);
	struct sockaddr unspec = { .sa_family = AF_UNSPEC };
	CHECK_SYS("AF_UNSPEC disconnects", connect(srv, &unspec, sizeof unspec));
	CHECK("the stranger is welcome again", sendto(other, "x", 1, 0, (struct sockaddr *)&a, al) == 1 &&
							recv(srv, buf, 10, 0) == 1);
	CHECK_SYS("disconnect the client", connect(cli, &unspec, sizeof unspec));
	CHECK_ERRNO("send after disconnect", send(cli, "x", 1, 0), ENOTCONN);
	cl = sizeof c;
	CHECK_ERRNO("getpeername after disconnect", getpeername(cli, (struct sockaddr *)&c, &cl), ENOTCONN);

	/* max_dgram_qlen: a receiver not connected back holds qlen + 1 datagrams. */
	int qlen = 10;
	FILE *f = fopen("/proc/sys/net/unix/max_dgram_qlen", "r");
	if (f) {
		if (fscanf(f, "%d", &qlen) != 1)
			qlen = 10;
		fclose(f);
	}
	MUST(connect(cli, (struct sockaddr *)&a, al));
	int n = 0;
	while (n < 10000 && send(cli, "q", 1, MSG_DONTWAIT) == 1)
		n++;
	int err = errno;
	CHECKF("queue limit then EAGAIN", n == qlen + 1 && err == EAGAIN, "%d sent, errno %d", n, err);
	CHECK("a full receiver is not writable", (revents(cli, POLLOUT) & POLLOUT) == 0);
	pid_t pid = fork();
	if (pid == 0) {
		sleep_ms(50);
		recv(srv, buf, 10, 0);
		_exit(0);
	}
	struct pollfd p = { cli, POLLOUT, 0 };
	CHECK("writable again once it reads", poll(&p, 1, 5000) == 1 && p.revents == POLLOUT);
	reap(pid);
	pid = fork();
	if (pid == 0) {
		sleep_ms(50);
		recv(srv, buf, 10, 0);
		_exit(0);
	}
	CHECK("a blocking send waits for room", send(cli, "w", 1, 0) == 1);
	reap(pid);
	while (recv(srv, buf, 10, MSG_DONTWAIT) > 0)
		;
	close(srv);
	CHECK_ERRNO("send to a closed server", send(cli, "x", 1, 0), ECONNREFUSED);
	CHECK_ERRNO("sendto a closed name", sendto(other, "x", 1, 0, (struct sockaddr *)&a, al), ECONNREFUSED);
	close(cli), close(other);
}

static void test_rights(void)
{
	int sv[2], p[2];
	MUST(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	MUST(pipe(p));
	struct received r;
	CHECK("send a pipe's read end", send_fds(sv[0], &p[0], 1, "F", 1) == 1);
	close(p[0]);
	ssize_t n = recv_fds(sv[1], buf, 10, 4096, 0, &r);
	CHECKF("receive one fd", n == 1 && r.nfds == 1 && r.fds[0] >= 0 && !(r.msg_flags & MSG_CTRUNC) &&
					 r.controllen == CMSG_SPACE(sizeof(int)),
	       "n %zd nfds %d flags %#x controllen %zu", n, r.nfds, r.msg_flags, r.controllen);
	int rfd = r.fds[0];
	CHECK("received fd reads the pipe", write(p[1], "pipe!", 5) == 5 && read(rfd, buf, 10) == 5 &&
						    memcmp(buf, "pipe!", 5) == 0);
	CHECK("not close-on-exec", fcntl(rfd, F_GETFD) == 0);
	MUST(send_fds(sv[0], &p[1], 1, "G", 1));
	n = recv_fds(sv[1], buf, 10, 4096, MSG_CMSG_CLOEXEC, &r);
	CHECK("MSG_CMSG_CLOEXEC", n == 1 && r.nfds == 1 && fcntl(r.fds[0], F_GETFD) == FD_CLOEXEC);
	struct stat s1, s2;
	MUST(fstat(r.fds[0], &s1));
	MUST(fstat(p[1], &s2));
	CHECK("same pipe", s1.st_ino == s2.st_ino);
	close(r.fds[0]);

	/* Three fds, room for two: MSG_CTRUNC, the third closed. */
	int three[3] = { p[1], p[1], p[1] };
	MUST(send_fds(sv[0], three, 3, "H", 1));
	n = recv_fds(sv[1], buf, 10, CMSG_SPACE(sizeof(int)), 0, &r);
	CHECKF("short control buffer: MSG_CTRUNC", n == 1 && r.nfds == 2 && (r.msg_flags & MSG_CTRUNC),
	       "n %zd nfds %d flags %#x", n, r.nfds, r.msg_flags);
	close(r.fds[0]), close(r.fds[1]);
	/* No control buffer: the fds are dropped. */
	MUST(send_fds(sv[0], &rfd, 1, "I", 1));
	close(rfd);
	n = recv_fds(sv[1], buf, 10, 0, 0, &r);
	CHECK("no control buffer: MSG_CTRUNC", n == 1 && r.nfds == 0 && (r.msg_flags & MSG_CTRUNC));
	signal(SIGPIPE, SIG_IGN);
	CHECK_ERRNO("the dropped fd was the last reader", write(p[1], "x", 1), EPIPE);
	signal(SIGPIPE, SIG_DFL);
	close(p[1]);

	/* A stream read stops after the data that carried fds. */
	MUST(pipe(p));
	MUST(send_fds(sv[0], &p[0], 1, "ab", 2));
	MUST(write(sv[0], "cd", 2));
	n = recv_fds(sv[1], buf, 10, 4096, 0, &r);
	CHECKF("read stops after the fds", n == 2 && r.nfds == 1, "n %zd nfds %d", n, r.nfds);
	close(r.fds[0]);
	CHECK("then the rest", read(sv[1], buf, 10) == 2 && memcmp(buf, "cd", 2) == 0);

	/* Limits and bad arguments. */
	int many[254];
	for (int i = 0; i < 254; i++)
		many[i] = p[0];
	CHECK("253 fds in one message", send_fds(sv[0], many, 253, "m", 1) == 1);
	n = recv_fds(sv[1], buf, 10, 4096, 0, &r);
	CHECK("253 received", n == 1 && r.nfds == 253);
	for (int i = 0; i < r.nfds; i++)
		close(r.fds[i]);
	CHECK_ERRNO("254 fds", send_fds(sv[0], many, 254, "m", 1), EINVAL);
	int bad = 999;
	CHECK_ERRNO("a bad fd", send_fds(sv[0], &bad, 1, "m", 1), EBADF);
	char ctl[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { "z", 1 };
	struct msghdr m = { 0 };
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	m.msg_control = ctl;
	m.msg_controllen = sizeof ctl;
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = sizeof ctl + 8;
	CHECK_ERRNO("cmsg_len past the buffer", sendmsg(sv[0], &m, 0), EINVAL);
	c->cmsg_len = 8;
	CHECK_ERRNO("cmsg_len below a header", sendmsg(sv[0], &m, 0), EINVAL);
	c->cmsg_len = CMSG_LEN(sizeof(int));
	c->cmsg_type = 77;
	CHECK_ERRNO("unknown SOL_SOCKET cmsg type", sendmsg(sv[0], &m, 0), EINVAL);
	c->cmsg_level = 6;
	CHECK("other levels ignored", sendmsg(sv[0], &m, 0) == 1 && read(sv[1], buf, 10) == 1);
	m.msg_controllen = (size_t)1 << 40;
	CHECK_ERRNO("huge msg_controllen", sendmsg(sv[0], &m, 0), ENOBUFS);
	m.msg_control = (void *)8;
	m.msg_controllen = sizeof ctl;
	CHECK_ERRNO("bad control pointer", sendmsg(sv[0], &m, 0), EFAULT);
	close(p[0]);

	/* A socket passed over a socket, across fork. */
	int inner[2];
	MUST(socketpair(AF_UNIX, SOCK_DGRAM, 0, inner));
	pid_t pid = fork();
	if (pid == 0) {
		struct received rr;
		if (recv_fds(sv[1], buf, 10, 4096, 0, &rr) != 1 || rr.nfds != 1)
			_exit(1);
		_exit(send(rr.fds[0], "via", 3, 0) == 3 ? 0 : 2);
	}
	MUST(send_fds(sv[0], &inner[1], 1, "S", 1));
	close(inner[1]);
	int st = reap(pid);
	CHECKF("child used a socket it received", exited_ok(st) && recv(inner[0], buf, 10, 0) == 3 &&
							   memcmp(buf, "via", 3) == 0, "status %#x", st);
	close(inner[0]);

	/* Dgram: fds with MSG_PEEK are duplicated, then received for real. */
	int dv[2];
	MUST(socketpair(AF_UNIX, SOCK_DGRAM, 0, dv));
	MUST(pipe(p));
	MUST(send_fds(dv[0], &p[1], 1, "D", 1));
	n = recv_fds(dv[1], buf, 10, 4096, MSG_PEEK, &r);
	CHECK("peek sees the fd", n == 1 && r.nfds == 1);
	close(r.fds[0]);
	n = recv_fds(dv[1], buf, 10, 4096, 0, &r);
	CHECK("then the receive", n == 1 && r.nfds == 1);
	close(r.fds[0]);
	close(p[0]), close(p[1]), close(dv[0]), close(dv[1]);
	close(sv[0]), close(sv[1]);
}

static void test_creds(void)
{
	int sv[2], one = 1;
	struct received r;
	MUST(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv));
	CHECK("SO_PASSCRED off", getint(sv[1], SO_PASSCRED) == 0);
	MUST(setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &one, sizeof one));
	CHECK("SO_PASSCRED on", getint(sv[1], SO_PASSCRED) == 1);
	MUST(send(sv[0], "c", 1, 0));
	ssize_t n = recv_fds(sv[1], buf, 10, 4096, 0, &r);
	CHECKF("SCM_CREDENTIALS of the sender", n == 1 && r.has_creds && r.creds.pid == getpid() &&
							 r.creds.uid == getuid() && r.creds.gid == getgid(),
	       "n %zd has %d pid %d uid %u gid %u", n, r.has_creds, r.creds.pid, r.creds.uid, r.creds.gid);

	char ctl[CMSG_SPACE(sizeof(struct ucred)) + CMSG_SPACE(sizeof(int))];
	memset(ctl, 0, sizeof ctl);
	struct iovec iov = { "e", 1 };
	struct msghdr m = { 0 };
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	m.msg_control = ctl;
	m.msg_controllen = CMSG_SPACE(sizeof(struct ucred));
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_CREDENTIALS;
	c->cmsg_len = CMSG_LEN(sizeof(struct ucred));
	struct ucred u = { getpid(), getuid(), getgid() };
	memcpy(CMSG_DATA(c), &u, sizeof u);
	CHECK("explicit SCM_CREDENTIALS", sendmsg(sv[0], &m, 0) == 1);
	n = recv_fds(sv[1], buf, 10, 4096, 0, &r);
	CHECK("received as sent", n == 1 && r.has_creds && r.creds.pid == getpid());
	c->cmsg_len = CMSG_LEN(sizeof(struct ucred)) - 1;
	CHECK_ERRNO("SCM_CREDENTIALS of the wrong size", sendmsg(sv[0], &m, 0), EINVAL);
	c->cmsg_len = CMSG_LEN(sizeof(struct ucred));

	/* Credentials first, then rights. */
	int p[2];
	MUST(pipe(p));
	m.msg_controllen = sizeof ctl;
	struct cmsghdr *c2 = CMSG_NXTHDR(&m, c);
	c2->cmsg_level = SOL_SOCKET;
	c2->cmsg_type = SCM_RIGHTS;
	c2->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c2), &p[0], sizeof(int));
	CHECK("credentials and rights together", sendmsg(sv[0], &m, 0) == 1);
	n = recv_fds(sv[1], buf, 10, 4096, 0, &r);
	CHECK("both received", n == 1 && r.has_creds && r.nfds == 1 &&
				       r.controllen == CMSG_SPACE(sizeof(struct ucred)) + CMSG_SPACE(sizeof(int)));
	close(r.fds[0]), close(p[0]), close(p[1]);
	CHECK_ERRNO("nothing left", recv_fds(sv[1], buf, 10, 0, MSG_DONTWAIT, &r), EAGAIN);
	m.msg_controllen = CMSG_SPACE(sizeof(struct ucred));
	MUST(send(sv[0], "t", 1, 0));
	n = recv_fds(sv[1], buf, 10, sizeof(struct cmsghdr) + 4, 0, &r);
	CHECK("credentials truncated: MSG_CTRUNC", n == 1 && (r.msg_flags & MSG_CTRUNC));

	if (geteuid() == 0) {
		pid_t pid = fork();
		if (pid == 0) {
			if (setgid(1000) || setuid(1000))
				_exit(9);
			struct ucred mine = { getpid(), 1000, 1000 };
			memcpy(CMSG_DATA(c), &mine, sizeof mine);
			if (sendmsg(sv[0], &m, 0) != 1)
				_exit(1);
			struct ucred fake = { getppid(), 1000, 1000 };
			memcpy(CMSG_DATA(c), &fake, sizeof fake);
			if (sendmsg(sv[0], &m, 0) != -1 || errno != EPERM)
				_exit(2);
			struct ucred root = { getpid(), 0, 1000 };
			memcpy(CMSG_DATA(c), &root, sizeof root);
			if (sendmsg(sv[0], &m, 0) != -1 || errno != EPERM)
				_exit(3);
			_exit(send(sv[0], "d", 1, 0) == 1 ? 0 : 4);
		}
		int st = reap(pid);
		CHECKF("unprivileged sender: EPERM for others' ids", exited_ok(st), "status %#x", st);
		n = recv_fds(sv[1], buf, 10, 4096, 0, &r);
		CHECK("its own ids pass", n == 1 && r.has_creds && r.creds.pid == pid && r.creds.uid == 1000);
		n = recv_fds(sv[1], buf, 10, 4096, 0, &r);
		CHECK("implicit ids of a uid 1000 sender", n == 1 && r.has_creds && r.creds.pid == pid &&
								   r.creds.uid == 1000 && r.creds.gid == 1000);
		struct ucred anyone = { 1, 4321, 4321 };
		memcpy(CMSG_DATA(c), &anyone, sizeof anyone);
		CHECK("root may claim any ids", sendmsg(sv[0], &m, 0) == 1);
		n = recv_fds(sv[1], buf, 10, 4096, 0, &r);
		CHECK("and they arrive", n == 1 && r.creds.pid == 1 && r.creds.uid == 4321);
	}
	close(sv[0]), close(sv[1]);

	/* Stream: credentials with SO_PASSCRED, and writers never glued together. */
	MUST(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	MUST(setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &one, sizeof one));
	MUST(write(sv[0], "ab", 2));
	pid_t pid = fork();
	if (pid == 0)
		_exit(write(sv[0], "cd", 2) == 2 ? 0 : 1);
	reap(pid);
	n = recv_fds(sv[1], buf, 10, 4096, 0, &r);
	CHECK("stream read stops at another writer", n == 2 && r.has_creds && r.creds.pid == getpid());
	n = recv_fds(sv[1], buf, 10, 4096, 0, &r);
	CHECK("whose credentials come next", n == 2 && r.has_creds && r.creds.pid == pid);
	close(sv[0]), close(sv[1]);

	int s = MUST(socket(AF_UNIX, SOCK_STREAM, 0));
	struct ucred none = peercred(s);
	CHECKF("SO_PEERCRED unconnected", none.pid == 0 && none.uid == (uid_t)-1 && none.gid == (gid_t)-1,
	       "pid %d uid %d gid %d", none.pid, (int)none.uid, (int)none.gid);
	close(s);
}

static void test_poll(void)
{
	int s = MUST(socket(AF_UNIX, SOCK_STREAM, 0));
	CHECK("unconnected stream: POLLOUT|POLLHUP", revents(s, POLLIN | POLLOUT) == (POLLOUT | POLLHUP));
	close(s);
	s = MUST(socket(AF_UNIX, SOCK_DGRAM, 0));
	CHECK("unconnected dgram: POLLOUT", revents(s, POLLIN | POLLOUT) == POLLOUT);
	close(s);

	int sv[2];
	MUST(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	pid_t pid = fork();
	if (pid == 0) {
		sleep_ms(50);
		write(sv[1], "w", 1);
		_exit(0);
	}
	struct pollfd p = { sv[0], POLLIN, 0 };
	CHECK("poll woken by another process", poll(&p, 1, 5000) == 1 && p.revents == POLLIN);
	reap(pid);
	MUST(read(sv[0], buf, 10));
	int ep = MUST(epoll_create1(0));
	struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP, .data.fd = sv[0] };
	MUST(epoll_ctl(ep, EPOLL_CTL_ADD, sv[0], &ev));
	pid = fork();
	if (pid == 0) {
		sleep_ms(50);
		write(sv[1], "e", 1);
		_exit(0);
	}
	CHECK("epoll_wait woken by data", epoll_wait(ep, &ev, 1, 5000) == 1 && ev.events == EPOLLIN);
	reap(pid);
	MUST(read(sv[0], buf, 10));
	pid = fork();
	if (pid == 0) {
		sleep_ms(50);
		shutdown(sv[1], SHUT_WR);
		_exit(0);
	}
	CHECK("epoll sees the peer's shutdown", epoll_wait(ep, &ev, 1, 5000) == 1 &&
							ev.events == (EPOLLIN | EPOLLRDHUP));
	reap(pid);
	close(ep), close(sv[0]), close(sv[1]);

	/* select on a listener. */
	struct sockaddr_un a;
	socklen_t al = abstract_addr(&a, "unix-test-select");
	int l = bound(SOCK_SEQPACKET, &a, al);
	MUST(listen(l, 5));
	pid = fork();
	if (pid == 0) {
		sleep_ms(50);
		int c = socket(AF_UNIX, SOCK_SEQPACKET, 0);
		connect(c, (struct sockaddr *)&a, al);
		send(c, "pkt", 3, 0);
		_exit(0);
	}
	fd_set rd;
	FD_ZERO(&rd);
	FD_SET(l, &rd);
	struct timeval tv = { 5, 0 };
	CHECK("select: a connection to accept", select(l + 1, &rd, NULL, NULL, &tv) == 1 && FD_ISSET(l, &rd));
	int c = MUST(accept(l, NULL, NULL));
	reap(pid);
	CHECK("seqpacket over a listener", recv(c, buf, 10, 0) == 3 && recv(c, buf, 10, 0) == 0);
	close(c), close(l);
}

static void test_interrupt(void)
{
	struct sockaddr_un a;
	socklen_t al = abstract_addr(&a, "unix-test-intr");
	int l = bound(SOCK_STREAM, &a, al);
	MUST(listen(l, 5));
	set_handler(SIGALRM, on_signal, 0);
	caught = 0;
	alarm_ms(50);
	CHECK_ERRNO("blocked accept interrupted: EINTR", accept(l, NULL, NULL), EINTR);
	CHECK("by SIGALRM", caught == SIGALRM);
	set_handler(SIGALRM, on_signal, SA_RESTART);
	caught = 0;
	int go[2];
	MUST(pipe(go));
	pid_t pid = fork();
	if (pid == 0) {
		close(go[1]);
		sleep_ms(150);
		int c = socket(AF_UNIX, SOCK_STREAM, 0);
		int r = connect(c, (struct sockaddr *)&a, al);
		/* Stay connected until the parent is done. */
		read(go[0], buf, 1);
		_exit(r == 0 ? 0 : 1);
	}
	close(go[0]);
	alarm_ms(50);
	int s = accept(l, NULL, NULL);
	CHECK("SA_RESTART: accept restarted", s >= 0 && caught == SIGALRM);
	set_handler(SIGALRM, on_signal, 0);
	caught = 0;
	alarm_ms(50);
	CHECK_ERRNO("blocked recv interrupted", recv(s, buf, 10, 0), EINTR);
	close(go[1]);
	CHECK("the peer's exit is EOF", recv(s, buf, 10, 0) == 0);
	reap(pid);
	close(s);

	struct timeval tv = { 0, 100000 };
	CHECK_SYS("SO_RCVTIMEO", setsockopt(l, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv));
	struct timeval got = { 9, 9 };
	socklen_t gl = sizeof got;
	CHECK("SO_RCVTIMEO read back", getsockopt(l, SOL_SOCKET, SO_RCVTIMEO, &got, &gl) == 0 &&
					       gl == sizeof got && got.tv_sec == 0 && got.tv_usec == 100000);
	double t0 = now_ms();
	CHECK_ERRNO("accept times out", accept(l, NULL, NULL), EAGAIN);
	CHECKF("after about 100 ms", now_ms() - t0 >= 90, "%.0f ms", now_ms() - t0);
	int sv[2];
	MUST(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv));
	MUST(setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv));
	t0 = now_ms();
	CHECK_ERRNO("recv times out", recv(sv[0], buf, 10, 0), EAGAIN);
	CHECK("read() too", read(sv[0], buf, 10) == -1 && errno == EAGAIN && now_ms() - t0 >= 180);
	/* With a timeout, a signal gives EINTR even with SA_RESTART. */
	set_handler(SIGALRM, on_signal, SA_RESTART);
	tv.tv_sec = 5;
	MUST(setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv));
	alarm_ms(50);
	CHECK_ERRNO("timed recv interrupted: EINTR", recv(sv[0], buf, 10, 0), EINTR);
	tv.tv_usec = 1000000;
	CHECK_ERRNO("tv_usec out of range", setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv), EDOM);
	CHECK_ERRNO("short timeval", setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, 8), EINVAL);
	close(sv[0]), close(sv[1]), close(l);
	set_handler(SIGALRM, SIG_DFL, 0);
}

static void test_msghdr(void)
{
	int sv[2];
	MUST(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv));
	struct iovec iov[3] = { { "12", 2 }, { "345", 3 }, { "6789", 4 } };
	struct msghdr m = { 0 };
	m.msg_iov = iov;
	m.msg_iovlen = 3;
	CHECK("sendmsg gathers", sendmsg(sv[0], &m, 0) == 9);
	char x[4], y[10];
	struct iovec rv[2] = { { x, 4 }, { y, 10 } };
	struct msghdr rm = { 0 };
	rm.msg_iov = rv;
	rm.msg_iovlen = 2;
	CHECK("recvmsg scatters", recvmsg(sv[1], &rm, 0) == 9 && memcmp(x, "1234", 4) == 0 &&
					  memcmp(y, "56789", 5) == 0 && rm.msg_flags == 0);
	static struct iovec big[1025];
	for (int i = 0; i < 1025; i++)
		big[i] = (struct iovec){ "a", 1 };
	m.msg_iov = big;
	m.msg_iovlen = 1025;
	CHECK_ERRNO("msg_iovlen > UIO_MAXIOV", sendmsg(sv[0], &m, 0), EMSGSIZE);
	m.msg_iovlen = 1024;
	CHECK("1024 iovecs", sendmsg(sv[0], &m, 0) == 1024 && recv(sv[1], buf, sizeof buf, 0) == 1024);
	m.msg_iov = (struct iovec *)8;
	m.msg_iovlen = 2;
	CHECK_ERRNO("bad iovec pointer", sendmsg(sv[0], &m, 0), EFAULT);
	CHECK_ERRNO("bad msghdr pointer", sendmsg(sv[0], (struct msghdr *)8, 0), EFAULT);
	CHECK_ERRNO("bad buffer", send(sv[0], (void *)8, 10, 0), EFAULT);
	struct iovec neg = { "a", (size_t)-1 };
	m.msg_iov = &neg;
	m.msg_iovlen = 1;
	CHECK_ERRNO("iov_len beyond SSIZE_MAX", sendmsg(sv[0], &m, 0), EINVAL);
	CHECK_ERRNO("recvmsg into a bad msghdr", recvmsg(sv[1], (struct msghdr *)8, MSG_DONTWAIT), EFAULT);
	MUST(send(sv[0], "f", 1, 0));
	CHECK_ERRNO("recv into a bad buffer", recv(sv[1], (void *)8, 10, 0), EFAULT);

	struct mmsghdr mm[3];
	struct iovec mi[3] = { { "m1", 2 }, { "mm2", 3 }, { "mmm3", 4 } };
	memset(mm, 0, sizeof mm);
	for (int i = 0; i < 3; i++) {
		mm[i].msg_hdr.msg_iov = &mi[i];
		mm[i].msg_hdr.msg_iovlen = 1;
	}
	CHECK("sendmmsg", sendmmsg(sv[0], mm, 3, 0) == 3 && mm[0].msg_len == 2 && mm[2].msg_len == 4);
	char rb[3][8];
	struct iovec ri[3] = { { rb[0], 8 }, { rb[1], 8 }, { rb[2], 8 } };
	memset(mm, 0, sizeof mm);
	for (int i = 0; i < 3; i++) {
		mm[i].msg_hdr.msg_iov = &ri[i];
		mm[i].msg_hdr.msg_iovlen = 1;
	}
	CHECK("recvmmsg", recvmmsg(sv[1], mm, 3, MSG_DONTWAIT, NULL) == 3 && mm[1].msg_len == 3 &&
				  memcmp(rb[2], "mmm3", 4) == 0);
	CHECK_ERRNO("recvmmsg on empty", recvmmsg(sv[1], mm, 3, MSG_DONTWAIT, NULL), EAGAIN);
	MUST(send(sv[0], "w1", 2, 0));
	CHECK("MSG_WAITFORONE", recvmmsg(sv[1], mm, 3, MSG_WAITFORONE, NULL) == 1);
	MUST(send(sv[0], "t1", 2, 0));
	MUST(send(sv[0], "t2", 2, 0));
	struct timespec left = { 5, 0 };
	CHECKF("recvmmsg writes the time left back", recvmmsg(sv[1], mm, 2, 0, &left) == 2 &&
							     left.tv_sec <= 5 && (left.tv_sec > 0 || left.tv_nsec > 0) &&
							     (left.tv_sec < 5 || left.tv_nsec == 0),
	       "%ld.%09ld", (long)left.tv_sec, left.tv_nsec);
	close(sv[0]), close(sv[1]);
}

static void test_sockopts(void)
{
	int s = MUST(socket(AF_UNIX, SOCK_STREAM, 0));
	int v = 65536;
	CHECK_SYS("SO_SNDBUF", setsockopt(s, SOL_SOCKET, SO_SNDBUF, &v, sizeof v));
	CHECK("SO_SNDBUF doubled", getint(s, SO_SNDBUF) == 131072);
	CHECK_SYS("SO_RCVBUF", setsockopt(s, SOL_SOCKET, SO_RCVBUF, &v, sizeof v));
	CHECK("SO_RCVBUF doubled", getint(s, SO_RCVBUF) == 131072);
	v = 1;
	CHECK("SO_SNDBUF minimum", setsockopt(s, SOL_SOCKET, SO_SNDBUF, &v, sizeof v) == 0 &&
					   getint(s, SO_SNDBUF) == 4608);
	CHECK_SYS("SO_REUSEADDR", setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &v, sizeof v));
	CHECK("SO_REUSEADDR read back", getint(s, SO_REUSEADDR) == 1);
	CHECK_SYS("SO_KEEPALIVE", setsockopt(s, SOL_SOCKET, SO_KEEPALIVE, &v, sizeof v));
	CHECK_ERRNO("unknown option", setsockopt(s, SOL_SOCKET, 9999, &v, sizeof v), ENOPROTOOPT);
	socklen_t l = sizeof v;
	CHECK_ERRNO("unknown option get", getsockopt(s, SOL_SOCKET, 9999, &v, &l), ENOPROTOOPT);
	CHECK_ERRNO("other level", setsockopt(s, 6, 1, &v, sizeof v), EOPNOTSUPP);
	CHECK_ERRNO("other level get", getsockopt(s, 6, 1, &v, &l), EOPNOTSUPP);
	CHECK_ERRNO("short optlen", setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &v, 2), EINVAL);
	CHECK_ERRNO("bad optval", setsockopt(s, SOL_SOCKET, SO_REUSEADDR, (void *)8, 4), EFAULT);
	l = 2;
	short sh = 0;
	CHECK("short get truncates", getsockopt(s, SOL_SOCKET, SO_TYPE, &sh, &l) == 0 && l == 2 &&
					     sh == SOCK_STREAM);
	int neg = -1;
	CHECK_ERRNO("negative optlen", getsockopt(s, SOL_SOCKET, SO_TYPE, &v, (socklen_t *)&neg), EINVAL);
	CHECK_ERRNO("bad optlen pointer", getsockopt(s, SOL_SOCKET, SO_TYPE, &v, (socklen_t *)8), EFAULT);
	struct linger lg = { 1, 5 };
	CHECK_SYS("SO_LINGER", setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof lg));
	struct linger lg2 = { 0, 0 };
	l = sizeof lg2;
	CHECK("SO_LINGER read back", getsockopt(s, SOL_SOCKET, SO_LINGER, &lg2, &l) == 0 &&
					     lg2.l_onoff == 1 && lg2.l_linger == 5);
	close(s);
}

static void test_transfer(void)
{
	/* A seqpacket conversation between processes. */
	int sv[2];
	MUST(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv));
	pid_t pid = fork();
	if (pid == 0) {
		close(sv[0]);
		for (;;) {
			ssize_t n = recv(sv[1], buf, sizeof buf, 0);
			if (n <= 0)
				_exit(n == 0 ? 0 : 1);
			if (send(sv[1], buf, (size_t)n, 0) != n)
				_exit(2);
		}
	}
	close(sv[1]);
	int ok = 1;
	for (int i = 1; i <= 200 && ok; i++) {
		size_t len = (size_t)i * 97;
		memset(buf, i, len);
		ok = send(sv[0], buf, len, 0) == (ssize_t)len;
		ssize_t n = recv(sv[0], buf, sizeof buf, 0);
		ok = ok && n == (ssize_t)len && (unsigned char)buf[len - 1] == (unsigned char)i;
	}
	CHECK("200 seqpacket echoes", ok);
	close(sv[0]);
	int st = reap(pid);
	CHECKF("echo server saw EOF", exited_ok(st), "status %#x", st);
}

/* Calls every socket system call on non-blocking sockets of each kind with
 * hostile sizes and pointers (NULL, unmapped, the top of the address space,
 * buffers of 0x00 and 0xff bytes): each must return. */
static void test_hostile(void)
{
	static char zeros[4096], ones[4096];
	memset(ones, 0xff, sizeof ones);
	const uint64_t values[] = {
		0, 1, 2, 3, 16, 110, 111, 128, 4096, 0x7fffffff, 0xffffffff, UINT64_MAX,
		UINT64_MAX - 4095, 0x8000000000000000ULL, 0xffffffffff600000ULL, 0x10,
		(uint64_t)zeros, (uint64_t)ones,
	};
	const long nrs[] = {
		SYS_connect, SYS_accept, SYS_sendto, SYS_recvfrom, SYS_sendmsg, SYS_recvmsg,
		SYS_shutdown, SYS_bind, SYS_listen, SYS_getsockname, SYS_getpeername,
		SYS_setsockopt, SYS_getsockopt, SYS_accept4, SYS_recvmmsg, SYS_sendmmsg,
	};
	int fds[7];
	MUST(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds));
	MUST(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0, fds + 2));
	MUST(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, fds + 4));
	struct sockaddr_un a;
	socklen_t al = abstract_addr(&a, "unix-test-hostile");
	fds[6] = MUST(socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0));
	MUST(bind(fds[6], (struct sockaddr *)&a, al));
	MUST(listen(fds[6], 5));
	uint64_t seed = 0x9e3779b97f4a7c15ULL;
	unsigned long calls = 0;
	for (unsigned n = 0; n < sizeof nrs / sizeof nrs[0]; n++) {
		for (int round = 0; round < 300; round++) {
			uint64_t arg[5];
			for (int i = 0; i < 5; i++) {
				seed ^= seed << 13;
				seed ^= seed >> 7;
				seed ^= seed << 17;
				arg[i] = values[(seed >> 8) % (sizeof values / sizeof values[0])];
			}
			int fd = fds[(seed >> 40) % 7];
			/* Accepted connections and received descriptors are closed again. */
			long r = syscall(nrs[n], fd, arg[0], arg[1], arg[2], arg[3], arg[4]);
			if ((nrs[n] == SYS_accept || nrs[n] == SYS_accept4) && r > 6)
				close((int)r);
			calls++;
		}
	}
	for (int fd = 3; fd < 1024; fd++) {
		int keep = 0;
		for (int i = 0; i < 7; i++)
			keep |= fds[i] == fd;
		if (!keep && fd > fds[6])
			close(fd);
	}
	CHECKF("hostile arguments to socket calls return", calls == 16 * 300, "%lu", calls);
	for (int i = 0; i < 7; i++)
		close(fds[i]);
	int sv[2];
	CHECK("sockets still work", socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) == 0 && send(sv[0], "ok", 2, 0) == 2 &&
					    recv(sv[1], buf, 10, 0) == 2);
	close(sv[0]), close(sv[1]);
}

/* Runs the path tests on DIR (an ext4 root directory) and leaves kept.sock. */
static void test_ext4(const char *dir)
{
	char path[128];
	if (mkdir(dir, 0755) != 0 && errno != EEXIST)
		check_fail("mkdir ext4 dir", errno, "%s", dir);
	test_path(dir, "ext4");
	snprintf(path, sizeof path, "%s/kept.sock", dir);
	unlink(path);
	struct sockaddr_un a;
	socklen_t al = path_addr(&a, path);
	int s = bound(SOCK_DGRAM, &a, al);
	CHECK("ext4: a datagram to a kept socket", sendto(s, "k", 1, 0, (struct sockaddr *)&a, al) == 1 &&
							  recv(s, buf, 10, 0) == 1);
	close(s);
	struct stat st;
	CHECK("ext4: the file outlives its socket", stat(path, &st) == 0 && S_ISSOCK(st.st_mode));
	sync();
}

int main(int argc, char **argv)
{
	const char *ext4dir = argc > 1 ? argv[1] : "/unix-ext4";
	umask(022);
	if (mkdir("/tmp/unix-tmp", 0755) != 0 && errno != EEXIST)
		check_fail("mkdir /tmp/unix-tmp", errno, "setup");
	test_socket_calls();
	test_stream_pair();
	test_stream_close();
	test_stream_nonblock();
	test_dgram_pair(SOCK_DGRAM, "dgram");
	test_dgram_pair(SOCK_SEQPACKET, "seqpacket");
	test_seqpacket_close();
	test_path("/tmp/unix-tmp", "tmpfs");
	test_path_errors();
	test_permissions();
	test_abstract();
	test_dgram_addresses();
	test_rights();
	test_creds();
	test_poll();
	test_interrupt();
	test_msghdr();
	test_sockopts();
	test_transfer();
	test_hostile();
	test_ext4(ext4dir);
	rmdir("/tmp/unix-tmp");
	return check_done();
}

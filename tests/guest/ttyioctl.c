/*
 * Checks the errno order of terminal ioctls, as Linux's: on a file that is
 * not a terminal (a pipe, a regular file, a Unix socket, /dev/null) every
 * terminal request is ENOTTY whatever its pointer, because the request is
 * not the file's before any copy is tried; on a terminal (both ends of a
 * pty pair from /dev/ptmx, and the console when stdin is one) a bad pointer
 * is EFAULT. FIONREAD: a regular file's size less the position (negative
 * past the end), a pipe's and a socket's queued bytes, a terminal's input
 * queue, ENOTTY on /dev/null.
 */
#include "check.h"

#include <fcntl.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <termios.h>

struct request {
	const char *name;
	unsigned long cmd;
	int socket_has_it; /* TIOCOUTQ and FIONREAD are SIOCOUTQ and SIOCINQ */
};

static const struct request tty_requests[] = {
	{ "TCGETS", TCGETS, 0 },
	{ "TCSETS", TCSETS, 0 },
	{ "TCSETSW", TCSETSW, 0 },
	{ "TCSETSF", TCSETSF, 0 },
	{ "TCGETA", TCGETA, 0 },
	{ "TCSETA", TCSETA, 0 },
	{ "TIOCGWINSZ", TIOCGWINSZ, 0 },
	{ "TIOCSWINSZ", TIOCSWINSZ, 0 },
	{ "TIOCGPGRP", TIOCGPGRP, 0 },
	{ "TIOCSPGRP", TIOCSPGRP, 0 },
	{ "TIOCGSID", TIOCGSID, 0 },
	{ "TIOCSCTTY", TIOCSCTTY, 0 },
	{ "TIOCNOTTY", TIOCNOTTY, 0 },
	{ "TIOCOUTQ", TIOCOUTQ, 1 },
	{ "TIOCSTI", TIOCSTI, 0 },
	{ "TIOCGPTN", TIOCGPTN, 0 },
	{ "TIOCSPTLCK", TIOCSPTLCK, 0 },
	{ "TIOCEXCL", TIOCEXCL, 0 },
	{ "TIOCNXCL", TIOCNXCL, 0 },
	{ "TIOCGEXCL", TIOCGEXCL, 0 },
	{ "TIOCMGET", TIOCMGET, 0 },
	{ "TIOCGETD", TIOCGETD, 0 },
	{ "TIOCSETD", TIOCSETD, 0 },
	{ "TCFLSH", TCFLSH, 0 },
	{ "TCXONC", TCXONC, 0 },
	{ "TCSBRK", TCSBRK, 0 },
	{ "TIOCGLCKTRMIOS", TIOCGLCKTRMIOS, 0 },
	{ "TIOCGSERIAL", TIOCGSERIAL, 0 },
	{ "TIOCPKT", TIOCPKT, 0 },
};

/* Checks that every terminal request on FD (a KIND) is ENOTTY with a null
 * pointer, a wild one and a good one. */
static void sweep_not_tty(int fd, const char *kind, int is_socket)
{
	char name[128];
	union {
		struct termios t;
		struct winsize w;
		int i;
		char pad[256];
	} good;
	void *ptrs[] = { NULL, (void *)1, (void *)0xffff800000000000ul, &good };
	int failed = 0;
	for (size_t r = 0; r < sizeof tty_requests / sizeof *tty_requests; r++) {
		if (is_socket && tty_requests[r].socket_has_it)
			continue;
		for (size_t p = 0; p < sizeof ptrs / sizeof *ptrs; p++) {
			memset(&good, 0, sizeof good);
			errno = 0;
			int rc = ioctl(fd, tty_requests[r].cmd, ptrs[p]);
			if (rc != -1 || errno != ENOTTY) {
				snprintf(name, sizeof name, "%s on %s", tty_requests[r].name, kind);
				check_fail(name, errno, "pointer %p: returned %d", ptrs[p], rc);
				failed = 1;
			}
		}
	}
	snprintf(name, sizeof name, "every terminal request on %s is ENOTTY, any pointer", kind);
	CHECK(name, !failed);
}

/* Checks that the pointer-taking terminal requests on the terminal FD (a
 * KIND) give EFAULT for a bad pointer and work with a good one. */
static void sweep_tty_efault(int fd, const char *kind, int is_master, int is_ours)
{
	char name[128];
	static const struct request reads[] = {
		{ "TCGETS", TCGETS, 0 },
		{ "TCSETS", TCSETS, 0 },
		{ "TCSETSW", TCSETSW, 0 },
		{ "TCSETSF", TCSETSF, 0 },
		{ "TCGETA", TCGETA, 0 },
		{ "TIOCGWINSZ", TIOCGWINSZ, 0 },
		{ "TIOCSWINSZ", TIOCSWINSZ, 0 },
		{ "TIOCOUTQ", TIOCOUTQ, 0 },
		{ "FIONREAD", FIONREAD, 0 },
		{ "TIOCGETD", TIOCGETD, 0 },
	};
	void *bad[] = { NULL, (void *)1, (void *)0xffff800000000000ul };
	for (size_t r = 0; r < sizeof reads / sizeof *reads; r++)
		for (size_t p = 0; p < sizeof bad / sizeof *bad; p++) {
			snprintf(name, sizeof name, "%s %p on %s is EFAULT", reads[r].name, bad[p], kind);
			CHECK_ERRNO(name, ioctl(fd, reads[r].cmd, bad[p]), EFAULT);
		}
	if (!is_master) {
		snprintf(name, sizeof name, "TIOCSTI NULL on %s is EFAULT", kind);
		CHECK_ERRNO(name, ioctl(fd, TIOCSTI, NULL), EFAULT);
	} else {
		snprintf(name, sizeof name, "TIOCGPTN NULL on %s is EFAULT", kind);
		CHECK_ERRNO(name, ioctl(fd, TIOCGPTN, NULL), EFAULT);
		snprintf(name, sizeof name, "TIOCSPTLCK NULL on %s is EFAULT", kind);
		CHECK_ERRNO(name, ioctl(fd, TIOCSPTLCK, NULL), EFAULT);
	}
	struct termios t;
	struct winsize w;
	int n = -1;
	snprintf(name, sizeof name, "TCGETS on %s", kind);
	CHECK_SYS(name, ioctl(fd, TCGETS, &t));
	snprintf(name, sizeof name, "TIOCGWINSZ on %s", kind);
	CHECK_SYS(name, ioctl(fd, TIOCGWINSZ, &w));
	snprintf(name, sizeof name, "TIOCOUTQ on %s", kind);
	CHECK(name, ioctl(fd, TIOCOUTQ, &n) == 0 && n >= 0);
	if (!is_ours) {
		snprintf(name, sizeof name, "TIOCGSID on %s (not our terminal) is ENOTTY", kind);
		CHECK_ERRNO(name, ioctl(fd, TIOCGSID, &n), ENOTTY);
	}
}

static void fionread_file(void)
{
	char path[] = "/tmp/ttyioctl-XXXXXX";
	int fd = MUST(mkstemp(path));
	unlink(path);
	MUST(write(fd, "0123456789", 10));
	int n = -1;
	MUST(lseek(fd, 3, SEEK_SET));
	CHECKF("FIONREAD on a regular file: size less position", ioctl(fd, FIONREAD, &n) == 0 && n == 7, "%d", n);
	MUST(lseek(fd, 25, SEEK_SET));
	CHECKF("FIONREAD past the end is negative", ioctl(fd, FIONREAD, &n) == 0 && n == -15, "%d", n);
	CHECK_ERRNO("FIONREAD NULL on a regular file is EFAULT", ioctl(fd, FIONREAD, NULL), EFAULT);
	sweep_not_tty(fd, "a regular file", 0);
	close(fd);
}

static void fionread_pipe(void)
{
	int p[2];
	MUST(pipe(p));
	int n = -1;
	CHECK("FIONREAD on an empty pipe is 0", ioctl(p[0], FIONREAD, &n) == 0 && n == 0);
	MUST(write(p[1], "abcde", 5));
	CHECK("FIONREAD on a pipe counts its bytes", ioctl(p[0], FIONREAD, &n) == 0 && n == 5);
	CHECK("FIONREAD on the write end too", ioctl(p[1], FIONREAD, &n) == 0 && n == 5);
	CHECK_ERRNO("FIONREAD NULL on a pipe is EFAULT", ioctl(p[0], FIONREAD, NULL), EFAULT);
	sweep_not_tty(p[0], "a pipe's read end", 0);
	sweep_not_tty(p[1], "a pipe's write end", 0);
	close(p[0]);
	close(p[1]);
}

static void fionread_socket(void)
{
	int s[2];
	MUST(socketpair(AF_UNIX, SOCK_STREAM, 0, s));
	MUST(write(s[1], "abc", 3));
	int n = -1;
	CHECK("FIONREAD on a socket counts its bytes", ioctl(s[0], FIONREAD, &n) == 0 && n == 3);
	CHECK("TIOCOUTQ on a socket is SIOCOUTQ", ioctl(s[1], TIOCOUTQ, &n) == 0 && n >= 0);
	CHECK_ERRNO("FIONREAD NULL on a socket is EFAULT", ioctl(s[0], FIONREAD, NULL), EFAULT);
	sweep_not_tty(s[0], "a Unix socket", 1);
	close(s[0]);
	close(s[1]);
}

static void dev_null(void)
{
	int fd = MUST(open("/dev/null", O_RDWR));
	int n;
	CHECK_ERRNO("FIONREAD on /dev/null is ENOTTY", ioctl(fd, FIONREAD, &n), ENOTTY);
	sweep_not_tty(fd, "/dev/null", 0);
	close(fd);
}

static void pty_pair(void)
{
	int master = MUST(open("/dev/ptmx", O_RDWR | O_NOCTTY));
	MUST(grantpt(master));
	MUST(unlockpt(master));
	int slave = MUST(open(ptsname(master), O_RDWR | O_NOCTTY));
	sweep_tty_efault(master, "a pty master", 1, 0);
	sweep_tty_efault(slave, "a pty slave", 0, 0);
	CHECK_ERRNO("TIOCGPTN on a pty slave is ENOTTY", ioctl(slave, TIOCGPTN, &(int){ 0 }), ENOTTY);
	int n = -1;
	CHECK("FIONREAD on an idle slave is 0", ioctl(slave, FIONREAD, &n) == 0 && n == 0);
	MUST(write(master, "hi\n", 3));
	for (int i = 0; i < 100 && n != 3; i++) {
		ioctl(slave, FIONREAD, &n);
		if (n != 3)
			sleep_ms(10);
	}
	CHECKF("FIONREAD on a slave counts a typed line", n == 3, "%d", n);
	close(slave);
	close(master);
}

int main(void)
{
	fionread_file();
	fionread_pipe();
	fionread_socket();
	dev_null();
	pty_pair();
	if (isatty(0)) {
		int ours = ioctl(0, TIOCGSID, &(int){ 0 }) == 0;
		sweep_tty_efault(0, "the console", 0, ours);
	}
	return check_done();
}

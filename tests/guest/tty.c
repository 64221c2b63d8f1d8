/*
 * Checks the console as a terminal, run as init with the console on a host
 * pty that tests/tty-drive.py types into: Linux's default termios, the window
 * size and SIGWINCH, canonical line editing with echo, raw reads, taking the
 * console as controlling terminal, SIGTTIN for a background reader, and ^C
 * sending SIGINT to the foreground process group, and vhangup: files open on
 * the terminal before it hung up read end of file and fail with EIO, while
 * new opens work (files opened as /dev/console are not hung up). Lines starting "READY" tell the driver what to type next.
 */
#include "check.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>

static volatile sig_atomic_t winched;

static void on_winch(int sig)
{
	(void)sig;
	winched = 1;
}

static ssize_t read_line(char *buf, size_t len)
{
	ssize_t n = read(0, buf, len - 1);
	if (n >= 0)
		buf[n] = 0;
	return n;
}

/*
 * In a new session that steals the terminal at `name`: a child blocks reading
 * it, the leader hangs it up. Returns a bit mask of what the child saw (bit 0
 * end of file, 1 write EIO, 2 TCGETS EIO, 3 POLLHUP, 4 TIOCSPGRP ENOTTY) and
 * what the leader saw (bit 5 no controlling terminal left, 6 a new open
 * works), or a negative step that failed.
 */
static int hangup_session(const char *name)
{
	int pfd[2];
	if (pipe(pfd) < 0)
		return -1;
	pid_t leader = fork();
	if (leader < 0)
		return -2;
	if (leader == 0) {
		setsid();
		signal(SIGHUP, SIG_IGN);
		int ctty = open(name, O_RDWR);
		if (ctty < 0 || ioctl(ctty, TIOCSCTTY, 1) < 0)
			_exit(3);
		/* Files opened as /dev/console outlive hangups: use /dev/tty. */
		int fd = open("/dev/tty", O_RDWR);
		if (fd < 0)
			_exit(6);
		pid_t reader = fork();
		if (reader == 0) {
			char c;
			int seen = read(fd, &c, 1) == 0;
			seen |= (write(fd, "x", 1) < 0 && errno == EIO) << 1;
			struct termios tt;
			seen |= (tcgetattr(fd, &tt) < 0 && errno == EIO) << 2;
			struct pollfd p = { .fd = fd, .events = POLLIN };
			seen |= (poll(&p, 1, 0) == 1 && (p.revents & POLLHUP)) << 3;
			pid_t pg = getpgrp();
			seen |= (ioctl(fd, TIOCSPGRP, &pg) < 0 && errno == ENOTTY) << 4;
			write(pfd[1], &seen, sizeof seen);
			_exit(0);
		}
		struct timespec ts = { 0, 200 * 1000000 };
		nanosleep(&ts, NULL);
		if (vhangup() < 0)
			_exit(4);
		int seen = 0;
		if (waitpid(reader, NULL, 0) != reader || read(pfd[0], &seen, sizeof seen) != sizeof seen)
			_exit(5);
		seen |= (open("/dev/tty", O_RDWR) < 0 && errno == ENXIO) << 5;
		struct termios tt;
		int fresh = open(name, O_RDWR | O_NOCTTY);
		seen |= (fresh >= 0 && tcgetattr(fresh, &tt) == 0) << 6;
		write(pfd[1], &seen, sizeof seen);
		_exit(0);
	}
	int status, seen = 0;
	if (waitpid(leader, &status, 0) != leader || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return -10 - (WIFEXITED(status) ? WEXITSTATUS(status) : 0);
	if (read(pfd[0], &seen, sizeof seen) != sizeof seen)
		return -20;
	close(pfd[0]);
	close(pfd[1]);
	return seen;
}

int main(void)
{
	struct termios t;
	CHECK("the console is a terminal", isatty(0) && isatty(1));
	CHECK_SYS("TCGETS", tcgetattr(0, &t));
	CHECK("default termios: ICANON ECHO ISIG ICRNL ONLCR",
	      (t.c_lflag & (ICANON | ECHO | ISIG)) == (ICANON | ECHO | ISIG) && (t.c_iflag & ICRNL) &&
	      (t.c_oflag & (OPOST | ONLCR)) == (OPOST | ONLCR) && t.c_cc[VINTR] == 3 && t.c_cc[VERASE] == 0x7f);
	struct winsize ws;
	CHECK("the window size is the host pty's", ioctl(0, TIOCGWINSZ, &ws) == 0 && ws.ws_row == 33 && ws.ws_col == 111);

	char buf[128];
	check_printf("READY-LINE\n");
	ssize_t n = read_line(buf, sizeof buf);
	CHECKF("canonical read with erase", n == 4 && strcmp(buf, "abd\n") == 0, "read %zd [%s]", n, buf);

	struct termios raw = t;
	raw.c_lflag &= ~(ICANON | ECHO);
	raw.c_cc[VMIN] = 1;
	raw.c_cc[VTIME] = 0;
	CHECK_SYS("TCSETS raw", tcsetattr(0, TCSANOW, &raw));
	check_printf("READY-RAW\n");
	n = read(0, buf, sizeof buf);
	CHECKF("raw read returns the key at once", n == 1 && buf[0] == 'x', "read %zd", n);
	CHECK_SYS("TCSETS back", tcsetattr(0, TCSAFLUSH, &t));

	/* Job control needs a controlling terminal: init leads session 1. */
	CHECK_SYS("TIOCSCTTY", ioctl(0, TIOCSCTTY, 0));
	CHECK("tcgetpgrp is ours", tcgetpgrp(0) == getpgrp());
	CHECK("tcgetsid", tcgetsid(0) == getsid(0));
	signal(SIGTTOU, SIG_IGN);

	pid_t bg = MUST(fork());
	if (bg == 0) {
		setpgid(0, 0);
		read(0, buf, 1);
		_exit(0);
	}
	setpgid(bg, bg);
	int status;
	CHECKF("a background reader stops with SIGTTIN", waitpid(bg, &status, WUNTRACED) == bg && WIFSTOPPED(status) &&
	       WSTOPSIG(status) == SIGTTIN, "status %#x", status);
	kill(bg, SIGKILL);
	waitpid(bg, &status, 0);

	pid_t fg = MUST(fork());
	if (fg == 0) {
		setpgid(0, 0);
		for (;;)
			pause();
	}
	setpgid(fg, fg);
	CHECK_SYS("tcsetpgrp to the child", tcsetpgrp(0, fg));
	check_printf("READY-INTR\n");
	CHECKF("^C kills the foreground group with SIGINT", waitpid(fg, &status, 0) == fg && WIFSIGNALED(status) &&
	       WTERMSIG(status) == SIGINT, "status %#x", status);
	CHECK_SYS("tcsetpgrp back", tcsetpgrp(0, getpgrp()));

	signal(SIGWINCH, on_winch);
	check_printf("READY-WINCH\n");
	for (int i = 0; i < 500 && !winched; i++) {
		struct timespec ts = { 0, 10 * 1000000 };
		nanosleep(&ts, NULL);
	}
	CHECK("SIGWINCH when the host window changes", winched);
	CHECK("the new window size", ioctl(0, TIOCGWINSZ, &ws) == 0 && ws.ws_row == 40 && ws.ws_col == 100);

	char name[64];
	CHECK("ttyname", ttyname_r(0, name, sizeof name) == 0);
	int seen = hangup_session(name);
	/* Our own files on the terminal died with it: open it again. */
	int fd = open(name, O_RDWR);
	if (fd >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
		ioctl(0, TIOCSCTTY, 1);
	}
	CHECKF("vhangup: a blocked read returns 0; write and TCGETS give EIO, poll POLLHUP, TIOCSPGRP ENOTTY",
	       seen >= 0 && (seen & 0x1f) == 0x1f, "seen %#x", seen);
	CHECKF("vhangup: the session has no controlling terminal; a new open works",
	       seen >= 0 && (seen & 0x60) == 0x60, "seen %#x", seen);
	CHECK("the reopened terminal is ours again", tcgetpgrp(0) == getpgrp());
	return check_done();
}

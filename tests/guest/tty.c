/*
 * Checks the console as a terminal, run as init with the console on a host
 * pty that tests/tty-drive.py types into: Linux's default termios, the window
 * size and SIGWINCH, canonical line editing with echo, raw reads, taking the
 * console as controlling terminal, SIGTTIN for a background reader, and ^C
 * sending SIGINT to the foreground process group. Lines starting "READY" tell
 * the driver what to type next.
 */
#include "check.h"

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
	return check_done();
}

/*
 * Checks terminal job control on every call that reads or writes a terminal,
 * as Linux applies it in the terminal's own read, write and ioctl (n_tty_read's
 * job_control, n_tty_write's and tty_ioctl's tty_check_change) whatever system
 * call got there. In a new session whose controlling terminal is a pty slave,
 * with TOSTOP set, a process of a background group is stopped by SIGTTOU when
 * it writes with write, writev, sendfile or splice, and by SIGTTIN when it
 * reads with read, readv, sendfile or splice (a regression test: sendfile and
 * splice once went past the check, and a sendfile from the file position
 * that is stopped goes on where it was); pwrite and pread are ESPIPE and
 * copy_file_range EINVAL with no signal; tcsetattr and tcsetpgrp are stopped
 * by SIGTTOU even without TOSTOP; a writer that ignores SIGTTOU, or any writer
 * without TOSTOP, writes; a foreground process is never stopped.
 */
#include "check.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <termios.h>

/* The session's terminal (its pty slave), a file and a pipe to move data with. */
static int tty, memfd, pipe_r, pipe_w;

enum op {
	OP_WRITE,
	OP_WRITEV,
	OP_SENDFILE_OUT,
	OP_SPLICE_OUT,
	OP_PWRITE,
	OP_COPY_OUT,
	OP_READ,
	OP_READV,
	OP_SENDFILE_IN,
	OP_SPLICE_IN,
	OP_PREAD,
	OP_COPY_IN,
	OP_TCSETATTR,
	OP_TCSETPGRP,
};

/* Runs `op` on the terminal; returns 0 or the errno of its failure. */
static int run(enum op op)
{
	char c = 'x';
	struct iovec iov = { &c, 1 };
	struct termios t;
	long r = 0;
	switch (op) {
	case OP_WRITE:
		r = write(tty, "x", 1);
		break;
	case OP_WRITEV:
		r = writev(tty, &iov, 1);
		break;
	case OP_SENDFILE_OUT: {
		off_t off = 0;
		r = sendfile(tty, memfd, &off, 1);
		break;
	}
	case OP_SPLICE_OUT:
		if (write(pipe_w, "x", 1) != 1)
			return 255;
		r = splice(pipe_r, NULL, tty, NULL, 1, 0);
		break;
	case OP_PWRITE:
		r = pwrite(tty, "x", 1, 0);
		break;
	case OP_COPY_OUT: {
		off_t off = 0;
		r = copy_file_range(memfd, &off, tty, NULL, 1, 0);
		break;
	}
	case OP_READ:
		r = read(tty, &c, 1);
		break;
	case OP_READV:
		r = readv(tty, &iov, 1);
		break;
	case OP_SENDFILE_IN:
		r = sendfile(pipe_w, tty, NULL, 1);
		break;
	case OP_SPLICE_IN:
		r = splice(tty, NULL, pipe_w, NULL, 1, 0);
		break;
	case OP_PREAD:
		r = pread(tty, &c, 1, 0);
		break;
	case OP_COPY_IN: {
		off_t off = 0;
		r = copy_file_range(tty, NULL, memfd, &off, 1, 0);
		break;
	}
	case OP_TCSETATTR:
		tcgetattr(tty, &t);
		r = tcsetattr(tty, TCSANOW, &t);
		break;
	case OP_TCSETPGRP:
		r = tcsetpgrp(tty, getpgrp());
		break;
	}
	return r < 0 ? errno : 0;
}

/*
 * Runs `op` in a child of a new (background) process group, with SIGTTOU
 * ignored if `ignore`; returns its wait status. A child that would wait for
 * input that never comes dies of SIGALRM instead.
 */
static int in_background(enum op op, int ignore)
{
	pid_t pid = MUST(fork());
	if (pid == 0) {
		setpgid(0, 0);
		if (ignore)
			signal(SIGTTOU, SIG_IGN);
		alarm(5);
		_exit(run(op));
	}
	setpgid(pid, pid);
	int status;
	if (waitpid(pid, &status, WUNTRACED) != pid)
		check_fail("waitpid", errno, "waitpid for the background child");
	if (WIFSTOPPED(status)) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	return status;
}

/* Checks that `op` in the background stops the child with `sig`. */
static void stops(const char *name, enum op op, int sig)
{
	int status = in_background(op, 0);
	CHECKF(name, WIFSTOPPED(status) && WSTOPSIG(status) == sig, "wait status %#x", status);
}

/* Checks that `op` in the background ends with `err` (0: success), unstopped. */
static void ends(const char *name, enum op op, int ignore, int err)
{
	int status = in_background(op, ignore);
	CHECKF(name, WIFEXITED(status) && WEXITSTATUS(status) == err, "wait status %#x, wanted exit %d", status,
	       err);
}

/* Sets or clears TOSTOP on the terminal. */
static void set_tostop(int on)
{
	struct termios t;
	MUST(tcgetattr(tty, &t));
	if (on)
		t.c_lflag |= TOSTOP;
	else
		t.c_lflag &= ~(tcflag_t)TOSTOP;
	MUST(tcsetattr(tty, TCSANOW, &t));
}

/*
 * Checks that a sendfile from the file's position, stopped by SIGTTOU, goes on
 * from the same position once its group is in the foreground and continues:
 * the byte it had read is sent, and counted once.
 */
static void stopped_sendfile_resumes(void)
{
	MUST(lseek(memfd, 0, SEEK_SET));
	pid_t pid = MUST(fork());
	if (pid == 0) {
		setpgid(0, 0);
		alarm(5);
		ssize_t n = sendfile(tty, memfd, NULL, 1);
		_exit(n == 1 ? 0 : n == 0 ? 1 : 2);
	}
	setpgid(pid, pid);
	int status;
	MUST(waitpid(pid, &status, WUNTRACED));
	CHECKF("background sendfile from the position: SIGTTOU", WIFSTOPPED(status) && WSTOPSIG(status) == SIGTTOU,
	       "wait status %#x", status);
	signal(SIGTTOU, SIG_IGN);
	MUST(tcsetpgrp(tty, pid));
	MUST(kill(pid, SIGCONT));
	MUST(waitpid(pid, &status, 0));
	MUST(tcsetpgrp(tty, getpgrp()));
	signal(SIGTTOU, SIG_DFL);
	CHECKF("continued in the foreground, it sends the byte", WIFEXITED(status) && WEXITSTATUS(status) == 0,
	       "wait status %#x", status);
	CHECK("the file position counts it once", lseek(memfd, 0, SEEK_CUR) == 1);
}

/* The session leader: takes the slave `name` as its terminal and checks. */
static int session(const char *name)
{
	MUST(setsid());
	tty = MUST(open(name, O_RDWR));
	CHECK("the slave is the controlling terminal", tcgetpgrp(tty) == getpgrp());
	memfd = MUST(memfd_create("jobctl", 0));
	MUST(write(memfd, "x", 1));
	int p[2];
	MUST(pipe(p));
	pipe_r = p[0];
	pipe_w = p[1];

	set_tostop(1);
	stops("background write: SIGTTOU", OP_WRITE, SIGTTOU);
	stops("background writev: SIGTTOU", OP_WRITEV, SIGTTOU);
	stops("background sendfile to the terminal: SIGTTOU", OP_SENDFILE_OUT, SIGTTOU);
	stops("background splice to the terminal: SIGTTOU", OP_SPLICE_OUT, SIGTTOU);
	ends("background pwrite: ESPIPE", OP_PWRITE, 0, ESPIPE);
	ends("background copy_file_range to the terminal: EINVAL", OP_COPY_OUT, 0, EINVAL);
	ends("a background write ignoring SIGTTOU goes", OP_WRITE, 1, 0);
	ends("a background sendfile ignoring SIGTTOU goes", OP_SENDFILE_OUT, 1, 0);
	ends("a background splice ignoring SIGTTOU goes", OP_SPLICE_OUT, 1, 0);

	stopped_sendfile_resumes();

	stops("background read: SIGTTIN", OP_READ, SIGTTIN);
	stops("background readv: SIGTTIN", OP_READV, SIGTTIN);
	stops("background sendfile from the terminal: SIGTTIN", OP_SENDFILE_IN, SIGTTIN);
	stops("background splice from the terminal: SIGTTIN", OP_SPLICE_IN, SIGTTIN);
	ends("background pread: ESPIPE", OP_PREAD, 0, ESPIPE);
	ends("background copy_file_range from the terminal: EINVAL", OP_COPY_IN, 0, EINVAL);

	set_tostop(0);
	ends("a background write without TOSTOP goes", OP_WRITE, 0, 0);
	ends("a background sendfile without TOSTOP goes", OP_SENDFILE_OUT, 0, 0);
	ends("a background splice without TOSTOP goes", OP_SPLICE_OUT, 0, 0);
	stops("background tcsetattr: SIGTTOU", OP_TCSETATTR, SIGTTOU);
	stops("background tcsetpgrp: SIGTTOU", OP_TCSETPGRP, SIGTTOU);

	set_tostop(1);
	CHECK("a foreground write goes", run(OP_WRITE) == 0);
	CHECK("a foreground sendfile goes", run(OP_SENDFILE_OUT) == 0);
	CHECK("a foreground splice goes", run(OP_SPLICE_OUT) == 0);
	return check_done();
}

int main(void)
{
	int master = MUST(posix_openpt(O_RDWR | O_NOCTTY));
	MUST(grantpt(master));
	MUST(unlockpt(master));
	char name[64];
	MUST(ptsname_r(master, name, sizeof name));
	pid_t pid = MUST(fork());
	if (pid == 0)
		_exit(session(name));
	int status;
	MUST(waitpid(pid, &status, 0));
	close(master);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		check_printf("FAIL session: wait status %#x\n", status);
		return 1;
	}
	return 0;
}

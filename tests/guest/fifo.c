/*
 * Checks FIFOs (fifo(7)) in each directory given (default /tmp): every opener
 * of the inode shares one pipe; O_RDONLY waits for a writer and O_WRONLY for
 * a reader (interruptibly, restarted with SA_RESTART), O_RDONLY|O_NONBLOCK
 * opens at once, O_WRONLY|O_NONBLOCK without a reader is ENXIO, O_RDWR never
 * waits; end of file and POLLHUP once the writers are gone (not before a
 * writer came); the data goes with the last close; a hard link leads to the
 * same pipe.
 */
#include "check.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>

static char path[256];

static void on_alarm(int sig)
{
	(void)sig;
}

/* Arms a one-shot SIGALRM after MS milliseconds, its handler restarting
 * system calls or not. */
static void alarm_ms(long ms, int restart)
{
	struct sigaction sa = { .sa_handler = on_alarm, .sa_flags = restart ? SA_RESTART : 0 };
	sigemptyset(&sa.sa_mask);
	MUST(sigaction(SIGALRM, &sa, NULL));
	struct itimerval it = { .it_value = { ms / 1000, (ms % 1000) * 1000 } };
	MUST(setitimer(ITIMER_REAL, &it, NULL));
}

/* Forks a child that sleeps MS milliseconds, opens the FIFO with FLAGS and
 * writes MSG (if any and opened for writing), then exits. */
static pid_t later(long ms, int flags, const char *msg)
{
	pid_t pid = MUST(fork());
	if (pid == 0) {
		sleep_ms(ms);
		int fd = open(path, flags);
		if (fd < 0)
			_exit(1);
		if (msg && write(fd, msg, strlen(msg)) != (ssize_t)strlen(msg))
			_exit(2);
		sleep_ms(50);
		_exit(0);
	}
	return pid;
}

static int child_status(pid_t pid)
{
	int status;
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void fifo_checks(const char *dir)
{
	char name[300];
	snprintf(path, sizeof path, "%s/fifo-test", dir);
	unlink(path);
	snprintf(name, sizeof name, "%s: mkfifo", dir);
	CHECK_SYS(name, mkfifo(path, 0600));
	struct stat st;
	CHECK("the FIFO stats as one", stat(path, &st) == 0 && S_ISFIFO(st.st_mode));

	/* Non-blocking opens. */
	CHECK_ERRNO("O_WRONLY|O_NONBLOCK without a reader", open(path, O_WRONLY | O_NONBLOCK), ENXIO);
	int r = open(path, O_RDONLY | O_NONBLOCK);
	snprintf(name, sizeof name, "%s: O_RDONLY|O_NONBLOCK opens at once", dir);
	CHECK(name, r >= 0);
	char buf[64];
	CHECK("a read without writers is end of file", read(r, buf, sizeof buf) == 0);
	struct pollfd pfd = { .fd = r, .events = POLLIN };
	CHECK("no POLLHUP before a writer came", poll(&pfd, 1, 0) == 0);
	int w = open(path, O_WRONLY | O_NONBLOCK);
	CHECK("O_WRONLY|O_NONBLOCK with a reader opens", w >= 0);
	CHECK("the FIFO's descriptors share one pipe",
	      write(w, "abc", 3) == 3 && read(r, buf, sizeof buf) == 3 && memcmp(buf, "abc", 3) == 0);
	CHECK_ERRNO("an empty FIFO with a writer reads EAGAIN", read(r, buf, sizeof buf), EAGAIN);
	CHECK("fstat of a FIFO descriptor", fstat(w, &st) == 0 && S_ISFIFO(st.st_mode));
	CHECK("F_GETPIPE_SZ of a FIFO", fcntl(w, F_GETPIPE_SZ) == 65536);
	CHECK_ERRNO("lseek on a FIFO", lseek(r, 0, SEEK_SET), ESPIPE);
	MUST(close(w));
	pfd.revents = 0;
	CHECK("POLLHUP once the writer is gone", poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLHUP));
	CHECK("end of file once the writer is gone", read(r, buf, sizeof buf) == 0);
	MUST(close(r));

	/* O_RDWR: both ends at once; the data goes with the last close. */
	int rw = open(path, O_RDWR);
	CHECK("O_RDWR opens at once", rw >= 0);
	CHECK("an O_RDWR descriptor reads what it wrote",
	      write(rw, "self", 4) == 4 && read(rw, buf, 4) == 4 && memcmp(buf, "self", 4) == 0);
	MUST(write(rw, "lost", 4));
	MUST(close(rw));
	rw = MUST(open(path, O_RDWR | O_NONBLOCK));
	CHECK_ERRNO("the data went with the last close", read(rw, buf, sizeof buf), EAGAIN);
	MUST(close(rw));

	/* Blocking opens wait for the partner. */
	pid_t pid = later(100, O_WRONLY, "hi");
	double t0 = now_ms();
	r = open(path, O_RDONLY);
	double waited = now_ms() - t0;
	snprintf(name, sizeof name, "%s: O_RDONLY waits for a writer", dir);
	CHECKF(name, r >= 0 && waited >= 50, "fd %d after %.0f ms", r, waited);
	CHECK("the reader gets the writer's data", read(r, buf, sizeof buf) == 2 && memcmp(buf, "hi", 2) == 0);
	CHECK("end of file after the writer exits", child_status(pid) == 0 && read(r, buf, sizeof buf) == 0);
	MUST(close(r));

	pid = later(100, O_RDONLY, NULL);
	t0 = now_ms();
	w = open(path, O_WRONLY);
	waited = now_ms() - t0;
	snprintf(name, sizeof name, "%s: O_WRONLY waits for a reader", dir);
	CHECKF(name, w >= 0 && waited >= 50, "fd %d after %.0f ms", w, waited);
	CHECK("the reader opened", child_status(pid) == 0);
	MUST(close(w));

	/* Signals: EINTR without SA_RESTART, a restart with it. */
	alarm_ms(50, 0);
	CHECK_ERRNO("a signal interrupts a waiting open", open(path, O_RDONLY), EINTR);
	pid = later(150, O_WRONLY, "restarted");
	alarm_ms(50, 1);
	r = open(path, O_RDONLY);
	CHECK("with SA_RESTART the open goes on until a writer comes",
	      r >= 0 && read(r, buf, sizeof buf) == 9 && memcmp(buf, "restarted", 9) == 0);
	CHECK("the writer was not disturbed", child_status(pid) == 0);
	MUST(close(r));

	/* Two writers, one reader. */
	r = MUST(open(path, O_RDONLY | O_NONBLOCK));
	pid_t a = later(0, O_WRONLY, "A");
	pid_t b = later(0, O_WRONLY, "B");
	int got = 0;
	char both[2] = { 0 };
	double until = now_ms() + 5000;
	while (got < 2 && now_ms() < until) {
		struct pollfd p = { .fd = r, .events = POLLIN };
		poll(&p, 1, 100);
		ssize_t n = read(r, both + got, 2 - got);
		if (n > 0)
			got += (int)n;
	}
	CHECK("two writers reach one reader",
	      got == 2 && ((both[0] == 'A' && both[1] == 'B') || (both[0] == 'B' && both[1] == 'A')));
	CHECK("both writers finished", child_status(a) == 0 && child_status(b) == 0);
	MUST(close(r));

	/* Another name of the inode leads to the same pipe. */
	char alias[300];
	snprintf(alias, sizeof alias, "%s.link", path);
	MUST(link(path, alias));
	r = MUST(open(path, O_RDONLY | O_NONBLOCK));
	w = MUST(open(alias, O_WRONLY | O_NONBLOCK));
	CHECK("a hard link of a FIFO opens the same pipe",
	      write(w, "L", 1) == 1 && read(r, buf, sizeof buf) == 1 && buf[0] == 'L');
	MUST(close(w));
	MUST(close(r));
	MUST(unlink(alias));
	MUST(unlink(path));
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fifo_checks("/tmp");
	} else {
		for (int i = 1; i < argc; i++)
			fifo_checks(argv[i]);
	}
	return check_done();
}

/*
 * Checks pseudo-terminals: posix_openpt, grantpt, unlockpt and ptsname give a
 * /dev/pts/N slave that devpts lists; bytes flow both ways through the slave's
 * line discipline (echo, ONLCR, canonical lines); TIOCGPTPEER; a shell in a
 * new session on the slave sees the window size the master set, and ^C
 * written to the master interrupts its foreground job; the master reads EIO
 * once every slave is closed.
 */
#include "check.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>

/* Reads from the master until `want` has been seen or 5 s pass. */
static int expect(int master, const char *want, char *seen, size_t len)
{
	size_t used = 0;
	seen[0] = 0;
	struct timespec start, now;
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		if (strstr(seen, want))
			return 1;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - start.tv_sec > 5 || used + 1 >= len)
			return 0;
		ssize_t n = read(master, seen + used, len - used - 1);
		if (n <= 0)
			return 0;
		used += (size_t)n;
		seen[used] = 0;
	}
}

int main(void)
{
	char buf[4096];
	int master = posix_openpt(O_RDWR | O_NOCTTY);
	CHECK_SYS("posix_openpt", master);
	CHECK_SYS("grantpt", grantpt(master));
	CHECK_SYS("unlockpt", unlockpt(master));
	const char *name = ptsname(master);
	CHECKF("ptsname is under /dev/pts", name && strncmp(name, "/dev/pts/", 9) == 0, "%s", name ? name : "(null)");
	struct stat st;
	CHECK("the slave is a character device 136:N", stat(name, &st) == 0 && S_ISCHR(st.st_mode) &&
	      major(st.st_rdev) == 136);
	DIR *d = opendir("/dev/pts");
	int listed = 0;
	for (struct dirent *e; d && (e = readdir(d));)
		if (strcmp(e->d_name, name + 9) == 0)
			listed = 1;
	if (d)
		closedir(d);
	CHECK("devpts lists it", listed);

	int slave = open(name, O_RDWR | O_NOCTTY);
	CHECK_SYS("open the slave", slave);
	CHECK("the slave is a terminal, the master is not one", isatty(slave));
	CHECK_SYS("master to slave", write(master, "hello\r", 6));
	ssize_t n = read(slave, buf, sizeof buf);
	CHECKF("the slave reads a canonical line", n == 6 && memcmp(buf, "hello\n", 6) == 0, "read %zd", n);
	CHECK("the master reads the echo", expect(master, "hello\r\n", buf, sizeof buf));
	CHECK_SYS("slave to master", write(slave, "out\n", 4));
	CHECK("output processing: NL becomes CR NL", expect(master, "out\r\n", buf, sizeof buf));
	int peer = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY);
	CHECK("TIOCGPTPEER opens the same slave", peer >= 0 && isatty(peer));
	struct stat pst, sst;
	/* CPython's os.openpty() takes this route (glibc's openpty). */
	CHECK("fstat of the TIOCGPTPEER slave is the slave's",
	      fstat(peer, &pst) == 0 && fstat(slave, &sst) == 0 && S_ISCHR(pst.st_mode) &&
		      pst.st_rdev == sst.st_rdev);
	char pname[64];
	CHECK("and ttyname names it", ttyname_r(peer, pname, sizeof pname) == 0 &&
					      strcmp(pname, name) == 0);
	close(peer);

	struct winsize ws = { .ws_row = 24, .ws_col = 80 };
	CHECK_SYS("TIOCSWINSZ on the master", ioctl(master, TIOCSWINSZ, &ws));
	pid_t pid = MUST(fork());
	if (pid == 0) {
		close(master);
		setsid();
		int s = open(name, O_RDWR); /* becomes the controlling terminal */
		dup2(s, 0);
		dup2(s, 1);
		dup2(s, 2);
		close(s);
		close(slave);
		execl("/bin/sh", "sh", "-c", "echo answer=$((6*7)); stty size; sleep 30; echo not-reached", (char *)NULL);
		_exit(127);
	}
	close(slave);
	CHECK("a shell runs on the slave", expect(master, "answer=42", buf, sizeof buf));
	CHECK("stty size sees the master's window size", expect(master, "24 80", buf, sizeof buf));
	struct timespec ts = { 0, 200 * 1000000 };
	nanosleep(&ts, NULL);
	CHECK_SYS("^C to the master", write(master, "\x03", 1));
	int status;
	CHECKF("^C interrupts the shell's foreground job", waitpid(pid, &status, 0) == pid && WIFSIGNALED(status) &&
	       WTERMSIG(status) == SIGINT, "status %#x", status);
	n = read(master, buf, sizeof buf);
	while (n > 0)
		n = read(master, buf, sizeof buf);
	int e = errno;
	CHECKF("the master reads EIO once no slave is open", n == -1 && e == EIO, "read %zd errno %d", n, e);
	close(master);
	return check_done();
}

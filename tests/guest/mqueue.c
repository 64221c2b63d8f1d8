/*
 * POSIX message queues (mq_overview(7)): mq_open's flags, attributes,
 * limits and errors, priority order and FIFO within a priority, EMSGSIZE,
 * EAGAIN with O_NONBLOCK, blocking with absolute timeouts (ETIMEDOUT) and
 * wake-ups across fork, mq_getsetattr, mq_notify (SIGEV_SIGNAL with
 * SI_MESGQ and the sender's pid, EBUSY, removal), RLIMIT_MSGQUEUE (EMFILE),
 * poll readiness, the status line a read gives, and the mqueue filesystem.
 *
 * The test moves into IPC and mount namespaces of its own first and mounts
 * its own mqueue instance, so it sees only its own queues, natively too.
 */
#include "check.h"

#include <fcntl.h>
#include <mqueue.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <dirent.h>

#define MNT "/tmp/mqueue-test"

static volatile sig_atomic_t got_signo, got_code, got_pid, got_value;

static void on_signal(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	got_signo = sig;
	got_code = si->si_code;
	got_pid = si->si_pid;
	got_value = si->si_value.sival_int;
}

static void on_usr2(int sig)
{
	(void)sig;
}

static int wait_status(pid_t pid)
{
	int st;
	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static struct timespec in_ms(long ms)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += (ms % 1000) * 1000000L;
	ts.tv_sec += ms / 1000 + ts.tv_nsec / 1000000000L;
	ts.tv_nsec %= 1000000000L;
	return ts;
}

static ssize_t read_all(const char *file, char *buf, size_t len)
{
	int fd = open(file, O_RDONLY);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, len - 1);
	close(fd);
	if (n >= 0)
		buf[n] = 0;
	return n;
}

static void check_open(void)
{
	struct mq_attr a = { .mq_maxmsg = 4, .mq_msgsize = 16 };
	CHECK_ERRNO("mq_open of a missing queue is ENOENT", mq_open("/t-none", O_RDONLY), ENOENT);
	mqd_t q = mq_open("/t-a", O_CREAT | O_EXCL | O_RDWR, 0600, &a);
	CHECK_SYS("mq_open O_CREAT|O_EXCL", q);
	CHECK_ERRNO("again with O_EXCL is EEXIST", mq_open("/t-a", O_CREAT | O_EXCL | O_RDWR, 0600, &a), EEXIST);
	mqd_t q2 = mq_open("/t-a", O_RDONLY);
	CHECK_SYS("opening it again", q2);
	CHECK("a queue descriptor is close-on-exec", fcntl(q2, F_GETFD) == FD_CLOEXEC);
	CHECK_ERRNO("O_ACCMODE 3 on an existing queue is EINVAL", mq_open("/t-a", O_RDWR | O_WRONLY), EINVAL);
	struct mq_attr bad = { .mq_maxmsg = 0, .mq_msgsize = 16 };
	CHECK_ERRNO("mq_maxmsg 0 is EINVAL", mq_open("/t-b", O_CREAT | O_RDWR, 0600, &bad), EINVAL);
	bad.mq_maxmsg = 4;
	bad.mq_msgsize = -1;
	CHECK_ERRNO("a negative mq_msgsize is EINVAL", mq_open("/t-b", O_CREAT | O_RDWR, 0600, &bad), EINVAL);
	bad.mq_msgsize = 16;
	bad.mq_maxmsg = 65537;
	CHECK_ERRNO("mq_maxmsg past HARD_MSGMAX is EINVAL", mq_open("/t-b", O_CREAT | O_RDWR, 0600, &bad), EINVAL);
	char longname[300] = "/";
	memset(longname + 1, 'x', 256);
	CHECK_ERRNO("a 256-byte name is ENAMETOOLONG", mq_open(longname, O_CREAT | O_RDWR, 0600, NULL), ENAMETOOLONG);
	CHECK_ERRNO("a name with a slash is EACCES", mq_open("/a/b", O_CREAT | O_RDWR, 0600, NULL), EACCES);
	mqd_t d = mq_open("/t-default", O_CREAT | O_RDWR, 0600, NULL);
	struct mq_attr got;
	CHECK("without attr the defaults are 10 and 8192",
	      d != -1 && mq_getattr(d, &got) == 0 && got.mq_maxmsg == 10 && got.mq_msgsize == 8192);
	mq_close(d);
	CHECK_SYS("mq_unlink", mq_unlink("/t-default"));
	CHECK_ERRNO("mq_unlink again is ENOENT", mq_unlink("/t-default"), ENOENT);
	mq_close(q2);
	mq_close(q);
}

static void check_send_receive(void)
{
	struct mq_attr a = { .mq_maxmsg = 4, .mq_msgsize = 16 };
	mqd_t q = mq_open("/t-a", O_RDWR | O_NONBLOCK);
	char buf[64];
	unsigned prio;
	CHECK_ERRNO("receiving from an empty queue with O_NONBLOCK is EAGAIN",
		    mq_receive(q, buf, sizeof buf, NULL), EAGAIN);
	CHECK_SYS("send prio 1", mq_send(q, "one", 3, 1));
	CHECK_SYS("send prio 5", mq_send(q, "five", 4, 5));
	CHECK_SYS("send prio 1 again", mq_send(q, "uno", 3, 1));
	CHECK_SYS("send prio 0", mq_send(q, "", 0, 0));
	CHECK_ERRNO("a full queue with O_NONBLOCK is EAGAIN", mq_send(q, "x", 1, 0), EAGAIN);
	CHECK_ERRNO("a message past mq_msgsize is EMSGSIZE", mq_send(q, buf, 17, 0), EMSGSIZE);
	CHECK_ERRNO("priority MQ_PRIO_MAX is EINVAL", mq_send(q, "x", 1, 32768), EINVAL);
	CHECK_ERRNO("a buffer below mq_msgsize is EMSGSIZE", mq_receive(q, buf, 15, NULL), EMSGSIZE);
	CHECK_SYS("fstat of a queue descriptor", ({ struct stat st; fstat(q, &st); }));
	char line[128];
	ssize_t n = pread(q, line, sizeof line - 1, 0);
	line[n > 0 ? n : 0] = 0;
	CHECKF("read gives the status line", n > 0 && strcmp(line, "QSIZE:10         NOTIFY:0     SIGNO:0     NOTIFY_PID:0     \n") == 0,
	       "%s", line);
	n = read_all(MNT "/t-a", line, sizeof line);
	CHECKF("the mqueue file reads the same", n > 0 && strncmp(line, "QSIZE:10 ", 9) == 0, "%s", line);
	struct pollfd p = { .fd = q, .events = POLLIN | POLLOUT };
	CHECK("a full queue polls POLLIN only", poll(&p, 1, 0) == 1 && p.revents == POLLIN);
	n = mq_receive(q, buf, sizeof buf, &prio);
	CHECK("the highest priority comes first", n == 4 && prio == 5 && memcmp(buf, "five", 4) == 0);
	n = mq_receive(q, buf, sizeof buf, &prio);
	CHECK("then FIFO within a priority", n == 3 && prio == 1 && memcmp(buf, "one", 3) == 0);
	n = mq_receive(q, buf, sizeof buf, &prio);
	CHECK("the second of priority 1", n == 3 && prio == 1 && memcmp(buf, "uno", 3) == 0);
	CHECK("with room it polls POLLIN|POLLOUT", poll(&p, 1, 0) == 1 && p.revents == (POLLIN | POLLOUT));
	n = mq_receive(q, buf, sizeof buf, &prio);
	CHECK("an empty message", n == 0 && prio == 0);
	CHECK("empty it polls POLLOUT", poll(&p, 1, 0) == 1 && p.revents == POLLOUT);

	struct mq_attr now, set = { .mq_flags = 0 };
	CHECK_SYS("mq_setattr clears O_NONBLOCK", mq_setattr(q, &set, &now));
	CHECK("the old attributes", now.mq_flags == O_NONBLOCK && now.mq_maxmsg == 4 && now.mq_msgsize == 16 &&
					    now.mq_curmsgs == 0);
	set.mq_flags = O_APPEND;
	CHECK_ERRNO("mq_setattr with another flag is EINVAL", mq_setattr(q, &set, NULL), EINVAL);
	struct timespec ts = in_ms(100);
	double t0 = now_ms();
	CHECK_ERRNO("a blocking receive times out", mq_timedreceive(q, buf, sizeof buf, NULL, &ts), ETIMEDOUT);
	CHECK("after the timeout", now_ms() - t0 >= 80);
	ts.tv_nsec = 1000000000L;
	CHECK_ERRNO("an invalid timeout is EINVAL", mq_timedreceive(q, buf, sizeof buf, NULL, &ts), EINVAL);
	CHECK_ERRNO("a bad descriptor is EBADF", mq_send(0, "x", 1, 0), EBADF);
	mqd_t ro = mq_open("/t-a", O_RDONLY);
	CHECK_ERRNO("sending on a read-only descriptor is EBADF", mq_send(ro, "x", 1, 0), EBADF);
	mq_close(ro);

	pid_t pid = fork();
	if (pid == 0) {
		sleep_ms(100);
		_exit(mq_send(q, "late", 4, 3) == 0 ? 0 : 1);
	}
	n = mq_receive(q, buf, sizeof buf, &prio);
	CHECK("a blocked receive wakes for a child's send", n == 4 && prio == 3);
	CHECK("the child sent on the inherited descriptor", wait_status(pid) == 0);
	for (int i = 0; i < 4; i++)
		mq_send(q, "f", 1, 0);
	pid = fork();
	if (pid == 0) {
		sleep_ms(100);
		char b[16];
		_exit(mq_receive(q, b, sizeof b, NULL) == 1 ? 0 : 1);
	}
	ts = in_ms(5000);
	CHECK_SYS("a blocked send wakes when a child receives", mq_timedsend(q, "g", 1, 0, &ts));
	CHECK("the child received", wait_status(pid) == 0);
	ts = in_ms(50);
	CHECK_ERRNO("a blocked send times out", mq_timedsend(q, "h", 1, 0, &ts), ETIMEDOUT);
	mq_receive(q, buf, sizeof buf, NULL);
	struct sigaction sa = { .sa_handler = on_usr2 };
	sigaction(SIGUSR2, &sa, NULL);
	pid = fork();
	if (pid == 0) {
		sleep_ms(100);
		kill(getppid(), SIGUSR2);
		_exit(0);
	}
	mqd_t r = mq_open("/t-empty", O_CREAT | O_RDWR, 0600, &a);
	CHECK_ERRNO("a blocked receive is EINTR after a handler", mq_receive(r, buf, sizeof buf, NULL), EINTR);
	wait_status(pid);
	mq_close(r);
	mq_unlink("/t-empty");
	mq_close(q);
}

static void check_notify(void)
{
	struct sigaction sa = { .sa_sigaction = on_signal, .sa_flags = SA_SIGINFO | SA_RESTART };
	sigaction(SIGUSR1, &sa, NULL);
	struct mq_attr a = { .mq_maxmsg = 2, .mq_msgsize = 8 };
	mqd_t q = mq_open("/t-n", O_CREAT | O_RDWR | O_NONBLOCK, 0600, &a);
	struct sigevent ev = { .sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGUSR1 };
	ev.sigev_value.sival_int = 42;
	CHECK_SYS("mq_notify SIGEV_SIGNAL", mq_notify(q, &ev));
	CHECK_ERRNO("registering twice is EBUSY", mq_notify(q, &ev), EBUSY);
	char line[128];
	ssize_t n = pread(q, line, sizeof line - 1, 0);
	line[n > 0 ? n : 0] = 0;
	char want[128];
	snprintf(want, sizeof want, "QSIZE:0          NOTIFY:0     SIGNO:%-5d NOTIFY_PID:%-6d\n", SIGUSR1, getpid());
	CHECKF("the status line shows the registration", strcmp(line, want) == 0, "%s", line);
	pid_t pid = fork();
	if (pid == 0) {
		int busy = mq_notify(q, &ev) == -1 && errno == EBUSY;
		_exit(busy && mq_send(q, "n", 1, 0) == 0 ? 0 : 1);
	}
	CHECK("a child sees EBUSY and sends", wait_status(pid) == 0);
	for (int i = 0; i < 100 && !got_signo; i++)
		sleep_ms(10);
	CHECK("the signal came", got_signo == SIGUSR1);
	CHECK("with SI_MESGQ", got_code == SI_MESGQ);
	CHECK("the sender's pid", got_pid == pid);
	CHECK("and the value", got_value == 42);
	got_signo = 0;
	char buf[8];
	mq_receive(q, buf, sizeof buf, NULL);
	mq_send(q, "m", 1, 0);
	sleep_ms(50);
	CHECK("the registration ended with the signal", got_signo == 0);
	mq_receive(q, buf, sizeof buf, NULL);
	ev.sigev_notify = SIGEV_NONE;
	CHECK_SYS("mq_notify SIGEV_NONE", mq_notify(q, &ev));
	n = pread(q, line, sizeof line - 1, 0);
	line[n > 0 ? n : 0] = 0;
	snprintf(want, sizeof want, "QSIZE:0          NOTIFY:1     SIGNO:0     NOTIFY_PID:%-6d\n", getpid());
	CHECKF("SIGEV_NONE shows NOTIFY:1", strcmp(line, want) == 0, "%s", line);
	CHECK_SYS("mq_notify NULL removes it", mq_notify(q, NULL));
	CHECK_SYS("so another can register", mq_notify(q, &ev));
	mq_notify(q, NULL);
	ev.sigev_notify = 99;
	CHECK_ERRNO("an unknown sigev_notify is EINVAL", mq_notify(q, &ev), EINVAL);
	mq_close(q);
	mq_unlink("/t-n");
}

static void check_limits(void)
{
	struct rlimit rl = { 3 * 8 * 1024 + 1000, 3 * 8 * 1024 + 1000 };
	pid_t pid = fork();
	if (pid == 0) {
		/* Each queue of 1 message of 8192 bytes charges 8192 + 96. */
		struct mq_attr a = { .mq_maxmsg = 1, .mq_msgsize = 8192 };
		setrlimit(RLIMIT_MSGQUEUE, &rl);
		if (mq_open("/t-r1", O_CREAT | O_RDWR, 0600, &a) < 0 || mq_open("/t-r2", O_CREAT | O_RDWR, 0600, &a) < 0 ||
		    mq_open("/t-r3", O_CREAT | O_RDWR, 0600, &a) < 0)
			_exit(2);
		_exit(mq_open("/t-r4", O_CREAT | O_RDWR, 0600, &a) == -1 && errno == EMFILE ? 0 : 1);
	}
	CHECK("RLIMIT_MSGQUEUE: the fourth queue is EMFILE", wait_status(pid) == 0);
	mq_unlink("/t-r1");
	mq_unlink("/t-r2");
	mq_unlink("/t-r3");
	char buf[64];
	CHECK("msg_max is 10", read_all("/proc/sys/fs/mqueue/msg_max", buf, sizeof buf) > 0 && atoi(buf) == 10);
	CHECK("msgsize_max is 8192",
	      read_all("/proc/sys/fs/mqueue/msgsize_max", buf, sizeof buf) > 0 && atoi(buf) == 8192);
	CHECK("queues_max is 256", read_all("/proc/sys/fs/mqueue/queues_max", buf, sizeof buf) > 0 && atoi(buf) == 256);
	pid = fork();
	if (pid == 0) {
		struct mq_attr a = { .mq_maxmsg = 11, .mq_msgsize = 16 };
		if (setuid(1000) != 0)
			_exit(3);
		if (!(mq_open("/t-u", O_CREAT | O_RDWR, 0600, &a) == -1 && errno == EINVAL))
			_exit(1);
		if (!(mq_open("/t-a", O_RDONLY) == -1 && errno == EACCES))
			_exit(2);
		_exit(mq_unlink("/t-a") == -1 && errno == EACCES ? 0 : 4);
	}
	int st = wait_status(pid);
	CHECKF("as a user: past msg_max EINVAL, another's queue EACCES, its unlink EACCES", st == 0, "status %d", st);
}

static void check_fs(void)
{
	DIR *d = opendir(MNT);
	int found = 0, others = 0;
	struct dirent *e;
	while (d && (e = readdir(d))) {
		if (!strcmp(e->d_name, "t-a"))
			found = 1;
		else if (e->d_name[0] != '.')
			others++;
	}
	if (d)
		closedir(d);
	CHECKF("the mqueue filesystem lists the queue", found && others == 0, "found %d others %d", found, others);
	struct stat st;
	CHECK("a queue file is regular with its mode",
	      stat(MNT "/t-a", &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0777) == 0600);
	CHECK_SYS("unlink in the filesystem removes the queue", unlink(MNT "/t-a"));
	CHECK_ERRNO("then mq_open is ENOENT", mq_open("/t-a", O_RDONLY), ENOENT);
}

int main(void)
{
	CHECK_SYS("unshare(CLONE_NEWIPC | CLONE_NEWNS)", unshare(CLONE_NEWIPC | CLONE_NEWNS));
	MUST(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL));
	mkdir("/tmp", 01777);
	mkdir(MNT, 0755);
	CHECK_SYS("mount -t mqueue", mount("none", MNT, "mqueue", 0, NULL));
	umask(0);
	check_open();
	check_send_receive();
	check_notify();
	check_limits();
	check_fs();
	return check_done();
}

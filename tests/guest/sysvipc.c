/*
 * System V IPC and IPC namespaces: shared memory (get, attach, detach,
 * the control commands, sharing between processes, attaches inherited
 * over fork and dropped at exec and exit, removal while attached),
 * semaphores (values, atomic multi-operation semop, blocking and
 * wake-ups, IPC_NOWAIT, timeouts, EINTR, EIDRM, SEM_UNDO at exit, the
 * wait counts), message queues (type selection, MSG_EXCEPT, MSG_NOERROR,
 * MSG_COPY, blocking both ways, msg_qbytes, EIDRM), the limits of
 * /proc/sys/kernel, the columns of /proc/sysvipc, permission checks
 * as uid 1000, and namespace isolation (unshare, setns with a pidfd).
 *
 * The test moves into an IPC namespace of its own first, so it never
 * depends on or touches the objects of the namespace it started in.
 */
#include "check.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>

union semun {
	int val;
	struct semid_ds *buf;
	unsigned short *array;
	struct seminfo *__buf;
};

struct message {
	long mtype;
	char mtext[256];
};

/* Reads FILE into BUF (NUL-terminated); returns its length or -1. */
static ssize_t read_file(const char *file, char *buf, size_t len)
{
	int fd = open(file, O_RDONLY);
	if (fd < 0)
		return -1;
	size_t got = 0;
	ssize_t n;
	while (got < len - 1 && (n = read(fd, buf + got, len - 1 - got)) > 0)
		got += (size_t)n;
	close(fd);
	buf[got] = 0;
	return (ssize_t)got;
}

static int write_file(const char *file, const char *text)
{
	int fd = open(file, O_WRONLY);
	if (fd < 0)
		return -1;
	ssize_t n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

static unsigned long read_long(const char *file)
{
	char buf[64];
	return read_file(file, buf, sizeof buf) > 0 ? strtoul(buf, NULL, 10) : 0;
}

/* Returns the exit status of child PID, or 1000 + signal if killed. */
static int wait_status(pid_t pid)
{
	int st;
	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 1000 + WTERMSIG(st);
}

static void ns_link(char *out, size_t len)
{
	ssize_t n = readlink("/proc/self/ns/ipc", out, len - 1);
	out[n > 0 ? n : 0] = 0;
}

static long shm_nattch(int id)
{
	struct shmid_ds ds;
	return shmctl(id, IPC_STAT, &ds) == 0 ? (long)ds.shm_nattch : -1;
}

static int semval(int id, int n)
{
	return semctl(id, n, GETVAL);
}

static void on_alarm(int sig)
{
	(void)sig;
}

/* Arms a one-shot SIGALRM after MS milliseconds, without SA_RESTART. */
static void alarm_ms(long ms)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	sigaction(SIGALRM, &sa, NULL);
	struct itimerval it = { { 0, 0 }, { ms / 1000, (ms % 1000) * 1000 } };
	setitimer(ITIMER_REAL, &it, NULL);
}

static void test_shm(const char *self)
{
	key_t key = 0x5157;
	CHECK_ERRNO("shmget of size 0 is EINVAL", shmget(IPC_PRIVATE, 0, 0600), EINVAL);
	CHECK_ERRNO("shmget of a missing key is ENOENT", shmget(key, 4096, 0600), ENOENT);
	int id = shmget(key, 3 * 4096, IPC_CREAT | 0600);
	CHECK("shmget(IPC_CREAT) creates a segment", id >= 0);
	CHECK_ERRNO("IPC_CREAT|IPC_EXCL on an existing key is EEXIST",
		    shmget(key, 4096, IPC_CREAT | IPC_EXCL | 0600), EEXIST);
	CHECK_ERRNO("asking for more than the segment's size is EINVAL",
		    shmget(key, 4 * 4096, 0600), EINVAL);
	CHECK("a smaller size finds the same segment", shmget(key, 100, 0) == id);

	struct shmid_ds ds;
	CHECK_SYS("IPC_STAT", shmctl(id, IPC_STAT, &ds));
	CHECKF("IPC_STAT: size, mode, owner, creator, no attach yet",
	       ds.shm_segsz == 3 * 4096 && (ds.shm_perm.mode & 0777) == 0600 &&
		       ds.shm_perm.uid == geteuid() && ds.shm_perm.cuid == geteuid() &&
		       ds.shm_cpid == getpid() && ds.shm_lpid == 0 && ds.shm_nattch == 0 &&
		       ds.shm_atime == 0 && ds.shm_ctime > 0 && ds.shm_perm.__key == key,
	       "segsz %zu mode %o cpid %d lpid %d nattch %lu", ds.shm_segsz,
	       ds.shm_perm.mode, ds.shm_cpid, ds.shm_lpid, (unsigned long)ds.shm_nattch);

	char *p = shmat(id, NULL, 0);
	CHECK("shmat maps the segment", p != (void *)-1);
	CHECK("a new segment reads as zeroes", p[0] == 0 && p[3 * 4096 - 1] == 0);
	strcpy(p, "parent");
	CHECK_SYS("IPC_STAT after shmat", shmctl(id, IPC_STAT, &ds));
	CHECK("shmat counts an attach and sets atime and lpid",
	      ds.shm_nattch == 1 && ds.shm_atime > 0 && ds.shm_lpid == getpid());

	int ready[2];
	MUST(pipe(ready));
	pid_t pid = fork();
	if (pid == 0) {
		/* The attach is inherited, and a second one maps the same pages. */
		char *q = shmat(id, NULL, 0);
		if (q == (void *)-1 || strcmp(p, "parent") != 0 || strcmp(q, "parent") != 0)
			_exit(1);
		strcpy(q + 4096, "child");
		char c = 0;
		if (write(ready[1], &c, 1) != 1)
			_exit(2);
		sleep_ms(200);
		_exit(0);
	}
	char c;
	MUST(read(ready[0], &c, 1));
	CHECK("a child's write shows in the parent", strcmp(p + 4096, "child") == 0);
	CHECKF("the fork's copy and the child's attach count: nattch 3",
	       shm_nattch(id) == 3, "nattch %ld", shm_nattch(id));
	CHECK("the child exits cleanly", wait_status(pid) == 0);
	CHECKF("exit detaches: nattch 1", shm_nattch(id) == 1, "nattch %ld", shm_nattch(id));
	CHECK_SYS("IPC_STAT after the child's exit", shmctl(id, IPC_STAT, &ds));
	CHECK("the last detach was the child's", ds.shm_lpid == pid && ds.shm_dtime > 0);

	/* exec drops the attaches of the old image. */
	pid = fork();
	if (pid == 0) {
		char arg[32];
		snprintf(arg, sizeof arg, "%d", id);
		execl(self, self, "nattch", arg, (char *)NULL);
		_exit(99);
	}
	CHECKF("after exec the child holds no attach", wait_status(pid) == 1,
	       "nattch seen after exec: %d", wait_status(pid));

	/* SHM_RDONLY: a write is a SIGSEGV. */
	pid = fork();
	if (pid == 0) {
		volatile char *r = shmat(id, NULL, SHM_RDONLY);
		if (r == (void *)-1 || r[0] != 'p')
			_exit(1);
		if (mprotect((void *)r, 4096, PROT_READ | PROT_WRITE) == 0 || errno != EACCES)
			_exit(2);
		r[0] = 'x';
		_exit(3);
	}
	CHECK("a write to a SHM_RDONLY attach is SIGSEGV", wait_status(pid) == 1000 + SIGSEGV);

	/* Addresses: SHM_RND, unaligned, taken, SHM_REMAP. */
	char *area = mmap(NULL, 8 * 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	MUST(area == MAP_FAILED ? -1 : 0);
	CHECK_ERRNO("an unaligned address without SHM_RND is EINVAL",
		    (long)shmat(id, area + 5, 0), EINVAL);
	CHECK_ERRNO("an address in use without SHM_REMAP is EINVAL",
		    (long)shmat(id, area, 0), EINVAL);
	CHECK_ERRNO("SHM_REMAP without an address is EINVAL",
		    (long)shmat(id, NULL, SHM_REMAP), EINVAL);
	char *q = shmat(id, area + 4096 + 17, SHM_RND | SHM_REMAP);
	CHECK("SHM_RND|SHM_REMAP rounds down and replaces", q == area + 4096);
	CHECK("the remapped attach shows the segment", strcmp(q, "parent") == 0);
	CHECK_ERRNO("shmdt of an unaligned address is EINVAL", shmdt(q + 1), EINVAL);
	CHECK_ERRNO("shmdt where no attach starts is EINVAL", shmdt(area), EINVAL);
	CHECK_SYS("shmdt", shmdt(q));
	CHECK("shmdt counts down", shm_nattch(id) == 1);
	munmap(area, 8 * 4096);

	/* The info commands. */
	struct shminfo info;
	int max = shmctl(0, IPC_INFO, (struct shmid_ds *)&info);
	CHECKF("IPC_INFO matches /proc/sys/kernel",
	       max >= 0 && info.shmmni == read_long("/proc/sys/kernel/shmmni") &&
		       info.shmmax == read_long("/proc/sys/kernel/shmmax") &&
		       info.shmmin == 1 && info.shmseg == info.shmmni,
	       "max %d shmmni %lu", max, info.shmmni);
	struct shm_info sinfo;
	max = shmctl(0, SHM_INFO, (struct shmid_ds *)&sinfo);
	CHECKF("SHM_INFO counts the segment", max >= 0 && sinfo.used_ids == 1 && sinfo.shm_tot == 3,
	       "used %d tot %lu", sinfo.used_ids, sinfo.shm_tot);
	CHECK("SHM_STAT takes an index and returns the id", shmctl(id % 32768, SHM_STAT, &ds) == id);
	CHECK("SHM_STAT_ANY too", shmctl(id % 32768, SHM_STAT_ANY, &ds) == id);
	CHECK_ERRNO("SHM_STAT of an unused index is EINVAL", shmctl(77, SHM_STAT, &ds), EINVAL);
	CHECK_ERRNO("an unknown command is EINVAL", shmctl(id, 99, &ds), EINVAL);
	CHECK_ERRNO("a stale id is EINVAL", shmctl(id + 32768, IPC_STAT, &ds), EINVAL);
	CHECK_SYS("SHM_LOCK", shmctl(id, SHM_LOCK, NULL));
	shmctl(id, IPC_STAT, &ds);
	CHECK("SHM_LOCK sets SHM_LOCKED in the mode", ds.shm_perm.mode & SHM_LOCKED);
	CHECK_SYS("SHM_UNLOCK", shmctl(id, SHM_UNLOCK, NULL));
	shmctl(id, IPC_STAT, &ds);
	CHECK("SHM_UNLOCK clears it", !(ds.shm_perm.mode & SHM_LOCKED));
	ds.shm_perm.mode = 0640;
	CHECK_SYS("IPC_SET", shmctl(id, IPC_SET, &ds));
	shmctl(id, IPC_STAT, &ds);
	CHECK("IPC_SET changes the mode", (ds.shm_perm.mode & 0777) == 0640);

	/* Removal while attached. */
	CHECK_SYS("IPC_RMID while attached", shmctl(id, IPC_RMID, NULL));
	CHECK_SYS("IPC_STAT after IPC_RMID", shmctl(id, IPC_STAT, &ds));
	CHECK("the segment is marked SHM_DEST and its key is private",
	      (ds.shm_perm.mode & SHM_DEST) && ds.shm_perm.__key == IPC_PRIVATE);
	CHECK_ERRNO("its key is gone", shmget(key, 0, 0), ENOENT);
	CHECK("the attach still works", strcmp(p, "parent") == 0);
	CHECK_SYS("shmdt of the last attach", shmdt(p));
	CHECK_ERRNO("the last detach destroyed it", shmctl(id, IPC_STAT, &ds), EINVAL);
	id = shmget(IPC_PRIVATE, 4096, 0600);
	CHECK_SYS("IPC_RMID without attaches", shmctl(id, IPC_RMID, NULL));
	CHECK_ERRNO("destroys at once", shmctl(id, IPC_STAT, &ds), EINVAL);

	/* Limits of /proc/sys/kernel. */
	char old[64];
	read_file("/proc/sys/kernel/shmmax", old, sizeof old);
	CHECK_SYS("root sets shmmax", write_file("/proc/sys/kernel/shmmax", "4096\n"));
	CHECK_ERRNO("a segment past shmmax is EINVAL", shmget(IPC_PRIVATE, 8192, 0600), EINVAL);
	MUST(write_file("/proc/sys/kernel/shmmax", old));
	read_file("/proc/sys/kernel/shmmni", old, sizeof old);
	CHECK_SYS("root sets shmmni", write_file("/proc/sys/kernel/shmmni", "1\n"));
	id = shmget(IPC_PRIVATE, 4096, 0600);
	CHECK("one segment fits", id >= 0);
	CHECK_ERRNO("the next is ENOSPC", shmget(IPC_PRIVATE, 4096, 0600), ENOSPC);
	shmctl(id, IPC_RMID, NULL);
	MUST(write_file("/proc/sys/kernel/shmmni", old));
}

static void test_sem(void)
{
	union semun arg;
	CHECK_ERRNO("semget of -1 semaphores is EINVAL", semget(IPC_PRIVATE, -1, 0600), EINVAL);
	CHECK_ERRNO("a new set of 0 semaphores is EINVAL", semget(IPC_PRIVATE, 0, 0600), EINVAL);
	int id = semget(0x5e3, 3, IPC_CREAT | 0600);
	CHECK("semget creates a set", id >= 0);
	CHECK_ERRNO("more semaphores than the set has is EINVAL", semget(0x5e3, 4, 0), EINVAL);
	CHECK("0 semaphores finds the set", semget(0x5e3, 0, 0) == id);
	CHECK("a new set is zeroes", semval(id, 0) == 0 && semval(id, 2) == 0);
	arg.val = 5;
	CHECK_SYS("SETVAL", semctl(id, 0, SETVAL, arg));
	CHECK("GETVAL", semval(id, 0) == 5);
	CHECK("GETPID names the setter", semctl(id, 0, GETPID) == getpid());
	arg.val = -1;
	CHECK_ERRNO("SETVAL -1 is ERANGE", semctl(id, 0, SETVAL, arg), ERANGE);
	arg.val = 32768;
	CHECK_ERRNO("SETVAL past SEMVMX is ERANGE", semctl(id, 0, SETVAL, arg), ERANGE);
	arg.val = 1;
	CHECK_ERRNO("SETVAL of semaphore 3 of 3 is EINVAL", semctl(id, 3, SETVAL, arg), EINVAL);
	unsigned short all[3] = { 2, 0, 7 }, got[3] = { 9, 9, 9 };
	arg.array = all;
	CHECK_SYS("SETALL", semctl(id, 0, SETALL, arg));
	arg.array = got;
	CHECK("GETALL", semctl(id, 0, GETALL, arg) == 0 && got[0] == 2 && got[1] == 0 && got[2] == 7);

	struct sembuf two[2] = { { 0, -1, 0 }, { 1, -1, IPC_NOWAIT } };
	CHECK_ERRNO("a blocked operation with IPC_NOWAIT is EAGAIN", semop(id, two, 2), EAGAIN);
	CHECK("and none of the call's operations happened", semval(id, 0) == 2);
	struct sembuf bad = { 3, 1, 0 };
	CHECK_ERRNO("a semaphore number past the set is EFBIG", semop(id, &bad, 1), EFBIG);
	CHECK_ERRNO("no operations is EINVAL", semop(id, two, 0), EINVAL);
	static struct sembuf many[501];
	CHECK_ERRNO("more than SEMOPM operations is E2BIG", semop(id, many, 501), E2BIG);
	struct sembuf over = { 2, 32767, 0 };
	CHECK_ERRNO("a result past SEMVMX is ERANGE", semop(id, &over, 1), ERANGE);
	struct sembuf ok2[2] = { { 0, -2, 0 }, { 2, 1, 0 } };
	CHECK_SYS("two operations at once", semop(id, ok2, 2));
	CHECK("both applied", semval(id, 0) == 0 && semval(id, 2) == 8);

	/* Blocking and wake-ups, with the wait counts. */
	pid_t pid = fork();
	if (pid == 0) {
		struct sembuf down = { 0, -1, 0 };
		_exit(semop(id, &down, 1) == 0 ? 0 : 1);
	}
	pid_t zpid = fork();
	if (zpid == 0) {
		struct sembuf zero = { 2, 0, 0 };
		_exit(semop(id, &zero, 1) == 0 ? 0 : 1);
	}
	sleep_ms(150);
	CHECK("GETNCNT counts the waiting decrement", semctl(id, 0, GETNCNT) == 1);
	CHECK("GETZCNT counts the wait for zero", semctl(id, 2, GETZCNT) == 1);
	CHECK("nothing waits on semaphore 1", semctl(id, 1, GETNCNT) == 0);
	struct sembuf up = { 0, 1, 0 };
	CHECK_SYS("semop +1", semop(id, &up, 1));
	CHECK("the +1 wakes the waiter", wait_status(pid) == 0 && semval(id, 0) == 0);
	arg.val = 0;
	CHECK_SYS("SETVAL 0", semctl(id, 2, SETVAL, arg));
	CHECK("SETVAL wakes the wait for zero", wait_status(zpid) == 0);

	/* Timeouts and signals. */
	struct sembuf down = { 0, -1, 0 };
	struct timespec ts = { 0, 60 * 1000000L };
	double t0 = now_ms();
	CHECK_ERRNO("semtimedop times out with EAGAIN", semtimedop(id, &down, 1, &ts), EAGAIN);
	CHECK("after at least the timeout", now_ms() - t0 >= 55);
	ts.tv_nsec = 2000000000L;
	CHECK_ERRNO("an invalid timeout is EINVAL", semtimedop(id, &down, 1, &ts), EINVAL);
	alarm_ms(50);
	CHECK_ERRNO("a signal interrupts semop with EINTR", semop(id, &down, 1), EINTR);

	/* SEM_UNDO: applied when the process exits. */
	arg.val = 5;
	semctl(id, 1, SETVAL, arg);
	pid = fork();
	if (pid == 0) {
		struct sembuf ops[2] = { { 1, -2, SEM_UNDO }, { 0, 3, SEM_UNDO } };
		if (semop(id, ops, 2) != 0 || semval(id, 1) != 3 || semval(id, 0) != 3)
			_exit(1);
		_exit(0);
	}
	CHECK("the child's SEM_UNDO operations succeed", wait_status(pid) == 0);
	CHECKF("its exit undid them", semval(id, 1) == 5 && semval(id, 0) == 0,
	       "values %d %d", semval(id, 1), semval(id, 0));
	CHECK("the undo set sempid to the child", semctl(id, 1, GETPID) == pid);
	pid = fork();
	if (pid == 0) {
		struct sembuf ops = { 1, 1, SEM_UNDO };
		semop(id, &ops, 1);
		union semun a = { .val = 0 };
		/* SETVAL clears the adjustments of that semaphore. */
		semctl(id, 1, SETVAL, a);
		_exit(0);
	}
	wait_status(pid);
	CHECK("SETVAL cleared the adjustment", semval(id, 1) == 0);

	struct semid_ds ds;
	arg.buf = &ds;
	CHECK_SYS("IPC_STAT", semctl(id, 0, IPC_STAT, arg));
	CHECK("IPC_STAT: nsems, mode, otime", ds.sem_nsems == 3 && (ds.sem_perm.mode & 0777) == 0600 &&
						      ds.sem_otime > 0);
	CHECK("SEM_STAT takes an index", semctl(id % 32768, 0, SEM_STAT, arg) == id);
	struct seminfo si;
	arg.__buf = &si;
	char text[128], want[128];
	read_file("/proc/sys/kernel/sem", text, sizeof text);
	CHECK("IPC_INFO", semctl(0, 0, IPC_INFO, arg) >= 0);
	snprintf(want, sizeof want, "%d\t%d\t%d\t%d\n", si.semmsl, si.semmns, si.semopm, si.semmni);
	CHECKF("/proc/sys/kernel/sem matches IPC_INFO", strcmp(text, want) == 0, "%s vs %s", text, want);
	CHECK("SEM_INFO counts sets and semaphores",
	      semctl(0, 0, SEM_INFO, arg) >= 0 && si.semusz == 1 && si.semaem == 3);

	/* Removal wakes waiters with EIDRM. */
	pid = fork();
	if (pid == 0)
		_exit(semop(id, &down, 1) == -1 && errno == EIDRM ? 0 : 1);
	sleep_ms(100);
	CHECK_SYS("IPC_RMID", semctl(id, 0, IPC_RMID));
	CHECK("a waiter gets EIDRM", wait_status(pid) == 0);
	CHECK_ERRNO("the set is gone", semctl(id, 0, GETVAL), EINVAL);
}

static void test_msg(void)
{
	struct message m, r;
	int id = msgget(0x3e9, IPC_CREAT | 0600);
	CHECK("msgget creates a queue", id >= 0);
	CHECK("msgget finds it again", msgget(0x3e9, 0) == id);
	m.mtype = 0;
	CHECK_ERRNO("a message of type 0 is EINVAL", msgsnd(id, &m, 1, 0), EINVAL);
	m.mtype = 1;
	CHECK_ERRNO("a message past msgmax is EINVAL", msgsnd(id, &m, 8193, 0), EINVAL);
	CHECK_ERRNO("an empty queue with IPC_NOWAIT is ENOMSG",
		    msgrcv(id, &r, sizeof r.mtext, 0, IPC_NOWAIT), ENOMSG);
	long types[] = { 3, 1, 2, 1, 5 };
	for (int i = 0; i < 5; i++) {
		m.mtype = types[i];
		snprintf(m.mtext, sizeof m.mtext, "m%d", i);
		MUST(msgsnd(id, &m, 3, 0));
	}
	struct msqid_ds ds;
	CHECK_SYS("IPC_STAT", msgctl(id, IPC_STAT, &ds));
	CHECK("IPC_STAT: qnum, cbytes, lspid, qbytes",
	      ds.msg_qnum == 5 && ds.__msg_cbytes == 15 && ds.msg_lspid == getpid() &&
		      ds.msg_qbytes == (msglen_t)read_long("/proc/sys/kernel/msgmnb"));
	ssize_t n = msgrcv(id, &r, sizeof r.mtext, 0, MSG_COPY | IPC_NOWAIT);
	if (n == -1 && errno == ENOSYS) {
		check_ok("MSG_COPY (not configured here)");
	} else {
		n = msgrcv(id, &r, sizeof r.mtext, 3, MSG_COPY | IPC_NOWAIT);
		CHECK("MSG_COPY copies the message at a position", n == 3 && r.mtype == 1 &&
									   strcmp(r.mtext, "m3") == 0);
		CHECK_ERRNO("MSG_COPY without IPC_NOWAIT is EINVAL",
			    msgrcv(id, &r, sizeof r.mtext, 0, MSG_COPY), EINVAL);
	}
	CHECK("type 2 picks the first of type 2",
	      msgrcv(id, &r, sizeof r.mtext, 2, 0) == 3 && strcmp(r.mtext, "m2") == 0);
	CHECK("-4 picks the first of the lowest type",
	      msgrcv(id, &r, sizeof r.mtext, -4, 0) == 3 && strcmp(r.mtext, "m1") == 0);
	CHECK("MSG_EXCEPT 3 picks the first of another type",
	      msgrcv(id, &r, sizeof r.mtext, 3, MSG_EXCEPT) == 3 && strcmp(r.mtext, "m3") == 0);
	CHECK_ERRNO("a short buffer is E2BIG", msgrcv(id, &r, 2, 0, 0), E2BIG);
	CHECK("MSG_NOERROR truncates", msgrcv(id, &r, 2, 0, MSG_NOERROR) == 2 && r.mtype == 3 &&
					       r.mtext[0] == 'm' && r.mtext[1] == '0');
	CHECK("0 picks the first", msgrcv(id, &r, sizeof r.mtext, 0, 0) == 3 && r.mtype == 5);
	CHECK_SYS("IPC_STAT", msgctl(id, IPC_STAT, &ds));
	CHECK("the queue is empty, lrpid set", ds.msg_qnum == 0 && ds.__msg_cbytes == 0 &&
						       ds.msg_lrpid == getpid() && ds.msg_rtime > 0);

	/* A waiting receiver, then a waiting sender. */
	pid_t pid = fork();
	if (pid == 0) {
		struct message in;
		_exit(msgrcv(id, &in, sizeof in.mtext, 7, 0) == 5 && strcmp(in.mtext, "wake") == 0 ? 0 : 1);
	}
	sleep_ms(100);
	m.mtype = 7;
	strcpy(m.mtext, "wake");
	MUST(msgsnd(id, &m, 5, 0));
	CHECK("a send wakes a waiting receiver", wait_status(pid) == 0);
	ds.msg_qbytes = 100;
	CHECK_SYS("IPC_SET msg_qbytes", msgctl(id, IPC_SET, &ds));
	m.mtype = 1;
	MUST(msgsnd(id, &m, 64, 0));
	CHECK_ERRNO("past msg_qbytes with IPC_NOWAIT is EAGAIN", msgsnd(id, &m, 64, IPC_NOWAIT), EAGAIN);
	pid = fork();
	if (pid == 0)
		_exit(msgsnd(id, &m, 64, 0) == 0 ? 0 : 1);
	sleep_ms(100);
	CHECK("a receive makes room", msgrcv(id, &r, sizeof r.mtext, 0, 0) == 64);
	CHECK("and wakes the waiting sender", wait_status(pid) == 0);
	alarm_ms(50);
	CHECK_ERRNO("a signal interrupts msgsnd with EINTR", msgsnd(id, &m, 64, 0), EINTR);
	CHECK("the message sent is there", msgrcv(id, &r, sizeof r.mtext, 0, 0) == 64);

	struct msginfo mi;
	CHECK("IPC_INFO", msgctl(0, IPC_INFO, (struct msqid_ds *)&mi) >= 0 &&
				  (unsigned long)mi.msgmax == read_long("/proc/sys/kernel/msgmax") &&
				  (unsigned long)mi.msgmni == read_long("/proc/sys/kernel/msgmni"));
	CHECK("MSG_STAT takes an index", msgctl(id % 32768, MSG_STAT, &ds) == id);

	pid = fork();
	if (pid == 0)
		_exit(msgrcv(id, &r, sizeof r.mtext, 0, 0) == -1 && errno == EIDRM ? 0 : 1);
	sleep_ms(100);
	CHECK_SYS("IPC_RMID", msgctl(id, IPC_RMID, NULL));
	CHECK("a waiting receiver gets EIDRM", wait_status(pid) == 0);
	CHECK_ERRNO("the queue is gone", msgsnd(id, &m, 1, 0), EINVAL);
}

/* /proc/sysvipc in Linux's columns, built here from the *_STAT results. */
static void test_proc(void)
{
	char text[4096], want[512];
	int shm = shmget(0x1234, 4096, IPC_CREAT | 0644);
	int sem = semget(0x1235, 2, IPC_CREAT | 0600);
	int msg = msgget(0x1236, IPC_CREAT | 0660);
	MUST(shm | sem | msg);
	struct shmid_ds sd;
	shmctl(shm, IPC_STAT, &sd);
	read_file("/proc/sysvipc/shm", text, sizeof text);
	snprintf(want, sizeof want,
		 "       key      shmid perms                  size  cpid  lpid nattch   uid   gid  cuid  cgid      atime      dtime      ctime                   rss                  swap\n"
		 "%10d %10d  %4o %21lu %5u %5u  %5lu %5u %5u %5u %5u %10llu %10llu %10llu %21lu %21lu\n",
		 0x1234, shm, sd.shm_perm.mode, (unsigned long)sd.shm_segsz, sd.shm_cpid, sd.shm_lpid,
		 (unsigned long)sd.shm_nattch, sd.shm_perm.uid, sd.shm_perm.gid, sd.shm_perm.cuid,
		 sd.shm_perm.cgid, (unsigned long long)sd.shm_atime, (unsigned long long)sd.shm_dtime,
		 (unsigned long long)sd.shm_ctime, 0UL, 0UL);
	CHECKF("/proc/sysvipc/shm", strcmp(text, want) == 0, "got\n%s\nwant\n%s", text, want);
	struct semid_ds sm;
	union semun arg = { .buf = &sm };
	semctl(sem, 0, IPC_STAT, arg);
	read_file("/proc/sysvipc/sem", text, sizeof text);
	snprintf(want, sizeof want,
		 "       key      semid perms      nsems   uid   gid  cuid  cgid      otime      ctime\n"
		 "%10d %10d  %4o %10u %5u %5u %5u %5u %10llu %10llu\n",
		 0x1235, sem, sm.sem_perm.mode, (unsigned)sm.sem_nsems, sm.sem_perm.uid, sm.sem_perm.gid,
		 sm.sem_perm.cuid, sm.sem_perm.cgid, (unsigned long long)sm.sem_otime,
		 (unsigned long long)sm.sem_ctime);
	CHECKF("/proc/sysvipc/sem", strcmp(text, want) == 0, "got\n%s\nwant\n%s", text, want);
	struct message m = { 4, "abc" };
	msgsnd(msg, &m, 3, 0);
	struct msqid_ds md;
	msgctl(msg, IPC_STAT, &md);
	read_file("/proc/sysvipc/msg", text, sizeof text);
	snprintf(want, sizeof want,
		 "       key      msqid perms      cbytes       qnum lspid lrpid   uid   gid  cuid  cgid      stime      rtime      ctime\n"
		 "%10d %10d  %4o  %10lu %10lu %5u %5u %5u %5u %5u %5u %10llu %10llu %10llu\n",
		 0x1236, msg, md.msg_perm.mode, (unsigned long)md.__msg_cbytes, (unsigned long)md.msg_qnum,
		 md.msg_lspid, md.msg_lrpid, md.msg_perm.uid, md.msg_perm.gid, md.msg_perm.cuid,
		 md.msg_perm.cgid, (unsigned long long)md.msg_stime, (unsigned long long)md.msg_rtime,
		 (unsigned long long)md.msg_ctime);
	CHECKF("/proc/sysvipc/msg", strcmp(text, want) == 0, "got\n%s\nwant\n%s", text, want);
}

/* As uid 1000: the objects test_proc left (root's, modes 0644, 0600, 0660). */
static void test_perms(void)
{
	int shm = shmget(0x1234, 0, 0), sem = semget(0x1235, 0, 0), msg = msgget(0x1236, 0);
	key_t mine = 0x1237;
	pid_t pid = fork();
	if (pid == 0) {
		if (setgid(1000) || setuid(1000))
			check_fail("setuid", errno, "setuid(1000)");
		struct shmid_ds ds;
		CHECK("a get asking for no access finds root's segment", shmget(0x1234, 0, 0) == shm);
		CHECK_ERRNO("a get asking for write access to 0644 is EACCES",
			    shmget(0x1234, 0, 0200), EACCES);
		CHECK_ERRNO("shmat for writing is EACCES", (long)shmat(shm, NULL, 0), EACCES);
		void *p = shmat(shm, NULL, SHM_RDONLY);
		CHECK("shmat SHM_RDONLY of 0644 is allowed", p != (void *)-1);
		CHECK_SYS("shmdt", shmdt(p));
		CHECK_ERRNO("IPC_RMID by another user is EPERM", shmctl(shm, IPC_RMID, NULL), EPERM);
		CHECK_SYS("IPC_STAT with read access", shmctl(shm, IPC_STAT, &ds));
		CHECK_ERRNO("IPC_SET by another user is EPERM", shmctl(shm, IPC_SET, &ds), EPERM);
		CHECK_ERRNO("SHM_LOCK by another user is EPERM", shmctl(shm, SHM_LOCK, NULL), EPERM);
		CHECK_ERRNO("GETVAL of a 0600 set is EACCES", semctl(sem, 0, GETVAL), EACCES);
		struct sembuf up = { 0, 1, 0 };
		CHECK_ERRNO("semop on a 0600 set is EACCES", semop(sem, &up, 1), EACCES);
		struct semid_ds sds;
		union semun arg = { .buf = &sds };
		CHECK_ERRNO("IPC_STAT of a 0600 set is EACCES", semctl(sem, 0, IPC_STAT, arg), EACCES);
		CHECK("SEM_STAT_ANY skips the check", semctl(sem % 32768, 0, SEM_STAT_ANY, arg) == sem);
		CHECK_ERRNO("SEM_STAT does not", semctl(sem % 32768, 0, SEM_STAT, arg), EACCES);
		struct message m = { 1, "x" };
		CHECK_ERRNO("msgsnd to a 0660 queue of another group is EACCES",
			    msgsnd(msg, &m, 1, 0), EACCES);
		int own = msgget(mine, IPC_CREAT | 0600);
		CHECK("a user creates its own queue", own >= 0);
		struct msqid_ds md;
		msgctl(own, IPC_STAT, &md);
		CHECK("owned by the user", md.msg_perm.uid == 1000 && md.msg_perm.cuid == 1000);
		md.msg_qbytes += 1;
		CHECK_ERRNO("raising msg_qbytes past msgmnb is EPERM", msgctl(own, IPC_SET, &md), EPERM);
		md.msg_qbytes -= 2;
		CHECK_SYS("lowering it is allowed to the owner", msgctl(own, IPC_SET, &md));
		CHECK_ERRNO("unshare(CLONE_NEWIPC) is EPERM", unshare(CLONE_NEWIPC), EPERM);
		CHECK_ERRNO("writing a limit is EACCES",
			    write_file("/proc/sys/kernel/msgmni", "10\n"), EACCES);
		_exit(0);
	}
	CHECK("the checks as uid 1000 passed", wait_status(pid) == 0);
	int own = msgget(mine, 0);
	struct message m = { 1, "x" };
	CHECK_SYS("root passes the user's 0600 queue's check", msgsnd(own, &m, 1, 0));
	CHECK_SYS("and removes it", msgctl(own, IPC_RMID, NULL));
}

static void test_namespaces(void)
{
	char before[64], after[64], text[4096];
	ns_link(before, sizeof before);
	CHECK("/proc/self/ns/ipc reads ipc:[N]", strncmp(before, "ipc:[", 5) == 0);
	int shm = shmget(0x1234, 0, 0);
	CHECK("the segment is there before", shm >= 0);
	int ready[2], done[2];
	MUST(pipe(ready));
	MUST(pipe(done));
	pid_t pid = fork();
	if (pid == 0) {
		if (unshare(CLONE_NEWIPC))
			_exit(1);
		ns_link(after, sizeof after);
		if (strcmp(before, after) == 0)
			_exit(2);
		if (shmget(0x1234, 0, 0) != -1 || errno != ENOENT)
			_exit(3);
		read_file("/proc/sysvipc/shm", text, sizeof text);
		if (strchr(text, '\n') != text + strlen(text) - 1)
			_exit(4);
		if (msgget(0x4444, IPC_CREAT | 0600) < 0)
			_exit(5);
		char c = 0;
		if (write(ready[1], &c, 1) != 1 || read(done[0], &c, 1) != 1)
			_exit(6);
		_exit(0);
	}
	char c;
	MUST(read(ready[0], &c, 1));
	CHECK_ERRNO("the new namespace's queue is not in ours", msgget(0x4444, 0), ENOENT);
	pid_t joiner = fork();
	if (joiner == 0) {
		int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
		if (pidfd < 0 || setns(pidfd, CLONE_NEWIPC) != 0)
			_exit(1);
		_exit(msgget(0x4444, 0) >= 0 && shmget(0x1234, 0, 0) == -1 ? 0 : 2);
	}
	CHECK("setns with a pidfd joins its IPC namespace", wait_status(joiner) == 0);
	MUST(write(done[1], &c, 1));
	CHECKF("unshare(CLONE_NEWIPC) gives a namespace without our objects",
	       wait_status(pid) == 0, "child failed");
	pid = (pid_t)syscall(SYS_clone, CLONE_NEWIPC | SIGCHLD, 0, 0, 0, 0);
	if (pid == 0)
		_exit(shmget(0x1234, 0, 0) == -1 && errno == ENOENT ? 0 : 1);
	CHECK("clone(CLONE_NEWIPC) too", wait_status(pid) == 0);
	CHECK_ERRNO("CLONE_NEWIPC with CLONE_SYSVSEM is EINVAL",
		    syscall(SYS_clone, CLONE_NEWIPC | CLONE_SYSVSEM | SIGCHLD, 0, 0, 0, 0), EINVAL);
	CHECK_SYS("unshare(CLONE_NEWIPC)", unshare(CLONE_NEWIPC));
	CHECK_ERRNO("after unshare the old key is not found", shmget(0x1234, 0, 0), ENOENT);
	char limit[64];
	read_file("/proc/sys/kernel/msgmni", limit, sizeof limit);
	CHECK("a new namespace has Linux's default limits", strcmp(limit, "32000\n") == 0);
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "nattch") == 0)
		return (int)shm_nattch(atoi(argv[2]));
	char first[64], mine[64];
	ns_link(first, sizeof first);
	CHECK_SYS("unshare(CLONE_NEWIPC) first", unshare(CLONE_NEWIPC));
	ns_link(mine, sizeof mine);
	CHECKF("/proc/self/ns/ipc names the new namespace", strcmp(first, mine) != 0,
	       "%s and %s", first, mine);
	test_shm(argv[0][0] == '/' ? argv[0] : "/proc/self/exe");
	test_sem();
	test_msg();
	test_proc();
	test_perms();
	test_namespaces();
	return check_done();
}

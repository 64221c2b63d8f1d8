/*
 * kcmp(2) and get_robust_list(2): a descriptor and its dup are one file,
 * two opens are two, ordered one way and the other the other way; threads
 * share the address space and the file table where a forked child shares
 * neither; an epoll instance's target is the file added; bad descriptors,
 * kinds and pids get EBADF, EINVAL and ESRCH, and another user's process
 * EPERM. get_robust_list reads back what set_robust_list set, for the
 * caller and for another process.
 */
#define _GNU_SOURCE
#include "check.h"

#include <fcntl.h>
#include <linux/futex.h>
#include <linux/kcmp.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <sys/wait.h>

static long kcmp(pid_t a, pid_t b, int type, unsigned long x, unsigned long y)
{
	return syscall(SYS_kcmp, a, b, type, x, y);
}

static volatile pid_t thread_tid;
static volatile int thread_done;

static void *thread_body(void *arg)
{
	(void)arg;
	thread_tid = (pid_t)syscall(SYS_gettid);
	while (!thread_done)
		usleep(1000);
	return NULL;
}

int main(void)
{
	pid_t me = getpid();
	int a = open("/proc/self/exe", O_RDONLY);
	int b = open("/proc/self/exe", O_RDONLY);
	MUST(a);
	MUST(b);
	int d = dup(a);
	MUST(d);
	CHECK("a descriptor and its dup are one file", kcmp(me, me, KCMP_FILE, a, d) == 0);
	long ab = kcmp(me, me, KCMP_FILE, a, b), ba = kcmp(me, me, KCMP_FILE, b, a);
	CHECKF("two opens are two files, ordered both ways",
	       (ab == 1 && ba == 2) || (ab == 2 && ba == 1), "%ld %ld", ab, ba);
	CHECK_ERRNO("a closed descriptor is EBADF", kcmp(me, me, KCMP_FILE, a, 999), EBADF);
	CHECK_ERRNO("an unknown kind is EINVAL", kcmp(me, me, 99, 0, 0), EINVAL);
	CHECK_ERRNO("no such process is ESRCH", kcmp(me, 999999, KCMP_VM, 0, 0), ESRCH);

	pthread_t th;
	pthread_create(&th, NULL, thread_body, NULL);
	while (!thread_tid)
		usleep(1000);
	CHECK("a thread shares the address space", kcmp(me, thread_tid, KCMP_VM, 0, 0) == 0);
	CHECK("and the file table", kcmp(me, thread_tid, KCMP_FILES, 0, 0) == 0);
	CHECK("and the signal handlers", kcmp(me, thread_tid, KCMP_SIGHAND, 0, 0) == 0);
	CHECK("a thread's descriptor is the same file",
	      kcmp(me, thread_tid, KCMP_FILE, a, a) == 0);
	thread_done = 1;
	pthread_join(th, NULL);

	int ready[2], go[2];
	MUST(pipe(ready));
	MUST(pipe(go));
	pid_t child = fork();
	if (child == 0) {
		char c = 0;
		MUST(write(ready[1], &c, 1));
		MUST(read(go[0], &c, 1));
		_exit(0);
	}
	char c;
	MUST(read(ready[0], &c, 1));
	CHECK("a forked child has its own address space", kcmp(me, child, KCMP_VM, 0, 0) != 0);
	CHECK("and its own file table", kcmp(me, child, KCMP_FILES, 0, 0) != 0);
	CHECK("but the files it inherited", kcmp(me, child, KCMP_FILE, a, a) == 0);
	void *head = NULL;
	size_t len = 0;
	CHECK("get_robust_list of another process",
	      syscall(SYS_get_robust_list, child, &head, &len) == 0 && head != NULL &&
		      len == sizeof(struct robust_list_head));
	MUST(write(go[1], &c, 1));
	MUST(waitpid(child, NULL, 0));

	int ep = epoll_create1(0);
	MUST(ep);
	struct epoll_event ev = {.events = EPOLLIN};
	MUST(epoll_ctl(ep, EPOLL_CTL_ADD, go[0], &ev));
	struct kcmp_epoll_slot slot = {(unsigned)ep, (unsigned)go[0], 0};
	CHECK("an epoll target is the file added",
	      kcmp(me, me, KCMP_EPOLL_TFD, go[0], (unsigned long)&slot) == 0);
	CHECK("and not another", kcmp(me, me, KCMP_EPOLL_TFD, a, (unsigned long)&slot) != 0);
	slot.toff = 1;
	CHECK_ERRNO("no second target under that descriptor is ENOENT",
		    kcmp(me, me, KCMP_EPOLL_TFD, go[0], (unsigned long)&slot), ENOENT);
	slot.efd = (unsigned)a;
	slot.toff = 0;
	CHECK_ERRNO("a file that is no epoll is EINVAL",
		    kcmp(me, me, KCMP_EPOLL_TFD, go[0], (unsigned long)&slot), EINVAL);

	static struct robust_list_head mine = {{&mine.list}, 0, NULL};
	MUST(syscall(SYS_set_robust_list, &mine, sizeof mine));
	CHECK("get_robust_list reads back ours",
	      syscall(SYS_get_robust_list, 0, &head, &len) == 0 && head == &mine &&
		      len == sizeof mine);

	/* Another user may not look at a root process. */
	child = fork();
	if (child == 0) {
		if (setuid(65534))
			_exit(2);
		if (kcmp(me, me, KCMP_VM, 0, 0) != -1 || errno != EPERM)
			_exit(3);
		if (syscall(SYS_get_robust_list, me, &head, &len) != -1 || errno != EPERM)
			_exit(4);
		_exit(0);
	}
	int st;
	MUST(waitpid(child, &st, 0));
	CHECKF("another user's kcmp and get_robust_list of root are EPERM",
	       WIFEXITED(st) && WEXITSTATUS(st) == 0, "status %#x", st);
	return check_done();
}

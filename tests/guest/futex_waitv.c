/*
 * Checks futex_waitv(2): a wake of the 2nd of 3 futexes returns index 1, a
 * value that differs at entry is EAGAIN, absolute timeouts on
 * CLOCK_MONOTONIC and CLOCK_REALTIME are ETIMEDOUT, the EINVAL cases (count,
 * flags, sizes, reserved bits, alignment, clock, timespec), EFAULT, a wake
 * from another process through a MAP_SHARED page without FUTEX2_PRIVATE, a
 * signal interrupting the wait (EINTR) and a wait restarted after an
 * SA_RESTART handler.
 */
#include "check.h"

#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>

#ifndef FUTEX2_SIZE_U32
#define FUTEX2_SIZE_U32 0x02
#endif
#ifndef FUTEX2_PRIVATE
#define FUTEX2_PRIVATE 128
#endif

static long waitv(struct futex_waitv *w, unsigned n, unsigned flags, struct timespec *to,
		  clockid_t clock)
{
	return syscall(SYS_futex_waitv, w, n, flags, to, clock);
}

static long wake(uint32_t *addr, int private)
{
	return syscall(SYS_futex, addr, private ? FUTEX_WAKE_PRIVATE : FUTEX_WAKE, 1, NULL, NULL, 0);
}

/* Wakes a waiter on ADDR once there is one (2 s at most); returns how many. */
static long wake_when_waiting(uint32_t *addr, int private)
{
	double end = now_ms() + 2000;
	long n;
	while ((n = wake(addr, private)) == 0 && now_ms() < end)
		sleep_ms(1);
	return n;
}

static uint32_t words[3];

static void fill(struct futex_waitv *w, uint32_t *addr, unsigned flags)
{
	for (int i = 0; i < 3; i++)
		w[i] = (struct futex_waitv){ .val = 0, .uaddr = (uintptr_t)&addr[i], .flags = flags };
}

static long thread_result;

static void *waiter(void *arg)
{
	(void)arg;
	struct futex_waitv w[3];
	fill(w, words, FUTEX2_SIZE_U32 | FUTEX2_PRIVATE);
	thread_result = waitv(w, 3, 0, NULL, 0);
	return NULL;
}

static struct timespec in_ms(clockid_t c, long ms)
{
	struct timespec ts;
	clock_gettime(c, &ts);
	ts.tv_nsec += ms * 1000000L;
	ts.tv_sec += ts.tv_nsec / 1000000000L;
	ts.tv_nsec %= 1000000000L;
	return ts;
}

static volatile sig_atomic_t alarms;

static void on_alrm(int sig)
{
	(void)sig;
	alarms++;
}

static void alarm_in(long ms, int restart)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_alrm;
	sa.sa_flags = restart ? SA_RESTART : 0;
	sigaction(SIGALRM, &sa, NULL);
	struct itimerval it = { { 0, 0 }, { 0, ms * 1000 } };
	setitimer(ITIMER_REAL, &it, NULL);
}

int main(void)
{
	struct futex_waitv w[3];

	pthread_t th;
	pthread_create(&th, NULL, waiter, NULL);
	CHECK("FUTEX_WAKE on the 2nd futex wakes the waiter", wake_when_waiting(&words[1], 1) == 1);
	pthread_join(th, NULL);
	CHECKF("futex_waitv returns index 1", thread_result == 1, "%ld", thread_result);

	fill(w, words, FUTEX2_SIZE_U32 | FUTEX2_PRIVATE);
	w[2].val = 5;
	CHECK_ERRNO("a value that differs: EAGAIN", waitv(w, 3, 0, NULL, 0), EAGAIN);

	fill(w, words, FUTEX2_SIZE_U32 | FUTEX2_PRIVATE);
	double t0 = now_ms();
	struct timespec to = in_ms(CLOCK_MONOTONIC, 50);
	CHECK_ERRNO("an absolute CLOCK_MONOTONIC timeout: ETIMEDOUT",
		    waitv(w, 3, 0, &to, CLOCK_MONOTONIC), ETIMEDOUT);
	CHECKF("after the timeout", now_ms() - t0 >= 45, "%.3f ms", now_ms() - t0);
	t0 = now_ms();
	to = in_ms(CLOCK_REALTIME, 50);
	CHECK_ERRNO("an absolute CLOCK_REALTIME timeout: ETIMEDOUT",
		    waitv(w, 3, 0, &to, CLOCK_REALTIME), ETIMEDOUT);
	CHECKF("after that one", now_ms() - t0 >= 45, "%.3f ms", now_ms() - t0);
	to = (struct timespec){ 0, 1 };
	CHECK_ERRNO("a timeout already past", waitv(w, 3, 0, &to, CLOCK_MONOTONIC), ETIMEDOUT);

	CHECK_ERRNO("no futexes: EINVAL", waitv(w, 0, 0, NULL, 0), EINVAL);
	CHECK_ERRNO("129 futexes: EINVAL", waitv(w, 129, 0, NULL, 0), EINVAL);
	CHECK_ERRNO("flags: EINVAL", waitv(w, 3, 1, NULL, 0), EINVAL);
	CHECK_ERRNO("no array: EINVAL", waitv(NULL, 3, 0, NULL, 0), EINVAL);
	to = in_ms(CLOCK_MONOTONIC, 50);
	CHECK_ERRNO("CLOCK_BOOTTIME: EINVAL", waitv(w, 3, 0, &to, CLOCK_BOOTTIME), EINVAL);
	to.tv_nsec = 1000000000L;
	CHECK_ERRNO("tv_nsec 1e9: EINVAL", waitv(w, 3, 0, &to, CLOCK_MONOTONIC), EINVAL);
	unsigned bad_flags[] = { 0, 1, 3, FUTEX2_PRIVATE, FUTEX2_SIZE_U32 | 0x100 };
	for (unsigned i = 0; i < sizeof bad_flags / sizeof bad_flags[0]; i++) {
		fill(w, words, FUTEX2_SIZE_U32);
		w[1].flags = bad_flags[i];
		char name[64];
		snprintf(name, sizeof name, "entry flags %#x: EINVAL", bad_flags[i]);
		CHECK_ERRNO(name, waitv(w, 3, 0, NULL, 0), EINVAL);
	}
	fill(w, words, FUTEX2_SIZE_U32);
	w[0].__reserved = 1;
	CHECK_ERRNO("reserved bits: EINVAL", waitv(w, 3, 0, NULL, 0), EINVAL);
	fill(w, words, FUTEX2_SIZE_U32);
	w[2].val = 1ULL << 32;
	CHECK_ERRNO("a value wider than 32 bits: EINVAL", waitv(w, 3, 0, NULL, 0), EINVAL);
	fill(w, words, FUTEX2_SIZE_U32);
	w[1].uaddr += 2;
	CHECK_ERRNO("an unaligned address: EINVAL", waitv(w, 3, 0, NULL, 0), EINVAL);

	fill(w, words, FUTEX2_SIZE_U32);
	w[1].uaddr = 0;
	CHECK_ERRNO("an unmapped futex: EFAULT", waitv(w, 3, 0, NULL, 0), EFAULT);
	CHECK_ERRNO("an unmapped array: EFAULT", waitv((void *)16, 3, 0, NULL, 0), EFAULT);
	fill(w, words, FUTEX2_SIZE_U32);
	CHECK_ERRNO("an unmapped timeout: EFAULT", waitv(w, 3, 0, (void *)16, CLOCK_MONOTONIC),
		    EFAULT);

	/* Another process wakes us through a shared page. */
	uint32_t *shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK("mmap MAP_SHARED", shared != MAP_FAILED);
	pid_t child = fork();
	if (child == 0) {
		struct futex_waitv cw[2];
		uint32_t local = 0;
		cw[0] = (struct futex_waitv){ .uaddr = (uintptr_t)&local,
					      .flags = FUTEX2_SIZE_U32 | FUTEX2_PRIVATE };
		cw[1] = (struct futex_waitv){ .uaddr = (uintptr_t)&shared[1], .flags = FUTEX2_SIZE_U32 };
		_exit((int)waitv(cw, 2, 0, NULL, 0) + 10);
	}
	CHECK("a FUTEX_WAKE in another process", wake_when_waiting(&shared[1], 0) == 1);
	int status;
	waitpid(child, &status, 0);
	CHECKF("wakes the shared futex's waiter: index 1", WIFEXITED(status) && WEXITSTATUS(status) == 11,
	       "status %#x", status);

	fill(w, words, FUTEX2_SIZE_U32 | FUTEX2_PRIVATE);
	alarm_in(50, 0);
	CHECK_ERRNO("a signal interrupts the wait: EINTR", waitv(w, 3, 0, NULL, 0), EINTR);
	CHECK("its handler ran", alarms == 1);
	alarm_in(50, 1);
	t0 = now_ms();
	to = in_ms(CLOCK_MONOTONIC, 300);
	CHECK_ERRNO("an SA_RESTART handler: the wait goes on to its timeout",
		    waitv(w, 3, 0, &to, CLOCK_MONOTONIC), ETIMEDOUT);
	CHECKF("after the handler", alarms == 2 && now_ms() - t0 >= 290, "alarms %d, %.3f ms",
	       (int)alarms, now_ms() - t0);
	return check_done();
}

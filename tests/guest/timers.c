/*
 * Checks clocks and timers: every clock reads and advances, clock_getres,
 * absolute clock_nanosleep, alarm with pause, a periodic ITIMER_REAL,
 * ITIMER_VIRTUAL counting CPU time, POSIX timers with signal values, thread
 * targets and overruns (and the whole struct sigevent read, as Linux reads
 * it), and timerfd expiration counts. Durations are only
 * checked from below: a loaded host may always be slower.
 */
#include "check.h"

#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <time.h>

static double mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static volatile sig_atomic_t alrm, vtalrm;
static volatile int got_value, got_code, got_overrun, got_tid, got_getoverrun;
/* Set by the first timer signal after a check cleared it: a periodic timer's
 * later signals (a busy host may let several in before the check reads) do
 * not overwrite what that one carried. */
static volatile int got_any;
static timer_t current_timer;

static void on_alrm(int sig)
{
	(void)sig;
	alrm++;
}

static void on_vtalrm(int sig)
{
	(void)sig;
	vtalrm++;
}

static void on_timer(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	if (got_any)
		return;
	got_value = si->si_value.sival_int;
	got_code = si->si_code;
	got_overrun = si->si_overrun;
	got_tid = (int)syscall(SYS_gettid);
	got_getoverrun = timer_getoverrun(current_timer);
	got_any = 1;
}

static void test_clocks(void)
{
	clockid_t clocks[] = { CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID,
			       CLOCK_MONOTONIC_RAW, CLOCK_REALTIME_COARSE, CLOCK_MONOTONIC_COARSE, CLOCK_BOOTTIME };
	int good = 1;
	for (unsigned i = 0; i < sizeof clocks / sizeof *clocks; i++) {
		struct timespec a, b, res;
		if (clock_gettime(clocks[i], &a) || clock_getres(clocks[i], &res))
			good = 0;
		for (volatile int k = 0; k < 100000; k++)
			;
		if (clock_gettime(clocks[i], &b) || b.tv_sec < a.tv_sec ||
		    (b.tv_sec == a.tv_sec && b.tv_nsec < a.tv_nsec))
			good = 0;
	}
	CHECK("every clock reads and never goes back", good);
	struct timespec ts;
	CHECK_ERRNO("an unknown clock: EINVAL", clock_gettime(99, &ts), EINVAL);
	struct timeval tv;
	CHECK("gettimeofday agrees with CLOCK_REALTIME", gettimeofday(&tv, NULL) == 0 &&
	      clock_gettime(CLOCK_REALTIME, &ts) == 0 && ts.tv_sec - tv.tv_sec <= 1);
	CHECK("time() agrees", labs(time(NULL) - ts.tv_sec) <= 1);

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_nsec += 30 * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	double start = mono();
	CHECK("clock_nanosleep TIMER_ABSTIME", clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == 0);
	CHECKF("absolute sleep lasted until the deadline", mono() - start >= 0.025, "%.3f", mono() - start);
}

static void test_itimers(void)
{
	signal(SIGALRM, on_alrm);
	alrm = 0;
	CHECK("alarm returns 0 when none was set", alarm(1) == 0);
	CHECK("alarm returns the time left", alarm(0) == 1);
	struct itimerval it = { { 0, 20000 }, { 0, 20000 } }, cur;
	double start = mono();
	CHECK_SYS("setitimer ITIMER_REAL every 20 ms", setitimer(ITIMER_REAL, &it, NULL));
	while (alrm < 5)
		usleep(1000);
	double took = mono() - start;
	CHECK("getitimer shows the period", getitimer(ITIMER_REAL, &cur) == 0 && cur.it_interval.tv_usec == 20000);
	struct itimerval off = { { 0, 0 }, { 0, 0 } };
	MUST(setitimer(ITIMER_REAL, &off, NULL));
	CHECKF("5 periods took at least 100 ms", took >= 0.095, "%.3f s", took);
	CHECK("a disarmed timer reads zero", getitimer(ITIMER_REAL, &cur) == 0 && cur.it_value.tv_sec == 0 &&
	      cur.it_value.tv_usec == 0);

	signal(SIGVTALRM, on_vtalrm);
	struct itimerval v = { { 0, 0 }, { 0, 50000 } };
	CHECK_SYS("setitimer ITIMER_VIRTUAL 50 ms", setitimer(ITIMER_VIRTUAL, &v, NULL));
	double until = mono() + 10;
	while (!vtalrm && mono() < until)
		;
	CHECK("SIGVTALRM after 50 ms of CPU time", vtalrm == 1);

	/* Regression: a timeout at the end of time must not overflow the kernel's clock. */
	alrm = 0;
	struct itimerval soon = { { 0, 0 }, { 0, 20000 } };
	MUST(setitimer(ITIMER_REAL, &soon, NULL));
	struct timespec forever = { INT64_MAX, 0 };
	int r = nanosleep(&forever, NULL);
	int e = errno;
	CHECKF("nanosleep(INT64_MAX s) sleeps until a signal", r == -1 && e == EINTR && alrm == 1,
	       "r %d errno %d alrm %d", r, e, (int)alrm);
}

static void install_timer_handler(int sig)
{
	struct sigaction sa = { 0 };
	sa.sa_sigaction = on_timer;
	sa.sa_flags = SA_SIGINFO;
	MUST(sigaction(sig, &sa, NULL));
}

static void test_posix_timers(void)
{
	install_timer_handler(SIGRTMIN);
	struct sigevent ev = { 0 };
	ev.sigev_notify = SIGEV_SIGNAL;
	ev.sigev_signo = SIGRTMIN;
	ev.sigev_value.sival_int = 9876;
	timer_t t;
	CHECK_SYS("timer_create", timer_create(CLOCK_MONOTONIC, &ev, &t));
	current_timer = t;
	struct itimerspec its = { { 0, 0 }, { 0, 10 * 1000000 } };
	got_value = 0;
	got_any = 0;
	CHECK_SYS("timer_settime one-shot 10 ms", timer_settime(t, 0, &its, NULL));
	double until = mono() + 5;
	while (!got_value && mono() < until)
		usleep(1000);
	CHECKF("the timer's signal carries its value and SI_TIMER", got_value == 9876 && got_code == SI_TIMER,
	       "value %d code %d", got_value, got_code);

	/* Expiries while the signal is blocked become its overrun count. */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGRTMIN);
	MUST(sigprocmask(SIG_BLOCK, &set, NULL));
	struct itimerspec periodic = { { 0, 5 * 1000000 }, { 0, 5 * 1000000 } };
	MUST(timer_settime(t, 0, &periodic, NULL));
	struct timespec wait = { 0, 60 * 1000000 };
	nanosleep(&wait, NULL);
	struct itimerspec now;
	CHECK("timer_gettime shows the period", timer_gettime(t, &now) == 0 && now.it_interval.tv_nsec == 5000000);
	got_value = 0;
	got_any = 0;
	MUST(sigprocmask(SIG_UNBLOCK, &set, NULL));
	CHECKF("one signal for many expiries, with an overrun", got_value == 9876 && got_overrun >= 3,
	       "value %d overrun %d", got_value, got_overrun);
	CHECKF("timer_getoverrun in the handler matches si_overrun", got_getoverrun == got_overrun,
	       "%d vs %d", got_getoverrun, got_overrun);
	CHECK_SYS("timer_delete", timer_delete(t));
	CHECK_ERRNO("a deleted timer: EINVAL", timer_gettime(t, &now), EINVAL);

	ev.sigev_notify = SIGEV_THREAD_ID;
	ev._sigev_un._tid = (int)syscall(SYS_gettid);
	CHECK_SYS("timer_create SIGEV_THREAD_ID", timer_create(CLOCK_REALTIME, &ev, &t));
	current_timer = t;
	struct timespec abs;
	clock_gettime(CLOCK_REALTIME, &abs);
	abs.tv_nsec += 10 * 1000000;
	if (abs.tv_nsec >= 1000000000) {
		abs.tv_sec++;
		abs.tv_nsec -= 1000000000;
	}
	struct itimerspec at = { { 0, 0 }, abs };
	got_tid = 0;
	got_any = 0;
	MUST(timer_settime(t, TIMER_ABSTIME, &at, NULL));
	until = mono() + 5;
	while (!got_tid && mono() < until)
		usleep(1000);
	CHECK("an absolute REALTIME timer reaches its thread", got_tid == (int)syscall(SYS_gettid));
	timer_delete(t);

	/* The kernel copies the whole 64-byte struct sigevent: one that runs
	 * into an unmapped page is EFAULT though the fields in use are readable. */
	char *pages = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	MUST(pages == MAP_FAILED ? -1 : 0);
	MUST(munmap(pages + 4096, 4096));
	struct sigevent none = { .sigev_notify = SIGEV_NONE };
	struct sigevent *whole = (struct sigevent *)(pages + 4096 - sizeof none);
	struct sigevent *cut = (struct sigevent *)(pages + 4096 - 24);
	memcpy(whole, &none, sizeof none);
	int kid;
	CHECK_SYS("timer_create with a sigevent ending at a page end",
		  syscall(SYS_timer_create, CLOCK_MONOTONIC, whole, &kid));
	syscall(SYS_timer_delete, kid);
	memcpy(cut, &none, 24);
	CHECK_ERRNO("timer_create with a sigevent cut by an unmapped page: EFAULT",
		    syscall(SYS_timer_create, CLOCK_MONOTONIC, cut, &kid), EFAULT);
	munmap(pages, 4096);
}

static void test_timerfd(void)
{
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	CHECK_SYS("timerfd_create", fd);
	uint64_t n;
	CHECK_ERRNO("an unarmed timerfd: EAGAIN", read(fd, &n, 8), EAGAIN);
	struct itimerspec its = { { 0, 10 * 1000000 }, { 0, 10 * 1000000 } };
	CHECK_SYS("timerfd_settime", timerfd_settime(fd, 0, &its, NULL));
	struct timespec wait = { 0, 55 * 1000000 };
	nanosleep(&wait, NULL);
	CHECKF("timerfd counts expirations", read(fd, &n, 8) == 8 && n >= 4, "n %llu", (unsigned long long)n);
	CHECK_ERRNO("a short read: EINVAL", read(fd, &n, 4), EINVAL);
	struct itimerspec cur;
	CHECK("timerfd_gettime", timerfd_gettime(fd, &cur) == 0 && cur.it_interval.tv_nsec == 10000000);
	close(fd);
}

int main(void)
{
	test_clocks();
	test_itimers();
	test_posix_timers();
	test_timerfd();
	return check_done();
}

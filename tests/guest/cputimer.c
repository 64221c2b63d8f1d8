/*
 * Checks CPU-time clocks, POSIX timers on them and clock_nanosleep on them:
 * a CLOCK_PROCESS_CPUTIME_ID timer fires only once the process has burned
 * its time (not while it sleeps), intervals fire again and again, overruns
 * count the expiries a blocked signal missed, SIGEV_THREAD_ID picks the
 * thread, SIGEV_NONE only counts down, TIMER_ABSTIME; a thread's clock
 * (pthread_getcpuclockid) counts that thread only; another process's clock
 * (clock_getcpuclockid) is read, timed and slept on; clock_nanosleep's
 * EINVAL for the caller's own thread clock and bad timespecs, EINTR with
 * the CPU time left. Margins are wide: only the order of events is checked
 * strictly (a timer never fires before its CPU time is used).
 */
#include "check.h"

#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>

static volatile sig_atomic_t fired, fired_tid, fired_overrun, fired_code, alarms;

static void on_usr1(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	/* Everything first, then the count the main thread polls: it must
	 * not see the count before the thread id. */
	if (fired == 0)
		fired_overrun = si->si_overrun;
	fired_tid = (int)syscall(SYS_gettid);
	fired_code = si->si_code;
	fired++;
}

static void on_alrm(int sig)
{
	(void)sig;
	alarms++;
}

/* Returns what clock C reads, in milliseconds. */
static double ms(clockid_t c)
{
	struct timespec ts;
	if (clock_gettime(c, &ts) != 0)
		return -1;
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Burns CPU until clock C reads END ms or a signal has fired; returns the
 * reading when it stopped. */
static double burn_until(clockid_t c, double end, int stop_on_fire)
{
	double now;
	while ((now = ms(c)) < end)
		if (stop_on_fire && fired)
			break;
	return now;
}

static timer_t make_timer(clockid_t c, int notify, int tid)
{
	struct sigevent sev;
	memset(&sev, 0, sizeof sev);
	sev.sigev_notify = notify;
	sev.sigev_signo = SIGUSR1;
	sev._sigev_un._tid = tid;
	timer_t t = 0;
	if (timer_create(c, &sev, &t) != 0)
		check_fail("timer_create", errno, "clock %d notify %d", (int)c, notify);
	return t;
}

static int set_ms(timer_t t, int flags, double value, double interval)
{
	struct itimerspec its = {
		{ (time_t)(interval / 1e3), (long)((interval - (time_t)(interval / 1e3) * 1e3) * 1e6) },
		{ (time_t)(value / 1e3), (long)((value - (time_t)(value / 1e3) * 1e3) * 1e6) },
	};
	return timer_settime(t, flags, &its, NULL);
}

static double left_ms(timer_t t)
{
	struct itimerspec its;
	if (timer_gettime(t, &its) != 0)
		return -1;
	return its.it_value.tv_sec * 1e3 + its.it_value.tv_nsec / 1e6;
}

static volatile int stop_threads;

static void *sleeper(void *arg)
{
	*(volatile int *)arg = (int)syscall(SYS_gettid);
	while (!stop_threads)
		sleep_ms(1);
	return NULL;
}

static volatile int burned;

/* Burns 60 ms of its own CPU time, then waits. */
static void *burner(void *arg)
{
	(void)arg;
	burn_until(CLOCK_THREAD_CPUTIME_ID, 60, 0);
	burned = 1;
	while (!stop_threads)
		sleep_ms(1);
	return NULL;
}

/* Burns CPU until told to stop. */
static void *spinner(void *arg)
{
	(void)arg;
	while (!stop_threads)
		;
	return NULL;
}

static void process_timer(void)
{
	timer_t t = make_timer(CLOCK_PROCESS_CPUTIME_ID, SIGEV_SIGNAL, 0);
	fired = 0;
	/* Linux's own process timers may fire a few ms early by this clock. */
	double armed = ms(CLOCK_PROCESS_CPUTIME_ID);
	CHECK_SYS("arm a 100 ms process CPU timer", set_ms(t, 0, 100, 0));
	double l0 = left_ms(t);
	CHECKF("timer_gettime shows at most 100 ms", l0 > 0 && l0 <= 100, "%.3f", l0);
	sleep_ms(300);
	CHECKF("no expiry while the process sleeps", fired == 0, "fired %d", (int)fired);
	double l1 = left_ms(t);
	CHECKF("little CPU time went by in the sleep", l1 > 50, "%.3f left", l1);
	double start = ms(CLOCK_PROCESS_CPUTIME_ID);
	burn_until(CLOCK_PROCESS_CPUTIME_ID, start + 30, 0);
	double l2 = left_ms(t);
	CHECKF("timer_gettime counts down with CPU time", l2 > 0 && l2 < l1 - 20, "%.3f then %.3f",
	       l1, l2);
	double at = burn_until(CLOCK_PROCESS_CPUTIME_ID, start + 5000, 1);
	CHECKF("it fires once its CPU time is used", fired == 1, "fired %d", (int)fired);
	CHECKF("not before", at >= armed + 95, "at %.3f", at - armed);
	CHECKF("soon after", at <= armed + 600, "at %.3f", at - armed);
	CHECKF("a fired one-shot timer shows 0", left_ms(t) == 0, "%.3f", left_ms(t));

	/* An interval timer fires again and again, and stops when disarmed. */
	fired = 0;
	CHECK_SYS("arm 20 ms every 20 ms", set_ms(t, 0, 20, 20));
	start = ms(CLOCK_PROCESS_CPUTIME_ID);
	burn_until(CLOCK_PROCESS_CPUTIME_ID, start + 300, 0);
	CHECKF("an interval timer fires repeatedly", fired >= 5 && fired <= 16, "fired %d",
	       (int)fired);
	struct itimerspec its;
	CHECK("timer_gettime shows the interval",
	      timer_gettime(t, &its) == 0 && its.it_interval.tv_nsec == 20000000 &&
		      its.it_value.tv_nsec > 0 && its.it_value.tv_nsec <= 20000000);
	CHECK_SYS("disarm", set_ms(t, 0, 0, 0));
	int n = fired;
	burn_until(CLOCK_PROCESS_CPUTIME_ID, ms(CLOCK_PROCESS_CPUTIME_ID) + 60, 0);
	CHECKF("a disarmed timer stays quiet", fired == n, "%d then %d", n, (int)fired);

	/* Expiries while the signal is blocked are its overrun. */
	sigset_t usr1, old;
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigprocmask(SIG_BLOCK, &usr1, &old);
	fired = 0;
	CHECK_SYS("arm 5 ms every 5 ms", set_ms(t, 0, 5, 5));
	burn_until(CLOCK_PROCESS_CPUTIME_ID, ms(CLOCK_PROCESS_CPUTIME_ID) + 150, 0);
	CHECKF("none while blocked", fired == 0, "fired %d", (int)fired);
	/* Unblocked before the disarm: Linux 6.12 drops a signal of a timer
	 * set again since it was queued. */
	sigprocmask(SIG_SETMASK, &old, NULL);
	CHECK_SYS("disarm it", set_ms(t, 0, 0, 0));
	CHECKF("a signal for the blocked expiries", fired >= 1, "fired %d", (int)fired);
	CHECKF("the missed ones are its overrun", fired_overrun >= 5 && fired_overrun <= 40,
	       "overrun %d", (int)fired_overrun);

	/* TIMER_ABSTIME: the expiry is a reading of the clock. */
	fired = 0;
	double due = ms(CLOCK_PROCESS_CPUTIME_ID) + 50;
	CHECK_SYS("arm at an absolute CPU time", set_ms(t, TIMER_ABSTIME, due, 0));
	at = burn_until(CLOCK_PROCESS_CPUTIME_ID, due + 5000, 1);
	CHECKF("an absolute timer fires at that CPU time", fired == 1 && at >= due - 5,
	       "fired %d at %.3f due %.3f", (int)fired, at, due);
	fired = 0;
	CHECK_SYS("an absolute time already past", set_ms(t, TIMER_ABSTIME, 1, 0));
	double wall = now_ms();
	while (!fired && now_ms() < wall + 2000)
		sleep_ms(1);
	CHECK("fires at once, even while the process sleeps", fired == 1);
	CHECK_SYS("timer_delete", timer_delete(t));
	CHECK_ERRNO("a deleted timer is gone", timer_gettime(t, &its), EINVAL);

	/* SIGEV_NONE: no signal, but the time left counts down to 0. */
	t = make_timer(CLOCK_PROCESS_CPUTIME_ID, SIGEV_NONE, 0);
	fired = 0;
	CHECK_SYS("arm a SIGEV_NONE timer", set_ms(t, 0, 40, 0));
	burn_until(CLOCK_PROCESS_CPUTIME_ID, ms(CLOCK_PROCESS_CPUTIME_ID) + 100, 0);
	CHECKF("SIGEV_NONE: no signal, 0 left", fired == 0 && left_ms(t) == 0, "fired %d left %.3f",
	       (int)fired, left_ms(t));
	timer_delete(t);
}

static void thread_timers(void)
{
	/* SIGEV_THREAD_ID sends the signal to the chosen thread. */
	volatile int tid = 0;
	pthread_t th;
	stop_threads = 0;
	pthread_create(&th, NULL, sleeper, (void *)&tid);
	while (!tid)
		sleep_ms(1);
	timer_t t = make_timer(CLOCK_PROCESS_CPUTIME_ID, SIGEV_THREAD_ID, tid);
	fired = 0;
	CHECK_SYS("arm a SIGEV_THREAD_ID timer", set_ms(t, 0, 30, 0));
	burn_until(CLOCK_PROCESS_CPUTIME_ID, ms(CLOCK_PROCESS_CPUTIME_ID) + 5000, 1);
	double wall = now_ms();
	while (!fired && now_ms() < wall + 2000)
		sleep_ms(1);
	CHECKF("SIGEV_THREAD_ID reaches that thread", fired == 1 && fired_tid == tid,
	       "fired %d in %d, not %d, si_code %d", (int)fired, (int)fired_tid, tid, (int)fired_code);
	timer_delete(t);
	stop_threads = 1;
	pthread_join(th, NULL);

	/* A thread's clock counts that thread only. */
	stop_threads = 0;
	burned = 0;
	double mine0 = ms(CLOCK_THREAD_CPUTIME_ID);
	pthread_create(&th, NULL, burner, NULL);
	clockid_t tc;
	CHECK("pthread_getcpuclockid", pthread_getcpuclockid(th, &tc) == 0);
	struct timespec res;
	CHECK_SYS("clock_getres of a thread's clock", clock_getres(tc, &res));
	t = make_timer(CLOCK_THREAD_CPUTIME_ID, SIGEV_SIGNAL, 0);
	fired = 0;
	CHECK_SYS("arm a 30 ms timer on the caller's thread clock", set_ms(t, 0, 30, 0));
	while (!burned)
		sleep_ms(1);
	double other = ms(tc), mine = ms(CLOCK_THREAD_CPUTIME_ID);
	CHECKF("the thread's clock shows its 60 ms", other >= 60 && other < 5000, "%.3f", other);
	CHECKF("the caller's own thread clock did not move with it", mine - mine0 < 30,
	       "mine %.3f, its %.3f", mine - mine0, other);
	CHECKF("a thread clock timer ignores other threads", fired == 0, "fired %d", (int)fired);
	burn_until(CLOCK_THREAD_CPUTIME_ID, mine + 5000, 1);
	CHECK("and fires on its own thread's time", fired == 1);
	timer_delete(t);
	struct timespec ts = { 0, 10000000 };
	CHECK("clock_nanosleep on the caller's thread clock: EINVAL",
	      clock_nanosleep(CLOCK_THREAD_CPUTIME_ID, 0, &ts, NULL) == EINVAL);
	clockid_t self;
	pthread_getcpuclockid(pthread_self(), &self);
	CHECK("and on its pthread_getcpuclockid clock: EINVAL",
	      clock_nanosleep(self, 0, &ts, NULL) == EINVAL);
	stop_threads = 1;
	pthread_join(th, NULL);

	/* The process clock advances with any thread; a sleep on it waits for them. */
	stop_threads = 0;
	pthread_create(&th, NULL, spinner, NULL);
	double before = ms(CLOCK_PROCESS_CPUTIME_ID);
	ts = (struct timespec){ 0, 80000000 };
	int r = clock_nanosleep(CLOCK_PROCESS_CPUTIME_ID, 0, &ts, NULL);
	double after = ms(CLOCK_PROCESS_CPUTIME_ID);
	CHECKF("clock_nanosleep on the process clock while a thread spins", r == 0 && after >= before + 80,
	       "r %d, %.3f ms", r, after - before);
	ts = (struct timespec){ (time_t)((after + 50) / 1e3), 0 };
	ts.tv_nsec = (long)((after + 50 - ts.tv_sec * 1e3) * 1e6);
	r = clock_nanosleep(CLOCK_PROCESS_CPUTIME_ID, TIMER_ABSTIME, &ts, NULL);
	CHECKF("and an absolute one", r == 0 && ms(CLOCK_PROCESS_CPUTIME_ID) >= after + 50, "r %d", r);
	stop_threads = 1;
	pthread_join(th, NULL);
}

static void other_process(void)
{
	pid_t child = fork();
	if (child == 0) {
		for (;;)
			;
	}
	clockid_t c;
	CHECK("clock_getcpuclockid of a child", clock_getcpuclockid(child, &c) == 0);
	struct timespec res;
	CHECK_SYS("clock_getres of its clock", clock_getres(c, &res));
	double mine = ms(CLOCK_PROCESS_CPUTIME_ID), before = ms(c);
	CHECKF("its clock reads", before >= 0, "%.3f", before);
	struct timespec ts = { 0, 100000000 };
	int r = clock_nanosleep(c, 0, &ts, NULL);
	double after = ms(c);
	CHECKF("a sleep on its clock lasts 100 ms of its CPU time", r == 0 && after >= before + 100,
	       "r %d, %.3f ms", r, after - before);
	CHECKF("while the sleeper burned little", ms(CLOCK_PROCESS_CPUTIME_ID) < mine + 50, "%.3f",
	       ms(CLOCK_PROCESS_CPUTIME_ID) - mine);
	timer_t t = make_timer(c, SIGEV_SIGNAL, 0);
	fired = 0;
	CHECK_SYS("a timer on its clock", set_ms(t, 0, 50, 0));
	double wall = now_ms();
	while (!fired && now_ms() < wall + 10000)
		sleep_ms(1);
	CHECKF("fires for the timer's owner on the child's CPU time", fired == 1 && ms(c) >= after + 50,
	       "fired %d", (int)fired);
	timer_delete(t);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	CHECK_ERRNO("a reaped child's clock: EINVAL", clock_gettime(c, &ts), EINVAL);
	CHECK("clock_getcpuclockid of it: ESRCH", clock_getcpuclockid(child, &c) == ESRCH);
	clockid_t nobody = (clockid_t)((~(unsigned)999999 << 3) | 2);
	CHECK_ERRNO("a clock of no pid: EINVAL", clock_gettime(nobody, &ts), EINVAL);
	CHECK_ERRNO("timer_create on it: EINVAL", timer_create(nobody, NULL, &t), EINVAL);
	clockid_t bad = (clockid_t)((~(unsigned)getpid() << 3) | 7);
	CHECK_ERRNO("CPUCLOCK_WHICH 3: EINVAL", clock_gettime(bad, &ts), EINVAL);
}

static void errors(void)
{
	struct timespec bad = { 0, 1000000000 };
	CHECK("clock_nanosleep with tv_nsec 1e9: EINVAL",
	      clock_nanosleep(CLOCK_PROCESS_CPUTIME_ID, 0, &bad, NULL) == EINVAL);
	bad = (struct timespec){ -1, 0 };
	CHECK("with a negative tv_sec: EINVAL",
	      clock_nanosleep(CLOCK_PROCESS_CPUTIME_ID, 0, &bad, NULL) == EINVAL);
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_alrm;
	sigaction(SIGALRM, &sa, NULL);
	struct itimerval it = { { 0, 0 }, { 0, 100000 } };
	setitimer(ITIMER_REAL, &it, NULL);
	struct timespec ts = { 10, 0 }, rem = { 0, 0 };
	int r = clock_nanosleep(CLOCK_PROCESS_CPUTIME_ID, 0, &ts, &rem);
	CHECKF("a signal interrupts a process clock sleep: EINTR", r == EINTR && alarms == 1,
	       "r %d alarms %d", r, (int)alarms);
	CHECKF("with the CPU time left", rem.tv_sec == 9 && rem.tv_nsec > 0,
	       "%ld.%09ld", (long)rem.tv_sec, rem.tv_nsec);
}

int main(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_usr1;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigaction(SIGUSR1, &sa, NULL);
	struct timespec res;
	CHECK("clock_getres of CLOCK_PROCESS_CPUTIME_ID: 1 ns",
	      clock_getres(CLOCK_PROCESS_CPUTIME_ID, &res) == 0 && res.tv_sec == 0 && res.tv_nsec == 1);
	process_timer();
	thread_timers();
	other_process();
	errors();
	return check_done();
}

/*
 * Checks POSIX threads as glibc builds them on clone, futexes and signals:
 * 8 threads contending on a mutex 20000 times each, a condition variable
 * queue, thread-local storage, join values, cancellation of a blocked thread,
 * pthread_kill, concurrent mmap/munmap (TLB shootdown), robust mutexes whose
 * owner died, fork and exec from a threaded process.
 */
#include "check.h"

#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#ifndef EXIT42
#define EXIT42 "/bin/exit42"
#endif
#define THREADS 8
#define ROUNDS 20000

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static long counter;
static __thread long tls_value = 5;

static void *contend(void *arg)
{
	long id = (long)arg;
	tls_value = id * 100;
	for (int i = 0; i < ROUNDS; i++) {
		pthread_mutex_lock(&lock);
		long c = counter;
		if (i % 1000 == 0)
			sched_yield();
		counter = c + 1;
		pthread_mutex_unlock(&lock);
	}
	/* TLS survives all that and is per thread. */
	return (void *)(tls_value + syscall(SYS_gettid) * 0);
}

static void test_mutex_tls_join(void)
{
	pthread_t t[THREADS];
	for (long i = 0; i < THREADS; i++)
		if (pthread_create(&t[i], NULL, contend, (void *)(i + 1)) != 0)
			check_fail("pthread_create", errno, "thread %ld", i);
	int joins_ok = 1;
	for (long i = 0; i < THREADS; i++) {
		void *ret;
		if (pthread_join(t[i], &ret) != 0 || (long)ret != (i + 1) * 100)
			joins_ok = 0;
	}
	CHECKF("mutex: 8 threads x 20000 increments", counter == THREADS * ROUNDS,
	       "counter %ld, expected %d", counter, THREADS * ROUNDS);
	CHECK("join values carry each thread's TLS", joins_ok);
	CHECKF("main thread's TLS untouched", tls_value == 5, "tls %ld", tls_value);
}

#define QUEUE_ITEMS 5000
static pthread_cond_t nonempty = PTHREAD_COND_INITIALIZER, nonfull = PTHREAD_COND_INITIALIZER;
static int queue[16], qhead, qlen;

static void *producer(void *arg)
{
	(void)arg;
	for (int i = 1; i <= QUEUE_ITEMS; i++) {
		pthread_mutex_lock(&lock);
		while (qlen == 16)
			pthread_cond_wait(&nonfull, &lock);
		queue[(qhead + qlen++) % 16] = i;
		pthread_cond_signal(&nonempty);
		pthread_mutex_unlock(&lock);
	}
	return NULL;
}

static void *consumer(void *arg)
{
	(void)arg;
	long sum = 0;
	for (int i = 0; i < QUEUE_ITEMS; i++) {
		pthread_mutex_lock(&lock);
		while (qlen == 0)
			pthread_cond_wait(&nonempty, &lock);
		sum += queue[qhead];
		qhead = (qhead + 1) % 16;
		qlen--;
		pthread_cond_signal(&nonfull);
		pthread_mutex_unlock(&lock);
	}
	return (void *)sum;
}

static void test_condvar(void)
{
	pthread_t p, c;
	MUST(pthread_create(&p, NULL, producer, NULL) == 0 ? 0 : -1);
	MUST(pthread_create(&c, NULL, consumer, NULL) == 0 ? 0 : -1);
	void *sum;
	pthread_join(p, NULL);
	pthread_join(c, &sum);
	long expect = (long)QUEUE_ITEMS * (QUEUE_ITEMS + 1) / 2;
	CHECKF("condvar producer/consumer", (long)sum == expect, "sum %ld, expected %ld", (long)sum, expect);
}

static pthread_cond_t never = PTHREAD_COND_INITIALIZER;
static volatile int cleanup_ran;

static void cleanup(void *arg)
{
	(void)arg;
	cleanup_ran = 1;
	pthread_mutex_unlock(&lock);
}

static void *wait_forever(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&lock);
	pthread_cleanup_push(cleanup, NULL);
	for (;;)
		pthread_cond_wait(&never, &lock);
	pthread_cleanup_pop(1);
	return NULL;
}

static void *sleep_forever(void *arg)
{
	(void)arg;
	for (;;)
		sleep(100);
	return NULL;
}

static void test_cancel(void)
{
	pthread_t t;
	MUST(pthread_create(&t, NULL, wait_forever, NULL) == 0 ? 0 : -1);
	struct timespec ts = { 0, 20 * 1000000 };
	nanosleep(&ts, NULL);
	CHECK("pthread_cancel", pthread_cancel(t) == 0);
	void *ret;
	CHECK("cancelled thread in cond_wait joins with PTHREAD_CANCELED",
	      pthread_join(t, &ret) == 0 && ret == PTHREAD_CANCELED && cleanup_ran);
	MUST(pthread_create(&t, NULL, sleep_forever, NULL) == 0 ? 0 : -1);
	nanosleep(&ts, NULL);
	pthread_cancel(t);
	CHECK("cancelled thread in sleep joins", pthread_join(t, &ret) == 0 && ret == PTHREAD_CANCELED);
	CHECK("the mutex is free again", pthread_mutex_trylock(&lock) == 0 && pthread_mutex_unlock(&lock) == 0);
}

static volatile pid_t handler_tid;

static void on_usr1(int sig)
{
	(void)sig;
	handler_tid = (pid_t)syscall(SYS_gettid);
}

static volatile pid_t worker_tid;
static volatile int worker_go;

static void *spin_until(void *arg)
{
	(void)arg;
	worker_tid = (pid_t)syscall(SYS_gettid);
	while (!worker_go && !handler_tid)
		;
	return NULL;
}

static void test_pthread_kill(void)
{
	signal(SIGUSR1, on_usr1);
	pthread_t t;
	MUST(pthread_create(&t, NULL, spin_until, NULL) == 0 ? 0 : -1);
	while (!worker_tid)
		sched_yield();
	CHECK("pthread_kill", pthread_kill(t, SIGUSR1) == 0);
	pthread_join(t, NULL);
	CHECKF("the handler ran in the target thread", handler_tid == worker_tid,
	       "handler in %d, target %d", handler_tid, worker_tid);
	CHECK("threads share the pid", getpid() == (pid_t)syscall(SYS_getpid));
}

static volatile int stop_mapping;
static volatile long map_rounds[4];

static void *map_unmap(void *arg)
{
	long id = (long)arg;
	while (!stop_mapping) {
		char *p = mmap(NULL, 64 * 1024, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			return (void *)1;
		for (int i = 0; i < 16; i++)
			p[i * 4096] = (char)id;
		for (int i = 0; i < 16; i++)
			if (p[i * 4096] != (char)id)
				return (void *)2;
		munmap(p, 64 * 1024);
		map_rounds[id]++;
	}
	return NULL;
}

static void test_shootdown(void)
{
	/* A page munmap'ed by one thread must fault in another that touched it. */
	char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	p[0] = 1;
	pthread_t t[4];
	for (long i = 0; i < 4; i++)
		MUST(pthread_create(&t[i], NULL, map_unmap, (void *)i) == 0 ? 0 : -1);
	struct timespec ts = { 0, 300 * 1000000 };
	nanosleep(&ts, NULL);
	stop_mapping = 1;
	int good = 1;
	for (int i = 0; i < 4; i++) {
		void *r;
		pthread_join(t[i], &r);
		if (r != NULL || map_rounds[i] == 0)
			good = 0;
	}
	CHECKF("4 threads mmap, touch and munmap concurrently", good, "rounds %ld %ld %ld %ld",
	       map_rounds[0], map_rounds[1], map_rounds[2], map_rounds[3]);
	MUST(mprotect(p, 4096, PROT_READ));
	CHECK("mprotect seen by all threads", p[0] == 1);
}

static pthread_mutex_t robust;

static void *die_holding(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&robust);
	return NULL; /* exits with the mutex held */
}

static void test_robust(void)
{
	pthread_mutexattr_t a;
	pthread_mutexattr_init(&a);
	pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
	pthread_mutex_init(&robust, &a);
	pthread_t t;
	MUST(pthread_create(&t, NULL, die_holding, NULL) == 0 ? 0 : -1);
	pthread_join(t, NULL);
	int r = pthread_mutex_lock(&robust);
	CHECKF("robust mutex: EOWNERDEAD after the owner died", r == EOWNERDEAD, "returned %d", r);
	CHECK("pthread_mutex_consistent", pthread_mutex_consistent(&robust) == 0);
	pthread_mutex_unlock(&robust);

	/* A robust list head the kernel cannot read is ignored at exit: at the
	 * top of the address space (whose fields' addresses wrap around, which
	 * once panicked the kernel's debug build) or unmapped. */
	static const unsigned long heads[] = { -8UL, -24UL, 4096 };
	for (size_t i = 0; i < sizeof heads / sizeof heads[0]; i++) {
		pid_t pid = MUST(fork());
		if (pid == 0) {
			if (syscall(SYS_set_robust_list, heads[i], 24) != 0)
				_exit(2);
			_exit(0);
		}
		int st;
		CHECKF("an unreadable robust list head is ignored at exit",
		       waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0,
		       "head %#lx: status %#x", heads[i], st);
	}
}

static void *fork_in_thread(void *arg)
{
	(void)arg;
	pid_t pid = fork();
	if (pid == 0) {
		char *argv[] = { EXIT42, "42", NULL };
		execv(argv[0], argv);
		_exit(99);
	}
	int status;
	if (waitpid(pid, &status, 0) != pid)
		return (void *)-1;
	return (void *)(long)WEXITSTATUS(status);
}

static void *exec_from_thread(void *arg)
{
	(void)arg;
	char *argv[] = { EXIT42, "43", NULL };
	execv(argv[0], argv);
	return NULL;
}

static void test_fork_exec(void)
{
	pthread_t t;
	void *ret;
	MUST(pthread_create(&t, NULL, fork_in_thread, NULL) == 0 ? 0 : -1);
	pthread_join(t, &ret);
	CHECKF("fork+exec from a thread", (long)ret == 42, "status %ld", (long)ret);

	/* A child with several threads execs from one of them: the others go. */
	pid_t pid = MUST(fork());
	if (pid == 0) {
		pthread_t s1, s2, e;
		pthread_create(&s1, NULL, sleep_forever, NULL);
		pthread_create(&s2, NULL, spin_until, NULL);
		pthread_create(&e, NULL, exec_from_thread, NULL);
		pthread_join(e, NULL);
		_exit(98);
	}
	int status;
	CHECKF("exec from a thread of a threaded process", waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	       WEXITSTATUS(status) == 43, "status %#x", status);

	/* exit_group from a thread ends them all. */
	pid = MUST(fork());
	if (pid == 0) {
		pthread_t s;
		pthread_create(&s, NULL, sleep_forever, NULL);
		exit(7);
	}
	CHECKF("exit with threads running", waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	       WEXITSTATUS(status) == 7, "status %#x", status);
}

int main(void)
{
	test_mutex_tls_join();
	test_condvar();
	test_cancel();
	test_pthread_kill();
	test_shootdown();
	test_robust();
	test_fork_exec();
	return check_done();
}

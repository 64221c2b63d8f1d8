/*
 * Checks fork(2) from many threads at once (what CPython's
 * test_reinit_tls_after_fork does): every thread of a process writes its
 * own pages and forks, again and again, while the others keep writing.
 * A child must see exactly what its forking thread wrote before the fork
 * (and nothing any thread wrote after it), and keeps seeing it while the
 * parent goes on writing; the parent must read back every value it wrote.
 *
 * Usage: forkthreads [THREADS] [ROUNDS] (16 and 80: 1280 forks, which
 * before the fix in Mm::handle_user_fault killed it every run). Natively:
 * ./forkthreads.
 */
#include "check.h"

#include <pthread.h>
#include <stdint.h>
#include <sys/wait.h>

#define WORDS (4 * 4096 / 8)
#define MAX_THREADS 32

static uint64_t data[MAX_THREADS][WORDS] __attribute__((aligned(4096)));
static int rounds = 80;
static int failures;

/* Fills thread T's pages with V and reads them back; returns 0 if they
 * hold V everywhere. */
static int fill_and_check(int t, uint64_t v)
{
	for (int i = 0; i < WORDS; i++)
		data[t][i] = v;
	for (int i = 0; i < WORDS; i++)
		if (data[t][i] != v)
			return -1;
	return 0;
}

static void *worker(void *arg)
{
	int t = (int)(intptr_t)arg;
	for (int r = 0; r < rounds; r++) {
		uint64_t before = (uint64_t)t << 32 | (uint64_t)r << 1;
		if (fill_and_check(t, before) != 0) {
			__atomic_add_fetch(&failures, 1, __ATOMIC_RELAXED);
			check_printf("thread %d lost its own write before fork %d\n", t, r);
		}
		pid_t pid = fork();
		if (pid == 0) {
			/* Give the parent time to overwrite its copy. */
			sleep_ms(1);
			for (int i = 0; i < WORDS; i++)
				if (data[t][i] != before)
					_exit(1);
			_exit(50);
		}
		if (pid < 0) {
			__atomic_add_fetch(&failures, 1, __ATOMIC_RELAXED);
			check_printf("thread %d: fork failed (errno %d)\n", t, errno);
			continue;
		}
		if (fill_and_check(t, before | 1) != 0) {
			__atomic_add_fetch(&failures, 1, __ATOMIC_RELAXED);
			check_printf("thread %d lost its own write after fork %d\n", t, r);
		}
		int st;
		while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
			;
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 50) {
			__atomic_add_fetch(&failures, 1, __ATOMIC_RELAXED);
			check_printf("thread %d: child %d of round %d saw other memory (status %#x)\n",
				     t, pid, r, st);
		}
	}
	return NULL;
}

int main(int argc, char **argv)
{
	int threads = argc > 1 ? atoi(argv[1]) : 16;
	if (argc > 2)
		rounds = atoi(argv[2]);
	if (threads > MAX_THREADS)
		threads = MAX_THREADS;
	pthread_t th[MAX_THREADS];
	/* Small stacks: 16 of glibc's default 8 MiB ones are all of a 128 MiB
	 * guest's RAM, and Linux's heuristic overcommit refuses a fork whose
	 * private writable memory passes RAM. */
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 256 << 10);
	for (int t = 0; t < threads; t++)
		pthread_create(&th[t], &attr, worker, (void *)(intptr_t)t);
	for (int t = 0; t < threads; t++)
		pthread_join(th[t], NULL);
	CHECKF("threads forking at once: every child saw its snapshot, no write was lost",
	       failures == 0, "%d failures", failures);
	return check_done();
}

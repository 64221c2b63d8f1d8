/* Holds many tasks at once for the host-resource boot test: `manytasks
 * threads N` starts N threads, `manytasks forks N` N child processes, each
 * blocked on a pipe; prints "manytasks: ready N" and then waits for its
 * standard input to end (the test kills ./linux meanwhile). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int gate[2];

static void *blocked(void *arg)
{
	char c;
	(void)arg;
	while (read(gate[0], &c, 1) < 0)
		;
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc != 3 || pipe(gate) < 0)
		return 2;
	int n = atoi(argv[2]);
	int threads = strcmp(argv[1], "threads") == 0;
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	for (int i = 0; i < n; i++) {
		if (threads) {
			pthread_t t;
			if (pthread_create(&t, &attr, blocked, NULL) != 0) {
				printf("manytasks: thread %d failed\n", i);
				return 1;
			}
		} else {
			pid_t pid = fork();
			if (pid < 0) {
				printf("manytasks: fork %d failed\n", i);
				return 1;
			}
			if (pid == 0) {
				/* Ends at its parent's exit: the pipe's end of file. */
				close(gate[1]);
				blocked(NULL);
				_exit(0);
			}
		}
	}
	printf("manytasks: ready %d\n", n);
	fflush(stdout);
	char c;
	while (read(0, &c, 1) > 0)
		;
	return 0;
}

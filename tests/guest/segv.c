/* Dies of SIGSEGV, as init: linux must exit with 128 + 11 and say so.
 * With "child" as argument, a forked child dies instead and the parent checks
 * the wait status (WIFSIGNALED, WTERMSIG == SIGSEGV) and exits 0. */
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* The address comes through a volatile so the compiler cannot see it. */
static volatile unsigned long bad_address = 16;

static void die(void)
{
	*(volatile int *)bad_address = 1;
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "child") == 0) {
		pid_t pid = fork();
		int status;
		if (pid == 0)
			die();
		if (waitpid(pid, &status, 0) != pid)
			return 2;
		if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGSEGV)
			return 3;
		if (write(1, "child killed by SIGSEGV\n", 24) != 24)
			return 4;
		return 0;
	}
	die();
	return 1;
}

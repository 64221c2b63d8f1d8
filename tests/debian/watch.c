/* A program for gdb in the guest: a global that a loop changes (for a
 * hardware watchpoint), and with a count argument a slow loop that prints
 * a tick a step (for attaching and detaching while it runs). */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

volatile long counter;

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 3;
	for (long i = 0; i < n; i++) {
		counter++;
		if (argc > 1) {
			printf("tick %ld\n", counter);
			fflush(stdout);
			usleep(50000);
		}
	}
	printf("counter %ld\n", counter);
	return 0;
}

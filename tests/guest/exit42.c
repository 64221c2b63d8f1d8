/*
 * Helper for forkexec: exits with the status given as argv[1] (42 if none).
 * Exits with 100 if argv[0] is missing, so a broken argv shows as a wrong status.
 */
#include <stdlib.h>

int main(int argc, char **argv)
{
	if (argc < 1 || argv[0] == NULL || argv[argc] != NULL)
		return 100;
	if (argc < 2)
		return 42;
	return atoi(argv[1]) & 0xff;
}

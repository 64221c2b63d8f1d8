/*
 * Prints "waitstdin: ready", then reads stdin until end of file and exits 0.
 * Keeps an instance running for as long as the host keeps the pipe open.
 */
#include <errno.h>
#include <unistd.h>

int main(void)
{
	static const char msg[] = "waitstdin: ready\n";
	char buf[512];
	if (write(1, msg, sizeof msg - 1) != sizeof msg - 1)
		return 1;
	for (;;) {
		ssize_t n = read(0, buf, sizeof buf);
		if (n == 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return 2;
	}
}

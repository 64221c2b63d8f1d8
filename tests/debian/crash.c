/*
 * Dies of SIGSEGV three calls deep in crash_here, for the core dump boot
 * test: gdb in the guest must show crash_here and main in the core's
 * backtrace.
 */
static volatile int *volatile bad_pointer;

__attribute__((noinline)) void crash_here(int depth)
{
	if (depth == 0)
		*bad_pointer = 42;
	else
		crash_here(depth - 1);
}

int main(void)
{
	crash_here(3);
	return 0;
}

/* Calls every system call number with hostile arguments (NULL, -1, huge sizes,
 * unmapped and kernel-half addresses, the top of the address space) and checks
 * only that each call returns: the kernel must answer with an errno, never
 * crash. Calls that would end or replace this process, block for ever (a
 * System V message queue or semaphore set the fuzzing made waits as on Linux), or
 * tear down its own memory, stdout or TLS are skipped. Guest-only: do not run
 * it natively. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static const uint64_t values[] = {
	0, 1, 2, 3, 4096, 0x7fffffff, 0xffffffff, UINT64_MAX, UINT64_MAX - 4095,
	0x8000000000000000ULL, 0x7ffdfffff000ULL, 0x7ffe00000000ULL, 0x7ffe00001000ULL,
	0xffffffffff600000ULL, 0x10, 0x400000,
};
#define NVALUES (sizeof values / sizeof values[0])

static int skipped(long nr)
{
	static const long skip[] = {
		SYS_close, SYS_mmap, SYS_mprotect, SYS_munmap, SYS_brk, SYS_mremap,
		SYS_madvise, SYS_dup2, SYS_dup3, SYS_nanosleep, SYS_clock_nanosleep,
		SYS_pause, SYS_clone, SYS_clone3, SYS_fork, SYS_vfork, SYS_execve,
		SYS_execveat, SYS_exit, SYS_exit_group, SYS_wait4, SYS_waitid,
		SYS_arch_prctl, SYS_rt_sigreturn, SYS_rt_sigsuspend, SYS_kill, SYS_tkill,
		SYS_tgkill, SYS_read, SYS_readv, SYS_pread64, SYS_preadv, SYS_preadv2,
		SYS_reboot, SYS_set_tid_address, SYS_close_range, SYS_munlockall,
		SYS_select, SYS_pselect6, SYS_poll, SYS_ppoll, SYS_epoll_wait,
		SYS_epoll_pwait, SYS_futex, SYS_rt_sigtimedwait, SYS_sched_yield,
		SYS_msgrcv, SYS_msgsnd, SYS_semop, SYS_semtimedop,
	};
	for (unsigned i = 0; i < sizeof skip / sizeof skip[0]; i++)
		if (skip[i] == nr)
			return 1;
	return 0;
}

int main(void)
{
	uint64_t seed = 0x9e3779b97f4a7c15ULL;
	unsigned long calls = 0;
	for (long nr = 0; nr < 460; nr++) {
		if (skipped(nr))
			continue;
		for (int round = 0; round < 24; round++) {
			uint64_t a[6];
			for (int i = 0; i < 6; i++) {
				seed ^= seed << 13;
				seed ^= seed >> 7;
				seed ^= seed << 17;
				a[i] = values[(seed >> 8) % NVALUES];
			}
			syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
			calls++;
		}
	}
	char line[64];
	int n = snprintf(line, sizeof line, "sysfuzz: %lu calls returned\n", calls);
	return write(1, line, n) == n ? 0 : 1;
}

/*
 * Core dumps (core(5)): children that die of core-dumping signals, and the
 * ELF cores they leave, parsed here. Runs as init in the guest (on a tmpfs
 * it mounts at /tmp) and natively as root in a directory it makes under the
 * current one; a host whose core_pattern pipes to a program has its file
 * checks skipped.
 *
 * Checks: WCOREDUMP only when a core was written; RLIMIT_CORE 0 and
 * PR_SET_DUMPABLE 0 give none; the ELF header, NT_PRSTATUS (the pid, the
 * signal and registers the child set before it crashed, the crashing
 * thread first), NT_PRPSINFO, NT_SIGINFO, NT_AUXV, NT_FILE, NT_PRFPREG and
 * NT_X86_XSTATE notes; the child's memory in PT_LOAD segments;
 * core_pattern's %p and %e, core_uses_pid; a symbolic link in the core's
 * place is replaced, not followed; RLIMIT_CORE and RLIMIT_FSIZE cut a core
 * short; a read-only directory leaves none. A `|` core_pattern starts
 * this program as the reader (`coredump --reader DIR %p %s`): it gets the
 * core on its standard input (RLIMIT_CORE 0 does not stop a pipe's core,
 * 1 does), as root, with RLIMIT_CORE 1 and no other file open.
 */
#define _GNU_SOURCE
#include "check.h"
#include <elf.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#define R12_VALUE 0x1122334455667788UL
#define R13_VALUE 0x0badc0dedeadbeefUL
#define DATA_MAGIC 0x5eed5eed12345678UL
#define ANON_MAGIC 0xa5

static volatile unsigned long data_magic = 1;
static unsigned char *anon_page;
static int host_pipes;
static char pattern_saved[256];

/* Sets r12 and r13 to known values and executes ud2: SIGILL. */
static void __attribute__((noinline)) crash_ill(void)
{
	__asm__ volatile("mov %0, %%r12\n\tmov %1, %%r13\n\tud2"
			 :
			 : "i"(R12_VALUE), "r"(R13_VALUE)
			 : "r12", "r13");
}

/* The address comes through a volatile so the compiler cannot see it. */
static volatile unsigned long bad_address = 16;

static void crash_segv(void)
{
	*(volatile int *)bad_address = 1;
}

static void set_core_limit(rlim_t v)
{
	struct rlimit r = { v, RLIM_INFINITY };
	if (setrlimit(RLIMIT_CORE, &r) != 0)
		check_fail("setrlimit", errno, "RLIMIT_CORE");
}

static void write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_TRUNC);
	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		check_fail("write_file", errno, "%s", path);
	close(fd);
}

static void read_file(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, len - 1);
	if (n < 0)
		check_fail("read_file", errno, "%s", path);
	buf[n] = 0;
	close(fd);
}

/* Forks a child that runs FN (after SETUP, if any) and returns its wait status. */
static int run_child(void (*setup)(void), void (*fn)(void))
{
	pid_t pid = fork();
	if (pid == 0) {
		if (setup)
			setup();
		fn();
		_exit(0);
	}
	int status;
	if (waitpid(pid, &status, 0) != pid)
		check_fail("waitpid", errno, "child %d", pid);
	return status;
}

static int last_pid;

static int run_child_pid(void (*setup)(void), void (*fn)(void))
{
	pid_t pid = fork();
	if (pid == 0) {
		if (setup)
			setup();
		fn();
		_exit(0);
	}
	int status;
	last_pid = pid;
	if (waitpid(pid, &status, 0) != pid)
		check_fail("waitpid", errno, "child %d", pid);
	return status;
}

static int exists(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0;
}

/* A core read into memory. */
struct core {
	unsigned char *buf;
	size_t len;
	Elf64_Ehdr *eh;
	Elf64_Phdr *ph;
};

static int load_core(const char *path, struct core *c)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	struct stat st;
	fstat(fd, &st);
	c->len = (size_t)st.st_size;
	c->buf = malloc(c->len + 1);
	size_t got = 0;
	while (got < c->len) {
		ssize_t n = read(fd, c->buf + got, c->len - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	if (got != c->len || c->len < sizeof(Elf64_Ehdr))
		return -1;
	c->eh = (Elf64_Ehdr *)c->buf;
	if (c->eh->e_phoff + (size_t)c->eh->e_phnum * sizeof(Elf64_Phdr) > c->len)
		return -1;
	c->ph = (Elf64_Phdr *)(c->buf + c->eh->e_phoff);
	return 0;
}

/* Returns the INDEX-th note of TYPE (and its size in *LEN), or NULL. */
static void *find_note(struct core *c, unsigned type, int index, size_t *len)
{
	for (int i = 0; i < c->eh->e_phnum; i++) {
		if (c->ph[i].p_type != PT_NOTE)
			continue;
		size_t off = c->ph[i].p_offset, end = off + c->ph[i].p_filesz;
		if (end > c->len)
			return NULL;
		while (off + sizeof(Elf64_Nhdr) <= end) {
			Elf64_Nhdr *n = (Elf64_Nhdr *)(c->buf + off);
			size_t name = off + sizeof *n;
			size_t desc = name + ((n->n_namesz + 3) & ~3u);
			if (n->n_type == type && index-- == 0) {
				*len = n->n_descsz;
				return c->buf + desc;
			}
			off = desc + ((n->n_descsz + 3) & ~3u);
		}
	}
	return NULL;
}

static int count_notes(struct core *c, unsigned type)
{
	size_t len;
	int n = 0;
	while (find_note(c, type, n, &len))
		n++;
	return n;
}

/* Returns the bytes of the core at guest address ADDR, or NULL if absent. */
static void *core_memory(struct core *c, unsigned long addr, size_t len)
{
	for (int i = 0; i < c->eh->e_phnum; i++) {
		Elf64_Phdr *p = &c->ph[i];
		if (p->p_type == PT_LOAD && addr >= p->p_vaddr &&
		    addr + len <= p->p_vaddr + p->p_filesz &&
		    p->p_offset + (addr - p->p_vaddr) + len <= c->len)
			return c->buf + p->p_offset + (addr - p->p_vaddr);
	}
	return NULL;
}

static void prepare_memory(void)
{
	data_magic = DATA_MAGIC;
	memset(anon_page, ANON_MAGIC, 4096);
}

static void no_limit(void)
{
	set_core_limit(RLIM_INFINITY);
}

static void check_no_core_without_limit(void)
{
	set_core_limit(0);
	unlink("core");
	int st = run_child(NULL, crash_segv);
	CHECKF("rlimit0_killed", WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV,
	       "status %#x", st);
	CHECKF("rlimit0_no_wcoredump", !WCOREDUMP(st), "status %#x", st);
	CHECK("rlimit0_no_file", !exists("core"));
}

static void undumpable(void)
{
	set_core_limit(RLIM_INFINITY);
	if (prctl(PR_SET_DUMPABLE, 0) != 0 || prctl(PR_GET_DUMPABLE) != 0)
		_exit(7);
}

static void check_dumpable(void)
{
	unlink("core");
	int st = run_child(undumpable, crash_segv);
	CHECKF("nondumpable_killed", WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV,
	       "status %#x", st);
	CHECKF("nondumpable_no_wcoredump", !WCOREDUMP(st), "status %#x", st);
	CHECK("nondumpable_no_file", !exists("core"));
}

static void check_core_contents(void)
{
	unlink("core");
	int st = run_child_pid(no_limit, crash_ill);
	CHECKF("sigill_wcoredump",
	       WIFSIGNALED(st) && WTERMSIG(st) == SIGILL && WCOREDUMP(st) &&
		       (st & 0x80),
	       "status %#x", st);
	struct stat sb;
	CHECKF("core_file_mode",
	       lstat("core", &sb) == 0 && S_ISREG(sb.st_mode) &&
		       (sb.st_mode & 0777) == 0600 && sb.st_uid == getuid(),
	       "mode %o", sb.st_mode);
	struct core c;
	CHECK("core_read", load_core("core", &c) == 0);
	Elf64_Ehdr *e = c.eh;
	CHECK("elf_header", memcmp(e->e_ident, ELFMAG, SELFMAG) == 0 &&
				    e->e_ident[EI_CLASS] == ELFCLASS64 &&
				    e->e_ident[EI_DATA] == ELFDATA2LSB &&
				    e->e_type == ET_CORE &&
				    e->e_machine == EM_X86_64 &&
				    e->e_phentsize == sizeof(Elf64_Phdr));
	CHECKF("first_phdr_note", e->e_phnum >= 2 && c.ph[0].p_type == PT_NOTE,
	       "phnum %d", e->e_phnum);
	size_t len;
	struct elf_prstatus_head {
		int si_signo, si_code, si_errno;
		short cursig;
		unsigned long sigpend, sighold;
		int pid, ppid, pgrp, sid;
		struct { long s, us; } times[4];
		unsigned long regs[27];
		int fpvalid;
	} *ps = find_note(&c, NT_PRSTATUS, 0, &len);
	CHECKF("prstatus", ps && len == 336, "len %zu", ps ? len : 0);
	CHECKF("prstatus_pid", ps->pid == last_pid && ps->ppid == getpid(),
	       "pid %d ppid %d", ps->pid, ps->ppid);
	CHECKF("prstatus_signal", ps->cursig == SIGILL && ps->si_signo == SIGILL,
	       "cursig %d", ps->cursig);
	/* user_regs_struct: r15, r14, r13, r12, ... */
	CHECKF("prstatus_registers",
	       ps->regs[3] == R12_VALUE && ps->regs[2] == R13_VALUE,
	       "r12 %#lx r13 %#lx", ps->regs[3], ps->regs[2]);
	unsigned long rip = ps->regs[16];
	CHECKF("prstatus_rip", rip >= (unsigned long)crash_ill &&
				       rip < (unsigned long)crash_ill + 64,
	       "rip %#lx", rip);
	CHECK("prstatus_fpvalid", ps->fpvalid == 1);
	CHECK("one_thread", count_notes(&c, NT_PRSTATUS) == 1);
	struct {
		char state, sname, zomb, nice;
		unsigned long flag;
		unsigned uid, gid;
		int pid, ppid, pgrp, sid;
		char fname[16];
		char psargs[80];
	} *pi = find_note(&c, NT_PRPSINFO, 0, &len);
	CHECKF("prpsinfo", pi && len == 136 && pi->pid == last_pid &&
				   strcmp(pi->fname, "coredump") == 0 &&
				   strstr(pi->psargs, "coredump") != NULL,
	       "len %zu", pi ? len : 0);
	siginfo_t *si = find_note(&c, NT_SIGINFO, 0, &len);
	CHECK("siginfo", si && len == sizeof *si && si->si_signo == SIGILL &&
				 si->si_code == ILL_ILLOPN);
	unsigned long *auxv = find_note(&c, NT_AUXV, 0, &len);
	int pagesz = 0;
	for (size_t i = 0; auxv && i + 1 < len / 8; i += 2)
		if (auxv[i] == AT_PAGESZ && auxv[i + 1] == 4096)
			pagesz = 1;
	CHECK("auxv", auxv && pagesz && auxv[len / 8 - 2] == AT_NULL);
	unsigned long *files = find_note(&c, NT_FILE, 0, &len);
	CHECKF("nt_file", files && len >= 16 && files[1] == 4096 &&
				  memmem(files, len, "coredump", 8) != NULL,
	       "len %zu", files ? len : 0);
	unsigned char *fx = find_note(&c, NT_PRFPREG, 0, &len);
	CHECKF("prfpreg", fx && len == 512 && fx[24] == 0x80 && fx[25] == 0x1f,
	       "len %zu", fx ? len : 0);
	unsigned char *xs = find_note(&c, NT_X86_XSTATE, 0, &len);
	unsigned long xcr0 = 0;
	if (xs && len >= 576)
		memcpy(&xcr0, xs + 464, 8);
	CHECKF("x86_xstate", xs && len >= 576 && (xcr0 & 3) == 3,
	       "len %zu xcr0 %#lx", xs ? len : 0, xcr0);
	unsigned long *data = core_memory(&c, (unsigned long)&data_magic, 8);
	CHECKF("data_in_core", data && *data == DATA_MAGIC, "%#lx",
	       data ? *data : 0);
	unsigned char *anon = core_memory(&c, (unsigned long)anon_page, 4096);
	CHECK("anon_in_core", anon && anon[0] == ANON_MAGIC &&
				      anon[4095] == ANON_MAGIC);
	free(c.buf);
	unlink("core");
}

static pid_t crash_tid;

static void *thread_crash(void *arg)
{
	(void)arg;
	crash_tid = (pid_t)syscall(SYS_gettid);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	crash_segv();
	return NULL;
}

/* A second thread crashes while the main one sleeps; reports its tid through a pipe. */
static int tid_pipe[2];

static void *thread_crash_report(void *arg)
{
	pid_t tid = (pid_t)syscall(SYS_gettid);
	if (write(tid_pipe[1], &tid, sizeof tid) != sizeof tid)
		_exit(9);
	sleep_ms(100);
	return thread_crash(arg);
}

static void two_threads(void)
{
	pthread_t t;
	set_core_limit(RLIM_INFINITY);
	pthread_create(&t, NULL, thread_crash_report, NULL);
	for (;;)
		pause();
}

static void check_threads(void)
{
	unlink("core");
	if (pipe(tid_pipe) != 0)
		check_fail("pipe", errno, "pipe");
	int st = run_child_pid(two_threads, crash_segv);
	pid_t tid = 0;
	if (read(tid_pipe[0], &tid, sizeof tid) != sizeof tid)
		tid = -1;
	close(tid_pipe[0]);
	close(tid_pipe[1]);
	CHECKF("thread_wcoredump",
	       WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV && WCOREDUMP(st),
	       "status %#x", st);
	struct core c;
	CHECK("thread_core_read", load_core("core", &c) == 0);
	CHECKF("thread_two_prstatus", count_notes(&c, NT_PRSTATUS) == 2, "%d",
	       count_notes(&c, NT_PRSTATUS));
	size_t len;
	int *first = find_note(&c, NT_PRSTATUS, 0, &len);
	int *second = find_note(&c, NT_PRSTATUS, 1, &len);
	CHECKF("thread_crasher_first", first[8] == tid && second[8] == last_pid,
	       "first %d second %d (crasher %d, main %d)", first[8], second[8],
	       tid, last_pid);
	CHECK("thread_fpregs", count_notes(&c, NT_X86_XSTATE) == 2);
	free(c.buf);
	unlink("core");
}

static void check_pattern(void)
{
	char name[64], want[64];
	write_file("/proc/sys/kernel/core_pattern", "core.%p.%e.%s%%");
	int st = run_child_pid(no_limit, crash_segv);
	snprintf(name, sizeof name, "core.%d.coredump.11%%", last_pid);
	CHECKF("pattern_wcoredump", WCOREDUMP(st), "status %#x", st);
	CHECKF("pattern_file", exists(name), "no %s", name);
	unlink(name);
	write_file("/proc/sys/kernel/core_pattern", "core");
	write_file("/proc/sys/kernel/core_uses_pid", "1");
	st = run_child_pid(no_limit, crash_segv);
	snprintf(want, sizeof want, "core.%d", last_pid);
	CHECKF("uses_pid_file", WCOREDUMP(st) && exists(want), "no %s", want);
	unlink(want);
	write_file("/proc/sys/kernel/core_uses_pid", "0");
	char got[256];
	read_file("/proc/sys/kernel/core_pattern", got, sizeof got);
	CHECK("pattern_read_back", strcmp(got, "core\n") == 0);
}

static void check_symlink(void)
{
	unlink("core");
	unlink("victim");
	if (symlink("victim", "core") != 0)
		check_fail("symlink", errno, "core");
	int st = run_child(no_limit, crash_segv);
	struct stat sb;
	CHECKF("symlink_replaced",
	       WCOREDUMP(st) && lstat("core", &sb) == 0 && S_ISREG(sb.st_mode) &&
		       !exists("victim"),
	       "status %#x", st);
	unlink("core");
}

static void small_fsize(void)
{
	struct rlimit r = { 4096, 4096 };
	set_core_limit(RLIM_INFINITY);
	signal(SIGXFSZ, SIG_IGN);
	setrlimit(RLIMIT_FSIZE, &r);
}

static void small_core(void)
{
	set_core_limit(8192);
}

static long core_size(void)
{
	struct stat sb;
	return lstat("core", &sb) == 0 ? (long)sb.st_size : -1;
}

/* Linux reports a core once its file is created, even when RLIMIT_CORE or
 * RLIMIT_FSIZE cuts it short; a directory it cannot be created in gives none. */
static void check_failures(void)
{
	unlink("core");
	int st = run_child(small_core, crash_segv);
	long size = core_size();
	struct core c;
	CHECKF("rlimit_core_truncates",
	       WIFSIGNALED(st) && WCOREDUMP(st) && size > 0 && size <= 8192 &&
		       load_core("core", &c) == 0 && c.eh->e_type == ET_CORE,
	       "status %#x size %ld", st, size);
	unlink("core");
	st = run_child(small_fsize, crash_segv);
	size = core_size();
	CHECKF("rlimit_fsize_truncates",
	       WIFSIGNALED(st) && WCOREDUMP(st) && size > 0 && size <= 4096,
	       "status %#x size %ld", st, size);
	unlink("core");
	if (mkdir("ro", 0755) != 0 && errno != EEXIST)
		check_fail("mkdir", errno, "ro");
	if (mount("none", "ro", "tmpfs", MS_RDONLY, NULL) != 0) {
		check_printf("skip readonly_no_core: mount: %s\n", strerror(errno));
		return;
	}
	if (chdir("ro") != 0)
		check_fail("chdir", errno, "ro");
	st = run_child(no_limit, crash_segv);
	if (chdir("..") != 0)
		check_fail("chdir", errno, "..");
	CHECKF("readonly_no_wcoredump",
	       WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV && !WCOREDUMP(st),
	       "status %#x", st);
	umount("ro");
	rmdir("ro");
}

static void on_quit(int sig)
{
	_exit(sig);
}

static void quit_handled(void)
{
	no_limit();
	signal(SIGQUIT, on_quit);
	raise(SIGQUIT);
}

static void quit_self(void)
{
	kill(getpid(), SIGQUIT);
	for (;;)
		pause();
}

/* abort(3) and kill(2) of SIGQUIT dump core; a handled SIGQUIT does not. */
static void check_signals(void)
{
	unlink("core");
	int st = run_child(no_limit, abort);
	CHECKF("abort_wcoredump",
	       WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT && WCOREDUMP(st) &&
		       exists("core"),
	       "status %#x", st);
	unlink("core");
	st = run_child(no_limit, quit_self);
	CHECKF("sigquit_wcoredump",
	       WIFSIGNALED(st) && WTERMSIG(st) == SIGQUIT && WCOREDUMP(st),
	       "status %#x", st);
	unlink("core");
	st = run_child(NULL, quit_handled);
	CHECKF("handled_no_core",
	       WIFEXITED(st) && WEXITSTATUS(st) == SIGQUIT && !exists("core"),
	       "status %#x", st);
}

/* The core_pattern pipe's reader: copies its standard input to
 * DIR/piped.PID, then writes DIR/piped.PID.done with what it saw of itself. */
static int reader(const char *dir, const char *pid, const char *sig)
{
	char path[512], tmp[600];
	snprintf(path, sizeof path, "%s/piped.%s", dir, pid);
	int out = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (out < 0)
		return 1;
	static char buf[65536];
	ssize_t n;
	long total = 0;
	while ((n = read(0, buf, sizeof buf)) > 0) {
		if (write(out, buf, n) != n)
			return 1;
		total += n;
	}
	close(out);
	struct stat st;
	int fifo = fstat(0, &st) == 0 && S_ISFIFO(st.st_mode);
	int others = 0;
	for (int fd = 1; fd < 64; fd++)
		others += fd != out && fcntl(fd, F_GETFD) != -1;
	struct rlimit r;
	getrlimit(RLIMIT_CORE, &r);
	snprintf(tmp, sizeof tmp, "%s.part", path);
	FILE *f = fopen(tmp, "w");
	if (!f)
		return 1;
	fprintf(f, "sig=%s uid=%d fifo=%d others=%d core=%ld/%ld bytes=%ld\n", sig, getuid(),
		fifo, others, (long)r.rlim_cur, (long)r.rlim_max, total);
	fclose(f);
	snprintf(path + strlen(path), sizeof path - strlen(path), ".done");
	return rename(tmp, path) != 0;
}

/* Waits up to 10 s for PATH to exist. */
static int wait_for_file(const char *path)
{
	for (int i = 0; i < 1000; i++) {
		if (exists(path))
			return 1;
		usleep(10000);
	}
	return 0;
}

static void limit_one(void)
{
	set_core_limit(1);
}

static void check_pipe(void)
{
	char exe[256], cwd[256], pattern[600], path[700], info[256];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n < 0 || !getcwd(cwd, sizeof cwd))
		check_fail("pipe_setup", errno, "exe or cwd");
	exe[n] = 0;
	snprintf(pattern, sizeof pattern, "|%s --reader %s %%p %%s", exe, cwd);
	write_file("/proc/sys/kernel/core_pattern", pattern);
	set_core_limit(0);
	int st = run_child_pid(NULL, crash_segv);
	CHECKF("pipe_wcoredump_despite_limit_0", WIFSIGNALED(st) && WCOREDUMP(st), "status %#x", st);
	snprintf(path, sizeof path, "%s/piped.%d.done", cwd, last_pid);
	CHECKF("pipe_reader_ran", wait_for_file(path), "no %s", path);
	read_file(path, info, sizeof info);
	CHECKF("pipe_reader_saw", strstr(info, "sig=11 uid=0 fifo=1 others=0 core=1/1 ") != NULL,
	       "%s", info);
	snprintf(path, sizeof path, "%s/piped.%d", cwd, last_pid);
	struct core c;
	CHECK("pipe_core_read", load_core(path, &c) == 0);
	CHECKF("pipe_core_is_a_core", c.eh->e_type == ET_CORE && c.eh->e_phnum > 1, "type %d",
	       c.eh->e_type);
	size_t len;
	int *prs = find_note(&c, NT_PRSTATUS, 0, &len);
	CHECKF("pipe_core_prstatus_pid", prs && prs[8] == last_pid, "pid %d", prs ? prs[8] : -1);
	free(c.buf);
	st = run_child_pid(limit_one, crash_segv);
	snprintf(path, sizeof path, "%s/piped.%d.done", cwd, last_pid);
	usleep(200000);
	CHECKF("pipe_limit_1_no_core", WIFSIGNALED(st) && !WCOREDUMP(st) && !exists(path),
	       "status %#x", st);
	write_file("/proc/sys/kernel/core_pattern", "core");
	set_core_limit(RLIM_INFINITY);
}

int main(int argc, char **argv)
{
	char dir[] = "coredump.XXXXXX";
	if (argc == 5 && strcmp(argv[1], "--reader") == 0)
		return reader(argv[2], argv[3], argv[4]);
	if (getpid() == 1) {
		if (mount("none", "/tmp", "tmpfs", 0, NULL) != 0)
			check_fail("mount", errno, "/tmp");
		if (chdir("/tmp") != 0)
			check_fail("chdir", errno, "/tmp");
	}
	if (!mkdtemp(dir) || chdir(dir) != 0)
		check_fail("mkdtemp", errno, "%s", dir);
	anon_page = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	prepare_memory();
	read_file("/proc/sys/kernel/core_pattern", pattern_saved,
		  sizeof pattern_saved);
	host_pipes = pattern_saved[0] == '|';
	check_no_core_without_limit();
	if (host_pipes) {
		check_printf("skip file checks: core_pattern is %s", pattern_saved);
	} else {
		write_file("/proc/sys/kernel/core_pattern", "core");
		check_dumpable();
		check_core_contents();
		check_threads();
		check_signals();
		check_symlink();
		check_failures();
		check_pattern();
		check_pipe();
		write_file("/proc/sys/kernel/core_pattern", pattern_saved);
	}
	if (chdir("..") == 0)
		rmdir(dir);
	return check_done();
}

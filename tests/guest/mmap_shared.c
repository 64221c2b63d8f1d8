/*
 * Checks shared file mappings over the page cache, in each directory given
 * (default /tmp): two processes mapping a file MAP_SHARED see each other's
 * stores; stores are seen by read(2) with and without msync, and write(2) is
 * seen through a mapping; MAP_PRIVATE copies never reach the file but see
 * what it has until they copy; truncation makes pages past the end SIGBUS;
 * data survives munmap, close and reopen; msync's errors; mprotect and mmap
 * refusing write access a descriptor does not give; anonymous shared memory
 * shared with a child for pages first touched after fork.
 *
 * With --frames, also checks this kernel's frame accounting (no leaks, and
 * reclaim of a page cache larger than RAM). With --persist DIR, also writes DIR/mmap-persist-a.bin through a mapping
 * that is never synced or unmapped (init exits with it) and
 * DIR/mmap-persist-b.bin through the mapping of a child that is still alive
 * when init exits: both must reach the disk (the ext4 boot test reads them
 * back with debugfs).
 */
#include "check.h"
#include "fixtures.h"

#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>

#define PAGE 4096L
#define SIZE (3 * PAGE + 100)
#define PERSIST_SIZE (64 * 1024 + 123)

static char path[256];

static unsigned char pattern(long i)
{
	return (unsigned char)(i * 7 + (i >> 12));
}

static sigjmp_buf bus_jump;
static volatile sig_atomic_t bus_seen;

static void on_bus(int sig)
{
	(void)sig;
	bus_seen = 1;
	siglongjmp(bus_jump, 1);
}

/* Returns 1 if reading *p raises SIGBUS. */
static int read_faults(volatile char *p)
{
	bus_seen = 0;
	if (sigsetjmp(bus_jump, 1) == 0)
		(void)*p;
	return bus_seen;
}

/* Returns 1 if writing *p raises SIGBUS. */
static int write_faults(volatile char *p)
{
	bus_seen = 0;
	if (sigsetjmp(bus_jump, 1) == 0)
		*p = 1;
	return bus_seen;
}

/* Creates path with SIZE bytes of pattern(); returns an O_RDWR descriptor. */
static int make_file(void)
{
	static unsigned char buf[SIZE];
	for (long i = 0; i < SIZE; i++)
		buf[i] = pattern(i);
	int fd = MUST(open(path, O_RDWR | O_CREAT | O_TRUNC, 0644));
	if (write(fd, buf, SIZE) != SIZE)
		check_fail("setup", errno, "write of %s", path);
	return fd;
}

static int wait_status(pid_t pid)
{
	int status;
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void sharing(const char *dir)
{
	char name[300];
	int fd = make_file();
	char *m = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	snprintf(name, sizeof name, "%s: mmap MAP_SHARED", dir);
	CHECK(name, m != MAP_FAILED);

	snprintf(name, sizeof name, "%s: a mapping shows the file", dir);
	CHECK(name, (unsigned char)m[PAGE + 5] == pattern(PAGE + 5) &&
			    (unsigned char)m[SIZE - 1] == pattern(SIZE - 1) && m[SIZE] == 0);

	memcpy(m + 10, "stored", 6);
	char buf[16] = { 0 };
	snprintf(name, sizeof name, "%s: a store is seen by pread without msync", dir);
	CHECK(name, pread(fd, buf, 6, 10) == 6 && memcmp(buf, "stored", 6) == 0);

	CHECK_SYS("pwrite into a mapped page", pwrite(fd, "written", 7, 2 * PAGE + 1));
	snprintf(name, sizeof name, "%s: write(2) is seen through the mapping", dir);
	CHECK(name, memcmp(m + 2 * PAGE + 1, "written", 7) == 0);

	/* A child inherits the mapping: its stores are the parent's. */
	pid_t pid = MUST(fork());
	if (pid == 0) {
		memcpy(m + PAGE, "child", 5);
		_exit(memcmp(m + 10, "stored", 6) == 0 ? 0 : 1);
	}
	snprintf(name, sizeof name, "%s: a forked child shares the mapping", dir);
	CHECK(name, wait_status(pid) == 0 && memcmp(m + PAGE, "child", 5) == 0);

	/* Both run at once, adding to one counter in the mapping. */
	long *counter = (long *)(m + 2 * PAGE + 512);
	*counter = 0;
	pid = MUST(fork());
	for (int i = 0; i < 100000; i++)
		__atomic_fetch_add(counter, 1, __ATOMIC_RELAXED);
	if (pid == 0)
		_exit(0);
	snprintf(name, sizeof name, "%s: concurrent atomic adds meet in one frame", dir);
	CHECKF(name, wait_status(pid) == 0 && *counter == 200000, "counter %ld", *counter);

	/* Another process maps the file itself; they take turns through pipes. */
	int to_child[2], to_parent[2];
	MUST(pipe(to_child));
	MUST(pipe(to_parent));
	pid = MUST(fork());
	if (pid == 0) {
		int cfd = open(path, O_RDWR);
		char *c = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, cfd, 0);
		if (c == MAP_FAILED)
			_exit(2);
		memcpy(c + 3 * PAGE + 50, "other", 5);
		char t = 'x';
		if (write(to_parent[1], &t, 1) != 1 || read(to_child[0], &t, 1) != 1)
			_exit(3);
		_exit(memcmp(c + 20, "parent", 6) == 0 ? 0 : 4);
	}
	char t;
	MUST(read(to_parent[0], &t, 1));
	snprintf(name, sizeof name, "%s: another process's mapping stores into ours", dir);
	CHECK(name, memcmp(m + 3 * PAGE + 50, "other", 5) == 0);
	memcpy(m + 20, "parent", 6);
	MUST(write(to_child[1], &t, 1));
	snprintf(name, sizeof name, "%s: our stores reach its mapping", dir);
	CHECK(name, wait_status(pid) == 0);
	close(to_child[0]);
	close(to_child[1]);
	close(to_parent[0]);
	close(to_parent[1]);

	/* Private mappings: they see the file until they copy a page. */
	char *p = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	CHECK("mmap MAP_PRIVATE", p != MAP_FAILED);
	CHECK("a private mapping sees shared stores", memcmp(p + 10, "stored", 6) == 0);
	MUST(pwrite(fd, "fresh", 5, PAGE + 100));
	CHECK("a private mapping sees write(2) to a page it has not copied",
	      memcmp(p + PAGE + 100, "fresh", 5) == 0);
	memcpy(p + PAGE + 100, "PRIVATE", 7);
	CHECK("a private store stays private",
	      pread(fd, buf, 7, PAGE + 100) == 7 && memcmp(buf, "fresh", 5) == 0 &&
		      memcmp(m + PAGE + 100, "fresh", 5) == 0);
	CHECK_SYS("msync of a private mapping", msync(p, 4 * PAGE, MS_SYNC));
	memcpy(m + PAGE + 100, "again", 5);
	CHECK("a copied private page no longer follows the file",
	      memcmp(p + PAGE + 100, "PRIVATE", 7) == 0);
	MUST(munmap(p, 4 * PAGE));
	CHECK("munmap of a private mapping leaves the file",
	      pread(fd, buf, 7, PAGE + 100) == 7 && memcmp(buf, "again", 5) == 0);

	/* msync and its errors. */
	snprintf(name, sizeof name, "%s: msync MS_SYNC", dir);
	CHECK_SYS(name, msync(m, 4 * PAGE, MS_SYNC));
	CHECK_SYS("msync MS_ASYNC", msync(m + PAGE, PAGE, MS_ASYNC));
	CHECK_SYS("msync MS_INVALIDATE", msync(m, PAGE, MS_SYNC | MS_INVALIDATE));
	CHECK_SYS("msync of no bytes", msync(m, 0, MS_SYNC));
	CHECK_ERRNO("msync of an unaligned address", msync(m + 1, PAGE, MS_SYNC), EINVAL);
	CHECK_ERRNO("msync with unknown flags", msync(m, PAGE, 0x100), EINVAL);
	CHECK_ERRNO("msync with MS_SYNC and MS_ASYNC", msync(m, PAGE, MS_SYNC | MS_ASYNC), EINVAL);
	char *hole = mmap(NULL, 3 * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	MUST(munmap(hole + PAGE, PAGE));
	CHECK_ERRNO("msync over a hole", msync(hole, 3 * PAGE, MS_SYNC), ENOMEM);
	MUST(munmap(hole, 3 * PAGE));
	CHECK_SYS("fsync of a mapped file", fsync(fd));
	CHECK_SYS("fdatasync of a mapped file", fdatasync(fd));

	/* Stores past the end of the file in its last page stay out of it. */
	m[SIZE + 5] = 'z';
	MUST(msync(m, 4 * PAGE, MS_SYNC));
	struct stat st;
	MUST(fstat(fd, &st));
	CHECK("write-back does not grow the file", st.st_size == SIZE);
	CHECK("read(2) stops at the end of the file", pread(fd, buf, 16, SIZE - 4) == 4);

	/* Data survives munmap, close and reopen. */
	memcpy(m + 2 * PAGE + 200, "persist", 7);
	MUST(munmap(m, 4 * PAGE));
	MUST(close(fd));
	fd = MUST(open(path, O_RDONLY));
	snprintf(name, sizeof name, "%s: data survives munmap, close and reopen", dir);
	CHECK(name, pread(fd, buf, 7, 2 * PAGE + 200) == 7 && memcmp(buf, "persist", 7) == 0 &&
			    pread(fd, buf, 6, 10) == 6 && memcmp(buf, "stored", 6) == 0);

	/* A read-only descriptor gives no write access to a shared mapping. */
	CHECK_ERRNO("MAP_SHARED PROT_WRITE of an O_RDONLY descriptor",
		    mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), EACCES);
	m = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, fd, 0);
	CHECK("MAP_SHARED PROT_READ of an O_RDONLY descriptor",
	      m != MAP_FAILED && memcmp(m + 10, "stored", 6) == 0);
	CHECK_ERRNO("mprotect cannot add PROT_WRITE to it", mprotect(m, PAGE, PROT_READ | PROT_WRITE),
		    EACCES);
	MUST(munmap(m, PAGE));
	p = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, fd, 0);
	CHECK_SYS("mprotect adds PROT_WRITE to a private mapping of it",
		  mprotect(p, PAGE, PROT_READ | PROT_WRITE));
	p[0] = 'p';
	MUST(munmap(p, PAGE));
	MUST(close(fd));
}

static void truncation(void)
{
	int fd = make_file();
	char *m = mmap(NULL, 5 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	char *p = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	if (m == MAP_FAILED || p == MAP_FAILED)
		check_fail("setup", errno, "mmap");
	memset(m, 'm', 4 * PAGE);
	p[2 * PAGE] = 'p';
	CHECK("the last page is mapped past the end of the file", !read_faults(m + 3 * PAGE + 200));
	CHECK("a page wholly past the end is SIGBUS", read_faults(m + 4 * PAGE));
	CHECK_SYS("ftruncate a mapped file to 1 page + 10 bytes", ftruncate(fd, PAGE + 10));
	CHECK("a shared page past the new end is SIGBUS", read_faults(m + 2 * PAGE));
	CHECK("a store past the new end is SIGBUS", write_faults(m + 3 * PAGE));
	CHECK("a private copy past the new end is SIGBUS", read_faults(p + 2 * PAGE));
	CHECK("the page holding the new end stays", !read_faults(m + PAGE + 9) && m[PAGE + 9] == 'm');
	CHECK("it reads zero past the new end", m[PAGE + 10] == 0 && m[2 * PAGE - 1] == 0);
	CHECK_SYS("ftruncate it back to 3 pages", ftruncate(fd, 3 * PAGE));
	CHECK("grown pages map again, zero", !read_faults(m + 2 * PAGE) && m[2 * PAGE] == 0);
	char buf[4];
	CHECK("the gap reads zero through read(2)",
	      pread(fd, buf, 4, PAGE + 8) == 4 && buf[0] == 'm' && buf[1] == 'm' && buf[2] == 0);
	int fd2 = MUST(open(path, O_RDWR | O_TRUNC));
	CHECK("O_TRUNC makes every page SIGBUS", read_faults(m));
	MUST(write(fd2, "new", 3));
	CHECK("a write after O_TRUNC shows in the page", !read_faults(m) && memcmp(m, "new", 3) == 0 &&
							 m[3] == 0);
	MUST(close(fd2));
	MUST(munmap(m, 5 * PAGE));
	MUST(munmap(p, 4 * PAGE));
	MUST(close(fd));
}

static void anonymous(void)
{
	char *a = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK("mmap MAP_SHARED|MAP_ANONYMOUS", a != MAP_FAILED);
	a[0] = 'p';
	pid_t pid = MUST(fork());
	if (pid == 0) {
		a[PAGE] = 'c';
		_exit(a[0] == 'p' ? 0 : 1);
	}
	CHECK("anonymous shared pages first touched by a child are shared",
	      wait_status(pid) == 0 && a[PAGE] == 'c');
	MUST(munmap(a, 2 * PAGE));
	int z = MUST(open("/dev/zero", O_RDWR));
	a = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, z, 0);
	pid = MUST(fork());
	if (pid == 0) {
		a[1] = 'z';
		_exit(0);
	}
	CHECK("MAP_SHARED of /dev/zero is shared with a child", wait_status(pid) == 0 && a[1] == 'z');
	MUST(close(z));
}

/* Returns MemFree of /proc/meminfo in KiB. */
static long mem_free_kb(void)
{
	char buf[4096];
	int fd = MUST(open("/proc/meminfo", O_RDONLY));
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	buf[n > 0 ? n : 0] = 0;
	char *at = strstr(buf, "MemFree:");
	return at ? strtol(at + 8, NULL, 10) : -1;
}

/* Creates DIR/NAME of LEN bytes of pattern() with write(2). */
static void make_big(const char *name, long len)
{
	static unsigned char chunk[64 * 1024];
	int fd = MUST(open(name, O_RDWR | O_CREAT | O_TRUNC, 0644));
	for (long off = 0; off < len; off += (long)sizeof chunk) {
		long n = len - off < (long)sizeof chunk ? len - off : (long)sizeof chunk;
		for (long i = 0; i < n; i++)
			chunk[i] = pattern(off + i);
		if (write(fd, chunk, (size_t)n) != n)
			check_fail("setup", errno, "write of %s", name);
	}
	MUST(close(fd));
}

/*
 * This kernel's frames (not Linux's: its page cache outlives mappings):
 * every frame a mapping workload takes comes back, and a cache bigger than
 * the RAM left fits because pages nothing maps are given back. Run with a
 * small mem= (the boot test gives 24M): 8 MiB of tmpfs data, then the 21
 * MiB of two ext4 files mapped a page at a time.
 */
/* Maps FILE (1 MiB) shared and private, writes both, forks a child that
 * copies some pages, truncates the file to half and unmaps it all. */
static void frame_workload(const char *file)
{
	make_big(file, 1 << 20);
	int fd = MUST(open(file, O_RDWR));
	char *m = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	char *p = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	if (m == MAP_FAILED || p == MAP_FAILED)
		check_fail("setup", errno, "mmap");
	for (long i = 0; i < (1 << 20); i += PAGE) {
		m[i] = 1;
		p[i + 1] = 2;
	}
	pid_t pid = MUST(fork());
	if (pid == 0) {
		for (long i = 0; i < (1 << 20); i += 2 * PAGE)
			p[i] = m[i];
		_exit(0);
	}
	MUST(wait_status(pid));
	MUST(ftruncate(fd, 1 << 19));
	MUST(munmap(m, 1 << 20));
	MUST(munmap(p, 1 << 20));
	MUST(close(fd));
	MUST(unlink(file));
}

static void frame_checks(void)
{
	/* The first runs grow this program's own stack and data. */
	frame_workload("/tmp/mmap-frames.dat");
	mem_free_kb();
	long before = mem_free_kb();
	frame_workload("/tmp/mmap-frames.dat");
	long after = mem_free_kb();
	CHECKF("every frame of a mapping workload comes back", after == before,
	       "MemFree %ld kB before, %ld kB after", before, after);

	/* tmpfs data is RAM (8 MiB of the 24); the ext4 files' page cache
	 * (21 MiB) still fits, as pages nothing maps are given back. */
	make_big("/tmp/mmap-ram.dat", 8L << 20);
	const char *names[] = { SPARSE_PATH, BIG_PATH };
	const long lens[] = { SPARSE_SIZE, BIG_SIZE };
	int ok = 1, fd;
	char *kept[2];
	for (int f = 0; f < 2 && ok; f++) {
		long len = lens[f] / PAGE * PAGE;
		fd = MUST(open(names[f], O_RDONLY));
		char *b = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
		if (b == MAP_FAILED)
			check_fail("setup", errno, "mmap of %s", names[f]);
		MUST(close(fd));
		/* Touch every page, then unmap it; the last one stays mapped, so
		 * the file's cache stays too. */
		volatile char sum = 0;
		for (long i = 0; i < len; i += PAGE) {
			sum ^= b[i];
			if (f == 0 && i == SPARSE_OFF_B / PAGE * PAGE)
				ok = memcmp(b + SPARSE_OFF_B, SPARSE_DATA_B, strlen(SPARSE_DATA_B)) == 0;
			if (i + PAGE < len)
				MUST(munmap(b + i, PAGE));
		}
		kept[f] = b + len - PAGE;
	}
	CHECK("a page cache larger than the RAM tmpfs left gives back what nothing maps", ok);
	for (int f = 0; f < 2; f++)
		MUST(munmap(kept[f], PAGE));
	MUST(unlink("/tmp/mmap-ram.dat"));
}

/* Writes PERSIST_SIZE bytes of pattern() to FILE through a shared mapping
 * that is left as it is; returns the mapping. */
static char *persist(const char *dir, const char *file)
{
	char name[300];
	snprintf(name, sizeof name, "%s/%s", dir, file);
	int fd = MUST(open(name, O_RDWR | O_CREAT | O_TRUNC, 0644));
	MUST(ftruncate(fd, PERSIST_SIZE));
	char *m = mmap(NULL, PERSIST_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		check_fail("setup", errno, "mmap of %s", name);
	for (long i = 0; i < PERSIST_SIZE; i++)
		m[i] = (char)pattern(i);
	MUST(close(fd));
	return m;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_bus };
	sigemptyset(&sa.sa_mask);
	MUST(sigaction(SIGBUS, &sa, NULL));

	const char *persist_dir = NULL;
	int frames = 0;
	int first = 1;
	while (first < argc && strncmp(argv[first], "--", 2) == 0) {
		if (strcmp(argv[first], "--persist") == 0 && first + 1 < argc) {
			persist_dir = argv[first + 1];
			first += 2;
		} else if (strcmp(argv[first], "--frames") == 0) {
			frames = 1;
			first++;
		} else {
			check_fail("usage", 0, "unknown option %s", argv[first]);
		}
	}
	const char *dirs[8] = { "/tmp" };
	int ndirs = 1;
	if (first < argc) {
		ndirs = 0;
		for (int i = first; i < argc && ndirs < 8; i++)
			dirs[ndirs++] = argv[i];
	}
	for (int i = 0; i < ndirs; i++) {
		snprintf(path, sizeof path, "%s/mmap-shared.dat", dirs[i]);
		sharing(dirs[i]);
		truncation();
		MUST(unlink(path));
	}
	anonymous();
	if (frames)
		frame_checks();

	if (persist_dir) {
		persist(persist_dir, "mmap-persist-a.bin");
		int ready[2];
		MUST(pipe(ready));
		pid_t pid = MUST(fork());
		if (pid == 0) {
			persist(persist_dir, "mmap-persist-b.bin");
			char t = 'r';
			if (write(ready[1], &t, 1) != 1)
				_exit(1);
			for (;;)
				pause();
		}
		char t;
		CHECK("a child wrote its mapping and lives on", read(ready[0], &t, 1) == 1);
	}
	return check_done();
}

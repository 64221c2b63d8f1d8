/*
 * Checks fallocate(2) and lseek(2)'s SEEK_DATA/SEEK_HOLE in each directory
 * given (default /tmp), on tmpfs and ext4, with what Linux 6.x does on each:
 * the argument checks in vfs_fallocate's order (EINVAL for the range, then
 * EOPNOTSUPP for every mode bit or combination it does not know, EBADF,
 * ESPIPE for pipes, ENODEV for sockets and devices, EFBIG); allocation that
 * grows st_size and st_blocks, KEEP_SIZE that grows only st_blocks, zeroes
 * read back; punched holes that lower st_blocks and read as zeroes, also
 * through a MAP_SHARED mapping (a dirty page in the hole included) while a
 * MAP_PRIVATE copy keeps its bytes; ZERO_RANGE, COLLAPSE_RANGE and
 * INSERT_RANGE on ext4 (tmpfs refuses them with EOPNOTSUPP); ENOSPC; the
 * times; posix_fallocate; SEEK_DATA/SEEK_HOLE over a sparse file (ENXIO at
 * and past the end and, on Linux 6.x, for negative offsets) and over
 * fallocated blocks, which are holes until written. madvise's MADV_REMOVE
 * punches the same hole through a shared mapping of a file open for
 * writing (every mapping of the file reads zeroes, st_blocks drops, the
 * size stays) and is EACCES for a private mapping and for a shared one of
 * a file open read-only.
 *
 * A directory can never be open for writing, so fallocate's EISDIR is out
 * of reach: a directory descriptor gives EBADF.
 */
#include "check.h"

#include <fcntl.h>
#include <linux/falloc.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>

#define PAGE 4096L
#define MIB (1024L * 1024)
#define TMPFS_MAGIC 0x01021994
#define EXT4_MAGIC 0xEF53

static char path[512];
static int is_ext4;
static long fs_block;

static unsigned char pattern(long i)
{
	return (unsigned char)((i * 13) ^ (i >> 10)) | 1;
}

/* Creates (truncating) DIR/falloc-NAME and returns it open read-write. */
static int create(const char *dir, const char *name)
{
	snprintf(path, sizeof path, "%s/falloc-%s", dir, name);
	return (int)MUST(open(path, O_RDWR | O_CREAT | O_TRUNC, 0644));
}

/* Writes LEN bytes of the pattern at OFF. */
static void fill(int fd, long off, long len)
{
	static unsigned char buf[64 * 1024];
	for (long done = 0; done < len;) {
		long n = len - done < (long)sizeof buf ? len - done : (long)sizeof buf;
		for (long i = 0; i < n; i++)
			buf[i] = pattern(off + done + i);
		MUST(pwrite(fd, buf, (size_t)n, off + done));
		done += n;
	}
}

/* Returns 1 if [OFF, OFF+LEN) reads as the pattern (ZERO = 0) or zeroes. */
static int reads(int fd, long off, long len, int zero)
{
	static unsigned char buf[64 * 1024];
	for (long done = 0; done < len;) {
		long n = len - done < (long)sizeof buf ? len - done : (long)sizeof buf;
		if (pread(fd, buf, (size_t)n, off + done) != n)
			return 0;
		for (long i = 0; i < n; i++)
			if (buf[i] != (zero ? 0 : pattern(off + done + i)))
				return 0;
		done += n;
	}
	return 1;
}

static struct stat st_of(int fd)
{
	struct stat st;
	MUST(fstat(fd, &st));
	return st;
}

static long seek(int fd, long off, int whence)
{
	return (long)lseek(fd, off, whence);
}

static void argument_errors(const char *dir)
{
	int fd = create(dir, "errors");
	CHECK_ERRNO("negative offset", fallocate(fd, 0, -1, 10), EINVAL);
	CHECK_ERRNO("zero length", fallocate(fd, 0, 0, 0), EINVAL);
	CHECK_ERRNO("negative length", fallocate(fd, 0, 0, -5), EINVAL);
	CHECK_ERRNO("the range before the mode", fallocate(fd, 0x100, -1, 10), EINVAL);
	CHECK_ERRNO("unknown mode bits", fallocate(fd, 0x100, 0, 10), EOPNOTSUPP);
	CHECK_ERRNO("NO_HIDE_STALE", fallocate(fd, FALLOC_FL_NO_HIDE_STALE, 0, 10), EOPNOTSUPP);
	CHECK_ERRNO("PUNCH_HOLE without KEEP_SIZE", fallocate(fd, FALLOC_FL_PUNCH_HOLE, 0, 10),
		    EOPNOTSUPP);
	CHECK_ERRNO("PUNCH_HOLE with ZERO_RANGE",
		    fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, 0, 10),
		    EOPNOTSUPP);
	CHECK_ERRNO("COLLAPSE_RANGE with KEEP_SIZE",
		    fallocate(fd, FALLOC_FL_COLLAPSE_RANGE | FALLOC_FL_KEEP_SIZE, 0, PAGE), EOPNOTSUPP);
	CHECK_ERRNO("INSERT_RANGE with KEEP_SIZE",
		    fallocate(fd, FALLOC_FL_INSERT_RANGE | FALLOC_FL_KEEP_SIZE, 0, PAGE), EOPNOTSUPP);
	CHECK_ERRNO("COLLAPSE_RANGE with INSERT_RANGE",
		    fallocate(fd, FALLOC_FL_COLLAPSE_RANGE | FALLOC_FL_INSERT_RANGE, 0, PAGE), EOPNOTSUPP);
	CHECK_ERRNO("offset + length overflows", fallocate(fd, 0, INT64_MAX - 100, 200), EFBIG);
	CHECK_ERRNO("KEEP_SIZE overflows too",
		    fallocate(fd, FALLOC_FL_KEEP_SIZE, INT64_MAX - 100, 200), EFBIG);
	if (is_ext4) {
		/* ext4's s_maxbytes: 2^32 - 1 blocks. */
		long max = ((1L << 32) - 1) * fs_block;
		CHECK_ERRNO("past ext4's largest file", fallocate(fd, FALLOC_FL_KEEP_SIZE, max - 10, 11),
			    EFBIG);
		CHECK("up to ext4's largest file", fallocate(fd, FALLOC_FL_KEEP_SIZE, max - 10, 10) == 0);
		CHECK("the last block counts", st_of(fd).st_blocks == fs_block / 512 && st_of(fd).st_size == 0);
		CHECK("ftruncate to the same size frees blocks past the end",
		      ftruncate(fd, 0) == 0 && st_of(fd).st_blocks == 0);
	} else {
		CHECK_ERRNO("ZERO_RANGE on tmpfs", fallocate(fd, FALLOC_FL_ZERO_RANGE, 0, 10), EOPNOTSUPP);
		CHECK_ERRNO("COLLAPSE_RANGE on tmpfs", fallocate(fd, FALLOC_FL_COLLAPSE_RANGE, 0, PAGE),
			    EOPNOTSUPP);
		CHECK_ERRNO("INSERT_RANGE on tmpfs", fallocate(fd, FALLOC_FL_INSERT_RANGE, 0, PAGE), EOPNOTSUPP);
		CHECK("tmpfs takes any offset below 2^63",
		      fallocate(fd, FALLOC_FL_KEEP_SIZE, 1L << 50, PAGE) == 0 && st_of(fd).st_size == 0);
		CHECK("and punches it", fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 1L << 50,
						  PAGE) == 0 && st_of(fd).st_blocks == 0);
	}
	CHECK_ERRNO("UNSHARE_RANGE", fallocate(fd, FALLOC_FL_UNSHARE_RANGE, 0, 10), EOPNOTSUPP);
	close(fd);

	int ro = (int)MUST(open(path, O_RDONLY));
	CHECK_ERRNO("not open for writing", fallocate(ro, 0, 0, 10), EBADF);
	CHECK_ERRNO("the mode before EBADF", fallocate(ro, 0x100, 0, 10), EOPNOTSUPP);
	close(ro);
	int opath = (int)MUST(open(path, O_PATH));
	CHECK_ERRNO("an O_PATH descriptor", fallocate(opath, 0, 0, 10), EBADF);
	close(opath);
	CHECK_ERRNO("a closed descriptor", fallocate(opath, 0, 0, 10), EBADF);
	int d = (int)MUST(open(dir, O_RDONLY | O_DIRECTORY));
	CHECK_ERRNO("a directory (never open for writing)", fallocate(d, 0, 0, 10), EBADF);
	close(d);
	int p[2];
	MUST(pipe(p));
	CHECK_ERRNO("a pipe's read end", fallocate(p[0], 0, 0, 10), EBADF);
	CHECK_ERRNO("a pipe", fallocate(p[1], 0, 0, 10), ESPIPE);
	close(p[0]);
	close(p[1]);
	int sv[2];
	MUST(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	CHECK_ERRNO("a socket", fallocate(sv[0], 0, 0, 10), ENODEV);
	close(sv[0]);
	close(sv[1]);
	int null = (int)MUST(open("/dev/null", O_WRONLY));
	CHECK_ERRNO("a character device", fallocate(null, 0, 0, 10), ENODEV);
	close(null);
	CHECK_SYS("unlink", unlink(path));
}

static void allocation(const char *dir)
{
	int fd = create(dir, "alloc");
	struct stat before = st_of(fd);
	sleep_ms(20);
	CHECK_SYS("mode 0 allocates 4 MiB", fallocate(fd, 0, 0, 4 * MIB));
	struct stat st = st_of(fd);
	CHECKF("mode 0 grows st_size and st_blocks", st.st_size == 4 * MIB && st.st_blocks >= 4 * MIB / 512,
	       "size %ld blocks %ld", (long)st.st_size, (long)st.st_blocks);
	CHECK("and the times", st.st_mtim.tv_sec * 1000000000L + st.st_mtim.tv_nsec >
				       before.st_mtim.tv_sec * 1000000000L + before.st_mtim.tv_nsec &&
				       st.st_ctim.tv_nsec == st.st_mtim.tv_nsec);
	/*
	 * Before anything reads them: Linux's ext4 counts what the page cache
	 * holds of unwritten extents (read-ahead included) as data.
	 */
	CHECK_ERRNO("fallocated blocks are no data", seek(fd, 0, SEEK_DATA), ENXIO);
	CHECK("fallocated blocks are a hole", seek(fd, 0, SEEK_HOLE) == 0);
	fill(fd, MIB + 100, 5000);
	CHECKF("the written pages are data", seek(fd, 0, SEEK_DATA) == MIB, "%ld", seek(fd, 0, SEEK_DATA));
	CHECKF("the rest a hole again", seek(fd, MIB, SEEK_HOLE) == MIB + (5100 + fs_block - 1) / fs_block * fs_block,
	       "%ld", seek(fd, MIB, SEEK_HOLE));
	CHECK("the write reads back", reads(fd, MIB + 100, 5000, 0));
	CHECK("around it zeroes", reads(fd, MIB - 100, 200, 1) && reads(fd, MIB + 5100, PAGE * 2, 1));
	CHECK("the rest reads as zeroes", reads(fd, 0, MIB, 1) && reads(fd, 2 * MIB, 2 * MIB, 1));
	CHECK("the write took no block", st_of(fd).st_blocks == st.st_blocks);
	long blocks = st.st_blocks;
	CHECK_SYS("KEEP_SIZE past the end", fallocate(fd, FALLOC_FL_KEEP_SIZE, 5 * MIB, MIB));
	st = st_of(fd);
	CHECKF("KEEP_SIZE keeps st_size and grows st_blocks",
	       st.st_size == 4 * MIB && st.st_blocks >= blocks + MIB / 512, "size %ld blocks %ld",
	       (long)st.st_size, (long)st.st_blocks);
	CHECK("reading past the end still ends there", pread(fd, (char[16]){ 0 }, 16, 4 * MIB) == 0);
	blocks = st.st_blocks;
	CHECK_SYS("allocating allocated blocks", fallocate(fd, 0, MIB, MIB));
	CHECK("changes no count", st_of(fd).st_blocks == blocks && st_of(fd).st_size == 4 * MIB);
	if (!is_ext4)
		CHECK("tmpfs makes pages fallocated twice data", seek(fd, MIB, SEEK_HOLE) == 2 * MIB);
	close(fd);
	CHECK_SYS("unlink", unlink(path));

	fd = create(dir, "posix");
	CHECK("posix_fallocate", posix_fallocate(fd, 1000, 300000) == 0 && st_of(fd).st_size == 301000 &&
					 st_of(fd).st_blocks >= 300000 / 512);
	close(fd);
	fd = (int)MUST(open(path, O_WRONLY | O_APPEND));
	CHECK_SYS("mode 0 on an O_APPEND file", fallocate(fd, 0, 0, 400000));
	CHECK_SYS("PUNCH_HOLE on an O_APPEND file",
		  fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 400000));
	CHECK("st_size 400000", st_of(fd).st_size == 400000);
	close(fd);
	CHECK_SYS("unlink", unlink(path));
}

static void punch(const char *dir)
{
	int fd = create(dir, "punch");
	fill(fd, 0, 2 * MIB);
	MUST(fsync(fd));
	long blocks = st_of(fd).st_blocks;
	long start = MIB / 2 + 100, end = MIB + 300;
	CHECK_SYS("PUNCH_HOLE", fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, start, end - start));
	struct stat st = st_of(fd);
	long freed = (end / fs_block - (start + fs_block - 1) / fs_block) * fs_block / 512;
	CHECKF("the hole lowers st_blocks", st.st_size == 2 * MIB && st.st_blocks <= blocks - freed,
	       "size %ld blocks %ld of %ld", (long)st.st_size, (long)st.st_blocks, blocks);
	CHECK("the hole reads as zeroes", reads(fd, start, end - start, 1));
	CHECK("around it the data stays", reads(fd, 0, start, 0) && reads(fd, end, 2 * MIB - end, 0));
	CHECK("SEEK_DATA in the zeroed edge", seek(fd, start, SEEK_DATA) == start);
	CHECK("SEEK_HOLE at the first whole block",
	      seek(fd, start, SEEK_HOLE) == (start + fs_block - 1) / fs_block * fs_block);
	CHECK("SEEK_DATA after the hole", seek(fd, start + PAGE, SEEK_DATA) == end / fs_block * fs_block);
	long now = st.st_blocks;
	CHECK_SYS("a hole punched again", fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, start, 5000));
	CHECK("changes nothing", st_of(fd).st_blocks == now);
	CHECK_SYS("KEEP_SIZE past the end", fallocate(fd, FALLOC_FL_KEEP_SIZE, 3 * MIB, MIB));
	now = st_of(fd).st_blocks;
	CHECK_SYS("a hole past the end",
		  fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 3 * MIB, MIB));
	if (is_ext4)
		CHECK("ext4 punches nothing past the end", st_of(fd).st_blocks == now);
	else
		CHECK("tmpfs punches past the end too", st_of(fd).st_blocks == now - MIB / 512);
	close(fd);
	CHECK_SYS("unlink", unlink(path));
}

static void mapped_punch(const char *dir)
{
	int fd = create(dir, "mapped");
	long size = 16 * PAGE;
	fill(fd, 0, size);
	unsigned char *s = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	unsigned char *p = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	CHECK("mmap", s != MAP_FAILED && p != MAP_FAILED);
	CHECK("the mapping sees the file", s[5 * PAGE + 1] == pattern(5 * PAGE + 1));
	s[5 * PAGE + 10] = 'Z'; /* a dirty page inside the hole */
	s[12 * PAGE] = 'Y';     /* and one after it */
	p[4 * PAGE] = 'P';      /* a private copy inside the hole */
	CHECK("the private mapping reads page 6", p[6 * PAGE + 1] == pattern(6 * PAGE + 1));
	long start = 3 * PAGE + 100, end = 9 * PAGE + 200;
	CHECK_SYS("PUNCH_HOLE under the mappings",
		  fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, start, end - start));
	int zero = 1, same = 1;
	for (long i = start; i < end; i++)
		zero &= s[i] == 0;
	for (long i = 0; i < start; i++)
		same &= s[i] == pattern(i);
	CHECK("the shared mapping reads zeroes in the hole", zero);
	CHECK("and the data before it", same);
	CHECK("and after it", s[end] == pattern(end) && s[12 * PAGE] == 'Y');
	CHECK("read(2) agrees", reads(fd, start, end - start, 1) && reads(fd, 0, start, 0));
	CHECK("the private copy keeps its bytes", p[4 * PAGE] == 'P' && p[4 * PAGE + 1] == pattern(4 * PAGE + 1));
	CHECK("uncopied private pages read the hole", p[6 * PAGE + 1] == 0);
	s[7 * PAGE] = 'W'; /* into the hole, after the punch */
	CHECK_SYS("msync", msync(s, (size_t)size, MS_SYNC));
	munmap(s, (size_t)size);
	munmap(p, (size_t)size);
	unsigned char c = 0;
	CHECK("a store after the punch reaches the file", pread(fd, &c, 1, 7 * PAGE) == 1 && c == 'W');
	CHECK("the hole's other bytes stay zero",
	      reads(fd, start, 7 * PAGE - start, 1) && reads(fd, 7 * PAGE + 1, end - 7 * PAGE - 1, 1));
	CHECK("so does the dirty page's store", pread(fd, &c, 1, 5 * PAGE + 10) == 1 && c == 0);
	close(fd);
	CHECK_SYS("unlink", unlink(path));

	/* What a mapping wrote into a hole is data. */
	fd = create(dir, "mapped-hole");
	MUST(ftruncate(fd, size));
	s = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK("mmap of a sparse file", s != MAP_FAILED);
	s[8 * PAGE + 5] = 1;
	CHECK("a store through a mapping is data to SEEK_DATA", seek(fd, 0, SEEK_DATA) == 8 * PAGE);
	CHECK("SEEK_HOLE after it", seek(fd, 8 * PAGE, SEEK_HOLE) == 9 * PAGE);
	munmap(s, (size_t)size);
	close(fd);
	CHECK_SYS("unlink", unlink(path));
}

static void madv_remove(const char *dir)
{
	int fd = create(dir, "madv-remove");
	long size = 8 * PAGE;
	fill(fd, 0, size);
	MUST(fsync(fd));
	blkcnt_t before = st_of(fd).st_blocks;
	unsigned char *s = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	unsigned char *r = mmap(NULL, (size_t)size, PROT_READ, MAP_SHARED, fd, 0);
	CHECK("mmap shared", s != MAP_FAILED && r != MAP_FAILED);
	s[3 * PAGE + 7] = 'D'; /* a dirty page inside the hole */
	CHECK("the other mapping sees the store", r[3 * PAGE + 7] == 'D');
	CHECK_SYS("MADV_REMOVE", madvise(s + 2 * PAGE, 3 * PAGE, MADV_REMOVE));
	int zero = 1;
	for (long i = 2 * PAGE; i < 5 * PAGE; i++)
		zero &= s[i] == 0 && r[i] == 0;
	CHECK("both mappings read zeroes in the hole", zero);
	CHECK("and the data around it", s[2 * PAGE - 1] == pattern(2 * PAGE - 1) && r[5 * PAGE] == pattern(5 * PAGE));
	CHECK("read(2) agrees", reads(fd, 2 * PAGE, 3 * PAGE, 1) && reads(fd, 5 * PAGE, 3 * PAGE, 0));
	struct stat st = st_of(fd);
	/* A host's tmpfs may keep the file in one large folio, which a
	 * partial punch zeroes without freeing. */
	blkcnt_t want = before - (is_ext4 ? 3 * PAGE / 512 : 0);
	CHECKF("the blocks are freed, the size stays", st.st_blocks <= want && st.st_size == size,
	       "st_blocks %ld -> %ld, size %ld", (long)before, (long)st.st_blocks, (long)st.st_size);
	if (is_ext4)
		CHECK("SEEK_HOLE finds the hole", seek(fd, 0, SEEK_HOLE) == 2 * PAGE && seek(fd, 2 * PAGE, SEEK_DATA) == 5 * PAGE);
	CHECK_SYS("MADV_REMOVE through a read-only view of a writable file", madvise(r + 6 * PAGE, PAGE, MADV_REMOVE));
	CHECK("which punches too", s[6 * PAGE + 1] == 0 && reads(fd, 6 * PAGE, PAGE, 1));
	s[4 * PAGE] = 'W';
	CHECK_SYS("msync", msync(s, (size_t)size, MS_SYNC));
	unsigned char c = 0;
	CHECK("a store into the hole reaches the file", pread(fd, &c, 1, 4 * PAGE) == 1 && c == 'W');
	munmap(s, (size_t)size);
	munmap(r, (size_t)size);

	unsigned char *p = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	CHECK_ERRNO("MADV_REMOVE of a private file mapping", madvise(p, PAGE, MADV_REMOVE), EACCES);
	munmap(p, (size_t)size);
	int ro = MUST(open(path, O_RDONLY));
	r = mmap(NULL, (size_t)size, PROT_READ, MAP_SHARED, ro, 0);
	CHECK_ERRNO("MADV_REMOVE of a file open read-only", madvise(r, PAGE, MADV_REMOVE), EACCES);
	CHECK("which keeps its data", r[0] == pattern(0));
	munmap(r, (size_t)size);
	close(ro);
	close(fd);
	CHECK_SYS("unlink", unlink(path));
}

static void zero_and_move(const char *dir)
{
	int fd = create(dir, "zero");
	fill(fd, 0, MIB);
	/* On disk first: Linux's ext4 zeroes delayed allocations as data. */
	MUST(fsync(fd));
	long blocks = st_of(fd).st_blocks;
	long start = 100000, end = 600000;
	CHECK_SYS("ZERO_RANGE", fallocate(fd, FALLOC_FL_ZERO_RANGE, start, end - start));
	/*
	 * Before reading them (see allocation()). With blocks smaller than a
	 * page, Linux's ext4 sees data up to the end of the page it still
	 * caches at the edge of the range.
	 */
	long hole = seek(fd, start, SEEK_HOLE);
	CHECKF("the zeroed whole blocks are a hole",
	       hole == (start + fs_block - 1) / fs_block * fs_block || hole == (start + PAGE - 1) / PAGE * PAGE,
	       "%ld", hole);
	CHECK("the range reads as zeroes", reads(fd, start, end - start, 1));
	CHECK("around it the data stays", reads(fd, 0, start, 0) && reads(fd, end, MIB - end, 0));
	/* Splitting extents may cost an extent tree block. */
	CHECKF("the blocks stay allocated",
	       st_of(fd).st_blocks >= blocks && st_of(fd).st_blocks <= blocks + fs_block / 512 &&
		       st_of(fd).st_size == MIB,
	       "%ld blocks, %ld before", (long)st_of(fd).st_blocks, blocks);
	CHECK_SYS("ZERO_RANGE across the end", fallocate(fd, FALLOC_FL_ZERO_RANGE, MIB - 10, 50000));
	CHECK("grows the file", st_of(fd).st_size == MIB - 10 + 50000 && reads(fd, MIB - 10, 50000, 1));
	CHECK_SYS("ZERO_RANGE with KEEP_SIZE past the end",
		  fallocate(fd, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, 2 * MIB, 8192));
	CHECK("keeps the size", st_of(fd).st_size == MIB - 10 + 50000);
	close(fd);
	CHECK_SYS("unlink", unlink(path));

	fd = create(dir, "move");
	fill(fd, 0, MIB);
	CHECK_ERRNO("COLLAPSE_RANGE off block boundaries",
		    fallocate(fd, FALLOC_FL_COLLAPSE_RANGE, 100, fs_block), EINVAL);
	CHECK_ERRNO("COLLAPSE_RANGE to the end", fallocate(fd, FALLOC_FL_COLLAPSE_RANGE, 0, MIB), EINVAL);
	CHECK_ERRNO("INSERT_RANGE at the end", fallocate(fd, FALLOC_FL_INSERT_RANGE, MIB, fs_block), EINVAL);
	CHECK_SYS("COLLAPSE_RANGE", fallocate(fd, FALLOC_FL_COLLAPSE_RANGE, 64 * 1024, 64 * 1024));
	CHECK("the file shrinks", st_of(fd).st_size == MIB - 64 * 1024);
	static unsigned char buf[8];
	CHECK("what followed moved down", pread(fd, buf, 8, 64 * 1024) == 8 && buf[0] == pattern(128 * 1024) &&
						  buf[7] == pattern(128 * 1024 + 7));
	CHECK_SYS("INSERT_RANGE", fallocate(fd, FALLOC_FL_INSERT_RANGE, 0, 2 * fs_block));
	CHECK("the file grows", st_of(fd).st_size == MIB - 64 * 1024 + 2 * fs_block);
	CHECK("the inserted range is a hole",
	      reads(fd, 0, 2 * fs_block, 1) && seek(fd, 0, SEEK_DATA) == 2 * fs_block);
	CHECK("what followed moved up", pread(fd, buf, 8, 2 * fs_block) == 8 && buf[0] == pattern(0));
	close(fd);
	CHECK_SYS("unlink", unlink(path));
}

static void full(const char *dir)
{
	int fd = create(dir, "full");
	fill(fd, 0, 5000);
	struct stat before = st_of(fd);
	CHECK_ERRNO("1 TiB is ENOSPC", fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, 1L << 40), ENOSPC);
	if (!is_ext4)
		CHECK("tmpfs gives back what it allocated", st_of(fd).st_blocks == before.st_blocks);
	CHECK("the size stays", st_of(fd).st_size == 5000);
	close(fd);
	CHECK_SYS("unlink", unlink(path));
	fd = create(dir, "full");
	CHECK_SYS("then there is room again", fallocate(fd, 0, 0, MIB));
	close(fd);
	CHECK_SYS("unlink", unlink(path));
}

static void seeks(const char *dir)
{
	int fd = create(dir, "sparse");
	fill(fd, 0, PAGE);
	fill(fd, MIB, PAGE);
	MUST(ftruncate(fd, 2 * MIB));
	CHECK("SEEK_DATA at data", seek(fd, 0, SEEK_DATA) == 0);
	CHECK("SEEK_DATA inside data", seek(fd, 100, SEEK_DATA) == 100);
	CHECK("SEEK_HOLE after the first page", seek(fd, 0, SEEK_HOLE) == PAGE);
	CHECK("SEEK_DATA over the hole", seek(fd, PAGE, SEEK_DATA) == MIB);
	CHECK("SEEK_HOLE after the second page", seek(fd, MIB + 1, SEEK_HOLE) == MIB + PAGE);
	CHECK_ERRNO("no data after it", seek(fd, MIB + PAGE, SEEK_DATA), ENXIO);
	CHECK("SEEK_HOLE in the hole at the end", seek(fd, 2 * MIB - 1, SEEK_HOLE) == 2 * MIB - 1);
	CHECK_ERRNO("SEEK_DATA at the end", seek(fd, 2 * MIB, SEEK_DATA), ENXIO);
	CHECK_ERRNO("SEEK_HOLE at the end", seek(fd, 2 * MIB, SEEK_HOLE), ENXIO);
	CHECK_ERRNO("SEEK_HOLE past the end", seek(fd, 3 * MIB, SEEK_HOLE), ENXIO);
	CHECK_ERRNO("SEEK_DATA at a negative offset", seek(fd, -1, SEEK_DATA), ENXIO);
	CHECK_ERRNO("SEEK_HOLE at a negative offset", seek(fd, -PAGE, SEEK_HOLE), ENXIO);
	CHECK("the position moved to the last answer", seek(fd, 0, SEEK_CUR) == 2 * MIB - 1);
	CHECK_SYS("KEEP_SIZE inside the hole", fallocate(fd, FALLOC_FL_KEEP_SIZE, 8 * PAGE, 8 * PAGE));
	CHECK("fallocated blocks stay a hole", seek(fd, PAGE, SEEK_DATA) == MIB);
	close(fd);
	CHECK_SYS("unlink", unlink(path));
	fd = create(dir, "empty");
	CHECK_ERRNO("an empty file has no data", seek(fd, 0, SEEK_DATA), ENXIO);
	CHECK_ERRNO("nor a hole", seek(fd, 0, SEEK_HOLE), ENXIO);
	close(fd);
	CHECK_SYS("unlink", unlink(path));
}

static void falloc_checks(const char *dir)
{
	struct statfs sf;
	MUST(statfs(dir, &sf));
	is_ext4 = sf.f_type == EXT4_MAGIC;
	fs_block = is_ext4 ? (long)sf.f_bsize : PAGE;
	if (!is_ext4 && sf.f_type != TMPFS_MAGIC)
		check_fail("filesystem", 0, "%s is neither tmpfs nor ext4 (f_type %#lx)", dir, (long)sf.f_type);
	check_printf("# %s (%s)\n", dir, is_ext4 ? "ext4" : "tmpfs");
	argument_errors(dir);
	allocation(dir);
	punch(dir);
	mapped_punch(dir);
	madv_remove(dir);
	seeks(dir);
	if (is_ext4)
		zero_and_move(dir);
	full(dir);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		falloc_checks("/tmp");
	} else {
		for (int i = 1; i < argc; i++)
			falloc_checks(argv[i]);
	}
	return check_done();
}

/*
 * Writes the /data fixture tree described in tests/guest/fixtures.h under
 * ROOT (usage: gen-fixtures ROOT). Run on the host by build-test-image.sh.
 */
#define _GNU_SOURCE
#include "fixtures.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *root;

static void die(const char *what, const char *path)
{
	fprintf(stderr, "gen-fixtures: %s %s: %s\n", what, path, strerror(errno));
	exit(1);
}

/* Returns ROOT/PATH in a static buffer (PATH starts with '/'). */
static const char *at(const char *path)
{
	static char buf[4096];
	snprintf(buf, sizeof buf, "%s%s", root, path);
	return buf;
}

static int create(const char *path, mode_t mode)
{
	int fd = open(at(path), O_WRONLY | O_CREAT | O_TRUNC, mode);
	if (fd < 0)
		die("create", path);
	if (fchmod(fd, mode) != 0)
		die("chmod", path);
	return fd;
}

static void put(int fd, const void *buf, size_t len, off_t off, const char *path)
{
	if (pwrite(fd, buf, len, off) != (ssize_t)len)
		die("write", path);
}

static void write_file(const char *path, const char *text, mode_t mode)
{
	int fd = create(path, mode);
	put(fd, text, strlen(text), 0, path);
	close(fd);
}

static void symlink_at(const char *target, const char *path)
{
	if (symlink(target, at(path)) != 0)
		die("symlink", path);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: gen-fixtures ROOT\n");
		return 2;
	}
	root = argv[1];
	if (mkdir(at("/data"), 0755) != 0)
		die("mkdir", "/data");

	write_file(SMALL_PATH, SMALL_TEXT, 0644);

	static unsigned char chunk[1 << 16];
	int fd = create(BIG_PATH, 0644);
	for (size_t off = 0; off < BIG_SIZE; off += sizeof chunk) {
		size_t n = BIG_SIZE - off < sizeof chunk ? BIG_SIZE - off : sizeof chunk;
		for (size_t i = 0; i < n; i++)
			chunk[i] = pattern_byte(off + i);
		put(fd, chunk, n, (off_t)off, BIG_PATH);
	}
	close(fd);

	fd = create(SPARSE_PATH, 0644);
	if (ftruncate(fd, SPARSE_SIZE) != 0)
		die("truncate", SPARSE_PATH);
	put(fd, SPARSE_DATA_A, strlen(SPARSE_DATA_A), SPARSE_OFF_A, SPARSE_PATH);
	put(fd, SPARSE_DATA_B, strlen(SPARSE_DATA_B), SPARSE_OFF_B, SPARSE_PATH);
	put(fd, SPARSE_DATA_C, strlen(SPARSE_DATA_C), SPARSE_OFF_C, SPARSE_PATH);
	close(fd);

	if (mkdir(at(MANY_PATH), 0755) != 0)
		die("mkdir", MANY_PATH);
	for (unsigned i = 0; i < MANY_COUNT; i++) {
		char name[64];
		snprintf(name, sizeof name, MANY_PATH "/" MANY_NAME_FMT, i);
		close(create(name, 0644));
	}

	symlink_at(FAST_LINK_TARGET, FAST_LINK_PATH);
	symlink_at(SLOW_LINK_TARGET, SLOW_LINK_PATH);
	symlink_at(DIR_LINK_TARGET, DIR_LINK_PATH);
	symlink_at(DANGLING_LINK_TARGET, DANGLING_LINK_PATH);
	symlink_at("loop2", LOOP1_PATH);
	symlink_at("loop1", LOOP2_PATH);

	write_file(HARDLINK_A, HARDLINK_TEXT, 0644);
	char a[4096];
	snprintf(a, sizeof a, "%s", at(HARDLINK_A));
	if (link(a, at(HARDLINK_B)) != 0)
		die("link", HARDLINK_B);

	write_file(NOTELF_PATH, NOTELF_TEXT, 0755);
	return 0;
}

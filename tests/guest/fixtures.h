/*
 * The /data fixture tree of the test image, shared by the guest programs that
 * read it and images/gen-fixtures.c that writes it, so both agree by
 * construction.
 */
#ifndef FIXTURES_H
#define FIXTURES_H

#include <stdint.h>

/* A small text file. */
#define SMALL_PATH "/data/small.txt"
#define SMALL_TEXT "The quick brown fox jumps over the lazy dog.\n"

/* A multi-megabyte file of pattern_byte(0..BIG_SIZE-1); not a whole number of pages. */
#define BIG_PATH "/data/big.bin"
#define BIG_SIZE (5u * 1024 * 1024 + 123)

/* A sparse file: SPARSE_SIZE bytes, data only at the SPARSE_OFF_* offsets. */
#define SPARSE_PATH "/data/sparse.bin"
#define SPARSE_SIZE (16u * 1024 * 1024)
#define SPARSE_OFF_A 0u
#define SPARSE_DATA_A "start"
#define SPARSE_OFF_B (8u * 1024 * 1024 + 100)
#define SPARSE_DATA_B "middle"
#define SPARSE_OFF_C (SPARSE_SIZE - 3)
#define SPARSE_DATA_C "end"

/* A directory of MANY_COUNT empty regular files named f0000, f0001, ... */
#define MANY_PATH "/data/many"
#define MANY_COUNT 3000
#define MANY_NAME_FMT "f%04u"

/* Symlinks: a fast one (target stored in the inode) and a slow one (> 60 bytes). */
#define FAST_LINK_PATH "/data/link-fast"
#define FAST_LINK_TARGET "small.txt"
#define SLOW_LINK_PATH "/data/link-slow"
#define SLOW_LINK_TARGET \
	"/data/././././././././././././././././././././././././././././././small.txt"
#define DIR_LINK_PATH "/data/link-dir"
#define DIR_LINK_TARGET "many"
#define DANGLING_LINK_PATH "/data/link-dangling"
#define DANGLING_LINK_TARGET "does-not-exist"
#define LOOP1_PATH "/data/loop1"
#define LOOP2_PATH "/data/loop2"

/* Two names of one inode. */
#define HARDLINK_A "/data/hard-a"
#define HARDLINK_B "/data/hard-b"
#define HARDLINK_TEXT "two names, one inode\n"

/* An executable (mode 0755) that is neither ELF nor a #! script: execve gives ENOEXEC. */
#define NOTELF_PATH "/data/not-elf"
#define NOTELF_TEXT "this is not a program\n"

/* Returns byte I of BIG_PATH. */
static inline unsigned char pattern_byte(uint64_t i)
{
	uint32_t x = (uint32_t)i * 2654435761u + (uint32_t)(i >> 16);
	x ^= x >> 15;
	x *= 2246822519u;
	x ^= x >> 13;
	return (unsigned char)(x >> 24);
}

#endif

/*
 * A tiny check harness for guest test programs.
 *
 * Each program is a list of named checks. A passing check prints "ok NAME";
 * the first failing one prints "FAIL NAME: details (errno N ENAME)" and exits
 * with status 1. check_done() prints "N passed, 0 failed" and returns 0 for
 * main to return.
 *
 * Output goes straight to fd 1 with write(2), one write per line, so lines
 * from a parent and a forked child never tear and no stdio (ioctl, buffering)
 * is involved.
 */
#ifndef CHECK_H
#define CHECK_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int check_passed;

/* Writes all of buf to fd 1, retrying short writes. */
static void check_write(const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(1, buf, len);
		if (n <= 0) {
			if (n < 0 && errno == EINTR)
				continue;
			return;
		}
		buf += n;
		len -= (size_t)n;
	}
}

/* Prints a formatted message to fd 1 in a single write. */
__attribute__((format(printf, 1, 2)))
static void check_printf(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof buf)
		n = sizeof buf - 1;
	check_write(buf, (size_t)n);
}

static void check_ok(const char *name)
{
	check_passed++;
	check_printf("ok %s\n", name);
}

/* Reports the failure of check NAME and exits with status 1. */
__attribute__((format(printf, 3, 4), noreturn))
static void check_fail(const char *name, int err, const char *fmt, ...)
{
	char details[768];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(details, sizeof details, fmt, ap);
	va_end(ap);
	const char *ename = err ? strerrorname_np(err) : NULL;
	check_printf("FAIL %s: %s (errno %d %s)\n", name, details, err,
		     ename ? ename : "-");
	_exit(1);
}

/* Prints the summary line; main returns its result. */
static int check_done(void)
{
	check_printf("%d passed, 0 failed\n", check_passed);
	return 0;
}

/* Sleeps MS milliseconds, resuming after signal handlers. */
static inline void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* Returns CLOCK_MONOTONIC in milliseconds. */
static inline double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Passes if COND is true. */
#define CHECK(name, cond)                                                     \
	do {                                                                  \
		errno = 0;                                                    \
		int check_c_ = !!(cond);                                      \
		int check_e_ = errno;                                         \
		if (check_c_)                                                 \
			check_ok(name);                                       \
		else                                                          \
			check_fail(name, check_e_, "%s", #cond);              \
	} while (0)

/* Passes if COND is true; on failure prints FMT... as the details. */
#define CHECKF(name, cond, ...)                                               \
	do {                                                                  \
		errno = 0;                                                    \
		int check_c_ = !!(cond);                                      \
		int check_e_ = errno;                                         \
		if (check_c_)                                                 \
			check_ok(name);                                       \
		else                                                          \
			check_fail(name, check_e_, __VA_ARGS__);              \
	} while (0)

/* Passes if CALL does not return -1 (or MAP_FAILED). */
#define CHECK_SYS(name, call)                                                 \
	do {                                                                  \
		errno = 0;                                                    \
		long check_r_ = (long)(call);                                 \
		int check_e_ = errno;                                         \
		if (check_r_ != -1)                                           \
			check_ok(name);                                       \
		else                                                          \
			check_fail(name, check_e_, "%s failed", #call);       \
	} while (0)

/* Passes if CALL returns -1 (or MAP_FAILED) with errno EXPECTED. */
#define CHECK_ERRNO(name, call, expected)                                     \
	do {                                                                  \
		errno = 0;                                                    \
		long check_r_ = (long)(call);                                 \
		int check_e_ = errno;                                         \
		if (check_r_ == -1 && check_e_ == (expected))                 \
			check_ok(name);                                       \
		else                                                          \
			check_fail(name, check_e_,                            \
				   "%s returned %ld, expected -1 with %s",    \
				   #call, check_r_,                           \
				   strerrorname_np(expected));                \
	} while (0)

/* Exits with a failure if CALL returns -1; for setup steps that are not checks. */
#define MUST(call)                                                            \
	({                                                                    \
		errno = 0;                                                    \
		long must_r_ = (long)(call);                                  \
		if (must_r_ == -1)                                            \
			check_fail("setup", errno, "%s failed", #call);       \
		must_r_;                                                      \
	})

#endif

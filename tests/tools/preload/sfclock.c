/* sfclock.so: a wall-clock step for one process, for daemon_clock.sh.
 * LD_PRELOADed, it adds an offset to what clock_gettime(CLOCK_REALTIME and
 * its _COARSE variant), gettimeofday() and time() answer; the monotonic
 * clocks are left alone.  The offset, whole seconds (say "3600" or
 * "-3600"), is read from the file named by SFCLOCK_FILE: at most every
 * 50 ms of monotonic time, so a test steps the clock by writing the file.
 * A missing or unreadable file means 0.
 *
 * Built as a shared object without the sanitizers (the Makefile's
 * $(O)/tests/tools/sfclock.so); a sanitized daemon needs
 * ASAN_OPTIONS=verify_asan_link_order=0 beside it. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

typedef int (*clock_gettime_fn)(clockid_t, struct timespec *);

static _Atomic long offset_s;
static _Atomic long long read_at_ns = -1;   /* monotonic, of the last read */

static clock_gettime_fn real_clock_gettime(void)
{
	static _Atomic(clock_gettime_fn) fn;
	clock_gettime_fn f = atomic_load(&fn);

	if (!f) {
		f = (clock_gettime_fn)dlsym(RTLD_NEXT, "clock_gettime");
		atomic_store(&fn, f);
	}
	return f;
}

static long current_offset(void)
{
	struct timespec mono;
	long long now, last = atomic_load(&read_at_ns);
	const char *path = getenv("SFCLOCK_FILE");
	char buf[32];
	ssize_t n;
	int fd;

	if (!path || real_clock_gettime()(CLOCK_MONOTONIC, &mono) != 0)
		return 0;
	now = (long long)mono.tv_sec * 1000000000LL + mono.tv_nsec;
	if (last >= 0 && now - last < 50000000LL)
		return atomic_load(&offset_s);
	atomic_store(&read_at_ns, now);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		atomic_store(&offset_s, 0);
		return 0;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	atomic_store(&offset_s, strtol(buf, NULL, 10));
	return atomic_load(&offset_s);
}

int clock_gettime(clockid_t id, struct timespec *ts)
{
	int r = real_clock_gettime()(id, ts);

	if (r == 0 && (id == CLOCK_REALTIME || id == CLOCK_REALTIME_COARSE))
		ts->tv_sec += current_offset();
	return r;
}

int gettimeofday(struct timeval *restrict tv, void *restrict tz)
{
	struct timespec ts;

	(void)tz;
	if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
		return -1;
	tv->tv_sec = ts.tv_sec;
	tv->tv_usec = ts.tv_nsec / 1000;
	return 0;
}

time_t time(time_t *t)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
		return (time_t)-1;
	if (t)
		*t = ts.tv_sec;
	return ts.tv_sec;
}

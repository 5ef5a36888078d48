#include "common/log.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/util.h"

static enum log_level max_level = LOG_LEVEL_INFO;
static const char *log_ident = "superfluid";
/* One lock so lines from several threads never interleave. */
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *const level_names[] = {
	[LOG_LEVEL_ERR] = "error", [LOG_LEVEL_WARN] = "warning",
	[LOG_LEVEL_INFO] = "info", [LOG_LEVEL_DEBUG] = "debug",
};

void log_set_level(enum log_level level) { max_level = level; }
enum log_level log_get_level(void) { return max_level; }
void log_set_ident(const char *ident) { log_ident = ident; }

__attribute__((format(printf, 3, 0)))
static void log_line(enum log_level level, const char *suffix, const char *fmt, va_list ap)
{
	struct timespec ts;
	struct tm tm;
	char stamp[32];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);

	pthread_mutex_lock(&log_lock);
	fprintf(stderr, "%s.%03ldZ %s[%s]: ", stamp, ts.tv_nsec / 1000000, log_ident,
		level_names[level]);
	vfprintf(stderr, fmt, ap);
	if (suffix)
		fprintf(stderr, ": %s", suffix);
	fputc('\n', stderr);
	pthread_mutex_unlock(&log_lock);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	if (level > max_level)
		return;
	va_start(ap, fmt);
	log_line(level, NULL, fmt, ap);
	va_end(ap);
}

int log_errno(int r, const char *fmt, ...)
{
	va_list ap;
	char buf[128];

	if (LOG_LEVEL_ERR > max_level)
		return r;
	va_start(ap, fmt);
	log_line(LOG_LEVEL_ERR, strerror_r(r < 0 ? -r : r, buf, sizeof(buf)), fmt, ap);
	va_end(ap);
	return r;
}

#define RL_LINE 60000u   /* credit a line costs: ms in a minute */

static uint64_t (*rl_clock)(void) = util_now_ms;

void log_rl_set_clock(uint64_t (*now_ms)(void))
{
	rl_clock = now_ms ? now_ms : util_now_ms;
}

bool log_rl_allow(struct log_rl *rl, unsigned long *ret_suppressed, uint64_t *ret_for_ms)
{
	uint64_t now = rl_clock(), full = (uint64_t)rl->burst * RL_LINE;
	bool allow = false;

	pthread_mutex_lock(&rl->lock);
	if (!rl->started) {
		rl->started = true;
		rl->credit = full;
	} else if (now > rl->last_ms) {
		uint64_t add = (now - rl->last_ms) * rl->per_minute;

		rl->credit = add >= full - rl->credit ? full : rl->credit + add;
	}
	rl->last_ms = now;
	if (rl->credit >= RL_LINE) {
		rl->credit -= RL_LINE;
		*ret_suppressed = rl->suppressed;
		if (ret_for_ms)
			*ret_for_ms = rl->suppressed ? now - rl->first_suppressed_ms : 0;
		rl->suppressed = 0;
		allow = true;
	} else if (rl->suppressed++ == 0) {
		rl->first_suppressed_ms = now;
	}
	pthread_mutex_unlock(&rl->lock);
	return allow;
}

void log_msg_rl(struct log_rl *rl, enum log_level level, const char *fmt, ...)
{
	unsigned long suppressed;
	uint64_t for_ms;
	va_list ap;

	if (level > max_level || !log_rl_allow(rl, &suppressed, &for_ms))
		return;
	if (suppressed)
		log_msg(level, "%lu similar line(s) suppressed in the last %llu s", suppressed,
			(unsigned long long)(for_ms / 1000));
	va_start(ap, fmt);
	log_line(level, NULL, fmt, ap);
	va_end(ap);
}

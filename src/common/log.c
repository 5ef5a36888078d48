#include "common/log.h"

#include <dlfcn.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

/* Our own CODE_FILE/LINE/FUNC (the caller's), not sd-journal's (this file's).
 * The header for sd_journal_sendv's type only: libsystemd is opened at run
 * time, and only under the journal, so that the CNI plugin (exec'd for
 * every request) and sfctl do not load it and its libraries. */
#define SD_JOURNAL_SUPPRESS_LOCATION
#include <systemd/sd-journal.h>

#include "common/util.h"

static enum log_level max_level = LOG_LEVEL_INFO;
static const char *log_ident = "superfluid";
/* One lock so lines from several threads never interleave. */
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *const level_names[] = {
	[LOG_LEVEL_ERR] = "error", [LOG_LEVEL_WARN] = "warning",
	[LOG_LEVEL_INFO] = "info", [LOG_LEVEL_DEBUG] = "debug",
};
/* syslog(3)'s priorities, as the journal's PRIORITY field wants them. */
static const int level_priority[] = {
	[LOG_LEVEL_ERR] = 3, [LOG_LEVEL_WARN] = 4, [LOG_LEVEL_INFO] = 6, [LOG_LEVEL_DEBUG] = 7,
};

void log_set_level(enum log_level level) { max_level = level; }
enum log_level log_get_level(void) { return max_level; }
void log_set_ident(const char *ident) { log_ident = ident; }

/* --- the journal ------------------------------------------------------------ */

static pthread_once_t journal_once = PTHREAD_ONCE_INIT;
static bool journal_on;
static __typeof__(sd_journal_sendv) *journal_sendv;   /* libsystemd's, once open */

static bool parse_u64(const char *s, const char *end, uint64_t *ret)
{
	uint64_t v = 0;

	if (s == end)
		return false;
	for (; s < end; s++) {
		if (*s < '0' || *s > '9' || v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*ret = v;
	return true;
}

bool log_journal_stream_is(const char *value, int fd)
{
	const char *colon;
	uint64_t dev, ino;
	struct stat st;

	if (!value || !(colon = strchr(value, ':')))
		return false;
	if (!parse_u64(value, colon, &dev) || !parse_u64(colon + 1, colon + 1 + strlen(colon + 1), &ino))
		return false;
	if (fstat(fd, &st) < 0)
		return false;
	return (uint64_t)st.st_dev == dev && (uint64_t)st.st_ino == ino;
}

/* systemd.exec(5): a program should log natively only when its standard
 * error still is the stream systemd connected (not redirected since, not
 * inherited by a child with its stderr elsewhere). */
static void journal_detect(void)
{
	void *lib;

	if (!log_journal_stream_is(getenv("JOURNAL_STREAM"), STDERR_FILENO))
		return;
	/* Never closed: the process logs until it exits.  Without it, plain. */
	lib = dlopen("libsystemd.so.0", RTLD_NOW | RTLD_LOCAL);
	if (!lib)
		return;
	*(void **)&journal_sendv = dlsym(lib, "sd_journal_sendv");
	journal_on = journal_sendv != NULL;
}

bool log_journal_active(void)
{
	pthread_once(&journal_once, journal_detect);
	return journal_on;
}

#define CTX_LEN 128
static __thread char ctx_request[CTX_LEN], ctx_container[CTX_LEN];

void log_context_set(const char *request_id, const char *container_id)
{
	snprintf(ctx_request, sizeof(ctx_request), "%s", request_id ? request_id : "");
	snprintf(ctx_container, sizeof(ctx_container), "%s", container_id ? container_id : "");
}

void log_context_clear(void)
{
	ctx_request[0] = ctx_container[0] = '\0';
}

struct log_site {
	const char *file, *func;
	int line;
	int err;                /* > 0: ERRNO */
};

/* One entry; 0, or -errno when the journal did not take it. */
static int journal_send(const struct log_site *site, enum log_level level, const char *msg)
{
	char prio[16], ident[80], file[256], line[32], func[128], err[32];
	char rid[CTX_LEN + 16], cid[CTX_LEN + 16];
	struct iovec iov[10];
	int n = 0;

#define FIELD(buf, ...) do { \
		snprintf(buf, sizeof(buf), __VA_ARGS__); \
		iov[n].iov_base = buf; \
		iov[n++].iov_len = strlen(buf); \
	} while (0)
	iov[n].iov_base = (void *)msg;
	iov[n++].iov_len = strlen(msg);
	FIELD(prio, "PRIORITY=%d", level_priority[level]);
	FIELD(ident, "SYSLOG_IDENTIFIER=%s", log_ident);
	FIELD(file, "CODE_FILE=%s", site->file);
	FIELD(line, "CODE_LINE=%d", site->line);
	FIELD(func, "CODE_FUNC=%s", site->func);
	if (site->err > 0)
		FIELD(err, "ERRNO=%d", site->err);
	if (ctx_request[0])
		FIELD(rid, "SF_REQUEST_ID=%s", ctx_request);
	if (ctx_container[0])
		FIELD(cid, "SF_CONTAINER_ID=%s", ctx_container);
#undef FIELD
	return journal_sendv(iov, n);
}

__attribute__((format(printf, 4, 0)))
static void log_line(const struct log_site *site, enum log_level level, const char *suffix,
		     const char *fmt, va_list ap)
{
	struct timespec ts;
	struct tm tm;
	char stamp[32];

	if (log_journal_active()) {
		char msg[4096];
		size_t len;
		va_list aq;

		/* "MESSAGE=" then the line; a longer one is cut (marked). */
		memcpy(msg, "MESSAGE=", 8);
		va_copy(aq, ap);
		vsnprintf(msg + 8, sizeof(msg) - 8, fmt, aq);
		va_end(aq);
		len = strlen(msg);
		if (suffix)
			snprintf(msg + len, sizeof(msg) - len, ": %s", suffix);
		if (strlen(msg) == sizeof(msg) - 1)
			memcpy(msg + sizeof(msg) - 4, "...", 3);
		if (journal_send(site, level, msg) == 0)
			return;
		/* Not taken (journald gone?): the stream may still be read. */
	}

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

__attribute__((format(printf, 4, 5)))
static void log_site_msg(const struct log_site *site, enum log_level level, const char *suffix,
			 const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_line(site, level, suffix, fmt, ap);
	va_end(ap);
}

void log_msg_at(const char *file, int line, const char *func, enum log_level level,
		const char *fmt, ...)
{
	struct log_site site = { .file = file, .line = line, .func = func };
	va_list ap;

	if (level > max_level)
		return;
	va_start(ap, fmt);
	log_line(&site, level, NULL, fmt, ap);
	va_end(ap);
}

int log_errno_at(const char *file, int line, const char *func, int r, const char *fmt, ...)
{
	struct log_site site = { .file = file, .line = line, .func = func, .err = r < 0 ? -r : r };
	va_list ap;
	char buf[128];

	if (LOG_LEVEL_ERR > max_level)
		return r;
	va_start(ap, fmt);
	log_line(&site, LOG_LEVEL_ERR, strerror_r(site.err, buf, sizeof(buf)), fmt, ap);
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

void log_msg_rl_at(const char *file, int line, const char *func, struct log_rl *rl,
		   enum log_level level, const char *fmt, ...)
{
	struct log_site site = { .file = file, .line = line, .func = func };
	unsigned long suppressed;
	uint64_t for_ms;
	va_list ap;

	if (level > max_level || !log_rl_allow(rl, &suppressed, &for_ms))
		return;
	if (suppressed)
		log_site_msg(&site, level, NULL, "%lu similar line(s) suppressed in the last %llu s",
			     suppressed, (unsigned long long)(for_ms / 1000));
	va_start(ap, fmt);
	log_line(&site, level, NULL, fmt, ap);
	va_end(ap);
}

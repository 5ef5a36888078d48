/* Logging for the programs.  Library code (netlink, netns, neutron, store)
 * logs at debug level at most and returns -errno; only main.c files decide
 * what the user sees. */
#ifndef SF_COMMON_LOG_H
#define SF_COMMON_LOG_H

#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

enum log_level { LOG_LEVEL_ERR, LOG_LEVEL_WARN, LOG_LEVEL_INFO, LOG_LEVEL_DEBUG };

void log_set_level(enum log_level level);
enum log_level log_get_level(void);
/* Prefix every line with this program name (borrowed; must outlive logging). */
void log_set_ident(const char *ident);

/* Where a line goes.  Under systemd (JOURNAL_STREAM names the device and
 * inode of our standard error, as systemd.exec(5) says) each line is one
 * journal entry with fields: MESSAGE, PRIORITY, SYSLOG_IDENTIFIER,
 * CODE_FILE, CODE_LINE, CODE_FUNC, ERRNO (log_errno) and the thread's
 * SF_REQUEST_ID / SF_CONTAINER_ID (log_context_set); otherwise, or when the
 * journal does not take it, a plain line on standard error.  Decided at the
 * first line. */
bool log_journal_active(void);
/* Whether VALUE, a JOURNAL_STREAM ("DEV:INO", decimal), names the file FD
 * is open on.  False for NULL, a malformed value or another file. */
bool log_journal_stream_is(const char *value, int fd);

/* The request this thread serves, added to each of its lines as journal
 * fields SF_REQUEST_ID and SF_CONTAINER_ID (NULL: none).  Both copied
 * (truncated to 127 bytes); log_context_clear drops them. */
void log_context_set(const char *request_id, const char *container_id);
void log_context_clear(void);

/* FILE, LINE and FUNC: the call site (the macros below pass them). */
void log_msg_at(const char *file, int line, const char *func, enum log_level level,
		const char *fmt, ...) __attribute__((format(printf, 5, 6)));
#define log_msg(level, ...) log_msg_at(__FILE__, __LINE__, __func__, (level), __VA_ARGS__)
/* Logs with strerror(-r) appended and returns r, so that callers can write
 * `return log_errno(r, "opening '%s'", path);`. */
int log_errno_at(const char *file, int line, const char *func, int r, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
#define log_errno(r, ...) log_errno_at(__FILE__, __LINE__, __func__, (r), __VA_ARGS__)

#define log_err(...)   log_msg(LOG_LEVEL_ERR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__)

/* Rate-limited logging, for lines a client can cause (one per connection,
 * one per request): a token bucket per call site, as Open vSwitch's
 * VLOG_RATE_LIMIT_INIT.  The bucket holds `burst` lines and refills
 * `per_minute` lines a minute; a line finding it empty is dropped and
 * counted, and the next line let through is preceded by "N similar
 * line(s) suppressed".  A line above the log level costs nothing. */
struct log_rl {
	unsigned per_minute, burst;
	pthread_mutex_t lock;          /* guards the rest */
	bool started;
	uint64_t credit;               /* in 1/60000 of a line: a line a minute refills 1 a ms */
	uint64_t last_ms;
	unsigned long suppressed;
	uint64_t first_suppressed_ms;
};

#define LOG_RL_INIT(PER_MINUTE, BURST) \
	{ .per_minute = (PER_MINUTE), .burst = (BURST), .lock = PTHREAD_MUTEX_INITIALIZER }
/* Enough for a person to see what happens, too few to fill a disk. */
#define LOG_RL_PER_MINUTE 20
#define LOG_RL_BURST 10

/* Whether a line may go out now; on true, *ret_suppressed is how many were
 * dropped since the last one that went out (and the count restarts), and
 * *ret_for_ms (may be NULL) how long ago the first of them was. */
bool log_rl_allow(struct log_rl *rl, unsigned long *ret_suppressed, uint64_t *ret_for_ms);
void log_msg_rl_at(const char *file, int line, const char *func, struct log_rl *rl,
		   enum log_level level, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
#define log_msg_rl(rl, level, ...) \
	log_msg_rl_at(__FILE__, __LINE__, __func__, (rl), (level), __VA_ARGS__)
/* The clock the buckets read, in milliseconds; NULL: the monotonic clock.
 * For tests. */
void log_rl_set_clock(uint64_t (*now_ms)(void));

#define log_rl__(level, ...) do { \
		static struct log_rl log_rl_site__ = LOG_RL_INIT(LOG_RL_PER_MINUTE, LOG_RL_BURST); \
		log_msg_rl(&log_rl_site__, (level), __VA_ARGS__); \
	} while (0)
#define log_err_rl(...)   log_rl__(LOG_LEVEL_ERR, __VA_ARGS__)
#define log_warn_rl(...)  log_rl__(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_info_rl(...)  log_rl__(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug_rl(...) log_rl__(LOG_LEVEL_DEBUG, __VA_ARGS__)

#endif

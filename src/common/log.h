/* Logging for the programs.  Library code (netlink, netns, neutron, store)
 * logs at debug level at most and returns -errno; only main.c files decide
 * what the user sees. */
#ifndef SF_COMMON_LOG_H
#define SF_COMMON_LOG_H

#include <stdarg.h>

enum log_level { LOG_LEVEL_ERR, LOG_LEVEL_WARN, LOG_LEVEL_INFO, LOG_LEVEL_DEBUG };

void log_set_level(enum log_level level);
enum log_level log_get_level(void);
/* Prefix every line with this program name (borrowed; must outlive logging). */
void log_set_ident(const char *ident);

void log_msg(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Logs with strerror(-r) appended and returns r, so that callers can write
 * `return log_errno(r, "opening '%s'", path);`. */
int log_errno(int r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_err(...)   log_msg(LOG_LEVEL_ERR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__)

#endif

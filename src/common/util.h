/* Small helpers shared by every component. */
#ifndef SF_COMMON_UTIL_H
#define SF_COMMON_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* The release, shown by every program's --version (and debian/changelog's
 * top entry must agree: tests/integration/package_deb.sh checks). */
#ifndef SF_VERSION
#define SF_VERSION "0.1.0"
#endif

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MUST_CHECK __attribute__((warn_unused_result))

static inline bool streq(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

/* Allocation that aborts on failure: only for small, fixed-size objects of
 * startup and long-lived state (docs/fuzzing.md, "Fault injection", draws
 * the line).  Parsers and request paths allocate with a check and return
 * -ENOMEM instead; so does anything sized by untrusted input. */
void *xmalloc(size_t size);
void *xcalloc(size_t n, size_t size);
char *xstrdup(const char *s);
/* NULL-safe strdup for optional strings. */
char *xstrdup_opt(const char *s);

/* Monotonic clock in microseconds and milliseconds. */
uint64_t util_now_us(void);
static inline uint64_t util_now_ms(void) { return util_now_us() / 1000; }

/* A name that can end a Neutron tag ("sf-site=<name>"): lowercase
 * letters, digits and '-', not starting with '-', 1..max characters. */
bool util_tag_name_valid(const char *name, size_t max);

/* Sleeps ms milliseconds, resuming after a signal. */
void util_sleep_ms(unsigned ms);

/* Copies at most size-1 bytes and always terminates; returns -ENAMETOOLONG
 * when src did not fit (dst then holds the truncated copy). */
int util_strlcpy(char *dst, const char *src, size_t size);

#endif

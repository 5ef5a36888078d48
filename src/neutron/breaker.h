/* A circuit breaker over Neutron's reachability: closed while Neutron
 * answers, open once a call got no answer at all (a timeout, refused,
 * reset, unreachable), half-open while one probe finds out whether the
 * path healed.  The daemon feeds it every call's outcome, fails an ADD
 * that would need Neutron at once while it is not closed, and runs the
 * probe (src/daemon/prober.c).  Any HTTP answer, even a 4xx or a 5xx,
 * closes it: Neutron is there.  Thread-safe; no logging (the daemon logs
 * the transitions neutron_breaker_record reports). */
#ifndef SF_NEUTRON_BREAKER_H
#define SF_NEUTRON_BREAKER_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

enum neutron_breaker_state {
	NEUTRON_BREAKER_CLOSED,
	NEUTRON_BREAKER_OPEN,
	NEUTRON_BREAKER_HALF_OPEN,   /* a probe is under way */
};

/* A probe waits this long after the breaker opened, doubling after each
 * failed probe up to the maximum (with jitter: neutron_breaker_probe_due). */
#define NEUTRON_BREAKER_PROBE_MIN_MS 1000u
#define NEUTRON_BREAKER_PROBE_MAX_MS 10000u
/* A call cut by a timeout counts only if it waited at least this long:
 * a request whose deadline left it a few milliseconds proves nothing. */
#define NEUTRON_BREAKER_MIN_WAIT_MS  1000u

struct neutron_breaker {
	pthread_mutex_t lock;
	enum neutron_breaker_state state;
	time_t since;            /* wall clock: the first failed call of this outage */
	uint64_t since_ms;       /* the same, on util_now_ms()'s clock */
	uint64_t probe_at_ms;    /* the next probe, while open */
	unsigned failed_probes;  /* in a row, this outage */
	uint64_t opened;         /* how many times it opened */
	char cause[160];         /* the failure that opened it */
};

/* What the breaker is, copied out under its lock. */
struct neutron_breaker_view {
	enum neutron_breaker_state state;
	time_t since;            /* 0 while closed */
	uint64_t since_ms;
	uint64_t opened;
	char cause[160];
};

/* What a neutron_breaker_record call changed. */
enum neutron_breaker_change {
	NEUTRON_BREAKER_SAME,
	NEUTRON_BREAKER_OPENED,
	NEUTRON_BREAKER_CLOSED_AGAIN,
};

void neutron_breaker_init(struct neutron_breaker *b);
void neutron_breaker_destroy(struct neutron_breaker *b);

/* True when a call's outcome says Neutron is unreachable: no HTTP answer
 * (http_status 0) with -ETIMEDOUT, or -ETIME (the caller's deadline ran out
 * waiting for a slot or for another thread's authentication, both held by
 * hung calls), after waiting waited_ms >= NEUTRON_BREAKER_MIN_WAIT_MS; or
 * -ECONNREFUSED, -EHOSTUNREACH, -ENETUNREACH, -ECONNRESET.  A deadline that
 * left no time to send, and local errors, say nothing. */
bool neutron_breaker_is_failure(int r, int http_status, uint64_t waited_ms);
/* Feeds one call's outcome; `message` (may be NULL) is its error, kept as
 * the cause when it opens the breaker. */
enum neutron_breaker_change neutron_breaker_record(struct neutron_breaker *b, int r,
						    int http_status, uint64_t waited_ms,
						    const char *message);
/* True, once, when a probe is due: the breaker goes half-open; the caller
 * makes one call and feeds its outcome (a failure reopens it, with the next
 * probe later).  Another thread's call that fails while the breaker is not
 * closed counts as a failed probe too, so that probes fill the silences of
 * the background threads rather than add to their calls. */
bool neutron_breaker_probe_due(struct neutron_breaker *b);
/* Milliseconds until the next probe is due (0: now, or closed). */
unsigned neutron_breaker_probe_left(struct neutron_breaker *b);
void neutron_breaker_view(struct neutron_breaker *b, struct neutron_breaker_view *ret);
/* "closed", "open", "half-open". */
const char *neutron_breaker_state_name(enum neutron_breaker_state s);

#endif

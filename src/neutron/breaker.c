/* The circuit breaker over Neutron's reachability (breaker.h). */
#include "neutron/breaker.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

void neutron_breaker_init(struct neutron_breaker *b)
{
	memset(b, 0, sizeof(*b));
	pthread_mutex_init(&b->lock, NULL);
	b->state = NEUTRON_BREAKER_CLOSED;
}

void neutron_breaker_destroy(struct neutron_breaker *b)
{
	pthread_mutex_destroy(&b->lock);
}

bool neutron_breaker_is_failure(int r, int http_status, uint64_t waited_ms)
{
	if (r >= 0 || http_status > 0)
		return false;
	switch (r) {
	case -ETIMEDOUT:
	case -ETIME:   /* waited that long for another thread's hung call */
		return waited_ms >= NEUTRON_BREAKER_MIN_WAIT_MS;
	case -ECONNREFUSED:
	case -EHOSTUNREACH:
	case -ENETUNREACH:
	case -ECONNRESET:
		return true;
	default:
		return false;
	}
}

/* The wait before the next probe, jittered (half fixed, half random) so
 * that the daemons of many hosts do not probe in step.  Lock held. */
static void schedule_probe(struct neutron_breaker *b, uint64_t now)
{
	unsigned ms = NEUTRON_BREAKER_PROBE_MIN_MS;

	for (unsigned i = 0; i < b->failed_probes && ms < NEUTRON_BREAKER_PROBE_MAX_MS; i++)
		ms *= 2;
	if (ms > NEUTRON_BREAKER_PROBE_MAX_MS)
		ms = NEUTRON_BREAKER_PROBE_MAX_MS;
	b->probe_at_ms = now + ms / 2 + (unsigned)(random() % (ms / 2 + 1));
}

enum neutron_breaker_change neutron_breaker_record(struct neutron_breaker *b, int r,
						    int http_status, uint64_t waited_ms,
						    const char *message)
{
	enum neutron_breaker_change ch = NEUTRON_BREAKER_SAME;
	bool failed = neutron_breaker_is_failure(r, http_status, waited_ms);
	uint64_t now = util_now_ms();

	/* -ETIME and local errors neither open nor close it. */
	if (!failed && r < 0 && http_status == 0)
		return ch;
	pthread_mutex_lock(&b->lock);
	if (!failed) {
		if (b->state != NEUTRON_BREAKER_CLOSED)
			ch = NEUTRON_BREAKER_CLOSED_AGAIN;
		b->state = NEUTRON_BREAKER_CLOSED;
		b->failed_probes = 0;
	} else if (b->state == NEUTRON_BREAKER_CLOSED) {
		b->state = NEUTRON_BREAKER_OPEN;
		b->since = time(NULL) - (time_t)(waited_ms / 1000);
		b->since_ms = now - waited_ms;
		b->opened++;
		b->failed_probes = 0;
		util_strlcpy(b->cause, message ? message : strerror(-r), sizeof(b->cause));
		schedule_probe(b, now);
		ch = NEUTRON_BREAKER_OPENED;
	} else {
		/* Any call that fails while it is open or half-open is as good
		 * as a failed probe: the next one waits longer. */
		b->state = NEUTRON_BREAKER_OPEN;
		b->failed_probes++;
		schedule_probe(b, now);
	}
	pthread_mutex_unlock(&b->lock);
	return ch;
}

bool neutron_breaker_probe_due(struct neutron_breaker *b)
{
	bool due;

	pthread_mutex_lock(&b->lock);
	due = b->state == NEUTRON_BREAKER_OPEN && util_now_ms() >= b->probe_at_ms;
	if (due)
		b->state = NEUTRON_BREAKER_HALF_OPEN;
	pthread_mutex_unlock(&b->lock);
	return due;
}

unsigned neutron_breaker_probe_left(struct neutron_breaker *b)
{
	uint64_t now = util_now_ms();
	unsigned left = 0;

	pthread_mutex_lock(&b->lock);
	if (b->state == NEUTRON_BREAKER_OPEN && b->probe_at_ms > now)
		left = (unsigned)(b->probe_at_ms - now);
	pthread_mutex_unlock(&b->lock);
	return left;
}

void neutron_breaker_view(struct neutron_breaker *b, struct neutron_breaker_view *ret)
{
	pthread_mutex_lock(&b->lock);
	ret->state = b->state;
	ret->since = b->state == NEUTRON_BREAKER_CLOSED ? 0 : b->since;
	ret->since_ms = b->since_ms;
	ret->opened = b->opened;
	util_strlcpy(ret->cause, b->state == NEUTRON_BREAKER_CLOSED ? "" : b->cause,
		     sizeof(ret->cause));
	pthread_mutex_unlock(&b->lock);
}

const char *neutron_breaker_state_name(enum neutron_breaker_state s)
{
	switch (s) {
	case NEUTRON_BREAKER_OPEN:
		return "open";
	case NEUTRON_BREAKER_HALF_OPEN:
		return "half-open";
	default:
		return "closed";
	}
}

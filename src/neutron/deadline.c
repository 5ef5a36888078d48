/* A deadline for the calling thread's Neutron requests (neutron.h,
 * neutron_deadline_set): what bounds a cold ADD by cold_add_timeout
 * whatever the network does, rather than by the client's own timeouts. */
#include "neutron/internal.h"

#include <errno.h>

/* 0: none.  On util_now_ms()'s (monotonic) clock. */
static _Thread_local uint64_t deadline_ms;

void neutron_deadline_set(uint64_t ms)
{
	deadline_ms = ms;
}

void neutron_deadline_clear(void)
{
	deadline_ms = 0;
}

int neutron_deadline_cut(long *timeout_ms)
{
	uint64_t now;

	if (!deadline_ms)
		return 0;
	now = util_now_ms();
	if (now >= deadline_ms)
		return -ETIME;
	if (*timeout_ms <= 0 || (uint64_t)*timeout_ms > deadline_ms - now)
		*timeout_ms = (long)(deadline_ms - now);
	return 0;
}

bool neutron_deadline_abstime(struct timespec *ret)
{
	if (!deadline_ms)
		return false;
	ret->tv_sec = (time_t)(deadline_ms / 1000);
	ret->tv_nsec = (long)(deadline_ms % 1000) * 1000000L;
	return true;
}

/* The half-open state of the Neutron breaker (neutron/breaker.h): idle
 * while it is closed; once it opened, a probe after 1 s, then 2, 4, up to
 * 10 s (jittered), each one GET of a single network bounded by
 * cold_add_timeout, so that a dropped path costs one thread a few seconds
 * now and then, never a request.  Its answer (any HTTP status) closes the
 * breaker, which kicks the refiller and the syncer (state.c).  It also
 * watches the state database (daemon_store_failing): once a second, and a
 * small write while it refuses them. */
#include "daemon/prober.h"

#include <errno.h>

#include "common/log.h"
#include "daemon/state.h"

#define PROBE_PATH "/v2.0/networks?limit=1&fields=id"
#define STORE_TICK_MS 1000u   /* between looks at the state database */

static void probe(struct daemon *d)
{
	struct neutron_error err = { 0 };
	unsigned ms = d->cfg.cold_add_timeout_ms > 1000 ? d->cfg.cold_add_timeout_ms : 1000;
	uint64_t start = util_now_us();
	json_t *answer = NULL;
	int r;

	daemon_breaker_show(d);   /* half-open */
	neutron_deadline_set(util_now_ms() + ms);
	r = neutron_request(d->neutron, "GET", PROBE_PATH, NULL, NULL, &answer, &err);
	neutron_deadline_clear();
	json_decref(answer);
	/* Its time ran out before it was even sent (another thread's hung
	 * authentication): a failed probe all the same. */
	if (r == -ETIME) {
		r = -ETIMEDOUT;
		start = util_now_us() - (uint64_t)ms * 1000;
	}
	daemon_neutron_done(d, "probe", r, &err, start);
	daemon_breaker_show(d);
	if (r < 0 && err.http_status == 0)
		log_debug("prober: Neutron still unreachable: %s", err.message);
}

void *prober_main(void *arg)
{
	struct daemon *d = arg;

	while (!daemon_should_stop(d)) {
		unsigned left;

		/* The state database too: a write refused (a full disk) is
		 * retried with a small one each second until it passes. */
		daemon_store_failing(d, true);
		if (neutron_breaker_probe_due(&d->breaker)) {
			probe(d);
			continue;
		}
		left = neutron_breaker_probe_left(&d->breaker);
		daemon_wait_kick(d, &d->wake_probe, &d->probe_pending,
				 left && left < STORE_TICK_MS ? left : STORE_TICK_MS);
	}
	return NULL;
}

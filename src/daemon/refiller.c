/* The refiller (refiller.h): keeps every pool at its minimum of ready
 * ports (bulk create, wire, wait for ACTIVE), rechecks ports left WIRING,
 * adopts ports a lost create made, and runs the periodic garbage collection
 * pass.
 *
 * Neutron work waits for a quiet moment (quiet_ms without a CNI request,
 * at most max_defer_ms): during a burst of ADDs, the refills it causes are
 * gathered and sent after it, one bulk create for the whole deficit rather
 * than one per ADD, and the burst itself meets no Neutron traffic. */
#include "daemon/refiller.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bind/bind.h"
#include "bind/bind_ovs.h"
#include "common/log.h"
#include "daemon/daemon_metrics.h"
#include "daemon/gc.h"
#include "daemon/nested.h"
#include "daemon/ports.h"
#include "daemon/ports_late.h"
#include "daemon/state.h"
#include "store/store.h"

#define WIRING_POLL_MS 300
/* A create that got no answer may still be running in the server when the
 * first listing by tag is answered (the server serves both at once, and the
 * listing can win): the refill waits for a second listing this much later,
 * or as long again as the client waited for the create, if longer: a server
 * slow enough to miss the client's timeout may take that long to commit
 * (daemon_flaky_create.sh saw a create repeated, 6 ports for 4, when
 * Neutron answered creates in 5 to 24 s and the window was 3 s). */
#define LOST_CREATE_SETTLE_MS 3000
#define BULK_MAX 16                /* ports per bulk create */
#define WIRING_GIVE_UP_FACTOR 10   /* x active_timeout: a port that never turns ACTIVE */
#define RETRY_AFTER_CAP_MS 60000u  /* a create's Retry-After honoured up to this */

/* Ports left WIRING (a timeout, a restart): wire again and look again;
 * after WIRING_GIVE_UP_FACTOR timeouts, give the port up. */
static int recheck_wiring(struct daemon *d)
{
	struct store_port_list *l = NULL;
	char **ids, **late;   /* to promote; recorded unbound (ports_late.h) */
	size_t n = 0, n_late = 0;
	int64_t now = store_clock_ms();
	int pending = 0, unwired = 0;
	json_t *ovs_ifaces = NULL;   /* bind_ovs_list's, for this pass */
	bool ovs_listed = false;
	size_t overdue = 0;       /* WIRING for longer than active_timeout */

	if (store_list(d->store, NULL, STORE_PORT_WIRING, &l) < 0 || l->n == 0) {
		if (l)
			(void)metrics_gauge_set(d->metrics->ports_overdue, NULL, 0);
		store_port_list_free(l);
		return 0;
	}
	ids = xcalloc(l->n, sizeof(*ids));
	late = xcalloc(l->n, sizeof(*late));
	for (size_t i = 0; i < l->n; i++) {
		struct store_port *sp = &l->ports[i];
		struct nl_extack ext = { { 0 } };
		struct nl_sock *host;
		struct portinfo pi;

		overdue += now - sp->updated_at > (int64_t)d->cfg.active_timeout_ms;
		if (now - sp->updated_at > (int64_t)d->cfg.active_timeout_ms * WIRING_GIVE_UP_FACTOR) {
			log_warn("port %s never turned ACTIVE; deleting it", sp->port_id);
			if (store_set_state(d->store, sp->port_id, STORE_PORT_WIRING,
					    STORE_PORT_DELETING) == 0)
				daemon_kick_sync(d);
			continue;
		}
		if (d->nested) {
			ids[n++] = xstrdup(sp->port_id);
			continue;
		}
		if (portinfo_from_json(sp->info, &pi) < 0 || bind_host_nl(&host) < 0)
			continue;
		if (pi.unbound) {
			late[n_late++] = xstrdup(sp->port_id);
			continue;
		}
		/* OVSDB is asked once a pass, for the first OVS port. */
		if (pi.ovs_bridge[0] && !ovs_listed) {
			ovs_listed = true;
			if (bind_ovs_list(&d->bind.ovs, d->cfg.deployment, &ovs_ifaces) < 0)
				ovs_ifaces = NULL;
		}
		if (bind_is_prepared(host, &pi, ovs_ifaces) != 1 &&
		    bind_prepare(host, &pi, &d->bind, &ext) < 0)
			continue;
		ids[n++] = xstrdup(sp->port_id);
	}
	/* A failed query counts all as pending: the next pass asks again.
	 * Those bound since they were recorded are promoted with the rest. */
	unwired = n_late > 0 ? ports_late_wire(d, late, n_late) : 0;
	for (size_t i = 0; i < n_late; i++) {
		if (late[i] && unwired >= 0)
			ids[n++] = late[i];
		else
			free(late[i]);
	}
	free(late);
	if (unwired < 0)
		unwired = (int)n_late;
	if (n > 0 && d->nested)
		pending = nested_ready(d, ids, n, NULL);
	else
		pending = n > 0 ? ports_promote(d, ids, n) : 0;
	if (pending < 0)
		pending = (int)n;
	pending += unwired;
	(void)metrics_gauge_set(d->metrics->ports_overdue, NULL, (double)overdue);
	for (size_t i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
	json_decref(ovs_ifaces);
	store_port_list_free(l);
	return pending;
}

static uint64_t lost_create_settle_ms(struct daemon *d)
{
	long t = neutron_client_timeout_ms(d->neutron);

	return t > LOST_CREATE_SETTLE_MS ? (uint64_t)t : LOST_CREATE_SETTLE_MS;
}

/* Returns how many pools got a create that did not cover their deficit. */
static int refill_pools(struct daemon *d, uint64_t *deferred_since)
{
	struct pool *pools[256];
	struct store_counts *counts = NULL;
	size_t n = pool_set_snapshot(d->pools, pools, ARRAY_SIZE(pools));
	int short_pools = 0;
	bool deferred = false;

	if (store_count(d->store, &counts) < 0)
		return 0;
	for (size_t i = 0; i < n && !daemon_should_stop(d); i++) {
		struct pool *p = pools[i];
		struct neutron_error nerr = { 0 };
		unsigned ready = 0, only_ready = 0, wiring = 0, want, max;
		int r;

		for (size_t j = 0; j < counts->n; j++)
			if (streq(counts->pools[j].pool, p->key)) {
				only_ready = counts->pools[j].n[STORE_PORT_READY];
				ready = only_ready + counts->pools[j].n[STORE_PORT_COOLDOWN];
				wiring = counts->pools[j].n[STORE_PORT_WIRING];
			}
		pool_set_lock(d->pools);
		max = p->sizes.max;
		pool_set_unlock(d->pools);
		/* READY ports beyond max (a reload lowered it) go back to
		 * Neutron.  Not while a cold ADD is under way: its new port is
		 * READY for a moment before its claim (claim_cold). */
		if (only_ready > max) {
			if (atomic_load(&d->cold_adds) == 0 &&
			    (r = ports_discard(d, p->key, STORE_PORT_READY, only_ready - max)) > 0)
				log_info("pool '%s': %u ready, above its max of %u; deleting %d", p->name,
					 only_ready, max, r);
			continue;
		}
		/* A refill asks for what pool_refill_count says, in creates of at
		 * most BULK_MAX ports (each must fit the client's timeout), one
		 * per pass, until the whole refill is made. */
		pool_set_lock(d->pools);
		if (util_now_ms() < p->backoff_until_ms || nested_full(d))
			p->refill_left = 0;
		else if (p->refill_left == 0) {
			p->refill_left = pool_refill_count(&p->sizes, ready, wiring, p->creating);
			/* Nothing owed once the backoff is over (the ports a lost
			 * create made were adopted): the failures are behind us, and
			 * the next refill starts from the shortest backoff, not from
			 * a minute (daemon_flaky_create.sh met that). */
			if (p->refill_left == 0)
				p->failures = 0;
		}
		want = p->refill_left < BULK_MAX ? p->refill_left : BULK_MAX;
		pool_set_unlock(d->pools);
		if (want == 0)
			continue;
		/* An empty pool cannot wait for calm; a low one can. */
		if (ready > 0 && daemon_in_burst(d, *deferred_since)) {
			if (!*deferred_since)
				*deferred_since = util_now_ms();
			deferred = true;
			/* Counted again after the burst, which drains it further. */
			pool_set_lock(d->pools);
			p->refill_left = 0;
			pool_set_unlock(d->pools);
			continue;
		}
		log_info("pool '%s': %u ready, %u wiring; creating %u", p->name, ready, wiring, want);
		/* No wait for ACTIVE here: recheck_wiring promotes them. */
		r = ports_make(d, p, want, 0, NULL, &nerr);
		pool_set_lock(d->pools);
		if (r < 0 && r != -ETIMEDOUT) {
			uint64_t wait = daemon_backoff_ms(++p->failures);

			/* The server said when to come back (a 500 or 503 the client
			 * did not retry): not sooner, but not later than a minute. */
			if (nerr.retry_after_ms > 0 && (uint64_t)nerr.retry_after_ms > wait)
				wait = nerr.retry_after_ms < RETRY_AFTER_CAP_MS ?
				       (uint64_t)nerr.retry_after_ms : RETRY_AFTER_CAP_MS;
			p->backoff_until_ms = util_now_ms() + wait;
			p->refill_left = 0;   /* counted afresh after the backoff */
		} else {
			p->failures = 0;
			/* pool_retire may have zeroed it during the create: wrapping
			 * below 0 made a retired pool refill 16 at a time for good. */
			p->refill_left = p->refill_left > want ? p->refill_left - want : 0;
		}
		if (p->refill_left > 0)
			short_pools++;
		pool_set_unlock(d->pools);
	}
	if (!deferred)
		*deferred_since = 0;
	store_counts_free(counts);
	return short_pools;
}

/* A create that got no answer (a timeout, a crash before the answer was
 * recorded) may have made its ports all the same: they carry the pool's
 * tag, so they are adopted at once, before the refill asks again, rather
 * than created twice.  Adopting is the only thing done here and it never
 * takes a port from anybody (a port the store knows is left alone); every
 * other leak waits for the garbage collector's grace (gc.h). */
static bool adopt_unanswered(struct daemon *d)
{
	json_t *ports = NULL, *v;
	size_t i;

	if (ports_list_tagged(d, &ports) < 0)
		return false;
	json_array_foreach(ports, i, v) {
		const char *id = json_string_value(json_object_get(v, "id"));
		struct store_port known = { 0 };
		struct pool *p;

		if (!id || store_get(d->store, id, &known) == 0) {
			store_port_done(&known);
			continue;
		}
		/* A holder in Neutron: not a create of ours that lost its answer
		 * but a port in use (a store rebuilt empty?); handing it out
		 * would give it to two containers.  The collector decides. */
		if (json_string_length(json_object_get(v, "device_id")) > 0) {
			log_warn_rl("port %s: unknown to the store but held by '%s' in Neutron; "
				    "not adopted", id,
				    json_string_value(json_object_get(v, "device_id")));
			continue;
		}
		p = ports_pool_of(d, v);
		if (p && ports_adopt(d, p, v) == 0) {
			metrics_counter_inc(d->metrics->leaked_ports,
					    (const char *const[]){ DAEMON_LEAK_NEUTRON });
			log_info("port %s: unknown to the store, adopted into pool '%s'", id, p->name);
		}
	}
	json_decref(ports);
	return true;
}

void *refiller_main(void *arg)
{
	struct daemon *d = arg;
	struct daemon_backoff bo = { 0 };
	uint64_t deferred_since = 0, collected_at = 0, settle_at = 0;
	bool listed_once = false;   /* no refill before a listing by tag worked */
	unsigned closes = atomic_load(&d->breaker_closes);

	while (!daemon_should_stop(d)) {
		unsigned wait_ms = d->cfg.refill_interval_ms, left;
		unsigned long failed = daemon_neutron_failures_here();
		bool owed;

		/* The prober found Neutron again: no need to sit out the rest of
		 * a backoff that grew during the outage. */
		if (atomic_load(&d->breaker_closes) != closes) {
			closes = atomic_load(&d->breaker_closes);
			bo.until_ms = 0;
		}
		left = daemon_backoff_left(&bo);

		if (left) {
			daemon_wait_kick(d, &d->wake_refill, &d->refill_pending, left);
			continue;
		}
		/* A create whose answer was lost may have made ports (and so may
		 * a previous life's, hence the flag is set at start): until a
		 * listing by tag has adopted them, creating more could make them
		 * twice, so no refill runs while the flag stands. */
		owed = atomic_exchange(&d->reconcile_soon, false);
		if (owed) {
			bool lost = atomic_exchange(&d->create_lost, false);

			if (adopt_unanswered(d)) {
				listed_once = true;
				if (lost)
					settle_at = util_now_ms() + lost_create_settle_ms(d);
			} else {
				atomic_store(&d->create_lost, lost);
				atomic_store(&d->reconcile_soon, true);
			}
		}
		if (settle_at && util_now_ms() >= settle_at && adopt_unanswered(d))
			settle_at = 0;
		/* A failed pass (the store) is tried again at the next interval;
		 * none while the breaker says Neutron is away (its listing would
		 * only wait for a timeout): it runs once Neutron is back. */
		if ((!collected_at || util_now_ms() - collected_at >= d->cfg.gc_interval_ms) &&
		    !daemon_neutron_unreachable(d, NULL, 0)) {
			struct gc_opts o = { 0 };

			if (gc_pass(d, &o, NULL) < 0)
				log_warn("gc: the periodic pass failed");
			collected_at = util_now_ms();
		}
		if (recheck_wiring(d) > 0 && wait_ms > WIRING_POLL_MS)
			wait_ms = WIRING_POLL_MS;
		if (listed_once && !settle_at && !atomic_load(&d->reconcile_soon) &&
		    refill_pools(d, &deferred_since) > 0)
			wait_ms = 0;   /* more to create */
		if (settle_at) {
			uint64_t now = util_now_ms();

			if (settle_at <= now)
				wait_ms = WIRING_POLL_MS;   /* the second listing failed */
			else if (settle_at - now < wait_ms)
				wait_ms = (unsigned)(settle_at - now);
		}
		daemon_backoff_update(&bo, failed, "refiller");
		if (bo.failures)
			wait_ms = daemon_backoff_left(&bo);
		if (deferred_since && wait_ms > d->cfg.quiet_ms)
			wait_ms = d->cfg.quiet_ms;
		if (wait_ms)
			daemon_wait_kick(d, &d->wake_refill, &d->refill_pending, wait_ms);
	}
	return NULL;
}

/* The recycler (recycler.h): returns released ports to their pool once
 * their old interface is gone.  It never calls Neutron, so Neutron's
 * latency never delays a reuse. */
#include "daemon/recycler.h"

#include <errno.h>

#include "bind/bind.h"
#include "bind/bind_nested.h"
#include "daemon/state.h"
#include "service/manager.h"
#include "store/store.h"

#define RECYCLE_TICK_MS 100

/* Released ports: remove the old interface at once, and once the cool-down
 * has passed and the per-port bridge is clean, back to READY (or out, when
 * the pool already holds its maximum).  One link dump and one count per
 * pass, whatever the number of ports. */
static void process_cooldowns(struct daemon *d)
{
	struct store_port_list *l = NULL;
	struct store_counts *counts = NULL;
	struct bind_links links = { 0 };
	struct nl_sock *host;
	int64_t now = store_clock_ms();

	if (store_list(d->store, NULL, STORE_PORT_COOLDOWN, &l) < 0)
		return;
	if (l->n == 0 || bind_host_nl(&host) < 0 || bind_links_load(host, &links) < 0 ||
	    store_count(d->store, &counts) < 0)
		goto out;
	for (size_t i = 0; i < l->n; i++) {
		struct store_port *sp = &l->ports[i];
		struct pool *p = pool_set_find(d->pools, sp->pool);
		unsigned *ready = NULL;
		/* Further off than a whole cool-down: set by an earlier process
		 * whose clock ran ahead (set back since); it has cooled enough. */
		bool expired = sp->cooldown_until <= now ||
			       sp->cooldown_until - now > (int64_t)d->cfg.cooldown_ms, surplus;
		struct portinfo pi;
		int r;

		if (portinfo_from_json(sp->info, &pi) < 0)
			continue;
		if (d->nested)   /* the VM's port still carries it: intact */
			r = bind_nested_release(sp->last_netns, sp->last_ifname, &pi) < 0 ? -EAGAIN : 1;
		else
			r = bind_recycle(host, &links, &pi, expired);
		if (r < 0 || !expired)
			continue;
		/* Still an instance of a service in Neutron: not yet anyone's. */
		if (service_mgr_port_busy(d->services, sp->port_id))
			continue;
		/* A chosen address's port is no pool's kind: deleted (ports_fixed.h). */
		if (pi.fixed) {
			if (store_set_state(d->store, sp->port_id, STORE_PORT_COOLDOWN,
					    STORE_PORT_DELETING) == 0)
				daemon_kick_sync(d);
			continue;
		}
		if (r == 0) {
			/* The host side is damaged: wire it again before reuse. */
			if (store_set_state(d->store, sp->port_id, STORE_PORT_COOLDOWN,
					    STORE_PORT_WIRING) == 0)
				daemon_kick_refill(d);
			continue;
		}
		for (size_t j = 0; j < counts->n; j++)
			if (streq(counts->pools[j].pool, sp->pool))
				ready = &counts->pools[j].n[STORE_PORT_READY];
		surplus = p && ready && *ready >= p->sizes.max;
		if (store_set_state(d->store, sp->port_id, STORE_PORT_COOLDOWN,
				    surplus ? STORE_PORT_DELETING : STORE_PORT_READY) < 0)
			continue;
		if (ready && !surplus)
			(*ready)++;
		daemon_kick_sync(d);   /* Neutron forgets the last holder, or the port goes */
	}
out:
	store_counts_free(counts);
	bind_links_done(&links);
	store_port_list_free(l);
}

void *recycler_main(void *arg)
{
	struct daemon *d = arg;

	while (!daemon_should_stop(d)) {
		process_cooldowns(d);
		daemon_wait_kick(d, &d->wake_recycle, &d->recycle_pending, RECYCLE_TICK_MS);
	}
	return NULL;
}

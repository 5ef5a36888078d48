/* The syncer (syncer.h): tells Neutron who holds each port and deletes
 * what the pools no longer need, in a quiet moment (as the refiller does):
 * a burst of ADDs meets no Neutron traffic. */
#include "daemon/syncer.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bind/bind.h"
#include "common/log.h"
#include "daemon/daemon_metrics.h"
#include "daemon/nested.h"
#include "daemon/state.h"
#include "store/store.h"

#define SYNC_TICK_MS 200
#define SYNC_MIN_PER_PASS 8

/* Neutron shows each port's holder: device_id and name. */
static void sync_holders(struct daemon *d)
{
	struct store_port_list *l = NULL;

	uint64_t pass_start = util_now_ms();

	if (store_list_unsynced(d->store, &l) < 0)
		return;
	for (size_t i = 0; i < l->n && !daemon_should_stop(d); i++) {
		struct store_port *sp = &l->ports[i];
		struct neutron_error err = { 0 };
		struct pool *p = pool_set_find(d->pools, sp->pool);

		/* A new burst began: yield to it, after a minimum of progress
		 * so that steady load cannot starve Neutron of updates. */
		if (i >= SYNC_MIN_PER_PASS && atomic_load(&d->last_request_ms) > pass_start)
			break;
		char name[256];
		json_t *attrs;
		uint64_t start = util_now_us();
		int r;

		if (sp->state == STORE_PORT_IN_USE)
			snprintf(name, sizeof(name), "sf-%.12s-%s", sp->container_id, sp->ifname);
		else
			snprintf(name, sizeof(name), "sf-pool-%s", p ? p->name : "orphan");
		attrs = json_pack("{s:s, s:s}", "device_id",
				  sp->state == STORE_PORT_IN_USE ? sp->container_id : "", "name", name);
		r = neutron_port_update(d->neutron, sp->port_id, attrs, -1, NULL, &err);
		daemon_neutron_done(d, "port_update", r, &err, start);
		json_decref(attrs);
		if (r == -ENOENT) {
			log_warn("port %s is gone from Neutron", sp->port_id);
			metrics_counter_inc(d->metrics->leaked_ports,
					    (const char *const[]){ DAEMON_LEAK_RECORD });
			r = store_mark_synced(d->store, sp->port_id, sp->generation);
		} else if (r < 0) {
			if (store_note_attempt(d->store, sp->port_id) < 0)
				log_debug("port %s: counting an attempt failed", sp->port_id);
			break;   /* Neutron is struggling: try again next round */
		} else {
			r = store_mark_synced(d->store, sp->port_id, sp->generation);
		}
		if (r < 0 && r != -ESTALE)
			log_warn("port %s: marking synced: %s", sp->port_id, strerror(-r));
	}
	store_port_list_free(l);
}

/* Nested: every port about to be deleted, off the VM's port in one call. */
static int unready_all(struct daemon *d, const struct store_port_list *l)
{
	struct portinfo *pis = xcalloc(l->n, sizeof(*pis));
	size_t k = 0;
	int r;

	for (size_t i = 0; i < l->n; i++)
		if (portinfo_from_json(l->ports[i].info, &pis[k]) == 0)
			k++;
	r = nested_unready(d, pis, k);
	free(pis);
	return r;
}

static void delete_ports(struct daemon *d)
{
	struct store_port_list *l = NULL;

	if (store_list(d->store, NULL, STORE_PORT_DELETING, &l) < 0)
		return;
	if (d->nested && l->n > 0 && unready_all(d, l) < 0) {
		/* A port still on the VM's port cannot go (a subport) or
		 * would leave its pair behind: try again next round. */
		store_port_list_free(l);
		return;
	}
	for (size_t i = 0; i < l->n && !daemon_should_stop(d); i++) {
		struct store_port *sp = &l->ports[i];
		struct neutron_error err = { 0 };
		struct nl_sock *host;
		struct portinfo pi;
		uint64_t start = util_now_us();
		int r;

		if (!d->nested && portinfo_from_json(sp->info, &pi) == 0 && bind_host_nl(&host) == 0 &&
		    bind_unprepare(host, &pi, &d->bind) < 0)
			continue;
		r = neutron_port_delete(d->neutron, sp->port_id, &err);
		daemon_neutron_done(d, "port_delete", r, &err, start);
		if (r < 0 && r != -ENOENT) {
			if (store_note_attempt(d->store, sp->port_id) < 0)
				log_debug("port %s: counting an attempt failed", sp->port_id);
			break;
		}
		metrics_counter_inc(d->metrics->ports_deleted, NULL);
		if (store_delete(d->store, sp->port_id, STORE_PORT_DELETING) < 0)
			log_warn("port %s: removing its record failed", sp->port_id);
	}
	store_port_list_free(l);
}

void *syncer_main(void *arg)
{
	struct daemon *d = arg;
	struct daemon_backoff bo = { 0 };
	uint64_t deferred_since = 0;

	while (!daemon_should_stop(d)) {
		unsigned long failed = daemon_neutron_failures_here();
		unsigned left = daemon_backoff_left(&bo);

		if (left) {
			daemon_wait_kick(d, &d->wake_sync, &d->sync_pending, left);
			continue;
		}
		if (daemon_in_burst(d, deferred_since)) {
			if (!deferred_since)
				deferred_since = util_now_ms();
		} else {
			deferred_since = 0;
			sync_holders(d);
			delete_ports(d);
			daemon_backoff_update(&bo, failed, "syncer");
		}
		daemon_wait_kick(d, &d->wake_sync, &d->sync_pending,
			  bo.failures ? daemon_backoff_left(&bo) : SYNC_TICK_MS);
	}
	return NULL;
}

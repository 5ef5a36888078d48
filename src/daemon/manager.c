/* The daemon's background work: the refiller keeps every pool at its
 * minimum of ready ports (bulk create, wire, wait for ACTIVE); the recycler
 * returns released ports to their pool once their old interface is gone,
 * and never calls Neutron, so Neutron's latency never delays a reuse; the
 * syncer tells Neutron who holds each port and deletes what the pools no
 * longer need.  None of them ever runs on a request's path.
 *
 * Neutron work waits for a quiet moment (quiet_ms without a CNI request,
 * at most max_defer_ms): during a burst of ADDs, the updates and refills it
 * causes are gathered and sent after it, one bulk create for the whole
 * deficit rather than one per ADD, and the burst itself meets no Neutron
 * traffic. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "bind/bind.h"
#include "bind/bind_nested.h"
#include "daemon/daemon.h"
#include "daemon/gc_internal.h"

#define SYNC_TICK_MS 200
#define RECYCLE_TICK_MS 100
#define WIRING_POLL_MS 300
/* A create that got no answer may still be running in the server when the
 * first listing by tag is answered (the server serves both at once, and the
 * listing can win): the refill waits for a second listing this much later. */
#define LOST_CREATE_SETTLE_MS 3000
#define SYNC_MIN_PER_PASS 8
#define BULK_MAX 16                /* ports per bulk create */
#define WIRING_GIVE_UP_FACTOR 10   /* x active_timeout: a port that never turns ACTIVE */
#define BACKOFF_MAX_MS 60000
#define STATUS_BATCH 40            /* ids per status query, to keep URLs short */


static bool should_stop(struct daemon *d)
{
	bool stop;

	pthread_mutex_lock(&d->lock);
	stop = d->stop;
	pthread_mutex_unlock(&d->lock);
	return stop;
}

static unsigned backoff_ms(unsigned failures)
{
	unsigned ms = 500u << (failures < 7 ? failures : 7);

	if (ms > BACKOFF_MAX_MS)
		ms = BACKOFF_MAX_MS;
	return ms / 2 + (unsigned)(random() % (ms / 2 + 1));   /* jitter */
}

/* While Neutron fails (no answer, 5xx), a background thread waits before
 * its next pass of Neutron work, about twice as long after each failed
 * pass: an outage costs a few calls, not a loop of them. */
struct neutron_backoff {
	unsigned failures;      /* failed passes in a row */
	uint64_t until_ms;
};

static unsigned backoff_left(const struct neutron_backoff *b)
{
	uint64_t now = util_now_ms();

	return now < b->until_ms ? (unsigned)(b->until_ms - now) : 0;
}

/* After a pass: `failed_before` is daemon_neutron_failures_here() before it. */
static void backoff_update(struct neutron_backoff *b, unsigned long failed_before, const char *who)
{
	unsigned ms;

	if (daemon_neutron_failures_here() == failed_before) {
		if (b->failures)
			log_info("%s: Neutron answers again after %u failed pass(es)", who, b->failures);
		b->failures = 0;
		return;
	}
	b->failures++;
	ms = backoff_ms(b->failures);
	b->until_ms = util_now_ms() + ms;
	log_info("%s: Neutron failed (%u pass(es) in a row); next attempt in %u ms", who,
		 b->failures, ms);
}

/* Waits for a kick, the stop, or ms milliseconds. */
static void wait_kick(struct daemon *d, pthread_cond_t *cond, bool *pending, unsigned ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&d->lock);
	while (!*pending && !d->stop)
		if (pthread_cond_timedwait(cond, &d->lock, &ts) != 0)
			break;
	*pending = false;
	pthread_mutex_unlock(&d->lock);
}

/* True while CNI requests are streaming in and the deferral still has
 * time: Neutron work should wait. */
static bool in_burst(struct daemon *d, uint64_t deferred_since_ms)
{
	uint64_t now = util_now_ms();
	uint64_t last = atomic_load(&d->last_request_ms);

	if (now - last >= d->cfg.quiet_ms)
		return false;
	return deferred_since_ms == 0 || now - deferred_since_ms < d->cfg.max_defer_ms;
}

int daemon_adopt_port(struct daemon *d, struct pool *p, const json_t *port)
{
	struct store_port sp = { 0 };
	struct portinfo pi;
	struct nl_extack ext = { { 0 } };
	struct nl_sock *host;
	char *info = NULL;
	int r;

	r = portinfo_from_neutron(port, p->network, p->subnets, p->mtu, &pi);
	if (r < 0)
		return r;
	r = portinfo_to_json(&pi, &info);
	if (r < 0)
		return r;
	sp.port_id = pi.port_id;
	sp.pool = p->key;
	sp.network_id = pi.network_id;
	sp.subnet_id = pi.ips[0].subnet_id;
	sp.mac = pi.mac_str;
	sp.info = info;
	sp.state = STORE_PORT_WIRING;
	r = store_insert(d->store, &sp);
	free(info);
	if (r == -EEXIST)
		return 0;   /* adopted first (gc.h, adopt_unanswered) */
	if (r < 0)
		return r;
	if (d->nested)
		return 0;   /* the VM's port carries it: daemon_nested_ready */
	r = bind_host_nl(&host);
	if (r >= 0)
		r = bind_prepare(host, &pi, &d->bind, &ext);
	if (r < 0)   /* stays WIRING: the refiller's recheck tries again */
		log_warn("port %s: wiring the host side: %s%s%s", pi.port_id, strerror(-r),
			 ext.msg[0] ? ": " : "", ext.msg);
	return 0;
}

/* Asks Neutron for the status of `ids` and makes the ACTIVE ones READY.
 * Returns how many are still not ACTIVE. */
static int promote_active(struct daemon *d, char **ids, size_t n)
{
	struct neutron_filter f[STATUS_BATCH + 2];
	struct neutron_error err = { 0 };
	size_t pending = 0;

	for (size_t off = 0; off < n; off += STATUS_BATCH) {
		size_t k = n - off < STATUS_BATCH ? n - off : STATUS_BATCH, nf = 0, i;
		json_t *list = NULL, *v;
		uint64_t start = util_now_us();
		int r;

		for (i = 0; i < k; i++)
			if (ids[off + i])
				f[nf++] = (struct neutron_filter){ "id", ids[off + i] };
		if (nf == 0)
			continue;
		f[nf++] = (struct neutron_filter){ "fields", "id" };
		f[nf++] = (struct neutron_filter){ "fields", "status" };
		r = neutron_list(d->neutron, "ports", f, nf, 0, &list, &err);
		daemon_neutron_done(d, "port_status", r, &err, start);
		if (r < 0)
			return r;
		json_array_foreach(list, i, v) {
			const char *id = json_string_value(json_object_get(v, "id"));

			if (!streq(json_string_value(json_object_get(v, "status")), "ACTIVE"))
				continue;
			r = store_set_state(d->store, id, STORE_PORT_WIRING, STORE_PORT_READY);
			if (r < 0 && r != -ESTALE)   /* -ESTALE: someone else moved it on */
				log_warn("port %s: marking ready: %s", id, strerror(-r));
			for (size_t j = off; j < off + k; j++)
				if (ids[j] && streq(ids[j], id)) {
					free(ids[j]);
					ids[j] = NULL;
				}
		}
		json_decref(list);
	}
	for (size_t i = 0; i < n; i++)
		pending += ids[i] != NULL;
	return (int)pending;
}

int daemon_make_ports(struct daemon *d, struct pool *p, unsigned n, unsigned timeout_ms,
		      char **ret_port_id, struct neutron_error *ret_err)
{
	struct neutron_error err = { 0 };
	json_t *req, *created = NULL, *v;
	char **ids = NULL;
	size_t n_ids = 0, i;
	uint64_t start = util_now_us(), deadline;
	int r;

	req = pool_port_request(p, d->nested ? NULL : d->cfg.host, d->deployment_tag, d->host_tag,
				n);
	pool_set_lock(d->pools);
	p->creating += n;
	pool_set_unlock(d->pools);
	if (n == 1) {
		r = neutron_port_create(d->neutron, json_array_get(req, 0), &created, &err);
		if (r >= 0) {
			json_t *one = json_array();

			json_array_append_new(one, created);
			created = one;
		}
	} else {
		r = neutron_port_create_bulk(d->neutron, req, &created, &err);
	}
	daemon_neutron_done(d, n == 1 ? "port_create" : "port_create_bulk", r, &err, start);
	json_decref(req);
	if (r < 0) {
		log_warn("pool '%s': creating %u port(s): %s", p->name, n,
			 err.message[0] ? err.message : strerror(-r));
		if (ret_err)
			*ret_err = err;
		/* No answer is not "not created": list by tag before trying
		 * again, so that a slow create is adopted, not repeated. */
		if (err.http_status == 0 || err.http_status >= 500) {
			atomic_store(&d->create_lost, true);
			atomic_store(&d->reconcile_soon, true);
		}
		pool_set_lock(d->pools);
		p->creating -= n;
		pool_set_unlock(d->pools);
		/* -ETIMEDOUT means "made but not ACTIVE in time" to callers. */
		return r == -ETIMEDOUT ? -ETIME : r;
	}
	metrics_counter_add(d->metrics->ports_created, NULL, json_array_size(created));

	ids = xcalloc(json_array_size(created) + 1, sizeof(*ids));
	json_array_foreach(created, i, v) {
		const char *id = json_string_value(json_object_get(v, "id"));

		r = daemon_adopt_port(d, p, v);
		if (r < 0) {
			/* Not recorded, so not ours to keep: give it back now. */
			struct neutron_error derr = { 0 };

			log_warn("port %s: cannot record it (%s), deleting it", id, strerror(-r));
			if (id && neutron_port_delete(d->neutron, id, &derr) < 0)
				log_warn("port %s: delete failed: %s", id, derr.message);
			continue;
		}
		ids[n_ids++] = xstrdup(id);
	}
	pool_set_lock(d->pools);
	p->creating -= n;
	pool_set_unlock(d->pools);
	json_decref(created);
	if (n_ids == 0) {
		r = -EIO;
		if (ret_err)
			snprintf(ret_err->message, sizeof(ret_err->message),
				 "Neutron's answer held no usable port");
		goto out;
	}
	if (ret_port_id)
		*ret_port_id = xstrdup(ids[0]);

	if (d->nested) {
		/* Ready once the VM's port carries them; a failure leaves them
		 * WIRING for the refiller's recheck. */
		r = daemon_nested_ready(d, ids, n_ids, ret_err);
		if (r > 0)
			r = -ETIMEDOUT;
		goto out;
	}
	/* The agent needs a polling interval to wire the taps; ask in batches.
	 * The timeout counts from the call: a slow create uses it up too. */
	deadline = start / 1000 + timeout_ms;
	for (unsigned delay = 100;; delay = delay < 500 ? delay * 2 : 500) {
		struct timespec ts = { 0, (long)delay * 1000000L };

		r = promote_active(d, ids, n_ids);
		if (r <= 0 || util_now_ms() >= deadline || should_stop(d))
			break;
		nanosleep(&ts, NULL);
	}
	if (r > 0)
		r = -ETIMEDOUT;
	if (r == -ETIMEDOUT)
		log_info("pool '%s': %zu new port(s) not ACTIVE after %u ms; they stay wiring",
			 p->name, n_ids, timeout_ms);
out:
	for (i = 0; i < n_ids; i++)
		free(ids[i]);
	free(ids);
	return r < 0 ? r : 0;
}

/* Ports left WIRING (a timeout, a restart): wire again and look again;
 * after WIRING_GIVE_UP_FACTOR timeouts, give the port up. */
static int recheck_wiring(struct daemon *d)
{
	struct store_port_list *l = NULL;
	char **ids;
	size_t n = 0;
	int64_t now = store_clock_ms();
	int pending = 0;
	json_t *ovs_ifaces = NULL;   /* bind_ovs_list's, for this pass */
	bool ovs_listed = false;

	if (store_list(d->store, NULL, STORE_PORT_WIRING, &l) < 0 || l->n == 0) {
		store_port_list_free(l);
		return 0;
	}
	ids = xcalloc(l->n, sizeof(*ids));
	for (size_t i = 0; i < l->n; i++) {
		struct store_port *sp = &l->ports[i];
		struct nl_extack ext = { { 0 } };
		struct nl_sock *host;
		struct portinfo pi;

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
	/* A failed query counts all as pending: the next pass asks again. */
	if (n > 0 && d->nested)
		pending = daemon_nested_ready(d, ids, n, NULL);
	else
		pending = n > 0 ? promote_active(d, ids, n) : 0;
	if (pending < 0)
		pending = (int)n;
	for (size_t i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
	json_decref(ovs_ifaces);
	store_port_list_free(l);
	return pending;
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
	for (size_t i = 0; i < n && !should_stop(d); i++) {
		struct pool *p = pools[i];
		unsigned ready = 0, wiring = 0, want;
		int r;

		for (size_t j = 0; j < counts->n; j++)
			if (streq(counts->pools[j].pool, p->key)) {
				ready = counts->pools[j].n[STORE_PORT_READY] +
					counts->pools[j].n[STORE_PORT_COOLDOWN];
				wiring = counts->pools[j].n[STORE_PORT_WIRING];
			}
		/* A refill asks for what pool_refill_count says, in creates of at
		 * most BULK_MAX ports (each must fit the client's timeout), one
		 * per pass, until the whole refill is made. */
		pool_set_lock(d->pools);
		if (util_now_ms() < p->backoff_until_ms || daemon_nested_full(d))
			p->refill_left = 0;
		else if (p->refill_left == 0)
			p->refill_left = pool_refill_count(&p->sizes, ready, wiring, p->creating);
		want = p->refill_left < BULK_MAX ? p->refill_left : BULK_MAX;
		pool_set_unlock(d->pools);
		if (want == 0)
			continue;
		/* An empty pool cannot wait for calm; a low one can. */
		if (ready > 0 && in_burst(d, *deferred_since)) {
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
		r = daemon_make_ports(d, p, want, 0, NULL, NULL);
		pool_set_lock(d->pools);
		if (r < 0 && r != -ETIMEDOUT) {
			p->failures++;
			p->backoff_until_ms = util_now_ms() + backoff_ms(p->failures);
			p->refill_left = 0;   /* counted afresh after the backoff */
		} else {
			p->failures = 0;
			p->refill_left -= want;
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

	if (gc_list_neutron(d, &ports) < 0)
		return false;
	json_array_foreach(ports, i, v) {
		const char *id = json_string_value(json_object_get(v, "id"));
		struct store_port known = { 0 };
		struct pool *p;

		if (!id || store_get(d->store, id, &known) == 0) {
			store_port_done(&known);
			continue;
		}
		p = gc_pool_of_port(d, v);
		if (p && daemon_adopt_port(d, p, v) == 0) {
			metrics_counter_inc(d->metrics->leaked_ports,
					    (const char *const[]){ DAEMON_LEAK_NEUTRON });
			log_info("port %s: unknown to the store, adopted into pool '%s'", id, p->name);
		}
	}
	json_decref(ports);
	return true;
}

void *daemon_refiller_main(void *arg)
{
	struct daemon *d = arg;
	struct neutron_backoff bo = { 0 };
	uint64_t deferred_since = 0, collected_at = 0, settle_at = 0;
	bool listed_once = false;   /* no refill before a listing by tag worked */

	while (!should_stop(d)) {
		unsigned wait_ms = d->cfg.refill_interval_ms, left = backoff_left(&bo);
		unsigned long failed = daemon_neutron_failures_here();
		bool owed;

		if (left) {
			wait_kick(d, &d->wake_refill, &d->refill_pending, left);
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
					settle_at = util_now_ms() + LOST_CREATE_SETTLE_MS;
			} else {
				atomic_store(&d->create_lost, lost);
				atomic_store(&d->reconcile_soon, true);
			}
		}
		if (settle_at && util_now_ms() >= settle_at && adopt_unanswered(d))
			settle_at = 0;
		/* A failed pass (the store) is tried again at the next interval. */
		if (!collected_at || util_now_ms() - collected_at >= d->cfg.gc_interval_ms) {
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
		backoff_update(&bo, failed, "refiller");
		if (bo.failures)
			wait_ms = backoff_left(&bo);
		if (deferred_since && wait_ms > d->cfg.quiet_ms)
			wait_ms = d->cfg.quiet_ms;
		if (wait_ms)
			wait_kick(d, &d->wake_refill, &d->refill_pending, wait_ms);
	}
	return NULL;
}

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
		bool expired = sp->cooldown_until <= now, surplus;
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

void *daemon_recycler_main(void *arg)
{
	struct daemon *d = arg;

	while (!should_stop(d)) {
		process_cooldowns(d);
		wait_kick(d, &d->wake_recycle, &d->recycle_pending, RECYCLE_TICK_MS);
	}
	return NULL;
}

/* Neutron shows each port's holder: device_id and name. */
static void sync_holders(struct daemon *d)
{
	struct store_port_list *l = NULL;

	uint64_t pass_start = util_now_ms();

	if (store_list_unsynced(d->store, &l) < 0)
		return;
	for (size_t i = 0; i < l->n && !should_stop(d); i++) {
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
	r = daemon_nested_unready(d, pis, k);
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
	for (size_t i = 0; i < l->n && !should_stop(d); i++) {
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

void *daemon_syncer_main(void *arg)
{
	struct daemon *d = arg;
	struct neutron_backoff bo = { 0 };
	uint64_t deferred_since = 0;

	while (!should_stop(d)) {
		unsigned long failed = daemon_neutron_failures_here();
		unsigned left = backoff_left(&bo);

		if (left) {
			wait_kick(d, &d->wake_sync, &d->sync_pending, left);
			continue;
		}
		if (in_burst(d, deferred_since)) {
			if (!deferred_since)
				deferred_since = util_now_ms();
		} else {
			deferred_since = 0;
			sync_holders(d);
			delete_ports(d);
			backoff_update(&bo, failed, "syncer");
		}
		wait_kick(d, &d->wake_sync, &d->sync_pending,
			  bo.failures ? backoff_left(&bo) : SYNC_TICK_MS);
	}
	return NULL;
}

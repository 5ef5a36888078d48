/* Answers to sfctl: {"ctl":"pools"}, {"ctl":"ports"}, {"ctl":"gc"},
 * {"ctl":"status"}, {"ctl":"pool_populate"|"pool_free"|"pool_retire","pool":NAME},
 * {"ctl":"health"} (the Neutron breaker, the store's writes) and
 * {"ctl":"service"} (src/service/manager.h). */
#include "daemon/ctl.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/config.h"
#include "daemon/daemon_metrics.h"
#include "daemon/gc.h"
#include "daemon/ports.h"
#include "service/manager.h"
#include "store/store.h"

static json_t *query_pools(struct daemon *d)
{
	struct pool *pools[256];
	struct store_counts *counts = NULL;
	size_t n = pool_set_snapshot(d->pools, pools, ARRAY_SIZE(pools));
	json_t *arr = json_array();

	if (store_count(d->store, &counts) < 0)
		counts = NULL;
	for (size_t i = 0; i < n; i++) {
		struct pool *p = pools[i];
		unsigned c[STORE_PORT_STATE_COUNT] = { 0 };
		json_t *o;

		for (size_t j = 0; counts && j < counts->n; j++)
			if (streq(counts->pools[j].pool, p->key))
				for (int k = 0; k < STORE_PORT_STATE_COUNT; k++)
					c[k] = counts->pools[j].n[k];
		pool_set_lock(d->pools);
		o = json_pack("{s:s, s:s, s:s, s:s?, s:O?, s:i, s:i, s:i, s:i, s:i}", "name", p->name,
			      "key", p->key, "network_id", p->network_id, "subnet_id", p->subnet_id,
			      "security_groups", p->security_groups, "mtu", (json_int_t)p->mtu, "min",
			      (json_int_t)p->sizes.min, "max", (json_int_t)p->sizes.max, "batch",
			      (json_int_t)p->sizes.batch, "creating", (json_int_t)p->creating);
		pool_set_unlock(d->pools);
		for (int k = 0; k < STORE_PORT_STATE_COUNT; k++)
			json_object_set_new(o, store_port_state_to_string(k), json_integer(c[k]));
		json_array_append_new(arr, o);
	}
	store_counts_free(counts);
	return arr;
}

static json_t *query_ports(struct daemon *d)
{
	struct store_port_list *l = NULL;
	json_t *arr = json_array();

	if (store_list(d->store, NULL, -1, &l) < 0)
		return arr;
	for (size_t i = 0; i < l->n; i++) {
		struct store_port *sp = &l->ports[i];
		struct pool *p = pool_set_find(d->pools, sp->pool);
		json_t *info = sp->info ? json_loads(sp->info, 0, NULL) : NULL;

		json_array_append_new(arr, json_pack(
			"{s:s, s:s, s:s, s:s, s:s?, s:s?, s:s?, s:b, s:I, s:O?}", "port_id", sp->port_id,
			"pool", p ? p->name : sp->pool, "state", store_port_state_to_string(sp->state),
			"mac", sp->mac, "container_id", sp->container_id, "ifname", sp->ifname,
			"netns", sp->netns, "synced", sp->synced, "updated_at",
			(json_int_t)sp->updated_at, "ips", json_object_get(info, "ips")));
		/* VLAN mode: the subport's segmentation id; "unbound": WIRING
		 * until ML2 binds it (daemon/ports_late.h). */
		if (json_object_get(info, "vlan"))
			json_object_set(json_array_get(arr, json_array_size(arr) - 1), "vlan",
					json_object_get(info, "vlan"));
		if (json_is_true(json_object_get(info, "unbound")))
			json_object_set(json_array_get(arr, json_array_size(arr) - 1), "unbound",
					json_true());
		json_decref(info);
	}
	store_port_list_free(l);
	return arr;
}

/* A pass over every pool; a dry run changes nothing. */
static int query_gc(struct daemon *d, const json_t *req, json_t **ret)
{
	struct gc_opts o = { .dry_run = json_is_true(json_object_get(req, "dry_run")) };
	json_t *report = NULL;
	int r;

	r = gc_pass(d, &o, &report);
	if (r < 0)
		return r;
	*ret = json_pack("{s:o}", "gc", report);
	return 0;
}

/* Seconds since this process started: its start time (/proc/self/stat,
 * field 22, in clock ticks after boot) against the time since boot.  -1
 * when either cannot be read. */
static json_int_t uptime_s(void)
{
	char buf[1024], *p;
	unsigned long long start = 0;
	struct timespec now;
	ssize_t n;
	int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
	long hz = sysconf(_SC_CLK_TCK);

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0 || hz <= 0 || clock_gettime(CLOCK_BOOTTIME, &now) < 0)
		return -1;
	buf[n] = '\0';
	/* After the command's ")": state is field 3, starttime field 22. */
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d "
			 "%*d %*d %*d %*d %llu", &start) != 1)
		return -1;
	return (json_int_t)(now.tv_sec - (time_t)(start / (unsigned long long)hz));
}

/* sfctl status: the daemon's side of one screen. */
static json_t *query_status(struct daemon *d)
{
	struct daemon_metrics_error errs[DAEMON_METRICS_LAST_ERRORS];
	size_t n = daemon_metrics_last_errors(d->metrics, errs, ARRAY_SIZE(errs));
	double pending = 0, overdue = 0;
	json_t *last = json_array(), *o;

	(void)metrics_gauge_get(d->metrics->gc_pending, NULL, &pending);
	(void)metrics_gauge_get(d->metrics->ports_overdue, NULL, &overdue);
	for (size_t i = 0; last && i < n; i++)
		json_array_append_new(last, json_pack("{s:I, s:s, s:s}", "at_ms",
						      (json_int_t)errs[i].at_ms, "what", errs[i].what,
						      "code", errs[i].code));
	o = json_pack("{s:s, s:I, s:s, s:s?, s:s, s:s, s:b, s:b, s:b, s:I, s:I, s:o, s:o}",
		      "version", SF_VERSION, "uptime_s", uptime_s(), "host", d->cfg.host, "site",
		      d->cfg.site, "mode", config_mode_name(d->cfg.mode), "deployment",
		      d->cfg.deployment, "neutron_ok", (int)atomic_load(&d->neutron_ok),
		      "neutron_reached", (int)atomic_load(&d->readiness.neutron_reached),
		      "pools_loaded", (int)atomic_load(&d->readiness.pools_loaded),
		      "gc_leaks_pending", (json_int_t)pending, "ports_wiring_overdue",
		      (json_int_t)overdue, "pools", query_pools(d), "last_errors", last);
	return o;
}

static size_t count_state(struct daemon *d, const char *key, enum store_port_state st)
{
	struct store_port_list *l = NULL;
	size_t n = 0;

	if (store_list(d->store, key, st, &l) == 0)
		n = l->n;
	store_port_list_free(l);
	return n;
}

/* The pool called `name` on this host (borrowed from the set), or NULL with
 * why saying so. */
static struct pool *pool_named(struct daemon *d, const char *name, char *why, size_t why_size)
{
	struct pool *pools[256];
	size_t n = pool_set_snapshot(d->pools, pools, ARRAY_SIZE(pools));

	for (size_t i = 0; name && i < n; i++)
		if (streq(pools[i]->name, name))
			return pools[i];
	snprintf(why, why_size, "no pool '%s' on this host (sfctl pools lists them)",
		 name ? name : "");
	return NULL;
}

/* sfctl pools populate|free NAME, as Kuryr's pool manager has them.
 * populate: creates ports now, "count" of them or as many as the pool's
 * max leaves room for (ready + wiring + being created), never more; they
 * join as WIRING and turn READY as the refiller finds them ACTIVE.  free:
 * every READY port of the pool goes to DELETING (the syncer deletes it in
 * Neutron); the refiller brings the pool back to its min afterwards. */
static int query_pool_op(struct daemon *d, const json_t *req, bool populate, json_t **ret,
			 char *why, size_t why_size)
{
	const char *name = json_string_value(json_object_get(req, "pool"));
	const json_t *count = json_object_get(req, "count");
	struct pool *p = pool_named(d, name, why, why_size);
	size_t done = 0, have;
	struct neutron_error err = { 0 };
	unsigned max, creating;
	int r;

	if (!p)
		return -ENOENT;
	if (count && (!json_is_integer(count) || json_integer_value(count) < 1 ||
		      json_integer_value(count) > 10000)) {
		snprintf(why, why_size, "count must be an integer from 1 to 10000");
		return -EINVAL;
	}
	if (populate) {
		pool_set_lock(d->pools);
		max = p->sizes.max;
		creating = p->creating;
		pool_set_unlock(d->pools);
		have = count_state(d, p->key, STORE_PORT_READY) +
		       count_state(d, p->key, STORE_PORT_WIRING) + creating;
		done = have < max ? max - have : 0;
		if (count && (size_t)json_integer_value(count) < done)
			done = (size_t)json_integer_value(count);
		if (done > 0 && (r = ports_make(d, p, (unsigned)done, 0, NULL, &err)) < 0 &&
		    r != -ETIMEDOUT) {
			snprintf(why, why_size, "creating %zu port(s) for pool '%s': %s", done,
				 p->name, err.message[0] ? err.message : strerror(-r));
			return r;
		}
		daemon_kick_refill(d);
		*ret = json_pack("{s:s, s:I, s:I}", "pool", p->name, "created", (json_int_t)done,
				 "max", (json_int_t)max);
		return 0;
	}
	r = ports_discard(d, p->key, STORE_PORT_READY, UINT_MAX);
	if (r < 0) {
		snprintf(why, why_size, "reading the state: %s", strerror(-r));
		return r;
	}
	*ret = json_pack("{s:s, s:I}", "pool", p->name, "freed", (json_int_t)r);
	return 0;
}

/* pool_retire NAME: the pool keeps no ports from now on (min = max = 0):
 * its READY and WIRING ports go to DELETING, and a port released later is
 * deleted as surplus.  For superfluid-docker's DeleteNetwork of a network it
 * made, which Neutron deletes only once no port is left on it
 * (docs/runtimes.md).  The answer says what is still on Neutron: "held"
 * (in use, cooling down), "deleting", and "creating" (a refill under way
 * when it came, whose ports go as surplus).  Not kept across a restart of
 * the daemon. */
static int query_pool_retire(struct daemon *d, const json_t *req, json_t **ret, char *why,
			     size_t why_size)
{
	const char *name = json_string_value(json_object_get(req, "pool"));
	struct pool *p = pool_named(d, name, why, why_size);
	size_t freed = 0, held, deleting;
	unsigned creating;
	enum store_port_state states[] = { STORE_PORT_WIRING, STORE_PORT_READY };

	if (!p)
		return -ENOENT;
	pool_set_lock(d->pools);
	p->sizes.min = 0;
	p->sizes.max = 0;
	p->refill_left = 0;
	pool_set_unlock(d->pools);
	for (size_t k = 0; k < ARRAY_SIZE(states); k++) {
		int r = ports_discard(d, p->key, states[k], UINT_MAX);

		if (r < 0) {
			snprintf(why, why_size, "reading the state");
			return -EIO;
		}
		freed += (size_t)r;
	}
	held = count_state(d, p->key, STORE_PORT_IN_USE) + count_state(d, p->key, STORE_PORT_COOLDOWN);
	deleting = count_state(d, p->key, STORE_PORT_DELETING);
	pool_set_lock(d->pools);
	creating = p->creating;
	pool_set_unlock(d->pools);
	*ret = json_pack("{s:s, s:I, s:I, s:I, s:I}", "pool", p->name, "freed", (json_int_t)freed,
			 "held", (json_int_t)held, "deleting", (json_int_t)deleting, "creating",
			 (json_int_t)creating);
	return *ret ? 0 : -ENOMEM;
}

/* {"neutron": {"breaker", "since", "down_s", "cause", "opens"}, "store":
 * {"writable", "no_space", "io"}}: what an ADD meets now
 * (docs/outages.md). */
static json_t *query_health(struct daemon *d)
{
	struct neutron_breaker_view v;
	struct store_health h;
	char since[32] = "";
	struct tm tm;

	neutron_breaker_view(&d->breaker, &v);
	store_health(d->store, &h);
	if (v.since && gmtime_r(&v.since, &tm))
		strftime(since, sizeof(since), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return json_pack("{s:{s:s, s:s?, s:I, s:s?, s:I}, s:{s:b, s:I, s:I}}", "neutron",
			 "breaker", neutron_breaker_state_name(v.state),
			 "since", since[0] ? since : NULL,
			 "down_s", (json_int_t)(v.since ? (util_now_ms() - v.since_ms) / 1000 : 0),
			 "cause", v.cause[0] ? v.cause : NULL, "opens", (json_int_t)v.opened,
			 "store", "writable", !h.failing, "no_space", (json_int_t)h.no_space,
			 "io", (json_int_t)h.io);
}

int ctl_query(struct daemon *d, const json_t *req, char **ret_json, char *why, size_t why_size)
{
	const char *op = json_string_value(json_object_get(req, "ctl"));
	json_t *doc = NULL;
	char *s;
	int r;

	if (streq(op, "pools")) {
		doc = json_pack("{s:o}", "pools", query_pools(d));
	} else if (streq(op, "status")) {
		doc = json_pack("{s:o}", "status", query_status(d));
	} else if (streq(op, "pool_populate") || streq(op, "pool_free")) {
		r = query_pool_op(d, req, streq(op, "pool_populate"), &doc, why, why_size);
		if (r < 0)
			return r;
	} else if (streq(op, "pool_retire")) {
		r = query_pool_retire(d, req, &doc, why, why_size);
		if (r < 0)
			return r;
	} else if (streq(op, "ports")) {
		doc = json_pack("{s:o}", "ports", query_ports(d));
	} else if (streq(op, "health")) {
		doc = query_health(d);
	} else if (streq(op, "gc")) {
		r = query_gc(d, req, &doc);
		if (r < 0)
			return r;
	} else if (streq(op, "service")) {
		r = service_mgr_ctl(d->services, req, &doc, why, why_size);
		if (r < 0)
			return r;
	} else {
		return -EOPNOTSUPP;
	}
	if (!doc)
		return -ENOMEM;
	s = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	if (!s)
		return -ENOMEM;
	*ret_json = s;
	return 0;
}

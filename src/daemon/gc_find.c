/* The garbage collector's findings, and what cleans each kind (gc.h). */
#include "daemon/gc_find.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "daemon/daemon_metrics.h"
#include "daemon/gc_busy.h"
#include "daemon/ports.h"
#include "netns/netns.h"

void gc_find_done(struct gc_findings *fs)
{
	for (size_t i = 0; i < fs->n; i++) {
		free(fs->f[i].key);
		free(fs->f[i].object);
		free(fs->f[i].port_id);
		free(fs->f[i].pool);
		free(fs->f[i].pool_name);
	}
	free(fs->f);
	fs->f = NULL;
	fs->n = fs->cap = 0;
}

static struct gc_finding *add(struct gc_findings *fs, const char *kind, const char *action,
			      const char *object, const char *port_id, const char *version)
{
	struct gc_finding *f;
	size_t len = strlen(kind) + strlen(object) + strlen(version) + 3;

	if (fs->n == fs->cap) {
		struct gc_finding *bigger = xcalloc(fs->cap ? fs->cap * 2 : 16, sizeof(*bigger));

		if (fs->n)
			memcpy(bigger, fs->f, fs->n * sizeof(*bigger));
		free(fs->f);
		fs->f = bigger;
		fs->cap = fs->cap ? fs->cap * 2 : 16;
	}
	f = &fs->f[fs->n++];
	memset(f, 0, sizeof(*f));
	f->kind = kind;
	f->action = action;
	f->key = xmalloc(len);
	snprintf(f->key, len, "%s:%s:%s", kind, object, version);
	f->object = xstrdup(object);
	f->port_id = xstrdup_opt(port_id);
	return f;
}

static void set_pool(struct gc_finding *f, const struct pool *p, const char *key)
{
	f->pool = xstrdup_opt(p ? p->key : key);
	f->pool_name = xstrdup_opt(p ? p->name : key);
}

static __attribute__((format(printf, 2, 3))) void detail(struct gc_finding *f, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(f->detail, sizeof(f->detail), fmt, ap);
	va_end(ap);
}

static const struct store_port *row_of(const struct gc_inputs *in, const char *port_id)
{
	for (size_t i = 0; i < in->rows->n; i++)
		if (streq(in->rows->ports[i].port_id, port_id))
			return &in->rows->ports[i];
	return NULL;
}

static const struct nl_link *link_named(const struct bind_links *l, const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (streq(l->links[i].name, name))
			return &l->links[i];
	return NULL;
}

/* A holder in Neutron and a container end on this host: somebody uses the
 * port, whatever the store says. */
static bool held_elsewhere(const struct gc_inputs *in, const json_t *port)
{
	const char *id = json_string_value(json_object_get(port, "id"));
	const char *device = json_string_value(json_object_get(port, "device_id"));
	struct bind_names n;

	if (!id || !device || !device[0] || !in->linked)
		return false;
	bind_names_of(id, "", &n);
	return link_named(&in->links, n.sfc) != NULL;
}

static const json_t *listed_port(const json_t *ports, const char *id)
{
	const json_t *v;
	size_t i;

	json_array_foreach(ports, i, v)
		if (streq(json_string_value(json_object_get(v, "id")), id))
			return v;
	return NULL;
}

/* Tagged for us in Neutron, unknown to the store. */
static void find_neutron(struct daemon *d, const struct gc_inputs *in, struct gc_findings *fs)
{
	const json_t *v;
	size_t i;

	json_array_foreach(in->ports, i, v) {
		const char *id = json_string_value(json_object_get(v, "id"));
		struct pool *p;
		struct gc_finding *f;

		if (!id || row_of(in, id))
			continue;
		p = ports_pool_of(d, v);
		if (in->scope && (!p || !streq(p->key, in->scope)))
			continue;
		if (held_elsewhere(in, v)) {
			log_warn("gc: port %s is unknown to the store but held by '%s'; left alone", id,
				 json_string_value(json_object_get(v, "device_id")));
			continue;
		}
		f = add(fs, GC_KIND_NEUTRON, p ? "adopt" : "delete", id, id, "");
		set_pool(f, p, NULL);
		f->port = v;
		f->p = p;
		detail(f, "tagged for this deployment and host, unknown to the store (status %s)",
		       json_string_value(json_object_get(v, "status")) ?: "?");
	}
}

/* Records whose port Neutron no longer has.  WIRING ones are the
 * refiller's: it gives them up itself when they never turn ACTIVE. */
static void find_records(struct daemon *d, const struct gc_inputs *in, struct gc_findings *fs)
{
	for (size_t i = 0; i < in->rows->n; i++) {
		const struct store_port *sp = &in->rows->ports[i];
		struct gc_finding *f;
		char gen[32];

		if (sp->created_at >= in->listed_at || (sp->state != STORE_PORT_READY &&
		    sp->state != STORE_PORT_COOLDOWN) || listed_port(in->ports, sp->port_id) ||
		    (in->scope && !streq(sp->pool, in->scope)))
			continue;
		snprintf(gen, sizeof(gen), "%lld", (long long)sp->generation);
		f = add(fs, GC_KIND_RECORD, "drop", sp->port_id, sp->port_id, gen);
		set_pool(f, pool_set_find(d->pools, sp->pool), sp->pool);
		f->row = sp;
		detail(f, "recorded %s, gone from Neutron", store_port_state_to_string(sp->state));
	}
}

/* Interfaces stamped with our alias whose port the store does not know. */
static void find_interfaces(struct daemon *d, const struct gc_inputs *in, struct gc_findings *fs)
{
	for (size_t i = 0; i < in->links.n; i++) {
		const struct nl_link *l = &in->links.links[i];
		const char *id = bind_alias_port(l->alias, d->cfg.deployment);
		struct bind_names n;
		struct gc_finding *f;
		char version[32];

		if (!id || row_of(in, id))
			continue;
		/* A container end: a container still uses the port, record or not. */
		bind_names_of(id, "", &n);
		if (link_named(&in->links, n.sfc))
			continue;
		snprintf(version, sizeof(version), "%d", l->ifindex);
		f = add(fs, GC_KIND_INTERFACE, "delete", l->name, id, version);
		f->ifindex = l->ifindex;
		detail(f, "%s '%s' (alias '%s'), no record of port %s", l->kind[0] ? l->kind : "link",
		       l->name, l->alias, id);
	}
}

/* 1 when a held port's container side is gone (its namespace, or the
 * interface in it), 0 when it is there, -errno when it cannot be told. */
static int container_gone(const char *netns, const char *ifname)
{
	struct nl_sock *ns = NULL;
	struct nl_link link;
	int fd, r;

	r = netns_open(netns, &fd);
	if (r == -ENOENT || r == -EINVAL)
		return 1;
	if (r < 0)
		return r;
	r = netns_nl_open(fd, &ns);
	close(fd);
	if (r < 0)
		return r;
	r = nl_link_get_by_name(ns, ifname, &link);
	nl_sock_free(ns);
	if (r == -ENODEV)
		return 1;
	return r < 0 ? r : 0;
}

/* IN_USE records whose container is gone. */
static void find_containers(struct daemon *d, const struct gc_inputs *in, struct gc_findings *fs)
{
	for (size_t i = 0; i < in->rows->n; i++) {
		const struct store_port *sp = &in->rows->ports[i];
		struct gc_finding *f;
		char gen[32];

		if (sp->state != STORE_PORT_IN_USE || !sp->netns || (in->scope && !streq(sp->pool, in->scope)) ||
		    gc_busy_check(d->busy, sp->container_id, sp->ifname) ||
		    container_gone(sp->netns, sp->ifname) != 1)
			continue;
		snprintf(gen, sizeof(gen), "%lld", (long long)sp->generation);
		f = add(fs, GC_KIND_CONTAINER, "release", sp->port_id, sp->port_id, gen);
		set_pool(f, pool_set_find(d->pools, sp->pool), sp->pool);
		f->row = sp;
		detail(f, "held by %s/%s, but '%s' or its '%s' is gone", sp->container_id, sp->ifname,
		       sp->netns, sp->ifname);
	}
}

void gc_find_all(struct daemon *d, const struct gc_inputs *in, struct gc_findings *fs)
{
	if (in->listed) {
		find_neutron(d, in, fs);
		find_records(d, in, fs);
	}
	find_containers(d, in, fs);
	if (in->linked)
		find_interfaces(d, in, fs);
}

/* The store's row now, if it is still `row` (same state and generation). */
static bool row_unchanged(struct daemon *d, const struct store_port *row)
{
	struct store_port now = { 0 };
	bool same;

	if (store_get(d->store, row->port_id, &now) < 0)
		return false;
	same = now.state == row->state && now.generation == row->generation;
	store_port_done(&now);
	return same;
}

static bool known(struct daemon *d, const char *port_id)
{
	struct store_port now = { 0 };
	int r = store_get(d->store, port_id, &now);

	store_port_done(&now);
	return r == 0;
}

static int act_neutron(struct daemon *d, struct gc_finding *f)
{
	struct neutron_error err = { 0 };
	uint64_t start;
	int r;

	if (known(d, f->port_id))
		return -ESTALE;
	if (f->p)
		return ports_adopt(d, f->p, f->port);
	start = util_now_us();
	r = neutron_port_delete(d->neutron, f->port_id, &err);
	daemon_neutron_done(d, "port_delete", r, &err, start);
	return r == -ENOENT ? 0 : r;
}

static int act_record(struct daemon *d, struct gc_finding *f)
{
	int r;

	if (!row_unchanged(d, f->row))
		return -ESTALE;
	r = store_set_state(d->store, f->port_id, f->row->state, STORE_PORT_DELETING);
	if (r == 0)
		daemon_kick_sync(d);   /* the syncer unplugs it; its delete gets 404 */
	return r;
}

static int act_container(struct daemon *d, struct gc_finding *f)
{
	const struct store_port *sp = f->row;
	int r;

	if (!row_unchanged(d, sp) || gc_busy_check(d->busy, sp->container_id, sp->ifname) ||
	    container_gone(sp->netns, sp->ifname) != 1)
		return -ESTALE;
	/* The cool-down path: the recycler removes the host end and scrubs the
	 * bridge before the port serves again. */
	r = store_release(d->store, sp->container_id, sp->ifname,
			  store_clock_ms() + d->cfg.cooldown_ms, NULL);
	if (r == -ENOENT)
		return -ESTALE;
	if (r == 0) {
		daemon_kick_recycle(d);
		daemon_kick_sync(d);
	}
	return r;
}

static int act_interface(struct daemon *d, struct gc_finding *f)
{
	struct nl_link l, sfc;
	struct nl_sock *host;
	struct bind_names n;
	int r;

	if (known(d, f->port_id))
		return -ESTALE;
	r = bind_host_nl(&host);
	if (r < 0)
		return r;
	/* Still the same interface, still ours. */
	r = nl_link_get_by_index(host, f->ifindex, &l);
	if (r == -ENODEV)
		return -ESTALE;
	if (r < 0)
		return r;
	if (!streq(l.name, f->object) || !streq(bind_alias_port(l.alias, d->cfg.deployment) ?: "",
						  f->port_id))
		return -ESTALE;
	bind_names_of(f->port_id, "", &n);
	if (nl_link_get_by_name(host, n.sfc, &sfc) != -ENODEV)
		return -ESTALE;   /* a container end appeared (or cannot be ruled out) */
	r = nl_link_delete(host, f->ifindex, NULL);
	if (r == -ENODEV)
		return -ESTALE;
	/* On an OVS host the tap's OVSDB port outlives the device, which goes
	 * with its peer sfp too. */
	if (r == 0 && (streq(l.name, n.tap) || streq(l.name, n.sfp)) &&
	    bind_ovs_available(&d->bind.ovs)) {
		struct nl_extack ext = { { 0 } };
		int k = bind_ovs_unplug(&d->bind.ovs, n.tap, &ext);

		if (k < 0)
			log_warn("gc: removing '%s' from OVSDB: %s", n.tap,
				 ext.msg[0] ? ext.msg : strerror(-k));
	}
	return r;
}

int gc_find_act(struct daemon *d, struct gc_finding *f)
{
	int r;

	if (streq(f->kind, GC_KIND_NEUTRON))
		r = act_neutron(d, f);
	else if (streq(f->kind, GC_KIND_RECORD))
		r = act_record(d, f);
	else if (streq(f->kind, GC_KIND_CONTAINER))
		r = act_container(d, f);
	else
		r = act_interface(d, f);
	if (r == -ESTALE) {
		f->outcome = GC_OUTCOME_GONE;
		log_info("gc: %s %s: no longer applies; left alone", f->kind, f->object);
		return r;
	}
	if (r < 0) {
		f->outcome = GC_OUTCOME_FAILED;
		log_warn("gc: %s %s: %s failed: %s", f->kind, f->object, f->action, strerror(-r));
		return r;
	}
	f->outcome = GC_OUTCOME_DONE;
	log_info("gc: %s %s: %s (%s)", f->kind, f->object, f->action, f->detail);
	metrics_counter_inc(d->metrics->gc_actions, (const char *const[]){ f->kind, f->action });
	if (!streq(f->kind, GC_KIND_CONTAINER))
		metrics_counter_inc(d->metrics->leaked_ports, (const char *const[]){ f->kind });
	return 0;
}

/* Answers to sfctl: {"ctl":"pools"}, {"ctl":"ports"}, {"ctl":"gc"},
 * {"ctl":"health"} (the Neutron breaker, the store's writes) and
 * {"ctl":"service"} (src/service/manager.h). */
#include "daemon/ctl.h"

#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include "daemon/gc.h"
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
		/* VLAN mode: the subport's segmentation id. */
		if (json_object_get(info, "vlan"))
			json_object_set(json_array_get(arr, json_array_size(arr) - 1), "vlan",
					json_object_get(info, "vlan"));
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

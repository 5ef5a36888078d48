/* Garbage collection: the grace bookkeeping and the pass (gc.h).  What is
 * looked for and how each kind is cleaned is gc_find.c. */
#include "daemon/gc.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bind/bind.h"
#include "common/log.h"
#include "daemon/daemon_metrics.h"
#include "daemon/gc_find.h"
#include "daemon/ports.h"
#include "store/store.h"

struct gc {
	pthread_mutex_t pass_lock;   /* one pass at a time; guards seen */
	char **seen_key;             /* the findings of the last pass that looked for them */
	char **seen_pool;            /* ... and the pool each belongs to (NULL: none) */
	size_t n_seen;
};

int gc_new(struct gc **ret)
{
	struct gc *g = xcalloc(1, sizeof(*g));

	pthread_mutex_init(&g->pass_lock, NULL);
	*ret = g;
	return 0;
}

static void seen_clear(char **keys, char **pools, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(keys[i]);
		free(pools[i]);
	}
	free(keys);
	free(pools);
}

void gc_free(struct gc *g)
{
	if (!g)
		return;
	seen_clear(g->seen_key, g->seen_pool, g->n_seen);
	pthread_mutex_destroy(&g->pass_lock);
	free(g);
}

static bool seen_before(const struct gc *g, const char *key)
{
	for (size_t i = 0; i < g->n_seen; i++)
		if (streq(g->seen_key[i], key))
			return true;
	return false;
}

/* The next pass compares with this one's findings, except those it acted
 * on; a pass scoped to one pool keeps what it did not look at. */
static void remember(struct gc *g, const struct gc_opts *o, const struct gc_findings *fs)
{
	char **keys = xcalloc(g->n_seen + fs->n + 1, sizeof(*keys));
	char **pools = xcalloc(g->n_seen + fs->n + 1, sizeof(*pools));
	size_t n = 0;

	for (size_t i = 0; o->pool && i < g->n_seen; i++) {
		if (g->seen_pool[i] && streq(g->seen_pool[i], o->pool))
			continue;
		keys[n] = g->seen_key[i];
		pools[n++] = g->seen_pool[i];
		g->seen_key[i] = g->seen_pool[i] = NULL;
	}
	for (size_t i = 0; i < fs->n; i++) {
		const struct gc_finding *f = &fs->f[i];

		if (streq(f->outcome, GC_OUTCOME_DONE) || streq(f->outcome, GC_OUTCOME_GONE))
			continue;
		keys[n] = xstrdup(f->key);
		pools[n++] = xstrdup_opt(f->pool);
	}
	seen_clear(g->seen_key, g->seen_pool, g->n_seen);
	g->seen_key = keys;
	g->seen_pool = pools;
	g->n_seen = n;
}

static json_t *report_of(const struct gc_opts *o, bool listed, const struct gc_findings *fs)
{
	json_t *arr = json_array();

	for (size_t i = 0; i < fs->n; i++) {
		const struct gc_finding *f = &fs->f[i];

		json_array_append_new(arr, json_pack(
			"{s:s, s:s, s:s?, s:s?, s:s, s:s, s:s, s:s}", "kind", f->kind, "object",
			f->object, "port_id", f->port_id, "pool", f->pool_name, "detail", f->detail,
			"status", f->confirmed ? "confirmed" : "new", "action", f->action, "outcome",
			f->outcome));
	}
	return json_pack("{s:b, s:s?, s:b, s:o}", "dry_run", o->dry_run, "pool", o->pool,
			 "neutron_listed", listed, "findings", arr);
}

int gc_pass(struct daemon *d, const struct gc_opts *o, json_t **ret_report)
{
	struct gc *g = d->gc;
	struct gc_findings fs = { 0 };
	struct gc_inputs in = { .scope = o->pool };
	struct nl_sock *host = NULL;
	size_t done = 0;
	int r;

	pthread_mutex_lock(&g->pass_lock);
	/* Neutron and the links before the store: a record is written before
	 * its port's interfaces exist and after Neutron made the port, so what
	 * the store does not know here was not merely being recorded. */
	in.listed_at = store_clock_ms();
	in.listed = ports_list_tagged(d, &in.ports) == 0;
	in.linked = !o->pool && bind_host_nl(&host) == 0 && bind_links_load(host, &in.links) == 0;
	r = store_list(d->store, NULL, -1, &in.rows);
	if (r < 0)
		goto out;
	gc_find_all(d, &in, &fs);
	for (size_t i = 0; i < fs.n; i++) {
		struct gc_finding *f = &fs.f[i];

		f->confirmed = seen_before(g, f->key);
		if (o->dry_run)
			f->outcome = GC_OUTCOME_DRY_RUN;
		else if (!f->confirmed)
			f->outcome = GC_OUTCOME_MARKED;
		else
			done += gc_find_act(d, f) == 0;
	}
	if (!o->dry_run) {
		remember(g, o, &fs);
		(void)metrics_gauge_set(d->metrics->gc_pending, NULL, (double)g->n_seen);
		if (fs.n)
			log_info("gc: %zu finding(s), %zu cleaned", fs.n, done);
	}
	if (ret_report) {
		json_t *rep = report_of(o, in.listed, &fs);

		if (!rep) {
			r = -ENOMEM;
			goto out;
		}
		*ret_report = rep;
	}
	r = 0;
out:
	pthread_mutex_unlock(&g->pass_lock);
	gc_find_done(&fs);
	bind_links_done(&in.links);
	store_port_list_free(in.rows);
	json_decref(in.ports);
	return r;
}

/* The daemon's life (lifecycle.h): what it builds, the threads it starts,
 * and the order it takes them down in. */
#include "daemon/lifecycle.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/config.h"
#include "common/log.h"
#include "daemon/daemon_metrics.h"
#include "daemon/gc.h"
#include "daemon/gc_busy.h"
#include "daemon/handle.h"
#include "daemon/nested.h"
#include "daemon/prober.h"
#include "daemon/recycler.h"
#include "daemon/refiller.h"
#include "daemon/syncer.h"
#include "server/server.h"
#include "service/manager.h"
#include "store/store.h"

static void stop_threads(struct daemon *d)
{
	pthread_mutex_lock(&d->lock);
	d->stop = true;
	pthread_cond_broadcast(&d->wake_refill);
	pthread_cond_broadcast(&d->wake_sync);
	pthread_cond_broadcast(&d->wake_recycle);
	pthread_cond_broadcast(&d->wake_probe);
	pthread_mutex_unlock(&d->lock);
	for (unsigned i = 0; i < d->n_threads; i++)
		pthread_join(d->threads[i], NULL);
	d->n_threads = 0;
}

/* superfluid_pool_ports{pool,state}, from the store at scrape time. */
static int collect_pools(void *userdata, struct metrics_emitter *e)
{
	struct daemon *d = userdata;
	struct store_counts *counts = NULL;
	struct pool *pools[256];
	size_t n = pool_set_snapshot(d->pools, pools, ARRAY_SIZE(pools));
	int r;

	r = store_count(d->store, &counts);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		struct daemon_metrics_pool m = { 0 };

		for (size_t j = 0; j < counts->n; j++) {
			if (!streq(counts->pools[j].pool, pools[i]->key))
				continue;
			m.ready = counts->pools[j].n[STORE_PORT_READY];
			m.in_use = counts->pools[j].n[STORE_PORT_IN_USE];
			m.wiring = counts->pools[j].n[STORE_PORT_WIRING];
			m.cooldown = counts->pools[j].n[STORE_PORT_COOLDOWN];
		}
		r = daemon_metrics_emit_pool(e, pools[i]->name, &m);
		if (r < 0)
			break;
	}
	store_counts_free(counts);
	return r < 0 ? r : 0;
}

static int make_dir(const char *path)
{
	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

/* The state database, or a refusal that names the file and says what to
 * do.  Never an empty store in place of a damaged one: the ports it listed
 * would all look free (docs/state.md, "A damaged state file"). */
static int open_store(const struct daemon_settings *cfg, const char *path, struct store **ret)
{
	char pools[4096];
	struct stat st;
	int r;

	/* An empty file is a new store to SQLite, but beside a pools.json it
	 * is one that lost its contents (truncated). */
	snprintf(pools, sizeof(pools), "%s/pools.json", cfg->state_dir);
	if (stat(path, &st) == 0 && st.st_size == 0 && access(pools, F_OK) == 0) {
		log_err("refusing to start: the state database '%s' is empty although '%s' "
			"exists (truncated?). Restore it from a backup, or see docs/state.md, "
			"\"A damaged state file\"", path, pools);
		return -EBADMSG;
	}
	r = store_open(path, ret);
	if (r == -EBADMSG)
		log_err("refusing to start: '%s' is corrupt or not a superfluid state database. "
			"Restore it from a backup, or see docs/state.md, \"A damaged state file\"",
			path);
	else if (r == -EPROTONOSUPPORT)
		log_err("refusing to start: '%s' was written by a newer superfluid (schema above "
			"version %d). Run that version, or restore a backup made by this one",
			path, STORE_SCHEMA_VERSION);
	else if (r < 0)
		log_errno(r, "opening the state database '%s'", path);
	return r;
}

int daemon_new(const struct daemon_settings *cfg, struct neutron_client *nc, struct daemon **ret)
{
	struct daemon *d = xcalloc(1, sizeof(*d));
	struct server_opts so = { 0 };
	struct httpd_handlers hh = { 0 };
	char path[4096];
	int r;

	d->cfg = *cfg;
	if (!d->cfg.gc_interval_ms)
		d->cfg.gc_interval_ms = DAEMON_GC_INTERVAL_DEFAULT_MS;
	d->neutron = nc;
	pthread_mutex_init(&d->lock, NULL);
	pthread_cond_init(&d->wake_refill, NULL);
	pthread_cond_init(&d->wake_sync, NULL);
	pthread_cond_init(&d->wake_recycle, NULL);
	pthread_cond_init(&d->wake_probe, NULL);
	neutron_breaker_init(&d->breaker);
	snprintf(d->deployment_tag, sizeof(d->deployment_tag), "sf-deployment=%s", cfg->deployment);
	d->bind = (struct bind_host_cfg){
		.deployment = d->cfg.deployment,
		.ovs = { .vsctl = d->cfg.ovs_vsctl ? d->cfg.ovs_vsctl : "ovs-vsctl",
			 .db = d->cfg.ovsdb ? d->cfg.ovsdb : "unix:/run/openvswitch/db.sock" },
	};
	snprintf(d->host_tag, sizeof(d->host_tag), "sf-host=%s", cfg->host);
	if (cfg->site)
		snprintf(d->site_tag, sizeof(d->site_tag), "sf-site=%s", cfg->site);

	if (config_mode_nested(cfg->mode)) {
		r = nested_new(cfg, &d->nested);
		if (r < 0)
			goto fail;
	}
	r = make_dir(cfg->state_dir);
	if (r < 0) {
		log_errno(r, "creating the state directory '%s'", cfg->state_dir);
		goto fail;
	}
	snprintf(path, sizeof(path), "%s/state.db", cfg->state_dir);
	r = open_store(cfg, path, &d->store);
	if (r < 0)
		goto fail;
	snprintf(path, sizeof(path), "%s/pools.json", cfg->state_dir);
	r = pool_set_new(path, &cfg->pool_defaults, &d->pools);
	if (r < 0)
		goto fail;
	r = pool_set_load(d->pools);
	if (r < 0) {
		log_errno(r, "reading '%s'", path);
		goto fail;
	}
	r = gc_new(&d->gc);
	if (r < 0)
		goto fail;
	r = gc_busy_new(&d->busy);
	if (r < 0)
		goto fail;
	{
		struct service_mgr_opts so_ = { .crash_at = getenv("SF_TEST_MOVE_CRASH"),
						.host = d->cfg.host,
						.ovs_vsctl = d->bind.ovs.vsctl,
						.ovsdb = d->bind.ovs.db };

		r = service_mgr_new(nc, d->store, &so_, &d->services);
		if (r < 0)
			goto fail;
	}
	/* Ports a create made just before a crash are adopted at once. */
	atomic_store(&d->reconcile_soon, true);
	r = daemon_metrics_new(collect_pools, d, &d->metrics);
	if (r < 0)
		goto fail;
	r = daemon_metrics_watch_store(d->metrics, d->store);
	if (r >= 0)
		r = daemon_metrics_watch_keystone(d->metrics, d->neutron);
	if (r < 0)
		goto fail;
	atomic_store(&d->readiness.pools_loaded, true);

	hh.registry = d->metrics->registry;
	hh.ready = httpd_readiness_check;
	hh.userdata = &d->readiness;
	r = httpd_start(cfg->metrics_address, &hh, &d->httpd);
	if (r < 0) {
		log_errno(r, "serving metrics on '%s'", cfg->metrics_address);
		goto fail;
	}

	{
		void *(*mains[DAEMON_THREADS])(void *) = { refiller_main, recycler_main,
							   syncer_main, prober_main };

		for (size_t i = 0; i < ARRAY_SIZE(mains); i++) {
			r = -pthread_create(&d->threads[d->n_threads], NULL, mains[i], d);
			if (r < 0)
				goto fail;
			d->n_threads++;
		}
	}

	/* Its own thread: a pass over the services waits on Neutron, which the
	 * pools' threads must not. */
	r = service_mgr_start(d->services);
	if (r < 0)
		goto fail;

	so.path = cfg->socket_path;
	so.workers = cfg->workers;
	r = server_new(&so, handle_request, d, &d->server);
	if (r < 0) {
		log_errno(r, "listening on '%s'", cfg->socket_path);
		goto fail;
	}
	*ret = d;
	return 0;
fail:
	d->neutron = NULL;   /* stays the caller's on failure */
	daemon_free(d);
	return r;
}

void daemon_free(struct daemon *d)
{
	if (!d)
		return;
	/* Requests first, so that nothing kicks a thread that is gone; the
	 * threads before the service manager, which the recycler asks
	 * (service_mgr_port_busy). */
	server_free(d->server);
	stop_threads(d);
	service_mgr_free(d->services);
	httpd_stop(d->httpd);
	daemon_metrics_free(d->metrics);
	gc_free(d->gc);
	gc_busy_free(d->busy);
	pool_set_free(d->pools);
	nested_free(d->nested);
	store_free(d->store);
	neutron_client_free(d->neutron);
	pthread_mutex_destroy(&d->lock);
	pthread_cond_destroy(&d->wake_refill);
	pthread_cond_destroy(&d->wake_sync);
	pthread_cond_destroy(&d->wake_recycle);
	pthread_cond_destroy(&d->wake_probe);
	neutron_breaker_destroy(&d->breaker);
	free(d);
}

int daemon_declare_pool(struct daemon *d, const struct pool_request *rq,
			const struct pool_sizes *sizes)
{
	struct neutron_error err = { 0 };
	struct pool *p;
	uint64_t start = util_now_us();
	int r;

	r = pool_set_resolve(d->pools, d->neutron, rq, sizes, &p, &err);
	daemon_neutron_done(d, "resolve", r, &err, start);
	if (r < 0)
		return log_errno(r, "pool '%s': %s", rq->name, err.message);
	daemon_kick_refill(d);
	return 0;
}

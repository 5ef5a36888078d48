/* superfluidd's core state: what the request workers (handle.c) and the
 * three background threads (refiller.c, recycler.c, syncer.c) share, how one
 * wakes another, and the bookkeeping of Neutron's calls.  `struct daemon` is
 * defined here and nowhere else; lifecycle.c builds it. */
#ifndef SF_DAEMON_STATE_H
#define SF_DAEMON_STATE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "bind/bind.h"
#include "metrics/httpd.h"
#include "neutron/breaker.h"
#include "neutron/neutron.h"
#include "pool/pool.h"

struct daemon_metrics;
struct gc;
struct gc_busy;
struct nested;
struct server;
struct service_mgr;
struct store;

#define DAEMON_GC_INTERVAL_DEFAULT_MS 60000
#define DAEMON_THREADS 4   /* the background threads lifecycle.c starts */

/* Everything the daemon is told, from the config file. */
struct daemon_settings {
	const char *host;             /* binding:host_id (bare metal); names the host's ports */
	int mode;                     /* enum config_mode */
	const char *link_interface;   /* nested: the VM's NIC */
	const char *vm_port;          /* nested: the VM's port id; NULL: found by the NIC's MAC */
	const char *ovsdb;            /* OVS hosts: OVSDB's address */
	const char *ovs_vsctl;        /* OVS hosts: the ovs-vsctl program */
	const char *deployment;       /* tags every port: "sf-deployment=<this>" */
	const char *state_dir;
	const char *socket_path;
	const char *metrics_address;
	unsigned workers;             /* request threads */
	struct pool_sizes pool_defaults;
	unsigned cooldown_ms;         /* a released port waits this long */
	unsigned active_timeout_ms;   /* for a port to turn ACTIVE */
	unsigned cold_add_timeout_ms; /* an ADD with an empty pool gives up after */
	unsigned quiet_ms;            /* Neutron work waits for this much calm */
	unsigned max_defer_ms;        /* ... but never longer than this */
	unsigned refill_interval_ms;
	unsigned gc_interval_ms;      /* between the garbage collector's passes; 0: the default */
	bool on_demand;               /* empty pool: create a port for the ADD */
	const char *site;             /* the host's site ([host] site); NULL: none */
};

struct daemon {
	struct daemon_settings cfg;
	char deployment_tag[128];
	char host_tag[128];
	char site_tag[128];              /* "sf-site=<site>", "" without a site */
	struct bind_host_cfg bind;       /* from cfg: the host-side binding's settings */
	struct neutron_client *neutron;
	struct store *store;
	struct pool_set *pools;
	struct gc *gc;
	struct gc_busy *busy;            /* ADDs in progress: the collector leaves them be */
	struct daemon_metrics *metrics;
	struct httpd_readiness readiness;
	struct httpd *httpd;
	struct server *server;
	struct nested *nested;           /* NULL on bare metal (nested.c) */
	struct service_mgr *services;    /* services' instances here (src/service/) */

	atomic_bool neutron_ok;          /* the last Neutron call succeeded */
	struct neutron_breaker breaker;  /* is Neutron reachable? (prober.c probes it) */
	atomic_uint breaker_closes;      /* times it closed again: the refiller's backoff ends */
	atomic_bool reconcile_soon;      /* a create may have happened unanswered: adopt */
	atomic_bool create_lost;         /* ... and it was this life's: list twice */
	atomic_uint_fast64_t last_request_ms;
	atomic_uint cold_adds;           /* ADDs making their own port now (ports.c) */

	pthread_mutex_t lock;            /* guards stop and the wakeups */
	pthread_cond_t wake_refill, wake_sync, wake_recycle, wake_probe;
	bool refill_pending, sync_pending, recycle_pending, probe_pending, stop;
	pthread_t threads[DAEMON_THREADS];   /* refiller, recycler, syncer, prober */
	unsigned n_threads;
};

/* Wakes a background thread. */
void daemon_kick_refill(struct daemon *d);
void daemon_kick_sync(struct daemon *d);
void daemon_kick_recycle(struct daemon *d);
void daemon_kick_probe(struct daemon *d);

/* True once daemon_free began: background loops end. */
bool daemon_should_stop(struct daemon *d);
/* Waits for a kick (*pending, set under d->lock, cleared here), the stop,
 * or ms milliseconds. */
void daemon_wait_kick(struct daemon *d, pthread_cond_t *cond, bool *pending, unsigned ms);
/* True while CNI requests are streaming in (none for cfg.quiet_ms breaks
 * it) and a deferral that began at deferred_since_ms (0: none yet) has
 * time left: Neutron work should wait. */
bool daemon_in_burst(struct daemon *d, uint64_t deferred_since_ms);

/* Records a Neutron call's outcome for metrics and STATUS. */
void daemon_neutron_done(struct daemon *d, const char *op, int r,
			 const struct neutron_error *err, uint64_t start_us);
/* While the breaker is not closed: true, with `why` set to "Neutron is
 * unreachable since <UTC time> (N s; <the failure>)"; an ADD that needs
 * Neutron answers that at once.  `why` may be NULL. */
bool daemon_neutron_unreachable(struct daemon *d, char *why, size_t size);
/* Whether the state database takes writes (store_health): /readyz says
 * so, a change is logged (rate-limited).  With `probe`, a failing store is
 * tried with one small write first.  Returns true while it fails. */
bool daemon_store_failing(struct daemon *d, bool probe);
/* The breaker's state to the metrics, after it changed. */
void daemon_breaker_show(struct daemon *d);
/* How many Neutron calls of the calling thread failed without an answer
 * or with a 5xx, since it started. */
unsigned long daemon_neutron_failures_here(void);

/* While Neutron fails (no answer, 5xx), a background thread waits before
 * its next pass of Neutron work, about twice as long after each failed
 * pass: an outage costs a few calls, not a loop of them. */
struct daemon_backoff {
	unsigned failures;      /* failed passes in a row */
	uint64_t until_ms;
};
/* The wait after `failures` failures in a row, jittered, at most a minute. */
unsigned daemon_backoff_ms(unsigned failures);
/* Milliseconds left to wait; 0: go. */
unsigned daemon_backoff_left(const struct daemon_backoff *b);
/* After a pass: `failed_before` is daemon_neutron_failures_here() before
 * it; `who` names the thread in the log. */
void daemon_backoff_update(struct daemon_backoff *b, unsigned long failed_before,
			   const char *who);

#endif

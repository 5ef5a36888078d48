/* superfluidd's core: the state it shares between the request workers
 * (CNI verbs, sfctl queries) and its three background threads (the
 * refiller, which creates, wires and waits for ports; the recycler, which
 * returns released ports to their pool; the syncer, which tells Neutron who
 * holds what and deletes surplus ports). */
#ifndef SF_DAEMON_DAEMON_H
#define SF_DAEMON_DAEMON_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "daemon/daemon_metrics.h"
#include "daemon/gc.h"
#include "metrics/httpd.h"
#include "pool/pool.h"
#include "bind/portinfo.h"
#include "neutron/neutron.h"
#include "bind/bind.h"
#include "store/store.h"

#define DAEMON_GC_INTERVAL_DEFAULT_MS 60000

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
};

struct daemon {
	struct daemon_settings cfg;
	char deployment_tag[128];
	char host_tag[128];
	struct bind_host_cfg bind;       /* from cfg: the host-side binding's settings */
	struct neutron_client *neutron;
	struct store *store;
	struct pool_set *pools;
	struct gc *gc;
	struct daemon_metrics *metrics;
	struct httpd_readiness readiness;
	struct httpd *httpd;
	struct server *server;
	struct daemon_nested *nested;    /* NULL on bare metal (nested.c) */

	atomic_bool neutron_ok;          /* the last Neutron call succeeded */
	atomic_bool reconcile_soon;      /* a create may have happened unanswered: adopt */
	atomic_bool create_lost;         /* ... and it was this life's: list twice */
	atomic_uint_fast64_t last_request_ms;

	pthread_mutex_t lock;            /* guards stop and the wakeups */
	pthread_cond_t wake_refill, wake_sync, wake_recycle;
	bool refill_pending, sync_pending, recycle_pending, stop;
	pthread_t threads[3];
	unsigned n_threads;
};

/* Builds the daemon from its settings and a ready Neutron client (the
 * daemon takes ownership of it), opens the store and the pools, and starts
 * the socket, the metrics endpoint and the background threads. */
int daemon_new(const struct daemon_settings *cfg, struct neutron_client *nc,
	       struct daemon **ret) MUST_CHECK;
/* Stops everything and frees.  NULL-safe. */
void daemon_free(struct daemon *d);

/* Resolves a pool declared in the config, so it fills before any ADD. */
int daemon_declare_pool(struct daemon *d, const struct pool_request *rq,
			const struct pool_sizes *sizes) MUST_CHECK;

/* The socket handler (server_handler_fn): CNI verbs and sfctl queries. */
int daemon_handle(void *userdata, const char *req, size_t len, char **ret_reply,
		  size_t *ret_len);

/* Wakes the background threads. */
void daemon_kick_refill(struct daemon *d);
void daemon_kick_sync(struct daemon *d);
void daemon_kick_recycle(struct daemon *d);

/* The background threads (manager.c). */
void *daemon_refiller_main(void *arg);
void *daemon_syncer_main(void *arg);
void *daemon_recycler_main(void *arg);
/* Creates and wires `n` ports of pool `p` and waits up to timeout_ms for
 * them to turn ACTIVE; ports that do, become READY.  With `ret_port_id`
 * (n must be 1), the port's id is returned even if it is still WIRING at
 * the timeout (-ETIMEDOUT).  A create Neutron did not answer in time is
 * -ETIME (it may still make the ports: the refiller reconciles first).
 * With `ret_err`, a failure's reason (Neutron's words) is copied there.
 * Used by the refiller and by a cold ADD. */
int daemon_make_ports(struct daemon *d, struct pool *p, unsigned n, unsigned timeout_ms,
		      char **ret_port_id, struct neutron_error *ret_err) MUST_CHECK;

/* Records a port Neutron made (the refill's, or one the garbage collector
 * adopts) in pool `p`, WIRING, and wires its host side.  0 also when the
 * store already knew it. */
int daemon_adopt_port(struct daemon *d, struct pool *p, const json_t *port) MUST_CHECK;

/* Nested modes (nested.c): the VM's NIC and port.  daemon_nested_new
 * resolves the NIC (its ifindex and MAC, in the daemon's namespace); the
 * VM's port and trunk are looked up in Neutron on first use, so a daemon
 * started while Neutron is away still serves its warm pool. */
struct daemon_nested;
int daemon_nested_new(const struct daemon_settings *cfg, struct daemon_nested **ret) MUST_CHECK;
void daemon_nested_free(struct daemon_nested *dn);
int daemon_nested_link(const struct daemon_nested *dn);
/* WIRING ports `ids` (NULL entries skipped) become READY once the VM's port
 * carries them: one Neutron update for all (allowed address pairs, or
 * add_subports with their VLAN ids recorded in the store).  Returns how
 * many are still WIRING, or -errno (Neutron's words in ret_err, may be
 * NULL).  Ports the VM's port refuses (Neutron's max_allowed_address_pair)
 * are given back to Neutron: -ENOSPC when that was all of them. */
int daemon_nested_ready(struct daemon *d, char **ids, size_t n,
			struct neutron_error *ret_err) MUST_CHECK;
/* The VM's port refused more ports lately: refills wait. */
bool daemon_nested_full(struct daemon *d);
/* The reverse, for ports about to be deleted: their pairs, or subports,
 * off the VM's port, in one update. */
int daemon_nested_unready(struct daemon *d, const struct portinfo *pis, size_t n) MUST_CHECK;

/* sfctl's queries (ctl.c): a JSON reply for {"ctl": "pools"|"ports"|"gc"}
 * (gc takes "dry_run": true|false).  -EOPNOTSUPP for another. */
int daemon_ctl(struct daemon *d, const json_t *req, char **ret_json) MUST_CHECK;

/* Records a Neutron call's outcome for metrics and STATUS. */
void daemon_neutron_done(struct daemon *d, const char *op, int r,
			 const struct neutron_error *err, uint64_t start_us);
/* How many Neutron calls of the calling thread failed without an answer
 * or with a 5xx, since it started. */
unsigned long daemon_neutron_failures_here(void);

#endif

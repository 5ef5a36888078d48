/* Every metric superfluidd exports, registered in one place.  docs/metrics.md
 * describes each one; keep the two in step. */
#ifndef SF_DAEMON_DAEMON_METRICS_H
#define SF_DAEMON_DAEMON_METRICS_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/util.h"
#include "metrics/metrics.h"

#define DAEMON_METRIC_CNI_DURATION      "superfluid_cni_request_duration_seconds"
#define DAEMON_METRIC_CNI_REQUESTS      "superfluid_cni_requests_total"
#define DAEMON_METRIC_POOL_PORTS        "superfluid_pool_ports"
#define DAEMON_METRIC_NEUTRON_DURATION  "superfluid_neutron_request_duration_seconds"
#define DAEMON_METRIC_NEUTRON_ERRORS    "superfluid_neutron_errors_total"
#define DAEMON_METRIC_PORTS_CREATED     "superfluid_ports_created_total"
#define DAEMON_METRIC_PORTS_DELETED     "superfluid_ports_deleted_total"
#define DAEMON_METRIC_LEAKED_PORTS      "superfluid_leaked_ports_total"
#define DAEMON_METRIC_GC_ACTIONS        "superfluid_gc_actions_total"
#define DAEMON_METRIC_RESIDENT_MEMORY   "superfluid_process_resident_memory_bytes"
#define DAEMON_METRIC_NEUTRON_UP        "superfluid_neutron_up"
#define DAEMON_METRIC_GC_PENDING        "superfluid_gc_leaks_pending"
#define DAEMON_METRIC_PORTS_OVERDUE     "superfluid_ports_wiring_overdue"
#define DAEMON_METRIC_BREAKER_STATE     "superfluid_neutron_breaker_state"
#define DAEMON_METRIC_BREAKER_OPENS     "superfluid_neutron_breaker_opens_total"
#define DAEMON_METRIC_STORE_FULL        "superfluid_store_write_failures_total"
#define DAEMON_METRIC_KEYSTONE_TOKENS   "superfluid_keystone_tokens_total"

/* Values of the `kind` label of superfluid_leaked_ports_total. */
#define DAEMON_LEAK_NEUTRON    "neutron"    /* tagged port in Neutron, no local record */
#define DAEMON_LEAK_RECORD     "record"     /* local record, port gone from Neutron */
#define DAEMON_LEAK_INTERFACE  "interface"  /* host attachment without a port */

#define DAEMON_METRICS_LAST_ERRORS 8

/* Handles into the registry; all owned by `registry`. */
struct daemon_metrics {
	struct metrics_registry *registry;
	struct metrics_histogram *cni_duration;      /* {verb} */
	struct metrics_counter *cni_requests;        /* {verb,result} */
	struct metrics_histogram *neutron_duration;  /* {op} */
	struct metrics_counter *neutron_errors;      /* {op,status} */
	struct metrics_counter *ports_created;
	struct metrics_counter *ports_deleted;
	struct metrics_counter *leaked_ports;        /* {kind} */
	struct metrics_counter *gc_actions;          /* {kind,action}: GC_KIND_*, gc_find.h */
	struct metrics_gauge *neutron_up;            /* 1: the last Neutron call was answered */
	struct metrics_gauge *gc_pending;            /* findings awaiting their second pass */
	struct metrics_gauge *ports_overdue;         /* WIRING for longer than active_timeout */
	struct metrics_gauge *breaker_state;         /* {state}: 1 for the current one */
	struct metrics_counter *breaker_opens;
	metrics_collect_fn pool_fn;                  /* see daemon_metrics_new */
	void *pool_userdata;
	pthread_mutex_t errors_lock;                 /* guards errors, n_errors */
	struct daemon_metrics_error {
		int64_t at_ms;                       /* wall clock, ms since the epoch */
		char what[40];                       /* "cni ADD", "neutron port_create_bulk" */
		char code[16];                       /* the CNI code, HTTP status or "transport" */
	} errors[DAEMON_METRICS_LAST_ERRORS];    /* a ring: the last failures, for sfctl status */
	uint64_t n_errors;                           /* failures recorded since start */
};

/* One pool's sizes, as the pool manager knows them at scrape time. */
struct daemon_metrics_pool {
	uint64_t ready;     /* bound, plugged, ACTIVE: can serve an ADD now */
	uint64_t in_use;    /* held by a container */
	uint64_t wiring;    /* created, not yet ACTIVE or plugged */
	uint64_t cooldown;  /* released by a DEL, waiting to be reused */
};

/* Registers everything.  `pool_fn` is called at each scrape, on the httpd
 * thread, and reports every pool with daemon_metrics_emit_pool(); it takes
 * whatever lock guards the pools itself.  `pool_fn` may be NULL (no pool
 * samples); `pool_userdata` must outlive the registry.  Free with
 * daemon_metrics_free(). */
int daemon_metrics_new(metrics_collect_fn pool_fn, void *pool_userdata,
		       struct daemon_metrics **ret) MUST_CHECK;
void daemon_metrics_free(struct daemon_metrics *dm);

/* From inside pool_fn: the four superfluid_pool_ports{pool,state} samples of
 * one pool.  `pool` is the pool's name (its key as sfctl shows it). */
int daemon_metrics_emit_pool(struct metrics_emitter *e, const char *pool,
			     const struct daemon_metrics_pool *p);

/* One finished CNI request: `verb` is ADD, DEL, CHECK, STATUS, GC (or
 * VERSION), `cni_code` 0 on success or the CNI error code it answered. */
void daemon_metrics_cni_done(struct daemon_metrics *dm, const char *verb, int cni_code,
			     double seconds);

/* Up to `max` of the last failed CNI requests and Neutron calls, newest
 * first, copied into `out`; returns how many. */
size_t daemon_metrics_last_errors(struct daemon_metrics *dm, struct daemon_metrics_error *out,
				  size_t max);

/* One finished Neutron call: `op` names it (docs/metrics.md lists them),
 * `r` is the call's result and `http_status` the status of the failing
 * answer (0 when none arrived: counted as status="transport"). */
void daemon_metrics_neutron_done(struct daemon_metrics *dm, const char *op, int r,
				 int http_status, double seconds);

/* The Neutron breaker is now in `state` ("closed", "open", "half-open"). */
void daemon_metrics_breaker(struct daemon_metrics *dm, const char *state);
void daemon_metrics_breaker_opened(struct daemon_metrics *dm);
/* Registers superfluid_store_write_failures_total{reason}, read from the
 * store at each scrape (`s` must outlive the registry). */
struct store;
int daemon_metrics_watch_store(struct daemon_metrics *dm, struct store *s) MUST_CHECK;
struct neutron_client;
/* Keystone tokens the client was issued (renewals and after a 401), read
 * from the client at scrape time; it must outlive dm's registry. */
int daemon_metrics_watch_keystone(struct daemon_metrics *dm, struct neutron_client *c) MUST_CHECK;

#endif

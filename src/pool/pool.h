/* Pools of ready ports, one per (network, subnet, security groups, MTU) on
 * this host, and the resolution of a CNI network config's names to a pool.
 *
 * A pool's ports and their states live in the store; this is what the
 * store does not hold: the pool's Neutron identity and sizes, the network
 * and subnets a new port's portinfo is built from, and the names that lead
 * to it.  Pools are persisted to <state_dir>/pools.json (rewritten
 * atomically when a pool or a name is added), so that a daemon restarted
 * while Neutron is down still serves ADDs from its warm pools. */
#ifndef SF_POOL_POOL_H
#define SF_POOL_POOL_H

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/util.h"
#include "neutron/neutron.h"

#define POOL_TAG_LEN 32

struct pool_sizes {
	unsigned min;      /* refill when ready + wiring falls below */
	unsigned max;      /* ready ports kept; a released port beyond is deleted */
	unsigned batch;    /* ports per bulk create */
};

struct pool {
	char *key;                 /* "<network_id>|<subnet_id or *>|<mtu>|<sg ids or default>"
				    * and "|svc=<service>" for a service's pool */
	char tag[POOL_TAG_LEN];    /* "sf-pool=<hash>", on every port of the pool */
	char *name;                /* for people: the first CNI network name or [pool NAME] */
	char *network_id;
	char *subnet_id;           /* NULL: Neutron picks */
	json_t *security_groups;   /* array of ids, or NULL for Neutron's default group */
	uint32_t mtu;              /* 0: the network's */
	char *service;             /* a service's own pool: its ports are made as
				    * instances of it (pair and tag), for its
				    * containers only; NULL for a plain pool */
	struct pool_sizes sizes;
	json_t *network;           /* Neutron's network object */
	json_t *subnets;           /* subnet id -> subnet object */
	unsigned creating;         /* ports asked of Neutron, not yet in the store */
	unsigned refill_left;      /* ports of the refill in progress not yet asked for */
	uint64_t backoff_until_ms; /* refill paused after a Neutron failure */
	unsigned failures;         /* consecutive refill failures */
};

/* What a CNI network config (or a [pool NAME] section) asks for, by name or
 * id, before resolution. */
struct pool_request {
	const char *name;                    /* CNI network name, for people */
	const char *network;
	const char *subnet;                  /* NULL: any */
	const char *const *security_groups;  /* NULL: Neutron's default group */
	size_t n_security_groups;
	uint32_t mtu;                        /* 0: the network's */
	const char *service;                 /* NULL: not a service's pool */
};

struct pool_set;

/* `path` is the pools.json file (borrowed; may be NULL for no persistence). */
int pool_set_new(const char *path, const struct pool_sizes *defaults, struct pool_set **ret) MUST_CHECK;
void pool_set_free(struct pool_set *ps);
/* Loads pools.json if it exists.  -EBADMSG names nothing: the caller logs. */
int pool_set_load(struct pool_set *ps) MUST_CHECK;

/* The pool for a request, from the cache of names first; on a miss the
 * names are resolved in Neutron (network, subnet, security groups; the
 * network's subnets fetched), the pool made if new, and the names cached.
 * `sizes` (may be NULL: the defaults) apply to a new pool, or update an
 * existing one.  *ret is borrowed from the set and lives as long as it.
 * -ENOENT when Neutron has no such network, subnet or group, -ENOTUNIQ when
 * a name is ambiguous, -EINVAL when the subnet is not on the network; err
 * holds Neutron's words. */
int pool_set_resolve(struct pool_set *ps, struct neutron_client *nc, const struct pool_request *rq,
		     const struct pool_sizes *sizes, struct pool **ret,
		     struct neutron_error *err) MUST_CHECK;
/* The pool of a key (borrowed), or NULL. */
struct pool *pool_set_find(struct pool_set *ps, const char *key);
/* The pool whose tag is `tag`, or NULL. */
struct pool *pool_set_find_tag(struct pool_set *ps, const char *tag);

/* Iteration without holding the lock across callers' slow work: fills
 * `ret` with up to `max` borrowed pool pointers (pools are never freed
 * before the set). */
size_t pool_set_snapshot(struct pool_set *ps, struct pool **ret, size_t max);

/* The lock that guards the pools' mutable fields (creating, backoff...). */
void pool_set_lock(struct pool_set *ps);
void pool_set_unlock(struct pool_set *ps);

/* How many ports a refill should ask for now, given the pool's counts. */
unsigned pool_refill_count(const struct pool_sizes *sizes, unsigned ready, unsigned wiring,
			   unsigned creating);

/* Body for a bulk create of `n` ports of the pool on `host` (NULL: unbound), tagged with
 * `deployment_tag`, `host_tag` and the pool's tag.  Caller json_decref()s. */
json_t *pool_port_request(const struct pool *p, const char *host, const char *deployment_tag,
			  const char *host_tag, unsigned n);

#endif

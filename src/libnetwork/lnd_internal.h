/* The Docker driver's state and helpers, shared by its two halves: lnd.c
 * (the network driver, the dispatch) and lnd_ipam.c (the IPAM driver).
 * Private to src/libnetwork/. */
#ifndef SF_LIBNETWORK_LND_INTERNAL_H
#define SF_LIBNETWORK_LND_INTERNAL_H

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>

#include "libnetwork/lnd.h"
#include "libnetwork/lnd_attach.h"

#define LND_MAX_POOLS 64
#define LND_MAX_NETS 64
#define LND_MAX_CLAIMS 256
#define GATEWAY_TYPE "com.docker.network.gateway"

struct pool {
	char id[40];                 /* our PoolID; "" when free */
	char net_id[64], subnet_id[64];
	char cidr[64];               /* the subnet's, as Neutron writes it */
	char gateway[64];            /* "" when the subnet has none */
	json_t *conf;                /* the CNI network config of its ADDs; owned */
	bool bound;                  /* a Docker network uses it */
	/* No neutron.net.* option: the driver makes the Neutron network and
	 * subnet at CreateNetwork (net_id "" until then) and deletes them at
	 * DeleteNetwork (lnd_neutron.c). */
	bool created;
	bool released;               /* created and bound: ReleasePool came first (Docker
				      * 20.10 releases before DeleteNetwork), freed after it */
	char name[32];               /* created: "docker-<NetworkID:12>", also the daemon's pool's */
};

struct net {
	char id[80];                 /* Docker's NetworkID; "" when free */
	int pool;                    /* index in pools */
};

struct claim {
	int pool;                    /* -1 when free */
	char address[64];            /* "ip/len" as given to Docker */
	char mac[32];
	char endpoint[80];           /* Docker's EndpointID, or "" */
	struct lnd_attachment *att;  /* owned */
};

struct lnd {
	pthread_mutex_t lock;
	char *socket;
	char *state;                 /* the state file (lnd_state.c), or NULL; owned */
	char *park;                  /* where attachments' namespaces are pinned, or NULL; owned */
	struct neutron_client *nc;
	struct pool pools[LND_MAX_POOLS];
	struct net nets[LND_MAX_NETS];
	struct claim claims[LND_MAX_CLAIMS];
};

/* A handler's outcome: *out is the answer object (owned), or NULL with
 * `err` holding the Err text. */
struct call {
	const json_t *req;
	json_t *out;
	char err[512];
};

__attribute__((format(printf, 2, 3)))
/* Sets the Err text; returns -EINVAL. */
int lnd_fail(struct call *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A string member of the request, "" when absent. */
const char *lnd_req_str(const struct call *c, const char *key);
/* Takes `o` as the answer; -ENOMEM when it is NULL. */
int lnd_answer(struct call *c, json_t *o);
int lnd_empty(struct lnd *l, struct call *c);

struct mapping {
	const char *net_uuid, *net_name, *subnet_uuid, *subnet_name, *sgs;
};

/* Reads kuryr-libnetwork's option names (and ours) from `opts`; Docker's
 * own com.docker.* keys are skipped, anything else is refused.  The
 * strings are borrowed from opts. */
int lnd_read_mapping(struct call *c, const json_t *opts, struct mapping *m);
struct pool *lnd_find_pool(struct lnd *l, const char *id);
/* Frees pool p's slot. */
void lnd_pool_free(struct pool *p);
/* The claim of `address` ("ip" or "ip/len") in pool p, or NULL. */
struct claim *lnd_find_claim(struct lnd *l, const struct pool *p, const char *address);

/* The Neutron network and subnet of a created pool (lnd_neutron.c), for
 * Docker network `docker_id`: made tagged LND_TAG, named p->name; on
 * success p->net_id, p->subnet_id and p->conf's "network" are set. */
#define LND_TAG "superfluid-docker"
int lnd_net_make(struct lnd *l, struct call *c, struct pool *p, const char *docker_id);
/* Retires the daemon's pool of it (its ready ports deleted) and deletes
 * the Neutron network once no port is left on it (bounded). */
int lnd_net_unmake(struct lnd *l, struct call *c, struct pool *p);

/* The driver's state across its restarts (lnd_state.c): pools, networks
 * and claims with their attachments, as JSON in the file l->state, written
 * whole (a temporary file renamed over it) after each call that changed
 * them (its folder made if absent).  A missing file is an empty state; an unreadable or malformed one
 * fails the load (-EINVAL, logged naming the file).  Both are no-ops
 * without l->state. */
int lnd_state_load(struct lnd *l) MUST_CHECK;
int lnd_state_save(const struct lnd *l) MUST_CHECK;

/* The IPAM driver's calls (lnd_ipam.c). */
int lnd_ipam_caps(struct lnd *l, struct call *c);
int lnd_ipam_spaces(struct lnd *l, struct call *c);
int lnd_ipam_request_pool(struct lnd *l, struct call *c);
int lnd_ipam_release_pool(struct lnd *l, struct call *c);
int lnd_ipam_request_address(struct lnd *l, struct call *c);
int lnd_ipam_release_address(struct lnd *l, struct call *c);

#endif

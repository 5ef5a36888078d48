/* A pool's ports, from Neutron's create to READY: the refiller's bulk
 * refill, a cold ADD's single port, and the adoption of ports Neutron made
 * for us that the store does not know yet. */
#ifndef SF_DAEMON_PORTS_H
#define SF_DAEMON_PORTS_H

#include <stddef.h>

#include <jansson.h>

#include "cni/error.h"
#include "common/util.h"
#include "daemon/state.h"
#include "store/store.h"

/* Creates and wires `n` ports of pool `p` and waits up to timeout_ms for
 * them to turn ACTIVE; ports that do, become READY.  With `ret_port_id`
 * (n must be 1), the port's id is returned even if it is still WIRING at
 * the timeout (-ETIMEDOUT).  A create Neutron did not answer in time is
 * -ETIME (it may still make the ports: the refiller reconciles first).
 * With `ret_err`, a failure's reason (Neutron's words) is copied there.
 * Used by the refiller and by a cold ADD. */
int ports_make(struct daemon *d, struct pool *p, unsigned n, unsigned timeout_ms,
	       char **ret_port_id, struct neutron_error *ret_err) MUST_CHECK;

/* The ADDs that wait on Neutron for a port of their own (an empty pool's
 * cold ADD, a chosen address's port) take one of all the workers but one:
 * 0, or -EBUSY with `err` set (code 11, naming `pool`) when every place is
 * taken.  Each 0 is followed by one ports_own_leave(). */
int ports_own_enter(struct daemon *d, const char *pool, struct cni_error *err) MUST_CHECK;
void ports_own_leave(struct daemon *d);

/* Records a port Neutron made (the refill's, or one the garbage collector
 * adopts) in pool `p`, WIRING, and wires its host side, or leaves that to
 * ports_late_wire when ML2 has not bound it yet.  0 also when the store
 * already knew it. */
int ports_adopt(struct daemon *d, struct pool *p, const json_t *port) MUST_CHECK;

/* Up to `limit` of pool `key`'s ports in state `from` go to DELETING, for
 * the syncer to delete in Neutron (kicked when any went).  Each change is
 * a compare-and-set: a claim racing it keeps its port.  How many went, or
 * the store's -errno. */
int ports_discard(struct daemon *d, const char *key, enum store_port_state from,
		  unsigned limit) MUST_CHECK;

/* Lists the ports of `ids` (NULL entries skipped) in batches of
 * PORTS_ID_BATCH (URLs stay short), asking for "id" and `fields` (at most
 * PORTS_LIST_MAX_FIELDS, NULL-terminated), and calls each(d, port, j, arg)
 * for every entry j of `ids` a listed port matches; `each` may free and
 * NULL ids[j].  `op` names the calls in the metrics.  0, or the first
 * failed call's -errno (the later batches not asked). */
#define PORTS_ID_BATCH 40
#define PORTS_LIST_MAX_FIELDS 7
typedef void ports_each_fn(struct daemon *d, const json_t *port, size_t j, void *arg);
int ports_list_ids(struct daemon *d, char **ids, size_t n, const char *const *fields,
		   const char *op, ports_each_fn *each, void *arg) MUST_CHECK;

/* Asks Neutron for the status of `ids` (NULL entries skipped) and makes the
 * ACTIVE ones READY, freeing and NULLing their entries.  Returns how many
 * are still not ACTIVE, or -errno. */
int ports_promote(struct daemon *d, char **ids, size_t n);

/* Neutron's ports tagged for this deployment and host (caller
 * json_decref()s). */
int ports_list_tagged(struct daemon *d, json_t **ret) MUST_CHECK;
/* The pool whose tag a Neutron port carries, or NULL. */
struct pool *ports_pool_of(struct daemon *d, const json_t *port);

#endif

/* Garbage collection (docs/gc.md): leaks of four kinds, found by comparing
 * Neutron, the host's interfaces, the containers' namespaces and the store,
 * and cleaned only when the same finding was also made by the previous
 * pass (a grace period that lets work in flight finish):
 *   neutron    a port tagged for this deployment and host the store does
 *              not know: adopted into the pool its tag names, else deleted
 *   record     a READY or COOLDOWN record whose port Neutron no longer
 *              has: dropped through DELETING
 *   interface  a host interface whose alias names this deployment and a
 *              port the store does not know: deleted
 *   container  an IN_USE record whose container side is gone (its netns,
 *              or its interface in it): released through the cool-down
 * The previous pass's findings live in memory only: a restart starts the
 * grace over, which errs on the safe side.  A port held by a live container,
 * a port still WIRING, a record newer than the Neutron listing and an ADD in
 * progress (gc_busy.h) are never touched. */
#ifndef SF_DAEMON_GC_H
#define SF_DAEMON_GC_H

#include <stdbool.h>

#include <jansson.h>

#include "common/util.h"

#include "daemon/state.h"

struct gc;

int gc_new(struct gc **ret) MUST_CHECK;
void gc_free(struct gc *g);   /* NULL-safe */

struct gc_opts {
	bool dry_run;       /* report only: nothing changes, nothing counts as a sighting */
	const char *pool;   /* a pool's key: only its ports (no interfaces); NULL: all */
};

/* One pass (passes never overlap).  With ret_report, the findings as
 * {"dry_run", "pool", "neutron_listed", "findings": [{"kind", "object",
 * "port_id", "pool", "detail", "status": "new"|"confirmed", "action",
 * "outcome"}]} (caller json_decref()s).  Returns 0 even when some actions
 * failed (their outcome says so; they are tried again next pass). */
int gc_pass(struct daemon *d, const struct gc_opts *o, json_t **ret_report) MUST_CHECK;

#endif

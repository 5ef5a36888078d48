/* The service manager of one host's daemon (docs/superfluidity.md): the
 * sfctl operations on services, the make-before-break move, and a thread
 * that keeps this host's instances in step with the service port in
 * Neutron (who answers, who drains, what a crash left half done).
 *
 * It borrows the daemon's Neutron client and store, which must outlive it.
 * Every call is thread-safe. */
#ifndef SF_SERVICE_MANAGER_H
#define SF_SERVICE_MANAGER_H

#include <jansson.h>
#include <stdbool.h>

#include "common/util.h"
#include "neutron/neutron.h"
#include "store/store.h"

struct service_mgr;

struct service_mgr_opts {
	unsigned poll_ms;          /* between passes over Neutron; 0: 500 */
	unsigned settle_ms;        /* an instance's new pair reaches its agent; 0: 2500 */
	/* Tests only (tests/integration/service_faults.sh): the daemon kills
	 * itself with SIGKILL at this step of a move ("ready", "moving",
	 * "take", "stable"), or NULL. */
	const char *crash_at;
	/* The binding method's (copied): this host's binding:host_id, and its
	 * OVSDB (NULL: not an OVS host; binding is refused here). */
	const char *host;
	const char *ovs_vsctl, *ovsdb;
};

int service_mgr_new(struct neutron_client *nc, struct store *store,
		    const struct service_mgr_opts *opts, struct service_mgr **ret) MUST_CHECK;
/* Stops the thread; NULL-safe.  The addresses stay where they are. */
void service_mgr_free(struct service_mgr *m);
int service_mgr_start(struct service_mgr *m) MUST_CHECK;

/* A CNI ADD asked that port_id's container join `service`: recorded now,
 * told to Neutron by the thread (off the ADD's path). */
int service_mgr_join(struct service_mgr *m, const char *service, const char *port_id) MUST_CHECK;
/* The same for a port of `service`'s own pool, an instance already: if the
 * service is vacant it is claimed before the membership is checked, so
 * that a deploy on the fly answers after one read and one write. */
int service_mgr_join_instance(struct service_mgr *m, const char *service,
			      const char *port_id) MUST_CHECK;
/* This host has a pool for `service` (its own pool): the thread reads it
 * every pass, so a container from that pool can claim a vacant service
 * with one write.  Idempotent; -ENOSPC past MGR_MAX_WATCH services. */
int service_mgr_watch(struct service_mgr *m, const char *service) MUST_CHECK;
/* The port's container is gone (CNI DEL): its memberships are undone by the
 * thread, except that a port of `service`'s own pool (NULL: none) stays an
 * instance of `service` (its pair and tag stay), ready for the service's
 * next container.  Busy from then until that is done: the port must not be
 * handed to another container meanwhile (service_mgr_port_busy). */
int service_mgr_return(struct service_mgr *m, const char *port_id, const char *service) MUST_CHECK;
bool service_mgr_port_busy(struct service_mgr *m, const char *port_id);

/* An sfctl request {"ctl":"service","op":...}: create, delete, attach,
 * detach, move, status.  *ret is the answer; on failure -errno and a
 * message in why. */
int service_mgr_ctl(struct service_mgr *m, const json_t *req, json_t **ret, char *why,
		    size_t why_size) MUST_CHECK;

#endif

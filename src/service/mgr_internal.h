/* Shared by manager.c (lifecycle, the thread's passes) and ops.c (sfctl's
 * operations, the move) only. */
#ifndef SF_SERVICE_MGR_INTERNAL_H
#define SF_SERVICE_MGR_INTERNAL_H

#include <net/if.h>
#include <pthread.h>

#include "service/manager.h"
#include "service/port.h"
#include "store/store_service.h"

#define MGR_MAX_MOVING 16
#define MGR_ANNOUNCE_COUNT 3
#define MGR_ANNOUNCE_INTERVAL_MS 20
#define MGR_REANNOUNCE_MS 5000     /* after taking the address, announce each pass */

struct service_mgr {
	struct neutron_client *nc;        /* borrowed */
	struct store *store;              /* borrowed */
	unsigned poll_ms, settle_ms;
	char *crash_at;
	pthread_mutex_t lock;             /* guards what follows */
	pthread_cond_t wake;
	bool kicked, stop, started;
	pthread_t thread;
	/* Services with a move running in this process: the thread leaves
	 * their rows alone (a row TAKING with no move here is a crash's). */
	char moving[MGR_MAX_MOVING][SERVICE_NAME_MAX + 1];
};

/* A local instance: a port of this host held by a container. */
struct mgr_instance {
	char port_id[SERVICE_ID_LEN];
	char container_id[128];
	char ifname[IFNAMSIZ];
	char mac[18];
	int family;
	union nl_ip ip;              /* its own address of the service's family */
	int netns_fd;                /* -1 when not open; mgr_instance_close */
};

int mgr_instance_by_port(struct service_mgr *m, const char *port_id, int family,
			 struct mgr_instance *ret) MUST_CHECK;
int mgr_instance_by_holder(struct service_mgr *m, const char *container_id, const char *ifname,
			   int family, struct mgr_instance *ret) MUST_CHECK;
void mgr_instance_close(struct mgr_instance *in);

/* The address on the instance's interface, announced. */
int mgr_take(struct mgr_instance *in, const struct service_port *sp) MUST_CHECK;

/* -EBUSY when a move of `name` already runs here. */
int mgr_moving_begin(struct service_mgr *m, const char *name) MUST_CHECK;
void mgr_moving_end(struct service_mgr *m, const char *name);
bool mgr_moving(struct service_mgr *m, const char *name);

void mgr_kick(struct service_mgr *m);
/* The test hook: SIGKILL at `step` when asked to. */
void mgr_crash_point(struct service_mgr *m, const char *step);

#endif

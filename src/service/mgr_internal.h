/* Shared by the service manager's files only: manager.c (life, the thread,
 * the joins), step.c (the thread's step for one row), instance.c (a local
 * instance and the address on it), watch.c (the own pools' services),
 * req.c (what an sfctl request names), ops.c, status.c and move.c (sfctl's
 * operations). */
#ifndef SF_SERVICE_MGR_INTERNAL_H
#define SF_SERVICE_MGR_INTERNAL_H

#include <net/if.h>
#include <pthread.h>

#include "bind/bind_ovs.h"
#include "service/manager.h"
#include "service/port.h"
#include "store/store_service.h"

#define MGR_MAX_MOVING 16
#define MGR_ANNOUNCE_COUNT 3
#define MGR_ANNOUNCE_INTERVAL_MS 20
#define MGR_REANNOUNCE_MS 5000     /* after taking the address, announce each pass */
#define MGR_MAX_WATCH 32
#define MGR_FIP_CHECK_MS 5000      /* fip: the active instance reads its floating IP */
/* binding: the instance left stays quiet this long at most (an ACTIVE
 * row's `until`), then answers again: a mover whose daemon died after its
 * commit leaves no service silent for longer. */
#define MGR_BINDING_QUIET_MAX_MS 10000
/* A JOINING row's `until`: the port is an instance already. */
#define MGR_JOIN_INSTANCE 1

/* A service this host has a pool for, read every pass (watch.c), so that
 * its pool's next container can answer without waiting for a read. */
struct mgr_watch {
	char name[SERVICE_NAME_MAX + 1];
	struct service_port sp;       /* as last read */
	uint64_t read_at_ms;          /* monotonic; 0: not read, or spent */
	bool had_rows;                /* this pass read and maybe wrote it */
};

struct service_mgr {
	struct neutron_client *nc;        /* borrowed */
	struct store *store;              /* borrowed */
	unsigned poll_ms, settle_ms;
	char *crash_at;
	char host[SERVICE_HOST_MAX];      /* binding: binding:host_id here */
	struct bind_ovs_cfg ovs;          /* binding: its strings owned; vsctl NULL: no OVS */
	pthread_mutex_t lock;             /* guards what follows */
	pthread_cond_t wake;
	bool kicked, stop, started;
	pthread_t thread;
	/* Services with a move running in this process: the thread leaves
	 * their rows alone (a row TAKING with no move here is a crash's). */
	char moving[MGR_MAX_MOVING][SERVICE_NAME_MAX + 1];
	struct mgr_watch watch[MGR_MAX_WATCH];
	size_t n_watch;
};

/* A local instance: a port of this host held by a container (instance.c). */
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

/* The service's address to the instance, by the service's method: aap, on
 * its interface, announced; fip, the floating IP associated with its port. */
int mgr_instance_take(struct service_mgr *m, struct mgr_instance *in,
		      const struct service_port *sp) MUST_CHECK;
/* Whether the instance holds the address (aap: on its interface; fip: the
 * floating IP is its port's). */
int mgr_instance_taken(struct service_mgr *m, struct mgr_instance *in,
		       const struct service_port *sp, bool *ret) MUST_CHECK;
/* fip: the floating IP leaves port_id if it is there (an instance that
 * left); aap: nothing (the address goes with the instance's namespace). */
int mgr_instance_fip_leave(struct service_mgr *m, const struct service_port *sp,
			   const char *port_id) MUST_CHECK;

/* binding (docs/superfluidity.md): the service port plugged into the
 * instance (service/svcif.h), up or down, with the subnet's settings in
 * *ret_net (may be NULL); what failed in why. */
struct service_svcif_net;
int mgr_binding_plug(struct service_mgr *m, struct mgr_instance *in, const struct service_port *sp,
		     bool up, struct service_svcif_net *ret_net, char *why, size_t size) MUST_CHECK;
/* The service's port out of this host (OVSDB, the veth) and, with `in`,
 * its rule out of in's namespace. */
int mgr_binding_let_go(struct service_mgr *m, const char *service, struct mgr_instance *in,
		       const char *addr) MUST_CHECK;
/* Its interface in `in` down: `in` stops answering as the service. */
int mgr_binding_quiet(struct mgr_instance *in, const struct service_port *sp) MUST_CHECK;
/* The move to `in` after the instance left went quiet (move.c): the RARP
 * that activates this chassis, the state stable, the port bound here. */
int mgr_binding_finish(struct service_mgr *m, struct mgr_instance *in,
		       struct service_port *sp) MUST_CHECK;
/* The service port is plugged into `in` (up or down). */
bool mgr_binding_holds(struct mgr_instance *in, const struct service_port *sp);

/* -EBUSY when a move of `name` already runs here. */
int mgr_moving_begin(struct service_mgr *m, const char *name) MUST_CHECK;
void mgr_moving_end(struct service_mgr *m, const char *name);
bool mgr_moving(struct service_mgr *m, const char *name);

void mgr_kick(struct service_mgr *m);

/* The watched services' last reads (watch.c).  mgr_watch_take hands out a
 * read no older than max_age_ms once (a write follows it, which makes it
 * stale); mgr_watch_poll reads the services with no row here, once a pass. */
void mgr_watch_note(struct service_mgr *m, const char *name, const struct service_port *sp);
/* The pass read `name` for its own rows and may write it: its read is
 * dropped, and mgr_watch_poll leaves it for the next pass. */
void mgr_watch_forget(struct service_mgr *m, const char *name);
bool mgr_watch_take(struct service_mgr *m, const char *name, uint64_t max_age_ms,
		    struct service_port *ret);
void mgr_watch_poll(struct service_mgr *m);
/* The test hook: SIGKILL at `step` when asked to. */
void mgr_crash_point(struct service_mgr *m, const char *step);

/* The thread's step (step.c): one local row brought in step with its
 * service port sp as this pass read it (found: 0, or -ENOENT when the
 * service is gone, or the read's error). */
int mgr_step_row(struct service_mgr *m, const struct store_service_row *row,
		 struct service_port *sp, int found) MUST_CHECK;

/* An sfctl request's pieces (req.c); those taking why say there (size
 * bytes) what failed.  mgr_req_fail: the message into why; returns r. */
__attribute__((format(printf, 4, 5)))
int mgr_req_fail(int r, char *why, size_t size, const char *fmt, ...);
/* Neutron's message, else strerror(-r). */
const char *mgr_req_neutron_why(const struct neutron_error *e, int r);
/* req's string `key`, or NULL. */
const char *mgr_req_str(const json_t *req, const char *key);
/* The service `name` as Neutron has it now. */
int mgr_req_service(struct service_mgr *m, const char *name, struct service_port *sp,
		    char *why, size_t size) MUST_CHECK;
/* The instance of req's "container" (and "ifname", default eth0) on this
 * host; the caller closes it (mgr_instance_close). */
int mgr_req_instance(struct service_mgr *m, const json_t *req, const struct service_port *sp,
		     struct mgr_instance *in, char *why, size_t size) MUST_CHECK;
/* The instance's pair and tag in Neutron, recorded here as STANDBY; *ret_row
 * is its journal row (the caller frees it, store_service_row_done). */
int mgr_req_member(struct service_mgr *m, const struct service_port *sp,
		   const struct mgr_instance *in, struct store_service_row *ret_row,
		   char *why, size_t size) MUST_CHECK;

/* The service as sfctl shows it (status.c): its state and, for a floating
 * IP service, its floating IP as Neutron has it now; NULL on ENOMEM. */
json_t *mgr_status_json(struct service_mgr *m, const struct service_port *sp);
/* sfctl service status: req's "name", or every service without one. */
int mgr_status_op(struct service_mgr *m, const json_t *req, json_t **ret, char *why,
		  size_t size) MUST_CHECK;
/* sfctl service move (move.c): req's "container" becomes the answering
 * instance, make-before-break. */
int mgr_move_op(struct service_mgr *m, const json_t *req, json_t **ret, char *why,
		size_t size) MUST_CHECK;
/* The readiness step of a move (the crash point "ready", the check from
 * the target's namespace, "ready_ms" into timings). */
int mgr_move_ready(struct service_mgr *m, const struct service_port *sp, struct mgr_instance *in,
		   unsigned ready_timeout_ms, json_t *timings, char *why, size_t size) MUST_CHECK;
static inline unsigned mgr_ms_since(uint64_t start_us)
{
	return (unsigned)((util_now_us() - start_us) / 1000);
}
/* The move proper for the binding method (move_binding.c), the journal
 * row TAKING, the service's moving slot held; sp is updated to the state
 * it leaves. */
int mgr_binding_move(struct service_mgr *m, struct service_port *sp, struct mgr_instance *in,
		     unsigned ready_timeout_ms, json_t *timings, char *why, size_t size) MUST_CHECK;

#endif

/* The service manager's life and its thread: every poll_ms (or when
 * kicked) each local row is brought in step with its service port. */
#include "service/mgr_internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "netns/netns.h"
#include "service/announce.h"
#include "service/fip.h"
#include "service/vip.h"

#define POLL_DEFAULT_MS 500
#define SETTLE_DEFAULT_MS 2500

void mgr_instance_close(struct mgr_instance *in)
{
	if (in && in->netns_fd >= 0) {
		close(in->netns_fd);
		in->netns_fd = -1;
	}
}

/* The first address of `family` in the store's port info. */
static int info_ip(const char *info, int family, union nl_ip *ret)
{
	json_t *o = info ? json_loads(info, 0, NULL) : NULL, *ip;
	size_t i;
	int r = -EADDRNOTAVAIL;

	json_array_foreach(json_object_get(o, "ips"), i, ip) {
		const char *cidr = json_string_value(json_object_get(ip, "cidr"));
		char addr[64];
		size_t len = cidr ? strcspn(cidr, "/") : 0;

		if (!len || len >= sizeof(addr))
			continue;
		memcpy(addr, cidr, len);
		addr[len] = '\0';
		if (inet_pton(family, addr, ret) == 1) {
			r = 0;
			break;
		}
	}
	json_decref(o);
	return r;
}

static int instance_from_row(const struct store_port *row, int family, struct mgr_instance *ret)
{
	struct mgr_instance in = { .family = family, .netns_fd = -1 };
	int r;

	if (row->state != STORE_PORT_IN_USE || !row->netns)
		return -ENOENT;
	if (util_strlcpy(in.port_id, row->port_id, sizeof(in.port_id)) < 0 ||
	    util_strlcpy(in.container_id, row->container_id, sizeof(in.container_id)) < 0 ||
	    util_strlcpy(in.ifname, row->ifname, sizeof(in.ifname)) < 0 ||
	    util_strlcpy(in.mac, row->mac, sizeof(in.mac)) < 0)
		return -EINVAL;
	r = info_ip(row->info, family, &in.ip);
	if (r < 0)
		return r;
	r = netns_open(row->netns, &in.netns_fd);
	if (r < 0)
		return r;
	*ret = in;
	return 0;
}

int mgr_instance_by_port(struct service_mgr *m, const char *port_id, int family,
			 struct mgr_instance *ret)
{
	struct store_port row = { 0 };
	int r = store_get(m->store, port_id, &row);

	if (r >= 0)
		r = instance_from_row(&row, family, ret);
	store_port_done(&row);
	return r;
}

int mgr_instance_by_holder(struct service_mgr *m, const char *container_id, const char *ifname,
			   int family, struct mgr_instance *ret)
{
	struct store_port row = { 0 };
	int r = store_find_holder(m->store, container_id, ifname, &row);

	if (r >= 0)
		r = instance_from_row(&row, family, ret);
	store_port_done(&row);
	return r;
}

int mgr_take(struct service_mgr *m, struct mgr_instance *in, const struct service_port *sp)
{
	struct service_fip f;
	int r;

	if (sp->state.method == SERVICE_METHOD_FIP) {
		r = service_fip_find(m->nc, sp->name, &f, NULL);
		if (r >= 0 && !streq(f.port_id, in->port_id))
			r = service_fip_associate(m->nc, &f, in->port_id, NULL);
		return r;
	}
	r = service_vip_take(in->netns_fd, in->ifname, sp->family, &sp->ip);
	if (r >= 0)
		r = service_announce(in->netns_fd, in->ifname, sp->family, &sp->ip,
				     MGR_ANNOUNCE_COUNT, MGR_ANNOUNCE_INTERVAL_MS);
	return r;
}

int mgr_taken(struct service_mgr *m, struct mgr_instance *in, const struct service_port *sp,
	      bool *ret)
{
	enum service_vip_place where = SERVICE_VIP_NONE;
	struct service_fip f;
	int r;

	if (sp->state.method == SERVICE_METHOD_FIP) {
		r = service_fip_find(m->nc, sp->name, &f, NULL);
		if (r >= 0)
			*ret = streq(f.port_id, in->port_id);
		return r;
	}
	r = service_vip_where(in->netns_fd, in->ifname, sp->family, &sp->ip, &where);
	if (r >= 0)
		*ret = where == SERVICE_VIP_IFACE;
	return r;
}

int mgr_fip_leave(struct service_mgr *m, const struct service_port *sp, const char *port_id)
{
	struct service_fip f;
	int r;

	if (sp->state.method != SERVICE_METHOD_FIP)
		return 0;
	r = service_fip_find(m->nc, sp->name, &f, NULL);
	if (r == -ENOENT)
		return 0;
	if (r >= 0 && streq(f.port_id, port_id))
		r = service_fip_associate(m->nc, &f, NULL, NULL);
	return r;
}

int mgr_moving_begin(struct service_mgr *m, const char *name)
{
	int r = -EBUSY, free_slot = -1;

	pthread_mutex_lock(&m->lock);
	for (int i = 0; i < MGR_MAX_MOVING; i++) {
		if (streq(m->moving[i], name))
			goto out;
		if (!m->moving[i][0] && free_slot < 0)
			free_slot = i;
	}
	if (free_slot < 0)
		goto out;
	snprintf(m->moving[free_slot], sizeof(m->moving[free_slot]), "%s", name);
	r = 0;
out:
	pthread_mutex_unlock(&m->lock);
	return r;
}

void mgr_moving_end(struct service_mgr *m, const char *name)
{
	pthread_mutex_lock(&m->lock);
	for (int i = 0; i < MGR_MAX_MOVING; i++)
		if (streq(m->moving[i], name))
			m->moving[i][0] = '\0';
	pthread_mutex_unlock(&m->lock);
}

bool mgr_moving(struct service_mgr *m, const char *name)
{
	bool found = false;

	pthread_mutex_lock(&m->lock);
	for (int i = 0; i < MGR_MAX_MOVING && !found; i++)
		found = streq(m->moving[i], name);
	pthread_mutex_unlock(&m->lock);
	return found;
}

void mgr_kick(struct service_mgr *m)
{
	pthread_mutex_lock(&m->lock);
	m->kicked = true;
	pthread_cond_signal(&m->wake);
	pthread_mutex_unlock(&m->lock);
}

void mgr_crash_point(struct service_mgr *m, const char *step)
{
	if (m->crash_at && streq(m->crash_at, step))
		raise(SIGKILL);
}

/* A JOINING row's `until`: the port is an instance already. */
#define JOIN_INSTANCE 1

static int join(struct service_mgr *m, const char *service, const char *port_id, int64_t until)
{
	struct store_service_row row = { 0 };
	int r;

	if (!service_name_valid(service))
		return -EINVAL;
	/* Joining twice is joining once. */
	if (store_service_get(m->store, service, port_id, &row) == 0) {
		store_service_row_done(&row);
		return 0;
	}
	r = store_service_put(m->store, service, port_id, NULL, STORE_SERVICE_JOINING, 0, until);
	if (r >= 0)
		mgr_kick(m);
	return r;
}

int service_mgr_join(struct service_mgr *m, const char *service, const char *port_id)
{
	return join(m, service, port_id, 0);
}

int service_mgr_join_instance(struct service_mgr *m, const char *service, const char *port_id)
{
	return join(m, service, port_id, JOIN_INSTANCE);
}

int service_mgr_return(struct service_mgr *m, const char *port_id, const char *service)
{
	struct store_service_row *rows = NULL;
	size_t n = 0;
	int r = store_service_list(m->store, port_id, &rows, &n);

	for (size_t i = 0; r >= 0 && i < n; i++)
		r = store_service_put(m->store, rows[i].service, port_id, NULL,
				      streq(rows[i].service, service) ? STORE_SERVICE_RETURNING
								      : STORE_SERVICE_LEAVING,
				      rows[i].epoch, 0);
	store_service_rows_free(rows, n);
	if (r >= 0 && n)
		mgr_kick(m);
	return r;
}

bool service_mgr_port_busy(struct service_mgr *m, const char *port_id)
{
	struct store_service_row *rows = NULL;
	size_t n = 0;

	/* When the store cannot say, the port waits: never reuse a member. */
	if (store_service_list(m->store, port_id, &rows, &n) < 0)
		return true;
	store_service_rows_free(rows, n);
	return n > 0;
}

/* The row's instance gave up the address: put it back in STANDBY. */
static int to_standby(struct service_mgr *m, const struct store_service_row *row,
		      struct mgr_instance *in, const struct service_port *sp)
{
	int r = in ? service_vip_release(in->netns_fd, in->ifname, sp->family, &sp->ip) : 0;

	if (r >= 0)
		r = store_service_put(m->store, row->service, row->port_id, sp->addr, STORE_SERVICE_STANDBY,
				      (int64_t)sp->state.epoch, 0);
	return r;
}

static int to_active(struct service_mgr *m, const struct store_service_row *row,
		     struct mgr_instance *in, const struct service_port *sp)
{
	int r = mgr_take(m, in, sp);

	if (r >= 0)
		r = store_service_put(m->store, row->service, row->port_id, sp->addr, STORE_SERVICE_ACTIVE,
				      (int64_t)sp->state.epoch, 0);
	return r;
}

/* Nobody answers for the service: this instance takes it (a service's
 * first instance, or the last one standing). */
static int claim_vacant(struct service_mgr *m, const struct store_service_row *row,
			struct mgr_instance *in, struct service_port *sp)
{
	struct service_state st = sp->state;
	int r;

	st.active[0] = st.from[0] = '\0';
	snprintf(st.active, sizeof(st.active), "%s", row->port_id);
	st.phase = SERVICE_STABLE;
	st.epoch++;
	r = service_port_set_state(m->nc, sp, &st, NULL);
	return r < 0 ? r : to_active(m, row, in, sp);
}

/* A crash's leftover journal: the move to this instance either committed
 * (the address is here and Neutron says so: finish it) or did not (undo). */
static int finish_or_undo(struct service_mgr *m, const struct store_service_row *row,
			  struct mgr_instance *in, struct service_port *sp)
{
	struct service_state st = sp->state;
	bool taken = false;
	int r;

	if (!streq(st.active, row->port_id))
		return to_standby(m, row, in, sp);
	if (st.phase == SERVICE_STABLE)
		return to_active(m, row, in, sp);
	r = mgr_taken(m, in, sp, &taken);
	if (r < 0)
		return r;
	if (taken) {
		st.phase = SERVICE_STABLE;
		st.from[0] = '\0';
		r = service_port_set_state(m->nc, sp, &st, NULL);
		return r < 0 ? r : to_active(m, row, in, sp);
	}
	/* Back to where it came from; the epoch tells the old instance to
	 * announce itself again. */
	snprintf(st.active, sizeof(st.active), "%s", st.from);
	st.from[0] = '\0';
	st.phase = SERVICE_STABLE;
	st.epoch++;
	r = service_port_set_state(m->nc, sp, &st, NULL);
	return r < 0 ? r : to_standby(m, row, in, sp);
}

/* The address the row recorded, off the instance's interface and lo. */
static int release_recorded(struct service_mgr *m, const struct store_service_row *row)
{
	struct mgr_instance in = { .netns_fd = -1 };
	union nl_ip ip;
	int family, r;

	if (!row->addr)
		return 0;
	family = inet_pton(AF_INET, row->addr, &ip) == 1 ? AF_INET
		 : inet_pton(AF_INET6, row->addr, &ip) == 1 ? AF_INET6 : 0;
	if (!family)
		return 0;
	r = mgr_instance_by_port(m, row->port_id, family, &in);
	if (r == -ENOENT || r == -EADDRNOTAVAIL)
		return 0;     /* the container is gone, and the address with it */
	if (r >= 0)
		r = service_vip_release(in.netns_fd, in.ifname, family, &ip);
	mgr_instance_close(&in);
	return r;
}

/* fip: the floating IP on the active instance's port, or put back there: a
 * PUT Neutron applied after the mover gave up on it (a timeout, a crash
 * after an undo), or anyone's re-association, is undone.  The row's
 * updated_at says when it was last checked. */
static int fip_check(struct service_mgr *m, const struct store_service_row *row,
		     struct mgr_instance *in, const struct service_port *sp)
{
	struct service_port now;
	bool ours = false;
	int r = mgr_taken(m, in, sp, &ours);

	if (r < 0)
		return r;
	if (ours)
		return store_service_put(m->store, row->service, row->port_id, sp->addr,
					 STORE_SERVICE_ACTIVE, (int64_t)sp->state.epoch, 0);
	/* The state again: a move away from us that began since this pass's
	 * read has its PUT under way, and it wins (its commit came first). */
	r = service_port_find(m->nc, sp->name, &now, NULL);
	if (r < 0)
		return r;
	if (!streq(now.state.active, row->port_id) || now.state.phase != SERVICE_STABLE ||
	    now.state.epoch != sp->state.epoch)
		return 0;
	log_info_rl("service '%s': its floating IP is not on the answering instance %s: "
		    "put back", row->service, row->port_id);
	return to_active(m, row, in, &now);
}

static int step_active(struct service_mgr *m, const struct store_service_row *row,
		       struct mgr_instance *in, const struct service_port *sp)
{
	const struct service_state *st = &sp->state;
	enum service_vip_place where = SERVICE_VIP_NONE;
	int r;

	if (!streq(st->active, row->port_id)) {
		/* Still answering while a move away from it is under way. */
		if (st->phase == SERVICE_MOVING && streq(st->from, row->port_id))
			return 0;
		/* fip: the floating IP is the new instance's already; what the
		 * router sent here before is answered until the release. */
		r = st->method == SERVICE_METHOD_FIP
			    ? 0
			    : service_vip_drain(in->netns_fd, in->ifname, sp->family, &sp->ip);
		if (r >= 0)
			r = store_service_put(m->store, row->service, row->port_id, sp->addr,
					      STORE_SERVICE_DRAINING, (int64_t)st->epoch,
					      store_clock_ms() + st->grace_ms);
		return r;
	}
	/* A newer epoch with us still active: someone's move was undone and
	 * clients may have followed it: tell them again (fip: the floating IP
	 * is put back on us).  The floating IP is read at a new epoch and
	 * every MGR_FIP_CHECK_MS, not every pass. */
	if (st->method == SERVICE_METHOD_FIP) {
		if (row->epoch == (int64_t)st->epoch &&
		    store_clock_ms() - row->updated_at < MGR_FIP_CHECK_MS)
			return 0;
		return fip_check(m, row, in, sp);
	}
	r = service_vip_where(in->netns_fd, in->ifname, sp->family, &sp->ip, &where);
	if (r < 0)
		return r;
	if (where != SERVICE_VIP_IFACE || row->epoch != (int64_t)st->epoch)
		return to_active(m, row, in, sp);
	/* Just made active: announce again every pass for a while.  An L2
	 * agent that has not yet applied a fresh pair drops the first
	 * announcements, and a client that missed them would keep the old MAC
	 * until its neighbour entry goes stale (tens of seconds). */
	if (store_clock_ms() - row->updated_at < MGR_REANNOUNCE_MS)
		return service_announce(in->netns_fd, in->ifname, sp->family, &sp->ip, 1, 0);
	return 0;
}

static int step_row(struct service_mgr *m, const struct store_service_row *row,
		    struct service_port *sp, int found)
{
	struct mgr_instance in = { .netns_fd = -1 };
	int r, have;

	if (found == -ENOENT) {
		/* The service was deleted (its pairs with it): the address leaves
		 * the instance, if it is still there. */
		r = release_recorded(m, row);
		return r < 0 ? r : store_service_delete(m->store, row->service, row->port_id);
	}
	if (found == 0 && (row->role == STORE_SERVICE_LEAVING || row->role == STORE_SERVICE_RETURNING)) {
		/* The container left: its port forgets the service before it
		 * serves anyone else (unless it returns to the service's own
		 * pool).  If it was the one answering, the service is vacant:
		 * another instance takes it at its next pass. */
		r = 0;
		if (streq(sp->state.active, row->port_id)) {
			struct service_state st = sp->state;

			/* Mid-move, back to the instance being left; else vacant. */
			if (st.phase == SERVICE_MOVING)
				snprintf(st.active, sizeof(st.active), "%s", st.from);
			else
				st.active[0] = '\0';
			st.from[0] = '\0';
			st.phase = SERVICE_STABLE;
			st.epoch++;
			r = service_port_set_state(m->nc, sp, &st, NULL);
		}
		/* fip: the floating IP never stays on a port that is no
		 * container's instance any more (a pooled port serves others). */
		if (r >= 0)
			r = mgr_fip_leave(m, sp, row->port_id);
		if (r >= 0 && row->role == STORE_SERVICE_LEAVING)
			r = service_member_remove(m->nc, row->service, sp->addr, row->port_id, NULL);
		return r < 0 ? r : store_service_delete(m->store, row->service, row->port_id);
	}
	if (found < 0)
		return found;
	have = mgr_instance_by_port(m, row->port_id, sp->family, &in);
	if (have == -ENOENT) {
		struct store_service_row now = { 0 };

		/* The port is no longer a container's: as if it had left,
		 * unless its DEL said so since this pass read the rows (a port
		 * returning to its service's pool stays an instance). */
		r = store_service_get(m->store, row->service, row->port_id, &now);
		if (r == 0 && (now.role == STORE_SERVICE_LEAVING || now.role == STORE_SERVICE_RETURNING))
			r = 0;
		else if (r == 0)
			r = store_service_put(m->store, row->service, row->port_id, sp->addr,
					      STORE_SERVICE_LEAVING, row->epoch, 0);
		else if (r == -ENOENT)
			r = 0;
		store_service_row_done(&now);
		mgr_kick(m);
		return r;
	}
	if (have < 0)
		return have;
	switch (row->role) {
	case STORE_SERVICE_JOINING:
		/* From the service's own pool into a vacant service: answer
		 * first, then check the pair (a service deleted and made again
		 * stripped its pool's ports; member_add puts it back). */
		if (row->until == JOIN_INSTANCE && !sp->state.active[0] &&
		    sp->state.method == SERVICE_METHOD_AAP) {
			/* The address first (the read may be the watch's, a
			 * pass old), then the claim: lost, the address goes and
			 * the row joins the slow way.  (fip: the claim first,
			 * below: a floating IP taken on a lost claim would stay.) */
			r = mgr_take(m, &in, sp);
			if (r >= 0)
				r = claim_vacant(m, row, &in, sp);
			if (r < 0) {
				r = service_vip_release(in.netns_fd, in.ifname, sp->family, &sp->ip);
				if (r >= 0)
					r = store_service_put(m->store, row->service, row->port_id,
							      NULL, STORE_SERVICE_JOINING, 0, 0);
				mgr_kick(m);
				break;
			}
			if (service_member_add(m->nc, sp, row->port_id, NULL) < 0)
				log_info_rl("service '%s': port %s: checking its pair failed; "
					    "it answers, its pair is checked at its next join",
					    row->service, row->port_id);
			break;
		}
		/* A crash between taking and claiming left the address here. */
		if (row->until == JOIN_INSTANCE) {
			r = service_vip_release(in.netns_fd, in.ifname, sp->family, &sp->ip);
			if (r < 0)
				break;
		}
		/* 1: already an instance (a port of the service's own pool):
		 * its pair is long wired, no settle ("until" 0). */
		r = service_member_add(m->nc, sp, row->port_id, NULL);
		if (r >= 0)
			r = store_service_put(m->store, row->service, row->port_id, sp->addr,
					      STORE_SERVICE_STANDBY, (int64_t)sp->state.epoch,
					      r == 1 ? 0 : store_clock_ms());
		if (r >= 0 && !sp->state.active[0])
			r = claim_vacant(m, row, &in, sp);
		break;
	case STORE_SERVICE_STANDBY:
		r = 0;
		if (streq(sp->state.active, row->port_id) && sp->state.phase == SERVICE_STABLE)
			r = to_active(m, row, &in, sp);
		else if (!sp->state.active[0])
			r = claim_vacant(m, row, &in, sp);
		break;
	case STORE_SERVICE_TAKING:
		r = finish_or_undo(m, row, &in, sp);
		break;
	case STORE_SERVICE_ACTIVE:
		r = step_active(m, row, &in, sp);
		break;
	case STORE_SERVICE_DRAINING:
		r = 0;
		if (streq(sp->state.active, row->port_id))
			r = to_active(m, row, &in, sp);
		else if (store_clock_ms() >= row->until)
			r = to_standby(m, row, &in, sp);
		break;
	default:
		r = -EINVAL;
	}
	mgr_instance_close(&in);
	return r;
}

/* One pass: each service with a local row is read once. */
static void pass(struct service_mgr *m)
{
	struct store_service_row *rows = NULL;
	size_t n = 0;
	struct service_port sp = { 0 };
	const char *cur = NULL;
	int found = 0;

	if (store_service_list(m->store, NULL, &rows, &n) < 0)
		return;
	for (size_t i = 0; i < n; i++) {
		if (mgr_moving(m, rows[i].service))
			continue;
		if (!streq(cur, rows[i].service)) {
			cur = rows[i].service;
			/* A container of the service's own pool just joined: the
			 * watch's read of this pass or the last will do. */
			if (rows[i].role == STORE_SERVICE_JOINING && rows[i].until == JOIN_INSTANCE &&
			    mgr_watch_take(m, cur, m->poll_ms, &sp)) {
				found = 0;
			} else {
				found = service_port_find(m->nc, cur, &sp, NULL);
			}
			/* This pass may write it: no read of it is kept. */
			mgr_watch_forget(m, cur);
		}
		/* Errors wait for the next pass; Neutron may be away. */
		int r = step_row(m, &rows[i], &sp, found);

		if (r < 0)
			log_info_rl("service '%s': port %s (%s): %s; retried at the next pass",
				    rows[i].service, rows[i].port_id,
				    store_service_role_to_string(rows[i].role), strerror(-r));
	}
	store_service_rows_free(rows, n);
	mgr_watch_poll(m);
}

static void *thread_main(void *arg)
{
	struct service_mgr *m = arg;

	pthread_mutex_lock(&m->lock);
	while (!m->stop) {
		struct timespec ts;

		pthread_mutex_unlock(&m->lock);
		pass(m);
		pthread_mutex_lock(&m->lock);
		if (m->stop || m->kicked) {
			m->kicked = false;
			continue;
		}
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_sec += m->poll_ms / 1000;
		ts.tv_nsec += (long)(m->poll_ms % 1000) * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&m->wake, &m->lock, &ts);
		m->kicked = false;
	}
	pthread_mutex_unlock(&m->lock);
	return NULL;
}

int service_mgr_new(struct neutron_client *nc, struct store *store,
		    const struct service_mgr_opts *opts, struct service_mgr **ret)
{
	struct service_mgr *m;
	pthread_condattr_t ca;

	if (!nc || !store || !ret)
		return -EINVAL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->nc = nc;
	m->store = store;
	m->poll_ms = opts && opts->poll_ms ? opts->poll_ms : POLL_DEFAULT_MS;
	m->settle_ms = opts && opts->settle_ms ? opts->settle_ms : SETTLE_DEFAULT_MS;
	if (opts && opts->crash_at) {
		m->crash_at = strdup(opts->crash_at);
		if (!m->crash_at) {
			free(m);
			return -ENOMEM;
		}
	}
	pthread_mutex_init(&m->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&m->wake, &ca);
	pthread_condattr_destroy(&ca);
	*ret = m;
	return 0;
}

int service_mgr_start(struct service_mgr *m)
{
	int r = pthread_create(&m->thread, NULL, thread_main, m);

	if (r)
		return -r;
	m->started = true;
	return 0;
}

void service_mgr_free(struct service_mgr *m)
{
	if (!m)
		return;
	if (m->started) {
		pthread_mutex_lock(&m->lock);
		m->stop = true;
		pthread_cond_signal(&m->wake);
		pthread_mutex_unlock(&m->lock);
		pthread_join(m->thread, NULL);
	}
	pthread_cond_destroy(&m->wake);
	pthread_mutex_destroy(&m->lock);
	free(m->crash_at);
	free(m);
}

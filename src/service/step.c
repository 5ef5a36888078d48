/* The service thread's step for one local row: the row's role brought in
 * step with its service port as Neutron has it (joining, standing by,
 * answering, draining, leaving), and what a crash left half done. */
#include "service/mgr_internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "service/announce.h"
#include "service/vip.h"

/* The row's instance gave up the address: put it back in STANDBY. */
static int to_standby(struct service_mgr *m, const struct store_service_row *row,
		      struct mgr_instance *in, const struct service_port *sp)
{
	int r = in ? service_vip_release(in->netns_fd, in->ifname, sp->family, &sp->ip) : 0;

	if (r >= 0 && sp->state.method == SERVICE_METHOD_BINDING && mgr_binding_holds(in, sp))
		r = mgr_binding_let_go(m, row->service, in, sp->addr);
	if (r >= 0)
		r = store_service_put(m->store, row->service, row->port_id, sp->addr, STORE_SERVICE_STANDBY,
				      (int64_t)sp->state.epoch, 0);
	return r;
}

static int to_active(struct service_mgr *m, const struct store_service_row *row,
		     struct mgr_instance *in, const struct service_port *sp)
{
	int r = mgr_instance_take(m, in, sp);

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

	if (!streq(st.active, row->port_id)) {
		/* binding: a move that died before its commit leaves no
		 * migrating_to to this host. */
		if (st.method == SERVICE_METHOD_BINDING && streq(sp->migrating_to, m->host)) {
			r = service_port_bind(m->nc, sp, sp->host, NULL, NULL);
			if (r < 0)
				return r;
		}
		return to_standby(m, row, in, sp);
	}
	if (st.phase == SERVICE_STABLE)
		return to_active(m, row, in, sp);
	/* binding: the instance left went quiet: the way is forward only. */
	if (st.method == SERVICE_METHOD_BINDING && st.phase == SERVICE_QUIET) {
		r = mgr_binding_finish(m, in, sp);
		return r < 0 ? r : to_active(m, row, in, sp);
	}
	if (st.method == SERVICE_METHOD_BINDING) {
		/* Before the quiet: the port back to its host alone. */
		struct service_port now = *sp;

		r = service_port_bind(m->nc, &now, sp->host, NULL, NULL);
		if (r < 0)
			return r;
		*sp = now;
		st = sp->state;
	} else {
		r = mgr_instance_taken(m, in, sp, &taken);
		if (r < 0)
			return r;
		if (taken) {
			st.phase = SERVICE_STABLE;
			st.from[0] = '\0';
			r = service_port_set_state(m->nc, sp, &st, NULL);
			return r < 0 ? r : to_active(m, row, in, sp);
		}
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
	/* binding: the service port's tap outlives the container (any
	 * method's service: the search costs one ovs-vsctl call). */
	if (mgr_binding_let_go(m, row->service, r >= 0 ? &in : NULL, row->addr) < 0) {
		mgr_instance_close(&in);
		return -EAGAIN;
	}
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
	int r = mgr_instance_taken(m, in, sp, &ours);

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

/* binding, the row answering (or having answered) for the service. */
static int step_active_binding(struct service_mgr *m, const struct store_service_row *row,
			       struct mgr_instance *in, struct service_port *sp)
{
	struct service_state st = sp->state;
	bool up = false;
	int r;

	if (streq(st.active, row->port_id)) {
		r = mgr_instance_taken(m, in, sp, &up);
		if (r < 0)
			return r;
		/* Down (a move undone), gone, a new epoch, or bound elsewhere (a
		 * move's final PUT lost): made so again.  A migrating_to is a
		 * move under way (its mover drops it if it fails). */
		if (!up || row->epoch != (int64_t)st.epoch || !streq(sp->host, m->host))
			return to_active(m, row, in, sp);
		return 0;
	}
	if (streq(st.from, row->port_id) && st.phase != SERVICE_STABLE) {
		/* The mover waits for us to go quiet (its chassis is wired):
		 * done, then said.  (Said first, the mover's read, RARP and
		 * activation beat Neutron's answer to our write: both answered
		 * for ~50 ms, seen on the bed.) */
		int64_t now = store_clock_ms();

		if (st.phase == SERVICE_QUIET && row->until && now >= row->until) {
			/* The mover never switched (its daemon died?): we answer
			 * again.  A switch under way loses the compare-and-set,
			 * and its daemon then undoes its side. */
			log_info_rl("service '%s': the move to %s did not switch within %d ms: "
				    "%s answers again", row->service, st.active,
				    MGR_BINDING_QUIET_MAX_MS, row->port_id);
			snprintf(st.active, sizeof(st.active), "%s", row->port_id);
			st.from[0] = '\0';
			st.phase = SERVICE_STABLE;
			st.epoch++;
			r = service_port_set_state(m->nc, sp, &st, NULL);
			return r < 0 ? r : to_active(m, row, in, sp);
		}
		r = mgr_binding_quiet(in, sp);
		if (r >= 0 && st.phase == SERVICE_MOVING) {
			st.phase = SERVICE_QUIET;
			r = service_port_set_state(m->nc, sp, &st, NULL);
		}
		if (r >= 0 && !row->until)
			r = store_service_put(m->store, row->service, row->port_id, sp->addr,
					      STORE_SERVICE_ACTIVE, row->epoch,
					      now + MGR_BINDING_QUIET_MAX_MS);
		return r;
	}
	/* Moved away: quiet until Neutron binds the port elsewhere (unplugged
	 * before that, OVN would unbind it from the new chassis too). */
	if (streq(sp->host, m->host) && mgr_binding_holds(in, sp))
		return mgr_binding_quiet(in, sp);
	return to_standby(m, row, in, sp);
}

static int step_active(struct service_mgr *m, const struct store_service_row *row,
		       struct mgr_instance *in, struct service_port *sp)
{
	const struct service_state *st = &sp->state;
	enum service_vip_place where = SERVICE_VIP_NONE;
	int r;

	if (st->method == SERVICE_METHOD_BINDING)
		return step_active_binding(m, row, in, sp);

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

int mgr_step_row(struct service_mgr *m, const struct store_service_row *row,
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
		/* binding: the service port's tap goes with the instance that held it. */
		if (sp->state.method == SERVICE_METHOD_BINDING &&
		    (streq(sp->state.active, row->port_id) || streq(sp->state.from, row->port_id)))
			r = mgr_binding_let_go(m, row->service, NULL, NULL);
		if (r >= 0 && streq(sp->state.active, row->port_id)) {
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
			r = mgr_instance_fip_leave(m, sp, row->port_id);
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
		if (row->until == MGR_JOIN_INSTANCE && !sp->state.active[0] &&
		    sp->state.method == SERVICE_METHOD_AAP) {
			/* The address first (the read may be the watch's, a
			 * pass old), then the claim: lost, the address goes and
			 * the row joins the slow way.  (fip: the claim first,
			 * below: a floating IP taken on a lost claim would stay.) */
			r = mgr_instance_take(m, &in, sp);
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
		if (row->until == MGR_JOIN_INSTANCE) {
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

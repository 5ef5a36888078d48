/* sfctl service move, make-before-break (docs/superfluidity.md):
 *   ready  the target answers its readiness check, from its own namespace;
 *   moving Neutron: {active: target, from: old, phase: moving} (If-Match),
 *          the commit point: before it nothing changed, after it the old
 *          instance keeps answering until the target confirms;
 *   take   the address on the target's interface, announced;
 *   stable Neutron: {active: target, phase: stable}: the old instance's
 *          daemon sees it and drains for grace_ms, then lets go.
 * A failure before "moving" changes nothing; after it the move is undone
 * (or, when only the last write failed, finished by the thread later):
 * at every moment some instance holds the address. */
#include "service/mgr_internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "service/fip.h"
#include "service/probe.h"
#include "service/vip.h"

#define READY_TIMEOUT_DEFAULT_MS 10000
#define READY_INTERVAL_MS 50

int mgr_move_ready(struct service_mgr *m, const struct service_port *sp, struct mgr_instance *in,
		   unsigned ready_timeout_ms, json_t *timings, char *why, size_t size)
{
	char pwhy[256] = "";
	uint64_t t = util_now_us();
	unsigned waited = 0;
	int r;

	mgr_crash_point(m, "ready");
	r = service_probe_until(in->netns_fd, &sp->state.check, sp->family, &in->ip,
				ready_timeout_ms, READY_INTERVAL_MS, &waited, pwhy, sizeof(pwhy));
	json_object_set_new(timings, "ready_ms", json_integer(mgr_ms_since(t)));
	if (r < 0)
		return mgr_req_fail(r, why, size, "the target was not ready within %u ms: %s",
				    ready_timeout_ms, pwhy);
	return 0;
}

/* The move proper, with the journal row TAKING; the caller holds the
 * service's moving slot. */
static int move(struct service_mgr *m, struct service_port *sp, struct mgr_instance *in,
		unsigned ready_timeout_ms, json_t *timings, char *why, size_t size)
{
	struct neutron_error e = { 0 };
	struct service_state st = sp->state, back;
	uint64_t t;
	int r, u;

	r = mgr_move_ready(m, sp, in, ready_timeout_ms, timings, why, size);
	if (r < 0)
		return r;
	mgr_crash_point(m, "moving");
	t = util_now_us();
	snprintf(st.from, sizeof(st.from), "%s", sp->state.active);
	snprintf(st.active, sizeof(st.active), "%s", in->port_id);
	st.phase = st.from[0] ? SERVICE_MOVING : SERVICE_STABLE;
	st.epoch++;
	r = service_port_set_state(m->nc, sp, &st, &e);
	json_object_set_new(timings, "moving_ms", json_integer(mgr_ms_since(t)));
	if (r == -ESTALE)
		return mgr_req_fail(r, why, size,
				    "the service changed meanwhile (another move?): nothing moved");
	if (r < 0)
		return mgr_req_fail(r, why, size, "Neutron refused the move: %s; nothing moved",
				    mgr_req_neutron_why(&e, r));
	back = sp->state;
	mgr_crash_point(m, "take");
	t = util_now_us();
	r = mgr_instance_take(m, in, sp);
	json_object_set_new(timings, "take_ms", json_integer(mgr_ms_since(t)));
	if (r < 0) {
		/* Undo: the old instance never stopped answering; the new epoch
		 * makes its daemon announce it again (fip: the floating IP back
		 * on the old instance now, and again by its daemon). */
		u = service_vip_release(in->netns_fd, in->ifname, sp->family, &sp->ip);
		if (u >= 0 && sp->state.method == SERVICE_METHOD_FIP && st.from[0]) {
			struct service_fip f;

			u = service_fip_find(m->nc, sp->name, &f, &e);
			if (u >= 0 && !streq(f.port_id, st.from))
				u = service_fip_associate(m->nc, &f, st.from, &e);
		}
		snprintf(back.active, sizeof(back.active), "%s", st.from);
		back.from[0] = '\0';
		back.phase = SERVICE_STABLE;
		back.epoch++;
		if (u >= 0)
			u = service_port_set_state(m->nc, sp, &back, &e);
		return mgr_req_fail(
			r, why, size, "putting the address on the target failed (%s); %s",
			strerror(-r), u < 0 ? "the undo will be retried" : "moved back");
	}
	mgr_crash_point(m, "stable");
	t = util_now_us();
	st = sp->state;
	st.phase = SERVICE_STABLE;
	st.from[0] = '\0';
	r = service_port_set_state(m->nc, sp, &st, &e);
	json_object_set_new(timings, "stable_ms", json_integer(mgr_ms_since(t)));
	if (r < 0)
		/* Both instances answer; the thread finishes the move when Neutron
		 * takes the write (the row stays TAKING). */
		return mgr_req_fail(r, why, size,
				    "the target answers, but confirming in Neutron failed: %s;"
				    " both instances answer until it is retried",
				    mgr_req_neutron_why(&e, r));
	return 0;
}

int mgr_move_op(struct service_mgr *m, const json_t *req, json_t **ret, char *why, size_t size)
{
	struct mgr_instance in = { .netns_fd = -1 };
	struct store_service_row row = { 0 };
	const json_t *to = json_object_get(req, "ready_timeout_ms");
	unsigned ready_timeout = READY_TIMEOUT_DEFAULT_MS;
	uint64_t start = util_now_us();
	json_t *timings = json_object();
	struct service_port sp;
	bool slot = false;
	int r;

	if (!timings)
		return -ENOMEM;
	if (to) {
		if (!json_is_integer(to) || json_integer_value(to) <= 0 ||
		    json_integer_value(to) > 600000) {
			r = mgr_req_fail(-EINVAL, why, size, "ready_timeout_ms is 1..600000");
			goto out;
		}
		ready_timeout = (unsigned)json_integer_value(to);
	}
	r = mgr_req_service(m, mgr_req_str(req, "name"), &sp, why, size);
	if (r >= 0)
		r = mgr_req_instance(m, req, &sp, &in, why, size);
	if (r < 0)
		goto out;
	r = mgr_moving_begin(m, sp.name);
	if (r < 0) {
		r = mgr_req_fail(r, why, size, "a move of '%s' is already under way here", sp.name);
		goto out;
	}
	slot = true;
	/* Read again inside the slot: the thread may have acted meanwhile. */
	r = mgr_req_service(m, sp.name, &sp, why, size);
	if (r < 0)
		goto out;
	if (streq(sp.state.active, in.port_id) && sp.state.phase == SERVICE_STABLE) {
		json_object_set_new(timings, "already", json_true());
		goto done;
	}
	if (sp.state.phase != SERVICE_STABLE) {
		r = mgr_req_fail(-EBUSY, why, size, "service '%s' is moving to %s", sp.name,
				 sp.state.active);
		goto out;
	}
	/* binding: the service port moves between chassis, never within one. */
	if (sp.state.method == SERVICE_METHOD_BINDING && sp.state.active[0] && sp.host[0] &&
	    streq(sp.host, m->host)) {
		r = mgr_req_fail(-EINVAL, why, size,
				 "the service port is bound to this host (%s) already: the binding "
				 "method moves it to an instance on another host", m->host);
		goto out;
	}
	r = mgr_req_member(m, &sp, &in, &row, why, size);
	if (r < 0)
		goto out;
	/* A fresh pair must reach the instance's agent before the address is
	 * sent from there (its anti-spoofing rules). */
	if (row.role == STORE_SERVICE_STANDBY && sp.state.method == SERVICE_METHOD_AAP &&
	    store_clock_ms() < row.until + m->settle_ms) {
		unsigned wait = (unsigned)(row.until + m->settle_ms - store_clock_ms());

		json_object_set_new(timings, "settle_ms", json_integer(wait));
		util_sleep_ms(wait);
	}
	r = store_service_put(m->store, sp.name, in.port_id, sp.addr, STORE_SERVICE_TAKING,
			      (int64_t)sp.state.epoch, 0);
	if (r < 0) {
		r = mgr_req_fail(r, why, size, "journal: %s", strerror(-r));
		goto out;
	}
	if (sp.state.method == SERVICE_METHOD_BINDING && sp.state.active[0])
		r = mgr_binding_move(m, &sp, &in, ready_timeout, timings, why, size);
	else
		r = move(m, &sp, &in, ready_timeout, timings, why, size);
	if (r < 0) {
		/* Nothing moved, or it was undone: the target stands by.  When
		 * only the confirmation failed the row stays TAKING for the
		 * thread to finish. */
		/* If even that write fails, the thread finds the row TAKING and
		 * settles it from Neutron's state. */
		if (!(streq(sp.state.active, in.port_id) && sp.state.phase != SERVICE_STABLE) &&
		    store_service_put(m->store, sp.name, in.port_id, sp.addr, STORE_SERVICE_STANDBY,
				      (int64_t)sp.state.epoch, row.until) < 0)
			mgr_kick(m);
		goto out;
	}
	r = store_service_put(m->store, sp.name, in.port_id, sp.addr, STORE_SERVICE_ACTIVE,
			      (int64_t)sp.state.epoch, 0);
	if (r < 0)
		goto out;
done:
	json_object_set_new(timings, "total_ms", json_integer(mgr_ms_since(start)));
	*ret = json_pack("{s:o, s:O}", "service", mgr_status_json(m, &sp), "timings", timings);
	r = *ret ? 0 : -ENOMEM;
out:
	if (slot)
		mgr_moving_end(m, sp.name);
	mgr_kick(m);
	store_service_row_done(&row);
	mgr_instance_close(&in);
	json_decref(timings);
	return r;
}

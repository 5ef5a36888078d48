/* sfctl service move with the binding method (docs/superfluidity.md,
 * "binding"): the service port itself moves to the target's chassis, as
 * Nova's live migration moves a VM's port on ML2/OVN:
 *   ready    the target answers its check, from its own namespace;
 *   plug     the service port's interface into the target, down;
 *   migrate  binding:profile migrating_to = this host: requested-chassis on
 *            both, activation-strategy rarp; ovn-controller here claims the
 *            port as an additional chassis, its traffic still blocked;
 *   moving   Neutron: {active: target, from: old, phase: moving}, the
 *            commit point, which asks the old host to go quiet;
 *   quiet    the old host's thread takes its interface down and writes
 *            phase quiet; the mover reads it every 20 ms;
 *   switch   the target's interface up, a RARP from it: OVN lets it
 *            through here;
 *   stable   Neutron: {active: target, stable}, then the port bound here
 *            alone; the old host unplugs its tap once Neutron says so.
 * Before the quiet a failure is undone (migrating_to dropped, the state back
 * on the old instance with a new epoch, which brings it up again, the
 * target unplugged); after it the only way is forward (the thread retries). */
#include "service/mgr_internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "service/announce.h"
#include "service/svcif.h"

#define INSTALLED_TIMEOUT_MS 10000
#define QUIET_TIMEOUT_MS 10000
#define POLL_MS 20
#define RARP_COUNT 3
#define RARP_INTERVAL_MS 20

/* After the quiet: the target's interface up (down until now, so that it
 * kept no neighbour state from its blocked time: an INCOMPLETE entry for
 * the client retries only after 1 s), the RARP that activates this
 * chassis, the state stable, the port bound here alone. */
static int finish(struct service_mgr *m, struct mgr_instance *in, struct service_port *sp,
		  const struct service_svcif_net *net)
{
	struct service_state st = sp->state;
	struct nl_extack ext = { { 0 } };
	char tap[IFNAMSIZ], ifn[IFNAMSIZ];
	int r;

	service_svcif_names(sp->id, tap, ifn);
	r = service_svcif_set_up(in->netns_fd, sp, net, true, &ext);
	if (r >= 0)
		r = service_announce_rarp(in->netns_fd, ifn, RARP_COUNT, RARP_INTERVAL_MS);
	if (r >= 0 && st.phase != SERVICE_STABLE) {
		st.phase = SERVICE_STABLE;
		st.from[0] = '\0';
		r = service_port_set_state(m->nc, sp, &st, NULL);
	}
	/* Nova's post-migration: one chassis again, the old one released. */
	if (r >= 0 && (!streq(sp->host, m->host) || sp->migrating_to[0]))
		r = service_port_bind(m->nc, sp, m->host, NULL, NULL);
	return r;
}

int mgr_binding_finish(struct service_mgr *m, struct mgr_instance *in, struct service_port *sp)
{
	struct service_svcif_net net;
	int r = mgr_binding_plug(m, in, sp, false, &net, NULL, 0);

	return r < 0 ? r : finish(m, in, sp, &net);
}

/* ovn-controller here claimed the port (as an additional chassis). */
static int wait_installed(struct service_mgr *m, const struct service_port *sp)
{
	uint64_t end = util_now_us() + INSTALLED_TIMEOUT_MS * 1000ull;
	bool done = false;
	int r;

	for (;;) {
		r = service_svcif_installed(&m->ovs, sp, &done);
		if (r < 0 || done)
			return r;
		if (util_now_us() >= end)
			return -ETIMEDOUT;
		util_sleep_ms(POLL_MS);
	}
}

/* The old host's thread wrote phase quiet at the move's epoch: *sp is that
 * state.  -ESTALE when somebody else changed the state meanwhile (*sp is
 * theirs). */
static int wait_quiet(struct service_mgr *m, struct service_port *sp)
{
	uint64_t end = util_now_us() + QUIET_TIMEOUT_MS * 1000ull;
	struct service_port now;
	int r;

	for (;;) {
		r = service_port_find(m->nc, sp->name, &now, NULL);
		if (r >= 0 && (now.state.epoch != sp->state.epoch ||
			       !streq(now.state.active, sp->state.active))) {
			*sp = now;
			return -ESTALE;
		}
		if (r >= 0)
			*sp = now;
		if (r >= 0 && now.state.phase == SERVICE_QUIET)
			return 0;
		if (util_now_us() >= end)
			return -ETIMEDOUT;
		util_sleep_ms(POLL_MS);
	}
}

int mgr_binding_move(struct service_mgr *m, struct service_port *sp, struct mgr_instance *in,
		     unsigned ready_timeout_ms, json_t *timings, char *why, size_t size)
{
	struct neutron_error e = { 0 };
	struct service_state st = sp->state;
	struct service_svcif_net net;
	char old_host[SERVICE_HOST_MAX];
	uint64_t t;
	bool committed = false, migrate_unknown = false;
	int r, u = 0;

	if (!(m->ovs.db && bind_ovs_available(&m->ovs)))
		return mgr_req_fail(-EOPNOTSUPP, why, size,
				    "this host has no Open vSwitch (OVSDB %s): the binding method "
				    "needs an OVN chassis", m->ovs.db);
	if (!sp->host[0])
		return mgr_req_fail(-EAGAIN, why, size,
				    "the service port is not bound yet to the answering instance's "
				    "host (its daemon binds it): try again");
	/* (One bound to this host already: refused by mgr_move_op.) */
	snprintf(old_host, sizeof(old_host), "%s", sp->host);
	r = mgr_move_ready(m, sp, in, ready_timeout_ms, timings, why, size);
	if (r < 0)
		return r;
	t = util_now_us();
	r = mgr_binding_plug(m, in, sp, false, &net, why, size);
	json_object_set_new(timings, "plug_ms", json_integer(mgr_ms_since(t)));
	if (r < 0)
		goto undo;
	t = util_now_us();
	r = service_port_bind(m->nc, sp, old_host, m->host, &e);
	json_object_set_new(timings, "migrate_ms", json_integer(mgr_ms_since(t)));
	if (r < 0) {
		migrate_unknown = true;   /* a PUT that timed out may have been applied */
		mgr_req_fail(r, why, size, "Neutron refused migrating_to=%s: %s", m->host,
			     mgr_req_neutron_why(&e, r));
		goto undo;
	}
	t = util_now_us();
	r = wait_installed(m, sp);
	json_object_set_new(timings, "claim_ms", json_integer(mgr_ms_since(t)));
	if (r < 0) {
		mgr_req_fail(r, why, size,
			     "ovn-controller here did not claim the service port within %d ms "
			     "(an OVN chassis with multi-chassis bindings, OVN 22.06+?)",
			     INSTALLED_TIMEOUT_MS);
		goto undo;
	}
	mgr_crash_point(m, "moving");
	t = util_now_us();
	snprintf(st.from, sizeof(st.from), "%s", sp->state.active);
	snprintf(st.active, sizeof(st.active), "%s", in->port_id);
	st.phase = SERVICE_MOVING;
	st.epoch++;
	r = service_port_set_state(m->nc, sp, &st, &e);
	json_object_set_new(timings, "moving_ms", json_integer(mgr_ms_since(t)));
	if (r < 0) {
		mgr_req_fail(r, why, size, "%s: nothing moved",
			     r == -ESTALE ? "the service changed meanwhile (another move?)"
					  : mgr_req_neutron_why(&e, r));
		goto undo;
	}
	committed = true;
	mgr_crash_point(m, "take");
	t = util_now_us();
	r = wait_quiet(m, sp);
	json_object_set_new(timings, "quiet_ms", json_integer(mgr_ms_since(t)));
	if (r == -ESTALE) {
		/* Somebody else's state now: only our side is undone. */
		committed = false;
		mgr_req_fail(r, why, size, "the service changed meanwhile: %s answers",
			     sp->state.active[0] ? sp->state.active : "nobody");
		goto undo;
	}
	if (r < 0) {
		mgr_req_fail(r, why, size,
			     "the instance being left (%s on %s) did not let go within %d ms",
			     st.from, old_host, QUIET_TIMEOUT_MS);
		goto undo;
	}
	mgr_crash_point(m, "stable");
	t = util_now_us();
	r = finish(m, in, sp, &net);
	json_object_set_new(timings, "switch_ms", json_integer(mgr_ms_since(t)));
	if (r < 0)
		/* Forward only: the row stays TAKING, the thread finishes it. */
		return mgr_req_fail(r, why, size,
				    "the target answers, but confirming in Neutron failed (%s); "
				    "the move is finished when it is retried", strerror(-r));
	return 0;
undo:
	/* The old instance never stopped answering (or comes back up at the
	 * new epoch); its chassis alone again; nothing left here. */
	if (committed) {
		struct service_state back = sp->state;

		snprintf(back.active, sizeof(back.active), "%s", back.from);
		back.from[0] = '\0';
		back.phase = SERVICE_STABLE;
		back.epoch++;
		u = service_port_set_state(m->nc, sp, &back, NULL);
	}
	/* Only our migrating_to: another mover's is theirs. */
	if (u >= 0 && (migrate_unknown || streq(sp->migrating_to, m->host)))
		u = service_port_bind(m->nc, sp, sp->host, NULL, NULL);
	if (u >= 0)
		u = mgr_binding_let_go(m, sp->name, in, sp->addr);
	if (u < 0 && size && strlen(why) + 40 < size)
		strcat(why, "; the undo will be retried");
	return r;
}

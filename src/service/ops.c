/* sfctl's operations on services, and the move (docs/superfluidity.md):
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
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "service/fip.h"
#include "service/probe.h"
#include "service/vip.h"

#define READY_TIMEOUT_DEFAULT_MS 10000
#define READY_INTERVAL_MS 50

__attribute__((format(printf, 4, 5)))
static int fail(int r, char *why, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, size, fmt, ap);
	va_end(ap);
	return r;
}

static const char *neutron_why(const struct neutron_error *e, int r)
{
	return e->message[0] ? e->message : strerror(-r);
}

static const char *str(const json_t *req, const char *key)
{
	return json_string_value(json_object_get(req, key));
}

static json_t *state_json(const struct service_port *sp)
{
	char check[16 + SERVICE_PATH_MAX] = "";

	if (service_check_format(&sp->state.check, check, sizeof(check)) < 0)
		check[0] = '\0';
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:s, s:s?, s:I}", "name",
			 sp->name, "id", sp->id, "network_id", sp->network_id, "address", sp->addr,
			 "method", service_method_to_string(sp->state.method), "check", check,
			 "phase", service_phase_to_string(sp->state.phase), "grace_ms",
			 (json_int_t)sp->state.grace_ms, "active", sp->state.active, "from",
			 sp->state.from[0] ? sp->state.from : NULL, "epoch",
			 (json_int_t)sp->state.epoch);
}

/* state_json, and for a floating IP service its floating IP as Neutron has
 * it now (one read): "floating_address", "floating_ip_id",
 * "floating_port_id" (null when associated with nothing, or "floating_error"
 * when it cannot be read). */
static json_t *service_json(struct service_mgr *m, const struct service_port *sp)
{
	json_t *o = state_json(sp);
	struct neutron_error e = { 0 };
	struct service_fip f;
	int r;

	if (!o || sp->state.method != SERVICE_METHOD_FIP)
		return o;
	r = service_fip_find(m->nc, sp->name, &f, &e);
	if (r < 0)
		json_object_set_new(o, "floating_error",
				    json_string(r == -ENOENT ? "the service has no floating IP"
							     : neutron_why(&e, r)));
	else
		json_object_update_new(o, json_pack("{s:s, s:s, s:s?}", "floating_address", f.addr,
						    "floating_ip_id", f.id, "floating_port_id",
						    f.port_id[0] ? f.port_id : NULL));
	return o;
}

static int find(struct service_mgr *m, const char *name, struct service_port *sp, char *why,
		size_t size)
{
	struct neutron_error e = { 0 };
	int r;

	if (!service_name_valid(name))
		return fail(-EINVAL, why, size, "'%s' is not a service name (a-z, 0-9, '-', at most %d)",
			    name ? name : "", SERVICE_NAME_MAX);
	r = service_port_find(m->nc, name, sp, &e);
	if (r == -ENOENT)
		return fail(r, why, size, "no service '%s'", name);
	if (r < 0)
		return fail(r, why, size, "looking up service '%s' in Neutron: %s", name,
			    neutron_why(&e, r));
	return 0;
}

static int op_create(struct service_mgr *m, const json_t *req, json_t **ret, char *why,
		     size_t size)
{
	const char *name = str(req, "name"), *network = str(req, "network");
	const char *subnet = str(req, "subnet"), *ip = str(req, "address");
	const char *method = str(req, "method"), *fnet = str(req, "floating_network");
	const json_t *grace = json_object_get(req, "grace_ms");
	struct service_state st = { .grace_ms = SERVICE_GRACE_DEFAULT_MS };
	struct neutron_error e = { 0 };
	struct service_port sp;
	struct service_fip fip;
	json_t *net = NULL, *sub = NULL, *ext = NULL;
	char cwhy[192];
	int r;

	if (!service_name_valid(name))
		return fail(-EINVAL, why, size, "'%s' is not a service name (a-z, 0-9, '-', at most %d)",
			    name ? name : "", SERVICE_NAME_MAX);
	if (!network)
		return fail(-EINVAL, why, size, "a service needs a network");
	r = service_check_parse(str(req, "check"), &st.check, cwhy, sizeof(cwhy));
	if (r < 0)
		return fail(r, why, size, "%s", cwhy);
	if (grace) {
		if (!json_is_integer(grace) || json_integer_value(grace) < 0 ||
		    json_integer_value(grace) > SERVICE_GRACE_MAX_MS)
			return fail(-EINVAL, why, size, "grace_ms is 0..%d", SERVICE_GRACE_MAX_MS);
		st.grace_ms = (unsigned)json_integer_value(grace);
	}
	if (method && service_method_parse(method, &st.method, cwhy, sizeof(cwhy)) < 0)
		return fail(-EINVAL, why, size, "method '%s': %s", method, cwhy);
	if (st.method == SERVICE_METHOD_FIP && !fnet)
		return fail(-EINVAL, why, size, "a floating IP service needs a floating network "
			    "(--floating-network, an external network)");
	if (st.method != SERVICE_METHOD_FIP && fnet)
		return fail(-EINVAL, why, size, "a floating network is for --method fip only");
	if (fnet) {
		r = neutron_network_find(m->nc, fnet, &ext, &e);
		if (r < 0)
			return fail(r, why, size, "floating network '%s': %s", fnet, neutron_why(&e, r));
		if (!json_is_true(json_object_get(ext, "router:external"))) {
			json_decref(ext);
			return fail(-EINVAL, why, size, "floating network '%s' is not external "
				    "(router:external)", fnet);
		}
	}
	r = neutron_network_find(m->nc, network, &net, &e);
	if (r < 0) {
		r = fail(r, why, size, "network '%s': %s", network, neutron_why(&e, r));
		goto out;
	}
	if (subnet) {
		struct neutron_filter f = { "network_id",
					    json_string_value(json_object_get(net, "id")) };

		r = neutron_resource_find(m->nc, "subnets", "subnet", subnet, &f, 1, &sub, &e);
		if (r < 0) {
			r = fail(r, why, size, "subnet '%s': %s", subnet, neutron_why(&e, r));
			goto out;
		}
	}
	r = service_port_create(m->nc, name, json_string_value(json_object_get(net, "id")),
				sub ? json_string_value(json_object_get(sub, "id")) : NULL, ip, &st,
				&sp, &e);
	if (r == -EEXIST) {
		r = fail(r, why, size, "service '%s' exists", name);
		goto out;
	}
	if (r < 0) {
		r = fail(r, why, size, "creating the service port: %s", neutron_why(&e, r));
		goto out;
	}
	if (ext) {
		/* The floating IP, made with the service: without it there is
		 * no service (the port goes again). */
		r = service_fip_create(m->nc, name, json_string_value(json_object_get(ext, "id")),
				       &fip, &e);
		if (r < 0) {
			int u = service_port_delete(m->nc, sp.id, NULL);

			r = fail(r, why, size, "creating the floating IP on '%s': %s%s", fnet,
				 r == -EEXIST ? "the service has one already (a leftover?)"
					      : neutron_why(&e, r),
				 u < 0 ? "; deleting the service port failed too" : "");
			goto out;
		}
	}
	if (!(*ret = json_pack("{s:o}", "service", service_json(m, &sp))))
		r = -ENOMEM;
out:
	json_decref(ext);
	json_decref(net);
	json_decref(sub);
	return r;
}

static json_t *members_json(struct service_mgr *m, const struct service_port *sp)
{
	json_t *ports = NULL, *arr = json_array(), *p;
	size_t i;

	if (!arr || service_member_list(m->nc, sp->name, &ports, NULL) < 0)
		return arr;
	json_array_foreach(ports, i, p) {
		const char *id = json_string_value(json_object_get(p, "id"));
		struct store_service_row row = { 0 };
		const char *role = NULL;
		json_t *tags = json_object_get(p, "tags"), *t;
		const char *host = json_string_value(json_object_get(p, "binding:host_id"));
		size_t j;

		/* The site and host the daemon tagged the port with, if any. */
		const char *site = NULL;

		json_array_foreach(tags, j, t) {
			const char *s = json_string_value(t);

			if (s && strncmp(s, "sf-site=", 8) == 0)
				site = s + 8;
		}
		if (id && store_service_get(m->store, sp->name, id, &row) == 0)
			role = store_service_role_to_string(row.role);
		json_array_append_new(arr, json_pack(
			"{s:s?, s:s?, s:s?, s:s?, s:s?, s:b, s:s?}", "port_id", id, "host", host,
			"site", site, "container_id",
			json_string_value(json_object_get(p, "device_id")), "status",
			json_string_value(json_object_get(p, "status")), "active",
			streq(id, sp->state.active), "local_role", role));
		store_service_row_done(&row);
	}
	json_decref(ports);
	return arr;
}

static int op_status(struct service_mgr *m, const json_t *req, json_t **ret, char *why,
		     size_t size)
{
	struct service_port sp;
	json_t *o;
	int r = find(m, str(req, "name"), &sp, why, size);

	if (r < 0)
		return r;
	o = service_json(m, &sp);
	if (!o || json_object_set_new(o, "instances", members_json(m, &sp)) < 0) {
		json_decref(o);
		return -ENOMEM;
	}
	*ret = json_pack("{s:o}", "service", o);
	return *ret ? 0 : -ENOMEM;
}

static int op_list(struct service_mgr *m, json_t **ret, char *why, size_t size)
{
	struct neutron_error e = { 0 };
	json_t *ports = NULL, *arr = json_array(), *p;
	size_t i;
	int r = service_port_list(m->nc, &ports, &e);

	if (r < 0) {
		json_decref(arr);
		return fail(r, why, size, "listing services in Neutron: %s", neutron_why(&e, r));
	}
	json_array_foreach(ports, i, p) {
		struct service_port sp;

		if (arr && service_port_from_json(p, &sp) == 0)
			json_array_append_new(arr, service_json(m, &sp));
	}
	json_decref(ports);
	*ret = arr ? json_pack("{s:o}", "services", arr) : NULL;
	return *ret ? 0 : -ENOMEM;
}

static int op_delete(struct service_mgr *m, const json_t *req, json_t **ret, char *why,
		     size_t size)
{
	struct neutron_error e = { 0 };
	struct service_port sp;
	json_t *ports = NULL, *p;
	size_t i;
	int r = find(m, str(req, "name"), &sp, why, size);

	if (r < 0)
		return r;
	/* Every instance's pair first, so no port keeps the address once the
	 * reservation is gone; each host's thread then lets go of it. */
	r = service_member_list(m->nc, sp.name, &ports, &e);
	json_array_foreach(ports, i, p) {
		if (r < 0)
			break;
		r = service_member_remove(m->nc, sp.name, sp.addr,
					  json_string_value(json_object_get(p, "id")), &e);
	}
	json_decref(ports);
	/* The floating IP before the port that holds the state: a retried
	 * delete still finds the service, and with it the floating IP. */
	if (r >= 0 && sp.state.method == SERVICE_METHOD_FIP) {
		struct service_fip f;

		r = service_fip_find(m->nc, sp.name, &f, &e);
		if (r >= 0)
			r = service_fip_delete(m->nc, f.id, &e);
		else if (r == -ENOENT)
			r = 0;
	}
	if (r >= 0)
		r = service_port_delete(m->nc, sp.id, &e);
	if (r < 0)
		return fail(r, why, size, "deleting service '%s': %s", sp.name, neutron_why(&e, r));
	mgr_kick(m);
	*ret = json_pack("{s:s}", "deleted", sp.name);
	return *ret ? 0 : -ENOMEM;
}

static const char *ifname_of(const json_t *req)
{
	const char *ifname = str(req, "ifname");

	return ifname ? ifname : "eth0";
}

static int holder(struct service_mgr *m, const json_t *req, const struct service_port *sp,
		  struct mgr_instance *in, char *why, size_t size)
{
	const char *cid = str(req, "container");
	int r;

	if (!cid)
		return fail(-EINVAL, why, size, "which container? (container id)");
	r = mgr_instance_by_holder(m, cid, ifname_of(req), sp->family, in);
	if (r == -ENOENT)
		return fail(r, why, size, "container '%s' holds no port on this host as '%s'", cid,
			    ifname_of(req));
	if (r == -EADDRNOTAVAIL)
		return fail(r, why, size, "container '%s' has no %s address for service '%s'", cid,
			    sp->family == AF_INET ? "IPv4" : "IPv6", sp->name);
	if (r < 0)
		return fail(r, why, size, "container '%s': %s", cid, strerror(-r));
	return 0;
}

/* The instance's pair and tag in Neutron, recorded here as STANDBY. */
static int ensure_member(struct service_mgr *m, const struct service_port *sp,
			 const struct mgr_instance *in, struct store_service_row *ret_row,
			 char *why, size_t size)
{
	struct neutron_error e = { 0 };
	int r = store_service_get(m->store, sp->name, in->port_id, ret_row);

	if (r == 0 && ret_row->role != STORE_SERVICE_JOINING && ret_row->role != STORE_SERVICE_LEAVING &&
	    ret_row->role != STORE_SERVICE_RETURNING)
		return 0;
	store_service_row_done(ret_row);
	r = service_member_add(m->nc, sp, in->port_id, &e);
	if (r < 0)
		return fail(r, why, size, "adding %s to port %s's allowed address pairs: %s",
			    sp->addr, in->port_id, neutron_why(&e, r));
	/* `until` of a STANDBY row: since when it is a member (for the settle;
	 * 0: long, for a port that was one already). */
	r = store_service_put(m->store, sp->name, in->port_id, sp->addr, STORE_SERVICE_STANDBY,
			      (int64_t)sp->state.epoch, r == 1 ? 0 : store_clock_ms());
	if (r >= 0)
		r = store_service_get(m->store, sp->name, in->port_id, ret_row);
	return r < 0 ? fail(r, why, size, "recording the instance: %s", strerror(-r)) : 0;
}

static int op_attach(struct service_mgr *m, const json_t *req, json_t **ret, char *why,
		     size_t size)
{
	struct mgr_instance in = { .netns_fd = -1 };
	struct store_service_row row = { 0 };
	struct service_port sp;
	int r = find(m, str(req, "name"), &sp, why, size);

	if (r >= 0)
		r = holder(m, req, &sp, &in, why, size);
	if (r >= 0)
		r = ensure_member(m, &sp, &in, &row, why, size);
	if (r < 0)
		goto out;
	/* The first instance answers at once: there is nobody to move from. */
	if (!sp.state.active[0]) {
		struct service_state st = sp.state;
		struct neutron_error e = { 0 };

		snprintf(st.active, sizeof(st.active), "%s", in.port_id);
		st.epoch++;
		r = service_port_set_state(m->nc, &sp, &st, &e);
		if (r < 0) {
			r = fail(r, why, size, "making %s the service's instance: %s", in.port_id,
				 neutron_why(&e, r));
			goto out;
		}
		r = mgr_take(m, &in, &sp);
		if (r >= 0)
			r = store_service_put(m->store, sp.name, in.port_id, sp.addr, STORE_SERVICE_ACTIVE,
					      (int64_t)sp.state.epoch, 0);
		if (r < 0) {
			/* The journal row is STANDBY and Neutron names it: the
			 * thread takes it again at its next pass. */
			if (sp.state.method == SERVICE_METHOD_FIP)
				r = fail(r, why, size, "associating the floating IP with %s failed (%s); "
					 "retried by the service thread", in.port_id, strerror(-r));
			else
				r = fail(r, why, size, "putting %s on %s: %s", sp.addr, in.ifname,
					 strerror(-r));
			goto out;
		}
	}
	*ret = json_pack("{s:o, s:s}", "service", service_json(m, &sp), "port_id", in.port_id);
	r = *ret ? 0 : -ENOMEM;
out:
	store_service_row_done(&row);
	mgr_instance_close(&in);
	return r;
}

static int op_detach(struct service_mgr *m, const json_t *req, json_t **ret, char *why,
		     size_t size)
{
	struct mgr_instance in = { .netns_fd = -1 };
	struct neutron_error e = { 0 };
	struct service_port sp;
	int r = find(m, str(req, "name"), &sp, why, size);

	if (r >= 0)
		r = holder(m, req, &sp, &in, why, size);
	if (r < 0)
		goto out;
	if (streq(sp.state.active, in.port_id) || streq(sp.state.from, in.port_id)) {
		r = fail(-EBUSY, why, size, "%s answers for service '%s': move it first", in.port_id,
			 sp.name);
		goto out;
	}
	r = service_vip_release(in.netns_fd, in.ifname, sp.family, &sp.ip);
	if (r >= 0)
		r = service_member_remove(m->nc, sp.name, sp.addr, in.port_id, &e);
	if (r >= 0)
		r = store_service_delete(m->store, sp.name, in.port_id);
	if (r < 0) {
		r = fail(r, why, size, "detaching %s: %s", in.port_id, neutron_why(&e, r));
		goto out;
	}
	*ret = json_pack("{s:s, s:s}", "detached", in.port_id, "service", sp.name);
	r = *ret ? 0 : -ENOMEM;
out:
	mgr_instance_close(&in);
	return r;
}

static unsigned ms_since(uint64_t start_us)
{
	return (unsigned)((util_now_us() - start_us) / 1000);
}

/* The move proper, with the journal row TAKING; the caller holds the
 * service's moving slot. */
static int move(struct service_mgr *m, struct service_port *sp, struct mgr_instance *in,
		unsigned ready_timeout_ms, json_t *timings, char *why, size_t size)
{
	struct neutron_error e = { 0 };
	struct service_state st = sp->state, back;
	char pwhy[256] = "";
	uint64_t t = util_now_us();
	unsigned waited = 0;
	int r, u;

	mgr_crash_point(m, "ready");
	r = service_probe_until(in->netns_fd, &sp->state.check, sp->family, &in->ip,
				ready_timeout_ms, READY_INTERVAL_MS, &waited, pwhy, sizeof(pwhy));
	json_object_set_new(timings, "ready_ms", json_integer(ms_since(t)));
	if (r < 0)
		return fail(r, why, size, "the target was not ready within %u ms: %s",
			    ready_timeout_ms, pwhy);
	mgr_crash_point(m, "moving");
	t = util_now_us();
	snprintf(st.from, sizeof(st.from), "%s", sp->state.active);
	snprintf(st.active, sizeof(st.active), "%s", in->port_id);
	st.phase = st.from[0] ? SERVICE_MOVING : SERVICE_STABLE;
	st.epoch++;
	r = service_port_set_state(m->nc, sp, &st, &e);
	json_object_set_new(timings, "moving_ms", json_integer(ms_since(t)));
	if (r == -ESTALE)
		return fail(r, why, size, "the service changed meanwhile (another move?): nothing moved");
	if (r < 0)
		return fail(r, why, size, "Neutron refused the move: %s; nothing moved",
			    neutron_why(&e, r));
	back = sp->state;
	mgr_crash_point(m, "take");
	t = util_now_us();
	r = mgr_take(m, in, sp);
	json_object_set_new(timings, "take_ms", json_integer(ms_since(t)));
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
		return fail(r, why, size, "putting the address on the target failed (%s); %s",
			    strerror(-r), u < 0 ? "the undo will be retried" : "moved back");
	}
	mgr_crash_point(m, "stable");
	t = util_now_us();
	st = sp->state;
	st.phase = SERVICE_STABLE;
	st.from[0] = '\0';
	r = service_port_set_state(m->nc, sp, &st, &e);
	json_object_set_new(timings, "stable_ms", json_integer(ms_since(t)));
	if (r < 0)
		/* Both instances answer; the thread finishes the move when Neutron
		 * takes the write (the row stays TAKING). */
		return fail(r, why, size, "the target answers, but confirming in Neutron failed: %s;"
			    " both instances answer until it is retried", neutron_why(&e, r));
	return 0;
}

static int op_move(struct service_mgr *m, const json_t *req, json_t **ret, char *why,
		   size_t size)
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
			r = fail(-EINVAL, why, size, "ready_timeout_ms is 1..600000");
			goto out;
		}
		ready_timeout = (unsigned)json_integer_value(to);
	}
	r = find(m, str(req, "name"), &sp, why, size);
	if (r >= 0)
		r = holder(m, req, &sp, &in, why, size);
	if (r < 0)
		goto out;
	r = mgr_moving_begin(m, sp.name);
	if (r < 0) {
		r = fail(r, why, size, "a move of '%s' is already under way here", sp.name);
		goto out;
	}
	slot = true;
	/* Read again inside the slot: the thread may have acted meanwhile. */
	r = find(m, sp.name, &sp, why, size);
	if (r < 0)
		goto out;
	if (streq(sp.state.active, in.port_id) && sp.state.phase == SERVICE_STABLE) {
		json_object_set_new(timings, "already", json_true());
		goto done;
	}
	if (sp.state.phase == SERVICE_MOVING) {
		r = fail(-EBUSY, why, size, "service '%s' is moving to %s", sp.name, sp.state.active);
		goto out;
	}
	r = ensure_member(m, &sp, &in, &row, why, size);
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
		r = fail(r, why, size, "journal: %s", strerror(-r));
		goto out;
	}
	r = move(m, &sp, &in, ready_timeout, timings, why, size);
	if (r < 0) {
		/* Nothing moved, or it was undone: the target stands by.  When
		 * only the confirmation failed the row stays TAKING for the
		 * thread to finish. */
		/* If even that write fails, the thread finds the row TAKING and
		 * settles it from Neutron's state. */
		if (!(streq(sp.state.active, in.port_id) && sp.state.phase == SERVICE_MOVING) &&
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
	json_object_set_new(timings, "total_ms", json_integer(ms_since(start)));
	*ret = json_pack("{s:o, s:O}", "service", service_json(m, &sp), "timings", timings);
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

int service_mgr_ctl(struct service_mgr *m, const json_t *req, json_t **ret, char *why,
		    size_t size)
{
	const char *op = str(req, "op");

	why[0] = '\0';
	if (streq(op, "create"))
		return op_create(m, req, ret, why, size);
	if (streq(op, "delete"))
		return op_delete(m, req, ret, why, size);
	if (streq(op, "attach"))
		return op_attach(m, req, ret, why, size);
	if (streq(op, "detach"))
		return op_detach(m, req, ret, why, size);
	if (streq(op, "move"))
		return op_move(m, req, ret, why, size);
	if (streq(op, "status"))
		return str(req, "name") ? op_status(m, req, ret, why, size) : op_list(m, ret, why, size);
	return fail(-EOPNOTSUPP, why, size, "unknown service operation '%s'", op ? op : "");
}

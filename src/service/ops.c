/* sfctl's operations on services (docs/superfluidity.md): create, delete,
 * attach, detach here; status (status.c) and the move (move.c). */
#include "service/mgr_internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "service/fip.h"
#include "service/svcif.h"
#include "service/vip.h"

/* binding: only on an OVN chassis (its agent in Neutron is OVN's), and not
 * where it is known to break: stateful ACLs (port security) through a
 * userspace datapath's conntrack abort ovs-vswitchd 3.1 mid-move
 * (docs/ovn.md, "Moving a service between chassis"). */
static int binding_check(struct service_mgr *m, const json_t *net, char *why, size_t size)
{
	struct neutron_error e = { 0 };
	json_t *agents = NULL, *a;
	bool ovn = false, userspace = false;
	size_t i;
	int r;

	r = neutron_agents_list(m->nc, m->host, &agents, &e);
	if (r < 0)
		return mgr_req_fail(r, why, size, "listing this host's agents: %s",
				    mgr_req_neutron_why(&e, r));
	json_array_foreach(agents, i, a) {
		const char *type = json_string_value(json_object_get(a, "agent_type"));

		ovn = ovn || (type && strncmp(type, "OVN Controller", 14) == 0);
	}
	json_decref(agents);
	if (!ovn || !(m->ovs.db && bind_ovs_available(&m->ovs)))
		return mgr_req_fail(-EOPNOTSUPP, why, size,
				    "the binding method needs ML2/OVN: host '%s' has no OVN "
				    "controller agent in Neutron or no OVSDB here", m->host);
	if (!json_is_false(json_object_get(net, "port_security_enabled")) &&
	    service_svcif_userspace(&m->ovs, &userspace) >= 0 && userspace)
		return mgr_req_fail(-EOPNOTSUPP, why, size,
				    "the binding method on a network with port security needs a "
				    "kernel datapath: this host's %s is userspace (netdev), whose "
				    "conntrack aborts ovs-vswitchd mid-move (docs/ovn.md)",
				    SERVICE_SVCIF_BRIDGE);
	return 0;
}

static int op_create(struct service_mgr *m, const json_t *req, json_t **ret, char *why,
		     size_t size)
{
	const char *name = mgr_req_str(req, "name"), *network = mgr_req_str(req, "network");
	const char *subnet = mgr_req_str(req, "subnet"), *ip = mgr_req_str(req, "address");
	const char *method = mgr_req_str(req, "method");
	const char *fnet = mgr_req_str(req, "floating_network");
	const json_t *grace = json_object_get(req, "grace_ms");
	struct service_state st = { .grace_ms = SERVICE_GRACE_DEFAULT_MS };
	struct neutron_error e = { 0 };
	struct service_port sp;
	struct service_fip fip;
	json_t *net = NULL, *sub = NULL, *ext = NULL;
	char cwhy[192];
	int r;

	if (!service_name_valid(name))
		return mgr_req_fail(-EINVAL, why, size,
				    "'%s' is not a service name (a-z, 0-9, '-', at most %d)",
				    name ? name : "", SERVICE_NAME_MAX);
	if (!network)
		return mgr_req_fail(-EINVAL, why, size, "a service needs a network");
	r = service_check_parse(mgr_req_str(req, "check"), &st.check, cwhy, sizeof(cwhy));
	if (r < 0)
		return mgr_req_fail(r, why, size, "%s", cwhy);
	if (grace) {
		if (!json_is_integer(grace) || json_integer_value(grace) < 0 ||
		    json_integer_value(grace) > SERVICE_GRACE_MAX_MS)
			return mgr_req_fail(-EINVAL, why, size, "grace_ms is 0..%d",
					    SERVICE_GRACE_MAX_MS);
		st.grace_ms = (unsigned)json_integer_value(grace);
	}
	if (method && service_method_parse(method, &st.method, cwhy, sizeof(cwhy)) < 0)
		return mgr_req_fail(-EINVAL, why, size, "method '%s': %s", method, cwhy);
	if (st.method == SERVICE_METHOD_FIP && !fnet)
		return mgr_req_fail(-EINVAL, why, size,
				    "a floating IP service needs a floating network "
				    "(--floating-network, an external network)");
	if (st.method != SERVICE_METHOD_FIP && fnet)
		return mgr_req_fail(-EINVAL, why, size,
				    "a floating network is for --method fip only");
	if (fnet) {
		r = neutron_network_find(m->nc, fnet, &ext, &e);
		if (r < 0)
			return mgr_req_fail(r, why, size, "floating network '%s': %s", fnet,
					    mgr_req_neutron_why(&e, r));
		if (!json_is_true(json_object_get(ext, "router:external"))) {
			json_decref(ext);
			return mgr_req_fail(-EINVAL, why, size,
					    "floating network '%s' is not external (router:external)",
					    fnet);
		}
	}
	r = neutron_network_find(m->nc, network, &net, &e);
	if (r < 0) {
		r = mgr_req_fail(r, why, size, "network '%s': %s", network,
				 mgr_req_neutron_why(&e, r));
		goto out;
	}
	if (subnet) {
		struct neutron_filter f = { "network_id",
					    json_string_value(json_object_get(net, "id")) };

		r = neutron_resource_find(m->nc, "subnets", "subnet", subnet, &f, 1, &sub, &e);
		if (r < 0) {
			r = mgr_req_fail(r, why, size, "subnet '%s': %s", subnet,
					 mgr_req_neutron_why(&e, r));
			goto out;
		}
	}
	if (st.method == SERVICE_METHOD_BINDING) {
		r = binding_check(m, net, why, size);
		if (r < 0)
			goto out;
	}
	r = service_port_create(m->nc, name, json_string_value(json_object_get(net, "id")),
				sub ? json_string_value(json_object_get(sub, "id")) : NULL, ip, &st,
				&sp, &e);
	if (r == -EEXIST) {
		r = mgr_req_fail(r, why, size, "service '%s' exists", name);
		goto out;
	}
	if (r < 0) {
		r = mgr_req_fail(r, why, size, "creating the service port: %s",
				 mgr_req_neutron_why(&e, r));
		goto out;
	}
	if (st.method == SERVICE_METHOD_BINDING && sp.family != AF_INET) {
		int u = service_port_delete(m->nc, sp.id, NULL);

		r = mgr_req_fail(-EAFNOSUPPORT, why, size,
				 "the binding method is IPv4 only (the service's address is %s)%s",
				 sp.addr, u < 0 ? "; deleting the service port failed" : "");
		goto out;
	}
	if (ext) {
		/* The floating IP, made with the service: without it there is
		 * no service (the port goes again). */
		r = service_fip_create(m->nc, name, json_string_value(json_object_get(ext, "id")),
				       &fip, &e);
		if (r < 0) {
			int u = service_port_delete(m->nc, sp.id, NULL);

			r = mgr_req_fail(r, why, size, "creating the floating IP on '%s': %s%s",
					 fnet,
					 r == -EEXIST ? "the service has one already (a leftover?)"
						      : mgr_req_neutron_why(&e, r),
					 u < 0 ? "; deleting the service port failed too" : "");
			goto out;
		}
	}
	if (!(*ret = json_pack("{s:o}", "service", mgr_status_json(m, &sp))))
		r = -ENOMEM;
out:
	json_decref(ext);
	json_decref(net);
	json_decref(sub);
	return r;
}

static int op_delete(struct service_mgr *m, const json_t *req, json_t **ret, char *why,
		     size_t size)
{
	struct neutron_error e = { 0 };
	struct service_port sp;
	json_t *ports = NULL, *p;
	size_t i;
	int r = mgr_req_service(m, mgr_req_str(req, "name"), &sp, why, size);

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
		return mgr_req_fail(r, why, size, "deleting service '%s': %s", sp.name,
				    mgr_req_neutron_why(&e, r));
	mgr_kick(m);
	*ret = json_pack("{s:s}", "deleted", sp.name);
	return *ret ? 0 : -ENOMEM;
}

static int op_attach(struct service_mgr *m, const json_t *req, json_t **ret, char *why,
		     size_t size)
{
	struct mgr_instance in = { .netns_fd = -1 };
	struct store_service_row row = { 0 };
	struct service_port sp;
	int r = mgr_req_service(m, mgr_req_str(req, "name"), &sp, why, size);

	if (r >= 0)
		r = mgr_req_instance(m, req, &sp, &in, why, size);
	if (r >= 0)
		r = mgr_req_member(m, &sp, &in, &row, why, size);
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
			r = mgr_req_fail(r, why, size, "making %s the service's instance: %s",
					 in.port_id, mgr_req_neutron_why(&e, r));
			goto out;
		}
		r = mgr_instance_take(m, &in, &sp);
		if (r >= 0)
			r = store_service_put(m->store, sp.name, in.port_id, sp.addr, STORE_SERVICE_ACTIVE,
					      (int64_t)sp.state.epoch, 0);
		if (r < 0) {
			/* The journal row is STANDBY and Neutron names it: the
			 * thread takes it again at its next pass. */
			if (sp.state.method == SERVICE_METHOD_FIP)
				r = mgr_req_fail(r, why, size,
						 "associating the floating IP with %s failed (%s); "
						 "retried by the service thread",
						 in.port_id, strerror(-r));
			else
				r = mgr_req_fail(r, why, size, "putting %s on %s: %s", sp.addr,
						 in.ifname, strerror(-r));
			goto out;
		}
	}
	*ret = json_pack("{s:o, s:s}", "service", mgr_status_json(m, &sp), "port_id", in.port_id);
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
	int r = mgr_req_service(m, mgr_req_str(req, "name"), &sp, why, size);

	if (r >= 0)
		r = mgr_req_instance(m, req, &sp, &in, why, size);
	if (r < 0)
		goto out;
	if (streq(sp.state.active, in.port_id) || streq(sp.state.from, in.port_id)) {
		r = mgr_req_fail(-EBUSY, why, size, "%s answers for service '%s': move it first",
				 in.port_id, sp.name);
		goto out;
	}
	r = service_vip_release(in.netns_fd, in.ifname, sp.family, &sp.ip);
	if (r >= 0)
		r = service_member_remove(m->nc, sp.name, sp.addr, in.port_id, &e);
	if (r >= 0)
		r = store_service_delete(m->store, sp.name, in.port_id);
	if (r < 0) {
		r = mgr_req_fail(r, why, size, "detaching %s: %s", in.port_id,
				 mgr_req_neutron_why(&e, r));
		goto out;
	}
	*ret = json_pack("{s:s, s:s}", "detached", in.port_id, "service", sp.name);
	r = *ret ? 0 : -ENOMEM;
out:
	mgr_instance_close(&in);
	return r;
}

int service_mgr_ctl(struct service_mgr *m, const json_t *req, json_t **ret, char *why,
		    size_t size)
{
	const char *op = mgr_req_str(req, "op");

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
		return mgr_move_op(m, req, ret, why, size);
	if (streq(op, "status"))
		return mgr_status_op(m, req, ret, why, size);
	return mgr_req_fail(-EOPNOTSUPP, why, size, "unknown service operation '%s'", op ? op : "");
}

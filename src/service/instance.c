/* A local instance of a service (a port of this host held by a container,
 * found through the store) and the service's address on it, by the
 * service's method. */
#include "service/mgr_internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "netns/netns.h"
#include "service/announce.h"
#include "common/log.h"
#include "service/fip.h"
#include "service/svcif.h"
#include "service/vip.h"

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

int mgr_binding_plug(struct service_mgr *m, struct mgr_instance *in, const struct service_port *sp,
		     bool up, struct service_svcif_net *ret_net, char *why, size_t size)
{
	struct nl_extack ext = { { 0 } };
	struct service_svcif_net net;
	struct neutron_error e = { 0 };
	enum service_svcif_place where = SERVICE_SVCIF_NONE;
	int r;

	if (sp->family != AF_INET)
		return mgr_req_fail(-EAFNOSUPPORT, why, size, "the binding method is IPv4 only");
	r = service_svcif_net_read(m->nc, sp, &net, &e);
	if (r < 0)
		return mgr_req_fail(r, why, size, "reading the service's subnet: %s",
				    mgr_req_neutron_why(&e, r));
	r = service_svcif_where(in->netns_fd, sp, &where);
	if (r >= 0 && where == SERVICE_SVCIF_NONE)
		r = service_svcif_plug(&m->ovs, in->netns_fd, in->ifname, sp, &net, &ext);
	if (r >= 0)
		r = service_svcif_set_up(in->netns_fd, sp, &net, up, &ext);
	if (r < 0)
		return mgr_req_fail(r, why, size, "plugging the service port into %s: %s",
				    in->container_id, ext.msg[0] ? ext.msg : strerror(-r));
	if (ret_net)
		*ret_net = net;
	return 0;
}

/* binding: the service port plugged into this instance, up, and bound to
 * this host alone (a first instance, a move undone, a final PUT lost). */
static int binding_take(struct service_mgr *m, struct mgr_instance *in,
			const struct service_port *sp)
{
	struct service_port now = *sp;
	char why[256] = "";
	int r = mgr_binding_plug(m, in, sp, true, NULL, why, sizeof(why));

	if (r < 0) {
		log_info_rl("service '%s': %s", sp->name, why);
		return r;
	}
	if (!streq(sp->host, m->host) || sp->migrating_to[0])
		r = service_port_bind(m->nc, &now, m->host, NULL, NULL);
	return r;
}

int mgr_binding_let_go(struct service_mgr *m, const char *service, struct mgr_instance *in,
		       const char *addr)
{
	struct nl_extack ext = { { 0 } };
	int r;

	if (!(m->ovs.db && bind_ovs_available(&m->ovs)))
		return 0;
	r = service_svcif_unplug(&m->ovs, service, in ? in->netns_fd : -1, addr, &ext);
	if (r < 0)
		log_info_rl("service '%s': unplugging its port: %s", service,
			    ext.msg[0] ? ext.msg : strerror(-r));
	return r;
}

int mgr_binding_quiet(struct mgr_instance *in, const struct service_port *sp)
{
	struct nl_extack ext = { { 0 } };
	int r = service_svcif_set_up(in->netns_fd, sp, NULL, false, &ext);

	return r == -ENODEV ? 0 : r;
}

bool mgr_binding_holds(struct mgr_instance *in, const struct service_port *sp)
{
	enum service_svcif_place where = SERVICE_SVCIF_NONE;

	return in && in->netns_fd >= 0 && service_svcif_where(in->netns_fd, sp, &where) >= 0 &&
	       where != SERVICE_SVCIF_NONE;
}

int mgr_instance_take(struct service_mgr *m, struct mgr_instance *in, const struct service_port *sp)
{
	struct service_fip f;
	int r;

	if (sp->state.method == SERVICE_METHOD_BINDING)
		return binding_take(m, in, sp);
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

int mgr_instance_taken(struct service_mgr *m, struct mgr_instance *in,
		       const struct service_port *sp, bool *ret)
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
	if (sp->state.method == SERVICE_METHOD_BINDING) {
		enum service_svcif_place p = SERVICE_SVCIF_NONE;

		r = service_svcif_where(in->netns_fd, sp, &p);
		if (r >= 0)
			*ret = p == SERVICE_SVCIF_UP;
		return r;
	}
	r = service_vip_where(in->netns_fd, in->ifname, sp->family, &sp->ip, &where);
	if (r >= 0)
		*ret = where == SERVICE_VIP_IFACE;
	return r;
}

int mgr_instance_fip_leave(struct service_mgr *m, const struct service_port *sp,
			   const char *port_id)
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

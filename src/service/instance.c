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
#include "service/fip.h"
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

int mgr_instance_take(struct service_mgr *m, struct mgr_instance *in, const struct service_port *sp)
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

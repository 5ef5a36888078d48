/* What an sfctl service request names, for the operations (ops.c,
 * status.c, move.c): the service in Neutron, the container's instance on
 * this host and its membership; and the message a failure leaves in why. */
#include "service/mgr_internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int mgr_req_fail(int r, char *why, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, size, fmt, ap);
	va_end(ap);
	return r;
}

const char *mgr_req_neutron_why(const struct neutron_error *e, int r)
{
	return e->message[0] ? e->message : strerror(-r);
}

const char *mgr_req_str(const json_t *req, const char *key)
{
	return json_string_value(json_object_get(req, key));
}

int mgr_req_service(struct service_mgr *m, const char *name, struct service_port *sp, char *why,
		    size_t size)
{
	struct neutron_error e = { 0 };
	int r;

	if (!service_name_valid(name))
		return mgr_req_fail(-EINVAL, why, size,
				    "'%s' is not a service name (a-z, 0-9, '-', at most %d)",
				    name ? name : "", SERVICE_NAME_MAX);
	r = service_port_find(m->nc, name, sp, &e);
	if (r == -ENOENT)
		return mgr_req_fail(r, why, size, "no service '%s'", name);
	if (r < 0)
		return mgr_req_fail(r, why, size, "looking up service '%s' in Neutron: %s", name,
				    mgr_req_neutron_why(&e, r));
	return 0;
}

static const char *ifname_of(const json_t *req)
{
	const char *ifname = mgr_req_str(req, "ifname");

	return ifname ? ifname : "eth0";
}

int mgr_req_instance(struct service_mgr *m, const json_t *req, const struct service_port *sp,
		     struct mgr_instance *in, char *why, size_t size)
{
	const char *cid = mgr_req_str(req, "container");
	int r;

	if (!cid)
		return mgr_req_fail(-EINVAL, why, size, "which container? (container id)");
	r = mgr_instance_by_holder(m, cid, ifname_of(req), sp->family, in);
	if (r == -ENOENT)
		return mgr_req_fail(r, why, size,
				    "container '%s' holds no port on this host as '%s'", cid,
				    ifname_of(req));
	if (r == -EADDRNOTAVAIL)
		return mgr_req_fail(r, why, size,
				    "container '%s' has no %s address for service '%s'", cid,
				    sp->family == AF_INET ? "IPv4" : "IPv6", sp->name);
	if (r < 0)
		return mgr_req_fail(r, why, size, "container '%s': %s", cid, strerror(-r));
	return 0;
}

/* The instance's pair and tag in Neutron, recorded here as STANDBY. */
int mgr_req_member(struct service_mgr *m, const struct service_port *sp,
		   const struct mgr_instance *in, struct store_service_row *ret_row, char *why,
		   size_t size)
{
	struct neutron_error e = { 0 };
	int r = store_service_get(m->store, sp->name, in->port_id, ret_row);

	if (r == 0 && ret_row->role != STORE_SERVICE_JOINING && ret_row->role != STORE_SERVICE_LEAVING &&
	    ret_row->role != STORE_SERVICE_RETURNING)
		return 0;
	store_service_row_done(ret_row);
	r = service_member_add(m->nc, sp, in->port_id, &e);
	if (r < 0)
		return mgr_req_fail(r, why, size,
				    "adding %s to port %s's allowed address pairs: %s", sp->addr,
				    in->port_id, mgr_req_neutron_why(&e, r));
	/* `until` of a STANDBY row: since when it is a member (for the settle;
	 * 0: long, for a port that was one already). */
	r = store_service_put(m->store, sp->name, in->port_id, sp->addr, STORE_SERVICE_STANDBY,
			      (int64_t)sp->state.epoch, r == 1 ? 0 : store_clock_ms());
	if (r >= 0)
		r = store_service_get(m->store, sp->name, in->port_id, ret_row);
	return r < 0 ? mgr_req_fail(r, why, size, "recording the instance: %s", strerror(-r)) : 0;
}

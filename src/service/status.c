/* sfctl service status: one service (its state, its floating IP, its
 * instances as Neutron and this host's journal have them) or all. */
#include "service/mgr_internal.h"

#include <errno.h>
#include <string.h>

#include "service/fip.h"

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
 * when it cannot be read); for a binding service where Neutron binds the
 * service port: "binding_host", "migrating_to" (null when none). */
json_t *mgr_status_json(struct service_mgr *m, const struct service_port *sp)
{
	json_t *o = state_json(sp);
	struct neutron_error e = { 0 };
	struct service_fip f;
	int r;

	if (o && sp->state.method == SERVICE_METHOD_BINDING)
		json_object_update_new(o, json_pack("{s:s?, s:s?}", "binding_host",
						    sp->host[0] ? sp->host : NULL, "migrating_to",
						    sp->migrating_to[0] ? sp->migrating_to : NULL));
	if (!o || sp->state.method != SERVICE_METHOD_FIP)
		return o;
	r = service_fip_find(m->nc, sp->name, &f, &e);
	if (r < 0)
		json_object_set_new(o, "floating_error",
				    json_string(r == -ENOENT ? "the service has no floating IP"
							     : mgr_req_neutron_why(&e, r)));
	else
		json_object_update_new(o, json_pack("{s:s, s:s, s:s?}", "floating_address", f.addr,
						    "floating_ip_id", f.id, "floating_port_id",
						    f.port_id[0] ? f.port_id : NULL));
	return o;
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

static int status_one(struct service_mgr *m, const json_t *req, json_t **ret, char *why,
		      size_t size)
{
	struct service_port sp;
	json_t *o;
	int r = mgr_req_service(m, mgr_req_str(req, "name"), &sp, why, size);

	if (r < 0)
		return r;
	o = mgr_status_json(m, &sp);
	if (!o || json_object_set_new(o, "instances", members_json(m, &sp)) < 0) {
		json_decref(o);
		return -ENOMEM;
	}
	*ret = json_pack("{s:o}", "service", o);
	return *ret ? 0 : -ENOMEM;
}

static int status_all(struct service_mgr *m, json_t **ret, char *why, size_t size)
{
	struct neutron_error e = { 0 };
	json_t *ports = NULL, *arr = json_array(), *p;
	size_t i;
	int r = service_port_list(m->nc, &ports, &e);

	if (r < 0) {
		json_decref(arr);
		return mgr_req_fail(r, why, size, "listing services in Neutron: %s",
				    mgr_req_neutron_why(&e, r));
	}
	json_array_foreach(ports, i, p) {
		struct service_port sp;

		if (arr && service_port_from_json(p, &sp) == 0)
			json_array_append_new(arr, mgr_status_json(m, &sp));
	}
	json_decref(ports);
	*ret = arr ? json_pack("{s:o}", "services", arr) : NULL;
	return *ret ? 0 : -ENOMEM;
}

int mgr_status_op(struct service_mgr *m, const json_t *req, json_t **ret, char *why, size_t size)
{
	return mgr_req_str(req, "name") ? status_one(m, req, ret, why, size)
					: status_all(m, ret, why, size);
}

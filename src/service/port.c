/* The service port and its instances' ports in Neutron. */
#include "service/port.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PAIRS_RETRIES 5

static int tag(const char *prefix, const char *name, char *buf, size_t size)
{
	int n = snprintf(buf, size, "%s=%s", prefix, name);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

int service_member_tag(const char *name, char *buf, size_t size)
{
	return tag("sf-member", name, buf, size);
}

static int copy_str(const json_t *o, const char *key, char *dst, size_t size)
{
	const char *v = json_string_value(json_object_get(o, key));

	return v && util_strlcpy(dst, v, size) >= 0 ? 0 : -EINVAL;
}

int service_port_from_json(const json_t *port, struct service_port *ret)
{
	struct service_port sp = { 0 };
	const json_t *fip, *tags, *t;
	const char *name;
	size_t i;

	if (!streq(json_string_value(json_object_get(port, "device_owner")),
		   SERVICE_DEVICE_OWNER))
		return -EINVAL;
	name = json_string_value(json_object_get(port, "name"));
	if (!name || strncmp(name, "sf-svc-", 7) != 0 || !service_name_valid(name + 7))
		return -EINVAL;
	snprintf(sp.name, sizeof(sp.name), "%s", name + 7);
	if (copy_str(port, "id", sp.id, sizeof(sp.id)) < 0 ||
	    copy_str(port, "network_id", sp.network_id, sizeof(sp.network_id)) < 0)
		return -EINVAL;
	fip = json_array_get(json_object_get(port, "fixed_ips"), 0);
	if (copy_str(fip, "ip_address", sp.addr, sizeof(sp.addr)) < 0 ||
	    copy_str(fip, "subnet_id", sp.subnet_id, sizeof(sp.subnet_id)) < 0)
		return -EINVAL;
	if (inet_pton(AF_INET, sp.addr, &sp.ip.v4) == 1)
		sp.family = AF_INET;
	else if (inet_pton(AF_INET6, sp.addr, &sp.ip.v6) == 1)
		sp.family = AF_INET6;
	else
		return -EINVAL;
	if (!json_is_integer(json_object_get(port, "revision_number")))
		return -EINVAL;
	sp.revision = json_integer_value(json_object_get(port, "revision_number"));
	/* The name is the handle; the tag proves it is ours. */
	tags = json_object_get(port, "tags");
	json_array_foreach(tags, i, t) {
		const char *s = json_string_value(t);

		if (s && strncmp(s, "sf-service=", 11) == 0 && streq(s + 11, sp.name))
			break;
	}
	if (i == json_array_size(tags))
		return -EINVAL;
	if (service_state_parse(json_string_value(json_object_get(port, "description")),
				&sp.state) < 0)
		return -EINVAL;
	(void)util_strlcpy(sp.mac, json_string_value(json_object_get(port, "mac_address")) ?: "",
			   sizeof(sp.mac));
	(void)util_strlcpy(sp.host, json_string_value(json_object_get(port, "binding:host_id")) ?: "",
			   sizeof(sp.host));
	(void)util_strlcpy(sp.migrating_to,
			   json_string_value(json_object_get(
				   json_object_get(port, "binding:profile"), "migrating_to")) ?: "",
			   sizeof(sp.migrating_to));
	/* The method, a tag: none is aap (services made before methods). */
	json_array_foreach(tags, i, t) {
		const char *s = json_string_value(t);

		if (s && strncmp(s, "sf-method=", 10) == 0 &&
		    service_method_parse(s + 10, &sp.state.method, NULL, 0) < 0)
			return -EINVAL;
	}
	*ret = sp;
	return 0;
}

int service_port_create(struct neutron_client *c, const char *name, const char *network_id,
			const char *subnet_id, const char *ip, const struct service_state *st,
			struct service_port *ret, struct neutron_error *err)
{
	char pname[64], ptag[64], mtag[32];
	json_t *attrs = NULL, *fip = NULL, *port = NULL;
	char *desc = NULL;
	struct service_port sp;
	int r;

	if (!service_name_valid(name))
		return -EINVAL;
	r = service_port_find(c, name, &sp, err);
	if (r == 0)
		return -EEXIST;
	if (r != -ENOENT)
		return r;
	r = service_state_format(st, &desc);
	if (r < 0)
		return r;
	snprintf(pname, sizeof(pname), "sf-svc-%s", name);
	r = tag("sf-service", name, ptag, sizeof(ptag));
	if (r >= 0)
		r = tag("sf-method", service_method_to_string(st->method), mtag, sizeof(mtag));
	if (r < 0)
		goto out;
	r = -ENOMEM;
	attrs = json_pack("{s:s, s:s, s:s, s:s, s:[s], s:b}", "network_id", network_id, "name",
			  pname, "device_owner", SERVICE_DEVICE_OWNER, "description", desc,
			  "tags", ptag, "admin_state_up", true);
	if (!attrs ||
	    (st->method != SERVICE_METHOD_AAP &&
	     json_array_append_new(json_object_get(attrs, "tags"), json_string(mtag)) < 0))
		goto out;
	if (subnet_id || ip) {
		json_t *one = json_object();

		fip = json_array();
		if (!one || !fip || json_array_append_new(fip, one) < 0 ||
		    (subnet_id && json_object_set_new(one, "subnet_id", json_string(subnet_id)) < 0) ||
		    (ip && json_object_set_new(one, "ip_address", json_string(ip)) < 0) ||
		    json_object_set(attrs, "fixed_ips", fip) < 0)
			goto out;
	}
	r = neutron_port_create(c, attrs, &port, err);
	if (r < 0)
		goto out;
	r = service_port_from_json(port, &sp);
	if (r < 0) {
		/* Not ours after all (Neutron dropped the tag?): leave nothing behind. */
		const char *id = json_string_value(json_object_get(port, "id"));

		if (id && service_port_delete(c, id, NULL) < 0)
			r = -EIO;
		goto out;
	}
	*ret = sp;
out:
	json_decref(port);
	json_decref(fip);
	json_decref(attrs);
	free(desc);
	return r;
}

static int list_by_tag(struct neutron_client *c, const char *t, bool service, json_t **ret,
		       struct neutron_error *err)
{
	struct neutron_filter f[2] = { { "tags", t }, { "device_owner", SERVICE_DEVICE_OWNER } };

	return neutron_list(c, "ports", f, service ? 2 : 1, 0, ret, err);
}

int service_port_find(struct neutron_client *c, const char *name, struct service_port *ret,
		      struct neutron_error *err)
{
	char t[64];
	json_t *ports = NULL, *p;
	struct service_port sp, found = { 0 };
	size_t i, n = 0;
	int r;

	if (!service_name_valid(name))
		return -EINVAL;
	r = tag("sf-service", name, t, sizeof(t));
	if (r >= 0)
		r = list_by_tag(c, t, true, &ports, err);
	if (r < 0)
		return r;
	json_array_foreach(ports, i, p) {
		if (service_port_from_json(p, &sp) == 0 && streq(sp.name, name)) {
			found = sp;
			n++;
		}
	}
	json_decref(ports);
	if (n == 0)
		return -ENOENT;
	if (n > 1)
		return -ENOTUNIQ;
	*ret = found;
	return 0;
}

int service_port_list(struct neutron_client *c, json_t **ret, struct neutron_error *err)
{
	struct neutron_filter f = { "device_owner", SERVICE_DEVICE_OWNER };

	return neutron_list(c, "ports", &f, 1, 0, ret, err);
}

/* A PUT of attrs (If-Match on revision, none when negative); on success sp
 * is the port Neutron answered. */
static int update_port(struct neutron_client *c, struct service_port *sp, const json_t *attrs,
		       int64_t revision, struct neutron_error *err)
{
	struct service_port updated;
	json_t *port = NULL;
	int r = neutron_port_update(c, sp->id, attrs, revision, &port, err);

	if (r >= 0)
		r = service_port_from_json(port, &updated);
	if (r >= 0)
		*sp = updated;
	json_decref(port);
	return r;
}

int service_port_bind(struct neutron_client *c, struct service_port *sp, const char *host,
		      const char *migrating_to, struct neutron_error *err)
{
	json_t *attrs;
	int r;

	if (migrating_to)
		attrs = json_pack("{s:{s:s}}", "binding:profile", "migrating_to", migrating_to);
	else
		attrs = json_pack("{s:s, s:{}}", "binding:host_id", host, "binding:profile");
	/* No If-Match: the binding is not the state's (the state's writers
	 * compare-and-set the description only). */
	r = attrs ? update_port(c, sp, attrs, -1, err) : -ENOMEM;
	json_decref(attrs);
	return r;
}

/* The same service state: what a writer based its decision on. */
static bool same_state(const struct service_state *a, const struct service_state *b)
{
	return a->epoch == b->epoch && a->phase == b->phase && streq(a->active, b->active) &&
	       streq(a->from, b->from);
}

static int set_state_once(struct neutron_client *c, struct service_port *sp, const char *desc,
			  struct neutron_error *err)
{
	json_t *attrs = json_pack("{s:s}", "description", desc);
	int r = attrs ? update_port(c, sp, attrs, sp->revision, err) : -ENOMEM;

	json_decref(attrs);
	return r;
}

int service_port_set_state(struct neutron_client *c, struct service_port *sp,
			   const struct service_state *st, struct neutron_error *err)
{
	char *desc = NULL;
	int r;

	r = service_state_format(st, &desc);
	if (r < 0)
		return r;
	/* Neutron bumps a port's revision for more than our writes (its own
	 * after-commit updates): a stale revision whose state is still the one
	 * we read is no conflict, so it is tried again on the fresh revision.
	 * A changed state is somebody else's move: -ESTALE. */
	for (int attempt = 0; attempt < 5; attempt++) {
		struct service_port fresh;
		json_t *port = NULL;

		r = set_state_once(c, sp, desc, err);
		if (r != -ESTALE)
			break;
		r = neutron_port_show(c, sp->id, &port, err);
		if (r >= 0)
			r = service_port_from_json(port, &fresh);
		json_decref(port);
		if (r < 0)
			break;
		if (!same_state(&fresh.state, &sp->state)) {
			r = -ESTALE;
			break;
		}
		sp->revision = fresh.revision;
		r = -ESTALE;
	}
	free(desc);
	return r;
}

int service_port_delete(struct neutron_client *c, const char *id, struct neutron_error *err)
{
	int r = neutron_port_delete(c, id, err);

	return r == -ENOENT ? 0 : r;
}

/* The pairs without `addr`, and whether it was there. */
static json_t *pairs_without(const json_t *pairs, const char *addr, bool *ret_found)
{
	json_t *out = json_array(), *p;
	size_t i;

	*ret_found = false;
	if (!out)
		return NULL;
	json_array_foreach(pairs, i, p) {
		const char *ip = json_string_value(json_object_get(p, "ip_address"));

		if (streq(ip, addr)) {
			*ret_found = true;
			continue;
		}
		if (json_array_append(out, p) < 0) {
			json_decref(out);
			return NULL;
		}
	}
	return out;
}

/* One read-modify-write of the port's pairs: -ESTALE when another writer
 * got there first. */
static int pairs_once(struct neutron_client *c, const char *port_id, const char *addr,
		      bool add, struct neutron_error *err)
{
	json_t *port = NULL, *pairs = NULL, *attrs = NULL;
	const char *mac;
	bool found;
	int r;

	r = neutron_port_show(c, port_id, &port, err);
	if (r < 0)
		return r;
	mac = json_string_value(json_object_get(port, "mac_address"));
	pairs = pairs_without(json_object_get(port, "allowed_address_pairs"), addr, &found);
	r = -ENOMEM;
	if (!pairs || !mac)
		goto out;
	if (found == add) {
		r = 0;      /* already as wanted */
		goto out;
	}
	if (add && json_array_append_new(pairs, json_pack("{s:s, s:s}", "ip_address", addr,
							  "mac_address", mac)) < 0)
		goto out;
	attrs = json_pack("{s:O}", "allowed_address_pairs", pairs);
	if (!attrs)
		goto out;
	r = neutron_port_update(c, port_id, attrs,
				json_integer_value(json_object_get(port, "revision_number")), NULL,
				err);
out:
	json_decref(attrs);
	json_decref(pairs);
	json_decref(port);
	return r;
}

static int update_pairs(struct neutron_client *c, const char *port_id, const char *addr,
			bool add, struct neutron_error *err)
{
	int r = -ESTALE;

	for (int attempt = 0; attempt < PAIRS_RETRIES && r == -ESTALE; attempt++)
		r = pairs_once(c, port_id, addr, add, err);
	return r;
}

/* The port has the service's pair and its member tag already (binding:
 * the tag only: the service port carries the address). */
static bool is_member(const json_t *port, const char *addr, const char *tag, bool pair)
{
	json_t *pairs = NULL, *t;
	bool found = false;
	size_t i;

	json_array_foreach(json_object_get(port, "tags"), i, t)
		if (streq(json_string_value(t), tag))
			break;
	if (i == json_array_size(json_object_get(port, "tags")))
		return false;
	if (!pair)
		return true;
	pairs = pairs_without(json_object_get(port, "allowed_address_pairs"), addr, &found);
	json_decref(pairs);
	return found;
}

int service_member_add(struct neutron_client *c, const struct service_port *sp,
		       const char *port_id, struct neutron_error *err)
{
	bool pair = sp->state.method != SERVICE_METHOD_BINDING;
	json_t *port = NULL;
	char t[64];
	int r = service_member_tag(sp->name, t, sizeof(t));

	/* One read answers for a port that is an instance already (a port of
	 * the service's own pool): the deploy's fast path. */
	if (r >= 0)
		r = neutron_port_show(c, port_id, &port, err);
	if (r >= 0 && is_member(port, sp->addr, t, pair))
		r = 1;
	json_decref(port);
	if (r != 0)
		return r;
	if (pair)
		r = update_pairs(c, port_id, sp->addr, true, err);
	if (r >= 0)
		r = neutron_tag_add(c, "ports", port_id, t, err);
	return r < 0 ? r : 0;
}

int service_member_remove(struct neutron_client *c, const char *name, const char *addr,
			  const char *port_id, struct neutron_error *err)
{
	char t[64];
	int r = service_member_tag(name, t, sizeof(t));

	if (r >= 0)
		r = update_pairs(c, port_id, addr, false, err);
	if (r >= 0)
		r = neutron_tag_remove(c, "ports", port_id, t, err);
	return r == -ENOENT ? 0 : r;
}

int service_member_list(struct neutron_client *c, const char *name, json_t **ret,
			struct neutron_error *err)
{
	char t[64];
	int r = service_member_tag(name, t, sizeof(t));

	return r < 0 ? r : list_by_tag(c, t, false, ret, err);
}

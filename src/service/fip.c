/* A service's floating IP in Neutron (method "fip"). */
#include "service/fip.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static int tag_of(const char *name, char *buf, size_t size)
{
	int n = snprintf(buf, size, "sf-service=%s", name);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

static bool tagged(const json_t *fip, const char *t)
{
	const json_t *v;
	size_t i;

	json_array_foreach(json_object_get(fip, "tags"), i, v)
		if (streq(json_string_value(v), t))
			return true;
	return false;
}

static int from_json(const json_t *o, struct service_fip *ret)
{
	struct service_fip f = { 0 };
	const char *id = json_string_value(json_object_get(o, "id"));
	const char *addr = json_string_value(json_object_get(o, "floating_ip_address"));
	const char *net = json_string_value(json_object_get(o, "floating_network_id"));
	const char *port = json_string_value(json_object_get(o, "port_id"));

	if (!id || !addr || !net || util_strlcpy(f.id, id, sizeof(f.id)) < 0 ||
	    util_strlcpy(f.addr, addr, sizeof(f.addr)) < 0 ||
	    util_strlcpy(f.network_id, net, sizeof(f.network_id)) < 0 ||
	    (port && util_strlcpy(f.port_id, port, sizeof(f.port_id)) < 0))
		return -EINVAL;
	*ret = f;
	return 0;
}

int service_fip_find(struct neutron_client *c, const char *name, struct service_fip *ret,
		     struct neutron_error *err)
{
	struct service_fip f = { 0 };
	struct neutron_filter filter;
	json_t *fips = NULL, *o;
	char t[64];
	size_t i, n = 0;
	int r = tag_of(name, t, sizeof(t));

	if (r < 0)
		return r;
	filter = (struct neutron_filter){ "tags", t };
	r = neutron_list(c, "floatingips", &filter, 1, 0, &fips, err);
	if (r < 0)
		return r;
	json_array_foreach(fips, i, o) {
		/* The filter is Neutron's; the tag is checked again here. */
		if (tagged(o, t) && from_json(o, &f) == 0)
			n++;
	}
	json_decref(fips);
	if (n == 0)
		return -ENOENT;
	if (n > 1)
		return -ENOTUNIQ;
	*ret = f;
	return 0;
}

int service_fip_delete(struct neutron_client *c, const char *id, struct neutron_error *err)
{
	int r = neutron_resource_delete(c, "floatingips", id, err);

	return r == -ENOENT ? 0 : r;
}

int service_fip_create(struct neutron_client *c, const char *name, const char *network_id,
		       struct service_fip *ret, struct neutron_error *err)
{
	struct service_fip f;
	json_t *attrs = NULL, *o = NULL;
	char t[64];
	int r = tag_of(name, t, sizeof(t));

	if (r < 0)
		return r;
	r = service_fip_find(c, name, &f, err);
	if (r == 0 || r == -ENOTUNIQ)
		return -EEXIST;
	if (r != -ENOENT)
		return r;
	/* Neutron (Zed) takes no tags in a floating IP's POST: tagged after. */
	attrs = json_pack("{s:s, s:s}", "floating_network_id", network_id, "description",
			  "superfluid service address");
	if (!attrs)
		return -ENOMEM;
	r = neutron_resource_create(c, "floatingips", "floatingip", attrs, &o, err);
	if (r < 0)
		goto out;
	r = from_json(o, &f);     /* o is the member, unwrapped */
	if (r >= 0)
		r = neutron_tag_add(c, "floatingips", f.id, t, err);
	if (r < 0) {
		const char *id = json_string_value(json_object_get(o, "id"));

		/* Leave nothing behind: an untagged floating IP is nobody's. */
		if (id && service_fip_delete(c, id, NULL) < 0)
			r = -EIO;
		goto out;
	}
	*ret = f;
out:
	json_decref(o);
	json_decref(attrs);
	return r;
}

int service_fip_associate(struct neutron_client *c, struct service_fip *f, const char *port_id,
			  struct neutron_error *err)
{
	json_t *attrs = json_pack("{s:s?}", "port_id", port_id);
	int r;

	/* port_id NULL: a JSON null, which disassociates. */
	if (!attrs)
		return -ENOMEM;
	r = neutron_resource_update(c, "floatingips", "floatingip", f->id, attrs, -1, NULL, err);
	json_decref(attrs);
	if (r >= 0)
		snprintf(f->port_id, sizeof(f->port_id), "%s", port_id ? port_id : "");
	return r;
}

/* Results to and from JSON, per spec version (see result.h). */
#include "cni/json.h"
#include "cni/result.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

/* The builders below return NULL without memory.  json_object_set_new()
 * and json_array_append_new() fail for a NULL value and drop the value on
 * failure, so each builder ORs their results and checks once. */
static int set_str(json_t *o, const char *key, const char *v)
{
	if (v && v[0])
		return json_object_set_new(o, key, json_string(v));
	return 0;
}

static int set_uint(json_t *o, const char *key, int v)
{
	if (v > 0)
		return json_object_set_new(o, key, json_integer(v));
	return 0;
}

/* Takes `o`: returns it, or NULL (freeing it) when `bad`. */
static json_t *checked(json_t *o, int bad)
{
	if (!bad)
		return o;
	json_decref(o);
	return NULL;
}

static json_t *strv_json(char *const *v, size_t n)
{
	json_t *a = json_array();
	int bad = !a;

	for (size_t i = 0; i < n; i++)
		bad |= json_array_append_new(a, json_string(v[i]));
	return checked(a, bad);
}

static json_t *dns_json(const struct cni_dns *dns)
{
	json_t *o = json_object();
	int bad = !o;

	if (dns->n_nameservers)
		bad |= json_object_set_new(o, "nameservers",
					   strv_json(dns->nameservers, dns->n_nameservers));
	bad |= set_str(o, "domain", dns->domain);
	if (dns->n_search)
		bad |= json_object_set_new(o, "search", strv_json(dns->search, dns->n_search));
	if (dns->n_options)
		bad |= json_object_set_new(o, "options", strv_json(dns->options, dns->n_options));
	return checked(o, bad);
}

static json_t *interface_json(const struct cni_interface *i, enum cni_version v)
{
	json_t *o = json_object();
	int bad = !o;

	bad |= json_object_set_new(o, "name", json_string(i->name));
	bad |= set_str(o, "mac", i->mac);
	if (v >= CNI_VERSION_1_1_0)
		bad |= set_uint(o, "mtu", i->mtu);
	bad |= set_str(o, "sandbox", i->sandbox);
	if (v >= CNI_VERSION_1_1_0) {
		bad |= set_str(o, "socketPath", i->socket_path);
		bad |= set_str(o, "pciID", i->pci_id);
	}
	return checked(o, bad);
}

static json_t *ip_json(const struct cni_ip *ip, enum cni_version v)
{
	json_t *o = json_object();
	int bad = !o;

	if (v < CNI_VERSION_1_0_0)
		bad |= json_object_set_new(o, "version",
					   json_string(cni_cidr_family(ip->address) == 6 ? "6" : "4"));
	if (ip->has_interface)
		bad |= json_object_set_new(o, "interface", json_integer(ip->interface));
	bad |= json_object_set_new(o, "address", json_string(ip->address));
	bad |= set_str(o, "gateway", ip->gateway);
	return checked(o, bad);
}

static json_t *route_json(const struct cni_route *rt, enum cni_version v)
{
	json_t *o = json_object();
	int bad = !o;

	bad |= json_object_set_new(o, "dst", json_string(rt->dst));
	bad |= set_str(o, "gw", rt->gw);
	if (v >= CNI_VERSION_1_1_0) {
		bad |= set_uint(o, "mtu", rt->mtu);
		bad |= set_uint(o, "advmss", rt->advmss);
		bad |= set_uint(o, "priority", rt->priority);
		if (rt->has_table)
			bad |= json_object_set_new(o, "table", json_integer(rt->table));
		if (rt->has_scope)
			bad |= json_object_set_new(o, "scope", json_integer(rt->scope));
	}
	return checked(o, bad);
}

int cni_result_to_json(const struct cni_result *res, enum cni_version v, char **ret)
{
	json_t *o = json_object(), *a;
	int r, bad = !o;

	bad |= json_object_set_new(o, "cniVersion", json_string(cni_version_str(v)));
	if (res->n_interfaces) {
		a = json_array();
		for (size_t i = 0; i < res->n_interfaces; i++)
			bad |= json_array_append_new(a, interface_json(&res->interfaces[i], v));
		bad |= json_object_set_new(o, "interfaces", checked(a, bad));
	}
	if (res->n_ips) {
		a = json_array();
		for (size_t i = 0; i < res->n_ips; i++)
			bad |= json_array_append_new(a, ip_json(&res->ips[i], v));
		bad |= json_object_set_new(o, "ips", checked(a, bad));
	}
	if (res->n_routes) {
		a = json_array();
		for (size_t i = 0; i < res->n_routes; i++)
			bad |= json_array_append_new(a, route_json(&res->routes[i], v));
		bad |= json_object_set_new(o, "routes", checked(a, bad));
	}
	if (!cni_dns_is_empty(&res->dns))
		bad |= json_object_set_new(o, "dns", dns_json(&res->dns));
	r = bad ? -ENOMEM : cni_json_dump(o, ret);
	json_decref(o);
	return r;
}

int cni_dns_from_json(const json_t *obj, const char *ctx, struct cni_dns *ret,
		      struct cni_error *err)
{
	struct cni_dns dns = { 0 };
	const char *domain = NULL;
	int r;

	if (!json_is_object(obj)) {
		cni_error_set(err, CNI_ERR_INVALID_CONFIG, "'%.*s' must be an object",
			      (int)strlen(ctx) - 1, ctx);
		return -EINVAL;
	}
	r = cni_json_strv(obj, "nameservers", ctx, CNI_ERR_INVALID_CONFIG, &dns.nameservers,
			  &dns.n_nameservers, err);
	if (r >= 0)
		r = cni_json_string(obj, "domain", ctx, CNI_ERR_INVALID_CONFIG, &domain, err);
	if (r >= 0)
		r = cni_json_strv(obj, "search", ctx, CNI_ERR_INVALID_CONFIG, &dns.search,
				  &dns.n_search, err);
	if (r >= 0)
		r = cni_json_strv(obj, "options", ctx, CNI_ERR_INVALID_CONFIG, &dns.options,
				  &dns.n_options, err);
	for (size_t i = 0; r >= 0 && i < dns.n_nameservers; i++)
		if (cni_ip_family(dns.nameservers[i]) < 0) {
			cni_error_set(err, CNI_ERR_INVALID_CONFIG,
				      "'%snameservers' has '%.64s', which is not an IP address", ctx,
				      dns.nameservers[i]);
			r = -EINVAL;
		}
	if (r < 0) {
		cni_dns_done(&dns);
		return r;
	}
	if (domain && !(dns.domain = strdup(domain))) {
		cni_dns_done(&dns);
		return cni_error_nomem(err);
	}
	*ret = dns;
	return 0;
}

#define CTX_MAX 96

static int bad_value(struct cni_error *err, const char *ctx, const char *key, const char *what)
{
	cni_error_set(err, CNI_ERR_INVALID_CONFIG, "'%s%s' must be %s", ctx, key, what);
	return -EINVAL;
}

static int interface_from_json(struct cni_result *res, const json_t *o, const char *ctx,
			       struct cni_error *err)
{
	struct cni_interface i = { 0 };
	long long mtu = 0;
	const int c = CNI_ERR_INVALID_CONFIG;
	int r;

	if (!json_is_object(o)) {
		cni_error_set(err, c, "'%.*s' must be an object", (int)strlen(ctx) - 1, ctx);
		return -EINVAL;
	}
	r = cni_json_string(o, "name", ctx, c, (const char **)&i.name, err);
	if (r >= 0 && (!i.name || !i.name[0]))
		r = bad_value(err, ctx, "name", "a non-empty string");
	if (r >= 0)
		r = cni_json_string(o, "mac", ctx, c, (const char **)&i.mac, err);
	if (r >= 0)
		r = cni_json_int(o, "mtu", ctx, c, 0, INT32_MAX, &mtu, err);
	if (r >= 0)
		r = cni_json_string(o, "sandbox", ctx, c, (const char **)&i.sandbox, err);
	if (r >= 0)
		r = cni_json_string(o, "socketPath", ctx, c, (const char **)&i.socket_path, err);
	if (r >= 0)
		r = cni_json_string(o, "pciID", ctx, c, (const char **)&i.pci_id, err);
	if (r < 0)
		return r;
	i.mtu = (int)mtu;
	/* The strings are borrowed from `o`; the adder copies them. */
	return cni_result_add_interface(res, &i, NULL);
}

static int ip_from_json(struct cni_result *res, const json_t *o, const char *ctx,
			struct cni_error *err)
{
	struct cni_ip ip = { 0 };
	const char *version = NULL;
	long long idx = -1;
	const int c = CNI_ERR_INVALID_CONFIG;
	int r, fam = 0;

	if (!json_is_object(o)) {
		cni_error_set(err, c, "'%.*s' must be an object", (int)strlen(ctx) - 1, ctx);
		return -EINVAL;
	}
	r = cni_json_string(o, "address", ctx, c, (const char **)&ip.address, err);
	if (r >= 0 && (fam = cni_cidr_family(ip.address)) < 0)
		r = bad_value(err, ctx, "address", "an address in CIDR notation");
	if (r >= 0)
		r = cni_json_string(o, "gateway", ctx, c, (const char **)&ip.gateway, err);
	if (r >= 0 && ip.gateway && cni_ip_family(ip.gateway) != fam)
		r = bad_value(err, ctx, "gateway", "an IP address of the address's family");
	if (r >= 0)
		r = cni_json_int(o, "interface", ctx, c, 0, INT32_MAX, &idx, err);
	if (r >= 0 && idx >= (long long)res->n_interfaces)
		r = bad_value(err, ctx, "interface", "an index into prevResult.interfaces");
	/* 0.3.x and 0.4.0 carry "version"; it must agree with the address. */
	if (r >= 0)
		r = cni_json_string(o, "version", ctx, c, &version, err);
	if (r >= 0 && version && !streq(version, fam == 6 ? "6" : "4"))
		r = bad_value(err, ctx, "version", "\"4\" or \"6\", as the address");
	if (r < 0)
		return r;
	ip.has_interface = idx >= 0;
	ip.interface = (int)idx;
	return cni_result_add_ip(res, &ip);
}

static int route_from_json(struct cni_result *res, const json_t *o, const char *ctx,
			   struct cni_error *err)
{
	struct cni_route rt = { 0 };
	long long mtu = 0, advmss = 0, prio = 0, table = -1, scope = -1;
	const int c = CNI_ERR_INVALID_CONFIG;
	int r;

	if (!json_is_object(o)) {
		cni_error_set(err, c, "'%.*s' must be an object", (int)strlen(ctx) - 1, ctx);
		return -EINVAL;
	}
	r = cni_json_string(o, "dst", ctx, c, (const char **)&rt.dst, err);
	if (r >= 0 && cni_cidr_family(rt.dst) < 0)
		r = bad_value(err, ctx, "dst", "a destination in CIDR notation");
	if (r >= 0)
		r = cni_json_string(o, "gw", ctx, c, (const char **)&rt.gw, err);
	if (r >= 0 && rt.gw && cni_ip_family(rt.gw) < 0)
		r = bad_value(err, ctx, "gw", "an IP address");
	if (r >= 0)
		r = cni_json_int(o, "mtu", ctx, c, 0, INT32_MAX, &mtu, err);
	if (r >= 0)
		r = cni_json_int(o, "advmss", ctx, c, 0, INT32_MAX, &advmss, err);
	if (r >= 0)
		r = cni_json_int(o, "priority", ctx, c, 0, INT32_MAX, &prio, err);
	if (r >= 0)
		r = cni_json_int(o, "table", ctx, c, 0, INT32_MAX, &table, err);
	if (r >= 0)
		r = cni_json_int(o, "scope", ctx, c, 0, 255, &scope, err);
	if (r < 0)
		return r;
	rt.mtu = (int)mtu;
	rt.advmss = (int)advmss;
	rt.priority = (int)prio;
	rt.has_table = table >= 0;
	rt.table = rt.has_table ? (int)table : 0;
	rt.has_scope = scope >= 0;
	rt.scope = rt.has_scope ? (int)scope : 0;
	return cni_result_add_route(res, &rt);
}

typedef int (*entry_parser)(struct cni_result *, const json_t *, const char *,
			    struct cni_error *);

static int array_from_json(struct cni_result *res, const json_t *obj, const char *key,
			   entry_parser parse, struct cni_error *err)
{
	const json_t *a = json_object_get(obj, key), *e;
	char ctx[CTX_MAX];
	size_t i;
	int r;

	if (!a || json_is_null(a))
		return 0;
	if (!json_is_array(a))
		return bad_value(err, "prevResult.", key, "an array");
	json_array_foreach(a, i, e) {
		snprintf(ctx, sizeof(ctx), "prevResult.%s[%zu].", key, i);
		r = parse(res, e, ctx, err);
		if (r < 0)
			return r;
	}
	return 0;
}

int cni_result_from_json(const json_t *obj, enum cni_version v, struct cni_result **ret,
			 struct cni_error *err)
{
	struct cni_result *res = cni_result_new();
	const json_t *dns;
	const char *ver = NULL;
	int r;

	if (!res)
		return cni_error_nomem(err);
	(void)v; /* every supported version parses alike; extra keys are ignored */
	if (!json_is_object(obj)) {
		cni_error_set(err, CNI_ERR_INVALID_CONFIG, "'prevResult' must be an object");
		r = -EINVAL;
		goto out;
	}
	r = cni_json_string(obj, "cniVersion", "prevResult.", CNI_ERR_INVALID_CONFIG, &ver, err);
	if (r >= 0)
		r = array_from_json(res, obj, "interfaces", interface_from_json, err);
	if (r >= 0)
		r = array_from_json(res, obj, "ips", ip_from_json, err);
	if (r >= 0)
		r = array_from_json(res, obj, "routes", route_from_json, err);
	if (r < 0)
		goto out;
	dns = json_object_get(obj, "dns");
	if (dns && !json_is_null(dns)) {
		r = cni_dns_from_json(dns, "prevResult.dns.", &res->dns, err);
		if (r < 0)
			goto out;
	}
	*ret = res;
	res = NULL;
out:
	/* The adders' -ENOMEM does not fill err. */
	if (r == -ENOMEM)
		cni_error_nomem(err);
	cni_result_free(res);
	return r;
}

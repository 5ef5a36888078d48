#include "bind/portinfo.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int portinfo_parse_ip(const char *s, int *ret_family, union nl_ip *ret)
{
	union nl_ip ip;

	memset(&ip, 0, sizeof(ip));
	if (!s)
		return -EINVAL;
	if (inet_pton(AF_INET, s, &ip.v4) == 1) {
		*ret_family = AF_INET;
		*ret = ip;
		return 0;
	}
	if (inet_pton(AF_INET6, s, &ip.v6) == 1) {
		*ret_family = AF_INET6;
		*ret = ip;
		return 0;
	}
	return -EINVAL;
}

int portinfo_parse_mac(const char *s, uint8_t ret[NL_MAC_LEN])
{
	unsigned b[NL_MAC_LEN];
	char tail;

	if (!s || sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4],
			 &b[5], &tail) != 6)
		return -EINVAL;
	for (int i = 0; i < NL_MAC_LEN; i++)
		ret[i] = (uint8_t)b[i];
	return 0;
}

int portinfo_parse_cidr(const char *s, int *ret_family, union nl_ip *ret_ip, unsigned *ret_len)
{
	char buf[PORTINFO_ADDR_LEN], *slash, *end;
	unsigned long len;
	int family, r;

	if (!s || util_strlcpy(buf, s, sizeof(buf)) < 0)
		return -EINVAL;
	slash = strchr(buf, '/');
	if (!slash)
		return -EINVAL;
	*slash = '\0';
	r = portinfo_parse_ip(buf, &family, ret_ip);
	if (r < 0)
		return r;
	errno = 0;
	len = strtoul(slash + 1, &end, 10);
	if (errno || *end || end == slash + 1 || len > (family == AF_INET ? 32u : 128u))
		return -EINVAL;
	*ret_family = family;
	*ret_len = (unsigned)len;
	return 0;
}

static int copy_id(char *dst, const json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));

	if (!s || !*s || util_strlcpy(dst, s, PORTINFO_ID_LEN) < 0)
		return -EINVAL;
	return 0;
}

static int add_route(struct portinfo *pi, const char *dst, const char *gw)
{
	struct portinfo_route *rt;
	int family, gw_family;

	if (pi->n_routes == PORTINFO_MAX_ROUTES)
		return -E2BIG;
	rt = &pi->routes[pi->n_routes];
	memset(rt, 0, sizeof(*rt));
	if (portinfo_parse_cidr(dst, &family, &rt->dst, &rt->dst_len) < 0 ||
	    portinfo_parse_ip(gw, &gw_family, &rt->gw) < 0 || family != gw_family)
		return -EINVAL;
	rt->family = family;
	if (util_strlcpy(rt->dst_str, dst, sizeof(rt->dst_str)) < 0 ||
	    util_strlcpy(rt->gw_str, gw, sizeof(rt->gw_str)) < 0)
		return -EINVAL;
	pi->n_routes++;
	return 0;
}

static int add_fixed_ip(struct portinfo *pi, const json_t *fip, const json_t *subnets)
{
	const char *address = json_string_value(json_object_get(fip, "ip_address"));
	const char *subnet_id = json_string_value(json_object_get(fip, "subnet_id"));
	const json_t *subnet = subnet_id ? json_object_get(subnets, subnet_id) : NULL;
	const char *gw = json_string_value(json_object_get(subnet, "gateway_ip"));
	struct portinfo_ip *ip;
	union nl_ip net;
	int family, net_family, r;
	size_t i;
	json_t *v;

	if (!address || !subnet)
		return -EINVAL;
	if (pi->n_ips == PORTINFO_MAX_IPS)
		return -E2BIG;
	ip = &pi->ips[pi->n_ips];
	memset(ip, 0, sizeof(*ip));
	r = portinfo_parse_cidr(json_string_value(json_object_get(subnet, "cidr")), &net_family, &net,
		       &ip->prefixlen);
	if (r < 0)
		return r;
	if (portinfo_parse_ip(address, &family, &ip->ip) < 0 || family != net_family)
		return -EINVAL;
	ip->family = family;
	if (snprintf(ip->cidr, sizeof(ip->cidr), "%s/%u", address, ip->prefixlen) >=
	    (int)sizeof(ip->cidr))
		return -EINVAL;
	if (gw && *gw) {
		int gw_family;

		if (portinfo_parse_ip(gw, &gw_family, &ip->gw) < 0 || gw_family != family)
			return -EINVAL;
		ip->has_gw = true;
		if (util_strlcpy(ip->gw_str, gw, sizeof(ip->gw_str)) < 0)
			return -EINVAL;
	}
	if (util_strlcpy(ip->subnet_id, subnet_id, sizeof(ip->subnet_id)) < 0)
		return -EINVAL;
	pi->n_ips++;

	json_array_foreach(json_object_get(subnet, "host_routes"), i, v) {
		r = add_route(pi, json_string_value(json_object_get(v, "destination")),
			      json_string_value(json_object_get(v, "nexthop")));
		if (r < 0)
			return r;
	}
	json_array_foreach(json_object_get(subnet, "dns_nameservers"), i, v) {
		const char *ns = json_string_value(v);

		if (!ns || pi->n_dns == PORTINFO_MAX_DNS)
			continue;   /* resolv.conf honours three anyway */
		if (util_strlcpy(pi->dns[pi->n_dns], ns, PORTINFO_ADDR_LEN) == 0)
			pi->n_dns++;
	}
	return 0;
}

/* An interface name the kernel and OVS accept. */
static bool valid_ifname(const char *s)
{
	return s && s[0] && strlen(s) < IFNAMSIZ && !strpbrk(s, "/ \t\n:") && !streq(s, ".") &&
	       !streq(s, "..");
}

/* The switch that binds the port on its host, from binding:vif_type and
 * binding:vif_details (absent for a port not bound, or for a user who may
 * not see them: then the Linux bridge agent's, as before OVS hosts). */
static int read_binding(const json_t *port, struct portinfo *pi)
{
	const char *type = json_string_value(json_object_get(port, "binding:vif_type"));
	const json_t *details = json_object_get(port, "binding:vif_details");
	const json_t *br = json_object_get(details, "bridge_name");

	pi->unbound = streq(type, "unbound");
	if (!type || !streq(type, "ovs"))
		return 0;
	if (br && !valid_ifname(json_string_value(br)))
		return -EINVAL;
	snprintf(pi->ovs_bridge, sizeof(pi->ovs_bridge), "%s",
		 br ? json_string_value(br) : "br-int");
	pi->ovs_hybrid = json_is_true(json_object_get(details, "ovs_hybrid_plug"));
	return 0;
}

void portinfo_set_mac(struct portinfo *pi, const uint8_t mac[NL_MAC_LEN])
{
	memmove(pi->mac, mac, NL_MAC_LEN);
	snprintf(pi->mac_str, sizeof(pi->mac_str), "%02x:%02x:%02x:%02x:%02x:%02x", pi->mac[0],
		 pi->mac[1], pi->mac[2], pi->mac[3], pi->mac[4], pi->mac[5]);
}

int portinfo_rebind(struct portinfo *pi, const json_t *port)
{
	struct portinfo b = *pi;
	int r;

	b.ovs_bridge[0] = '\0';
	b.ovs_hybrid = false;
	r = read_binding(port, &b);
	if (r < 0)
		return r;
	*pi = b;
	return 0;
}

int portinfo_from_neutron(const json_t *port, const json_t *network, const json_t *subnets,
			  uint32_t mtu_override, struct portinfo *ret)
{
	struct portinfo *pi = calloc(1, sizeof(*pi));
	json_int_t mtu = json_integer_value(json_object_get(network, "mtu"));
	const json_t *fips = json_object_get(port, "fixed_ips");
	const char *mac = json_string_value(json_object_get(port, "mac_address"));
	size_t i;
	json_t *fip;
	int r = -EINVAL;

	if (!pi)
		return -ENOMEM;
	if (copy_id(pi->port_id, port, "id") < 0 || copy_id(pi->network_id, port, "network_id") < 0)
		goto out;
	if (portinfo_parse_mac(mac, pi->mac) < 0)
		goto out;
	portinfo_set_mac(pi, pi->mac);
	if (mtu < 68 || mtu > 65535)
		goto out;
	if (mtu_override > 0 && mtu_override > (uint32_t)mtu)
		goto out;   /* a container MTU above the network's would drop frames */
	pi->mtu = mtu_override > 0 ? mtu_override : (uint32_t)mtu;
	if (!json_is_array(fips) || json_array_size(fips) == 0)
		goto out;
	if (read_binding(port, pi) < 0)
		goto out;
	json_array_foreach(fips, i, fip) {
		r = add_fixed_ip(pi, fip, subnets);
		if (r < 0)
			goto out;
	}
	*ret = *pi;
	r = 0;
out:
	free(pi);
	return r;
}

int portinfo_to_json(const struct portinfo *pi, char **ret)
{
	json_t *o = NULL, *ips, *routes, *dns;
	char *s;
	size_t n;
	int bad;

	/* json_array_append_new fails for a NULL value (a failed json_pack)
	 * and for a NULL array, so ORing its results catches every failure:
	 * a record missing an address must never be stored. */
	ips = json_array();
	routes = json_array();
	dns = json_array();
	bad = !ips || !routes || !dns;
	for (size_t i = 0; i < pi->n_ips; i++)
		bad |= json_array_append_new(ips, json_pack("{s:s, s:s, s:s}", "cidr",
							    pi->ips[i].cidr, "gateway",
							    pi->ips[i].gw_str, "subnet_id",
							    pi->ips[i].subnet_id));
	for (size_t i = 0; i < pi->n_routes; i++)
		bad |= json_array_append_new(routes, json_pack("{s:s, s:s}", "destination",
							       pi->routes[i].dst_str, "nexthop",
							       pi->routes[i].gw_str));
	for (size_t i = 0; i < pi->n_dns; i++)
		bad |= json_array_append_new(dns, json_string(pi->dns[i]));
	if (!bad)
		o = json_pack("{s:s, s:s, s:s, s:i, s:O, s:O, s:O}", "id", pi->port_id,
			      "network_id", pi->network_id, "mac", pi->mac_str, "mtu",
			      (json_int_t)pi->mtu, "ips", ips, "routes", routes, "dns", dns);
	json_decref(ips);
	json_decref(routes);
	json_decref(dns);
	if (o && pi->vlan_id && json_object_set_new(o, "vlan", json_integer(pi->vlan_id)) < 0) {
		json_decref(o);
		o = NULL;
	}
	if (o && pi->ovs_bridge[0] &&
	    (json_object_set_new(o, "ovs_bridge", json_string(pi->ovs_bridge)) < 0 ||
	     (pi->ovs_hybrid && json_object_set_new(o, "ovs_hybrid", json_true()) < 0))) {
		json_decref(o);
		o = NULL;
	}
	if (o && pi->unbound && json_object_set_new(o, "unbound", json_true()) < 0) {
		json_decref(o);
		o = NULL;
	}
	if (o && pi->fixed && json_object_set_new(o, "fixed", json_true()) < 0) {
		json_decref(o);
		o = NULL;
	}
	if (!o)
		return -ENOMEM;
	/* Not json_dumps(): jansson 2.14 ignores a failed append of an object
	 * key there and returns the record without it.  json_dumpb writes into
	 * our buffer and cannot lose a piece. */
	n = json_dumpb(o, NULL, 0, JSON_COMPACT);
	s = n ? malloc(n + 1) : NULL;
	if (s && json_dumpb(o, s, n, JSON_COMPACT) != n) {
		free(s);
		s = NULL;
	}
	json_decref(o);
	if (!s)
		return -ENOMEM;
	s[n] = '\0';
	*ret = s;
	return 0;
}

int portinfo_from_json(const char *text, struct portinfo *ret)
{
	struct portinfo *pi = calloc(1, sizeof(*pi));
	json_error_t jerr;
	json_t *o = NULL, *v;
	json_int_t mtu;
	size_t i;
	int r = -EINVAL;

	if (!pi)
		return -ENOMEM;
	o = json_loads(text ? text : "", 0, &jerr);
	if (!o && json_error_code(&jerr) == json_error_out_of_memory) {
		r = -ENOMEM;
		goto out;
	}
	if (!json_is_object(o))
		goto out;
	if (copy_id(pi->port_id, o, "id") < 0 || copy_id(pi->network_id, o, "network_id") < 0)
		goto out;
	if (portinfo_parse_mac(json_string_value(json_object_get(o, "mac")), pi->mac) < 0)
		goto out;
	portinfo_set_mac(pi, pi->mac);
	mtu = json_integer_value(json_object_get(o, "mtu"));
	if (mtu < 68 || mtu > 65535)
		goto out;
	pi->mtu = (uint32_t)mtu;
	v = json_object_get(o, "vlan");
	if (v && (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 4094))
		goto out;
	pi->vlan_id = v ? (uint16_t)json_integer_value(v) : 0;
	v = json_object_get(o, "ovs_bridge");
	if (v && !valid_ifname(json_string_value(v)))
		goto out;
	if (v)
		snprintf(pi->ovs_bridge, sizeof(pi->ovs_bridge), "%s", json_string_value(v));
	pi->ovs_hybrid = json_is_true(json_object_get(o, "ovs_hybrid"));
	pi->fixed = json_is_true(json_object_get(o, "fixed"));
	pi->unbound = json_is_true(json_object_get(o, "unbound"));
	json_array_foreach(json_object_get(o, "ips"), i, v) {
		struct portinfo_ip *ip = &pi->ips[pi->n_ips];
		const char *gw = json_string_value(json_object_get(v, "gateway"));
		const char *sub = json_string_value(json_object_get(v, "subnet_id"));

		if (pi->n_ips == PORTINFO_MAX_IPS ||
		    portinfo_parse_cidr(json_string_value(json_object_get(v, "cidr")), &ip->family, &ip->ip,
			       &ip->prefixlen) < 0 ||
		    util_strlcpy(ip->cidr, json_string_value(json_object_get(v, "cidr")),
				 sizeof(ip->cidr)) < 0)
			goto out;
		if (gw && *gw) {
			int gw_family;

			if (portinfo_parse_ip(gw, &gw_family, &ip->gw) < 0 || gw_family != ip->family ||
			    util_strlcpy(ip->gw_str, gw, sizeof(ip->gw_str)) < 0)
				goto out;
			ip->has_gw = true;
		}
		if (sub && util_strlcpy(ip->subnet_id, sub, sizeof(ip->subnet_id)) < 0)
			goto out;
		pi->n_ips++;
	}
	if (pi->n_ips == 0)
		goto out;
	json_array_foreach(json_object_get(o, "routes"), i, v) {
		if (add_route(pi, json_string_value(json_object_get(v, "destination")),
			      json_string_value(json_object_get(v, "nexthop"))) < 0)
			goto out;
	}
	json_array_foreach(json_object_get(o, "dns"), i, v) {
		if (pi->n_dns == PORTINFO_MAX_DNS || !json_is_string(v) ||
		    util_strlcpy(pi->dns[pi->n_dns], json_string_value(v), PORTINFO_ADDR_LEN) < 0)
			goto out;
		pi->n_dns++;
	}
	*ret = *pi;
	r = 0;
out:
	json_decref(o);
	free(pi);
	return r;
}

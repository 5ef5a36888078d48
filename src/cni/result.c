/* Building, checking and merging results; JSON is in result_json.c. */
#include "cni/result.h"
#include "cni/json.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>

struct cni_result *cni_result_new(void)
{
	return xcalloc(1, sizeof(struct cni_result));
}

static void interface_done(struct cni_interface *i)
{
	free(i->name);
	free(i->mac);
	free(i->sandbox);
	free(i->socket_path);
	free(i->pci_id);
}

void cni_dns_done(struct cni_dns *dns)
{
	cni_strv_free(dns->nameservers);
	free(dns->domain);
	cni_strv_free(dns->search);
	cni_strv_free(dns->options);
	memset(dns, 0, sizeof(*dns));
}

bool cni_dns_is_empty(const struct cni_dns *dns)
{
	return dns->n_nameservers == 0 && !(dns->domain && dns->domain[0]) &&
	       dns->n_search == 0 && dns->n_options == 0;
}

void cni_result_free(struct cni_result *res)
{
	if (!res)
		return;
	for (size_t i = 0; i < res->n_interfaces; i++)
		interface_done(&res->interfaces[i]);
	free(res->interfaces);
	for (size_t i = 0; i < res->n_ips; i++) {
		free(res->ips[i].address);
		free(res->ips[i].gateway);
	}
	free(res->ips);
	for (size_t i = 0; i < res->n_routes; i++) {
		free(res->routes[i].dst);
		free(res->routes[i].gw);
	}
	free(res->routes);
	cni_dns_done(&res->dns);
	free(res);
}

int cni_ip_family(const char *s)
{
	unsigned char buf[sizeof(struct in6_addr)];

	if (!s)
		return -EINVAL;
	if (inet_pton(AF_INET, s, buf) == 1)
		return 4;
	if (inet_pton(AF_INET6, s, buf) == 1)
		return 6;
	return -EINVAL;
}

int cni_cidr_family(const char *s)
{
	char addr[INET6_ADDRSTRLEN];
	const char *slash = s ? strchr(s, '/') : NULL;
	size_t n = slash ? (size_t)(slash - s) : 0;
	unsigned long prefix = 0;
	const char *p;
	int fam;

	if (!slash || n == 0 || n >= sizeof(addr) || !slash[1] || strlen(slash + 1) > 3)
		return -EINVAL;
	for (p = slash + 1; *p; p++) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		prefix = prefix * 10 + (unsigned long)(*p - '0');
	}
	memcpy(addr, s, n);
	addr[n] = '\0';
	fam = cni_ip_family(addr);
	if (fam < 0 || prefix > (fam == 4 ? 32u : 128u))
		return -EINVAL;
	return fam;
}

/* Grows an array of `size`-byte elements by one zeroed element; returns it. */
static void *grow(void *arrayp, size_t *n, size_t size)
{
	void **array = arrayp;
	char *a = realloc(*array, (*n + 1) * size);

	if (!a)
		abort(); /* as xmalloc: results are small */
	memset(a + *n * size, 0, size);
	*array = a;
	return a + (*n)++ * size;
}

/* The copies below trust their input; the public adders check it first. */
static size_t copy_interface(struct cni_result *res, const struct cni_interface *iface)
{
	struct cni_interface *i = grow(&res->interfaces, &res->n_interfaces, sizeof(*i));

	i->name = xstrdup(iface->name);
	i->mac = xstrdup_opt(iface->mac);
	i->mtu = iface->mtu;
	i->sandbox = xstrdup_opt(iface->sandbox);
	i->socket_path = xstrdup_opt(iface->socket_path);
	i->pci_id = xstrdup_opt(iface->pci_id);
	return res->n_interfaces - 1;
}

static void copy_ip(struct cni_result *res, const struct cni_ip *ip, int shift)
{
	struct cni_ip *n = grow(&res->ips, &res->n_ips, sizeof(*n));

	n->address = xstrdup(ip->address);
	n->gateway = xstrdup_opt(ip->gateway);
	n->has_interface = ip->has_interface;
	n->interface = ip->has_interface ? ip->interface + shift : 0;
}

static void copy_route(struct cni_result *res, const struct cni_route *route)
{
	struct cni_route *n = grow(&res->routes, &res->n_routes, sizeof(*n));

	*n = *route;
	n->dst = xstrdup(route->dst);
	n->gw = xstrdup_opt(route->gw);
}

int cni_result_add_interface(struct cni_result *res, const struct cni_interface *iface,
			     size_t *ret_index)
{
	size_t idx;

	if (!iface->name || !iface->name[0] || iface->mtu < 0)
		return -EINVAL;
	idx = copy_interface(res, iface);
	if (ret_index)
		*ret_index = idx;
	return 0;
}

int cni_result_add_ip(struct cni_result *res, const struct cni_ip *ip)
{
	int fam = cni_cidr_family(ip->address);

	if (fam < 0 || (ip->gateway && cni_ip_family(ip->gateway) != fam))
		return -EINVAL;
	if (ip->has_interface && (ip->interface < 0 || (size_t)ip->interface >= res->n_interfaces))
		return -EINVAL;
	copy_ip(res, ip, 0);
	return 0;
}

int cni_result_add_route(struct cni_result *res, const struct cni_route *route)
{
	if (cni_cidr_family(route->dst) < 0 || (route->gw && cni_ip_family(route->gw) < 0))
		return -EINVAL;
	if (route->mtu < 0 || route->advmss < 0 || route->priority < 0 ||
	    (route->has_table && route->table < 0) ||
	    (route->has_scope && (route->scope < 0 || route->scope > 255)))
		return -EINVAL;
	copy_route(res, route);
	return 0;
}

void cni_result_add_dns(struct cni_result *res, const struct cni_dns *dns)
{
	for (size_t i = 0; i < dns->n_nameservers; i++)
		cni_strv_add_unique(&res->dns.nameservers, &res->dns.n_nameservers,
				    dns->nameservers[i]);
	for (size_t i = 0; i < dns->n_search; i++)
		cni_strv_add_unique(&res->dns.search, &res->dns.n_search, dns->search[i]);
	for (size_t i = 0; i < dns->n_options; i++)
		cni_strv_add_unique(&res->dns.options, &res->dns.n_options, dns->options[i]);
	if (!(res->dns.domain && res->dns.domain[0]) && dns->domain && dns->domain[0]) {
		free(res->dns.domain);
		res->dns.domain = xstrdup(dns->domain);
	}
}

void cni_result_merge_prev(struct cni_result *res, const struct cni_result *prev)
{
	struct cni_result *m = cni_result_new();
	struct cni_result tmp;

	/* Both sides were checked when built or parsed; shifting our indices
	 * by prev's interfaces keeps them in range. */
	for (size_t i = 0; i < prev->n_interfaces; i++)
		copy_interface(m, &prev->interfaces[i]);
	for (size_t i = 0; i < res->n_interfaces; i++)
		copy_interface(m, &res->interfaces[i]);
	for (size_t i = 0; i < prev->n_ips; i++)
		copy_ip(m, &prev->ips[i], 0);
	for (size_t i = 0; i < res->n_ips; i++)
		copy_ip(m, &res->ips[i], (int)prev->n_interfaces);
	for (size_t i = 0; i < prev->n_routes; i++)
		copy_route(m, &prev->routes[i]);
	for (size_t i = 0; i < res->n_routes; i++)
		copy_route(m, &res->routes[i]);
	cni_result_add_dns(m, &prev->dns);
	cni_result_add_dns(m, &res->dns);

	/* Swap contents so that the caller's pointer stays valid. */
	tmp = *res;
	*res = *m;
	*m = tmp;
	cni_result_free(m);
}

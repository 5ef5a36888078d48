/* Building, checking and merging results; JSON is in result_json.c. */
#include "cni/result.h"
#include "cni/json.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>

struct cni_result *cni_result_new(void)
{
	return calloc(1, sizeof(struct cni_result));
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

/* Grows an array of `size`-byte elements by one zeroed element; returns it,
 * or NULL without memory (the array is then as it was). */
static void *grow(void *arrayp, size_t *n, size_t size)
{
	void **array = arrayp;
	char *a = realloc(*array, (*n + 1) * size);

	if (!a)
		return NULL;
	memset(a + *n * size, 0, size);
	*array = a;
	return a + (*n)++ * size;
}

/* A copy of an optional string: false only when s was set and could not
 * be copied. */
static bool dup_opt(char **dst, const char *s)
{
	*dst = s ? strdup(s) : NULL;
	return !s || *dst;
}

/* The copies below trust their input; the public adders check it first.
 * On -ENOMEM they take the new element back out: the result is as it was. */
static int copy_interface(struct cni_result *res, const struct cni_interface *iface)
{
	struct cni_interface *i = grow(&res->interfaces, &res->n_interfaces, sizeof(*i));

	if (!i)
		return -ENOMEM;
	i->mtu = iface->mtu;
	if (!dup_opt(&i->name, iface->name) || !dup_opt(&i->mac, iface->mac) ||
	    !dup_opt(&i->sandbox, iface->sandbox) ||
	    !dup_opt(&i->socket_path, iface->socket_path) || !dup_opt(&i->pci_id, iface->pci_id)) {
		interface_done(i);
		res->n_interfaces--;
		return -ENOMEM;
	}
	return 0;
}

static int copy_ip(struct cni_result *res, const struct cni_ip *ip, int shift)
{
	struct cni_ip *n = grow(&res->ips, &res->n_ips, sizeof(*n));

	if (!n)
		return -ENOMEM;
	n->has_interface = ip->has_interface;
	n->interface = ip->has_interface ? ip->interface + shift : 0;
	if (!dup_opt(&n->address, ip->address) || !dup_opt(&n->gateway, ip->gateway)) {
		free(n->address);
		free(n->gateway);
		res->n_ips--;
		return -ENOMEM;
	}
	return 0;
}

static int copy_route(struct cni_result *res, const struct cni_route *route)
{
	struct cni_route *n = grow(&res->routes, &res->n_routes, sizeof(*n));

	if (!n)
		return -ENOMEM;
	*n = *route;
	n->dst = n->gw = NULL;   /* not the caller's: freed on failure below */
	if (!dup_opt(&n->dst, route->dst) || !dup_opt(&n->gw, route->gw)) {
		free(n->dst);
		free(n->gw);
		res->n_routes--;
		return -ENOMEM;
	}
	return 0;
}

int cni_result_add_interface(struct cni_result *res, const struct cni_interface *iface,
			     size_t *ret_index)
{
	int r;

	if (!iface->name || !iface->name[0] || iface->mtu < 0)
		return -EINVAL;
	r = copy_interface(res, iface);
	if (r < 0)
		return r;
	if (ret_index)
		*ret_index = res->n_interfaces - 1;
	return 0;
}

int cni_result_add_ip(struct cni_result *res, const struct cni_ip *ip)
{
	int fam = cni_cidr_family(ip->address);

	if (fam < 0 || (ip->gateway && cni_ip_family(ip->gateway) != fam))
		return -EINVAL;
	if (ip->has_interface && (ip->interface < 0 || (size_t)ip->interface >= res->n_interfaces))
		return -EINVAL;
	return copy_ip(res, ip, 0);
}

int cni_result_add_route(struct cni_result *res, const struct cni_route *route)
{
	if (cni_cidr_family(route->dst) < 0 || (route->gw && cni_ip_family(route->gw) < 0))
		return -EINVAL;
	if (route->mtu < 0 || route->advmss < 0 || route->priority < 0 ||
	    (route->has_table && route->table < 0) ||
	    (route->has_scope && (route->scope < 0 || route->scope > 255)))
		return -EINVAL;
	return copy_route(res, route);
}

int cni_result_add_dns(struct cni_result *res, const struct cni_dns *dns)
{
	char *domain;
	int r = 0;

	for (size_t i = 0; r >= 0 && i < dns->n_nameservers; i++)
		r = cni_strv_add_unique(&res->dns.nameservers, &res->dns.n_nameservers,
					dns->nameservers[i]);
	for (size_t i = 0; r >= 0 && i < dns->n_search; i++)
		r = cni_strv_add_unique(&res->dns.search, &res->dns.n_search, dns->search[i]);
	for (size_t i = 0; r >= 0 && i < dns->n_options; i++)
		r = cni_strv_add_unique(&res->dns.options, &res->dns.n_options, dns->options[i]);
	if (r >= 0 && !(res->dns.domain && res->dns.domain[0]) && dns->domain && dns->domain[0]) {
		domain = strdup(dns->domain);
		if (!domain)
			return -ENOMEM;
		free(res->dns.domain);
		res->dns.domain = domain;
	}
	return r;
}

int cni_result_merge_prev(struct cni_result *res, const struct cni_result *prev)
{
	struct cni_result *m = cni_result_new();
	struct cni_result tmp;
	int r = 0;

	if (!m)
		return -ENOMEM;
	/* Both sides were checked when built or parsed; shifting our indices
	 * by prev's interfaces keeps them in range. */
	for (size_t i = 0; r >= 0 && i < prev->n_interfaces; i++)
		r = copy_interface(m, &prev->interfaces[i]);
	for (size_t i = 0; r >= 0 && i < res->n_interfaces; i++)
		r = copy_interface(m, &res->interfaces[i]);
	for (size_t i = 0; r >= 0 && i < prev->n_ips; i++)
		r = copy_ip(m, &prev->ips[i], 0);
	for (size_t i = 0; r >= 0 && i < res->n_ips; i++)
		r = copy_ip(m, &res->ips[i], (int)prev->n_interfaces);
	for (size_t i = 0; r >= 0 && i < prev->n_routes; i++)
		r = copy_route(m, &prev->routes[i]);
	for (size_t i = 0; r >= 0 && i < res->n_routes; i++)
		r = copy_route(m, &res->routes[i]);
	if (r >= 0)
		r = cni_result_add_dns(m, &prev->dns);
	if (r >= 0)
		r = cni_result_add_dns(m, &res->dns);
	if (r >= 0) {
		/* Swap contents so that the caller's pointer stays valid. */
		tmp = *res;
		*res = *m;
		*m = tmp;
	}
	cni_result_free(m);
	return r;
}

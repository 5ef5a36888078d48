/* The service address on an instance's interface or lo. */
#include "service/vip.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netns/netns.h"

static unsigned host_len(int family)
{
	return family == AF_INET ? 32 : 128;
}

const char *service_vip_place_to_string(enum service_vip_place p)
{
	switch (p) {
	case SERVICE_VIP_IFACE: return "interface";
	case SERVICE_VIP_LO: return "lo";
	default: return "none";
	}
}

static int has_addr(struct nl_sock *s, int ifindex, int family, const union nl_ip *ip,
		    bool *ret)
{
	struct nl_addr *a = NULL;
	size_t n = 0;
	bool found = false;
	int r = nl_addr_list(s, ifindex, family, &a, &n);

	if (r < 0)
		return r;
	for (size_t i = 0; i < n && !found; i++)
		found = a[i].ifindex == ifindex &&
			memcmp(&a[i].ip, ip, family == AF_INET ? 4 : 16) == 0;
	free(a);
	*ret = found;
	return 0;
}

/* The two interfaces' indexes; iface may come back 0 when it is gone. */
static int indexes(struct nl_sock *s, const char *ifname, int *ret_if, int *ret_lo)
{
	int r = nl_link_index(s, "lo", ret_lo);

	if (r < 0)
		return r;
	r = nl_link_index(s, ifname, ret_if);
	if (r == -ENODEV) {
		*ret_if = 0;
		r = 0;
	}
	return r;
}

static int add(struct nl_sock *s, int ifindex, int family, const union nl_ip *ip)
{
	bool there;
	int r = has_addr(s, ifindex, family, ip, &there);

	if (r < 0 || there)
		return r;
	r = nl_addr_add(s, ifindex, family, ip, host_len(family), NULL);
	return r == -EEXIST ? 0 : r;
}

static int del(struct nl_sock *s, int ifindex, int family, const union nl_ip *ip)
{
	int r;

	if (!ifindex)
		return 0;
	r = nl_addr_del(s, ifindex, family, ip, host_len(family), NULL);
	return r == -EADDRNOTAVAIL || r == -ENODEV ? 0 : r;
}

int service_vip_where(int netns_fd, const char *ifname, int family, const union nl_ip *ip,
		      enum service_vip_place *ret)
{
	struct nl_sock *s = NULL;
	bool on_if = false, on_lo = false;
	int ifi, lo, r;

	r = netns_nl_open(netns_fd, &s);
	if (r < 0)
		return r;
	r = indexes(s, ifname, &ifi, &lo);
	if (r >= 0 && ifi)
		r = has_addr(s, ifi, family, ip, &on_if);
	if (r >= 0)
		r = has_addr(s, lo, family, ip, &on_lo);
	nl_sock_free(s);
	if (r < 0)
		return r;
	*ret = on_if ? SERVICE_VIP_IFACE : on_lo ? SERVICE_VIP_LO : SERVICE_VIP_NONE;
	return 0;
}

/* The address on the interface or not, on lo or not: one namespace socket,
 * additions before removals (never a moment with it on neither when it
 * goes from one to the other). */
static int place(int netns_fd, const char *ifname, int family, const union nl_ip *ip,
		 bool on_if, bool on_lo)
{
	struct nl_sock *s = NULL;
	int ifi, lo, r;

	r = netns_nl_open(netns_fd, &s);
	if (r < 0)
		return r;
	r = indexes(s, ifname, &ifi, &lo);
	if (r >= 0 && on_if && !ifi)
		r = -ENODEV;
	if (r >= 0 && on_if)
		r = add(s, ifi, family, ip);
	if (r >= 0 && on_lo)
		r = add(s, lo, family, ip);
	if (r >= 0 && !on_if)
		r = del(s, ifi, family, ip);
	if (r >= 0 && !on_lo)
		r = del(s, lo, family, ip);
	nl_sock_free(s);
	return r;
}

int service_vip_take(int netns_fd, const char *ifname, int family, const union nl_ip *ip)
{
	return place(netns_fd, ifname, family, ip, true, false);
}

int service_vip_drain(int netns_fd, const char *ifname, int family, const union nl_ip *ip)
{
	char key[64];
	int r;

	/* Before the address lands on lo, so that the interface never
	 * answers ARP for it from there. */
	if (family == AF_INET && snprintf(key, sizeof(key), "ipv4/conf/%s/arp_ignore", ifname) <
	    (int)sizeof(key)) {
		r = netns_sysctl_write(netns_fd, key, "1");
		if (r < 0 && r != -ENOENT)
			return r;
	}
	return place(netns_fd, ifname, family, ip, false, true);
}

int service_vip_release(int netns_fd, const char *ifname, int family, const union nl_ip *ip)
{
	return place(netns_fd, ifname, family, ip, false, false);
}

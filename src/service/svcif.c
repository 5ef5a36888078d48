/* The service port's own interface in an instance (method binding). */
#include "service/svcif.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bind/portinfo.h"
#include "netns/netns.h"

void service_svcif_names(const char *port_id, char *tap, char *ifname)
{
	snprintf(tap, IFNAMSIZ, "tap%.11s", port_id);
	snprintf(ifname, IFNAMSIZ, "svc%.11s", port_id);
}

int service_svcif_net_read(struct neutron_client *nc, const struct service_port *sp,
			   struct service_svcif_net *ret, struct neutron_error *err)
{
	struct service_svcif_net n = { 0 };
	json_t *sub = NULL, *net = NULL;
	const char *gw;
	union nl_ip ip;
	int family, r;

	r = neutron_subnet_show(nc, sp->subnet_id, &sub, err);
	if (r >= 0)
		r = neutron_network_show(nc, sp->network_id, &net, err);
	if (r < 0)
		goto out;
	r = portinfo_parse_cidr(json_string_value(json_object_get(sub, "cidr")), &family, &ip,
				&n.prefixlen);
	if (r >= 0 && family != AF_INET)
		r = -EAFNOSUPPORT;
	if (r < 0)
		goto out;
	n.subnet = ip.v4;
	gw = json_string_value(json_object_get(sub, "gateway_ip"));
	n.has_gw = gw && inet_pton(AF_INET, gw, &n.gw) == 1;
	n.mtu = (uint32_t)json_integer_value(json_object_get(net, "mtu"));
	if (!n.mtu)
		n.mtu = 1500;
	*ret = n;
	r = 0;
out:
	json_decref(sub);
	json_decref(net);
	return r;
}

/* Deletes the host link `tap` if there is one (its veth peer goes too). */
static int delete_host_link(const char *tap, struct nl_extack *ext)
{
	struct nl_sock *s = NULL;
	int ifindex, r = nl_sock_new(&s);

	if (r < 0)
		return r;
	r = nl_link_index(s, tap, &ifindex);
	if (r >= 0)
		r = nl_link_delete(s, ifindex, ext);
	nl_sock_free(s);
	return r == -ENODEV ? 0 : r;
}

int service_svcif_userspace(const struct bind_ovs_cfg *ovs, bool *ret)
{
	struct nl_extack ext = { { 0 } };
	char dp[64] = "";
	int r = bind_ovs_vsctl(ovs, (const char *const[]){ "get", "Bridge", SERVICE_SVCIF_BRIDGE,
							   "datapath_type", NULL },
			       dp, sizeof(dp), &ext);

	if (r >= 0)
		*ret = bind_ovs_userspace(dp);
	return r;
}

struct offload_job {
	const char *ifname;
};

static int offloads_off_in_ns(void *arg)
{
	const struct offload_job *j = arg;

	return nl_link_offloads_off(j->ifname);
}

/* Each interface answers ARP for its own addresses only (arp_ignore) and
 * asks with its own address (arp_announce): the service address never
 * speaks from the instance's own interface, and the reverse. */
static int arp_own(int netns_fd, const char *ifname)
{
	char key[64];
	int r;

	snprintf(key, sizeof(key), "ipv4/conf/%s/arp_ignore", ifname);
	r = netns_sysctl_write(netns_fd, key, "1");
	snprintf(key, sizeof(key), "ipv4/conf/%s/arp_announce", ifname);
	return r < 0 ? r : netns_sysctl_write(netns_fd, key, "2");
}

int service_svcif_plug(const struct bind_ovs_cfg *ovs, int netns_fd, const char *inst_ifname,
		       const struct service_port *sp, const struct service_svcif_net *net,
		       struct nl_extack *ext)
{
	char tap[IFNAMSIZ], ifn[IFNAMSIZ], id[128], mac[64], svc[128], dp[64], key[64];
	uint8_t hw[NL_MAC_LEN];
	struct nl_sock *s = NULL;
	struct offload_job oj = { .ifname = ifn };
	int r;

	if (portinfo_parse_mac(sp->mac, hw) < 0) {
		snprintf(ext->msg, sizeof(ext->msg), "the service port has no MAC address");
		return -EINVAL;
	}
	service_svcif_names(sp->id, tap, ifn);
	r = delete_host_link(tap, ext);
	if (r < 0)
		return r;
	r = nl_sock_new(&s);
	if (r < 0)
		return r;
	r = nl_veth_create(s,
			   &(struct nl_link_attrs){ .name = tap, .mtu = net->mtu, .up = true },
			   &(struct nl_link_attrs){ .name = ifn, .mac = hw, .mtu = net->mtu,
						    .netns_fd = netns_fd },
			   ext);
	nl_sock_free(s);
	if (r < 0)
		return r;
	snprintf(id, sizeof(id), "external_ids:iface-id=%s", sp->id);
	snprintf(mac, sizeof(mac), "external_ids:attached-mac=%s", sp->mac);
	snprintf(svc, sizeof(svc), "external_ids:sf-service=%s", sp->name);
	r = bind_ovs_vsctl(ovs, (const char *const[]){
		"--may-exist", "add-port", SERVICE_SVCIF_BRIDGE, tap, "--", "set", "Interface", tap,
		id, mac, "external_ids:iface-status=active", svc, "--", "get", "Bridge",
		SERVICE_SVCIF_BRIDGE, "datapath_type", NULL }, dp, sizeof(dp), ext);
	/* The userspace datapath passes partial checksums and GSO frames on
	 * unfinished (docs/ovn.md): finished by the end that sends into tap. */
	if (r >= 0 && bind_ovs_userspace(dp))
		r = netns_run(netns_fd, offloads_off_in_ns, &oj);
	snprintf(key, sizeof(key), "ipv6/conf/%s/disable_ipv6", ifn);
	if (r >= 0)
		r = netns_sysctl_write(netns_fd, key, "1");   /* IPv4 only: no stray frames */
	if (r >= 0)
		r = arp_own(netns_fd, ifn);
	if (r >= 0)
		r = arp_own(netns_fd, inst_ifname);
	if (r < 0) {
		struct nl_extack ignored = { { 0 } };

		/* Best effort: the error to report is r's. */
		if (bind_ovs_unplug(ovs, tap, &ignored) < 0)
			ignored.msg[0] = '\0';
		if (delete_host_link(tap, &ignored) < 0)
			ignored.msg[0] = '\0';
	}
	return r;
}

static struct nl_rule rule_of(const struct in_addr *ip)
{
	return (struct nl_rule){ .family = AF_INET, .src.v4 = *ip, .src_len = 32,
				 .table = ntohl(ip->s_addr),
				 .priority = SERVICE_SVCIF_RULE_PRIORITY };
}

int service_svcif_set_up(int netns_fd, const struct service_port *sp,
			 const struct service_svcif_net *net, bool up, struct nl_extack *ext)
{
	char tap[IFNAMSIZ], ifn[IFNAMSIZ];
	struct nl_rule rule = rule_of(&sp->ip.v4);
	struct nl_sock *s = NULL;
	struct nl_route rt;
	int ifindex, r;

	if (sp->family != AF_INET)
		return -EAFNOSUPPORT;
	service_svcif_names(sp->id, tap, ifn);
	r = netns_nl_open(netns_fd, &s);
	if (r < 0)
		return r;
	r = nl_link_index(s, ifn, &ifindex);
	if (r < 0)
		goto out;
	r = nl_link_set_up(s, ifindex, up, ext);
	if (r < 0 || !up)
		goto out;
	r = nl_addr_add(s, ifindex, AF_INET, &sp->ip, 32, ext);
	if (r == -EEXIST)
		r = 0;
	rt = (struct nl_route){ .family = AF_INET, .dst.v4 = net->subnet,
				.dst_len = net->prefixlen, .oif = ifindex, .table = rule.table };
	if (r >= 0)
		r = nl_route_add(s, &rt, ext);
	if (r == -EEXIST)
		r = 0;
	rt = (struct nl_route){ .family = AF_INET, .gw.v4 = net->gw, .has_gw = true,
				.onlink = true, .oif = ifindex, .table = rule.table };
	if (r >= 0 && net->has_gw)
		r = nl_route_add(s, &rt, ext);
	if (r == -EEXIST)
		r = 0;
	/* Last resort of the table, kept while the link is down (when it
	 * loses the others): what the instance still sends as the service
	 * (a retransmit) is dropped, never sent from its own interface. */
	rt = (struct nl_route){ .family = AF_INET, .unreachable = true, .table = rule.table,
				.priority = UINT32_MAX };
	if (r >= 0)
		r = nl_route_add(s, &rt, ext);
	if (r == -EEXIST)
		r = 0;
	if (r >= 0)
		r = nl_rule_add(s, &rule, ext);
out:
	nl_sock_free(s);
	return r;
}

int service_svcif_where(int netns_fd, const struct service_port *sp,
			enum service_svcif_place *ret)
{
	char tap[IFNAMSIZ], ifn[IFNAMSIZ];
	struct nl_sock *s = NULL;
	struct nl_link l;
	int r;

	service_svcif_names(sp->id, tap, ifn);
	r = netns_nl_open(netns_fd, &s);
	if (r < 0)
		return r;
	r = nl_link_get_by_name(s, ifn, &l);
	nl_sock_free(s);
	if (r == -ENODEV) {
		*ret = SERVICE_SVCIF_NONE;
		return 0;
	}
	if (r >= 0)
		*ret = l.flags & IFF_UP ? SERVICE_SVCIF_UP : SERVICE_SVCIF_DOWN;
	return r;
}

int service_svcif_installed(const struct bind_ovs_cfg *ovs, const struct service_port *sp,
			    bool *ret)
{
	struct nl_extack ext = { { 0 } };
	char tap[IFNAMSIZ], ifn[IFNAMSIZ], out[32] = "";
	int r;

	service_svcif_names(sp->id, tap, ifn);
	r = bind_ovs_vsctl(ovs, (const char *const[]){ "--if-exists", "get", "Interface", tap,
						       "external_ids:ovn-installed", NULL },
			   out, sizeof(out), &ext);
	if (r >= 0)
		*ret = streq(out, "\"true\"") || streq(out, "true");
	return r;
}

int service_svcif_unplug(const struct bind_ovs_cfg *ovs, const char *service, int netns_fd,
			 const char *addr, struct nl_extack *ext)
{
	char filter[128], names[1024], *save = NULL, *tap;
	struct in_addr ip;
	int r;

	snprintf(filter, sizeof(filter), "external_ids:sf-service=%s", service);
	r = bind_ovs_vsctl(ovs, (const char *const[]){ "--bare", "--columns=name", "find",
						       "Interface", filter, NULL },
			   names, sizeof(names), ext);
	for (tap = r >= 0 ? strtok_r(names, " \n", &save) : NULL; tap && r >= 0;
	     tap = strtok_r(NULL, " \n", &save)) {
		r = bind_ovs_unplug(ovs, tap, ext);
		if (r >= 0)
			r = delete_host_link(tap, ext);
	}
	if (r >= 0 && netns_fd >= 0 && addr && inet_pton(AF_INET, addr, &ip) == 1) {
		struct nl_rule rule = rule_of(&ip);
		struct nl_sock *s = NULL;

		r = netns_nl_open(netns_fd, &s);
		if (r >= 0)
			r = nl_rule_del(s, &rule, ext);
		nl_sock_free(s);
	}
	return r;
}

/* The service port's own interface, for the binding method
 * (docs/superfluidity.md, "binding"): the service port is plugged into the
 * answering instance as a second interface and moves with it.
 *
 *   instance's namespace                     host
 *   svc<sp11> (the service port's MAC) ==veth== tap<sp11> -- br-int
 *                                     (iface-id = the service port, sf-service = its name)
 *
 * Inside, svc<sp11> holds the service address (/32), with a routing table
 * of its own (numbered by the address: the service's subnet on svc<sp11>
 * and its gateway) and the rule "from <address> lookup <table>": what the
 * instance answers as the service leaves by the service port, what it
 * starts from its own address by its own interface; the table ends in an
 * unreachable route, so that while the link is down nothing leaves as the
 * service by the other interface.  arp_ignore = 1 and arp_announce = 2 on
 * both interfaces: each answers and asks ARP for its own address only.
 * IPv4 only.
 *
 * OVSDB is spoken through bind_ovs's ovs-vsctl (no sf-deployment tag: no
 * host's garbage collector takes the tap for a pool port's).  Each call is
 * idempotent. */
#ifndef SF_SERVICE_SVCIF_H
#define SF_SERVICE_SVCIF_H

#include <stdbool.h>

#include "bind/bind_ovs.h"
#include "neutron/neutron.h"
#include "service/port.h"

#define SERVICE_SVCIF_BRIDGE "br-int"
#define SERVICE_SVCIF_RULE_PRIORITY 1000

/* The service subnet as the interface needs it. */
struct service_svcif_net {
	uint32_t mtu;
	struct in_addr subnet;
	unsigned prefixlen;
	bool has_gw;
	struct in_addr gw;
};

enum service_svcif_place {
	SERVICE_SVCIF_NONE,       /* not in the namespace */
	SERVICE_SVCIF_DOWN,       /* there, down: quiet */
	SERVICE_SVCIF_UP,
};

/* "tap<sp11>" and "svc<sp11>" (IFNAMSIZ each). */
void service_svcif_names(const char *port_id, char *tap, char *ifname);

/* The service's subnet and network MTU, from Neutron (two GETs). */
int service_svcif_net_read(struct neutron_client *nc, const struct service_port *sp,
			   struct service_svcif_net *ret, struct neutron_error *err) MUST_CHECK;

/* The veth (anything left of an earlier one replaced) and the tap in
 * br-int, the inside end down.  inst_ifname: the instance's own interface
 * (arp_ignore).  On failure nothing is left; ext says what failed. */
int service_svcif_plug(const struct bind_ovs_cfg *ovs, int netns_fd, const char *inst_ifname,
		       const struct service_port *sp, const struct service_svcif_net *net,
		       struct nl_extack *ext) MUST_CHECK;
/* Up with its address, routes and rule (a link going down loses its
 * routes: this puts them back), or down: the instance stops answering as
 * the service at once. */
int service_svcif_set_up(int netns_fd, const struct service_port *sp,
			 const struct service_svcif_net *net, bool up, struct nl_extack *ext) MUST_CHECK;
int service_svcif_where(int netns_fd, const struct service_port *sp,
			enum service_svcif_place *ret) MUST_CHECK;
/* br-int is a userspace (netdev) datapath. */
int service_svcif_userspace(const struct bind_ovs_cfg *ovs, bool *ret) MUST_CHECK;
/* ovn-controller claimed the tap and installed its flows here
 * (external_ids:ovn-installed). */
int service_svcif_installed(const struct bind_ovs_cfg *ovs, const struct service_port *sp,
			    bool *ret) MUST_CHECK;
/* Every tap of `service` on this host out of OVSDB and deleted (its veth
 * peer with it); with netns_fd >= 0 and addr, the rule for addr out of that
 * namespace too. */
int service_svcif_unplug(const struct bind_ovs_cfg *ovs, const char *service, int netns_fd,
			 const char *addr, struct nl_extack *ext) MUST_CHECK;

#endif

/* What the hot path needs to know about a pool port to attach a container
 * to it, with no Neutron call: its MAC, the network's MTU, its addresses
 * with their subnets' prefix lengths and gateways, the subnets' host routes
 * and DNS servers.  Built once from Neutron's port, network and subnets when
 * the port joins the pool, and kept as JSON in the store's `info` so that a
 * restarted daemon has it too.  Fixed-size, so the hot path allocates
 * nothing to read it. */
#ifndef SF_BIND_PORTINFO_H
#define SF_BIND_PORTINFO_H

#include <jansson.h>
#include <stdbool.h>

#include "common/util.h"
#include "netlink/nl.h"

#define PORTINFO_MAX_IPS 4
#define PORTINFO_MAX_ROUTES 16
#define PORTINFO_MAX_DNS 4
#define PORTINFO_ID_LEN 64
#define PORTINFO_ADDR_LEN 64      /* "ffff:...:ffff/128" fits */

struct portinfo_ip {
	int family;
	union nl_ip ip;
	unsigned prefixlen;
	bool has_gw;
	union nl_ip gw;
	char cidr[PORTINFO_ADDR_LEN];     /* "198.19.1.5/24" */
	char gw_str[PORTINFO_ADDR_LEN];   /* "" when none */
	char subnet_id[PORTINFO_ID_LEN];
};

struct portinfo_route {
	int family;
	union nl_ip dst;
	unsigned dst_len;
	union nl_ip gw;
	char dst_str[PORTINFO_ADDR_LEN];
	char gw_str[PORTINFO_ADDR_LEN];
};

struct portinfo {
	char port_id[PORTINFO_ID_LEN];
	char network_id[PORTINFO_ID_LEN];
	uint8_t mac[NL_MAC_LEN];
	char mac_str[18];
	uint32_t mtu;
	uint16_t vlan_id;         /* VLAN mode: the subport's segmentation id; 0 otherwise */
	/* Bound by Neutron's openvswitch mechanism (binding:vif_type "ovs"):
	 * the integration bridge of binding:vif_details; "" otherwise (the
	 * Linux bridge agent's).  ovs_hybrid: vif_details asks for the hybrid
	 * plug, which bind_ovs refuses. */
	char ovs_bridge[IFNAMSIZ];
	bool ovs_hybrid;
	/* binding:vif_type "unbound": a port listed between its create's
	 * commit and ML2's binding (a lost create's, adopted), so how its host
	 * side is plugged is not known yet; portinfo_rebind learns it. */
	bool unbound;
	/* Made for an address the runtime chose (a static ADD, docs/cni.md):
	 * deleted once released, never a pool's ready port. */
	bool fixed;
	size_t n_ips;
	struct portinfo_ip ips[PORTINFO_MAX_IPS];
	size_t n_routes;
	struct portinfo_route routes[PORTINFO_MAX_ROUTES];
	size_t n_dns;
	char dns[PORTINFO_MAX_DNS][PORTINFO_ADDR_LEN];
};

/* From Neutron's objects: `port`, its `network` (for the MTU) and `subnets`,
 * an object mapping subnet id to subnet, holding at least the subnets of the
 * port's fixed IPs.  mtu_override > 0 replaces the network's MTU (it may
 * only be lower: -EINVAL otherwise).  -EINVAL for a malformed object,
 * -ENOMEM without memory, with nothing written. */
int portinfo_from_neutron(const json_t *port, const json_t *network, const json_t *subnets,
			  uint32_t mtu_override, struct portinfo *ret) MUST_CHECK;

/* Sets the MAC, and mac_str to match. */
void portinfo_set_mac(struct portinfo *pi, const uint8_t mac[NL_MAC_LEN]);

/* Reads again how Neutron's `port` is bound (binding:vif_type and
 * vif_details) into `pi`, clearing or setting `unbound`; the rest of `pi`
 * is kept.  -EINVAL for a malformed binding, with `pi` untouched. */
int portinfo_rebind(struct portinfo *pi, const json_t *port) MUST_CHECK;

/* The JSON kept in the store (caller frees with free()), and back.  Both
 * -ENOMEM without memory; from_json -EINVAL for a bad record; nothing is
 * written on failure. */
int portinfo_to_json(const struct portinfo *pi, char **ret) MUST_CHECK;
int portinfo_from_json(const char *text, struct portinfo *ret) MUST_CHECK;

/* Parses "a.b.c.d" or "x::y" into family and address; -EINVAL otherwise. */
int portinfo_parse_ip(const char *s, int *ret_family, union nl_ip *ret) MUST_CHECK;
/* Parses "198.19.1.0/24" or "fd00::/64" into family, address and prefix
 * length; -EINVAL otherwise. */
int portinfo_parse_cidr(const char *s, int *ret_family, union nl_ip *ret_ip,
			unsigned *ret_len) MUST_CHECK;
/* Parses "aa:bb:cc:dd:ee:ff"; -EINVAL otherwise. */
int portinfo_parse_mac(const char *s, uint8_t ret[NL_MAC_LEN]) MUST_CHECK;

#endif

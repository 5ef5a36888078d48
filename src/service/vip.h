/* The service address inside an instance's namespace.  The active
 * instance holds it on its Neutron interface (answering ARP/ND for it).  A
 * draining instance holds it on "lo" only: it still accepts and answers
 * packets already sent to it, but no longer claims the address on the
 * segment (arp_ignore = 1 on the interface), so clients' caches follow the
 * new instance while in-flight requests finish (the LVS direct-routing
 * trick).  Host routes only (/32, /128): the instance's own address stays
 * its source for what it starts.  Each call is idempotent. */
#ifndef SF_SERVICE_VIP_H
#define SF_SERVICE_VIP_H

#include "common/util.h"
#include "netlink/nl.h"

enum service_vip_place {
	SERVICE_VIP_NONE,
	SERVICE_VIP_IFACE,        /* on the interface (lo too, or not) */
	SERVICE_VIP_LO,           /* on lo only: draining */
};

const char *service_vip_place_to_string(enum service_vip_place p);

int service_vip_where(int netns_fd, const char *ifname, int family, const union nl_ip *ip,
		      enum service_vip_place *ret) MUST_CHECK;
/* On the interface, off lo.  -ENODEV when the interface is gone. */
int service_vip_take(int netns_fd, const char *ifname, int family,
		     const union nl_ip *ip) MUST_CHECK;
/* On lo, off the interface. */
int service_vip_drain(int netns_fd, const char *ifname, int family,
		      const union nl_ip *ip) MUST_CHECK;
/* Off both.  0 also when the namespace's interface is already gone. */
int service_vip_release(int netns_fd, const char *ifname, int family,
			const union nl_ip *ip) MUST_CHECK;

#endif

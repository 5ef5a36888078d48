/* Binding inside a VM (docs/nested.md): the container's interface is a
 * macvlan (macvlan mode) or an 802.1Q device with the port's VLAN id (VLAN
 * mode, pi->vlan_id != 0) on the VM's NIC, `link`, an ifindex in the
 * daemon's namespace.  Nothing is wired ahead on the VM's side: the VM's
 * Neutron port carries the container's port (allowed address pair or
 * subport), and the device is made on the hot path.
 *
 * The device is created directly in the container's namespace under a
 * temporary name and renamed there: Kuryr's temporary name, move and
 * rename, minus the move, which costs an RCU grace period (20 to 35 ms
 * here).  The temporary name is needed: before Linux 6.15 the kernel checks
 * a new link's name in the requesting namespace, where the VM's own NIC
 * may be called what the runtime asks for (eth0). */
#ifndef SF_BIND_BIND_NESTED_H
#define SF_BIND_BIND_NESTED_H

#include "bind/portinfo.h"
#include "netlink/nl.h"

/* Makes `ifname` in netns_fd on `link`, with the port's MAC, MTU,
 * addresses and routes (*ret_defaults as bind_attach).  A device of this
 * port left in another namespace (a container that died without a DEL) that
 * blocks it, the kernel refusing a second VLAN device with one id on a
 * parent or a second macvlan with one MAC up, is found (first in
 * `stale_netns`, a path that may be NULL, then under /run/netns) and
 * removed.  On failure nothing is left behind.  -EEXIST when `ifname` is
 * taken in the container. */
int bind_nested_attach(struct nl_sock *host, int link, int netns_fd, const struct portinfo *pi,
		       const char *ifname, const char *stale_netns, unsigned *ret_defaults,
		       struct nl_extack *ext) MUST_CHECK;

/* A released port: removes `ifname` from the namespace at `netns_path` if
 * it is still there and still this port's (its MAC).  0 also when the
 * namespace or the device is gone. */
int bind_nested_release(const char *netns_path, const char *ifname,
			const struct portinfo *pi) MUST_CHECK;

#endif

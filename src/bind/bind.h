/* Binding for hosts with the Neutron Linux bridge agent (docs/architecture.md):
 *
 *   container netns            this host
 *   CNI_IFNAME ==veth== sfc<p11> -- [sfb<p11>] -- sfp<p11> ==veth== tap<p11> -- [brq<n11>]
 *
 * bind_prepare makes everything right of sfb<p11> once, when the port joins
 * the pool; the agent then wires tap<p11> (security groups) and Neutron
 * marks the port ACTIVE.  bind_attach, the hot path, makes one veth pair
 * with its container end created directly in the container's namespace.
 * The host-side calls take a netlink socket of this host's namespace
 * (bind_host_nl gives each thread its own). */
#ifndef SF_BIND_BIND_H
#define SF_BIND_BIND_H

#include "bind/bind_ovs.h"
#include "bind/portinfo.h"
#include "netlink/nl.h"

struct bind_names {
	char brq[IFNAMSIZ];   /* the network's bridge, the agent's name */
	char tap[IFNAMSIZ];   /* the device the agent watches */
	char sfp[IFNAMSIZ];   /* tap's peer, in the per-port bridge */
	char sfb[IFNAMSIZ];   /* the per-port bridge */
	char sfc[IFNAMSIZ];   /* host end of the container's veth */
};

void bind_names_of(const char *port_id, const char *network_id, struct bind_names *ret);

/* This thread's netlink socket in the daemon's namespace, made on first use
 * and closed when the thread exits.  Borrowed. */
int bind_host_nl(struct nl_sock **ret) MUST_CHECK;

/* Every host interface superfluid makes for a port (sfb, tap, sfp) carries
 * the alias "sf:<deployment>:<port id>", so that the garbage collector can
 * prove an interface is this deployment's before it removes it (other
 * deployments share the host).  sfc is not stamped (one more request on the
 * hot path): it is found through its master, sfb. */
#define BIND_ALIAS_PREFIX "sf:"
void bind_alias_of(const char *deployment, const char *port_id, char *buf, size_t size);
/* The port id of an alias naming `deployment` (a port id has no ':'); NULL
 * for anything else. */
const char *bind_alias_port(const char *alias, const char *deployment);

/* What the host-side calls need besides the port: the deployment (the
 * alias stamped on interfaces) and, on OVS hosts, how to reach OVSDB. */
struct bind_host_cfg {
	const char *deployment;
	struct bind_ovs_cfg ovs;
};

/* Idempotent: creates what is missing of brq (as os-vif does when the agent
 * has not yet), sfb, and the tap/sfp pair, all up with the port's MTU, and
 * stamps sfb, tap and sfp with the alias of the deployment.  For a port
 * bound by Neutron's openvswitch mechanism (pi->ovs_bridge) there is no
 * brq: tap becomes a port of the integration bridge (bind_ovs.h). */
int bind_prepare(struct nl_sock *host, const struct portinfo *pi, const struct bind_host_cfg *hc,
		 struct nl_extack *ext) MUST_CHECK;
/* 1 when tap<p11> is in brq<n11> and sfp<p11> in sfb<p11>, 0 when not.  For
 * an OVS port, tap<p11> must be in `ovs_ifaces` (bind_ovs_list; NULL when
 * OVSDB did not answer) with the port's id. */
int bind_is_prepared(struct nl_sock *host, const struct portinfo *pi,
		     const json_t *ovs_ifaces) MUST_CHECK;
/* Removes the port's host attachment (its OVSDB port, tap, sfp, sfb, and
 * sfc if left). */
int bind_unprepare(struct nl_sock *host, const struct portinfo *pi,
		   const struct bind_host_cfg *hc) MUST_CHECK;

/* The hot path: a veth sfc<p11> (in sfb<p11>, up) / `ifname` created in
 * netns_fd with the port's MAC and MTU, up, with the port's addresses and
 * routes.  A default route the container already has (from another
 * attachment) is left alone: *ret_defaults says which families got theirs
 * from this port (BIND_DEFAULT_V4 | BIND_DEFAULT_V6).  On failure nothing
 * is left behind.  -EEXIST when `ifname` is taken in the container. */
#define BIND_DEFAULT_V4 (1u << 0)
#define BIND_DEFAULT_V6 (1u << 1)
int bind_attach(struct nl_sock *host, int netns_fd, const struct portinfo *pi,
		const char *ifname, unsigned *ret_defaults, struct nl_extack *ext) MUST_CHECK;

/* A snapshot of the host's links, so that a pass over many ports costs one
 * dump rather than lookups per port.  Free with bind_links_done. */
struct bind_links {
	struct nl_link *links;
	size_t n;
};
int bind_links_load(struct nl_sock *host, struct bind_links *ret) MUST_CHECK;
void bind_links_done(struct bind_links *l);

/* A released port, on its way back to the pool: deletes its container's
 * host end sfc<p11> if it is still there (and with it the container's end)
 * and, when `scrub`, anything else left in sfb<p11>.  Returns 1 when the
 * host attachment is intact (tap in brq, sfp in sfb), 0 when it is damaged
 * and must be wired again, -errno when a delete failed. */
int bind_recycle(struct nl_sock *host, const struct bind_links *l, const struct portinfo *pi,
		 bool scrub) MUST_CHECK;

/* CNI CHECK: `ifname` in netns_fd has the port's MAC and addresses and its
 * host end is in sfb<p11>.  -ENODEV / -EBADE with the reason in ext. */
int bind_check(struct nl_sock *host, int netns_fd, const struct portinfo *pi,
	       const char *ifname, struct nl_extack *ext) MUST_CHECK;

/* The container's side of CHECK, in any mode: `ifname` in netns_fd is up,
 * with the port's MAC and addresses. */
int bind_check_inside(int netns_fd, const struct portinfo *pi, const char *ifname,
		      struct nl_extack *ext) MUST_CHECK;
/* Sets `ifname` (in the namespace of `ns`) up with the port's addresses,
 * default routes (see bind_attach) and host routes. */
int bind_configure_inside(struct nl_sock *ns, const struct portinfo *pi, const char *ifname,
			  unsigned *ret_defaults, struct nl_extack *ext) MUST_CHECK;

#endif

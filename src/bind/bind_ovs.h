/* Binding for hosts with the Neutron Open vSwitch agent (docs/ovs.md):
 *
 *   CNI_IFNAME ==veth== sfc<p11> -- [sfb<p11>] -- sfp<p11> ==veth== tap<p11> -- (br-int)
 *
 * The same per-port attachment as on Linux bridge hosts (bind.h), so that
 * the hot path is the same one veth and never touches OVSDB: only the
 * agent's end differs.  tap<p11> is a port of the integration bridge whose
 * Interface carries external_ids iface-id, attached-mac and iface-status,
 * as os-vif plugs a VM without the hybrid plug; the agent sees it, wires
 * its flows and firewall, and Neutron marks the port ACTIVE.
 *
 * OVSDB is spoken through ovs-vsctl rather than a JSON-RPC client of our
 * own: it is the reference client, it makes a change one transaction and
 * waits (--timeout) until ovs-vswitchd applied it, and every call here is
 * off the hot path (a port joining the pool or leaving it). */
#ifndef SF_BIND_BIND_OVS_H
#define SF_BIND_BIND_OVS_H

#include <jansson.h>
#include <stdbool.h>

#include "bind/portinfo.h"
#include "netlink/nl.h"

struct bind_ovs_cfg {
	const char *vsctl;   /* the ovs-vsctl program, looked up in PATH if no '/' */
	const char *db;      /* OVSDB's address, e.g. "unix:/run/openvswitch/db.sock" */
};

/* Seconds an ovs-vsctl call may take (its own --timeout). */
#define BIND_OVS_TIMEOUT_S 10

/* Adds `tap` to the port's bridge (pi->ovs_bridge), or moves it there,
 * with the port's external_ids and ours (sf-deployment); idempotent.
 * *ret_userspace: the bridge's datapath is the userspace one (netdev).  On
 * failure ext->msg holds what ovs-vsctl said. */
int bind_ovs_plug(const struct bind_ovs_cfg *c, const struct portinfo *pi, const char *tap,
		  const char *deployment, bool *ret_userspace, struct nl_extack *ext) MUST_CHECK;
/* The OVSDB Interfaces of `deployment` that have an OpenFlow port: an
 * object mapping interface name to iface-id, for the caller to free.  One
 * ovs-vsctl call for all ports (the wiring recheck runs every 300 ms). */
int bind_ovs_list(const struct bind_ovs_cfg *c, const char *deployment, json_t **ret) MUST_CHECK;
/* Removes `tap`'s OVSDB port, wherever it is; 0 when there was none. */
int bind_ovs_unplug(const struct bind_ovs_cfg *c, const char *tap, struct nl_extack *ext) MUST_CHECK;

/* A Bridge's datapath_type as ovs-vsctl prints it is the userspace one
 * ("netdev"; "" or "system" is the kernel's). */
bool bind_ovs_userspace(const char *datapath_type);

/* False when OVSDB is a unix socket that does not exist: not an OVS host. */
bool bind_ovs_available(const struct bind_ovs_cfg *c);

/* Runs `c->vsctl --db=c->db --timeout=N args...` (argv, no shell) and gives
 * its standard output, trimmed, in `out` (may be NULL).  0 on exit status 0;
 * -EIO with its first line of error in ext->msg otherwise; -errno when it
 * could not run. */
int bind_ovs_vsctl(const struct bind_ovs_cfg *c, const char *const *args, char *out,
		   size_t out_size, struct nl_extack *ext) MUST_CHECK;

#endif

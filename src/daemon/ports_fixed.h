/* A port for an address the runtime chose (docs/cni.md, "A chosen
 * address"): CNI's `ips` capability (runtimeConfig {"ips": ["a.b.c.d/len"]},
 * podman's --ip; superfluid-docker's --ip).  A pool port already has some
 * other address, so such an ADD is always a cold one: the port is made for
 * it with fixed_ips, within cold_add_timeout, and marked fixed (portinfo),
 * so that its release deletes it instead of pooling it. */
#ifndef SF_DAEMON_PORTS_FIXED_H
#define SF_DAEMON_PORTS_FIXED_H

#include <stddef.h>
#include <stdint.h>

#include "cni/conf.h"
#include "cni/env.h"
#include "cni/error.h"
#include "common/util.h"
#include "daemon/state.h"
#include "store/store.h"

#define PORTS_FIXED_ADDR_MAX 64

/* The address runtimeConfig.ips asks for into buf ("a.b.c.d" or "x::y",
 * without its prefix length, which must be the subnet's; *ret_len gets it,
 * or -1 when none was given); 0 with buf "" when none is asked.  -EINVAL
 * with err set (code 7) for anything but one address. */
int ports_fixed_wanted(const struct cni_conf *conf, char buf[PORTS_FIXED_ADDR_MAX],
		       int *ret_len, struct cni_error *err) MUST_CHECK;

/* Claims the ready pool port that holds `ip` already (a pool port, back to
 * the pool at DEL) or else makes the port of pool `p` with address `ip`
 * (prefix length `len`, -1: any), claims it at once for env's (container,
 * ifname, netns), wires its
 * host side and waits until `deadline` (ms) for it to turn ACTIVE.  On
 * success *ret is the claimed row (caller's, store_port_done).  Neutron's
 * refusals are code 7 with its reason (the address is taken:
 * IpAddressAlreadyAllocated; not in the subnet); an unreachable or slow
 * Neutron, code 11.  Nothing is left behind on failure: a port made is
 * released, and a released fixed port is deleted. */
int ports_fixed_claim(struct daemon *d, struct pool *p, const struct cni_env *env, const char *ip,
		      int len, uint64_t deadline, struct store_port *ret,
		      struct cni_error *err) MUST_CHECK;

/* Whether a store row is a fixed port's (its info says so). */
bool ports_fixed_is(const struct store_port *row);

#endif

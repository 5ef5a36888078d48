/* Nested modes (docs/nested.md): the VM's NIC and port.  nested_new
 * resolves the NIC (its ifindex and MAC, in the daemon's namespace); the
 * VM's port and trunk are looked up in Neutron on first use, so a daemon
 * started while Neutron is away still serves its warm pool. */
#ifndef SF_DAEMON_NESTED_H
#define SF_DAEMON_NESTED_H

#include <stdbool.h>
#include <stddef.h>

#include "bind/portinfo.h"
#include "common/util.h"
#include "daemon/state.h"

struct nested;

int nested_new(const struct daemon_settings *cfg, struct nested **ret) MUST_CHECK;
void nested_free(struct nested *dn);   /* NULL-safe */
/* The VM's NIC's ifindex, in the daemon's namespace. */
int nested_link(const struct nested *dn);
/* WIRING ports `ids` (NULL entries skipped) become READY once the VM's port
 * carries them: one Neutron update for all (allowed address pairs, or
 * add_subports with their VLAN ids recorded in the store).  Returns how
 * many are still WIRING, or -errno (Neutron's words in ret_err, may be
 * NULL).  Ports the VM's port refuses (Neutron's max_allowed_address_pair)
 * are given back to Neutron: -ENOSPC when that was all of them. */
int nested_ready(struct daemon *d, char **ids, size_t n,
		 struct neutron_error *ret_err) MUST_CHECK;
/* Macvlan mode: the container's MAC is the port's with bit 2 of its first
 * octet flipped (fa:16:3e:.. -> fe:16:3e:..), and that MAC, not the
 * port's, goes with its address into the VM's pairs.  Neutron's OVN driver
 * makes each pool port (unbound, its address a pair of the VM's) a virtual
 * logical port that keeps the port's MAC: frames to that MAC may be sent to
 * the virtual port, which ovn-controller 23.03 does not deliver; a pair
 * MAC no port has is the VM's port's alone (docs/ovn.md, "Nested").
 * Unchanged in VLAN mode and on bare metal. */
void nested_own_mac(const struct daemon *d, struct portinfo *pi);
/* The VM's port refused more ports lately: refills wait.  False on bare
 * metal. */
bool nested_full(struct daemon *d);
/* The reverse, for ports about to be deleted: their pairs, or subports,
 * off the VM's port, in one update. */
int nested_unready(struct daemon *d, const struct portinfo *pis, size_t n) MUST_CHECK;

#endif

/* The VM's own Neutron port, as a daemon inside the VM sees it
 * (docs/nested.md): the port that carries its containers' ports, as
 * allowed address pairs (macvlan mode) or as subports of the trunk whose
 * parent it is (VLAN mode).
 *
 * Thread-safe: the refiller and the syncer call it at once; one lock
 * serialises the read-modify-write of the VM's port and the VLAN ids. */
#ifndef SF_BIND_VMPORT_H
#define SF_BIND_VMPORT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/util.h"
#include "neutron/neutron.h"

#define VMPORT_VLAN_MIN 1
#define VMPORT_VLAN_MAX 4094

struct vmport;

/* Finds the VM's port: by id when port_id is not NULL, else the one port
 * whose MAC is `mac` (-ENOENT: none, -ENOTUNIQ: several).  With
 * want_trunk, also the trunk whose parent it is (-ENOENT otherwise), and
 * the VLAN ids its subports use.  err says why in words. */
int vmport_new(struct neutron_client *nc, const char *port_id, const uint8_t mac[6],
	       bool want_trunk, struct vmport **ret, struct neutron_error *err) MUST_CHECK;
void vmport_free(struct vmport *vp);
const char *vmport_id(const struct vmport *vp);
const char *vmport_trunk_id(const struct vmport *vp);   /* NULL without a trunk */

/* One allowed address pair: an address (no prefix length) and a MAC. */
struct vmport_pair {
	const char *ip;
	const char *mac;
};

/* Adds the pairs the VM's port does not have yet, or removes those given,
 * leaving every other pair alone: read the port, write the new list with
 * If-Match on the revision read; a 412 (the port changed meanwhile) reads
 * again, up to VMPORT_TRIES times.  Returns 1 when the port was updated,
 * 0 when no change was needed (and no update sent), or -errno. */
#define VMPORT_TRIES 10
int vmport_pairs_add(struct vmport *vp, struct neutron_client *nc, const struct vmport_pair *p,
		     size_t n, struct neutron_error *err) MUST_CHECK;
int vmport_pairs_remove(struct vmport *vp, struct neutron_client *nc,
			const struct vmport_pair *p, size_t n, struct neutron_error *err) MUST_CHECK;

/* Makes each port a subport of the trunk in one add_subports call, with a
 * VLAN id no subport of the trunk uses (a port already a subport keeps its
 * id).  A 409 (an id taken since the trunk was read) reads the trunk again
 * and tries other ids, up to VMPORT_TRIES times.  On success
 * ret_vlan_ids[i] is port_ids[i]'s id.  -ENOSPC when the ids run out. */
int vmport_subports_add(struct vmport *vp, struct neutron_client *nc,
			const char *const *port_ids, size_t n, uint16_t *ret_vlan_ids,
			struct neutron_error *err) MUST_CHECK;
/* Detaches those of the ports that are subports, in one call. */
int vmport_subports_remove(struct vmport *vp, struct neutron_client *nc,
			   const char *const *port_ids, size_t n,
			   struct neutron_error *err) MUST_CHECK;

#endif

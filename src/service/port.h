/* The Neutron side of a service (docs/superfluidity.md):
 * - the service port reserves the address: device_owner
 *   "superfluid:service", name "sf-svc-<name>", tag "sf-service=<name>",
 *   never bound, its description the service's state (service/spec.h);
 * - an instance is a port whose allowed address pairs hold the address
 *   (with the port's own MAC) and which carries the tag
 *   "sf-member=<name>": its port security lets it, and only it, send as
 *   the address; its security groups guard what reaches it there.
 * A service moved another way than by the pair carries the tag
 * "sf-method=<method>" (fip: service/fip.h); no such tag is aap.
 * The service port carries no "sf-deployment" tag: it belongs to no
 * host's daemon, so no garbage collector of one deletes it. */
#ifndef SF_SERVICE_PORT_H
#define SF_SERVICE_PORT_H

#include <jansson.h>
#include <stdint.h>

#include "common/util.h"
#include "netlink/nl.h"
#include "neutron/neutron.h"
#include "service/spec.h"

#define SERVICE_DEVICE_OWNER "superfluid:service"
#define SERVICE_ADDR_LEN 64
#define SERVICE_HOST_MAX 256

struct service_port {
	char name[SERVICE_NAME_MAX + 1];
	char id[SERVICE_ID_LEN];
	char network_id[SERVICE_ID_LEN];
	char subnet_id[SERVICE_ID_LEN];
	char addr[SERVICE_ADDR_LEN];    /* "198.19.240.50" */
	int family;
	union nl_ip ip;
	int64_t revision;
	struct service_state state;
	/* binding: the service port's own MAC and binding (Neutron shows the
	 * binding to admins only; "" when not shown or unbound). */
	char mac[18];
	char host[SERVICE_HOST_MAX];          /* binding:host_id */
	char migrating_to[SERVICE_HOST_MAX];  /* binding:profile's migrating_to */
};

/* From a Neutron port object: -EINVAL when it is not a service port. */
int service_port_from_json(const json_t *port, struct service_port *ret) MUST_CHECK;

/* Creates the service port on `network_id` (subnet_id and ip may be NULL:
 * Neutron picks).  -EEXIST when a service of that name exists. */
int service_port_create(struct neutron_client *c, const char *name, const char *network_id,
			const char *subnet_id, const char *ip, const struct service_state *st,
			struct service_port *ret, struct neutron_error *err) MUST_CHECK;
/* -ENOENT when there is no service of that name. */
int service_port_find(struct neutron_client *c, const char *name, struct service_port *ret,
		      struct neutron_error *err) MUST_CHECK;
/* Every service port: a JSON array of port objects (caller decrefs). */
int service_port_list(struct neutron_client *c, json_t **ret,
		      struct neutron_error *err) MUST_CHECK;
/* Compare-and-set of the state: If-Match on sp->revision; -ESTALE when the
 * port changed since it was read.  On success sp holds the new state and
 * revision. */
int service_port_set_state(struct neutron_client *c, struct service_port *sp,
			   const struct service_state *st, struct neutron_error *err) MUST_CHECK;
/* binding: with migrating_to NULL, binds the service port to `host`
 * (binding:host_id, an empty binding:profile: one chassis); otherwise adds
 * binding:profile migrating_to to the binding on its host, as Nova does
 * for a live migration (ML2/OVN: requested-chassis on both, the new one
 * activated by a RARP).  On success sp holds the port as Neutron answered. */
int service_port_bind(struct neutron_client *c, struct service_port *sp, const char *host,
		      const char *migrating_to, struct neutron_error *err) MUST_CHECK;
/* 0 also when it is already gone. */
int service_port_delete(struct neutron_client *c, const char *id,
			struct neutron_error *err) MUST_CHECK;

/* Makes `port_id` an instance: the address as an allowed address pair
 * (not for the binding method, whose service port carries it), the member
 * tag.  Idempotent: 1 when it was an instance already, 0 when
 * made one; a concurrent change of the port (412) is re-read and retried. */
int service_member_add(struct neutron_client *c, const struct service_port *sp,
		       const char *port_id, struct neutron_error *err) MUST_CHECK;
/* The reverse; 0 also when the port is gone or was no member. */
int service_member_remove(struct neutron_client *c, const char *name, const char *addr,
			  const char *port_id, struct neutron_error *err) MUST_CHECK;
/* The instances' ports: a JSON array (caller decrefs). */
int service_member_list(struct neutron_client *c, const char *name, json_t **ret,
			struct neutron_error *err) MUST_CHECK;
/* "sf-member=<name>" into buf. */
int service_member_tag(const char *name, char *buf, size_t size) MUST_CHECK;

#endif

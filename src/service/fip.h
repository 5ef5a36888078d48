/* The floating IP of a service moved by floating IP re-association
 * (method "fip", docs/superfluidity.md): a floating IP on an external
 * network, tagged "sf-service=<name>", associated with the answering
 * instance's port; the L3 agent's NAT sends what reaches the floating
 * address to that port's fixed address.  Made with the service and
 * deleted with it; it belongs to no host's daemon (no "sf-deployment"
 * tag), so no garbage collector takes it. */
#ifndef SF_SERVICE_FIP_H
#define SF_SERVICE_FIP_H

#include "common/util.h"
#include "neutron/neutron.h"
#include "service/port.h"

struct service_fip {
	char id[SERVICE_ID_LEN];
	char addr[SERVICE_ADDR_LEN];      /* the floating address clients use */
	char port_id[SERVICE_ID_LEN];     /* associated with; "" for none */
	char network_id[SERVICE_ID_LEN];  /* the external network */
};

/* A fresh floating IP of service `name` on the external network
 * `network_id`, associated with nothing.  -EEXIST when the service has one. */
int service_fip_create(struct neutron_client *c, const char *name, const char *network_id,
		       struct service_fip *ret, struct neutron_error *err) MUST_CHECK;
/* -ENOENT when the service has none, -ENOTUNIQ when it has more. */
int service_fip_find(struct neutron_client *c, const char *name, struct service_fip *ret,
		     struct neutron_error *err) MUST_CHECK;
/* Associates f with port_id (NULL: with nothing); f->port_id follows. */
int service_fip_associate(struct neutron_client *c, struct service_fip *f, const char *port_id,
			  struct neutron_error *err) MUST_CHECK;
/* 0 also when it is already gone. */
int service_fip_delete(struct neutron_client *c, const char *id,
		       struct neutron_error *err) MUST_CHECK;

#endif

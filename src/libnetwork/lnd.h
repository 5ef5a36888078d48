/* Docker's libnetwork remote network driver and IPAM driver, the protocol
 * kuryr-libnetwork implements (docs/runtimes.md, "Docker"): one JSON
 * request in, one JSON answer out, errors as {"Err": "..."}.  The IPAM
 * driver maps a Docker pool to a Neutron network and subnet
 * (neutron.net.uuid|name, neutron.subnet.uuid|name, superfluid.security_groups)
 * and takes each address from superfluidd's pool with a CNI ADD
 * (lnd_attach.h); the network driver hands that port to Docker.
 * Thread-safe (one lock). */
#ifndef SF_LIBNETWORK_LND_H
#define SF_LIBNETWORK_LND_H

#include <stddef.h>

#include "common/util.h"
#include "neutron/neutron.h"

struct lnd_opts {
	const char *daemon_socket;   /* superfluidd's socket; copied */
	/* The state file, kept across restarts of the driver (its networks,
	 * pools and endpoints), and the folder where the attachments'
	 * namespaces are pinned (lnd_attach.h); each copied, NULL: none (the
	 * state is in memory only, the namespaces anonymous). */
	const char *state_file, *park_dir;
	struct neutron_client *nc;   /* borrowed; NULL: every Neutron lookup fails */
};

struct lnd;

/* Loads the state file if there is one (lnd_state.c: -EINVAL for one that
 * cannot be read, logged). */
int lnd_new(const struct lnd_opts *o, struct lnd **ret) MUST_CHECK;
/* Frees the driver's memory; the ports it holds stay held while their
 * parked namespaces stay (lnd_attach.h): pinned ones until a later run
 * releases them, anonymous ones until this process exits. */
void lnd_free(struct lnd *l);

/* Answers the call `path` ("/Plugin.Activate", "/NetworkDriver.Join", ...)
 * with request body `body` (`len` bytes, need not be terminated).  *ret
 * (caller frees) is always a JSON object.  Returns 0 for an answer, 1 for
 * a refusal ({"Err": "..."}, which goes out with HTTP 500, as
 * kuryr-libnetwork does: Docker's plugin client reads "Err" from any
 * non-200 answer, while its IPAM API would look for "Error" in a 200 one),
 * or -ENOMEM with nothing written. */
int lnd_handle(struct lnd *l, const char *path, const char *body, size_t len,
	       char **ret) MUST_CHECK;

#endif

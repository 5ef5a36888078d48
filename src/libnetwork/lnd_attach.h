/* The Docker driver's attachments (docs/runtimes.md, "Docker"): a Neutron
 * port taken from superfluidd's pool with the daemon's own CNI ADD, into a
 * namespace of this program's ("parked"), and moved out to this program's
 * namespace under a name Docker then moves into the container.
 *
 * Why parked: Docker's Join comes before the container's namespace
 * exists, and wants an interface in dockerd's namespace (SrcName) that it
 * moves itself; the daemon's ADD makes the container end in a namespace.
 * The parked namespace stays, with a placeholder link of the attachment's
 * name, as long as this program holds the attachment, so that the daemon's
 * garbage collector (which releases a port whose namespace or interface is
 * gone, docs/gc.md) sees it held; when this program dies, the namespace
 * goes with it and the collector releases the port. */
#ifndef SF_LIBNETWORK_LND_ATTACH_H
#define SF_LIBNETWORK_LND_ATTACH_H

#include <jansson.h>

#include "common/util.h"

#define LND_IFNAME "eth0"   /* the attachment's name in its parked namespace */

struct lnd_attachment {
	char container_id[40];   /* the CNI container id the daemon knows it by */
	int park_fd;             /* the parked namespace; owned, -1 when none */
	char netns_path[64];     /* /proc/<our pid>/fd/<park_fd>, for the daemon */
	json_t *result;          /* the ADD's CNI result; owned */
	char moved[16];          /* its name in our namespace once moved out, or "" */
};

/* A CNI ADD of network config `conf` (a JSON object, borrowed) through
 * the daemon at `socket`, into a new parked namespace.  On success *ret
 * (caller-owned, lnd_attachment_free) holds the result; on failure `why`
 * says what failed (the daemon's CNI message when it answered). */
int lnd_attach_add(const char *socket, const json_t *conf, struct lnd_attachment **ret,
		   char *why, size_t why_size) MUST_CHECK;
/* Moves the attachment's interface out of its parked namespace into this
 * program's, renamed `name`, and leaves a placeholder link named
 * LND_IFNAME in the parked one.  Idempotent once done. */
int lnd_attach_move_out(struct lnd_attachment *a, const char *name, char *why,
			size_t why_size) MUST_CHECK;
/* The CNI DEL of the attachment: the daemon releases the port (and deletes
 * the veth wherever its ends are).  The attachment is still to be freed. */
int lnd_attach_del(const char *socket, const json_t *conf, const struct lnd_attachment *a,
		   char *why, size_t why_size) MUST_CHECK;
/* Closes the parked namespace and frees; NULL-safe. */
void lnd_attachment_free(struct lnd_attachment *a);

#endif

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
 * gone, docs/gc.md) sees it held.  With a park folder (lnd_opts) the
 * namespace is pinned there by a bind mount named after the attachment,
 * so that it outlives a restart of this program (lnd_state.c restores the
 * attachment); without one it is anonymous and goes when this program
 * dies, and the collector releases the port. */
#ifndef SF_LIBNETWORK_LND_ATTACH_H
#define SF_LIBNETWORK_LND_ATTACH_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "common/util.h"

#define LND_IFNAME "eth0"   /* the attachment's name in its parked namespace */

struct lnd_attachment {
	char container_id[40];   /* the CNI container id the daemon knows it by */
	int park_fd;             /* the parked namespace; owned, -1 when none (a
				  * restored attachment whose namespace is gone) */
	char netns_path[160];    /* the daemon's CNI_NETNS: PARK/<container id> when
				  * pinned, else /proc/<our pid>/fd/<park_fd> */
	bool pinned;             /* netns_path is our bind mount (removed at DEL) */
	json_t *result;          /* the ADD's CNI result; owned */
	char moved[16];          /* its name in our namespace once moved out, or "" */
};

/* --- Asking superfluidd ------------------------------------------------- */

/* What superfluidd said when it refused a request. */
struct lnd_refusal {
	int cni_code;            /* a CNI error's code; 0 for a ctl query's */
	char errno_name[24];     /* a ctl query's "errno" (ENOENT: no such pool), or "" */
	char why[512];           /* "superfluidd: <message>", or why it was not asked */
};

/* Sends one request frame (`req`, `len` bytes: a CNI request from
 * wire_request_build, or a {"ctl": ...} query) to superfluidd at `socket`.
 * 0: *ret_stdout (caller frees) is its answer.  -EPROTO: it refused, `ref`
 * says how.  Another -errno: no answer (ref->why says why). */
int lnd_ask(const char *socket, const char *req, size_t len, char **ret_stdout,
	    struct lnd_refusal *ref) MUST_CHECK;

/* --- Attachments ----------------------------------------------------------- */

/* A CNI ADD of network config `conf` (a JSON object, borrowed) through
 * the daemon at `socket`, into a new parked namespace, pinned in folder
 * `park` (made if absent) or anonymous when `park` is NULL.  On success
 * *ret (caller-owned, lnd_attachment_free) holds the result; on failure
 * `why` says what failed (the daemon's CNI message when it answered) and
 * nothing is left (no port held, no pin). */
int lnd_attach_add(const char *socket, const char *park, const json_t *conf,
		   struct lnd_attachment **ret, char *why, size_t why_size) MUST_CHECK;
/* An attachment of an earlier run of this program, as lnd_state.c saved
 * it: its pinned namespace reopened (park_fd -1 when it is gone: a DEL
 * still releases the port, a move out fails).  `result` is borrowed (a
 * reference is taken).  -EINVAL for a field that does not fit. */
int lnd_attach_restore(const char *container_id, const char *netns_path, bool pinned,
		       const json_t *result, const char *moved,
		       struct lnd_attachment **ret) MUST_CHECK;
/* Moves the attachment's interface out of its parked namespace into this
 * program's, renamed `name`, and leaves a placeholder link named
 * LND_IFNAME in the parked one.  Idempotent once done. */
int lnd_attach_move_out(struct lnd_attachment *a, const char *name, char *why,
			size_t why_size) MUST_CHECK;
/* The CNI DEL of the attachment: the daemon releases the port (and deletes
 * the veth wherever its ends are); on success the pin is removed too.  The
 * attachment is still to be freed. */
int lnd_attach_del(const char *socket, const json_t *conf, struct lnd_attachment *a,
		   char *why, size_t why_size) MUST_CHECK;
/* Closes the parked namespace and frees (a pin stays: a later run restores
 * it); NULL-safe. */
void lnd_attachment_free(struct lnd_attachment *a);

#endif

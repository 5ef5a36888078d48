/* superfluidd's life: building the daemon, its threads, taking it down.
 * Threads, once daemon_new returns: the three background threads of
 * state.h (refiller, recycler, syncer), the socket server's acceptor and
 * its cfg.workers request workers (server.h), and libmicrohttpd's thread
 * for the metrics endpoint (httpd.h); main.c's thread waits for signals. */
#ifndef SF_DAEMON_LIFECYCLE_H
#define SF_DAEMON_LIFECYCLE_H

#include "common/util.h"
#include "daemon/state.h"

/* Builds the daemon from its settings and a ready Neutron client (the
 * daemon takes ownership of it), opens the store and the pools, and starts
 * the socket, the metrics endpoint and the background threads. */
int daemon_new(const struct daemon_settings *cfg, struct neutron_client *nc,
	       struct daemon **ret) MUST_CHECK;
/* Stops everything and frees.  NULL-safe. */
void daemon_free(struct daemon *d);

/* Resolves a pool declared in the config, so it fills before any ADD. */
int daemon_declare_pool(struct daemon *d, const struct pool_request *rq,
			const struct pool_sizes *sizes) MUST_CHECK;

#endif

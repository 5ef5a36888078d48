/* Readiness: does the instance's server answer?  The socket is made in the
 * instance's network namespace by a short-lived thread (netns_run); the
 * connect and all I/O then happen on the caller's thread, so no thread
 * that does other work ever lives in the container's namespace.  The HTTP
 * check is libcurl's, on sockets handed to it through its open-socket
 * callback. */
#ifndef SF_SERVICE_PROBE_H
#define SF_SERVICE_PROBE_H

#include <stddef.h>

#include "common/util.h"
#include "netlink/nl.h"
#include "service/spec.h"

/* One attempt against `ip` (the instance's own address), within
 * timeout_ms.  0 when ready; otherwise -errno with `why` saying what
 * answered (connection refused, HTTP 503, timeout, ...). */
int service_probe_once(int netns_fd, const struct service_check *c, int family,
		       const union nl_ip *ip, unsigned timeout_ms, char *why,
		       size_t why_size) MUST_CHECK;

/* Attempts every interval_ms until one succeeds or total_ms pass: 0, or
 * -ETIMEDOUT with the last attempt's reason in `why`.  *ret_waited_ms (may
 * be NULL) gets how long it took. */
int service_probe_until(int netns_fd, const struct service_check *c, int family,
			const union nl_ip *ip, unsigned total_ms, unsigned interval_ms,
			unsigned *ret_waited_ms, char *why, size_t why_size) MUST_CHECK;

#endif

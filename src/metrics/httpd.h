/* The daemon's HTTP endpoint for health and Prometheus metrics, served by
 * libmicrohttpd from one internal thread:
 *
 *   GET /metrics   200, the registry in text format 0.0.4
 *   GET /healthz   200 "ok" while the process runs
 *   GET /readyz    200 "ready", or 503 "not ready: <reason>"
 *   anything else  404; methods other than GET and HEAD get 405
 *
 * It binds one numeric address only ("127.0.0.1:9777", "[::1]:9777"), and
 * refuses an address that is not loopback unless allow_remote is set: the
 * endpoint has no authentication, and pool and port counts are nobody
 * else's business by default. */
#ifndef SF_METRICS_HTTPD_H
#define SF_METRICS_HTTPD_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "common/util.h"
#include "metrics/metrics.h"

#define HTTPD_DEFAULT_ADDRESS "127.0.0.1:9777"
#define HTTPD_CONNECTION_LIMIT 32     /* concurrent connections */
#define HTTPD_CONNECTION_TIMEOUT_S 10 /* idle seconds before a connection is dropped */

/* Everything here is borrowed and must outlive httpd_stop().  Callbacks run
 * on the httpd thread. */
struct httpd_handlers {
	struct metrics_registry *registry;  /* NULL: /metrics answers 404 */
	/* Returns true when the daemon is ready; otherwise writes a short
	 * reason (NUL-terminated, at most reason_size bytes).  NULL: always
	 * ready. */
	bool (*ready)(void *userdata, char *reason, size_t reason_size);
	void *userdata;
	bool allow_remote;                  /* permit a non-loopback address */
};

struct httpd;

/* The daemon's readiness: set each flag once it holds (from any thread) and
 * pass httpd_readiness_check as `ready`, with this struct as `userdata`. */
struct httpd_readiness {
	atomic_bool pools_loaded;     /* the pools were read back and adopted */
	atomic_bool neutron_reached;  /* one Neutron call succeeded */
	atomic_bool store_failing;    /* the state database takes no writes (a full disk) */
};
bool httpd_readiness_check(void *userdata, char *reason, size_t reason_size);

/* Parses "HOST:PORT" (an IPv4 literal, or an IPv6 literal in brackets; port
 * 0 picks a free one) into a socket address.  Returns -EINVAL for a
 * malformed address and -EPERM for a non-loopback one when !allow_remote.
 * For the config parser as well as httpd_start. */
int httpd_address_parse(const char *address, bool allow_remote, struct sockaddr_storage *ret,
			socklen_t *ret_len) MUST_CHECK;

/* Starts serving.  Returns -EINVAL/-EPERM as httpd_address_parse does,
 * -EADDRINUSE or another bind error, or -EIO when libmicrohttpd fails to
 * start.  Stop and free with httpd_stop(). */
int httpd_start(const char *address, const struct httpd_handlers *h, struct httpd **ret) MUST_CHECK;
/* Stops the thread, closes every socket and frees.  NULL-safe. */
void httpd_stop(struct httpd *d);
/* The bound port (useful after asking for port 0). */
uint16_t httpd_port(const struct httpd *d);

#endif

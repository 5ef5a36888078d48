/* The daemon's unix socket: one request per connection, answered by a pool
 * of worker threads so that a slow request (a cold ADD waiting for Neutron)
 * never holds up a fast one.  Only root may talk to it: the socket is mode
 * 0600 and every peer's credentials are checked (SO_PEERCRED). */
#ifndef SF_SERVER_SERVER_H
#define SF_SERVER_SERVER_H

#include <stddef.h>
#include <sys/types.h>

/* Called on a worker thread with the whole request (not NUL-terminated,
 * borrowed).  On success *ret_reply is a malloc'd reply the server sends and
 * frees.  A negative return closes the connection without a reply.  req is
 * NULL when the request was longer than len (max_request) bytes: the reply is
 * an error, and the server stops reading. */
typedef int (*server_handler_fn)(void *userdata, const char *req, size_t len,
				 char **ret_reply, size_t *ret_len);

struct server_opts {
	const char *path;        /* socket path; its directory must exist */
	unsigned workers;        /* default 32 */
	size_t max_request;      /* default 1 MiB */
	int io_timeout_ms;       /* per read/write, default 10000 */
	uid_t allowed_uid;       /* default 0 (root) */
};

struct server;

int server_new(const struct server_opts *opts, server_handler_fn fn, void *userdata,
	       struct server **ret);
/* Stops accepting, lets the requests in progress finish, joins the threads
 * and removes the socket file.  NULL-safe. */
void server_free(struct server *s);

#endif

/* superfluidd's request handler: the server (server.h) calls it on a worker
 * thread for each request on the socket. */
#ifndef SF_DAEMON_HANDLE_H
#define SF_DAEMON_HANDLE_H

#include <stddef.h>

/* A server_handler_fn; userdata is the struct daemon.  CNI verbs and sfctl
 * queries; *ret_reply (caller free()s) is the wire reply, always one the
 * plugin can read unless -ENOMEM. */
int handle_request(void *userdata, const char *req, size_t len, char **ret_reply,
		   size_t *ret_len);

#endif

/* The wire protocol between the CNI plugin (`superfluid`) and the daemon
 * (`superfluidd`), over a unix stream socket, one request per connection:
 *
 *   plugin -> daemon: one JSON object, then shutdown(SHUT_WR)
 *     {"version":1,
 *      "env":{"CNI_COMMAND":"ADD","CNI_CONTAINERID":"..","CNI_NETNS":"..",
 *             "CNI_IFNAME":"..","CNI_ARGS":"..","CNI_PATH":".."},
 *      "stdin":"<stdin exactly as received, as a JSON string>"}
 *     Unset variables are left out of "env"; the daemon validates them and
 *     stdin with env.h and conf.h.
 *   daemon -> plugin: one JSON object, then close
 *     {"exit":0|1,"stdout":"<exact text the plugin prints>"}
 *
 * Each message is at most WIRE_MSG_MAX bytes; stdin at most CNI_CONF_MAX
 * and each variable at most WIRE_ENV_MAX, so that a request always fits.
 * Every fd is close-on-exec. */
#ifndef SF_CNI_WIRE_H
#define SF_CNI_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "cni/cni.h"
#include "cni/env.h"

#define WIRE_VERSION 1
#define WIRE_DEFAULT_SOCKET "/run/superfluid/superfluid.sock"
#define WIRE_MSG_MAX (1024 * 1024)
#define WIRE_ENV_MAX 4096
/* The plugin's budget for the whole call: long enough for a cold ADD, in
 * which the daemon may have to create a Neutron port. */
#define WIRE_DEFAULT_TIMEOUT_MS 120000
#define WIRE_CONNECT_TIMEOUT_MS 5000

/* The daemon's view of a request; owns everything. */
struct wire_request {
	struct cni_env_raw env;   /* strings point into this request */
	char *stdin_data;         /* NUL-terminated; may hold other NULs */
	size_t stdin_len;
	char *owned_[6];          /* private: storage for env */
};

struct wire_reply {
	int exit_code;            /* 0 or 1 */
	char *stdout_text;        /* NUL-terminated */
	size_t stdout_len;
};

/* Plugin side: the request for `env` and stdin.  Fails with code 4 when a
 * variable is longer than WIRE_ENV_MAX or not UTF-8, and code 6 when stdin
 * is over CNI_CONF_MAX or not UTF-8.  The caller frees *ret with free(). */
int wire_request_build(const struct cni_env_raw *env, const char *stdin_data,
		       size_t stdin_len, char **ret, size_t *ret_len,
		       struct cni_error *err) MUST_CHECK;

/* Daemon side: parses a request.  Anything malformed (not JSON, truncated,
 * too big, wrong types, another protocol version) is code 6 in err.  The
 * caller frees *ret with wire_request_free(). */
int wire_request_parse(const char *buf, size_t len, struct wire_request **ret,
		       struct cni_error *err) MUST_CHECK;
void wire_request_free(struct wire_request *req);

/* Daemon side: a reply printing `stdout_text` and exiting with exit_code
 * (0 or 1).  wire_reply_error() is the reply for a CNI error.  The caller
 * frees *ret with free(). */
int wire_reply_build(int exit_code, const char *stdout_text, char **ret,
		     size_t *ret_len) MUST_CHECK;
int wire_reply_error(const struct cni_error *err, char **ret, size_t *ret_len) MUST_CHECK;

/* Plugin side: parses a reply; -EBADMSG when malformed.  The caller frees
 * *ret with wire_reply_free(). */
int wire_reply_parse(const char *buf, size_t len, struct wire_reply **ret) MUST_CHECK;
void wire_reply_free(struct wire_reply *reply);

/* Socket I/O.  Deadlines are absolute util_now_ms() values; -ETIMEDOUT
 * when one passes. */

/* Connects to the unix socket at `path`, waiting at most until the
 * deadline.  -ENAMETOOLONG for a path that does not fit sun_path; else the
 * connect errno (-ENOENT, -ECONNREFUSED, -EACCES, ...).  The caller closes
 * *ret_fd. */
int wire_connect(const char *path, uint64_t deadline_ms, int *ret_fd) MUST_CHECK;
/* Writes all of buf (MSG_NOSIGNAL: no SIGPIPE). */
int wire_send_all(int fd, const void *buf, size_t len, uint64_t deadline_ms) MUST_CHECK;
/* Reads until EOF; -EMSGSIZE past `max` bytes.  *ret is NUL-terminated and
 * freed by the caller with free(). */
int wire_recv_all(int fd, size_t max, uint64_t deadline_ms, char **ret,
		  size_t *ret_len) MUST_CHECK;

/* Stage of wire_call() that failed, to tell "daemon not there" from "daemon
 * did not answer". */
enum wire_stage {
	WIRE_STAGE_CONNECT = 1,
	WIRE_STAGE_EXCHANGE,
};

/* The plugin's one round trip: connect (at most WIRE_CONNECT_TIMEOUT_MS of
 * the budget), send the request, shut the write side, read the reply to
 * EOF (at most WIRE_MSG_MAX bytes).  `timeout_ms` bounds the whole call.
 * Unlike an output, *failed_stage (if not NULL) is written on failure
 * only.  The caller frees *ret with free(). */
int wire_call(const char *path, const char *req, size_t req_len, int timeout_ms,
	      char **ret, size_t *ret_len, enum wire_stage *failed_stage) MUST_CHECK;

/* Parses SUPERFLUID_TIMEOUT: whole seconds, 1..3600.  -EINVAL otherwise. */
int wire_parse_timeout(const char *s, int *ret_ms) MUST_CHECK;

#endif

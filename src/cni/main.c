/* superfluid: the CNI plugin.  Thin on purpose: it answers VERSION itself
 * and hands every other verb, with its environment and stdin, to
 * superfluidd over a unix socket (cni/wire.h), then prints the daemon's
 * answer and exits with its code.  stdout is the CNI protocol; logs go to
 * stderr.  What it does when the daemon cannot be reached is in
 * docs/cni.md ("When the daemon is down"). */
#include "cni/cni.h"
#include "cni/conf.h"
#include "cni/env.h"
#include "cni/wire.h"
#include "common/log.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <unistd.h>

static const char about[] =
	"superfluid: CNI plugin for OpenStack Neutron ports, served by superfluidd.\n"
	"Run by a container runtime with CNI_COMMAND and the network config on stdin.\n"
	"CNI versions: 0.3.1, 0.4.0, 1.0.0, 1.1.0.\n";

/* Writes all of buf to stdout; the runtime reads it after we exit. */
static int put_stdout(const char *buf, size_t len)
{
	if (fwrite(buf, 1, len, stdout) != len || fflush(stdout) != 0)
		return log_errno(-EIO, "writing the result to stdout");
	return 0;
}

/* Prints err as the spec's error object; returns the exit code, 1. */
static int fail(const struct cni_error *err)
{
	char *json = NULL;

	if (cni_error_to_json(err, &json) >= 0)
		put_stdout(json, strlen(json)); /* already failing: nothing more to do */
	free(json);
	return 1;
}

/* stdin, in .bss: one use per process, and no allocation on the hot path. */
static char stdin_buf[CNI_CONF_MAX + 2];

/* Reads stdin to EOF into stdin_buf, at most CNI_CONF_MAX bytes, and
 * NUL-terminates it. */
static int read_stdin(size_t *ret_len, struct cni_error *err)
{
	size_t len = 0;
	ssize_t n;

	while (len <= CNI_CONF_MAX) {
		n = read(STDIN_FILENO, stdin_buf + len, CNI_CONF_MAX + 1 - len);
		if (n == 0)
			break;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			cni_error_set(err, CNI_ERR_IO, "failed to read the network config from stdin");
			cni_error_set_details(err, "%s", strerror(errno));
			return -EIO;
		}
		len += (size_t)n;
	}
	if (len > CNI_CONF_MAX) {
		cni_error_set(err, CNI_ERR_DECODE, "network config larger than %d bytes",
			      CNI_CONF_MAX);
		return -EFBIG;
	}
	stdin_buf[len] = '\0';
	*ret_len = len;
	return 0;
}

/* The daemon validates the config; the plugin only needs "socket" from it,
 * and "cniVersion" to answer its own errors in the right version. */
static int peek_config(const char *in, size_t len, char **ret_socket, struct cni_error *err)
{
	json_error_t jerr;
	json_t *conf = json_loadb(in, len, 0, &jerr), *v;
	enum cni_version ver;
	int r = -EINVAL;

	if (!conf || !json_is_object(conf)) {
		cni_error_set(err, CNI_ERR_DECODE, "failed to decode the network config");
		cni_error_set_details(err, "%s", conf ? "not a JSON object" : jerr.text);
		goto out;
	}
	v = json_object_get(conf, "cniVersion");
	if (json_is_string(v) && cni_version_parse(json_string_value(v), &ver) != -EINVAL)
		cni_error_set_version(err, json_string_value(v));
	v = json_object_get(conf, "socket");
	if (v && !json_is_null(v) && !json_is_string(v)) {
		cni_error_set(err, CNI_ERR_INVALID_CONFIG, "'socket' must be a string");
		goto out;
	}
	*ret_socket = json_is_string(v) ? xstrdup(json_string_value(v)) : NULL;
	r = 0;
out:
	json_decref(conf);
	return r;
}

static int check_socket_path(const char *path, const char *from, int code,
			     struct cni_error *err)
{
	if (path[0] == '/' && strlen(path) < sizeof(((struct sockaddr_un *)0)->sun_path))
		return 0;
	cni_error_set(err, code, "%s must be an absolute path shorter than 108 bytes, not '%.64s'",
		      from, path);
	return -EINVAL;
}

/* Maps a failed round trip to the error the runtime sees. */
static void report_daemon_failure(enum cni_command cmd, const char *path, int r,
			  enum wire_stage stage, int timeout_ms, struct cni_error *err)
{
	/* STATUS: any failure means ADD cannot be served now. */
	int code = cmd == CNI_CMD_STATUS ? CNI_ERR_NOT_AVAILABLE : CNI_ERR_TRY_AGAIN;

	if (stage == WIRE_STAGE_CONNECT)
		cni_error_set(err, code, "superfluidd is not reachable at '%s': %s", path,
			      strerror(-r));
	else if (r == -ETIMEDOUT)
		cni_error_set(err, code, "superfluidd did not answer %s within %d s",
			      cni_command_str(cmd), timeout_ms / 1000);
	else if (r == -EMSGSIZE)
		cni_error_set(err, cmd == CNI_CMD_STATUS ? code : CNI_ERR_INTERNAL,
			      "superfluidd's reply is larger than %d bytes", WIRE_MSG_MAX);
	else
		cni_error_set(err, code, "the connection to superfluidd at '%s' failed: %s", path,
			      strerror(-r));
	if (code == CNI_ERR_TRY_AGAIN)
		cni_error_set_details(err, "is superfluidd running? (systemctl status superfluidd)");
	log_err("%s: %s", cni_command_str(cmd), err->msg);
}

/* Every verb but VERSION: one request, one reply. */
static int forward(enum cni_command cmd, const struct cni_env_raw *env, const char *in,
		   size_t in_len, struct cni_error *err)
{
	char *conf_socket = NULL, *req = NULL, *rep = NULL;
	const char *path, *s;
	size_t req_len = 0, rep_len = 0;
	struct wire_reply *reply = NULL;
	enum wire_stage stage = WIRE_STAGE_CONNECT;
	int timeout_ms = WIRE_DEFAULT_TIMEOUT_MS, exit_code = 1, r;

	if (peek_config(in, in_len, &conf_socket, err) < 0)
		goto out;
	path = WIRE_DEFAULT_SOCKET;
	if ((s = getenv("SUPERFLUID_SOCKET")) && s[0]) {
		if (check_socket_path(s, "SUPERFLUID_SOCKET", CNI_ERR_INVALID_ENV, err) < 0)
			goto out;
		path = s;
	} else if (conf_socket) {
		if (check_socket_path(conf_socket, "'socket'", CNI_ERR_INVALID_CONFIG, err) < 0)
			goto out;
		path = conf_socket;
	}
	if ((s = getenv("SUPERFLUID_TIMEOUT")) && s[0] && wire_parse_timeout(s, &timeout_ms) < 0) {
		cni_error_set(err, CNI_ERR_INVALID_ENV,
			      "SUPERFLUID_TIMEOUT must be whole seconds, 1 to 3600, not '%.32s'", s);
		goto out;
	}
	if (wire_request_build(env, in, in_len, &req, &req_len, err) < 0)
		goto out;
	r = wire_call(path, req, req_len, timeout_ms, &rep, &rep_len, &stage);
	/* No reply at all: the daemon died or restarted under us. */
	if (r >= 0 && rep_len == 0) {
		r = -ECONNRESET;
		stage = WIRE_STAGE_EXCHANGE;
	}
	if (r < 0) {
		report_daemon_failure(cmd, path, r, stage, timeout_ms, err);
		goto out;
	}
	if (wire_reply_parse(rep, rep_len, &reply) < 0) {
		cni_error_set(err, cmd == CNI_CMD_STATUS ? CNI_ERR_NOT_AVAILABLE : CNI_ERR_INTERNAL,
			      "superfluidd sent a malformed reply");
		log_err("%s: %s", cni_command_str(cmd), err->msg);
		goto out;
	}
	exit_code = put_stdout(reply->stdout_text, reply->stdout_len) < 0 ? 1 : reply->exit_code;
out:
	free(conf_socket);
	free(req);
	free(rep);
	wire_reply_free(reply);
	return err->code ? fail(err) : exit_code;
}

int main(void)
{
	struct cni_env_raw env;
	struct cni_error err;
	enum cni_command cmd;
	char *out = NULL;
	size_t in_len = 0;
	int exit_code = 1;

	log_set_ident("superfluid");
	cni_error_init(&err);
	cni_env_raw_from_environ(&env);
	if (!env.command || !env.command[0]) {
		fputs(about, stderr);
		cni_error_set(&err, CNI_ERR_INVALID_ENV, "CNI_COMMAND is missing or empty");
		exit_code = fail(&err);
		goto out;
	}
	if (cni_command_parse(env.command, &cmd) < 0) {
		cni_error_set(&err, CNI_ERR_INVALID_ENV, "CNI_COMMAND '%.32s' is not one of "
			      "ADD, DEL, CHECK, STATUS, GC, VERSION", env.command);
		exit_code = fail(&err);
		goto out;
	}
	if (read_stdin(&in_len, &err) < 0) {
		exit_code = fail(&err);
		goto out;
	}
	if (cmd == CNI_CMD_VERSION) {
		if (cni_version_reply(stdin_buf, in_len, &out, &err) < 0)
			exit_code = fail(&err);
		else
			exit_code = put_stdout(out, strlen(out)) < 0 ? 1 : 0;
		goto out;
	}
	exit_code = forward(cmd, &env, stdin_buf, in_len, &err);
out:
	free(out);
	return exit_code;
}

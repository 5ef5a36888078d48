/* The request dispatcher (handle.h): one request off the socket, parsed,
 * served by a verb (verbs.c) or a query (ctl.c), answered on the wire. */
#include "daemon/handle.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cni/conf.h"
#include "cni/env.h"
#include "cni/wire.h"
#include "common/log.h"
#include "daemon/ctl.h"
#include "daemon/daemon_metrics.h"
#include "daemon/verbs.h"
#include "neutron/neutron.h"

static int handle_cni(struct daemon *d, const char *req, size_t len, char **ret, size_t *ret_len)
{
	struct wire_request *wr = NULL;
	struct cni_env *env = NULL;
	struct cni_conf *conf = NULL;
	struct cni_error err;
	char *out = NULL;
	const char *verb = "UNKNOWN";
	char rid[NEUTRON_REQUEST_ID_LEN] = "-";
	uint64_t start = util_now_us();
	int r;

	cni_error_init(&err);
	atomic_store(&d->last_request_ms, util_now_ms());
	r = wire_request_parse(req, len, &wr, &err);
	if (r >= 0)
		r = cni_env_parse(&wr->env, &env, &err);
	if (r >= 0) {
		verb = cni_command_str(env->command);
		log_context_set(NULL, env->container_id);
		if (env->command == CNI_CMD_VERSION)
			r = cni_version_reply(wr->stdin_data, wr->stdin_len, &out, &err);
		else
			r = cni_conf_parse(wr->stdin_data, wr->stdin_len, env->command, &conf, &err);
	}
	/* One global request id per CNI request, on each of its Neutron calls
	 * and in its log lines: the way from a container to neutron-server's
	 * log (docs/metrics.md, "Following a request"). */
	if (r >= 0 && conf && neutron_request_id_new(rid, sizeof(rid)) == 0) {
		neutron_request_id_set(rid);
		log_context_set(rid, env->container_id);
		log_info_rl("%s %s/%s: request %s", verb, env->container_id ? env->container_id : "-",
			    env->ifname ? env->ifname : "-", rid);
	}
	if (r >= 0 && conf) {
		switch (env->command) {
		case CNI_CMD_ADD:
			r = verbs_add(d, env, conf, &out, &err);
			break;
		case CNI_CMD_DEL:
			r = verbs_del(d, env, &err);
			break;
		case CNI_CMD_CHECK:
			r = verbs_check(d, env, &err);
			break;
		case CNI_CMD_STATUS:
			r = verbs_status(d, &err);
			break;
		case CNI_CMD_GC:
			r = verbs_gc(d, conf, &err);
			break;
		default:
			break;
		}
	}
	if (r < 0 && err.code == 0)
		cni_error_set(&err, CNI_ERR_INTERNAL, "%s", strerror(-r));
	if (r < 0) {
		log_info_rl("%s %s/%s: error %d: %s (request %s)", verb,
			    env && env->container_id ? env->container_id : "-",
			    env && env->ifname ? env->ifname : "-", err.code, err.msg, rid);
		r = wire_reply_error(&err, ret, ret_len);
	} else {
		r = wire_reply_build(0, out ? out : "", ret, ret_len);
	}
	neutron_request_id_clear();
	log_context_clear();
	daemon_metrics_cni_done(d->metrics, verb, err.code, (double)(util_now_us() - start) / 1e6);
	free(out);
	cni_conf_free(conf);
	cni_env_free(env);
	wire_request_free(wr);
	return r;
}

int handle_request(void *userdata, const char *req, size_t len, char **ret_reply, size_t *ret_len)
{
	struct daemon *d = userdata;
	json_t *doc;
	const char *op;
	char *out = NULL, why[512];
	int r;

	/* The server read more than a request may hold: say so (code 6),
	 * rather than hang up on a client that would then retry. */
	if (!req) {
		struct cni_error err;

		cni_error_init(&err);
		cni_error_set(&err, CNI_ERR_DECODE, "request over %zu bytes", len);
		return wire_reply_error(&err, ret_reply, ret_len);
	}
	/* sfctl's queries carry "ctl"; everything else is a CNI request. */
	if (!memmem(req, len, "\"ctl\"", 5))
		return handle_cni(d, req, len, ret_reply, ret_len);
	doc = json_loadb(req, len, 0, NULL);
	op = json_string_value(json_object_get(doc, "ctl"));
	if (!op) {
		json_decref(doc);
		return handle_cni(d, req, len, ret_reply, ret_len);
	}
	why[0] = '\0';
	r = ctl_query(d, doc, &out, why, sizeof(why));
	if (r < 0) {
		/* "errno" names the cause for programs (ctl.h); "error" is for people. */
		json_t *e = json_pack("{s:s,s:s}", "error", why[0] ? why
				      : r == -EOPNOTSUPP ? "unknown query" : strerror(-r),
				      "errno", strerrorname_np(-r) ?: "EIO");
		char *msg = e ? json_dumps(e, JSON_COMPACT) : NULL;

		r = msg ? wire_reply_build(1, msg, ret_reply, ret_len) : -ENOMEM;
		free(msg);
		json_decref(e);
	} else {
		r = wire_reply_build(0, out, ret_reply, ret_len);
	}
	free(out);
	json_decref(doc);
	return r;
}

/* Asking superfluidd (lnd_attach.h, "Asking superfluidd"): one request
 * frame over its socket, its answer or its refusal unpacked, for the CNI
 * verbs (lnd_attach.c) and the ctl queries (lnd_neutron.c) alike. */
#include "libnetwork/lnd_attach.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cni/wire.h"
#include "common/util.h"

/* The refusal's text: a CNI error's {"code", "msg", "details"} or a ctl
 * query's {"error", "errno"}. */
static void unpack_refusal(const char *text, struct lnd_refusal *ref)
{
	json_t *e = json_loads(text, 0, NULL);
	const char *ctl = json_string_value(json_object_get(e, "error"));
	const char *msg = json_string_value(json_object_get(e, "msg"));
	const char *details = json_string_value(json_object_get(e, "details"));

	if (ctl) {
		util_strlcpy(ref->errno_name, json_string_value(json_object_get(e, "errno")) ?: "",
			     sizeof(ref->errno_name));
		snprintf(ref->why, sizeof(ref->why), "superfluidd: %s", ctl);
	} else {
		ref->cni_code = (int)json_integer_value(json_object_get(e, "code"));
		snprintf(ref->why, sizeof(ref->why), "superfluidd: %s%s%s", msg ?: text,
			 details ? ": " : "", details ?: "");
	}
	json_decref(e);
}

int lnd_ask(const char *socket, const char *req, size_t len, char **ret_stdout,
	    struct lnd_refusal *ref)
{
	struct wire_reply *rep = NULL;
	char *ans = NULL;
	size_t ans_len;
	int r;

	memset(ref, 0, sizeof(*ref));
	r = wire_call(socket, req, len, WIRE_DEFAULT_TIMEOUT_MS, &ans, &ans_len, NULL);
	if (r < 0) {
		snprintf(ref->why, sizeof(ref->why), "superfluidd at '%s' did not answer: %s", socket,
			 strerror(-r));
		goto out;
	}
	r = wire_reply_parse(ans, ans_len, &rep);
	if (r < 0) {
		snprintf(ref->why, sizeof(ref->why), "superfluidd's reply is malformed");
		goto out;
	}
	if (rep->exit_code != 0) {
		unpack_refusal(rep->stdout_text, ref);
		r = -EPROTO;
		goto out;
	}
	*ret_stdout = rep->stdout_text;
	rep->stdout_text = NULL;
	r = 0;
out:
	wire_reply_free(rep);
	free(ans);
	return r;
}

/* The plugin/daemon protocol (src/cni/wire.h).  The input is read twice:
 * as a request, the way the daemon takes one in (handle.c: the request,
 * then its environment, then its stdin as a network config or a VERSION
 * query, and an error reply when any of that fails), and as a reply, the
 * way the plugin reads the daemon's answer.  Whatever parses must build
 * back into a message that parses to the same thing. */
#include "fuzz.h"

#include "cni/conf.h"
#include "cni/env.h"
#include "cni/wire.h"

static bool same_opt(const char *a, const char *b)
{
	return (!a && !b) || streq(a, b);
}

static void check_request_roundtrip(const struct wire_request *req)
{
	struct wire_request *again = NULL;
	struct cni_error err;
	char *msg = NULL;
	size_t len = 0;

	cni_error_init(&err);
	FUZZ_CHECK(wire_request_build(&req->env, req->stdin_data, req->stdin_len, &msg, &len,
				      &err) == 0);
	FUZZ_CHECK(wire_request_parse(msg, len, &again, &err) == 0);
	FUZZ_CHECK(same_opt(req->env.command, again->env.command));
	FUZZ_CHECK(same_opt(req->env.container_id, again->env.container_id));
	FUZZ_CHECK(same_opt(req->env.netns, again->env.netns));
	FUZZ_CHECK(same_opt(req->env.ifname, again->env.ifname));
	FUZZ_CHECK(same_opt(req->env.args, again->env.args));
	FUZZ_CHECK(same_opt(req->env.path, again->env.path));
	FUZZ_CHECK(req->stdin_len == again->stdin_len);
	FUZZ_CHECK(memcmp(req->stdin_data, again->stdin_data, req->stdin_len) == 0);
	FUZZ_CHECK(again->stdin_data[again->stdin_len] == '\0');
	wire_request_free(again);
	free(msg);
}

/* The daemon's handling up to the verb's work (src/daemon/handle.c). */
static void daemon_side(const uint8_t *data, size_t size)
{
	struct wire_request *req = NULL;
	struct cni_env *env = NULL;
	struct cni_conf *conf = NULL;
	struct cni_error err;
	char *out = NULL;
	size_t len = 0;
	int r;

	cni_error_init(&err);
	r = wire_request_parse((const char *)data, size, &req, &err);
	if (r < 0) {
		FUZZ_CHECK(!req && err.code == CNI_ERR_DECODE);
	} else {
		check_request_roundtrip(req);
		r = cni_env_parse(&req->env, &env, &err);
	}
	if (r >= 0) {
		if (env->command == CNI_CMD_VERSION) {
			r = cni_version_reply(req->stdin_data, req->stdin_len, &out, &err);
			if (r >= 0)
				FUZZ_CHECK(out && out[0] == '{');
			free(out);
			out = NULL;
		} else {
			r = cni_conf_parse(req->stdin_data, req->stdin_len, env->command, &conf,
					   &err);
		}
	}
	if (r < 0) {
		/* The plugin prints this reply: it must always be built. */
		FUZZ_CHECK(err.code != 0);
		FUZZ_CHECK(wire_reply_error(&err, &out, &len) == 0);
		free(out);
	}
	cni_conf_free(conf);
	cni_env_free(env);
	wire_request_free(req);
}

static void plugin_side(const uint8_t *data, size_t size)
{
	struct wire_reply *reply = NULL, *again = NULL;
	char *msg = NULL;
	size_t len = 0;

	if (wire_reply_parse((const char *)data, size, &reply) < 0) {
		FUZZ_CHECK(!reply);
		return;
	}
	FUZZ_CHECK(reply->exit_code == 0 || reply->exit_code == 1);
	FUZZ_CHECK(reply->stdout_text[reply->stdout_len] == '\0');
	FUZZ_CHECK(strlen(reply->stdout_text) == reply->stdout_len);
	FUZZ_CHECK(wire_reply_build(reply->exit_code, reply->stdout_text, &msg, &len) == 0);
	FUZZ_CHECK(wire_reply_parse(msg, len, &again) == 0);
	FUZZ_CHECK(again->exit_code == reply->exit_code);
	FUZZ_CHECK(streq(again->stdout_text, reply->stdout_text));
	wire_reply_free(again);
	wire_reply_free(reply);
	free(msg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	daemon_side(data, size);
	plugin_side(data, size);
	return 0;
}

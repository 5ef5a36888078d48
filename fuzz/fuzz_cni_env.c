/* The CNI environment (src/cni/env.h).  The input is the six variables in
 * the order of struct cni_env_raw (CNI_COMMAND, CNI_CONTAINERID,
 * CNI_NETNS, CNI_IFNAME, CNI_ARGS, CNI_PATH), separated by NUL bytes, as
 * no environment variable can hold one; the variables after the last
 * piece are unset. */
#include "fuzz.h"

#include <strings.h>

#include "cni/env.h"

static const char *const known_args[] = {
	"IgnoreUnknown", "K8S_POD_NAMESPACE", "K8S_POD_NAME",
	"K8S_POD_INFRA_CONTAINER_ID", "K8S_POD_UID", "SF_SERVICE",
};

static bool is_known(const char *key)
{
	for (size_t i = 0; i < ARRAY_SIZE(known_args); i++)
		if (streq(key, known_args[i]))
			return true;
	return false;
}

/* What env.h promises of an accepted environment. */
static void check_env(const struct cni_env_raw *raw, const struct cni_env *env)
{
	enum cni_command cmd = env->command;
	bool attach = cmd == CNI_CMD_ADD || cmd == CNI_CMD_DEL || cmd == CNI_CMD_CHECK;

	FUZZ_CHECK(streq(raw->command, cni_command_str(cmd)));
	if (attach) {
		FUZZ_CHECK(cni_valid_id(env->container_id));
		FUZZ_CHECK(cni_valid_ifname(env->ifname));
		FUZZ_CHECK(strlen(env->ifname) <= CNI_IFNAME_MAX);
		FUZZ_CHECK(cmd == CNI_CMD_DEL || env->netns);
		FUZZ_CHECK(!env->netns || env->netns[0] == '/');
	} else {
		FUZZ_CHECK(!env->container_id && !env->ifname && !env->netns && !env->n_args);
	}
	FUZZ_CHECK(cmd != CNI_CMD_GC || (env->path && env->path[0]));
	for (size_t i = 0; i < env->n_args; i++) {
		FUZZ_CHECK(env->args[i].key[0] && !strchr(env->args[i].key, ';') &&
			   !strchr(env->args[i].key, '='));
		FUZZ_CHECK(!strchr(env->args[i].value, ';'));
		FUZZ_CHECK(env->ignore_unknown || is_known(env->args[i].key));
		FUZZ_CHECK(cni_env_arg(env, env->args[i].key));
	}
	if (env->ignore_unknown) {
		const char *ign = cni_env_arg(env, "IgnoreUnknown");

		FUZZ_CHECK(ign && (streq(ign, "1") || strcasecmp(ign, "true") == 0));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy = fuzz_strndup(data, size), *p = copy;
	const char *vars[6] = { NULL };
	struct cni_env_raw raw;
	struct cni_env *env = NULL;
	struct cni_error err;
	char *json = NULL;
	int r;

	/* The pieces stay in one block, so that ASan sees a read past one
	 * variable only when it runs past the whole input. */
	for (size_t i = 0; i < ARRAY_SIZE(vars) && p <= copy + size; i++) {
		vars[i] = p;
		p += strlen(p) + 1;
	}
	raw = (struct cni_env_raw){
		.command = vars[0], .container_id = vars[1], .netns = vars[2],
		.ifname = vars[3], .args = vars[4], .path = vars[5],
	};
	cni_error_init(&err);
	r = cni_env_parse(&raw, &env, &err);
	if (r < 0) {
		FUZZ_CHECK(!env);
		FUZZ_CHECK(err.code == CNI_ERR_INVALID_ENV || err.code == CNI_ERR_UNSUPPORTED_FIELD);
		FUZZ_CHECK(err.msg[0]);
		FUZZ_CHECK(cni_error_to_json(&err, &json) == 0);
		free(json);
	} else {
		check_env(&raw, env);
		cni_env_free(env);
	}
	free(copy);
	return 0;
}

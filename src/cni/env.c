#include "cni/env.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <strings.h>

static const char *const known_args[] = {
	"IgnoreUnknown", "K8S_POD_NAMESPACE", "K8S_POD_NAME",
	"K8S_POD_INFRA_CONTAINER_ID", "K8S_POD_UID",
	/* superfluid: the service this instance joins (docs/superfluidity.md) */
	"SF_SERVICE",
};

void cni_env_raw_from_environ(struct cni_env_raw *raw)
{
	raw->command = getenv("CNI_COMMAND");
	raw->container_id = getenv("CNI_CONTAINERID");
	raw->netns = getenv("CNI_NETNS");
	raw->ifname = getenv("CNI_IFNAME");
	raw->args = getenv("CNI_ARGS");
	raw->path = getenv("CNI_PATH");
}

static bool is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool cni_valid_id(const char *s)
{
	size_t n;

	if (!s || !is_alnum(s[0]))
		return false;
	for (n = 1; s[n]; n++)
		if (!is_alnum(s[n]) && s[n] != '_' && s[n] != '.' && s[n] != '-')
			return false;
	return n <= CNI_ID_MAX;
}

bool cni_valid_ifname(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || n > CNI_IFNAME_MAX || streq(s, ".") || streq(s, ".."))
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] == '/' || s[i] == ':' || isspace((unsigned char)s[i]))
			return false;
	return true;
}

static bool is_set(const char *s)
{
	return s && s[0];
}

static void free_args(struct cni_env *env)
{
	for (size_t i = 0; i < env->n_args; i++) {
		free(env->args[i].key);
		free(env->args[i].value);
	}
	free(env->args);
	env->args = NULL;
	env->n_args = 0;
	env->ignore_unknown = false;
}

static bool known_arg(const char *key)
{
	for (size_t i = 0; i < ARRAY_SIZE(known_args); i++)
		if (streq(key, known_args[i]))
			return true;
	return false;
}

/* Splits CNI_ARGS into env->args.  Values may hold '=' (split at the
 * first one); keys may not be empty. */
static int parse_args(struct cni_env *env, const char *s, struct cni_error *err)
{
	size_t cap = 1;
	const char *p = s;

	for (const char *q = s; *q; q++)
		cap += *q == ';';
	env->args = calloc(cap, sizeof(*env->args));
	if (!env->args)
		return -ENOMEM;
	while (*p) {
		const char *end = strchrnul(p, ';');
		const char *eq = memchr(p, '=', (size_t)(end - p));

		if (end == p) {
			p++;
			continue;
		}
		if (!eq || eq == p) {
			cni_error_set(err, CNI_ERR_INVALID_ENV, "CNI_ARGS: invalid pair '%.*s'",
				      (int)(end - p), p);
			cni_error_set_details(err, "expected KEY=VALUE pairs separated by ';'");
			return -EINVAL;
		}
		env->args[env->n_args].key = strndup(p, (size_t)(eq - p));
		env->args[env->n_args].value = strndup(eq + 1, (size_t)(end - eq - 1));
		if (!env->args[env->n_args].key || !env->args[env->n_args].value) {
			free(env->args[env->n_args].key);
			free(env->args[env->n_args].value);
			return -ENOMEM;
		}
		env->n_args++;
		p = *end ? end + 1 : end;
	}
	return 0;
}

static int check_args(struct cni_env *env, struct cni_error *err)
{
	const char *ign = cni_env_arg(env, "IgnoreUnknown");

	if (ign) {
		if (streq(ign, "1") || strcasecmp(ign, "true") == 0)
			env->ignore_unknown = true;
		else if (!streq(ign, "0") && strcasecmp(ign, "false") != 0) {
			cni_error_set(err, CNI_ERR_INVALID_ENV,
				      "CNI_ARGS: IgnoreUnknown must be 1, 0, true or false, not '%s'", ign);
			return -EINVAL;
		}
	}
	if (env->ignore_unknown)
		return 0;
	for (size_t i = 0; i < env->n_args; i++)
		if (!known_arg(env->args[i].key)) {
			cni_error_set(err, CNI_ERR_UNSUPPORTED_FIELD,
				      "CNI_ARGS: unknown argument '%s=%s'", env->args[i].key,
				      env->args[i].value);
			cni_error_set_details(err, "superfluid knows IgnoreUnknown, K8S_POD_* and "
					      "SF_SERVICE; add IgnoreUnknown=1 to pass others");
			return -EINVAL;
		}
	return 0;
}

static int missing(struct cni_error *err, const char *var, enum cni_command cmd)
{
	cni_error_set(err, CNI_ERR_INVALID_ENV, "%s is required for %s but missing or empty",
		      var, cni_command_str(cmd));
	return -EINVAL;
}

/* Validation in the order of the table in env.h; stops at the first error. */
static int validate(const struct cni_env_raw *raw, struct cni_env *env, struct cni_error *err)
{
	enum cni_command cmd = env->command;
	bool attach = cmd == CNI_CMD_ADD || cmd == CNI_CMD_DEL || cmd == CNI_CMD_CHECK;
	struct cni_error aerr;
	int r;

	if (attach) {
		if (!is_set(raw->container_id))
			return missing(err, "CNI_CONTAINERID", cmd);
		if (!cni_valid_id(raw->container_id)) {
			cni_error_set(err, CNI_ERR_INVALID_ENV,
				      "CNI_CONTAINERID has invalid characters: '%.64s'",
				      raw->container_id);
			cni_error_set_details(err, "it must start with a letter or digit, followed "
					      "by letters, digits, '_', '.' or '-'");
			return -EINVAL;
		}
		if (cmd != CNI_CMD_DEL && !is_set(raw->netns))
			return missing(err, "CNI_NETNS", cmd);
		/* DEL must succeed without a netns, so a DEL with an unusable
		 * one is treated as a DEL without. */
		if (is_set(raw->netns) && raw->netns[0] != '/' && cmd != CNI_CMD_DEL) {
			cni_error_set(err, CNI_ERR_INVALID_ENV,
				      "CNI_NETNS must be an absolute path, not '%.64s'", raw->netns);
			return -EINVAL;
		}
		if (!is_set(raw->ifname))
			return missing(err, "CNI_IFNAME", cmd);
		if (!cni_valid_ifname(raw->ifname)) {
			cni_error_set(err, CNI_ERR_INVALID_ENV, "CNI_IFNAME is invalid: '%.64s'",
				      raw->ifname);
			cni_error_set_details(err, "an interface name is 1 to 15 bytes, not '.' or "
					      "'..', without '/', ':' or whitespace");
			return -EINVAL;
		}
		env->container_id = strdup(raw->container_id);
		if (is_set(raw->netns) && raw->netns[0] == '/' && !(env->netns = strdup(raw->netns)))
			return -ENOMEM;
		env->ifname = strdup(raw->ifname);
		if (!env->container_id || !env->ifname)
			return -ENOMEM;
		if (is_set(raw->args)) {
			cni_error_init(&aerr);
			r = parse_args(env, raw->args, &aerr);
			if (r >= 0)
				r = check_args(env, &aerr);
			/* DEL undoes an ADD that these same arguments may have
			 * failed: it must not fail for them too. */
			if (r == -EINVAL && cmd == CNI_CMD_DEL) {
				free_args(env);
				r = 0;
			}
			if (r < 0) {
				cni_error_copy(err, &aerr);
				return r;
			}
		}
	}
	if (cmd == CNI_CMD_GC && !is_set(raw->path))
		return missing(err, "CNI_PATH", cmd);
	if (is_set(raw->path) && cmd != CNI_CMD_VERSION && !(env->path = strdup(raw->path)))
		return -ENOMEM;
	return 0;
}

int cni_env_parse(const struct cni_env_raw *raw, struct cni_env **ret, struct cni_error *err)
{
	struct cni_env *env = calloc(1, sizeof(*env));
	int r;

	if (!env)
		return cni_error_nomem(err);
	if (!is_set(raw->command)) {
		cni_error_set(err, CNI_ERR_INVALID_ENV, "CNI_COMMAND is missing or empty");
		r = -EINVAL;
		goto out;
	}
	if (cni_command_parse(raw->command, &env->command) < 0) {
		cni_error_set(err, CNI_ERR_INVALID_ENV, "CNI_COMMAND '%.32s' is not one of "
			      "ADD, DEL, CHECK, STATUS, GC, VERSION", raw->command);
		r = -EINVAL;
		goto out;
	}
	r = validate(raw, env, err);
	if (r == -ENOMEM)
		cni_error_nomem(err);
	if (r < 0)
		goto out;
	*ret = env;
	env = NULL;
out:
	cni_env_free(env);
	return r;
}

void cni_env_free(struct cni_env *env)
{
	if (!env)
		return;
	free(env->container_id);
	free(env->netns);
	free(env->ifname);
	free(env->path);
	free_args(env);
	free(env);
}

const char *cni_env_arg(const struct cni_env *env, const char *key)
{
	/* The last occurrence wins, as it does for a shell's environment. */
	for (size_t i = env->n_args; i-- > 0;)
		if (streq(env->args[i].key, key))
			return env->args[i].value;
	return NULL;
}

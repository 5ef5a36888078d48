/* The configuration file (src/common/config.h, config_parse.h): the whole
 * of config_load's reading and checking, on the input as the file's text
 * (config_load_stream: no file, so no owner or mode checks). */
#include "fuzz.h"

#include "common/config.h"
#include "neutron/opts.h"

#define PATH "/etc/superfluid/superfluid.conf"

/* What config.h promises of a loaded config. */
static void check_config(const struct config *cfg)
{
	struct neutron_opts opts;

	FUZZ_CHECK(cfg->host.name && cfg->host.name[0]);
	FUZZ_CHECK(cfg->pools.min <= cfg->pools.max);
	FUZZ_CHECK(cfg->daemon.socket && cfg->daemon.socket[0] == '/');
	FUZZ_CHECK(cfg->daemon.state_dir && cfg->daemon.state_dir[0] == '/');
	FUZZ_CHECK(cfg->n_pools <= CONFIG_MAX_POOLS);
	for (size_t i = 0; i < cfg->n_pools; i++) {
		const struct config_pool *p = &cfg->pool_list[i];

		FUZZ_CHECK(p->name && p->name[0] && p->network && p->network[0]);
		FUZZ_CHECK(!p->security_groups_raw || p->n_security_groups > 0);
		for (size_t j = 0; j < p->n_security_groups; j++)
			FUZZ_CHECK(p->security_groups[j][0]);
		for (size_t j = 0; j < i; j++)
			FUZZ_CHECK(strcmp(cfg->pool_list[j].name, p->name) != 0);
	}
	FUZZ_CHECK(neutron_opts_from_config(&cfg->neutron, &opts) == 0);
	switch (opts.auth_type) {
	case NEUTRON_AUTH_PASSWORD:
		FUZZ_CHECK(opts.auth_url && opts.username && opts.password && opts.project_name);
		break;
	case NEUTRON_AUTH_APP_CREDENTIAL:
		FUZZ_CHECK(opts.auth_url && opts.app_cred_id && opts.app_cred_secret);
		break;
	case NEUTRON_AUTH_NOAUTH:
		FUZZ_CHECK(opts.endpoint_override && opts.project_id);
		break;
	default:
		FUZZ_CHECK(!"an auth_type outside the enum");
	}
}

static int load(char *text, size_t size, struct config **ret, struct config_error *err)
{
	FILE *f = fmemopen(text, size, "r");
	int r;

	if (!f)
		return -ENOMEM;
	memset(err, 0, sizeof(*err));
	r = config_load_stream(f, PATH, ret, err);
	fclose(f);
	return r;
}

/* config_parse.h: a secret's value never appears in a message.  For each
 * line that sets a secret key, the value is replaced by as many 'Q's: the
 * file fails just the same, so the message must not change. */
static void check_no_secret(const char *text, size_t size, const char *message)
{
	static const char *const secrets[] = { "password", "application_credential_secret" };
	const char *line = text, *text_end = text + size;

	for (; line < text_end; line = strchrnul(line, '\n') + 1) {
		const char *key = line + strspn(line, " \t"), *eol = strchrnul(line, '\n');
		const char *sep = strpbrk(key, "=:"), *value, *end;
		struct config *cfg = NULL;
		struct config_error err;
		bool secret = false;
		size_t klen;
		char *other;

		if (!sep || sep > eol)
			continue;
		klen = (size_t)(sep - key);
		while (klen && (key[klen - 1] == ' ' || key[klen - 1] == '\t'))
			klen--;
		for (size_t i = 0; i < ARRAY_SIZE(secrets); i++)
			secret |= klen == strlen(secrets[i]) && strncmp(key, secrets[i], klen) == 0;
		value = sep + 1 + strspn(sep + 1, " \t");
		end = value + strcspn(value, "#;\r\n");
		while (end > value && (end[-1] == ' ' || end[-1] == '\t'))
			end--;
		if (!secret || end <= value)
			continue;
		other = fuzz_strndup((const uint8_t *)text, size);
		memset(other + (value - text), 'Q', (size_t)(end - value));
		FUZZ_CHECK(load(other, size, &cfg, &err) < 0);
		FUZZ_CHECK(strcmp(err.message, message) == 0);
		free(other);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* fmemopen's buffer is a copy of exactly the input. */
	char *text = fuzz_strndup(data, size);
	struct config *cfg = NULL;
	struct config_error err;
	int r;

	r = load(text, size, &cfg, &err);
	if (r == -ENOMEM) {
		free(text);
		return 0;   /* fmemopen refuses size 0 */
	}
	if (r < 0) {
		FUZZ_CHECK(!cfg);
		FUZZ_CHECK(r == -EINVAL);
		FUZZ_CHECK(strncmp(err.message, PATH ":", strlen(PATH ":")) == 0);
		FUZZ_CHECK(strlen(err.message) < sizeof(err.message));
		if (!memchr(text, '\0', size))   /* keeps the line walk simple */
			check_no_secret(text, size, err.message);
	} else {
		check_config(cfg);
		config_free(cfg);
	}
	free(text);
	return 0;
}

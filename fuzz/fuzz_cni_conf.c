/* The network config on the plugin's stdin (src/cni/conf.h), parsed for
 * every verb that reads it, and its prevResult (src/cni/result.h) printed
 * back and reparsed: the input is exactly what a runtime may send. */
#include "fuzz.h"

#include "cni/conf.h"
#include "cni/env.h"

/* What conf.h promises of an accepted config. */
static void check_conf(const struct cni_conf *c, enum cni_command cmd)
{
	FUZZ_CHECK(c->version_str && c->name && c->type && c->network);
	FUZZ_CHECK(cni_valid_id(c->name));
	FUZZ_CHECK(c->type[0] && !strchr(c->type, '/'));
	FUZZ_CHECK(c->network[0] && strlen(c->network) <= CNI_NAME_MAX);
	FUZZ_CHECK(!c->subnet || (c->subnet[0] && strlen(c->subnet) <= CNI_NAME_MAX));
	FUZZ_CHECK(c->n_security_groups <= CNI_MAX_SECURITY_GROUPS);
	FUZZ_CHECK(c->mtu == 0 || (c->mtu >= 576 && c->mtu <= 65535));
	FUZZ_CHECK(!c->socket || c->socket[0] == '/');
	FUZZ_CHECK(cmd != CNI_CMD_CHECK || c->prev_result);
	FUZZ_CHECK(cmd != CNI_CMD_GC || c->valid_attachments);
	for (size_t i = 0; i < c->n_valid_attachments; i++)
		FUZZ_CHECK(c->valid_attachments[i].container_id[0] &&
			   c->valid_attachments[i].ifname[0]);
}

/* A prevResult is printed back in ADD's answer: printing must work, and
 * what is printed must parse back to the same text. */
static void check_prev_result(const struct cni_result *prev, enum cni_version v)
{
	struct cni_result *again = NULL;
	struct cni_error err;
	char *text = NULL, *text2 = NULL;
	json_t *o;

	FUZZ_CHECK(cni_result_to_json(prev, v, &text) == 0);
	o = json_loads(text, 0, NULL);
	FUZZ_CHECK(o);
	cni_error_init(&err);
	FUZZ_CHECK(cni_result_from_json(o, v, &again, &err) == 0);
	FUZZ_CHECK(cni_result_to_json(again, v, &text2) == 0);
	FUZZ_CHECK(strcmp(text, text2) == 0);
	json_decref(o);
	cni_result_free(again);
	free(text);
	free(text2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum cni_command cmds[] = {
		CNI_CMD_ADD, CNI_CMD_DEL, CNI_CMD_CHECK, CNI_CMD_STATUS, CNI_CMD_GC,
	};

	for (size_t i = 0; i < ARRAY_SIZE(cmds); i++) {
		struct cni_conf *conf = NULL;
		struct cni_error err;
		char *json = NULL;
		int r;

		cni_error_init(&err);
		r = cni_conf_parse((const char *)data, size, cmds[i], &conf, &err);
		if (r < 0) {
			/* The runtime gets this error object: it must exist. */
			FUZZ_CHECK(!conf);
			FUZZ_CHECK(err.code != 0 && err.msg[0]);
			FUZZ_CHECK(cni_error_to_json(&err, &json) == 0);
			free(json);
			continue;
		}
		check_conf(conf, cmds[i]);
		if (conf->prev_result)
			check_prev_result(conf->prev_result, conf->version);
		cni_conf_free(conf);
	}
	return 0;
}

/* Fault injection (fault_harness.h) in the CNI parsers, on the seeds of
 * fuzz/corpus/: cni_conf_parse, cni_result_from_json, cni_env_parse,
 * wire_request_parse, wire_reply_parse; and config_load_stream. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fault_harness.h"

#include "cni/conf.h"
#include "cni/env.h"
#include "cni/result.h"
#include "cni/wire.h"
#include "common/config.h"

/* ---- cni_conf_parse, and cni_result_from_json through prevResult ---- */

static struct cni_conf conf_sentinel;

struct conf_ctx {
	const struct seed *seed;
	enum cni_command cmd;
	struct cni_conf *conf;
	struct cni_error err;
};

static int conf_run(void *p)
{
	struct conf_ctx *c = p;

	c->conf = &conf_sentinel;
	cni_error_init(&c->err);
	return cni_conf_parse(c->seed->data, c->seed->len, c->cmd, &c->conf, &c->err);
}

static void conf_check(void *p, int r, char *sum, size_t size)
{
	struct conf_ctx *c = p;
	struct cni_conf *k = c->conf;
	char *prev = NULL;

	if (r < 0) {
		assert_ptr_equal(c->conf, &conf_sentinel);
		harness_check_cni_error(&c->err);
		return;
	}
	harness_cat(sum, size, "%s|%s|%s|%s|%s|%s|%d|%zu|%zu|%zu|%zu|%zu|%s", k->version_str, k->name,
	    k->type, k->network, k->subnet ? k->subnet : "-", k->socket ? k->socket : "-", k->mtu,
	    k->n_security_groups, k->n_valid_attachments, k->dns.n_nameservers, k->dns.n_search,
	    k->dns.n_options, k->dns.domain ? k->dns.domain : "-");
	for (size_t i = 0; i < k->n_security_groups; i++)
		harness_cat(sum, size, "|sg=%s", k->security_groups[i]);
	for (size_t i = 0; i < k->n_valid_attachments; i++)
		harness_cat(sum, size, "|a=%s/%s", k->valid_attachments[i].container_id,
		    k->valid_attachments[i].ifname);
	if (k->prev_result) {
		assert_int_equal(cni_result_to_json(k->prev_result, k->version, &prev), 0);
		harness_cat(sum, size, "|prev=%s", prev);
		free(prev);
	}
	cni_conf_free(k);
}

static void test_cni_conf(void **state)
{
	static const enum cni_command cmds[] = {
		CNI_CMD_ADD, CNI_CMD_DEL, CNI_CMD_CHECK, CNI_CMD_STATUS, CNI_CMD_GC,
	};
	struct seed *seeds;
	size_t n = harness_seeds_load("fuzz_cni_conf", &seeds);
	char name[300];

	harness_begin();
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < ARRAY_SIZE(cmds); j++) {
			struct conf_ctx c = { .seed = &seeds[i], .cmd = cmds[j] };

			snprintf(name, sizeof(name), "%s %s", cni_command_str(cmds[j]), seeds[i].name);
			harness_run(&(struct fcase){ "cni_conf_parse", name, conf_run, conf_check, &c,
						  NULL });
		}
	harness_seeds_free(seeds, n);
	harness_end("cni_conf_parse");
}

/* cni_result_from_json directly, on every prevResult of the seeds. */
struct result_ctx {
	json_t *prev;
	struct cni_result *res;
	struct cni_error err;
};

static struct cni_result result_sentinel;

static int result_run(void *p)
{
	struct result_ctx *c = p;

	c->res = &result_sentinel;
	cni_error_init(&c->err);
	return cni_result_from_json(c->prev, CNI_VERSION_1_1_0, &c->res, &c->err);
}

static void result_check(void *p, int r, char *sum, size_t size)
{
	struct result_ctx *c = p;
	char *json = NULL;

	if (r < 0) {
		assert_ptr_equal(c->res, &result_sentinel);
		harness_check_cni_error(&c->err);
		return;
	}
	for (enum cni_version v = CNI_VERSION_0_3_1; v <= CNI_VERSION_1_1_0; v++) {
		assert_int_equal(cni_result_to_json(c->res, v, &json), 0);
		harness_cat(sum, size, "%s", json);
		free(json);
	}
	cni_result_free(c->res);
}

static void test_cni_result(void **state)
{
	struct seed *seeds;
	size_t n = harness_seeds_load("fuzz_cni_conf", &seeds);

	harness_begin();
	for (size_t i = 0; i < n; i++) {
		json_t *doc = json_loadb(seeds[i].data, seeds[i].len, 0, NULL);
		struct result_ctx c = { .prev = json_object_get(doc, "prevResult") };

		if (c.prev)
			harness_run(&(struct fcase){ "cni_result", seeds[i].name, result_run,
						  result_check, &c, NULL });
		json_decref(doc);
	}
	harness_seeds_free(seeds, n);
	harness_end("cni_result_from_json");
}

/* ---- cni_env_parse ---- */

static struct cni_env env_sentinel;

struct env_ctx {
	struct cni_env_raw raw;
	struct cni_env *env;
	struct cni_error err;
};

static int env_run(void *p)
{
	struct env_ctx *c = p;

	c->env = &env_sentinel;
	cni_error_init(&c->err);
	return cni_env_parse(&c->raw, &c->env, &c->err);
}

static void env_check(void *p, int r, char *sum, size_t size)
{
	struct env_ctx *c = p;
	struct cni_env *e = c->env;

	if (r < 0) {
		assert_ptr_equal(c->env, &env_sentinel);
		harness_check_cni_error(&c->err);
		return;
	}
	harness_cat(sum, size, "%d|%s|%s|%s|%s|%d", e->command, e->container_id ? e->container_id : "-",
	    e->netns ? e->netns : "-", e->ifname ? e->ifname : "-", e->path ? e->path : "-",
	    e->ignore_unknown);
	for (size_t i = 0; i < e->n_args; i++)
		harness_cat(sum, size, "|%s=%s", e->args[i].key, e->args[i].value);
	cni_env_free(e);
}

static void test_cni_env(void **state)
{
	struct seed *seeds;
	size_t n = harness_seeds_load("fuzz_cni_env", &seeds);

	harness_begin();
	for (size_t i = 0; i < n; i++) {
		const char *vars[6] = { NULL };
		char *p = seeds[i].data;
		struct env_ctx c;

		/* As fuzz_cni_env.c: the variables separated by NUL bytes. */
		for (size_t k = 0; k < ARRAY_SIZE(vars) && p <= seeds[i].data + seeds[i].len; k++) {
			vars[k] = p;
			p += strlen(p) + 1;
		}
		c = (struct env_ctx){ .raw = {
			.command = vars[0], .container_id = vars[1], .netns = vars[2],
			.ifname = vars[3], .args = vars[4], .path = vars[5],
		} };
		harness_run(&(struct fcase){ "cni_env_parse", seeds[i].name, env_run, env_check, &c,
					  NULL });
	}
	harness_seeds_free(seeds, n);
	harness_end("cni_env_parse");
}

/* ---- wire_request_parse and wire_reply_parse ---- */

static struct wire_request wreq_sentinel;
static struct wire_reply wrep_sentinel;

struct wire_ctx {
	const struct seed *seed;
	struct wire_request *req;
	struct wire_reply *rep;
	struct cni_error err;
};

static int wire_req_run(void *p)
{
	struct wire_ctx *c = p;

	c->req = &wreq_sentinel;
	cni_error_init(&c->err);
	return wire_request_parse(c->seed->data, c->seed->len, &c->req, &c->err);
}

static void wire_req_check(void *p, int r, char *sum, size_t size)
{
	struct wire_ctx *c = p;
	const struct cni_env_raw *e;

	if (r < 0) {
		assert_ptr_equal(c->req, &wreq_sentinel);
		harness_check_cni_error(&c->err);
		return;
	}
	e = &c->req->env;
	harness_cat(sum, size, "%s|%s|%s|%s|%s|%s|%zu|", e->command ? e->command : "-",
	    e->container_id ? e->container_id : "-", e->netns ? e->netns : "-",
	    e->ifname ? e->ifname : "-", e->args ? e->args : "-", e->path ? e->path : "-",
	    c->req->stdin_len);
	for (size_t i = 0; i < c->req->stdin_len; i++)
		harness_cat(sum, size, "%02x", (unsigned char)c->req->stdin_data[i]);
	wire_request_free(c->req);
}

static int wire_rep_run(void *p)
{
	struct wire_ctx *c = p;

	c->rep = &wrep_sentinel;
	return wire_reply_parse(c->seed->data, c->seed->len, &c->rep);
}

static void wire_rep_check(void *p, int r, char *sum, size_t size)
{
	struct wire_ctx *c = p;

	if (r < 0) {
		assert_ptr_equal(c->rep, &wrep_sentinel);
		return;
	}
	harness_cat(sum, size, "%d|%zu|%s", c->rep->exit_code, c->rep->stdout_len, c->rep->stdout_text);
	wire_reply_free(c->rep);
}

static void test_wire(void **state)
{
	struct seed *seeds;
	size_t n = harness_seeds_load("fuzz_wire", &seeds);

	harness_begin();
	for (size_t i = 0; i < n; i++) {
		struct wire_ctx c = { .seed = &seeds[i] };

		harness_run(&(struct fcase){ "wire_request_parse", seeds[i].name, wire_req_run,
					  wire_req_check, &c, NULL });
		harness_run(&(struct fcase){ "wire_reply_parse", seeds[i].name, wire_rep_run,
					  wire_rep_check, &c, NULL });
	}
	harness_seeds_free(seeds, n);
	harness_end("wire_request_parse, wire_reply_parse");
}

/* ---- config_load_stream ---- */

#define CONF_PATH "/etc/superfluid/superfluid.conf"

static struct config config_sentinel;

struct config_ctx {
	const struct seed *seed;
	struct config *cfg;
	struct config_error err;
};

static int config_run(void *p)
{
	struct config_ctx *c = p;
	/* fmemopen allocates inside the C library, which --wrap does not
	 * reach: the stream is not what is under test. */
	FILE *f = fmemopen(c->seed->data, c->seed->len ? c->seed->len : 1, "r");
	int r;

	assert_non_null(f);
	c->cfg = &config_sentinel;
	memset(&c->err, 0, sizeof(c->err));
	r = config_load_stream(f, CONF_PATH, &c->cfg, &c->err);
	fclose(f);
	return r;
}

static void config_check(void *p, int r, char *sum, size_t size)
{
	struct config_ctx *c = p;
	struct config *k = c->cfg;

	if (r < 0) {
		assert_ptr_equal(c->cfg, &config_sentinel);
		assert_int_equal(strncmp(c->err.message, CONF_PATH ":", strlen(CONF_PATH ":")), 0);
		return;
	}
	harness_cat(sum, size, "%s|%s|%s|%zu", k->path, k->neutron.auth_url ? k->neutron.auth_url : "-",
	    k->neutron.password ? "pw" : "-", k->n_pools);
	for (size_t i = 0; i < k->n_pools; i++) {
		harness_cat(sum, size, "|pool %s %d %d", k->pool_list[i].name, k->pool_list[i].min,
		    k->pool_list[i].max);
		for (size_t j = 0; j < k->pool_list[i].n_security_groups; j++)
			harness_cat(sum, size, " sg=%s", k->pool_list[i].security_groups[j]);
	}
	config_free(k);
}

static void test_config(void **state)
{
	struct seed *seeds;
	size_t n = harness_seeds_load("fuzz_config", &seeds);

	harness_begin();
	for (size_t i = 0; i < n; i++) {
		struct config_ctx c = { .seed = &seeds[i] };

		harness_run(&(struct fcase){ "config_load_stream", seeds[i].name, config_run,
					  config_check, &c, NULL });
	}
	harness_seeds_free(seeds, n);
	harness_end("config_load_stream");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cni_conf),
		cmocka_unit_test(test_cni_result),
		cmocka_unit_test(test_cni_env),
		cmocka_unit_test(test_wire),
		cmocka_unit_test(test_config),
		cmocka_unit_test(harness_summary),
	};
	int r = harness_setup();

	if (r)
		return r;
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Allocation failure injection (make check-fault; docs/fuzzing.md, "Fault
 * injection").  Built only in the FAULT=1 build, where every allocation of
 * our objects, jansson's and libcurl's goes through src/common/fault.c.
 *
 * Each case (one parser on one seed of fuzz/corpus/, or one request) runs
 * once to count its allocations, then again with allocation 1, 2, ...
 * failing, until a run no longer reaches the failing one.  Every run must
 * end in success or an error: a crash, a leak (LeakSanitizer, checked per
 * target) or undefined behaviour aborts the test.  A run that succeeds
 * despite the failure must give the same output as the clean run, and a
 * failed call must leave its outputs untouched where the header says so. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdatomic.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <sanitizer/lsan_interface.h>

#include "fake_neutron.h"

#include "cni/conf.h"
#include "cni/env.h"
#include "cni/result.h"
#include "cni/wire.h"
#include "common/config.h"
#include "common/fault.h"
#include "daemon/daemon.h"
#include "daemon/portinfo.h"
#include "netlink/msg.h"
#include "neutron/internal.h"

#define SUM_MAX 8192

/* One case: run() is the operation under injection and keeps its outputs
 * in ctx; check() runs afterwards, not armed: it checks the outputs
 * against r, writes a summary of a success and frees everything. */
struct fcase {
	const char *target;
	const char *name;
	int (*run)(void *ctx);
	void (*check)(void *ctx, int r, char *sum, size_t size);
	void *ctx;
	/* A request path answers even when an allocation failed, with an
	 * error reply: such a reply may differ from the clean run's. */
	bool (*degraded_ok)(const char *sum);
};

struct totals {
	unsigned cases;
	unsigned long sites;        /* allocations failed, one per run */
	unsigned long errors, ok;   /* how the failing runs ended */
};
static struct totals totals, target_totals;
static bool fault_curl;

static void run_case(const struct fcase *fc)
{
	static char clean_sum[SUM_MAX], sum[SUM_MAX];
	unsigned long n, count;
	bool fired;
	int clean, r;

	fault_arm(0);
	clean = fc->run(fc->ctx);
	count = fault_disarm(NULL);
	clean_sum[0] = '\0';
	fc->check(fc->ctx, clean, clean_sum, sizeof(clean_sum));
	for (n = 1;; n++) {
		fault_arm(n);
		r = fc->run(fc->ctx);
		fault_disarm(&fired);
		sum[0] = '\0';
		fc->check(fc->ctx, r, sum, sizeof(sum));
		if (!fired) {
			/* Nothing failed: it must behave as the clean run. */
			if (r != clean || strcmp(sum, clean_sum) != 0)
				fail_msg("%s %s: unarmed run differs (%d vs %d)", fc->target,
					 fc->name, r, clean);
			break;
		}
		if (r >= 0 && clean < 0)
			fail_msg("%s %s: allocation %lu failing turned error %d into success",
				 fc->target, fc->name, n, clean);
		if (r >= 0 && strcmp(sum, clean_sum) != 0) {
			/* A request path answers an error it could not handle
			 * with an error reply: that is a failed request too. */
			if (!fc->degraded_ok || !fc->degraded_ok(sum))
				fail_msg("%s %s: allocation %lu failing changed the output:\n%s\n"
					 "vs\n%s", fc->target, fc->name, n, sum, clean_sum);
			r = -ENOMEM;
		}
		if (r < 0) {
			target_totals.errors++;
			continue;
		}
		/* Handled without a trace: e.g. a metrics sample lost. */
		target_totals.ok++;
		if (getenv("SF_FAULT_VERBOSE"))
			print_message("  %s %s: allocation %lu failed, the call succeeded\n",
				      fc->target, fc->name, n);
	}
	target_totals.cases++;
	target_totals.sites += n - 1;
	print_message("  %-18s %-36s %4lu allocations, clean run %s\n", fc->target, fc->name,
		      count, clean < 0 ? "fails" : "succeeds");
}

static void target_begin(void)
{
	memset(&target_totals, 0, sizeof(target_totals));
}

static void target_end(const char *target)
{
	/* Leaks of this target's runs, while its name is still known. */
	assert_int_equal(__lsan_do_recoverable_leak_check(), 0);
	print_message("%s: %u cases, %lu allocation sites failed (%lu ended in an error, "
		      "%lu succeeded anyway)\n", target, target_totals.cases, target_totals.sites,
		      target_totals.errors, target_totals.ok);
	totals.cases += target_totals.cases;
	totals.sites += target_totals.sites;
	totals.errors += target_totals.errors;
	totals.ok += target_totals.ok;
}

/* The seeds of fuzz/corpus/<target>/, sorted by name. */
struct seed {
	char name[256];
	char *data;   /* NUL-terminated, exactly len + 1 bytes */
	size_t len;
};

static int seed_cmp(const void *a, const void *b)
{
	return strcmp(((const struct seed *)a)->name, ((const struct seed *)b)->name);
}

static size_t seeds_load(const char *target, struct seed **ret)
{
	char dir[256], path[600];
	struct seed *v = NULL;
	struct dirent *de;
	size_t n = 0;
	DIR *d;

	snprintf(dir, sizeof(dir), "fuzz/corpus/%s", target);
	d = opendir(dir);
	assert_non_null(d);
	while ((de = readdir(d))) {
		struct stat st;
		FILE *f;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		assert_int_equal(stat(path, &st), 0);
		v = realloc(v, (n + 1) * sizeof(*v));
		assert_non_null(v);
		snprintf(v[n].name, sizeof(v[n].name), "%s", de->d_name);
		v[n].len = (size_t)st.st_size;
		v[n].data = malloc(v[n].len + 1);
		assert_non_null(v[n].data);
		f = fopen(path, "rbe");
		assert_non_null(f);
		assert_int_equal(fread(v[n].data, 1, v[n].len, f), v[n].len);
		fclose(f);
		v[n].data[v[n].len] = '\0';
		n++;
	}
	closedir(d);
	assert_true(n > 0);
	qsort(v, n, sizeof(*v), seed_cmp);
	*ret = v;
	return n;
}

static void seeds_free(struct seed *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].data);
	free(v);
}

static void cat(char *sum, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void cat(char *sum, size_t size, const char *fmt, ...)
{
	size_t n = strlen(sum);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(sum + n, size - n, fmt, ap);
	va_end(ap);
}

static void check_cni_error(const struct cni_error *err)
{
	char *json = NULL;

	assert_true(err->code != 0);
	assert_true(err->msg[0] != '\0');
	assert_int_equal(cni_error_to_json(err, &json), 0);
	free(json);
}

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
		check_cni_error(&c->err);
		return;
	}
	cat(sum, size, "%s|%s|%s|%s|%s|%s|%d|%zu|%zu|%zu|%zu|%zu|%s", k->version_str, k->name,
	    k->type, k->network, k->subnet ? k->subnet : "-", k->socket ? k->socket : "-", k->mtu,
	    k->n_security_groups, k->n_valid_attachments, k->dns.n_nameservers, k->dns.n_search,
	    k->dns.n_options, k->dns.domain ? k->dns.domain : "-");
	for (size_t i = 0; i < k->n_security_groups; i++)
		cat(sum, size, "|sg=%s", k->security_groups[i]);
	for (size_t i = 0; i < k->n_valid_attachments; i++)
		cat(sum, size, "|a=%s/%s", k->valid_attachments[i].container_id,
		    k->valid_attachments[i].ifname);
	if (k->prev_result) {
		assert_int_equal(cni_result_to_json(k->prev_result, k->version, &prev), 0);
		cat(sum, size, "|prev=%s", prev);
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
	size_t n = seeds_load("fuzz_cni_conf", &seeds);
	char name[300];

	target_begin();
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < ARRAY_SIZE(cmds); j++) {
			struct conf_ctx c = { .seed = &seeds[i], .cmd = cmds[j] };

			snprintf(name, sizeof(name), "%s %s", cni_command_str(cmds[j]), seeds[i].name);
			run_case(&(struct fcase){ "cni_conf_parse", name, conf_run, conf_check, &c,
						  NULL });
		}
	seeds_free(seeds, n);
	target_end("cni_conf_parse");
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
		check_cni_error(&c->err);
		return;
	}
	for (enum cni_version v = CNI_VERSION_0_3_1; v <= CNI_VERSION_1_1_0; v++) {
		assert_int_equal(cni_result_to_json(c->res, v, &json), 0);
		cat(sum, size, "%s", json);
		free(json);
	}
	cni_result_free(c->res);
}

static void test_cni_result(void **state)
{
	struct seed *seeds;
	size_t n = seeds_load("fuzz_cni_conf", &seeds);

	target_begin();
	for (size_t i = 0; i < n; i++) {
		json_t *doc = json_loadb(seeds[i].data, seeds[i].len, 0, NULL);
		struct result_ctx c = { .prev = json_object_get(doc, "prevResult") };

		if (c.prev)
			run_case(&(struct fcase){ "cni_result", seeds[i].name, result_run,
						  result_check, &c, NULL });
		json_decref(doc);
	}
	seeds_free(seeds, n);
	target_end("cni_result_from_json");
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
		check_cni_error(&c->err);
		return;
	}
	cat(sum, size, "%d|%s|%s|%s|%s|%d", e->command, e->container_id ? e->container_id : "-",
	    e->netns ? e->netns : "-", e->ifname ? e->ifname : "-", e->path ? e->path : "-",
	    e->ignore_unknown);
	for (size_t i = 0; i < e->n_args; i++)
		cat(sum, size, "|%s=%s", e->args[i].key, e->args[i].value);
	cni_env_free(e);
}

static void test_cni_env(void **state)
{
	struct seed *seeds;
	size_t n = seeds_load("fuzz_cni_env", &seeds);

	target_begin();
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
		run_case(&(struct fcase){ "cni_env_parse", seeds[i].name, env_run, env_check, &c,
					  NULL });
	}
	seeds_free(seeds, n);
	target_end("cni_env_parse");
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
		check_cni_error(&c->err);
		return;
	}
	e = &c->req->env;
	cat(sum, size, "%s|%s|%s|%s|%s|%s|%zu|", e->command ? e->command : "-",
	    e->container_id ? e->container_id : "-", e->netns ? e->netns : "-",
	    e->ifname ? e->ifname : "-", e->args ? e->args : "-", e->path ? e->path : "-",
	    c->req->stdin_len);
	for (size_t i = 0; i < c->req->stdin_len; i++)
		cat(sum, size, "%02x", (unsigned char)c->req->stdin_data[i]);
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
	cat(sum, size, "%d|%zu|%s", c->rep->exit_code, c->rep->stdout_len, c->rep->stdout_text);
	wire_reply_free(c->rep);
}

static void test_wire(void **state)
{
	struct seed *seeds;
	size_t n = seeds_load("fuzz_wire", &seeds);

	target_begin();
	for (size_t i = 0; i < n; i++) {
		struct wire_ctx c = { .seed = &seeds[i] };

		run_case(&(struct fcase){ "wire_request_parse", seeds[i].name, wire_req_run,
					  wire_req_check, &c, NULL });
		run_case(&(struct fcase){ "wire_reply_parse", seeds[i].name, wire_rep_run,
					  wire_rep_check, &c, NULL });
	}
	seeds_free(seeds, n);
	target_end("wire_request_parse, wire_reply_parse");
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
	cat(sum, size, "%s|%s|%s|%zu", k->path, k->neutron.auth_url ? k->neutron.auth_url : "-",
	    k->neutron.password ? "pw" : "-", k->n_pools);
	for (size_t i = 0; i < k->n_pools; i++) {
		cat(sum, size, "|pool %s %d %d", k->pool_list[i].name, k->pool_list[i].min,
		    k->pool_list[i].max);
		for (size_t j = 0; j < k->pool_list[i].n_security_groups; j++)
			cat(sum, size, " sg=%s", k->pool_list[i].security_groups[j]);
	}
	config_free(k);
}

static void test_config(void **state)
{
	struct seed *seeds;
	size_t n = seeds_load("fuzz_config", &seeds);

	target_begin();
	for (size_t i = 0; i < n; i++) {
		struct config_ctx c = { .seed = &seeds[i] };

		run_case(&(struct fcase){ "config_load_stream", seeds[i].name, config_run,
					  config_check, &c, NULL });
	}
	seeds_free(seeds, n);
	target_end("config_load_stream");
}

/* ---- the Neutron and Keystone response parsers ---- */

struct njson_ctx {
	const struct seed *seed;
	char sum[SUM_MAX];   /* built by run(): the parsers' outputs are many */
};

/* neutron_error_parse cannot fail: it fills a message in any case. */
static int nerr_run(void *p)
{
	struct njson_ctx *c = p;
	struct neutron_error err;

	c->sum[0] = '\0';
	neutron_error_parse(409, c->seed->data, c->seed->len, &err);
	for (const char *q = err.message; *q; q++)
		assert_true(*q >= 0x20 && *q < 0x7f);
	assert_true(err.message[0] != '\0');
	cat(c->sum, sizeof(c->sum), "%s|%s", err.type, err.message);
	return 0;
}

static bool nerr_degraded_ok(const char *sum)
{
	/* Without memory for the JSON it quotes the body as text: a worse
	 * message, but one (checked printable above). */
	return true;
}

/* The token, catalog, endpoint and next-link parsers on the body loaded as
 * auth.c and call.c load it. */
static int njson_run(void *p)
{
	static const char *const regions[] = { NULL, "RegionOne" };
	static const char *const interfaces[] = { NULL, "internal", "admin" };
	static const char *const keys[] = { "ports", "networks" };
	static const char *const endpoints[] = { NULL, "https://cloud.example/networking" };
	struct njson_ctx *c = p;
	const json_t *token;
	json_error_t jerr;
	json_t *root;
	int64_t life = -1;
	int r, worst = 0;

	c->sum[0] = '\0';
	root = json_loadb(c->seed->data, c->seed->len, JSON_DECODE_ANY, &jerr);
	if (!root)
		return json_error_code(&jerr) == json_error_out_of_memory ? -ENOMEM : 0;
	token = json_object_get(root, "token") ? json_object_get(root, "token") : root;
	r = neutron_token_lifetime(token, &life);
	cat(c->sum, sizeof(c->sum), "life=%d", r < 0 ? r : life > 0);
	for (size_t i = 0; i < ARRAY_SIZE(regions); i++)
		for (size_t j = 0; j < ARRAY_SIZE(interfaces); j++) {
			const char *url = NULL;
			char *ep = NULL, *auth = NULL;

			if (neutron_catalog_find(token, "network", regions[i], interfaces[j], &url) < 0)
				continue;
			r = neutron_endpoint_normalize(url, &ep);
			if (r == -ENOMEM)
				worst = r;
			cat(c->sum, sizeof(c->sum), "|ep=%s", r < 0 ? "-" : ep);
			r = neutron_auth_url_normalize(url, &auth);
			if (r == -ENOMEM)
				worst = r;
			cat(c->sum, sizeof(c->sum), "|auth=%s", r < 0 ? "-" : auth);
			free(ep);
			free(auth);
		}
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
		for (size_t j = 0; j < ARRAY_SIZE(endpoints); j++) {
			char *path = (char *)c;

			r = neutron_next_link(root, keys[i], endpoints[j], &path);
			if (r == -ENOMEM)
				worst = r;
			if (r != 1)
				assert_ptr_equal(path, (char *)c);
			cat(c->sum, sizeof(c->sum), "|next=%s", r == 1 ? path : "-");
			if (r == 1)
				free(path);
		}
	json_decref(root);
	return worst;
}

static void njson_check(void *p, int r, char *sum, size_t size)
{
	struct njson_ctx *c = p;

	if (r >= 0)
		cat(sum, size, "%s", c->sum);
}

static void test_neutron_json(void **state)
{
	struct seed *seeds;
	size_t n = seeds_load("fuzz_neutron_json", &seeds);

	target_begin();
	for (size_t i = 0; i < n; i++) {
		struct njson_ctx *c = calloc(1, sizeof(*c));

		assert_non_null(c);
		c->seed = &seeds[i];
		run_case(&(struct fcase){ "neutron_error_parse", seeds[i].name, nerr_run,
					  njson_check, c, nerr_degraded_ok });
		run_case(&(struct fcase){ "neutron json", seeds[i].name, njson_run, njson_check,
					  c, NULL });
		free(c);
	}
	seeds_free(seeds, n);
	target_end("neutron response parsers");
}

/* ---- portinfo_from_json, portinfo_from_neutron ---- */

struct portinfo_ctx {
	const struct seed *seed;
	json_t *root;       /* for from_neutron; loaded unarmed */
	bool neutron;
	struct portinfo pi;
	char *json;
};

static void poison(struct portinfo *pi)
{
	memset(pi, 0xa5, sizeof(*pi));
}

static bool poisoned(const struct portinfo *pi)
{
	const unsigned char *b = (const unsigned char *)pi;

	for (size_t i = 0; i < sizeof(*pi); i++)
		if (b[i] != 0xa5)
			return false;
	return true;
}

static int portinfo_run(void *p)
{
	struct portinfo_ctx *c = p;
	json_int_t mtu;

	poison(&c->pi);
	if (!c->neutron)
		return portinfo_from_json(c->seed->data, &c->pi);
	mtu = json_integer_value(json_object_get(c->root, "mtu_override"));
	return portinfo_from_neutron(json_object_get(c->root, "port"),
				     json_object_get(c->root, "network"),
				     json_object_get(c->root, "subnets"),
				     mtu > 0 && mtu <= 65535 ? (uint32_t)mtu : 0, &c->pi);
}

static void portinfo_check(void *p, int r, char *sum, size_t size)
{
	struct portinfo_ctx *c = p;
	char *json = NULL;

	if (r < 0) {
		assert_true(poisoned(&c->pi));
		return;
	}
	assert_int_equal(portinfo_to_json(&c->pi, &json), 0);
	cat(sum, size, "%s", json);
	free(json);
}

/* portinfo_to_json under injection: the store's copy of what was parsed. */
static int portinfo_dump_run(void *p)
{
	struct portinfo_ctx *c = p;

	c->json = (char *)c;
	return portinfo_to_json(&c->pi, &c->json);
}

static void portinfo_dump_check(void *p, int r, char *sum, size_t size)
{
	struct portinfo_ctx *c = p;

	if (r < 0) {
		assert_ptr_equal(c->json, (char *)c);
		return;
	}
	cat(sum, size, "%s", c->json);
	free(c->json);
}

static void test_portinfo(void **state)
{
	struct seed *seeds;
	size_t n = seeds_load("fuzz_portinfo", &seeds);

	target_begin();
	for (size_t i = 0; i < n; i++) {
		struct portinfo_ctx c = { .seed = &seeds[i] };
		char name[300];

		run_case(&(struct fcase){ "portinfo_from_json", seeds[i].name, portinfo_run,
					  portinfo_check, &c, NULL });
		if (portinfo_run(&c) == 0) {
			snprintf(name, sizeof(name), "%s (to_json)", seeds[i].name);
			run_case(&(struct fcase){ "portinfo_to_json", name, portinfo_dump_run,
						  portinfo_dump_check, &c, NULL });
		}
		c.root = json_loadb(seeds[i].data, seeds[i].len, 0, NULL);
		if (c.root) {
			c.neutron = true;
			run_case(&(struct fcase){ "portinfo_from_neutron", seeds[i].name,
						  portinfo_run, portinfo_check, &c, NULL });
			json_decref(c.root);
		}
	}
	seeds_free(seeds, n);
	target_end("portinfo_from_json, portinfo_from_neutron");
}

/* ---- the netlink readers ---- */

struct nl_ctx {
	const struct seed *seed;
	char sum[SUM_MAX];
};

/* The input of fuzz_netlink: a byte choosing the request, then datagrams
 * of a 16-bit little-endian length and their bytes.  Each message goes to
 * every reader, and what they accept into the dump's lists. */
static int nl_run(void *p)
{
	struct nl_ctx *c = p;
	const unsigned char *d = (const unsigned char *)c->seed->data;
	size_t len = c->seed->len, off = 1;
	struct nl_list links = { .item_size = sizeof(struct nl_link) };
	struct nl_list addrs = { .item_size = sizeof(struct nl_addr) };
	struct nl_list routes = { .item_size = sizeof(struct nl_route) };
	int r = 0;

	c->sum[0] = '\0';
	while (off + 2 <= len && r == 0) {
		size_t n = (size_t)d[off] | (size_t)d[off + 1] << 8;
		unsigned char *dgram;
		const struct nlmsghdr *nlh;
		int left;

		off += 2;
		if (n > len - off)
			n = len - off;
		/* A block of its own, aligned as the kernel's would be. */
		dgram = aligned_alloc(8, (n + 8) & ~(size_t)7);
		if (!dgram)
			return -ENOMEM;
		memcpy(dgram, d + off, n);
		off += n;
		left = (int)n;
		for (nlh = (const struct nlmsghdr *)dgram; nl_msg_ok(nlh, left) && r == 0;
		     nlh = mnl_nlmsg_next(nlh, &left)) {
			struct nl_link link;
			struct nl_addr addr;
			struct nl_route route;
			struct nl_extack ext = { { 0 } };
			void *slot;

			if (nl_parse_link(nlh, &link) == 0) {
				slot = nl_list_add(&links);
				if (!slot)
					r = -ENOMEM;
				else
					*(struct nl_link *)slot = link;
				cat(c->sum, sizeof(c->sum), "|link %d %s", link.ifindex, link.name);
			}
			if (nl_parse_addr(nlh, &addr) == 0) {
				slot = nl_list_add(&addrs);
				if (!slot)
					r = -ENOMEM;
				else
					*(struct nl_addr *)slot = addr;
				cat(c->sum, sizeof(c->sum), "|addr %d/%u", addr.ifindex, addr.prefixlen);
			}
			if (nl_parse_route(nlh, &route) == 0) {
				slot = nl_list_add(&routes);
				if (!slot)
					r = -ENOMEM;
				else
					*(struct nl_route *)slot = route;
				cat(c->sum, sizeof(c->sum), "|route %u", route.dst_len);
			}
			if (nlh->nlmsg_type == NLMSG_ERROR)
				cat(c->sum, sizeof(c->sum), "|error %d %s", nl_parse_error(nlh, &ext),
				    ext.msg);
		}
		free(dgram);
	}
	free(links.items);
	free(addrs.items);
	free(routes.items);
	return r;
}

static void nl_check(void *p, int r, char *sum, size_t size)
{
	struct nl_ctx *c = p;

	if (r >= 0)
		cat(sum, size, "%s", c->sum);
}

static void test_netlink(void **state)
{
	struct seed *seeds;
	size_t n = seeds_load("fuzz_netlink", &seeds);

	target_begin();
	for (size_t i = 0; i < n; i++) {
		struct nl_ctx *c = calloc(1, sizeof(*c));

		assert_non_null(c);
		c->seed = &seeds[i];
		run_case(&(struct fcase){ "netlink readers", seeds[i].name, nl_run, nl_check, c,
					  NULL });
		free(c);
	}
	seeds_free(seeds, n);
	target_end("netlink readers");
}


/* ---- the daemon's handling of one CNI request ---- */

/* The request bytes as the plugin sends them (wire.h). */
static const struct {
	const char *name;
	bool neutron_ok;
	const char *msg;
} requests[] = {
	{ "VERSION", true,
	  "{\"version\":1,\"env\":{\"CNI_COMMAND\":\"VERSION\"},"
	  "\"stdin\":\"{\\\"cniVersion\\\":\\\"1.0.0\\\"}\"}" },
	{ "STATUS", true,
	  "{\"version\":1,\"env\":{\"CNI_COMMAND\":\"STATUS\"},\"stdin\":\"{\\\"cniVersion\\\":"
	  "\\\"1.1.0\\\",\\\"name\\\":\\\"net\\\",\\\"type\\\":\\\"superfluid\\\","
	  "\\\"network\\\":\\\"private\\\",\\\"dns\\\":{\\\"nameservers\\\":[\\\"198.18.0.53\\\"],"
	  "\\\"search\\\":[\\\"example\\\"]}}\"}" },
	{ "STATUS, Neutron away", false,
	  "{\"version\":1,\"env\":{\"CNI_COMMAND\":\"STATUS\"},\"stdin\":\"{\\\"cniVersion\\\":"
	  "\\\"1.1.0\\\",\\\"name\\\":\\\"net\\\",\\\"type\\\":\\\"superfluid\\\","
	  "\\\"network\\\":\\\"private\\\"}\"}" },
	{ "DEL, nothing held", true,
	  "{\"version\":1,\"env\":{\"CNI_COMMAND\":\"DEL\",\"CNI_CONTAINERID\":\"c1\","
	  "\"CNI_IFNAME\":\"eth0\",\"CNI_ARGS\":\"IgnoreUnknown=1;K8S_POD_NAME=p\"},"
	  "\"stdin\":\"{\\\"cniVersion\\\":\\\"1.0.0\\\",\\\"name\\\":\\\"net\\\",\\\"type\\\":"
	  "\\\"superfluid\\\",\\\"network\\\":\\\"private\\\",\\\"securityGroups\\\":[\\\"a\\\","
	  "\\\"b\\\"]}\"}" },
	{ "CHECK, unknown container", true,
	  "{\"version\":1,\"env\":{\"CNI_COMMAND\":\"CHECK\",\"CNI_CONTAINERID\":\"c1\","
	  "\"CNI_NETNS\":\"/run/netns/x\",\"CNI_IFNAME\":\"eth0\"},\"stdin\":\"{\\\"cniVersion\\\":"
	  "\\\"1.0.0\\\",\\\"name\\\":\\\"net\\\",\\\"type\\\":\\\"superfluid\\\",\\\"network\\\":"
	  "\\\"private\\\",\\\"prevResult\\\":{\\\"cniVersion\\\":\\\"1.0.0\\\",\\\"interfaces\\\":"
	  "[{\\\"name\\\":\\\"eth0\\\",\\\"sandbox\\\":\\\"/run/netns/x\\\"}],\\\"ips\\\":"
	  "[{\\\"address\\\":\\\"198.18.0.5/24\\\",\\\"gateway\\\":\\\"198.18.0.1\\\","
	  "\\\"interface\\\":0}],\\\"routes\\\":[{\\\"dst\\\":\\\"0.0.0.0/0\\\"}]}}\"}" },
	{ "not JSON", true, "{\"version\":1,\"env\":" },
	{ "ADD without CNI_NETNS", true,
	  "{\"version\":1,\"env\":{\"CNI_COMMAND\":\"ADD\",\"CNI_CONTAINERID\":\"c1\","
	  "\"CNI_IFNAME\":\"eth0\"},\"stdin\":\"{}\"}" },
	{ "ADD with ipam", true,
	  "{\"version\":1,\"env\":{\"CNI_COMMAND\":\"ADD\",\"CNI_CONTAINERID\":\"c1\","
	  "\"CNI_NETNS\":\"/run/netns/x\",\"CNI_IFNAME\":\"eth0\"},\"stdin\":\"{\\\"cniVersion\\\":"
	  "\\\"1.1.0\\\",\\\"name\\\":\\\"net\\\",\\\"type\\\":\\\"superfluid\\\",\\\"network\\\":"
	  "\\\"private\\\",\\\"ipam\\\":{\\\"type\\\":\\\"host-local\\\"}}\"}" },
	{ "wire version 2", true, "{\"version\":2,\"env\":{},\"stdin\":\"\"}" },
};

struct handle_ctx {
	struct daemon *d;
	const char *msg;
	char *reply;
	size_t reply_len;
};

static int handle_run(void *p)
{
	struct handle_ctx *c = p;

	c->reply = (char *)c;
	return daemon_handle(c->d, c->msg, strlen(c->msg), &c->reply, &c->reply_len);
}

static void handle_check(void *p, int r, char *sum, size_t size)
{
	struct handle_ctx *c = p;
	struct wire_reply *wr = NULL;

	if (r < 0) {
		assert_ptr_equal(c->reply, (char *)c);
		return;
	}
	/* Whatever happened, the plugin gets a reply it can read. */
	assert_int_equal(wire_reply_parse(c->reply, c->reply_len, &wr), 0);
	cat(sum, size, "%d|%s", wr->exit_code, wr->stdout_text);
	wire_reply_free(wr);
	free(c->reply);
}

static bool handle_degraded_ok(const char *sum)
{
	/* An allocation that failed is answered as such: code 999, "out of
	 * memory", which a runtime shows and may retry. */
	return strncmp(sum, "1|", 2) == 0 && strstr(sum, "\"code\":999") &&
	       strstr(sum, "\"msg\":\"out of memory\"");
}

static void test_daemon_request(void **state)
{
	char dir[] = "/tmp/sf-fault-XXXXXX", path[64];
	struct daemon *d = calloc(1, sizeof(*d));

	assert_non_null(d);
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/state.db", dir);
	/* The daemon's long-lived state, built before any injection. */
	assert_int_equal(store_open(path, &d->store), 0);
	assert_int_equal(daemon_metrics_new(NULL, NULL, &d->metrics), 0);
	pthread_mutex_init(&d->lock, NULL);
	pthread_cond_init(&d->wake_refill, NULL);
	pthread_cond_init(&d->wake_sync, NULL);
	pthread_cond_init(&d->wake_recycle, NULL);

	target_begin();
	for (size_t i = 0; i < ARRAY_SIZE(requests); i++) {
		struct handle_ctx c = { .d = d, .msg = requests[i].msg };

		atomic_store(&d->neutron_ok, requests[i].neutron_ok);
		run_case(&(struct fcase){ "daemon_handle", requests[i].name, handle_run,
					  handle_check, &c, handle_degraded_ok });
	}
	target_end("daemon CNI requests");

	pthread_cond_destroy(&d->wake_refill);
	pthread_cond_destroy(&d->wake_sync);
	pthread_cond_destroy(&d->wake_recycle);
	pthread_mutex_destroy(&d->lock);
	daemon_metrics_free(d->metrics);
	store_free(d->store);
	free(d);
	unlink(path);
	snprintf(path, sizeof(path), "%s/state.db-wal", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/state.db-shm", dir);
	unlink(path);
	assert_int_equal(rmdir(dir), 0);
}

/* ---- the Neutron client's request path, against a local server ---- */

struct neutron_ctx {
	struct neutron_client *client;
	struct fake *fake;
	int op;
	json_t *answer;
	struct neutron_error err;
};

/* The paginated list last: with SF_FAULT_CURL=1 it fails (docs/fuzzing.md). */
enum { OP_SHOW, OP_SHOW_404, OP_CREATE, OP_DELETE, OP_TAG, OP_LIST };

static const char *const op_names[] = {
	[OP_SHOW] = "GET network", [OP_SHOW_404] = "GET port, 404",
	[OP_CREATE] = "POST network", [OP_LIST] = "GET ports, 3 pages",
	[OP_DELETE] = "DELETE port, 204", [OP_TAG] = "PUT tag",
};

static int neutron_run(void *p)
{
	struct neutron_ctx *c = p;
	static const struct neutron_filter filters[] = {
		{ "fields", "id" }, { "tags", "sf-deployment=a b&c" },
	};
	json_t *attrs;
	int r;

	c->answer = (json_t *)c;
	memset(&c->err, 0, sizeof(c->err));
	switch (c->op) {
	case OP_SHOW:
		return neutron_network_show(c->client, "net 1/x", &c->answer, &c->err);
	case OP_SHOW_404:
		return neutron_port_show(c->client, "p-404", &c->answer, &c->err);
	case OP_CREATE:
		attrs = json_pack("{s:s, s:b}", "name", "n1", "admin_state_up", 1);
		if (!attrs)
			return -ENOMEM;
		r = neutron_network_create(c->client, attrs, &c->answer, &c->err);
		json_decref(attrs);
		return r;
	case OP_LIST:
		return neutron_list(c->client, "ports", filters, ARRAY_SIZE(filters), 2, &c->answer,
				    &c->err);
	case OP_DELETE:
		return neutron_port_delete(c->client, "p-1", &c->err);
	case OP_TAG:
		return neutron_tag_add(c->client, "ports", "p-1", "sf-holder=c1/eth0", &c->err);
	}
	return -EINVAL;
}

static void neutron_check(void *p, int r, char *sum, size_t size)
{
	struct neutron_ctx *c = p;
	char *text;

	if (r < 0) {
		assert_ptr_equal(c->answer, (json_t *)c);
		/* Every failure says why. */
		assert_true(c->err.message[0] != '\0' || r == -ENOMEM);
		cat(sum, size, "%d|%d|%s|%s", r, c->err.http_status, c->err.type, c->err.message);
		return;
	}
	cat(sum, size, "%d", r);
	if (c->answer != (json_t *)c && c->answer) {
		text = json_dumps(c->answer, JSON_COMPACT | JSON_SORT_KEYS);
		assert_non_null(text);
		cat(sum, size, "|%s", text);
		free(text);
		json_decref(c->answer);
	}
}

static void test_neutron_request(void **state)
{
	struct fake *f = fake_start();
	struct neutron_opts o = { .max_retries = -1 };
	struct neutron_ctx c = { .fake = f, .client = noauth_client(f, &o) };
	static const char net[] = "{\"network\": {\"id\": \"n1\", \"name\": \"n1\", \"mtu\": 1450,"
				  " \"tags\": [\"a\", \"b\"]}}";
	static const char port[] = "{\"port\": {\"id\": \"p-1\"}}";

	target_begin();
	for (c.op = OP_SHOW; c.op <= OP_LIST; c.op++) {
		pthread_mutex_lock(&f->lock);
		f->paginate = c.op == OP_LIST;
		f->body = c.op == OP_SHOW || c.op == OP_CREATE ? net : c.op == OP_TAG ? "null" : port;
		f->n_statuses = 1;
		f->statuses[0] = c.op == OP_SHOW_404 ? 404 : c.op == OP_DELETE ? 204 :
				 c.op == OP_CREATE || c.op == OP_TAG ? 201 : 200;
		f->next = 0;
		if (c.op == OP_SHOW_404)
			f->body = NULL;
		pthread_mutex_unlock(&f->lock);
		run_case(&(struct fcase){ "neutron client", op_names[c.op], neutron_run,
					  neutron_check, &c, NULL });
	}
	target_end("Neutron client requests");
	neutron_client_free(c.client);
	fake_stop(f);
}

static void test_summary(void **state)
{
	print_message("fault injection: %u cases, %lu allocation sites failed, %lu runs ended "
		      "in an error, %lu succeeded anyway; no crash, no leak\n", totals.cases,
		      totals.sites, totals.errors, totals.ok);
	assert_true(totals.cases > 0 && totals.sites > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cni_conf),
		cmocka_unit_test(test_cni_result),
		cmocka_unit_test(test_cni_env),
		cmocka_unit_test(test_wire),
		cmocka_unit_test(test_config),
		cmocka_unit_test(test_neutron_json),
		cmocka_unit_test(test_portinfo),
		cmocka_unit_test(test_netlink),
		cmocka_unit_test(test_daemon_request),
		cmocka_unit_test(test_neutron_request),
		cmocka_unit_test(test_summary),
	};

	if (!fault_enabled()) {
		fprintf(stderr, "skip: not the FAULT=1 build\n");
		return 77;
	}
	/* libcurl's allocations fail too only on request: curl 7.88 sends a
	 * request without its query string when one fails (docs/fuzzing.md). */
	fault_curl = streq(getenv("SF_FAULT_CURL"), "1");
	if (fault_install(fault_curl) < 0)
		return 1;
	print_message("failing our allocations and jansson's%s\n",
		      fault_curl ? ", and libcurl's (SF_FAULT_CURL=1)" : "");
	return cmocka_run_group_tests(tests, NULL, NULL);
}

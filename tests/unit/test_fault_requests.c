/* Fault injection (fault_harness.h) on the request paths: the daemon's
 * handling of one CNI request, from the bytes read on its socket to the
 * reply bytes, on a real daemon (daemon_new, tests/lib/daemon_fixture.h);
 * and the Neutron client's calls against the in-process server of
 * tests/lib/fake_neutron.h. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "daemon_fixture.h"
#include "fault_harness.h"

#include "cni/wire.h"
#include "common/config.h"
#include "daemon/handle.h"
#include "daemon/state.h"
#include "neutron/internal.h"

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
	return handle_request(c->d, c->msg, strlen(c->msg), &c->reply, &c->reply_len);
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
	harness_cat(sum, size, "%d|%s", wr->exit_code, wr->stdout_text);
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

/* A real daemon (tests/lib/daemon_fixture.h), built before any injection. */
static void test_daemon_request(void **state)
{
	struct dfix *x = dfix_new(CONFIG_MODE_BRIDGE);

	harness_begin();
	for (size_t i = 0; i < ARRAY_SIZE(requests); i++) {
		struct handle_ctx c = { .d = x->d, .msg = requests[i].msg };

		/* What STATUS answers from: the last Neutron call's outcome. */
		atomic_store(&x->d->neutron_ok, requests[i].neutron_ok);
		harness_run(&(struct fcase){ "handle_request", requests[i].name, handle_run,
					     handle_check, &c, handle_degraded_ok });
	}
	harness_end("daemon CNI requests");
	dfix_free(x);
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
		harness_cat(sum, size, "%d|%d|%s|%s", r, c->err.http_status, c->err.type, c->err.message);
		return;
	}
	harness_cat(sum, size, "%d", r);
	if (c->answer != (json_t *)c && c->answer) {
		text = json_dumps(c->answer, JSON_COMPACT | JSON_SORT_KEYS);
		assert_non_null(text);
		harness_cat(sum, size, "|%s", text);
		free(text);
		json_decref(c->answer);
	}
}

static void test_neutron_request(void **state)
{
	struct fake *f = fake_start();
	struct neutron_opts o = { .max_retries = -1 };
	struct neutron_ctx c = { .fake = f, .client = fake_noauth_client(f, &o) };
	static const char net[] = "{\"network\": {\"id\": \"n1\", \"name\": \"n1\", \"mtu\": 1450,"
				  " \"tags\": [\"a\", \"b\"]}}";
	static const char port[] = "{\"port\": {\"id\": \"p-1\"}}";

	harness_begin();
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
		harness_run(&(struct fcase){ "neutron client", op_names[c.op], neutron_run,
					  neutron_check, &c, NULL });
	}
	harness_end("Neutron client requests");
	neutron_client_free(c.client);
	fake_stop(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_daemon_request),
		cmocka_unit_test(test_neutron_request),
		cmocka_unit_test(harness_summary),
	};
	int r = harness_setup();

	if (r)
		return r;
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* The Docker driver's JSON handlers (libnetwork/lnd.h) on canned requests:
 * the answers that need neither Neutron nor superfluidd (Activate, the
 * capabilities, the address spaces) and the refusals that come before
 * either is asked (malformed JSON, unknown calls and options, unknown
 * pools, networks and endpoints); the state file across a restart (a
 * pool and its gateway kept, a malformed file refused).  The rest is
 * docker_e2e.sh's, against real dockerd, Neutron and superfluidd. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "libnetwork/lnd.h"

static struct lnd *new_driver(void)
{
	struct lnd *l = NULL;

	assert_int_equal(lnd_new(&(struct lnd_opts){ .daemon_socket = "/nonexistent/sock" }, &l), 0);
	return l;
}

/* The answer to PATH with BODY, parsed. */
static json_t *call(struct lnd *l, const char *path, const char *body)
{
	char *text = NULL;
	json_t *o;
	int r;

	r = lnd_handle(l, path, body, strlen(body), &text);
	assert_true(r == 0 || r == 1);
	o = json_loads(text, 0, NULL);
	if (!json_is_object(o))
		fail_msg("%s: not a JSON object: %s", path, text);
	/* 1 exactly when the answer is a refusal. */
	assert_int_equal(r, json_object_get(o, "Err") != NULL);
	free(text);
	return o;
}

static void test_answers(void **state)
{
	struct lnd *l = new_driver();
	json_t *o;

	o = call(l, "/Plugin.Activate", "");
	assert_string_equal(json_string_value(json_array_get(json_object_get(o, "Implements"), 0)),
			    "NetworkDriver");
	assert_string_equal(json_string_value(json_array_get(json_object_get(o, "Implements"), 1)),
			    "IpamDriver");
	json_decref(o);
	o = call(l, "/NetworkDriver.GetCapabilities", "null");
	assert_string_equal(json_string_value(json_object_get(o, "Scope")), "local");
	assert_null(json_object_get(o, "Err"));
	json_decref(o);
	o = call(l, "/IpamDriver.GetCapabilities", "");
	assert_true(json_is_false(json_object_get(o, "RequiresMACAddress")));
	json_decref(o);
	o = call(l, "/IpamDriver.GetDefaultAddressSpaces", "{}");
	assert_string_equal(json_string_value(json_object_get(o, "LocalDefaultAddressSpace")),
			    "superfluid-local");
	json_decref(o);
	for (const char **p = (const char *[]){ "/NetworkDriver.Leave", "/NetworkDriver.DiscoverNew",
						"/NetworkDriver.DiscoverDelete",
						"/NetworkDriver.ProgramExternalConnectivity",
						"/NetworkDriver.RevokeExternalConnectivity", NULL }; *p; p++) {
		o = call(l, *p, "{\"NetworkID\":\"n\",\"EndpointID\":\"e\"}");
		assert_int_equal(json_object_size(o), 0);
		json_decref(o);
	}
	lnd_free(l);
}

static const struct {
	const char *path, *body, *err;   /* err: a substring of the Err */
} bad[] = {
	{ "/IpamDriver.RequestPool", "{\"Pool\": ", "not a JSON object" },
	{ "/IpamDriver.RequestPool", "[1]", "not a JSON object" },
	{ "/IpamDriver.RequestPool", "\"x\"", "not a JSON object" },
	{ "/NetworkDriver.Frobnicate", "{}", "unknown call '/NetworkDriver.Frobnicate'" },
	{ "/IpamDriver.RequestPool", "{\"Options\":{\"neutron.net.colour\":\"blue\"}}",
	  "unknown option 'neutron.net.colour'" },
	{ "/IpamDriver.RequestPool", "{\"Options\":{\"neutron.net.name\":7}}",
	  "must be a non-empty string" },
	{ "/IpamDriver.RequestPool", "{\"Options\":[]}", "Options is not an object" },
	{ "/IpamDriver.RequestPool",
	  "{\"Options\":{\"neutron.net.name\":\"a\",\"neutron.net.uuid\":\"b\"}}", "not both" },
	{ "/IpamDriver.RequestPool", "{\"Options\":{}}", "no Neutron network" },
	{ "/IpamDriver.RequestPool", "{\"Options\":{\"com.docker.network.x\":\"1\"}}",
	  "no Neutron network" },
	{ "/IpamDriver.RequestPool", "{\"Pool\":\"10.0.0.5/24\"}", "not an IPv4 network address" },
	{ "/IpamDriver.RequestPool", "{\"Pool\":\"fd00::/16\"}", "not an IPv4 network address" },
	{ "/IpamDriver.RequestPool", "{\"Pool\":\"10.0.0.0/31\"}", "from /8 to /30" },
	{ "/IpamDriver.RequestPool", "{\"Pool\":\"10.0.0.0\"}", "from /8 to /30" },
	{ "/IpamDriver.RequestPool", "{\"Pool\":\"10.0.0.0/24x\"}", "from /8 to /30" },
	{ "/IpamDriver.RequestPool",
	  "{\"Pool\":\"10.0.0.0/24\",\"Options\":{\"neutron.subnet.name\":\"s\"}}",
	  "give neutron.net.uuid or neutron.net.name too" },
	{ "/IpamDriver.RequestPool", "{\"V6\":true,\"Options\":{\"neutron.net.name\":\"a\"}}",
	  "IPv6 pools are not supported" },
	{ "/IpamDriver.RequestPool", "{\"Options\":{\"neutron.net.name\":\"a\"}}",
	  "no Neutron client" },
	{ "/IpamDriver.RequestAddress", "{\"PoolID\":\"sf-x\",\"Address\":\"\"}", "no pool 'sf-x'" },
	{ "/IpamDriver.ReleaseAddress", "{\"PoolID\":\"sf-x\",\"Address\":\"1.2.3.4\"}", "no pool" },
	{ "/IpamDriver.ReleasePool", "{\"PoolID\":\"sf-x\"}", "no pool" },
	{ "/NetworkDriver.CreateNetwork", "{}", "no NetworkID" },
	{ "/NetworkDriver.CreateNetwork",
	  "{\"NetworkID\":\"n1\",\"IPv4Data\":[{\"Pool\":\"10.0.0.0/24\"}]}",
	  "pool 10.0.0.0/24 is not superfluid's" },
	{ "/NetworkDriver.CreateNetwork",
	  "{\"NetworkID\":\"n1\",\"Options\":{\"com.docker.network.generic\":{\"bogus\":\"1\"}}}",
	  "unknown option 'bogus'" },
	{ "/NetworkDriver.DeleteNetwork", "{\"NetworkID\":\"n1\"}", "no network 'n1'" },
	{ "/NetworkDriver.CreateEndpoint", "{\"NetworkID\":\"n1\",\"EndpointID\":\"e\"}",
	  "no network 'n1'" },
	{ "/NetworkDriver.Join", "{\"NetworkID\":\"n1\",\"EndpointID\":\"e\"}", "no endpoint 'e'" },
};

static void test_bad_input(void **state)
{
	struct lnd *l = new_driver();

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_t *o = call(l, bad[i].path, bad[i].body);
		const char *e = json_string_value(json_object_get(o, "Err"));

		if (!e || !strstr(e, bad[i].err))
			fail_msg("row %zu %s %s: Err '%s', want '%s'", i, bad[i].path, bad[i].body,
				 e ? e : "(none)", bad[i].err);
		assert_int_equal(json_object_size(o), 1);
		json_decref(o);
	}
	lnd_free(l);
}

/* A pool for a network the driver makes: the CIDR Docker gave, the
 * gateway its first address (or --gateway's); CreateNetwork needs Neutron. */
static void test_made_pool(void **state)
{
	struct lnd *l = new_driver();
	json_t *o, *g;
	char body[160];

	o = call(l, "/IpamDriver.RequestPool", "{\"Pool\":\"10.9.8.0/24\",\"Options\":{}}");
	assert_string_equal(json_string_value(json_object_get(o, "Pool")), "10.9.8.0/24");
	snprintf(body, sizeof(body), "{\"PoolID\":\"%s\",\"Address\":\"\",\"Options\":"
		 "{\"RequestAddressType\":\"com.docker.network.gateway\"}}",
		 json_string_value(json_object_get(o, "PoolID")));
	g = call(l, "/IpamDriver.RequestAddress", body);
	assert_string_equal(json_string_value(json_object_get(g, "Address")), "10.9.8.1/24");
	json_decref(g);
	g = call(l, "/NetworkDriver.CreateNetwork",
		 "{\"NetworkID\":\"n1\",\"IPv4Data\":[{\"Pool\":\"10.9.8.0/24\"}]}");
	assert_non_null(strstr(json_string_value(json_object_get(g, "Err")) ?: "", "no Neutron client"));
	json_decref(g);
	snprintf(body, sizeof(body), "{\"PoolID\":\"%s\"}",
		 json_string_value(json_object_get(o, "PoolID")));
	g = call(l, "/IpamDriver.ReleasePool", body);
	assert_int_equal(json_object_size(g), 0);
	json_decref(g);
	json_decref(o);
	o = call(l, "/IpamDriver.RequestPool", "{\"Pool\":\"10.9.9.0/24\",\"Options\":{}}");
	snprintf(body, sizeof(body), "{\"PoolID\":\"%s\",\"Address\":\"10.9.9.254\",\"Options\":"
		 "{\"RequestAddressType\":\"com.docker.network.gateway\"}}",
		 json_string_value(json_object_get(o, "PoolID")));
	g = call(l, "/IpamDriver.RequestAddress", body);
	assert_string_equal(json_string_value(json_object_get(g, "Address")), "10.9.9.254/24");
	json_decref(g);
	json_decref(o);
	lnd_free(l);
}

/* A pool (and the gateway Docker chose) outlives the driver through its
 * state file; a malformed file is refused, naming nothing half-loaded. */
static void test_state(void **state)
{
	char dir[] = "/tmp/sf-lnd-state-XXXXXX", path[64], body[256];
	struct lnd_opts o = { .daemon_socket = "/nonexistent/sock", .state_file = path };
	struct lnd *l = NULL;
	json_t *p, *g;
	FILE *f;

	assert_non_null(mkdtemp(dir));
	/* In a folder not there yet (the first save makes it): an empty state. */
	snprintf(path, sizeof(path), "%s/sub/docker.json", dir);
	assert_int_equal(lnd_new(&o, &l), 0);
	p = call(l, "/IpamDriver.RequestPool", "{\"Pool\":\"10.9.7.0/24\",\"Options\":{}}");
	snprintf(body, sizeof(body), "{\"PoolID\":\"%s\",\"Address\":\"10.9.7.9\",\"Options\":"
		 "{\"RequestAddressType\":\"com.docker.network.gateway\"}}",
		 json_string_value(json_object_get(p, "PoolID")));
	json_decref(call(l, "/IpamDriver.RequestAddress", body));
	lnd_free(l);
	l = NULL;
	/* A new run: the pool is known, with its gateway. */
	assert_int_equal(lnd_new(&o, &l), 0);
	snprintf(body, sizeof(body), "{\"PoolID\":\"%s\",\"Address\":\"\",\"Options\":"
		 "{\"RequestAddressType\":\"com.docker.network.gateway\"}}",
		 json_string_value(json_object_get(p, "PoolID")));
	g = call(l, "/IpamDriver.RequestAddress", body);
	assert_string_equal(json_string_value(json_object_get(g, "Address")) ?: "", "10.9.7.9/24");
	json_decref(g);
	snprintf(body, sizeof(body), "{\"PoolID\":\"%s\"}",
		 json_string_value(json_object_get(p, "PoolID")));
	g = call(l, "/IpamDriver.ReleasePool", body);
	assert_int_equal(json_object_size(g), 0);
	json_decref(g);
	lnd_free(l);
	l = NULL;
	/* Released: a third run no longer knows it. */
	assert_int_equal(lnd_new(&o, &l), 0);
	g = call(l, "/IpamDriver.ReleasePool", body);
	assert_non_null(strstr(json_string_value(json_object_get(g, "Err")) ?: "", "no pool"));
	json_decref(g);
	lnd_free(l);
	l = NULL;
	json_decref(p);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("{\"version\":1,\"pools\":[{\"slot\":99}]}", f);
	fclose(f);
	assert_int_equal(lnd_new(&o, &l), -EINVAL);
	assert_null(l);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("{\"version\":1,", f);
	fclose(f);
	assert_int_equal(lnd_new(&o, &l), -EINVAL);
	unlink(path);
	snprintf(body, sizeof(body), "%s/sub", dir);
	assert_int_equal(rmdir(body), 0);
	assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_answers),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_made_pool),
		cmocka_unit_test(test_state),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

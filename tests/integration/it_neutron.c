/* The Neutron client against the real test bed (scripts/testbed): real
 * Keystone tokens (password and application credential, endpoint from the
 * catalog), every call of neutron.h, and the error paths: 404, 409, 412,
 * 401 after a revoked token, neutron-server and Keystone stopped, and a
 * port quota exhausted.  It stops neutron-server and Keystone:
 * sf-test: alone
 *
 * Everything this test creates carries a random suffix and is deleted at
 * the end, even when a test fails (group teardown); the last test checks
 * that no port with this run's tag is left.  Services stopped by a test are
 * always started again: other engineers share this test bed. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "neutron/internal.h"

/* The test bed's variables (tests/run sources testbed.env). */
static const char *const required_env[] = {
	"SF_TB_KEYSTONE_URL", "SF_TB_NEUTRON_URL", "SF_TB_REGION", "SF_TB_USER",
	"SF_TB_PASSWORD", "SF_TB_PROJECT", "SF_TB_PROJECT_ID", "SF_TB_USER_DOMAIN",
	"SF_TB_PROJECT_DOMAIN", "SF_TB_APPCRED_ID", "SF_TB_APPCRED_SECRET", "SF_TB_ADMIN_USER",
	"SF_TB_ADMIN_PASSWORD", "SF_TB_ADMIN_PROJECT", "SF_TB_HOSTS", "SF_TB_QUOTA_PROJECT",
	"SF_TB_QUOTA_PROJECT_ID",
};

/* Something to delete at the end, newest first. */
struct created {
	char collection[32];
	char id[64];
	bool quota_client;      /* made in the quota project */
	bool deleted;
};

static struct {
	char suffix[16];
	char tag[32];
	char owner[48];         /* device_owner of this run's ports */
	struct neutron_client *user;    /* password, catalog endpoint */
	struct neutron_client *quota;   /* password, the quota project */
	char *net_id;
	char *subnet_id;
	struct created created[128];
	size_t n_created;
	/* Restore on teardown if a test died half-way. */
	bool quota_changed;
	json_t *quota_saved;
	bool neutron_stopped, keystone_stopped;
} g;

static const char *env(const char *name)
{
	const char *v = getenv(name);

	return v && v[0] ? v : NULL;
}

static const char *testbed(void)
{
	return env("SF_TESTBED") ? env("SF_TESTBED") : "scripts/testbed";
}

static int testbed_cmd(const char *verb, const char *svc)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "%s %s %s >&2", testbed(), verb, svc);
	return system(cmd);
}

static void remember(const char *collection, const char *id, bool quota_client)
{
	struct created *c;

	assert_true(g.n_created < ARRAY_SIZE(g.created));
	c = &g.created[g.n_created++];
	snprintf(c->collection, sizeof(c->collection), "%s", collection);
	snprintf(c->id, sizeof(c->id), "%s", id);
	c->quota_client = quota_client;
}

static void forget(const char *id)
{
	for (size_t i = 0; i < g.n_created; i++)
		if (strcmp(g.created[i].id, id) == 0)
			g.created[i].deleted = true;
}

static const char *str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static struct neutron_stats stats(struct neutron_client *c)
{
	struct neutron_stats s;

	neutron_client_stats(c, &s);
	return s;
}

static void password_opts(struct neutron_opts *o)
{
	*o = (struct neutron_opts){
		.auth_type = NEUTRON_AUTH_PASSWORD,
		.auth_url = env("SF_TB_KEYSTONE_URL"),
		.username = env("SF_TB_USER"),
		.password = env("SF_TB_PASSWORD"),
		.user_domain_name = env("SF_TB_USER_DOMAIN"),
		.project_name = env("SF_TB_PROJECT"),
		.project_domain_name = env("SF_TB_PROJECT_DOMAIN"),
		.region_name = env("SF_TB_REGION"),
		.interface = "public",
	};
}

#define CHECK(call, errp) do { \
	int r_ = (call); \
	if (r_ < 0) \
		fail_msg("%s: %s (HTTP %d, %s: %s)", #call, strerror(-r_), (errp)->http_status, \
			 (errp)->type, (errp)->message); \
} while (0)

/* A port on this run's network, tagged, remembered for teardown. */
static json_t *make_port(const char *name)
{
	struct neutron_error err = { 0 };
	char full[96];
	json_t *attrs, *port = NULL;

	snprintf(full, sizeof(full), "sf-it-%s-%s", name, g.suffix);
	attrs = json_pack("{s:s, s:s, s:s, s:[s]}", "network_id", g.net_id, "name", full,
			  "device_owner", g.owner, "tags", g.tag);
	CHECK(neutron_port_create(g.user, attrs, &port, &err), &err);
	json_decref(attrs);
	remember("ports", str(port, "id"), false);
	return port;
}

static int group_setup(void **state)
{
	struct neutron_error err = { 0 };
	struct neutron_opts o;
	uint8_t rnd[4];
	json_t *attrs, *net = NULL, *subnet = NULL;
	char name[64], cidr[32];
	int r;

	if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd))
		return -1;
	snprintf(g.suffix, sizeof(g.suffix), "%02x%02x%02x%02x", rnd[0], rnd[1], rnd[2], rnd[3]);
	snprintf(g.tag, sizeof(g.tag), "sf-it-%s", g.suffix);
	snprintf(g.owner, sizeof(g.owner), "sf-it:%s", g.suffix);
	print_message("run suffix %s\n", g.suffix);

	password_opts(&o);
	if (neutron_client_new(&o, &g.user) < 0)
		return -1;
	o.project_name = env("SF_TB_QUOTA_PROJECT");
	if (neutron_client_new(&o, &g.quota) < 0)
		return -1;

	snprintf(name, sizeof(name), "sf-it-net-%s", g.suffix);
	attrs = json_pack("{s:s}", "name", name);
	r = neutron_network_create(g.user, attrs, &net, &err);
	json_decref(attrs);
	if (r < 0) {
		print_error("network create: %s\n", err.message);
		return -1;
	}
	g.net_id = xstrdup(str(net, "id"));
	remember("networks", g.net_id, false);
	json_decref(net);

	snprintf(cidr, sizeof(cidr), "10.%u.%u.0/24", 100 + rnd[0] % 100, rnd[1]);
	snprintf(name, sizeof(name), "sf-it-subnet-%s", g.suffix);
	attrs = json_pack("{s:s, s:s, s:i, s:s, s:b}", "network_id", g.net_id, "name", name,
			  "ip_version", 4, "cidr", cidr, "enable_dhcp", 0);
	r = neutron_subnet_create(g.user, attrs, &subnet, &err);
	json_decref(attrs);
	if (r < 0) {
		print_error("subnet create: %s\n", err.message);
		return -1;
	}
	g.subnet_id = xstrdup(str(subnet, "id"));
	remember("subnets", g.subnet_id, false);
	json_decref(subnet);
	return 0;
}

static void delete_created(void)
{
	/* Newest first: trunks before their ports, ports before subnets. */
	for (size_t i = g.n_created; i-- > 0;) {
		struct created *c = &g.created[i];
		struct neutron_client *cl = c->quota_client ? g.quota : g.user;
		struct neutron_error err = { 0 };
		int r;

		if (c->deleted || !cl)
			continue;
		r = neutron_resource_delete(cl, c->collection, c->id, &err);
		if (r < 0 && r != -ENOENT)
			print_error("teardown: deleting %s %s: %s\n", c->collection, c->id,
				    err.message);
		c->deleted = true;
	}
}

static void restore_quota(void)
{
	struct neutron_error err = { 0 };
	char path[128];
	json_t *body;

	if (!g.quota_changed)
		return;
	snprintf(path, sizeof(path), "/v2.0/quotas/%s", env("SF_TB_QUOTA_PROJECT_ID"));
	body = json_pack("{s:{s:O}}", "quota", "port", g.quota_saved);
	if (neutron_request(g.quota, "PUT", path, body, NULL, NULL, &err) < 0)
		print_error("restoring the port quota: %s\n", err.message);
	else
		g.quota_changed = false;
	json_decref(body);
}

static void restart_services(void)
{
	if (g.neutron_stopped && testbed_cmd("start", "neutron-server") == 0)
		g.neutron_stopped = false;
	if (g.keystone_stopped && testbed_cmd("start", "keystone") == 0)
		g.keystone_stopped = false;
}

static int group_teardown(void **state)
{
	restart_services();
	restore_quota();
	delete_created();
	json_decref(g.quota_saved);
	neutron_client_free(g.user);
	neutron_client_free(g.quota);
	free(g.net_id);
	free(g.subnet_id);
	return 0;
}

static void test_password_auth_catalog(void **state)
{
	struct neutron_error err = { 0 };
	char *want = NULL;

	CHECK(neutron_authenticate(g.user, &err), &err);
	assert_non_null(neutron_token(g.user));
	assert_string_equal(neutron_project_id(g.user), env("SF_TB_PROJECT_ID"));
	/* The endpoint came from the catalog (public interface, our region). */
	assert_int_equal(neutron_endpoint_normalize(env("SF_TB_NEUTRON_URL"), &want), 0);
	assert_string_equal(neutron_endpoint(g.user), want);
	free(want);

	/* The admin user, in its own project, authenticates too. */
	{
		struct neutron_client *c = NULL;
		struct neutron_opts o;
		json_t *list = NULL;

		password_opts(&o);
		o.username = env("SF_TB_ADMIN_USER");
		o.password = env("SF_TB_ADMIN_PASSWORD");
		o.project_name = env("SF_TB_ADMIN_PROJECT");
		assert_int_equal(neutron_client_new(&o, &c), 0);
		CHECK(neutron_list(c, "networks", NULL, 0, 0, &list, &err), &err);
		assert_true(json_is_array(list));
		assert_string_not_equal(neutron_project_id(c), env("SF_TB_PROJECT_ID"));
		json_decref(list);
		neutron_client_free(c);
	}
}

static void test_wrong_password(void **state)
{
	static const char bad[] = "not-the-password-Zq81";
	struct neutron_client *c = NULL;
	struct neutron_error err = { 0 };
	struct neutron_opts o;
	json_t *list = NULL;

	password_opts(&o);
	o.password = bad;
	assert_int_equal(neutron_client_new(&o, &c), 0);
	assert_int_equal(neutron_list(c, "networks", NULL, 0, 0, &list, &err), -EACCES);
	assert_null(list);
	assert_int_equal(err.http_status, 401);
	assert_non_null(strstr(err.message, "Keystone"));
	assert_null(strstr(err.message, bad));
	assert_null(strstr(err.message, env("SF_TB_PASSWORD")));
	print_message("wrong password: %s\n", err.message);
	neutron_client_free(c);
}

static void test_app_credential(void **state)
{
	struct neutron_client *c = NULL;
	struct neutron_error err = { 0 };
	json_t *net = NULL;

	assert_int_equal(neutron_client_new(&(struct neutron_opts){
			.auth_type = NEUTRON_AUTH_APP_CREDENTIAL,
			.auth_url = env("SF_TB_KEYSTONE_URL"),
			.app_cred_id = env("SF_TB_APPCRED_ID"),
			.app_cred_secret = env("SF_TB_APPCRED_SECRET"),
			.region_name = env("SF_TB_REGION"),
		}, &c), 0);
	CHECK(neutron_network_show(c, g.net_id, &net, &err), &err);
	assert_string_equal(str(net, "id"), g.net_id);
	assert_string_equal(neutron_project_id(c), env("SF_TB_PROJECT_ID"));
	assert_int_equal(stats(c).auths, 1);
	json_decref(net);
	neutron_client_free(c);
}

static void test_networks_and_subnets(void **state)
{
	struct neutron_error err = { 0 };
	json_t *net = NULL, *attrs, *dup = NULL, *net2 = NULL, *sub = NULL, *sub2 = NULL;
	char name[64];

	snprintf(name, sizeof(name), "sf-it-net-%s", g.suffix);
	CHECK(neutron_network_find(g.user, name, &net, &err), &err);
	assert_string_equal(str(net, "id"), g.net_id);
	json_decref(net);
	net = NULL;
	CHECK(neutron_network_find(g.user, g.net_id, &net, &err), &err);
	assert_string_equal(str(net, "name"), name);
	json_decref(net);
	net = NULL;
	CHECK(neutron_network_show(g.user, g.net_id, &net, &err), &err);
	assert_string_equal(str(net, "name"), name);
	assert_true(json_integer_value(json_object_get(net, "mtu")) > 0);
	json_decref(net);
	CHECK(neutron_subnet_show(g.user, g.subnet_id, &sub, &err), &err);
	assert_string_equal(str(sub, "network_id"), g.net_id);
	json_decref(sub);

	/* Tags on a network. */
	{
		const char *tags[] = { g.tag };
		json_t *list = NULL;

		CHECK(neutron_tags_set(g.user, "networks", g.net_id, tags, 1, &err), &err);
		CHECK(neutron_list(g.user, "networks", &(struct neutron_filter){ "tags", g.tag }, 1,
				   0, &list, &err), &err);
		assert_int_equal(json_array_size(list), 1);
		json_decref(list);
	}

	snprintf(name, sizeof(name), "sf-it-nothing-%s", g.suffix);
	assert_int_equal(neutron_network_find(g.user, name, &net, &err), -ENOENT);

	/* A second network of the same name: the name is ambiguous. */
	snprintf(name, sizeof(name), "sf-it-net-%s", g.suffix);
	attrs = json_pack("{s:s}", "name", name);
	CHECK(neutron_network_create(g.user, attrs, &net2, &err), &err);
	json_decref(attrs);
	remember("networks", str(net2, "id"), false);
	assert_int_equal(neutron_network_find(g.user, name, &dup, &err), -ENOTUNIQ);
	assert_null(dup);

	/* A subnet on it, then both deleted. */
	attrs = json_pack("{s:s, s:i, s:s, s:b}", "network_id", str(net2, "id"), "ip_version", 4,
			  "cidr", "192.168.77.0/24", "enable_dhcp", 0);
	CHECK(neutron_subnet_create(g.user, attrs, &sub2, &err), &err);
	json_decref(attrs);
	remember("subnets", str(sub2, "id"), false);
	assert_string_equal(str(sub2, "cidr"), "192.168.77.0/24");
	CHECK(neutron_subnet_delete(g.user, str(sub2, "id"), &err), &err);
	forget(str(sub2, "id"));
	assert_int_equal(neutron_subnet_show(g.user, str(sub2, "id"), &sub, &err), -ENOENT);
	CHECK(neutron_network_delete(g.user, str(net2, "id"), &err), &err);
	forget(str(net2, "id"));
	assert_int_equal(neutron_network_show(g.user, str(net2, "id"), &net, &err), -ENOENT);
	assert_string_equal(err.type, "NetworkNotFound");
	json_decref(sub2);
	json_decref(net2);
}

static void test_port_show_update_delete(void **state)
{
	struct neutron_error err = { 0 };
	json_t *port = make_port("single"), *shown = NULL, *upd = NULL, *attrs;
	const char *id = str(port, "id");
	int64_t rev;

	CHECK(neutron_port_show(g.user, id, &shown, &err), &err);
	assert_string_equal(str(shown, "network_id"), g.net_id);
	assert_string_equal(str(shown, "device_owner"), g.owner);
	rev = json_integer_value(json_object_get(shown, "revision_number"));
	assert_true(rev > 0);

	/* Update guarded by the current revision: accepted, bumps it. */
	attrs = json_pack("{s:s}", "device_id", "container-1");
	CHECK(neutron_port_update(g.user, id, attrs, rev, &upd, &err), &err);
	json_decref(attrs);
	assert_string_equal(str(upd, "device_id"), "container-1");
	assert_true(json_integer_value(json_object_get(upd, "revision_number")) > rev);
	json_decref(upd);
	upd = NULL;

	/* The same stale revision again: 412, nothing changed. */
	attrs = json_pack("{s:s}", "device_id", "container-2");
	assert_int_equal(neutron_port_update(g.user, id, attrs, rev, &upd, &err), -ESTALE);
	assert_null(upd);
	assert_int_equal(err.http_status, 412);
	print_message("stale revision: %s: %s\n", err.type, err.message);
	/* Unconditional. */
	CHECK(neutron_port_update(g.user, id, attrs, -1, &upd, &err), &err);
	assert_string_equal(str(upd, "device_id"), "container-2");
	json_decref(attrs);
	json_decref(upd);
	json_decref(shown);
	shown = NULL;

	CHECK(neutron_port_delete(g.user, id, &err), &err);
	forget(id);
	assert_int_equal(neutron_port_show(g.user, id, &shown, &err), -ENOENT);
	assert_null(shown);
	json_decref(port);
}

static void test_port_not_found(void **state)
{
	struct neutron_error err = { 0 };
	json_t *port = NULL;

	assert_int_equal(neutron_port_show(g.user, "00000000-0000-4000-8000-000000000000", &port,
					   &err), -ENOENT);
	assert_null(port);
	assert_int_equal(err.http_status, 404);
	assert_string_equal(err.type, "PortNotFound");
	assert_non_null(strstr(err.message, "00000000-0000-4000-8000-000000000000"));
	/* Deleting what is not there is -ENOENT too (no retry happened). */
	assert_int_equal(neutron_port_delete(g.user, "00000000-0000-4000-8000-000000000000", &err),
			 -ENOENT);
}

static void test_bulk_create_and_list(void **state)
{
	struct neutron_error err = { 0 };
	json_t *attrs = json_array(), *ports = NULL, *list = NULL, *p;
	struct neutron_stats before;
	size_t i;

	for (i = 0; i < 5; i++) {
		char name[64];

		snprintf(name, sizeof(name), "sf-it-bulk%zu-%s", i, g.suffix);
		json_array_append_new(attrs, json_pack("{s:s, s:s, s:s, s:[s,s]}", "network_id",
						       g.net_id, "name", name, "device_owner",
						       g.owner, "tags", g.tag, "sf-bulk"));
	}
	CHECK(neutron_port_create_bulk(g.user, attrs, &ports, &err), &err);
	json_decref(attrs);
	assert_int_equal(json_array_size(ports), 5);
	json_array_foreach(ports, i, p) {
		remember("ports", str(p, "id"), false);
		/* Tags given in the bulk body are on the ports. */
		assert_int_equal(json_array_size(json_object_get(p, "tags")), 2);
	}

	/* Pages of 2 over the 5 (filtered by tag and owner): 3 requests. */
	before = stats(g.user);
	{
		const struct neutron_filter f[] = {
			{ "tags", g.tag }, { "tags", "sf-bulk" }, { "device_owner", g.owner },
		};

		CHECK(neutron_list(g.user, "ports", f, ARRAY_SIZE(f), 2, &list, &err), &err);
	}
	assert_int_equal(json_array_size(list), 5);
	assert_true(stats(g.user).requests - before.requests >= 3);
	print_message("list of 5 with page_size 2: %llu requests\n",
		      (unsigned long long)(stats(g.user).requests - before.requests));
	json_array_foreach(list, i, p)
		assert_string_equal(str(p, "device_owner"), g.owner);
	json_decref(list);
	list = NULL;

	/* fields= narrows the answer; a filter matching nothing is empty. */
	{
		const struct neutron_filter f[] = {
			{ "tags", "sf-bulk" }, { "device_owner", g.owner }, { "fields", "id" },
		};

		CHECK(neutron_list(g.user, "ports", f, ARRAY_SIZE(f), 0, &list, &err), &err);
		assert_int_equal(json_array_size(list), 5);
		assert_int_equal(json_object_size(json_array_get(list, 0)), 1);
		json_decref(list);
		list = NULL;
	}
	CHECK(neutron_list(g.user, "ports", &(struct neutron_filter){ "device_owner",
			   "sf-it:no such owner & more" }, 1, 0, &list, &err), &err);
	assert_int_equal(json_array_size(list), 0);
	json_decref(list);
	json_decref(ports);
}

static bool has_tag(const json_t *obj, const char *tag)
{
	size_t i;
	json_t *t;

	json_array_foreach(json_object_get(obj, "tags"), i, t)
		if (streq(json_string_value(t), tag))
			return true;
	return false;
}

static void test_tags(void **state)
{
	struct neutron_error err = { 0 };
	json_t *port = make_port("tags"), *shown = NULL;
	const char *id = str(port, "id");
	const char *tags[] = { g.tag, "a", "b c" };

	CHECK(neutron_tags_set(g.user, "ports", id, tags, ARRAY_SIZE(tags), &err), &err);
	CHECK(neutron_tag_add(g.user, "ports", id, "d e%", &err), &err);
	CHECK(neutron_tag_remove(g.user, "ports", id, "a", &err), &err);
	CHECK(neutron_port_show(g.user, id, &shown, &err), &err);
	assert_int_equal(json_array_size(json_object_get(shown, "tags")), 3);
	assert_true(has_tag(shown, g.tag));
	assert_true(has_tag(shown, "b c"));
	assert_true(has_tag(shown, "d e%"));
	assert_false(has_tag(shown, "a"));
	assert_int_equal(neutron_tag_remove(g.user, "ports", id, "a", &err), -ENOENT);
	json_decref(shown);
	json_decref(port);
}

static void test_trunks(void **state)
{
	struct neutron_error err = { 0 };
	json_t *parent = make_port("parent"), *sp1 = make_port("sub1"), *sp2 = make_port("sub2");
	json_t *attrs, *trunk = NULL, *shown = NULL, *after = NULL, *subs;
	char name[64];

	snprintf(name, sizeof(name), "sf-it-trunk-%s", g.suffix);
	attrs = json_pack("{s:s, s:s}", "port_id", str(parent, "id"), "name", name);
	CHECK(neutron_trunk_create(g.user, attrs, &trunk, &err), &err);
	json_decref(attrs);
	remember("trunks", str(trunk, "id"), false);
	CHECK(neutron_trunk_show(g.user, str(trunk, "id"), &shown, &err), &err);
	assert_string_equal(str(shown, "port_id"), str(parent, "id"));
	assert_int_equal(json_array_size(json_object_get(shown, "sub_ports")), 0);

	subs = json_pack("[{s:s, s:s, s:i}]", "port_id", str(sp1, "id"), "segmentation_type",
			 "vlan", "segmentation_id", 101);
	CHECK(neutron_trunk_add_subports(g.user, str(trunk, "id"), subs, &after, &err), &err);
	json_decref(subs);
	assert_int_equal(json_array_size(json_object_get(after, "sub_ports")), 1);
	json_decref(after);
	after = NULL;

	/* VLAN 101 is taken on this trunk: 409, and nothing added. */
	subs = json_pack("[{s:s, s:s, s:i}]", "port_id", str(sp2, "id"), "segmentation_type",
			 "vlan", "segmentation_id", 101);
	assert_int_equal(neutron_trunk_add_subports(g.user, str(trunk, "id"), subs, &after, &err),
			 -EEXIST);
	json_decref(subs);
	assert_null(after);
	assert_int_equal(err.http_status, 409);
	assert_true(err.type[0] != '\0');
	print_message("duplicate VLAN: %s: %s\n", err.type, err.message);

	subs = json_pack("[{s:s}]", "port_id", str(sp1, "id"));
	CHECK(neutron_trunk_remove_subports(g.user, str(trunk, "id"), subs, &after, &err), &err);
	json_decref(subs);
	assert_int_equal(json_array_size(json_object_get(after, "sub_ports")), 0);
	json_decref(after);

	CHECK(neutron_trunk_delete(g.user, str(trunk, "id"), &err), &err);
	forget(str(trunk, "id"));
	json_decref(shown);
	shown = NULL;
	assert_int_equal(neutron_trunk_show(g.user, str(trunk, "id"), &shown, &err), -ENOENT);
	json_decref(trunk);
	json_decref(parent);
	json_decref(sp1);
	json_decref(sp2);
}

static void test_security_groups(void **state)
{
	struct neutron_error err = { 0 };
	json_t *attrs, *sg = NULL, *rule = NULL, *shown = NULL;
	char name[64];
	bool found = false;
	size_t i;
	json_t *r;

	snprintf(name, sizeof(name), "sf-it-sg-%s", g.suffix);
	attrs = json_pack("{s:s, s:s}", "name", name, "description", "superfluid test");
	CHECK(neutron_secgroup_create(g.user, attrs, &sg, &err), &err);
	json_decref(attrs);
	remember("security-groups", str(sg, "id"), false);

	attrs = json_pack("{s:s, s:s, s:s, s:s, s:i, s:i, s:s}", "security_group_id",
			  str(sg, "id"), "direction", "ingress", "ethertype", "IPv4", "protocol",
			  "tcp", "port_range_min", 22, "port_range_max", 22, "remote_ip_prefix",
			  "198.18.0.0/15");
	CHECK(neutron_secgroup_rule_create(g.user, attrs, &rule, &err), &err);
	json_decref(attrs);
	CHECK(neutron_secgroup_show(g.user, str(sg, "id"), &shown, &err), &err);
	json_array_foreach(json_object_get(shown, "security_group_rules"), i, r)
		if (streq(str(r, "id"), str(rule, "id")))
			found = true;
	assert_true(found);
	json_decref(shown);
	shown = NULL;

	CHECK(neutron_secgroup_rule_delete(g.user, str(rule, "id"), &err), &err);
	assert_int_equal(neutron_secgroup_rule_delete(g.user, str(rule, "id"), &err), -ENOENT);
	CHECK(neutron_secgroup_delete(g.user, str(sg, "id"), &err), &err);
	forget(str(sg, "id"));
	assert_int_equal(neutron_secgroup_show(g.user, str(sg, "id"), &shown, &err), -ENOENT);
	json_decref(rule);
	json_decref(sg);
}

static void test_extensions(void **state)
{
	static const char *const want[] = {
		"trunk", "standard-attr-tag", "allowed-address-pairs", "binding",
	};
	struct neutron_error err = { 0 };
	json_t *list = NULL;

	CHECK(neutron_extensions_list(g.user, &list, &err), &err);
	assert_true(json_array_size(list) > 10);
	print_message("%zu extensions\n", json_array_size(list));
	json_decref(list);
	for (size_t i = 0; i < ARRAY_SIZE(want); i++)
		assert_int_equal(neutron_extension_present(g.user, want[i], &err), 1);
	assert_int_equal(neutron_extension_present(g.user, "no-such-extension", &err), 0);
}

static void test_quota_details(void **state)
{
	struct neutron_error err = { 0 };
	json_t *q = NULL, *port;

	CHECK(neutron_quota_details(g.user, NULL, &q, &err), &err);
	port = json_object_get(q, "port");
	assert_true(json_is_object(port));
	assert_true(json_is_integer(json_object_get(port, "limit")));
	/* This run alone holds several ports in the project. */
	assert_true(json_integer_value(json_object_get(port, "used")) >= 1);
	json_decref(q);
	q = NULL;
	CHECK(neutron_quota_details(g.user, env("SF_TB_PROJECT_ID"), &q, &err), &err);
	assert_true(json_is_object(json_object_get(q, "network")));
	json_decref(q);
}

static void test_agents(void **state)
{
	struct neutron_error err = { 0 };
	char hosts[256], *save = NULL;
	json_t *all = NULL;

	CHECK(neutron_agents_list(g.user, NULL, &all, &err), &err);
	assert_true(json_array_size(all) >= 2);
	json_decref(all);

	snprintf(hosts, sizeof(hosts), "%s", env("SF_TB_HOSTS"));
	for (char *h = strtok_r(hosts, " ,", &save); h; h = strtok_r(NULL, " ,", &save)) {
		char ovs[256], word[64];
		json_t *list = NULL, *a;
		const char *want;
		bool alive = false;
		size_t i;

		/* The test bed's Open vSwitch hosts run that agent instead. */
		snprintf(ovs, sizeof(ovs), " %s ", getenv("SF_TB_OVS_HOSTS") ?: "");
		snprintf(word, sizeof(word), " %s ", h);
		want = strstr(ovs, word) ? "Open vSwitch agent" : "Linux bridge agent";
		CHECK(neutron_agents_list(g.user, h, &list, &err), &err);
		json_array_foreach(list, i, a) {
			assert_string_equal(str(a, "host"), h);
			if (json_is_true(json_object_get(a, "alive")) && streq(str(a, "agent_type"), want))
				alive = true;
		}
		if (!alive)
			fail_msg("no live %s on %s", want, h);
		json_decref(list);
	}
}

/* DELETE /v3/auth/tokens with curl: the token revokes itself. */
static long keystone_revoke(const char *token)
{
	char url[512], h1[1024], h2[1024];
	struct curl_slist *hdrs = NULL;
	long status = 0;
	CURL *h = curl_easy_init();

	assert_non_null(h);
	snprintf(url, sizeof(url), "%s/auth/tokens", env("SF_TB_KEYSTONE_URL"));
	snprintf(h1, sizeof(h1), "X-Auth-Token: %s", token);
	snprintf(h2, sizeof(h2), "X-Subject-Token: %s", token);
	hdrs = curl_slist_append(hdrs, h1);
	hdrs = curl_slist_append(hdrs, h2);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, "DELETE");
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 10000L);
	if (curl_easy_perform(h) == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(h);
	return status;
}

static void test_revoked_token_reauth(void **state)
{
	struct neutron_client *c = NULL;
	struct neutron_error err = { 0 };
	struct neutron_opts o;
	json_t *net = NULL;
	char *old;

	password_opts(&o);
	assert_int_equal(neutron_client_new(&o, &c), 0);
	CHECK(neutron_network_show(c, g.net_id, &net, &err), &err);
	json_decref(net);
	net = NULL;
	old = xstrdup(neutron_token(c));
	assert_int_equal(keystone_revoke(old), 204);

	CHECK(neutron_network_show(c, g.net_id, &net, &err), &err);
	assert_string_equal(str(net, "id"), g.net_id);
	assert_int_equal(stats(c).reauths_on_401, 1);
	assert_int_equal(stats(c).auths, 2);
	assert_string_not_equal(neutron_token(c), old);
	json_decref(net);
	free(old);
	neutron_client_free(c);
}

static void test_port_quota_exhausted(void **state)
{
	struct neutron_error err = { 0 };
	json_t *q = NULL, *attrs, *net = NULL, *port = NULL, *body;
	char path[128], name[64];
	json_int_t used;
	int r = 0;

	/* A network of the quota project, which no one else uses. */
	snprintf(name, sizeof(name), "sf-it-quota-%s", g.suffix);
	attrs = json_pack("{s:s}", "name", name);
	CHECK(neutron_network_create(g.quota, attrs, &net, &err), &err);
	json_decref(attrs);
	remember("networks", str(net, "id"), true);
	assert_string_equal(str(net, "project_id"), env("SF_TB_QUOTA_PROJECT_ID"));

	CHECK(neutron_quota_details(g.quota, NULL, &q, &err), &err);
	g.quota_saved = json_incref(json_object_get(json_object_get(q, "port"), "limit"));
	used = json_integer_value(json_object_get(json_object_get(q, "port"), "used"));
	json_decref(q);
	assert_non_null(g.quota_saved);

	snprintf(path, sizeof(path), "/v2.0/quotas/%s", env("SF_TB_QUOTA_PROJECT_ID"));
	body = json_pack("{s:{s:I}}", "quota", "port", used);
	g.quota_changed = true;
	CHECK(neutron_request(g.quota, "PUT", path, body, NULL, NULL, &err), &err);
	json_decref(body);

	attrs = json_pack("{s:s, s:s, s:[s]}", "network_id", str(net, "id"), "name", name,
			  "tags", g.tag);
	r = neutron_port_create(g.quota, attrs, &port, &err);
	json_decref(attrs);
	if (port) {
		remember("ports", str(port, "id"), true);
		json_decref(port);
	}
	restore_quota();
	assert_false(g.quota_changed);
	assert_int_equal(r, -EDQUOT);
	assert_int_equal(err.http_status, 409);
	assert_string_equal(err.type, "OverQuota");
	assert_non_null(strstr(err.message, "port"));
	print_message("over quota: %s\n", err.message);

	/* Restored: a port can be made again. */
	CHECK(neutron_quota_details(g.quota, NULL, &q, &err), &err);
	assert_true(json_equal(json_object_get(json_object_get(q, "port"), "limit"),
			       g.quota_saved));
	json_decref(q);
	json_decref(net);
}

static void test_neutron_server_down(void **state)
{
	struct neutron_client *c = NULL;
	struct neutron_error err = { 0 };
	struct neutron_opts o;
	json_t *net = NULL;
	uint64_t start, took_ms, bound_ms;
	int r;

	password_opts(&o);
	o.max_retries = 2;
	o.retry_base_ms = 200;
	o.connect_timeout_ms = 2000;
	o.timeout_ms = 5000;
	assert_int_equal(neutron_client_new(&o, &c), 0);
	CHECK(neutron_network_show(c, g.net_id, &net, &err), &err);
	json_decref(net);
	net = NULL;

	g.neutron_stopped = true;
	assert_int_equal(testbed_cmd("stop", "neutron-server"), 0);
	start = util_now_us();
	r = neutron_network_show(c, g.net_id, &net, &err);
	took_ms = (util_now_us() - start) / 1000;
	/* Restart before asserting anything: others share the test bed. */
	restart_services();
	assert_false(g.neutron_stopped);

	print_message("neutron-server down: %s after %llu ms\n", err.message,
		      (unsigned long long)took_ms);
	assert_true(r == -ECONNREFUSED || r == -ETIMEDOUT || r == -ECONNRESET);
	assert_null(net);
	assert_int_equal(err.http_status, 0);
	assert_non_null(strstr(err.message, "after 3 attempts"));
	assert_int_equal(stats(c).retries, 2);
	/* 3 attempts bounded by their timeouts, plus at most 200 + 400 ms of
	 * backoff, plus slack. */
	bound_ms = 3 * (uint64_t)o.timeout_ms + 600 + 2000;
	assert_true(took_ms < bound_ms);
	assert_true(took_ms >= 300);        /* it did back off: >= 100 + 200 ms */

	/* Back: the same client works again. */
	CHECK(neutron_network_show(c, g.net_id, &net, &err), &err);
	assert_string_equal(str(net, "id"), g.net_id);
	json_decref(net);
	neutron_client_free(c);
}

static void test_keystone_down(void **state)
{
	struct neutron_client *c = NULL;
	struct neutron_error err = { 0 };
	struct neutron_opts o;
	uint64_t start, took_ms;
	int r;

	password_opts(&o);
	o.max_retries = 1;
	o.retry_base_ms = 100;
	assert_int_equal(neutron_client_new(&o, &c), 0);
	g.keystone_stopped = true;
	assert_int_equal(testbed_cmd("stop", "keystone"), 0);
	start = util_now_us();
	r = neutron_authenticate(c, &err);
	took_ms = (util_now_us() - start) / 1000;
	restart_services();
	assert_false(g.keystone_stopped);

	print_message("keystone down: %s after %llu ms\n", err.message,
		      (unsigned long long)took_ms);
	assert_true(r == -ECONNREFUSED || r == -ETIMEDOUT);
	assert_non_null(strstr(err.message, "Keystone"));
	assert_true(took_ms < 2 * 5000 + 2000);
	/* Keystone back: authentication works. */
	CHECK(neutron_authenticate(c, &err), &err);
	neutron_client_free(c);
}

static void test_latency_and_reuse(void **state)
{
	struct neutron_error err = { 0 };
	struct neutron_stats before = stats(g.user), after;
	uint64_t start = util_now_us(), took;

	for (int i = 0; i < 20; i++) {
		json_t *net = NULL;

		CHECK(neutron_network_show(g.user, g.net_id, &net, &err), &err);
		json_decref(net);
	}
	took = util_now_us() - start;
	after = stats(g.user);
	print_message("20 network shows: %llu us each on average, %llu new connections\n",
		      (unsigned long long)(took / 20),
		      (unsigned long long)(after.connections - before.connections));
	/* Keep-alive: 20 sequential calls do not open 20 connections. */
	assert_true(after.connections - before.connections <= 1);
	print_message("client totals: %llu requests, %llu connections, %llu auths, "
		      "%llu retries\n", (unsigned long long)after.requests,
		      (unsigned long long)after.connections, (unsigned long long)after.auths,
		      (unsigned long long)after.retries);
}

/* Runs last: the teardown's deletions, checked by listing this run's tag. */
static void test_nothing_left_behind(void **state)
{
	struct neutron_error err = { 0 };
	json_t *list = NULL;

	delete_created();
	CHECK(neutron_list(g.user, "ports", &(struct neutron_filter){ "tags", g.tag }, 1, 0,
			   &list, &err), &err);
	assert_int_equal(json_array_size(list), 0);
	json_decref(list);
	list = NULL;
	CHECK(neutron_list(g.quota, "ports", &(struct neutron_filter){ "tags", g.tag }, 1, 0,
			   &list, &err), &err);
	assert_int_equal(json_array_size(list), 0);
	json_decref(list);
	list = NULL;
	CHECK(neutron_list(g.user, "ports", &(struct neutron_filter){ "device_owner", g.owner },
			   1, 0, &list, &err), &err);
	assert_int_equal(json_array_size(list), 0);
	json_decref(list);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_password_auth_catalog),
		cmocka_unit_test(test_wrong_password),
		cmocka_unit_test(test_app_credential),
		cmocka_unit_test(test_networks_and_subnets),
		cmocka_unit_test(test_port_show_update_delete),
		cmocka_unit_test(test_port_not_found),
		cmocka_unit_test(test_bulk_create_and_list),
		cmocka_unit_test(test_tags),
		cmocka_unit_test(test_trunks),
		cmocka_unit_test(test_security_groups),
		cmocka_unit_test(test_extensions),
		cmocka_unit_test(test_quota_details),
		cmocka_unit_test(test_agents),
		cmocka_unit_test(test_revoked_token_reauth),
		cmocka_unit_test(test_port_quota_exhausted),
		cmocka_unit_test(test_latency_and_reuse),
		cmocka_unit_test(test_neutron_server_down),
		cmocka_unit_test(test_keystone_down),
		cmocka_unit_test(test_nothing_left_behind),
	};

	for (size_t i = 0; i < ARRAY_SIZE(required_env); i++) {
		if (!env(required_env[i])) {
			printf("SKIP: %s is not set (run through tests/run integration, "
			       "which sources the test bed's env file)\n", required_env[i]);
			return 77;
		}
	}
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

/* Network config parsing (cni/conf.h): a full config, every error with its
 * code and message, prevResult per verb, and GC's attachment list. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cni/conf.h"

/* Wraps extra members into a minimal valid 1.1.0 config. */
#define CONF(extra) \
	"{\"cniVersion\":\"1.1.0\",\"name\":\"dbnet\",\"type\":\"superfluid\"," \
	"\"network\":\"private\"" extra "}"

static struct cni_conf *parse_ok(const char *s, enum cni_command cmd)
{
	struct cni_conf *conf = NULL;
	struct cni_error err;

	cni_error_init(&err);
	if (cni_conf_parse(s, strlen(s), cmd, &conf, &err) < 0)
		fail_msg("unexpected error %d: %s (%s)\nconfig: %s", err.code, err.msg, err.details,
			 s);
	return conf;
}

static void parse_fails_cmd(const char *s, enum cni_command cmd, int code, const char *needle)
{
	struct cni_conf *conf = NULL;
	struct cni_error err;

	cni_error_init(&err);
	assert_int_equal(cni_conf_parse(s, strlen(s), cmd, &conf, &err), -EINVAL);
	assert_null(conf);
	if (err.code != code || !strstr(err.msg, needle))
		fail_msg("expected code %d with '%s', got %d: %s\nconfig: %s", code, needle,
			 err.code, err.msg, s);
}

static void parse_fails(const char *s, int code, const char *needle)
{
	parse_fails_cmd(s, CNI_CMD_ADD, code, needle);
}

static void test_full_config(void **state)
{
	const char *s =
		"{\"cniVersion\":\"1.0.0\",\"name\":\"db-net.1\",\"type\":\"superfluid\","
		"\"network\":\"8c1a0d4e-9b0f-4b4e-9d5e-0a7f5c1e2b3a\",\"subnet\":\"private-v4\","
		"\"securityGroups\":[\"default\",\"web\"],\"mtu\":1450,"
		"\"socket\":\"/run/sf/sf.sock\",\"service\":\"video-1\",\"disableCheck\":true,"
		"\"disableGC\":false,"
		"\"cniVersions\":[\"0.4.0\",\"1.0.0\"],"
		"\"dns\":{\"nameservers\":[\"198.18.0.2\",\"2001:db8::2\"],\"domain\":\"example\","
		"\"search\":[\"a.example\"],\"options\":[\"ndots:2\"]},"
		"\"runtimeConfig\":{\"portMappings\":[]},\"args\":{\"cni\":{}},"
		"\"somethingElse\":{\"unknown\":[1,2,3]}}";
	struct cni_conf *conf = parse_ok(s, CNI_CMD_ADD);

	assert_int_equal(conf->version, CNI_VERSION_1_0_0);
	assert_string_equal(conf->name, "db-net.1");
	assert_string_equal(conf->type, "superfluid");
	assert_string_equal(conf->network, "8c1a0d4e-9b0f-4b4e-9d5e-0a7f5c1e2b3a");
	assert_string_equal(conf->subnet, "private-v4");
	assert_int_equal(conf->n_security_groups, 2);
	assert_string_equal(conf->security_groups[0], "default");
	assert_string_equal(conf->security_groups[1], "web");
	assert_null(conf->security_groups[2]);
	assert_int_equal(conf->mtu, 1450);
	assert_string_equal(conf->socket, "/run/sf/sf.sock");
	assert_string_equal(conf->service, "video-1");
	assert_true(conf->disable_check);
	assert_false(conf->disable_gc);
	assert_int_equal(conf->dns.n_nameservers, 2);
	assert_string_equal(conf->dns.nameservers[1], "2001:db8::2");
	assert_string_equal(conf->dns.domain, "example");
	assert_string_equal(conf->dns.search[0], "a.example");
	assert_string_equal(conf->dns.options[0], "ndots:2");
	assert_non_null(json_object_get(conf->runtime_config, "portMappings"));
	assert_non_null(json_object_get(conf->args, "cni"));
	assert_null(conf->prev_result);
	cni_conf_free(conf);
}

static void test_minimal_and_nulls(void **state)
{
	struct cni_conf *conf = parse_ok(CONF(",\"subnet\":null,\"mtu\":null,"
					      "\"securityGroups\":null"), CNI_CMD_ADD);

	assert_string_equal(conf->network, "private");
	assert_null(conf->subnet);
	assert_null(conf->security_groups);  /* absent: Neutron's default group */
	assert_int_equal(conf->mtu, 0);
	assert_null(conf->socket);
	assert_null(conf->service);
	assert_false(conf->disable_check);
	cni_conf_free(conf);

	conf = parse_ok(CONF(",\"securityGroups\":[]"), CNI_CMD_ADD);
	assert_non_null(conf->security_groups);  /* [] means no groups at all */
	assert_int_equal(conf->n_security_groups, 0);
	cni_conf_free(conf);
}

static void test_decode_errors(void **state)
{
	char *big = malloc(CNI_CONF_MAX + 2);

	parse_fails("", CNI_ERR_DECODE, "no network config");
	parse_fails(" \n\t", CNI_ERR_DECODE, "no network config");
	parse_fails("{\"cniVersion\":\"1.1.0\"", CNI_ERR_DECODE, "failed to decode");
	parse_fails("{\"cniVersion\":\"1.1.0\"}garbage", CNI_ERR_DECODE, "failed to decode");
	parse_fails("[1,2]", CNI_ERR_DECODE, "must be a JSON object");
	parse_fails(CONF(",\"name\":\"twice\""), CNI_ERR_DECODE, "failed to decode");
	memset(big, ' ', CNI_CONF_MAX + 1);
	big[CNI_CONF_MAX + 1] = '\0';
	parse_fails(big, CNI_ERR_DECODE, "larger than");
	free(big);
}

static void test_version_errors(void **state)
{
	parse_fails("{\"name\":\"n\",\"type\":\"t\",\"network\":\"x\"}",
		    CNI_ERR_INCOMPATIBLE_VERSION, "no 'cniVersion'");
	parse_fails("{\"cniVersion\":1.1,\"name\":\"n\"}", CNI_ERR_INVALID_CONFIG,
		    "'cniVersion' must be a string");
	parse_fails("{\"cniVersion\":\"latest\",\"name\":\"n\"}", CNI_ERR_DECODE,
		    "failed to decode 'cniVersion' 'latest'");
	parse_fails("{\"cniVersion\":\"0.2.0\",\"name\":\"n\"}", CNI_ERR_INCOMPATIBLE_VERSION,
		    "incompatible CNI version 0.2.0");
}

static void test_name_and_type_errors(void **state)
{
	parse_fails("{\"cniVersion\":\"1.1.0\",\"type\":\"superfluid\",\"network\":\"x\"}",
		    CNI_ERR_INVALID_CONFIG, "'name' (the network name) is missing");
	parse_fails("{\"cniVersion\":\"1.1.0\",\"name\":\"\",\"type\":\"superfluid\"}",
		    CNI_ERR_INVALID_CONFIG, "'name' (the network name) is missing");
	parse_fails("{\"cniVersion\":\"1.1.0\",\"name\":7}", CNI_ERR_INVALID_CONFIG,
		    "'name' must be a string");
	parse_fails("{\"cniVersion\":\"1.1.0\",\"name\":\"../etc\",\"type\":\"superfluid\"}",
		    CNI_ERR_INVALID_CONFIG, "invalid characters in network name '../etc'");
	parse_fails("{\"cniVersion\":\"1.1.0\",\"name\":\"n\",\"network\":\"x\"}",
		    CNI_ERR_INVALID_CONFIG, "'type' must name the plugin binary");
	parse_fails("{\"cniVersion\":\"1.1.0\",\"name\":\"n\",\"type\":\"../sf\"}",
		    CNI_ERR_INVALID_CONFIG, "'type' must name the plugin binary");
}

static void test_superfluid_key_errors(void **state)
{
	char many[4096], *p = many;

	parse_fails("{\"cniVersion\":\"1.1.0\",\"name\":\"n\",\"type\":\"superfluid\"}",
		    CNI_ERR_INVALID_CONFIG, "'network' (the Neutron network, name or id) is missing");
	parse_fails("{\"cniVersion\":\"1.1.0\",\"name\":\"n\",\"type\":\"superfluid\","
		    "\"network\":\"\"}", CNI_ERR_INVALID_CONFIG, "'network' must be a Neutron name");
	parse_fails("{\"cniVersion\":\"1.1.0\",\"name\":\"n\",\"type\":\"superfluid\","
		    "\"network\":[\"a\"]}", CNI_ERR_INVALID_CONFIG, "'network' must be a string");
	parse_fails(CONF(",\"subnet\":5"), CNI_ERR_INVALID_CONFIG, "'subnet' must be a string");
	parse_fails(CONF(",\"subnet\":\"\""), CNI_ERR_INVALID_CONFIG,
		    "'subnet' must be a Neutron name");
	parse_fails(CONF(",\"securityGroups\":\"default\""), CNI_ERR_INVALID_CONFIG,
		    "'securityGroups' must be an array of strings");
	parse_fails(CONF(",\"securityGroups\":[\"a\",1]"), CNI_ERR_INVALID_CONFIG,
		    "'securityGroups' must be an array of strings");
	parse_fails(CONF(",\"securityGroups\":[\"\"]"), CNI_ERR_INVALID_CONFIG,
		    "'securityGroups' entries must be names or ids");
	p += sprintf(p, CONF(",\"securityGroups\":["));
	p--; /* drop the closing brace; reopen the array */
	for (int i = 0; i <= CNI_MAX_SECURITY_GROUPS; i++)
		p += sprintf(p, "%s\"sg%d\"", i ? "," : "", i);
	sprintf(p, "]}");
	parse_fails(many, CNI_ERR_INVALID_CONFIG, "'securityGroups' has more than 64 entries");
	parse_fails(CONF(",\"mtu\":575"), CNI_ERR_INVALID_CONFIG,
		    "'mtu' must be an integer in 576..65535");
	parse_fails(CONF(",\"mtu\":65536"), CNI_ERR_INVALID_CONFIG, "'mtu' must be an integer");
	parse_fails(CONF(",\"mtu\":1500.0"), CNI_ERR_INVALID_CONFIG, "'mtu' must be an integer");
	parse_fails(CONF(",\"mtu\":\"1500\""), CNI_ERR_INVALID_CONFIG, "'mtu' must be an integer");
	parse_fails(CONF(",\"socket\":true"), CNI_ERR_INVALID_CONFIG, "'socket' must be a string");
	parse_fails(CONF(",\"service\":7"), CNI_ERR_INVALID_CONFIG, "'service' must be a string");
	parse_fails(CONF(",\"service\":\"Video_1\""), CNI_ERR_INVALID_CONFIG,
		    "'service' must be a service name");
	parse_fails(CONF(",\"service\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\""),
		    CNI_ERR_INVALID_CONFIG, "'service' must be a service name");
	parse_fails(CONF(",\"socket\":\"run/sf.sock\""), CNI_ERR_INVALID_CONFIG,
		    "'socket' must be an absolute path");
	parse_fails(CONF(",\"socket\":\"/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
			 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\""),
		    CNI_ERR_INVALID_CONFIG, "'socket' must be an absolute path shorter than 108");
}

static void test_protocol_key_errors(void **state)
{
	parse_fails(CONF(",\"disableCheck\":\"true\""), CNI_ERR_INVALID_CONFIG,
		    "'disableCheck' must be true or false");
	parse_fails(CONF(",\"disableGC\":1"), CNI_ERR_INVALID_CONFIG,
		    "'disableGC' must be true or false");
	parse_fails(CONF(",\"cniVersions\":\"1.0.0\""), CNI_ERR_INVALID_CONFIG,
		    "'cniVersions' must be an array of strings");
	parse_fails(CONF(",\"capabilities\":[]"), CNI_ERR_INVALID_CONFIG,
		    "'capabilities' must be an object");
	parse_fails(CONF(",\"runtimeConfig\":\"x\""), CNI_ERR_INVALID_CONFIG,
		    "'runtimeConfig' must be an object");
	parse_fails(CONF(",\"args\":[]"), CNI_ERR_INVALID_CONFIG, "'args' must be an object");
	parse_fails(CONF(",\"dns\":[]"), CNI_ERR_INVALID_CONFIG, "'dns' must be an object");
	parse_fails(CONF(",\"dns\":{\"nameservers\":\"198.18.0.2\"}"), CNI_ERR_INVALID_CONFIG,
		    "'dns.nameservers' must be an array of strings");
	parse_fails(CONF(",\"dns\":{\"nameservers\":[\"ns1.example\"]}"), CNI_ERR_INVALID_CONFIG,
		    "'dns.nameservers' has 'ns1.example', which is not an IP address");
	parse_fails(CONF(",\"dns\":{\"domain\":[]}"), CNI_ERR_INVALID_CONFIG,
		    "'dns.domain' must be a string");
	parse_fails(CONF(",\"dns\":{\"search\":[1]}"), CNI_ERR_INVALID_CONFIG,
		    "'dns.search' must be an array of strings");
	parse_fails(CONF(",\"dns\":{\"options\":{}}"), CNI_ERR_INVALID_CONFIG,
		    "'dns.options' must be an array of strings");
}

static void test_unsupported_fields(void **state)
{
	struct cni_conf *conf;

	parse_fails(CONF(",\"ipam\":{\"type\":\"host-local\"}"), CNI_ERR_UNSUPPORTED_FIELD,
		    "unsupported field 'ipam': {\"type\":\"host-local\"}");
	parse_fails(CONF(",\"ipam\":\"host-local\""), CNI_ERR_INVALID_CONFIG,
		    "'ipam' must be an object");
	parse_fails(CONF(",\"ipMasq\":true"), CNI_ERR_UNSUPPORTED_FIELD,
		    "unsupported field 'ipMasq': true");
	parse_fails(CONF(",\"ipMasq\":\"yes\""), CNI_ERR_INVALID_CONFIG,
		    "'ipMasq' must be true or false");
	/* What superfluid does anyway is fine. */
	conf = parse_ok(CONF(",\"ipam\":{},\"ipMasq\":false"), CNI_CMD_ADD);
	cni_conf_free(conf);
	/* DEL undoes the ADD these keys failed, so they do not fail it. */
	conf = parse_ok(CONF(",\"ipam\":{\"type\":\"host-local\"},\"ipMasq\":true"),
			CNI_CMD_DEL);
	assert_string_equal(conf->network, "private");
	cni_conf_free(conf);
	parse_fails_cmd(CONF(",\"ipMasq\":true"), CNI_CMD_CHECK, CNI_ERR_UNSUPPORTED_FIELD,
			"ipMasq");
}

#define PREV \
	",\"prevResult\":{\"cniVersion\":\"1.1.0\"," \
	"\"interfaces\":[{\"name\":\"br0\",\"mac\":\"00:11:22:33:44:55\"}," \
	"{\"name\":\"eth0\",\"mac\":\"fa:16:3e:00:00:01\",\"sandbox\":\"/run/netns/c1\"," \
	"\"mtu\":1450}]," \
	"\"ips\":[{\"address\":\"198.18.0.5/24\",\"gateway\":\"198.18.0.1\",\"interface\":1}]," \
	"\"routes\":[{\"dst\":\"0.0.0.0/0\",\"gw\":\"198.18.0.1\",\"table\":0,\"scope\":0}]," \
	"\"dns\":{\"nameservers\":[\"198.18.0.2\"]}}"

static void test_prev_result(void **state)
{
	struct cni_conf *conf;
	struct cni_result *p;

	conf = parse_ok(CONF(PREV), CNI_CMD_CHECK);
	p = conf->prev_result;
	assert_non_null(p);
	assert_int_equal(p->n_interfaces, 2);
	assert_string_equal(p->interfaces[1].name, "eth0");
	assert_string_equal(p->interfaces[1].sandbox, "/run/netns/c1");
	assert_int_equal(p->interfaces[1].mtu, 1450);
	assert_null(p->interfaces[0].sandbox);
	assert_int_equal(p->n_ips, 1);
	assert_string_equal(p->ips[0].address, "198.18.0.5/24");
	assert_string_equal(p->ips[0].gateway, "198.18.0.1");
	assert_true(p->ips[0].has_interface);
	assert_int_equal(p->ips[0].interface, 1);
	assert_int_equal(p->n_routes, 1);
	assert_true(p->routes[0].has_table);
	assert_int_equal(p->routes[0].table, 0);
	assert_true(p->routes[0].has_scope);
	assert_string_equal(p->dns.nameservers[0], "198.18.0.2");
	cni_conf_free(conf);

	/* ADD keeps it, for merging; STATUS and GC ignore it. */
	conf = parse_ok(CONF(PREV), CNI_CMD_ADD);
	assert_non_null(conf->prev_result);
	cni_conf_free(conf);
	conf = parse_ok(CONF(PREV ",\"cni.dev/valid-attachments\":[]"), CNI_CMD_GC);
	assert_null(conf->prev_result);
	cni_conf_free(conf);

	/* CHECK needs it. */
	parse_fails_cmd(CONF(""), CNI_CMD_CHECK, CNI_ERR_INVALID_CONFIG,
			"CHECK needs 'prevResult'");
}

/* An older version's result: ips carry "version", and it must agree. */
static void test_prev_result_040(void **state)
{
	const char *ok = "{\"cniVersion\":\"0.4.0\",\"name\":\"n\",\"type\":\"superfluid\","
			 "\"network\":\"x\",\"prevResult\":{\"interfaces\":[{\"name\":\"eth0\"}],"
			 "\"ips\":[{\"version\":\"6\",\"address\":\"2001:db8::5/64\","
			 "\"interface\":0}]}}";
	const char *bad = "{\"cniVersion\":\"0.4.0\",\"name\":\"n\",\"type\":\"superfluid\","
			  "\"network\":\"x\",\"prevResult\":{\"ips\":[{\"version\":\"4\","
			  "\"address\":\"2001:db8::5/64\"}]}}";
	struct cni_conf *conf = parse_ok(ok, CNI_CMD_CHECK);

	assert_string_equal(conf->prev_result->ips[0].address, "2001:db8::5/64");
	cni_conf_free(conf);
	parse_fails_cmd(bad, CNI_CMD_CHECK, CNI_ERR_INVALID_CONFIG,
			"'prevResult.ips[0].version' must be");
}

static void test_prev_result_errors(void **state)
{
	static const struct {
		const char *prev;
		const char *needle;
	} cases[] = {
		{ "[]", "'prevResult' must be an object" },
		{ "{\"interfaces\":{}}", "'prevResult.interfaces' must be an array" },
		{ "{\"interfaces\":[1]}", "'prevResult.interfaces[0]' must be an object" },
		{ "{\"interfaces\":[{}]}", "'prevResult.interfaces[0].name' must be a non-empty" },
		{ "{\"interfaces\":[{\"name\":\"e\",\"mtu\":-1}]}",
		  "'prevResult.interfaces[0].mtu' must be an integer" },
		{ "{\"ips\":[{\"address\":\"198.18.0.5\"}]}",
		  "'prevResult.ips[0].address' must be an address in CIDR" },
		{ "{\"ips\":[{\"address\":\"198.18.0.5/33\"}]}",
		  "'prevResult.ips[0].address' must be an address in CIDR" },
		{ "{\"ips\":[{\"address\":\"198.18.0.5/24\",\"gateway\":\"2001:db8::1\"}]}",
		  "'prevResult.ips[0].gateway' must be an IP address of the address's family" },
		{ "{\"ips\":[{\"address\":\"198.18.0.5/24\",\"interface\":0}]}",
		  "'prevResult.ips[0].interface' must be an index" },
		{ "{\"routes\":[{\"gw\":\"198.18.0.1\"}]}",
		  "'prevResult.routes[0].dst' must be a destination in CIDR" },
		{ "{\"routes\":[{\"dst\":\"0.0.0.0/0\",\"gw\":\"x\"}]}",
		  "'prevResult.routes[0].gw' must be an IP address" },
		{ "{\"routes\":[{\"dst\":\"0.0.0.0/0\",\"scope\":256}]}",
		  "'prevResult.routes[0].scope' must be an integer in 0..255" },
		{ "{\"dns\":{\"nameservers\":[1]}}",
		  "'prevResult.dns.nameservers' must be an array of strings" },
	};
	char buf[1024];

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		snprintf(buf, sizeof(buf), CONF(",\"prevResult\":%s"), cases[i].prev);
		parse_fails_cmd(buf, CNI_CMD_CHECK, CNI_ERR_INVALID_CONFIG, cases[i].needle);
		parse_fails_cmd(buf, CNI_CMD_ADD, CNI_ERR_INVALID_CONFIG, cases[i].needle);
		/* DEL is best effort: a broken prevResult is dropped. */
		{
			struct cni_conf *conf = parse_ok(buf, CNI_CMD_DEL);

			assert_null(conf->prev_result);
			cni_conf_free(conf);
		}
	}
}

static void test_gc_attachments(void **state)
{
	struct cni_conf *conf;

	conf = parse_ok(CONF(",\"cni.dev/valid-attachments\":[{\"containerID\":\"c1\","
			     "\"ifname\":\"eth0\"},{\"containerID\":\"c2\",\"ifname\":\"net1\"}]"),
			CNI_CMD_GC);
	assert_int_equal(conf->n_valid_attachments, 2);
	assert_string_equal(conf->valid_attachments[0].container_id, "c1");
	assert_string_equal(conf->valid_attachments[0].ifname, "eth0");
	assert_string_equal(conf->valid_attachments[1].container_id, "c2");
	assert_string_equal(conf->valid_attachments[1].ifname, "net1");
	cni_conf_free(conf);

	/* libcni's older key is understood too; an empty list is a real list. */
	conf = parse_ok(CONF(",\"cni.dev/attachments\":[{\"containerID\":\"c3\","
			     "\"ifname\":\"eth0\"}]"), CNI_CMD_GC);
	assert_int_equal(conf->n_valid_attachments, 1);
	assert_string_equal(conf->valid_attachments[0].container_id, "c3");
	cni_conf_free(conf);
	conf = parse_ok(CONF(",\"cni.dev/valid-attachments\":[]"), CNI_CMD_GC);
	assert_int_equal(conf->n_valid_attachments, 0);
	cni_conf_free(conf);

	/* Without a list, GC would collect everything: refused. */
	parse_fails_cmd(CONF(""), CNI_CMD_GC, CNI_ERR_INVALID_CONFIG,
			"GC needs 'cni.dev/valid-attachments'");
	parse_fails_cmd(CONF(",\"cni.dev/valid-attachments\":{}"), CNI_CMD_GC,
			CNI_ERR_INVALID_CONFIG, "'cni.dev/valid-attachments' must be an array");
	parse_fails_cmd(CONF(",\"cni.dev/valid-attachments\":[{\"containerID\":\"c1\"}]"),
			CNI_CMD_GC, CNI_ERR_INVALID_CONFIG,
			"'cni.dev/valid-attachments[0]' must have non-empty");
	parse_fails_cmd(CONF(",\"cni.dev/valid-attachments\":[\"c1\"]"), CNI_CMD_GC,
			CNI_ERR_INVALID_CONFIG, "'cni.dev/valid-attachments[0]' must have");
	/* Other verbs do not care. */
	conf = parse_ok(CONF(",\"cni.dev/valid-attachments\":7"), CNI_CMD_DEL);
	assert_int_equal(conf->n_valid_attachments, 0);
	cni_conf_free(conf);
}

/* Once the version is known, errors are answered in it. */
static void test_error_keeps_version(void **state)
{
	const char *s = "{\"cniVersion\":\"0.4.0\",\"name\":\"n\",\"type\":\"superfluid\"}";
	struct cni_conf *conf = NULL;
	struct cni_error err;

	cni_error_init(&err);
	assert_int_equal(cni_conf_parse(s, strlen(s), CNI_CMD_DEL, &conf, &err), -EINVAL);
	assert_int_equal(err.code, CNI_ERR_INVALID_CONFIG);
	assert_string_equal(err.version, "0.4.0");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_config),
		cmocka_unit_test(test_minimal_and_nulls),
		cmocka_unit_test(test_decode_errors),
		cmocka_unit_test(test_version_errors),
		cmocka_unit_test(test_name_and_type_errors),
		cmocka_unit_test(test_superfluid_key_errors),
		cmocka_unit_test(test_protocol_key_errors),
		cmocka_unit_test(test_unsupported_fields),
		cmocka_unit_test(test_prev_result),
		cmocka_unit_test(test_prev_result_040),
		cmocka_unit_test(test_prev_result_errors),
		cmocka_unit_test(test_gc_attachments),
		cmocka_unit_test(test_error_keeps_version),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

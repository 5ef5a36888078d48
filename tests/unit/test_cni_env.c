/* CNI environment validation (cni/env.h): what each verb requires, the name
 * rules, and CNI_ARGS. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cni/env.h"

#define ID64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static struct cni_env *parse_ok(const struct cni_env_raw *raw)
{
	struct cni_env *env = NULL;
	struct cni_error err;

	cni_error_init(&err);
	if (cni_env_parse(raw, &env, &err) < 0)
		fail_msg("unexpected error %d: %s", err.code, err.msg);
	assert_int_equal(err.code, 0);
	return env;
}

/* Parses and expects failure with `code` and a msg containing `needle`. */
static void parse_fails(const struct cni_env_raw *raw, int code, const char *needle)
{
	struct cni_env *env = (struct cni_env *)0x1;
	struct cni_error err;

	cni_error_init(&err);
	assert_int_equal(cni_env_parse(raw, &env, &err), -EINVAL);
	assert_ptr_equal(env, (struct cni_env *)0x1); /* untouched on failure */
	if (err.code != code || !strstr(err.msg, needle))
		fail_msg("expected code %d with '%s', got %d: %s", code, needle, err.code,
			 err.msg);
}

static void test_add_full(void **state)
{
	struct cni_env_raw raw = {
		.command = "ADD", .container_id = ID64, .netns = "/run/netns/c1",
		.ifname = "eth0", .args = "IgnoreUnknown=1;K8S_POD_NAME=web-0;FOO=a=b",
		.path = "/opt/cni/bin",
	};
	struct cni_env *env = parse_ok(&raw);

	assert_int_equal(env->command, CNI_CMD_ADD);
	assert_string_equal(env->container_id, ID64);
	assert_string_equal(env->netns, "/run/netns/c1");
	assert_string_equal(env->ifname, "eth0");
	assert_string_equal(env->path, "/opt/cni/bin");
	assert_true(env->ignore_unknown);
	assert_int_equal(env->n_args, 3);
	assert_string_equal(cni_env_arg(env, "K8S_POD_NAME"), "web-0");
	/* A value may hold '='; the key ends at the first one. */
	assert_string_equal(cni_env_arg(env, "FOO"), "a=b");
	assert_null(cni_env_arg(env, "K8S_POD_NAMESPACE"));
	cni_env_free(env);
}

static void test_command(void **state)
{
	struct cni_env_raw raw = { 0 };

	parse_fails(&raw, CNI_ERR_INVALID_ENV, "CNI_COMMAND");
	raw.command = "";
	parse_fails(&raw, CNI_ERR_INVALID_ENV, "CNI_COMMAND");
	raw.command = "add"; /* verbs are upper case */
	parse_fails(&raw, CNI_ERR_INVALID_ENV, "CNI_COMMAND 'add'");
	raw.command = "DELETE";
	parse_fails(&raw, CNI_ERR_INVALID_ENV, "CNI_COMMAND 'DELETE'");
}

static void test_required_per_verb(void **state)
{
	static const char *const attach[] = { "ADD", "DEL", "CHECK" };

	for (size_t i = 0; i < 3; i++) {
		struct cni_env_raw raw = { .command = attach[i], .netns = "/run/netns/x",
					   .ifname = "eth0" };

		parse_fails(&raw, CNI_ERR_INVALID_ENV, "CNI_CONTAINERID is required");
		raw.container_id = "";
		parse_fails(&raw, CNI_ERR_INVALID_ENV, "CNI_CONTAINERID is required");
		raw.container_id = "c1";
		raw.ifname = NULL;
		parse_fails(&raw, CNI_ERR_INVALID_ENV, "CNI_IFNAME is required");
		raw.ifname = "";
		parse_fails(&raw, CNI_ERR_INVALID_ENV, "CNI_IFNAME is required");
	}
}

static void test_netns(void **state)
{
	struct cni_env_raw raw = { .command = "ADD", .container_id = "c1", .ifname = "eth0" };
	struct cni_env *env;

	parse_fails(&raw, CNI_ERR_INVALID_ENV, "CNI_NETNS is required for ADD");
	raw.command = "CHECK";
	parse_fails(&raw, CNI_ERR_INVALID_ENV, "CNI_NETNS is required for CHECK");
	raw.netns = "run/netns/x";
	parse_fails(&raw, CNI_ERR_INVALID_ENV, "CNI_NETNS must be an absolute path");

	/* DEL: optional, and an unusable one is as good as none. */
	raw.command = "DEL";
	raw.netns = NULL;
	env = parse_ok(&raw);
	assert_null(env->netns);
	cni_env_free(env);
	raw.netns = "garbage";
	env = parse_ok(&raw);
	assert_null(env->netns);
	cni_env_free(env);
	raw.netns = "/proc/123/ns/net";
	env = parse_ok(&raw);
	assert_string_equal(env->netns, "/proc/123/ns/net");
	cni_env_free(env);
}

static void test_container_id_rules(void **state)
{
	static const char *const good[] = { "a", "0", ID64, "pod_1.a-b", "Z.-_" };
	static const char *const bad[] = { "-a", "_a", ".a", "a b", "a/b", "a:b", "a;b", "é" };
	struct cni_env_raw raw = { .command = "DEL", .ifname = "eth0" };
	char longid[CNI_ID_MAX + 2];

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		raw.container_id = good[i];
		cni_env_free(parse_ok(&raw));
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		raw.container_id = bad[i];
		parse_fails(&raw, CNI_ERR_INVALID_ENV, "CNI_CONTAINERID has invalid characters");
	}
	memset(longid, 'a', sizeof(longid) - 1);
	longid[sizeof(longid) - 1] = '\0';
	raw.container_id = longid;
	parse_fails(&raw, CNI_ERR_INVALID_ENV, "CNI_CONTAINERID");
}

static void test_ifname_rules(void **state)
{
	static const char *const good[] = { "eth0", "a", "123456789012345", "net-1.x", "..." };
	static const char *const bad[] = { "1234567890123456", ".", "..", "a/b", "a:b",
					   "a b", "a\tb", "a\nb" };
	struct cni_env_raw raw = { .command = "DEL", .container_id = "c1" };

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		raw.ifname = good[i];
		cni_env_free(parse_ok(&raw));
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		raw.ifname = bad[i];
		parse_fails(&raw, CNI_ERR_INVALID_ENV, "CNI_IFNAME is invalid");
	}
}

static void test_status_gc_version(void **state)
{
	struct cni_env_raw raw = { .command = "STATUS" };
	struct cni_env *env;

	/* STATUS needs nothing but the command; stray variables are ignored. */
	raw.ifname = "not/valid";
	env = parse_ok(&raw);
	assert_int_equal(env->command, CNI_CMD_STATUS);
	assert_null(env->ifname);
	assert_null(env->container_id);
	cni_env_free(env);

	raw.command = "GC";
	parse_fails(&raw, CNI_ERR_INVALID_ENV, "CNI_PATH is required for GC");
	raw.path = "/opt/cni/bin";
	env = parse_ok(&raw);
	assert_int_equal(env->command, CNI_CMD_GC);
	assert_string_equal(env->path, "/opt/cni/bin");
	cni_env_free(env);

	raw = (struct cni_env_raw){ .command = "VERSION" };
	env = parse_ok(&raw);
	assert_int_equal(env->command, CNI_CMD_VERSION);
	cni_env_free(env);
}

static void test_args(void **state)
{
	struct cni_env_raw raw = { .command = "CHECK", .container_id = "c1",
				   .netns = "/run/netns/c1", .ifname = "eth0" };
	struct cni_env *env;

	/* Known keys need no IgnoreUnknown; empty pairs are skipped. */
	raw.args = "K8S_POD_NAMESPACE=ns;;K8S_POD_NAME=p;K8S_POD_UID=u;"
		   "K8S_POD_INFRA_CONTAINER_ID=c1;";
	env = parse_ok(&raw);
	assert_false(env->ignore_unknown);
	assert_int_equal(env->n_args, 4);
	assert_string_equal(cni_env_arg(env, "K8S_POD_NAMESPACE"), "ns");
	assert_string_equal(cni_env_arg(env, "K8S_POD_INFRA_CONTAINER_ID"), "c1");
	cni_env_free(env);

	raw.args = "IgnoreUnknown=true;FOO=";
	env = parse_ok(&raw);
	assert_true(env->ignore_unknown);
	assert_string_equal(cni_env_arg(env, "FOO"), "");
	cni_env_free(env);

	/* Unknown keys: code 2, naming key and value, as the spec asks. */
	raw.args = "K8S_POD_NAME=p;FOO=bar";
	parse_fails(&raw, CNI_ERR_UNSUPPORTED_FIELD, "'FOO=bar'");
	raw.args = "IgnoreUnknown=0;FOO=bar";
	parse_fails(&raw, CNI_ERR_UNSUPPORTED_FIELD, "'FOO=bar'");
	raw.args = "IgnoreUnknown=maybe";
	parse_fails(&raw, CNI_ERR_INVALID_ENV, "IgnoreUnknown");

	/* Malformed pairs: code 4 naming CNI_ARGS. */
	raw.args = "K8S_POD_NAME";
	parse_fails(&raw, CNI_ERR_INVALID_ENV, "CNI_ARGS: invalid pair 'K8S_POD_NAME'");
	raw.args = "IgnoreUnknown=1;=v";
	parse_fails(&raw, CNI_ERR_INVALID_ENV, "CNI_ARGS: invalid pair '=v'");
}

/* DEL undoes an ADD that bad CNI_ARGS failed: it must not fail for them. */
static void test_args_del_lenient(void **state)
{
	static const char *const bad[] = { "K8S_POD_NAME=p;FOO=bar", "IgnoreUnknown=maybe",
					   "K8S_POD_NAME", "=v" };
	struct cni_env_raw raw = { .command = "ADD", .container_id = "c1", .netns = "/run/netns/c1",
				   .ifname = "eth0" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct cni_env *env;

		raw.command = "ADD";
		raw.args = bad[i];
		parse_fails(&raw, i == 0 ? CNI_ERR_UNSUPPORTED_FIELD : CNI_ERR_INVALID_ENV,
			    i == 0 ? "FOO=bar" : "CNI_ARGS");
		raw.command = "DEL";
		env = parse_ok(&raw);
		assert_int_equal(env->n_args, 0);
		assert_null(cni_env_arg(env, "K8S_POD_NAME"));
		assert_string_equal(env->ifname, "eth0");
		cni_env_free(env);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_full),
		cmocka_unit_test(test_command),
		cmocka_unit_test(test_required_per_verb),
		cmocka_unit_test(test_netns),
		cmocka_unit_test(test_container_id_rules),
		cmocka_unit_test(test_ifname_rules),
		cmocka_unit_test(test_status_gc_version),
		cmocka_unit_test(test_args),
		cmocka_unit_test(test_args_del_lenient),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

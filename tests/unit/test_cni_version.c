/* Spec versions: parsing, which verbs each allows, the VERSION answer, and
 * the error object. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "cni/cni.h"
#include "cni/conf.h"

static const char *const supported[] = { "0.3.1", "0.4.0", "1.0.0", "1.1.0" };

static json_t *load(const char *s)
{
	json_error_t jerr;
	json_t *v = json_loads(s, 0, &jerr);

	if (!v)
		fail_msg("not JSON (%s): %s", jerr.text, s);
	return v;
}

static void test_version_parse(void **state)
{
	static const char *const unsupported[] = { "0.1.0", "0.2.0", "0.3.0", "0.4.1",
						   "1.2.0", "2.0.0", "10.0.0" };
	static const char *const malformed[] = { "", "1", "1.0", "1.0.0.0", "v1.0.0", "1.0.x",
						 "1..0", " 1.0.0", "1.0.0 ", "-1.0.0", "123456.0.0" };
	enum cni_version v;

	for (size_t i = 0; i < 4; i++) {
		assert_int_equal(cni_version_parse(supported[i], &v), 0);
		assert_int_equal(v, (enum cni_version)i);
		assert_string_equal(cni_version_str(v), supported[i]);
	}
	for (size_t i = 0; i < sizeof(unsupported) / sizeof(*unsupported); i++)
		assert_int_equal(cni_version_parse(unsupported[i], &v), -ENOTSUP);
	for (size_t i = 0; i < sizeof(malformed) / sizeof(*malformed); i++)
		if (cni_version_parse(malformed[i], &v) != -EINVAL)
			fail_msg("'%s' parsed as a version", malformed[i]);
	assert_int_equal(cni_version_parse(NULL, &v), -EINVAL);
}

static void test_verbs_per_version(void **state)
{
	assert_false(cni_version_allows(CNI_VERSION_0_3_1, CNI_CMD_CHECK));
	assert_true(cni_version_allows(CNI_VERSION_0_4_0, CNI_CMD_CHECK));
	assert_true(cni_version_allows(CNI_VERSION_1_0_0, CNI_CMD_CHECK));
	for (int v = CNI_VERSION_0_3_1; v <= CNI_VERSION_1_0_0; v++) {
		assert_false(cni_version_allows(v, CNI_CMD_STATUS));
		assert_false(cni_version_allows(v, CNI_CMD_GC));
		assert_true(cni_version_allows(v, CNI_CMD_ADD));
		assert_true(cni_version_allows(v, CNI_CMD_DEL));
	}
	assert_true(cni_version_allows(CNI_VERSION_1_1_0, CNI_CMD_STATUS));
	assert_true(cni_version_allows(CNI_VERSION_1_1_0, CNI_CMD_GC));
}

/* The runtime's view: every supported version negotiates through the
 * config; the others are refused with code 1 and answered in their own
 * version. */
static void test_negotiation_via_config(void **state)
{
	static const char *const refused[] = { "0.1.0", "0.2.0", "0.3.0", "1.2.0" };
	static const enum cni_command verbs[] = { CNI_CMD_ADD, CNI_CMD_DEL, CNI_CMD_CHECK,
						  CNI_CMD_STATUS, CNI_CMD_GC };
	char buf[512];

	for (size_t i = 0; i < 4; i++)
		for (size_t j = 0; j < sizeof(verbs) / sizeof(*verbs); j++) {
			struct cni_conf *conf = NULL;
			struct cni_error err;
			bool allowed = cni_version_allows((enum cni_version)i, verbs[j]);
			int r;

			snprintf(buf, sizeof(buf),
				 "{\"cniVersion\":\"%s\",\"name\":\"n\",\"type\":\"superfluid\","
				 "\"network\":\"net\",\"prevResult\":{},"
				 "\"cni.dev/valid-attachments\":[]}", supported[i]);
			cni_error_init(&err);
			r = cni_conf_parse(buf, strlen(buf), verbs[j], &conf, &err);
			if (allowed) {
				if (r < 0)
					fail_msg("%s %s: %s", supported[i],
						 cni_command_str(verbs[j]), err.msg);
				assert_int_equal(conf->version, (enum cni_version)i);
				assert_string_equal(conf->version_str, supported[i]);
				cni_conf_free(conf);
			} else {
				assert_int_equal(r, -EINVAL);
				assert_int_equal(err.code, CNI_ERR_INCOMPATIBLE_VERSION);
				assert_non_null(strstr(err.msg, "does not allow"));
			}
			assert_string_equal(err.version, supported[i]);
		}
	for (size_t i = 0; i < sizeof(refused) / sizeof(*refused); i++) {
		struct cni_conf *conf = NULL;
		struct cni_error err;
		char *json = NULL;
		json_t *o;

		snprintf(buf, sizeof(buf),
			 "{\"cniVersion\":\"%s\",\"name\":\"n\",\"type\":\"superfluid\","
			 "\"network\":\"net\"}", refused[i]);
		cni_error_init(&err);
		assert_int_equal(cni_conf_parse(buf, strlen(buf), CNI_CMD_ADD, &conf, &err),
				 -EINVAL);
		assert_null(conf);
		assert_int_equal(err.code, CNI_ERR_INCOMPATIBLE_VERSION);
		assert_non_null(strstr(err.msg, refused[i]));
		assert_int_equal(cni_error_to_json(&err, &json), 0);
		o = load(json);
		assert_string_equal(json_string_value(json_object_get(o, "cniVersion")), refused[i]);
		assert_int_equal(json_integer_value(json_object_get(o, "code")), 1);
		json_decref(o);
		free(json);
	}
}

static void check_version_reply(const char *in, const char *want_version)
{
	struct cni_error err;
	char *out = NULL;
	json_t *o, *list;

	cni_error_init(&err);
	if (cni_version_reply(in, in ? strlen(in) : 0, &out, &err) < 0)
		fail_msg("VERSION with '%s' failed: %s", in ? in : "(nothing)", err.msg);
	assert_int_equal(out[strlen(out) - 1], '\n');
	o = load(out);
	assert_int_equal(json_object_size(o), 2);
	assert_string_equal(json_string_value(json_object_get(o, "cniVersion")), want_version);
	list = json_object_get(o, "supportedVersions");
	assert_int_equal(json_array_size(list), 4);
	for (size_t i = 0; i < 4; i++)
		assert_string_equal(json_string_value(json_array_get(list, i)), supported[i]);
	json_decref(o);
	free(out);
}

static void test_version_reply(void **state)
{
	char in[64];

	for (size_t i = 0; i < 4; i++) {
		snprintf(in, sizeof(in), "{\"cniVersion\":\"%s\"}", supported[i]);
		check_version_reply(in, supported[i]);
	}
	/* A version we do not speak is echoed; the list tells the runtime. */
	check_version_reply("{\"cniVersion\":\"0.2.0\"}", "0.2.0");
	check_version_reply(NULL, "1.1.0");
	check_version_reply(" \n", "1.1.0");
	check_version_reply("{}", "1.1.0");
	check_version_reply("{\"cniVersion\":\"1.0.0\",\"name\":\"x\"}", "1.0.0");
}

static void test_version_reply_bad(void **state)
{
	static const char *const bad[] = { "{", "[]", "\"1.0.0\"", "{\"cniVersion\":1}",
					   "{\"cniVersion\":\"one\"}" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		struct cni_error err;
		char *out = NULL;

		cni_error_init(&err);
		assert_int_equal(cni_version_reply(bad[i], strlen(bad[i]), &out, &err), -EBADMSG);
		assert_null(out);
		assert_int_equal(err.code, CNI_ERR_DECODE);
	}
}

static void test_error_json(void **state)
{
	struct cni_error err;
	char *out = NULL;
	json_t *o;

	cni_error_init(&err);
	cni_error_set(&err, CNI_ERR_INVALID_CONFIG, "'mtu' must be %s", "an integer");
	cni_error_set_details(&err, "got \"%s\"", "x");
	assert_int_equal(cni_error_to_json(&err, &out), 0);
	o = load(out);
	assert_int_equal(json_object_size(o), 4);
	assert_string_equal(json_string_value(json_object_get(o, "cniVersion")), "1.1.0");
	assert_int_equal(json_integer_value(json_object_get(o, "code")), 7);
	assert_string_equal(json_string_value(json_object_get(o, "msg")), "'mtu' must be an integer");
	assert_string_equal(json_string_value(json_object_get(o, "details")), "got \"x\"");
	json_decref(o);
	free(out);

	/* No details: the key is left out; set_version sticks across set. */
	cni_error_set_version(&err, "0.4.0");
	cni_error_set(&err, CNI_ERR_TRY_AGAIN, "busy");
	assert_int_equal(cni_error_to_json(&err, &out), 0);
	o = load(out);
	assert_int_equal(json_object_size(o), 3);
	assert_string_equal(json_string_value(json_object_get(o, "cniVersion")), "0.4.0");
	assert_int_equal(json_integer_value(json_object_get(o, "code")), 11);
	json_decref(o);
	free(out);

	/* A raw variable that is not UTF-8 still gives a printable message. */
	cni_error_set(&err, CNI_ERR_INVALID_ENV, "CNI_IFNAME is invalid: '%s'", "e\xfft\xc3");
	assert_int_equal(cni_error_to_json(&err, &out), 0);
	o = load(out);
	assert_string_equal(json_string_value(json_object_get(o, "msg")),
			    "CNI_IFNAME is invalid: 'e?t?'");
	json_decref(o);
	free(out);
}

static void test_commands(void **state)
{
	static const char *const names[] = { "ADD", "DEL", "CHECK", "STATUS", "GC", "VERSION" };
	enum cni_command c;

	for (size_t i = 0; i < 6; i++) {
		assert_int_equal(cni_command_parse(names[i], &c), 0);
		assert_string_equal(cni_command_str(c), names[i]);
	}
	assert_int_equal(cni_command_parse("Add", &c), -EINVAL);
	assert_int_equal(cni_command_parse("", &c), -EINVAL);
	assert_int_equal(cni_command_parse(NULL, &c), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_version_parse),
		cmocka_unit_test(test_verbs_per_version),
		cmocka_unit_test(test_negotiation_via_config),
		cmocka_unit_test(test_version_reply),
		cmocka_unit_test(test_version_reply_bad),
		cmocka_unit_test(test_error_json),
		cmocka_unit_test(test_commands),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

#include "cni/cni.h"
#include "cni/json.h"

#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static const char *const command_names[] = {
	[CNI_CMD_ADD] = "ADD",       [CNI_CMD_DEL] = "DEL",
	[CNI_CMD_CHECK] = "CHECK",   [CNI_CMD_STATUS] = "STATUS",
	[CNI_CMD_GC] = "GC",         [CNI_CMD_VERSION] = "VERSION",
};

static const char *const version_names[] = {
	[CNI_VERSION_0_3_1] = "0.3.1", [CNI_VERSION_0_4_0] = "0.4.0",
	[CNI_VERSION_1_0_0] = "1.0.0", [CNI_VERSION_1_1_0] = "1.1.0",
};

int cni_error_to_json(const struct cni_error *err, char **ret)
{
	json_t *o = json_object();
	int r = 0;

	/* json_object_set_new fails for a NULL value (and a NULL object) and
	 * drops the value, so one check at the end covers every constructor. */
	r |= json_object_set_new(o, "cniVersion", cni_json_string_lossy(err->version[0] ?
								   err->version :
								   CNI_VERSION_LATEST_STR));
	r |= json_object_set_new(o, "code", json_integer(err->code ? err->code : CNI_ERR_INTERNAL));
	r |= json_object_set_new(o, "msg", cni_json_string_lossy(err->msg));
	if (err->details[0])
		r |= json_object_set_new(o, "details", cni_json_string_lossy(err->details));
	if (r == 0)
		r = cni_json_dump(o, ret);
	else
		r = -ENOMEM;
	json_decref(o);
	return r;
}

int cni_command_parse(const char *s, enum cni_command *ret)
{
	for (size_t i = 0; i < ARRAY_SIZE(command_names); i++)
		if (command_names[i] && streq(s, command_names[i])) {
			*ret = (enum cni_command)i;
			return 0;
		}
	return -EINVAL;
}

const char *cni_command_str(enum cni_command cmd)
{
	if ((size_t)cmd < ARRAY_SIZE(command_names) && command_names[cmd])
		return command_names[cmd];
	return "?";
}

/* Reads one decimal component of at most 5 digits; returns the position
 * after it or NULL. */
static const char *parse_component(const char *s, unsigned *ret)
{
	unsigned v = 0;
	int n = 0;

	while (*s >= '0' && *s <= '9' && n < 5) {
		v = v * 10 + (unsigned)(*s - '0');
		s++;
		n++;
	}
	if (n == 0 || (*s >= '0' && *s <= '9'))
		return NULL;
	*ret = v;
	return s;
}

int cni_version_parse(const char *s, enum cni_version *ret)
{
	unsigned major, minor, patch;
	const char *p = s;

	if (!p || !(p = parse_component(p, &major)) || *p++ != '.' ||
	    !(p = parse_component(p, &minor)) || *p++ != '.' ||
	    !(p = parse_component(p, &patch)) || *p != '\0')
		return -EINVAL;
	for (size_t i = 0; i < ARRAY_SIZE(version_names); i++)
		if (streq(s, version_names[i])) {
			*ret = (enum cni_version)i;
			return 0;
		}
	return -ENOTSUP;
}

const char *cni_version_str(enum cni_version v)
{
	if ((size_t)v < ARRAY_SIZE(version_names))
		return version_names[v];
	return "?";
}

bool cni_version_allows(enum cni_version v, enum cni_command cmd)
{
	switch (cmd) {
	case CNI_CMD_CHECK:
		return v >= CNI_VERSION_0_4_0;
	case CNI_CMD_STATUS:
	case CNI_CMD_GC:
		return v >= CNI_VERSION_1_1_0;
	default:
		return true;
	}
}

/* The cniVersion a VERSION request asks for (the latest when it names none);
 * borrowed from *ret_in, which the caller json_decref()s. */
static int asked_version(const char *stdin_data, size_t len, json_t **ret_in,
			 const char **ret_asked, struct cni_error *err)
{
	const char *asked = CNI_VERSION_LATEST_STR;
	json_error_t jerr;
	enum cni_version v;
	json_t *in;

	if (cni_json_is_blank(stdin_data, len)) {
		*ret_asked = asked;
		return 0;
	}
	in = json_loadb(stdin_data, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!in && json_error_code(&jerr) == json_error_out_of_memory)
		return cni_error_nomem(err);
	if (!in || !json_is_object(in)) {
		cni_error_set(err, CNI_ERR_DECODE, "failed to decode the VERSION request");
		cni_error_set_details(err, "%s", in ? "not a JSON object" : jerr.text);
		json_decref(in);
		return -EBADMSG;
	}
	if (json_object_get(in, "cniVersion")) {
		asked = json_string_value(json_object_get(in, "cniVersion"));
		/* An unsupported but well-formed version is echoed: the runtime
		 * then sees from supportedVersions that it cannot use us. */
		if (!asked || cni_version_parse(asked, &v) == -EINVAL) {
			cni_error_set(err, CNI_ERR_DECODE,
				      "failed to decode 'cniVersion' of the VERSION request");
			cni_error_set_details(err, "expected a version string such as \"1.1.0\"");
			json_decref(in);
			return -EBADMSG;
		}
	}
	*ret_in = in;
	*ret_asked = asked;
	return 0;
}

int cni_version_reply(const char *stdin_data, size_t len, char **ret, struct cni_error *err)
{
	const char *asked;
	json_t *in = NULL, *out = NULL, *list;
	int r;

	r = asked_version(stdin_data, len, &in, &asked, err);
	if (r < 0)
		return r;
	out = json_object();
	list = json_array();
	r = json_object_set_new(out, "cniVersion", json_string(asked));
	for (size_t i = 0; i < ARRAY_SIZE(version_names); i++)
		r |= json_array_append_new(list, json_string(version_names[i]));
	r |= json_object_set(out, "supportedVersions", list);
	json_decref(list);
	if (r == 0)
		r = cni_json_dump(out, ret);
	if (r < 0)
		r = cni_error_nomem(err);
	json_decref(in);
	json_decref(out);
	return r;
}

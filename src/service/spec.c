/* The service's state as the service port's description holds it, and the
 * readiness check's text. */
#include "service/spec.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STATE_VERSION 1

bool service_name_valid(const char *name)
{
	return util_tag_name_valid(name, SERVICE_NAME_MAX);
}

static int why_set(char *why, size_t size, const char *msg)
{
	if (why && size)
		snprintf(why, size, "%s", msg);
	return -EINVAL;
}

int service_check_parse(const char *text, struct service_check *ret, char *why, size_t why_size)
{
	struct service_check c = { 0 };
	const char *rest;
	char *end;
	unsigned long port;

	if (!text)
		return why_set(why, why_size, "no readiness check");
	if (strncmp(text, "tcp:", 4) == 0) {
		c.kind = SERVICE_CHECK_TCP;
		rest = text + 4;
	} else if (strncmp(text, "http:", 5) == 0) {
		c.kind = SERVICE_CHECK_HTTP;
		rest = text + 5;
	} else {
		return why_set(why, why_size, "a readiness check is tcp:PORT or http:PORT/PATH");
	}
	if (*rest < '0' || *rest > '9')
		return why_set(why, why_size, "the check's port is not a number");
	errno = 0;
	port = strtoul(rest, &end, 10);
	if (errno || port == 0 || port > 65535)
		return why_set(why, why_size, "the check's port is not in 1..65535");
	c.port = (uint16_t)port;
	if (c.kind == SERVICE_CHECK_TCP) {
		if (*end)
			return why_set(why, why_size, "a tcp check has no path");
	} else {
		if (!*end)
			end = (char *)"/";
		if (*end != '/')
			return why_set(why, why_size, "an http check's path starts with '/'");
		if (strcspn(end, " \t\r\n\"\\?#") != strlen(end))
			return why_set(why, why_size, "the check's path has a space, quote or control");
		if (util_strlcpy(c.path, end, sizeof(c.path)) < 0)
			return why_set(why, why_size, "the check's path is too long");
	}
	*ret = c;
	return 0;
}

int service_check_format(const struct service_check *c, char *buf, size_t size)
{
	int n = c->kind == SERVICE_CHECK_TCP ? snprintf(buf, size, "tcp:%u", c->port)
					     : snprintf(buf, size, "http:%u%s", c->port, c->path);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

const char *service_phase_to_string(enum service_phase phase)
{
	return phase == SERVICE_MOVING ? "moving" : phase == SERVICE_QUIET ? "quiet" : "stable";
}

int service_method_parse(const char *text, enum service_method *ret, char *why, size_t why_size)
{
	if (streq(text, "aap"))
		*ret = SERVICE_METHOD_AAP;
	else if (streq(text, "fip"))
		*ret = SERVICE_METHOD_FIP;
	else if (streq(text, "binding"))
		*ret = SERVICE_METHOD_BINDING;
	else
		return why_set(why, why_size, "a method is aap (allowed address pair), fip "
			       "(floating IP) or binding (OVN's multi-chassis port binding)");
	return 0;
}

const char *service_method_to_string(enum service_method method)
{
	return method == SERVICE_METHOD_FIP	 ? "fip"
	       : method == SERVICE_METHOD_BINDING ? "binding"
						  : "aap";
}

static int copy_id(const json_t *o, const char *key, char *dst, size_t size)
{
	const json_t *v = json_object_get(o, key);

	if (!v) {
		dst[0] = '\0';
		return 0;
	}
	if (!json_is_string(v) || util_strlcpy(dst, json_string_value(v), size) < 0)
		return -EINVAL;
	return 0;
}

int service_state_parse(const char *description, struct service_state *ret)
{
	struct service_state st = { 0 };
	json_t *o, *v;
	const char *phase;
	int r = -EINVAL;

	if (!description)
		return -EINVAL;
	o = json_loads(description, JSON_REJECT_DUPLICATES, NULL);
	if (!o)
		return -EINVAL;
	v = json_object_get(o, "sf");
	if (!json_is_integer(v) || json_integer_value(v) != STATE_VERSION)
		goto out;
	v = json_object_get(o, "check");
	if (!json_is_string(v) || service_check_parse(json_string_value(v), &st.check, NULL, 0) < 0)
		goto out;
	v = json_object_get(o, "grace_ms");
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    json_integer_value(v) > SERVICE_GRACE_MAX_MS)
		goto out;
	st.grace_ms = (unsigned)json_integer_value(v);
	v = json_object_get(o, "epoch");
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		goto out;
	st.epoch = (uint64_t)json_integer_value(v);
	phase = json_string_value(json_object_get(o, "phase"));
	if (streq(phase, "stable"))
		st.phase = SERVICE_STABLE;
	else if (streq(phase, "moving"))
		st.phase = SERVICE_MOVING;
	else if (streq(phase, "quiet"))
		st.phase = SERVICE_QUIET;
	else
		goto out;
	if (copy_id(o, "active", st.active, sizeof(st.active)) < 0 ||
	    copy_id(o, "from", st.from, sizeof(st.from)) < 0)
		goto out;
	/* A move has somewhere to go and something to leave. */
	if (st.phase != SERVICE_STABLE && (!st.active[0] || !st.from[0]))
		goto out;
	*ret = st;
	r = 0;
out:
	json_decref(o);
	return r;
}

int service_state_format(const struct service_state *st, char **ret)
{
	char check[16 + SERVICE_PATH_MAX];
	json_t *o = NULL;
	char *text;
	size_t len;
	int r;

	r = service_check_format(&st->check, check, sizeof(check));
	if (r < 0)
		return r;
	o = json_pack("{s:i, s:s, s:I, s:s, s:s, s:I}", "sf", STATE_VERSION, "check", check,
		      "grace_ms", (json_int_t)st->grace_ms, "phase",
		      service_phase_to_string(st->phase), "active", st->active, "epoch",
		      (json_int_t)st->epoch);
	if (!o)
		return -ENOMEM;
	if (st->from[0] && json_object_set_new(o, "from", json_string(st->from)) < 0) {
		json_decref(o);
		return -ENOMEM;
	}
	len = json_dumpb(o, NULL, 0, JSON_COMPACT | JSON_SORT_KEYS);
	text = len ? malloc(len + 1) : NULL;
	if (text) {
		json_dumpb(o, text, len, JSON_COMPACT | JSON_SORT_KEYS);
		text[len] = '\0';
	}
	json_decref(o);
	if (!text)
		return -ENOMEM;
	*ret = text;
	return 0;
}

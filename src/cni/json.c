#include "cni/json.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

int cni_json_dump(const json_t *v, char **ret)
{
	size_t n = json_dumpb(v, NULL, 0, JSON_COMPACT);
	char *buf;

	if (n == 0)
		return -ENOMEM;
	buf = malloc(n + 2);
	if (!buf)
		return -ENOMEM;
	if (json_dumpb(v, buf, n, JSON_COMPACT) != n) {
		free(buf);
		return -ENOMEM;
	}
	buf[n] = '\n';
	buf[n + 1] = '\0';
	*ret = buf;
	return 0;
}

bool cni_utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;

	while (p < end) {
		unsigned c = *p++, n, cp;

		if (c < 0x80)
			continue;
		if (c >= 0xc2 && c <= 0xdf)
			n = 1, cp = c & 0x1f;
		else if (c >= 0xe0 && c <= 0xef)
			n = 2, cp = c & 0x0f;
		else if (c >= 0xf0 && c <= 0xf4)
			n = 3, cp = c & 0x07;
		else
			return false;
		if ((size_t)(end - p) < n)
			return false;
		for (unsigned i = 0; i < n; i++, p++) {
			if ((*p & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (*p & 0x3f);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return false;
	}
	return true;
}

json_t *cni_json_string_lossy(const char *s)
{
	json_t *v;
	char *copy;

	if (cni_utf8_valid(s, strlen(s)))
		return json_string(s);
	copy = strdup(s);
	if (!copy)
		return NULL;
	for (char *p = copy; *p; p++)
		if ((unsigned char)*p >= 0x80)
			*p = '?';
	v = json_string(copy);
	free(copy);
	return v;
}

bool cni_json_is_blank(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r')
			return false;
	return true;
}

/* The member, or NULL when absent or null. */
static json_t *member(const json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	return json_is_null(v) ? NULL : v;
}

static int type_error(struct cni_error *err, int code, const char *ctx, const char *key,
		      const char *what)
{
	cni_error_set(err, code, "'%s%s' must be %s", ctx, key, what);
	return -EINVAL;
}

int cni_json_string(const json_t *obj, const char *key, const char *ctx, int code,
		    const char **ret, struct cni_error *err)
{
	json_t *v = member(obj, key);

	if (!v)
		return 0;
	if (!json_is_string(v))
		return type_error(err, code, ctx, key, "a string");
	*ret = json_string_value(v);
	return 0;
}

int cni_json_bool(const json_t *obj, const char *key, const char *ctx, int code,
		  bool *ret, struct cni_error *err)
{
	json_t *v = member(obj, key);

	if (!v)
		return 0;
	if (!json_is_boolean(v))
		return type_error(err, code, ctx, key, "true or false");
	*ret = json_is_true(v);
	return 0;
}

int cni_json_int(const json_t *obj, const char *key, const char *ctx, int code,
		 long long min, long long max, long long *ret, struct cni_error *err)
{
	json_t *v = member(obj, key);
	char what[96];

	if (!v)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max) {
		snprintf(what, sizeof(what), "an integer in %lld..%lld", min, max);
		return type_error(err, code, ctx, key, what);
	}
	*ret = json_integer_value(v);
	return 0;
}

int cni_json_object(const json_t *obj, const char *key, const char *ctx, int code,
		    json_t **ret, struct cni_error *err)
{
	json_t *v = member(obj, key);

	if (!v)
		return 0;
	if (!json_is_object(v))
		return type_error(err, code, ctx, key, "an object");
	*ret = v;
	return 0;
}

int cni_json_strv(const json_t *obj, const char *key, const char *ctx, int code,
		  char ***ret, size_t *ret_n, struct cni_error *err)
{
	json_t *v = member(obj, key), *e;
	char **out;
	size_t i;

	if (!v)
		return 0;
	if (!json_is_array(v))
		return type_error(err, code, ctx, key, "an array of strings");
	json_array_foreach(v, i, e)
		if (!json_is_string(e))
			return type_error(err, code, ctx, key, "an array of strings");
	out = calloc(json_array_size(v) + 1, sizeof(char *));
	if (!out)
		return cni_error_nomem(err);
	json_array_foreach(v, i, e) {
		out[i] = strdup(json_string_value(e));
		if (!out[i]) {
			cni_strv_free(out);
			return cni_error_nomem(err);
		}
	}
	*ret = out;
	*ret_n = json_array_size(v);
	return 0;
}

void cni_strv_free(char **v)
{
	if (!v)
		return;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
}

char **cni_strv_copy(char *const *v, size_t n)
{
	char **out;

	if (!v)
		return NULL;
	out = calloc(n + 1, sizeof(char *));
	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		out[i] = strdup(v[i]);
		if (!out[i]) {
			cni_strv_free(out);
			return NULL;
		}
	}
	return out;
}

int cni_strv_add_unique(char ***v, size_t *n, const char *s)
{
	char **nv, *copy;

	for (size_t i = 0; i < *n; i++)
		if (streq((*v)[i], s))
			return 0;
	copy = strdup(s);
	if (!copy)
		return -ENOMEM;
	nv = realloc(*v, (*n + 2) * sizeof(char *));
	if (!nv) {
		free(copy);
		return -ENOMEM;
	}
	nv[*n] = copy;
	nv[*n + 1] = NULL;
	*v = nv;
	(*n)++;
	return 0;
}

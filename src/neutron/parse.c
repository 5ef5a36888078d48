/* Pure parsing and formatting helpers of the Neutron client: no I/O, no
 * client state, so the unit tests drive them with canned JSON. */
#include "neutron/internal.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void copy_printable(char *dst, size_t size, const char *src, size_t len)
{
	size_t n = 0;

	/* Bodies are untrusted: keep them to one line of printable ASCII. */
	for (size_t i = 0; i < len && n + 1 < size; i++) {
		unsigned char ch = (unsigned char)src[i];

		dst[n++] = (ch >= 0x20 && ch < 0x7f) ? (char)ch : ' ';
	}
	while (n > 0 && dst[n - 1] == ' ')
		n--;
	dst[n] = '\0';
}

static void copy_json_string(char *dst, size_t size, const json_t *s)
{
	const char *v = json_string_value(s);

	if (v)
		copy_printable(dst, size, v, strlen(v));
}

void neutron_error_parse(long status, const char *body, size_t len, struct neutron_error *err)
{
	json_t *root = NULL, *ne, *ke;

	if (!err)
		return;
	err->http_status = (int)status;
	err->retry_after_ms = 0;
	err->type[0] = '\0';
	err->message[0] = '\0';
	if (body && len > 0)
		root = json_loadb(body, len, 0, NULL);

	ne = json_object_get(root, "NeutronError");
	ke = json_object_get(root, "error");
	if (json_is_object(ne)) {
		const char *detail = json_string_value(json_object_get(ne, "detail"));

		copy_json_string(err->type, sizeof(err->type), json_object_get(ne, "type"));
		copy_json_string(err->message, sizeof(err->message),
				 json_object_get(ne, "message"));
		if (detail && detail[0] && err->message[0]) {
			size_t n = strlen(err->message);

			if (n + 3 < sizeof(err->message)) {
				memcpy(err->message + n, " (", 2);
				copy_printable(err->message + n + 2, sizeof(err->message) - n - 2,
					       detail, strlen(detail));
				n = strlen(err->message);
				if (n + 1 < sizeof(err->message)) {
					err->message[n] = ')';
					err->message[n + 1] = '\0';
				}
			}
		} else if (detail && detail[0]) {
			copy_printable(err->message, sizeof(err->message), detail, strlen(detail));
		}
	} else if (json_is_string(ne)) {
		/* Older servers answer {"NeutronError": "text"}. */
		copy_json_string(err->message, sizeof(err->message), ne);
	} else if (json_is_object(ke)) {
		/* Keystone and keystonemiddleware: {"error": {code, title, message}}. */
		copy_json_string(err->type, sizeof(err->type), json_object_get(ke, "title"));
		copy_json_string(err->message, sizeof(err->message),
				 json_object_get(ke, "message"));
	} else if (body && len > 0 && !root) {
		/* An HTML error page (a proxy, a crashed WSGI app): say so. */
		int n = snprintf(err->message, sizeof(err->message), "HTTP status %ld, not JSON: ",
				 status);

		if (n > 0 && (size_t)n < sizeof(err->message))
			copy_printable(err->message + n, sizeof(err->message) - (size_t)n, body, len);
	}
	if (!err->message[0])
		snprintf(err->message, sizeof(err->message), "HTTP status %ld", status);
	json_decref(root);
}

int neutron_status_to_errno(int http_status)
{
	switch (http_status) {
	case 400: return -EINVAL;
	case 401: return -EACCES;
	case 403: return -EPERM;
	case 404: return -ENOENT;
	case 405: return -EOPNOTSUPP;
	case 408: return -ETIMEDOUT;
	case 409: return -EEXIST;
	case 412: return -ESTALE;
	case 413: return -EDQUOT;
	case 429: return -EBUSY;
	default:
		if (http_status >= 500 && http_status < 600)
			return -EIO;
		if (http_status >= 400 && http_status < 500)
			return -EINVAL;
		/* 1xx/3xx: the client follows no redirects and expects none. */
		return -EPROTO;
	}
}

int neutron_error_errno(long status, const char *type)
{
	/* Neutron answers an exceeded quota with 409 OverQuota; it is not a
	 * conflict the caller can resolve by retrying with other values. */
	if (streq(type, "OverQuota"))
		return -EDQUOT;
	return neutron_status_to_errno((int)status);
}

int neutron_catalog_find(const json_t *token, const char *type, const char *region,
			 const char *interface, const char **ret_url)
{
	const json_t *catalog = json_object_get(token, "catalog");
	const char *want_if = interface ? interface : "public";
	size_t i, j;
	json_t *svc, *ep;

	if (!json_is_array(catalog))
		return -ENXIO;
	json_array_foreach(catalog, i, svc) {
		if (!streq(json_string_value(json_object_get(svc, "type")), type))
			continue;
		json_array_foreach(json_object_get(svc, "endpoints"), j, ep) {
			const char *url = json_string_value(json_object_get(ep, "url"));
			const char *rid = json_string_value(json_object_get(ep, "region_id"));
			const char *rname = json_string_value(json_object_get(ep, "region"));

			if (!url || !url[0])
				continue;
			if (!streq(json_string_value(json_object_get(ep, "interface")), want_if))
				continue;
			if (region && !streq(rid, region) && !streq(rname, region))
				continue;
			*ret_url = url;
			return 0;
		}
	}
	return -ENXIO;
}

int neutron_parse_time(const char *s, int64_t *ret_epoch)
{
	struct tm tm = { 0 };
	const char *end;
	time_t t;

	if (!s)
		return -EINVAL;
	end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!end)
		return -EINVAL;
	if (*end == '.') {
		end++;
		while (isdigit((unsigned char)*end))
			end++;
	}
	/* Keystone writes UTC as "Z"; accept an explicit zero offset too. */
	if (strcmp(end, "Z") != 0 && strcmp(end, "+00:00") != 0 && strcmp(end, "") != 0)
		return -EINVAL;
	t = timegm(&tm);
	if (t == (time_t)-1)
		return -EINVAL;
	*ret_epoch = (int64_t)t;
	return 0;
}

int neutron_token_lifetime(const json_t *token, int64_t *ret_s)
{
	int64_t issued, expires;
	int r;

	r = neutron_parse_time(json_string_value(json_object_get(token, "expires_at")), &expires);
	if (r < 0)
		return -EBADMSG;
	r = neutron_parse_time(json_string_value(json_object_get(token, "issued_at")), &issued);
	if (r < 0)
		issued = (int64_t)time(NULL);
	if (expires <= issued)
		return -EBADMSG;
	*ret_s = expires - issued;
	return 0;
}

static char *strip_trailing(char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	if (n >= m && strcmp(s + n - m, suffix) == 0)
		s[n - m] = '\0';
	return s;
}

/* The length of "scheme://host[:port]" when url is an http(s) URL with a
 * host, else 0: what follows is the path, the only part normalising may
 * cut ("http://v2.0" is a host, not a version to strip). */
static size_t http_authority_len(const char *url)
{
	size_t n;

	if (!url)
		return 0;
	if (strncmp(url, "http://", 7) == 0)
		n = 7;
	else if (strncmp(url, "https://", 8) == 0)
		n = 8;
	else
		return 0;
	if (url[n] == '\0' || url[n] == '/')
		return 0;
	return n + strcspn(url + n, "/");
}

static bool is_http_url(const char *url)
{
	return url && (strncmp(url, "http://", 7) == 0 || strncmp(url, "https://", 8) == 0);
}

static void trim_slashes(char *s, size_t keep)
{
	size_t n = strlen(s);

	while (n > keep && s[n - 1] == '/')
		s[--n] = '\0';
}

int neutron_endpoint_normalize(const char *url, char **ret)
{
	size_t keep = http_authority_len(url);
	char *s;

	if (!keep)
		return -EINVAL;
	s = strdup(url);
	if (!s)
		return -ENOMEM;
	trim_slashes(s, keep);
	/* Our paths carry the version; some catalogs list it in the URL.
	 * Slashes before it go too ("http://h//v2.0"): our paths add one. */
	if (strlen(s) >= keep + strlen("/v2.0"))
		strip_trailing(s + keep, "/v2.0");
	trim_slashes(s, keep);
	*ret = s;
	return 0;
}

int neutron_auth_url_normalize(const char *url, char **ret)
{
	size_t n, keep = http_authority_len(url);
	char *s;

	if (!keep)
		return -EINVAL;
	n = strlen(url);
	s = malloc(n + sizeof("/v3"));
	if (!s)
		return -ENOMEM;
	memcpy(s, url, n + 1);
	trim_slashes(s, keep);
	n = strlen(s);
	if (!(n >= keep + 3 && strcmp(s + n - 3, "/v3") == 0))
		memcpy(s + n, "/v3", sizeof("/v3"));
	*ret = s;
	return 0;
}

char *neutron_json_dump(const json_t *v)
{
	/* Measured, then written into our buffer: json_dumpb writes into
	 * memory it does not allocate, so it cannot lose a piece. */
	size_t n = json_dumpb(v, NULL, 0, JSON_COMPACT);
	char *s;

	if (n == 0)
		return NULL;
	s = malloc(n + 1);
	if (!s)
		return NULL;
	if (json_dumpb(v, s, n, JSON_COMPACT) != n) {
		free(s);
		return NULL;
	}
	s[n] = '\0';
	return s;
}

char *neutron_escape(const char *s)
{
	/* Since 7.82 curl_easy_escape ignores its handle argument. */
	char *e = curl_easy_escape(NULL, s, 0);
	char *copy;

	if (!e)
		return NULL;
	copy = strdup(e);
	curl_free(e);
	return copy;
}

/* A growing string for building paths; sized by the caller's inputs.
 * Without memory it is marked failed and ignores what follows. */
struct sbuf {
	char *s;
	size_t len, cap;
	bool failed;
};

static void sbuf_add(struct sbuf *b, const char *s)
{
	size_t n;

	if (!s)
		b->failed = true;
	if (b->failed)
		return;
	n = strlen(s);
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 64;
		char *p;

		while (b->len + n + 1 > cap)
			cap *= 2;
		p = realloc(b->s, cap);
		if (!p) {
			b->failed = true;
			return;
		}
		b->s = p;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n + 1);
	b->len += n;
}

static void sbuf_add_escaped(struct sbuf *b, const char *s)
{
	char *e = neutron_escape(s);

	sbuf_add(b, e);
	free(e);
}

static bool collection_ok(const char *collection)
{
	if (!collection || !collection[0])
		return false;
	for (const char *p = collection; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_')
			return false;
	return true;
}

int neutron_build_list_path(const char *collection, const struct neutron_filter *filters,
			    size_t n_filters, unsigned page_size, char **ret)
{
	struct sbuf b = { 0 };
	char num[32];
	char sep = '?';

	if (!collection_ok(collection) || (n_filters && !filters))
		return -EINVAL;
	for (size_t i = 0; i < n_filters; i++)
		if (!filters[i].key || !filters[i].key[0] || !filters[i].value)
			return -EINVAL;

	sbuf_add(&b, "/v2.0/");
	sbuf_add(&b, collection);
	for (size_t i = 0; i < n_filters; i++) {
		char s[2] = { sep, '\0' };

		sbuf_add(&b, s);
		sbuf_add_escaped(&b, filters[i].key);
		sbuf_add(&b, "=");
		sbuf_add_escaped(&b, filters[i].value);
		sep = '&';
	}
	if (page_size > 0) {
		snprintf(num, sizeof(num), "%climit=%u", sep, page_size);
		sbuf_add(&b, num);
	}
	if (b.failed) {
		free(b.s);
		return -ENOMEM;
	}
	*ret = b.s;
	return 0;
}

int neutron_collection_key(const char *collection, char *buf, size_t size)
{
	size_t n;

	if (!collection_ok(collection))
		return -EINVAL;
	n = strlen(collection);
	if (n + 1 > size)
		return -ENAMETOOLONG;
	for (size_t i = 0; i <= n; i++)
		buf[i] = collection[i] == '-' ? '_' : collection[i];
	return 0;
}

/* The path part of an absolute URL ("http://h:1/a/b" -> "/a/b"), or "". */
static const char *url_path(const char *url)
{
	const char *p = strstr(url, "://");

	if (!p)
		return NULL;
	p = strchr(p + 3, '/');
	return p ? p : "";
}

int neutron_next_link(const json_t *page, const char *key, const char *endpoint,
		      char **ret_path)
{
	char links_key[128];
	const char *href = NULL, *path, *prefix;
	char *copy;
	size_t i, plen;
	json_t *link;

	if (snprintf(links_key, sizeof(links_key), "%s_links", key) >= (int)sizeof(links_key))
		return -ENAMETOOLONG;
	json_array_foreach(json_object_get(page, links_key), i, link) {
		if (streq(json_string_value(json_object_get(link, "rel")), "next")) {
			href = json_string_value(json_object_get(link, "href"));
			break;
		}
	}
	if (!href)
		return 0;

	/* The href is absolute, but its host may be how Neutron sees itself
	 * behind a proxy: keep only the path and query, and drop the
	 * endpoint's own path prefix (".../networking") when it is there. */
	path = is_http_url(href) ? url_path(href) : href;
	if (!path || path[0] != '/')
		return -EBADMSG;
	prefix = endpoint ? url_path(endpoint) : NULL;
	plen = prefix ? strlen(prefix) : 0;
	if (plen > 0 && strncmp(path, prefix, plen) == 0 && path[plen] == '/')
		path += plen;
	if (strncmp(path, "/v2.0/", 6) != 0)
		return -EBADMSG;
	for (const char *p = path; *p; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
			return -EBADMSG;
	copy = strdup(path);
	if (!copy)
		return -ENOMEM;
	*ret_path = copy;
	return 1;
}

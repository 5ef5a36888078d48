/* One Neutron API call: credentials, headers, the transport's retries, one
 * re-authentication after a 401, and the answer parsed into JSON or into a
 * struct neutron_error. */
#include "neutron/internal.h"
#include "neutron/outcome.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct curl_slist *build_headers(struct neutron_client *c, const char *token,
					const char *extra_header)
{
	struct curl_slist *l = NULL, *t;
	char *line = NULL;
	bool ok = true;

#define ADD(s) do { if (ok) { t = curl_slist_append(l, s); if (t) l = t; else ok = false; } } while (0)
	ADD("Accept: application/json");
	ADD("Content-Type: application/json");
	/* Large bulk bodies would otherwise wait for a 100-continue. */
	ADD("Expect:");
	if (token) {
		if (asprintf(&line, "X-Auth-Token: %s", token) < 0)
			line = NULL, ok = false;
		ADD(line);
	} else if (c->auth_type == NEUTRON_AUTH_NOAUTH) {
		if (asprintf(&line, "X-Project-Id: %s", c->project_id) < 0)
			line = NULL, ok = false;
		ADD(line);
		ADD("X-Roles: admin");
	}
	if (extra_header)
		ADD(extra_header);
	if (neutron_request_id()) {
		char rid[32 + NEUTRON_REQUEST_ID_LEN];

		snprintf(rid, sizeof(rid), "X-Openstack-Request-Id: %s", neutron_request_id());
		ADD(rid);
	}
#undef ADD
	if (line) {
		explicit_bzero(line, strlen(line));
		free(line);
	}
	if (!ok) {
		curl_slist_free_all(l);
		return NULL;
	}
	return l;
}

static void free_headers(struct curl_slist *l)
{
	/* The list holds a copy of the token. */
	for (struct curl_slist *p = l; p; p = p->next)
		explicit_bzero(p->data, strlen(p->data));
	curl_slist_free_all(l);
}

static void free_secret(char *s)
{
	if (s) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

static bool valid_method(const char *m)
{
	return streq(m, "GET") || streq(m, "POST") || streq(m, "PUT") || streq(m, "DELETE") ||
	       streq(m, "PATCH") || streq(m, "HEAD");
}

static bool valid_extra_header(const char *h)
{
	/* One "Name: value" line: no CR/LF smuggling of further headers. */
	if (!h)
		return true;
	if (!strchr(h, ':'))
		return false;
	for (const char *p = h; *p; p++)
		if (*p == '\r' || *p == '\n')
			return false;
	return true;
}

int neutron_call(struct neutron_client *c, const char *method, const char *path,
		 const json_t *body, const char *extra_header, bool idempotent,
		 json_t **ret_body, struct neutron_error *err)
{
	struct neutron_http_response resp = { 0 };
	struct curl_slist *headers = NULL;
	char *text = NULL, *token = NULL, *endpoint = NULL, *url = NULL;
	bool reauthed = false;
	json_t *answer = NULL;
	uint64_t gen = 0;
	int r;

	if (!valid_method(method) || !path || path[0] != '/' || !valid_extra_header(extra_header)) {
		r = -EINVAL;
		neutron_error_set(err, 0, "", "invalid request");
		goto out;
	}
	if (body) {
		/* A json_t always encodes, but for want of memory. */
		text = neutron_json_dump(body);
		if (!text) {
			r = -ENOMEM;
			neutron_error_set(err, 0, "", "%s %s: the body cannot be encoded", method,
					  path);
			goto out;
		}
	}

	for (;;) {
		r = neutron_auth_get(c, &token, &endpoint, &gen, err);
		if (r < 0)
			goto out;
		if (asprintf(&url, "%s%s", endpoint, path) < 0) {
			url = NULL;
			r = -ENOMEM;
			goto out;
		}
		headers = build_headers(c, token, extra_header);
		if (!headers) {
			r = -ENOMEM;
			goto out;
		}
		r = neutron_http_exchange(c, &(struct neutron_http_request){
				.method = method, .url = url, .body = text,
				.body_len = text ? strlen(text) : 0, .headers = headers,
				.idempotent = idempotent && !streq(method, "POST"),
			}, &resp, err);
		free_headers(headers);
		headers = NULL;
		free_secret(token);
		token = NULL;
		free(endpoint);
		endpoint = NULL;
		free(url);
		url = NULL;
		if (r < 0)
			goto out;
		/* A 401 means our token was revoked or expired early:
		 * authenticate again, once, and repeat the call. */
		if (resp.status != 401 || reauthed || c->auth_type == NEUTRON_AUTH_NOAUTH)
			break;
		reauthed = true;
		neutron_http_response_done(&resp);
		r = neutron_auth_renew_after_401(c, gen, err);
		if (r < 0)
			goto out;
	}

	if (resp.status == 404 && streq(method, "DELETE") && resp.ambiguous_earlier) {
		/* An earlier attempt most likely did the deletion (http.c). */
		r = 0;
		goto out;
	}
	if (resp.status < 200 || resp.status > 299) {
		struct neutron_error e;

		neutron_error_parse(resp.status, resp.body, resp.body_len, &e);
		/* Not retried here (a create answered 500, a Retry-After past
		 * NEUTRON_RETRY_AFTER_MAX_MS): the caller's own backoff honours it. */
		e.retry_after_ms = resp.retry_after_ms;
		r = neutron_error_errno(resp.status, e.type);
		if (err)
			*err = e;
		goto out;
	}
	if (resp.body_len > 0 && resp.status != 204) {
		json_error_t jerr;

		/* Any JSON value: PUT .../tags/<tag> answers 201 "null". */
		answer = json_loadb(resp.body, resp.body_len, JSON_DECODE_ANY, &jerr);
		if (!answer && json_error_code(&jerr) == json_error_out_of_memory) {
			r = -ENOMEM;
			neutron_error_set(err, (int)resp.status, "", "%s %s: out of memory", method,
					  path);
			goto out;
		}
		if (!answer) {
			r = -EBADMSG;
			neutron_error_set(err, (int)resp.status, "", "%s %s: malformed JSON answer: %s",
					  method, path, jerr.text);
			goto out;
		}
	}
	if (json_is_null(answer)) {
		json_decref(answer);
		answer = NULL;
	}
	if (ret_body) {
		*ret_body = answer;
		answer = NULL;
	}
	r = 0;
out:
	if (r < 0)
		neutron_stats_add(c, &(struct neutron_stats){ .errors = 1 });
	json_decref(answer);
	free(text);
	free_headers(headers);
	free_secret(token);
	free(endpoint);
	free(url);
	neutron_http_response_done(&resp);
	return r;
}

int neutron_request(struct neutron_client *c, const char *method, const char *path,
		    const json_t *body, const char *extra_header, json_t **ret_body,
		    struct neutron_error *err)
{
	/* The raw call cannot know better than its method: PUT and DELETE are
	 * idempotent, POST is not. */
	return neutron_call(c, method, path, body, extra_header, !streq(method, "POST"), ret_body,
			    err);
}

/* Keystone v3 authentication: password or application credential, a cached
 * token renewed ahead of its expiry, the Neutron endpoint taken from the
 * token's catalog (or the endpoint override), and noauth for development.
 * Passwords, secrets and tokens are never logged nor copied into errors. */
#include "neutron/internal.h"
#include "neutron/outcome.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"

static void retire(struct neutron_client *c, char *s)
{
	struct neutron_retired *r;

	if (!s)
		return;
	r = xmalloc(sizeof(*r));
	r->s = s;
	r->next = c->retired;
	c->retired = r;
}

void neutron_auth_free(struct neutron_client *c)
{
	struct neutron_retired *r = c->retired;

	while (r) {
		struct neutron_retired *next = r->next;

		/* Old tokens may still be valid: wipe them. */
		explicit_bzero(r->s, strlen(r->s));
		free(r->s);
		free(r);
		r = next;
	}
	c->retired = NULL;
	if (c->token)
		explicit_bzero(c->token, strlen(c->token));
	free(c->token);
	free(c->endpoint);
	free(c->project_id);
}

static json_t *auth_request_body(const struct neutron_client *c)
{
	json_t *identity, *scope = NULL;

	if (c->auth_type == NEUTRON_AUTH_APP_CREDENTIAL) {
		/* An application credential carries its own project scope. */
		identity = json_pack("{s:[s], s:{s:s, s:s}}", "methods", "application_credential",
				     "application_credential", "id", c->app_cred_id,
				     "secret", c->app_cred_secret);
	} else {
		identity = json_pack("{s:[s], s:{s:{s:s, s:{s:s}, s:s}}}", "methods", "password",
				     "password", "user", "name", c->username,
				     "domain", "name", c->user_domain_name,
				     "password", c->password);
		if (c->project_name)
			scope = json_pack("{s:{s:s, s:{s:s}}}", "project", "name", c->project_name,
					  "domain", "name", c->project_domain_name);
	}
	if (!identity) {
		json_decref(scope);
		return NULL;
	}
	if (scope)
		return json_pack("{s:{s:o, s:o}}", "auth", "identity", identity, "scope", scope);
	return json_pack("{s:{s:o}}", "auth", "identity", identity);
}

/* Puts `prefix` before err's message, truncating its end if need be. */
static void error_prefix(struct neutron_error *err, const char *prefix)
{
	size_t p = strlen(prefix), n;

	if (!err || p >= sizeof(err->message))
		return;
	n = strnlen(err->message, sizeof(err->message) - 1);
	if (n > sizeof(err->message) - 1 - p)
		n = sizeof(err->message) - 1 - p;
	memmove(err->message + p, err->message, n);
	memcpy(err->message, prefix, p);
	err->message[p + n] = '\0';
}

/* Replaces *slot by s (owned); the old string is retired, not freed,
 * unless it equals the new one. */
static void replace_string(struct neutron_client *c, char **slot, char *s)
{
	if (streq(*slot, s)) {
		free(s);
		return;
	}
	retire(c, *slot);
	*slot = s;
}

/* Keystone refused the credentials themselves (401, or 404 for an unknown
 * application credential): err says which and what to do, and the log says
 * it at most once a minute, however many requests meet it. */
static void credentials_refused(struct neutron_client *c, long status, struct neutron_error *err)
{
	static struct log_rl rl = LOG_RL_INIT(1, 1);
	char detail[sizeof(err->message)];

	snprintf(detail, sizeof(detail), "%s", err && err->message[0] ? err->message : "");
	if (c->auth_type == NEUTRON_AUTH_APP_CREDENTIAL)
		neutron_error_set(err, (int)status, NEUTRON_ERROR_CREDENTIALS,
				  "Keystone refused application credential '%s' (HTTP %ld%s%.200s): "
				  "deleted, expired or its user gone? Make a new one and set "
				  "[neutron] application_credential_id and _secret",
				  c->app_cred_id, status, detail[0] ? ": " : "", detail);
	else
		neutron_error_set(err, (int)status, NEUTRON_ERROR_CREDENTIALS,
				  "Keystone refused user '%s' (HTTP %ld%s%.200s): check [neutron] "
				  "username and password", c->username ? c->username : "?", status,
				  detail[0] ? ": " : "", detail);
	log_msg_rl(&rl, LOG_LEVEL_WARN, "%s", err ? err->message : "Keystone refused the credentials");
}

/* Issues a token.  Called with auth_lock held. */
static int authenticate_locked(struct neutron_client *c, struct neutron_error *err)
{
	struct neutron_http_response resp = { 0 };
	struct neutron_stats st = { 0 };
	struct curl_slist *headers = NULL, *h;
	char *url = NULL, *text = NULL, *endpoint = NULL;
	const char *ep_url = NULL, *pid;
	json_t *body = NULL, *root = NULL, *token;
	int64_t lifetime_s, margin_s;
	uint64_t now;
	int r;

	body = auth_request_body(c);
	if (!body) {
		r = -EINVAL;
		neutron_error_set(err, 0, "", "Keystone: incomplete credentials");
		goto out;
	}
	text = neutron_json_dump(body);
	if (!text) {
		r = -ENOMEM;
		goto out;
	}
	if (asprintf(&url, "%s/auth/tokens", c->auth_url) < 0) {
		url = NULL;
		r = -ENOMEM;
		goto out;
	}
	headers = curl_slist_append(NULL, "Content-Type: application/json");
	h = headers ? curl_slist_append(headers, "Accept: application/json") : NULL;
	h = h ? curl_slist_append(headers, "Expect:") : NULL;
	if (!h) {
		r = -ENOMEM;
		goto out;
	}

	/* Issuing a token twice is harmless: the request is idempotent. */
	r = neutron_http_exchange(c, &(struct neutron_http_request){
			.method = "POST", .url = url, .body = text, .body_len = strlen(text),
			.headers = headers, .idempotent = true, .want_subject_token = true,
		}, &resp, err);
	if (r < 0) {
		error_prefix(err, "Keystone: ");
		goto out;
	}
	if (resp.status != 201 && resp.status != 200) {
		neutron_error_parse(resp.status, resp.body, resp.body_len, err);
		/* Keystone's 404 (an unknown application credential) is about
		 * the credentials, never the resource the caller asked for. */
		r = resp.status >= 500 ? neutron_status_to_errno((int)resp.status) : -EACCES;
		if (resp.status == 401 || resp.status == 404)
			credentials_refused(c, resp.status, err);
		else
			error_prefix(err, "Keystone authentication failed: ");
		goto out;
	}

	root = resp.body ? json_loadb(resp.body, resp.body_len, 0, NULL) : NULL;
	token = json_object_get(root, "token");
	/* Say what is wrong: an operator reads this in a CNI error. */
	if (!resp.subject_token || !root || !json_is_object(token) ||
	    neutron_token_lifetime(token, &lifetime_s) < 0) {
		r = -EBADMSG;
		neutron_error_set(err, (int)resp.status, "", "Keystone: malformed token answer: %s",
				  !resp.subject_token ? "no X-Subject-Token header" :
				  !root ? "the body is not JSON" :
				  !json_is_object(token) ? "no 'token' object" :
				  "'token.issued_at' or 'token.expires_at' missing or invalid");
		goto out;
	}
	if (!c->endpoint_fixed) {
		r = neutron_catalog_find(token, "network", c->region_name, c->interface, &ep_url);
		if (r < 0) {
			neutron_error_set(err, 0, "",
					  "Keystone: no network endpoint (interface '%s', region '%s') "
					  "in the catalog", c->interface,
					  c->region_name ? c->region_name : "any");
			goto out;
		}
		r = neutron_endpoint_normalize(ep_url, &endpoint);
		if (r < 0) {
			neutron_error_set(err, 0, "", "Keystone: bad network endpoint in the catalog");
			goto out;
		}
	}

	/* Renew margin_s before expiry, but never sooner than half-way
	 * through the token's life: short-lived tokens would otherwise be
	 * renewed on every call. */
	margin_s = c->renew_margin_s < lifetime_s / 2 ? c->renew_margin_s : lifetime_s / 2;
	now = util_now_us();
	retire(c, c->token);
	c->token = resp.subject_token;
	resp.subject_token = NULL;
	c->token_expiry_us = now + (uint64_t)lifetime_s * 1000000u;
	c->token_renew_us = now + (uint64_t)(lifetime_s - margin_s) * 1000000u;
	c->auth_gen++;
	if (endpoint) {
		replace_string(c, &c->endpoint, endpoint);
		endpoint = NULL;
	}
	pid = json_string_value(json_object_get(json_object_get(token, "project"), "id"));
	if (pid)
		replace_string(c, &c->project_id, xstrdup(pid));
	st.auths = 1;
	neutron_stats_add(c, &st);
	log_debug("neutron: Keystone token issued, valid %llds", (long long)lifetime_s);
	r = 0;
out:
	if (text) {
		explicit_bzero(text, strlen(text));
		free(text);
	}
	json_decref(body);
	json_decref(root);
	free(url);
	free(endpoint);
	curl_slist_free_all(headers);
	neutron_http_response_done(&resp);
	return r;
}

/* auth_lock, waited for no longer than the calling thread's deadline:
 * another thread may hold it across a Keystone call that hangs. */
static int lock_auth(struct neutron_client *c, struct neutron_error *err)
{
	struct timespec until;

	if (!neutron_deadline_abstime(&until)) {
		pthread_mutex_lock(&c->auth_lock);
		return 0;
	}
	if (pthread_mutex_clocklock(&c->auth_lock, CLOCK_MONOTONIC, &until) == 0)
		return 0;
	neutron_error_set(err, 0, "", "Keystone: no time left (another authentication is under way)");
	return -ETIME;
}

int neutron_auth_get(struct neutron_client *c, char **ret_token, char **ret_endpoint,
		     uint64_t *ret_gen, struct neutron_error *err)
{
	char *token, *endpoint;
	uint64_t now;
	int r = 0;

	if (c->auth_type == NEUTRON_AUTH_NOAUTH) {
		endpoint = strdup(c->endpoint);
		if (!endpoint)
			return -ENOMEM;
		*ret_token = NULL;
		*ret_endpoint = endpoint;
		*ret_gen = 0;
		return 0;
	}

	r = lock_auth(c, err);
	if (r < 0)
		return r;
	now = util_now_us();
	if (!c->token || now >= c->token_renew_us) {
		r = authenticate_locked(c, err);
		/* A failed renewal is not fatal while the old token lives:
		 * Keystone may be back before it expires. */
		if (r < 0 && c->token && now < c->token_expiry_us) {
			log_debug("neutron: token renewal failed, using the current token");
			r = 0;
		}
	}
	if (r == 0) {
		token = strdup(c->token);
		endpoint = strdup(c->endpoint);
		if (token && endpoint) {
			*ret_token = token;
			*ret_endpoint = endpoint;
			*ret_gen = c->auth_gen;
			token = endpoint = NULL;
		} else {
			r = -ENOMEM;
		}
		if (token)
			explicit_bzero(token, strlen(token));
		free(token);
		free(endpoint);
	}
	pthread_mutex_unlock(&c->auth_lock);
	return r;
}

int neutron_auth_ensure(struct neutron_client *c, struct neutron_error *err)
{
	char *token = NULL, *endpoint = NULL;
	uint64_t gen;
	int r;

	r = neutron_auth_get(c, &token, &endpoint, &gen, err);
	if (token)
		explicit_bzero(token, strlen(token));
	free(token);
	free(endpoint);
	return r;
}

int neutron_auth_renew_after_401(struct neutron_client *c, uint64_t gen,
				 struct neutron_error *err)
{
	int r = 0;

	if (c->auth_type == NEUTRON_AUTH_NOAUTH)
		return -EACCES;
	r = lock_auth(c, err);
	if (r < 0)
		return r;
	/* Many threads may see the same revoked token: one re-authenticates,
	 * the others find a newer generation and just retry. */
	if (c->auth_gen == gen) {
		r = authenticate_locked(c, err);
		if (r == 0) {
			neutron_stats_add(c, &(struct neutron_stats){ .reauths_on_401 = 1 });
			/* Once per revoked token: the other threads find a newer one. */
			log_info("neutron: Neutron refused the token (401: revoked or expired early); "
				 "a new one is issued");
		}
	}
	pthread_mutex_unlock(&c->auth_lock);
	return r;
}

int neutron_authenticate(struct neutron_client *c, struct neutron_error *err)
{
	int r = 0;

	if (c->auth_type == NEUTRON_AUTH_NOAUTH)
		return 0;
	pthread_mutex_lock(&c->auth_lock);
	r = authenticate_locked(c, err);
	pthread_mutex_unlock(&c->auth_lock);
	if (r < 0)
		neutron_stats_add(c, &(struct neutron_stats){ .errors = 1 });
	return r;
}

static const char *locked_get(struct neutron_client *c, char *const *field)
{
	const char *s;

	pthread_mutex_lock(&c->auth_lock);
	s = *field;
	pthread_mutex_unlock(&c->auth_lock);
	return s;
}

const char *neutron_endpoint(struct neutron_client *c)
{
	return locked_get(c, &c->endpoint);
}

const char *neutron_project_id(struct neutron_client *c)
{
	return locked_get(c, &c->project_id);
}

const char *neutron_token(struct neutron_client *c)
{
	return locked_get(c, &c->token);
}

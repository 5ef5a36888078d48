/* The Neutron client object: options and lifetime. */
#include "neutron/internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_rc = CURLE_FAILED_INIT;

static void global_init(void)
{
	/* curl_global_init is not thread-safe in older curls: once per
	 * process.  The jansson hash seed is set here too, before threads
	 * race to create the first objects. */
	global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
	json_object_seed(0);
}

static void secret_free(char *s)
{
	if (s) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

long neutron_client_timeout_ms(const struct neutron_client *c)
{
	return c->timeout_ms;
}

void neutron_client_free(struct neutron_client *c)
{
	if (!c)
		return;
	neutron_http_slots_free(c);
	neutron_auth_free(c);
	free(c->auth_url);
	free(c->username);
	secret_free(c->password);
	free(c->user_domain_name);
	free(c->project_name);
	free(c->project_domain_name);
	free(c->app_cred_id);
	secret_free(c->app_cred_secret);
	free(c->region_name);
	free(c->interface);
	free(c->cafile);
	pthread_mutex_destroy(&c->slot_lock);
	pthread_cond_destroy(&c->slot_cond);
	pthread_mutex_destroy(&c->auth_lock);
	pthread_mutex_destroy(&c->stats_lock);
	free(c);
}

static int check_opts(const struct neutron_opts *o)
{
	switch (o->auth_type) {
	case NEUTRON_AUTH_PASSWORD:
		if (!o->auth_url || !o->username || !o->password)
			return -EINVAL;
		break;
	case NEUTRON_AUTH_APP_CREDENTIAL:
		if (!o->auth_url || !o->app_cred_id || !o->app_cred_secret)
			return -EINVAL;
		break;
	case NEUTRON_AUTH_NOAUTH:
		/* Neutron refuses noauth requests without a project. */
		if (!o->endpoint_override || !o->project_id)
			return -EINVAL;
		break;
	default:
		return -EINVAL;
	}
	if (o->connect_timeout_ms < 0 || o->timeout_ms < 0 ||
	    o->retry_base_ms < 0 || o->max_concurrent < 0 || o->token_renew_margin_s < 0)
		return -EINVAL;
	if (o->max_retries > 20 || o->max_concurrent > 1024)
		return -EINVAL;
	if (o->interface && !streq(o->interface, "public") && !streq(o->interface, "internal") &&
	    !streq(o->interface, "admin"))
		return -EINVAL;
	return 0;
}

int neutron_client_new(const struct neutron_opts *opts, struct neutron_client **ret)
{
	struct neutron_client *c = NULL;
	int r;

	r = check_opts(opts);
	if (r < 0)
		goto out;
	pthread_once(&global_once, global_init);
	if (global_rc != CURLE_OK) {
		r = -ENOMEM;
		goto out;
	}

	c = xcalloc(1, sizeof(*c));
	pthread_mutex_init(&c->slot_lock, NULL);
	pthread_cond_init(&c->slot_cond, NULL);
	pthread_mutex_init(&c->auth_lock, NULL);
	pthread_mutex_init(&c->stats_lock, NULL);

	c->auth_type = opts->auth_type;
	if (opts->auth_type != NEUTRON_AUTH_NOAUTH) {
		r = neutron_auth_url_normalize(opts->auth_url, &c->auth_url);
		if (r < 0)
			goto out;
	}
	c->username = xstrdup_opt(opts->username);
	c->password = xstrdup_opt(opts->password);
	c->user_domain_name = xstrdup(opts->user_domain_name ? opts->user_domain_name : "Default");
	c->project_name = xstrdup_opt(opts->project_name);
	c->project_domain_name =
		xstrdup(opts->project_domain_name ? opts->project_domain_name : "Default");
	c->app_cred_id = xstrdup_opt(opts->app_cred_id);
	c->app_cred_secret = xstrdup_opt(opts->app_cred_secret);
	c->region_name = xstrdup_opt(opts->region_name);
	c->interface = xstrdup(opts->interface ? opts->interface : "public");
	c->cafile = xstrdup_opt(opts->cafile);
	c->insecure = opts->insecure;
	c->connect_timeout_ms = opts->connect_timeout_ms ? opts->connect_timeout_ms : 5000;
	c->timeout_ms = opts->timeout_ms ? opts->timeout_ms : 30000;
	/* Zeroed options mean defaults; a negative count means no retries. */
	c->max_retries = opts->max_retries == 0 ? 3 : opts->max_retries < 0 ? 0 : opts->max_retries;
	c->retry_base_ms = opts->retry_base_ms ? opts->retry_base_ms : 200;
	c->max_concurrent = opts->max_concurrent ? opts->max_concurrent : 8;
	c->renew_margin_s = opts->token_renew_margin_s ? opts->token_renew_margin_s : 300;
	c->slots = xcalloc((size_t)c->max_concurrent, sizeof(*c->slots));

	if (opts->endpoint_override) {
		r = neutron_endpoint_normalize(opts->endpoint_override, &c->endpoint);
		if (r < 0)
			goto out;
		c->endpoint_fixed = true;
	}
	/* noauth: the project comes from the options, never from a token. */
	if (opts->auth_type == NEUTRON_AUTH_NOAUTH)
		c->project_id = xstrdup(opts->project_id);

	*ret = c;
	c = NULL;
	r = 0;
out:
	neutron_client_free(c);
	return r;
}

#include "neutron/opts.h"

#include <errno.h>

static int auth_type_of(int config_auth, enum neutron_auth_type *ret)
{
	switch (config_auth) {
	case CONFIG_AUTH_PASSWORD:
		*ret = NEUTRON_AUTH_PASSWORD;
		return 0;
	case CONFIG_AUTH_APP_CREDENTIAL:
		*ret = NEUTRON_AUTH_APP_CREDENTIAL;
		return 0;
	case CONFIG_AUTH_NOAUTH:
		*ret = NEUTRON_AUTH_NOAUTH;
		return 0;
	}
	return -EINVAL;
}

int neutron_opts_from_config(const struct config_neutron *n, struct neutron_opts *ret)
{
	enum neutron_auth_type auth;
	int r;

	r = auth_type_of(n->auth_type, &auth);
	if (r < 0)
		return r;
	*ret = (struct neutron_opts){
		.auth_type = auth,
		.auth_url = n->auth_url,
		.username = n->username,
		.password = n->password,
		.user_domain_name = n->user_domain_name,
		.project_name = n->project_name,
		.project_domain_name = n->project_domain_name,
		.app_cred_id = n->app_cred_id,
		.app_cred_secret = n->app_cred_secret,
		.region_name = n->region_name,
		.interface = config_interface_name(n->interface),
		.endpoint_override = n->endpoint_override,
		.project_id = n->project_id,
		.cafile = n->cafile,
		.insecure = n->insecure,
		.connect_timeout_ms = n->connect_timeout_s * 1000L,
		.timeout_ms = n->timeout_s * 1000L,
		/* The client reads 0 as its default: here 0 means no retries. */
		.max_retries = n->max_retries > 0 ? n->max_retries : -1,
		.retry_base_ms = 200,
		.max_concurrent = n->max_concurrent,
		.token_renew_margin_s = 300,
	};
	return 0;
}

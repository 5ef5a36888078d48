/* sfctl doctor: Keystone, Neutron, its extensions and this host's agent. */
#include "cli/doctor_neutron.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* Errors that mean no HTTP answer came back at all. */
static bool unreachable(int r, const struct neutron_error *err)
{
	return err->http_status == 0 &&
	       (r == -ECONNREFUSED || r == -EHOSTUNREACH || r == -ENETUNREACH ||
		r == -ETIMEDOUT || r == -ECONNRESET || r == -EPROTO || r == -EIO);
}

void doctor_check_keystone(struct doctor *d)
{
	const struct config_neutron *n;
	struct neutron_error err = { .http_status = 0 };
	const char *url;
	int r;

	if (!d->nc) {
		doctor_report_add(d, "keystone", DOCTOR_SKIP, NULL, "no usable configuration");
		return;
	}
	n = &d->cfg->neutron;
	url = n->auth_url;
	if (n->auth_type == CONFIG_AUTH_NOAUTH) {
		d->authenticated = true;
		doctor_report_add(d, "keystone", DOCTOR_SKIP, NULL,
			   "auth_type = noauth: Keystone is not used");
		return;
	}
	r = neutron_authenticate(d->nc, &err);
	if (r == 0) {
		d->authenticated = true;
		if (n->auth_type == CONFIG_AUTH_APP_CREDENTIAL)
			doctor_report_add(d, "keystone", DOCTOR_OK, NULL,
				   "Keystone at %s accepted application credential '%s'", url,
				   n->app_cred_id);
		else
			doctor_report_add(d, "keystone", DOCTOR_OK, NULL,
				   "Keystone at %s accepted user '%s' in project '%s'", url,
				   n->username, n->project_name);
		return;
	}
	if (unreachable(r, &err))
		doctor_report_add(d, "keystone", DOCTOR_FAIL,
			   "is Keystone running, and is [neutron] auth_url right?",
			   "cannot reach Keystone at %s: %s", url, err.message);
	else if (err.http_status == 401)
		doctor_report_add(d, "keystone", DOCTOR_FAIL,
			   n->auth_type == CONFIG_AUTH_APP_CREDENTIAL ?
			   "check application_credential_id and _secret (and that the credential "
			   "has not expired)" :
			   "check username, password (in the credentials file if there is one), "
			   "user_domain_name, project_name and project_domain_name",
			   "Keystone refused the credentials (401): %s", err.message);
	else if (err.http_status)
		doctor_report_add(d, "keystone", DOCTOR_FAIL, NULL, "Keystone at %s answered HTTP %d: %s",
			   url, err.http_status, err.message);
	else
		doctor_report_add(d, "keystone", DOCTOR_FAIL,
			   strstr(err.message, "endpoint") ?
			   "check [neutron] region_name and interface, or set endpoint_override" :
			   NULL,
			   "%s", err.message[0] ? err.message : strerror(-r));
}

void doctor_check_neutron(struct doctor *d)
{
	struct neutron_error err = { .http_status = 0 };
	const char *endpoint, *from;
	int r;

	if (!d->authenticated) {
		doctor_report_add(d, "neutron", DOCTOR_SKIP, NULL, "needs a Keystone token first");
		return;
	}
	from = d->cfg->neutron.endpoint_override ? "endpoint_override" : "the Keystone catalog";
	r = neutron_extensions_list(d->nc, &d->extensions, &err);
	endpoint = neutron_endpoint(d->nc);
	if (!endpoint)
		endpoint = d->cfg->neutron.endpoint_override ? d->cfg->neutron.endpoint_override :
			   "(unknown)";
	if (r == 0) {
		doctor_report_add(d, "neutron", DOCTOR_OK, NULL, "Neutron at %s (from %s) answers", endpoint,
			   from);
		return;
	}
	if (unreachable(r, &err))
		doctor_report_add(d, "neutron", DOCTOR_FAIL,
			   "is neutron-server running, and reachable from this host at that address?",
			   "cannot reach Neutron at %s (from %s): %s", endpoint, from, err.message);
	else if (err.http_status)
		doctor_report_add(d, "neutron", DOCTOR_FAIL, NULL, "Neutron at %s answered HTTP %d: %s",
			   endpoint, err.http_status, err.message);
	else
		doctor_report_add(d, "neutron", DOCTOR_FAIL, NULL, "Neutron at %s: %s", endpoint,
			   err.message[0] ? err.message : strerror(-r));
}

static bool has_extension(const json_t *list, const char *alias)
{
	const json_t *ext;
	size_t i;

	json_array_foreach(list, i, ext)
		if (streq(json_string_value(json_object_get(ext, "alias")), alias))
			return true;
	return false;
}

void doctor_check_extensions(struct doctor *d)
{
	/* Needed in every mode, then only by one nested mode. */
	static const struct {
		const char *alias, *alt, *why;
		bool required;
	} wanted[] = {
		{ "binding", NULL, "binding a port to this host", true },
		{ "standard-attr-tag", "tag", "tagging the ports superfluid owns", true },
		{ "trunk", NULL, "nested VLAN mode", false },
		{ "allowed-address-pairs", NULL, "nested macvlan mode", false },
	};
	char missing[256] = "", present[256] = "";
	enum doctor_status status = DOCTOR_OK;

	if (!d->extensions) {
		doctor_report_add(d, "extensions", DOCTOR_SKIP, NULL, "Neutron did not answer");
		return;
	}
	for (size_t i = 0; i < ARRAY_SIZE(wanted); i++) {
		bool have = has_extension(d->extensions, wanted[i].alias) ||
			    (wanted[i].alt && has_extension(d->extensions, wanted[i].alt));
		char *buf = have ? present : missing;
		size_t len = strlen(buf);

		if (have)
			snprintf(buf + len, sizeof(present) - len, "%s%s", len ? ", " : "",
				 wanted[i].alias);
		else
			snprintf(buf + len, sizeof(missing) - len, "%s%s (for %s)", len ? ", " : "",
				 wanted[i].alias, wanted[i].why);
		if (!have)
			status = wanted[i].required ? DOCTOR_FAIL :
				 status == DOCTOR_OK ? DOCTOR_WARN : status;
	}
	if (status == DOCTOR_OK)
		doctor_report_add(d, "extensions", DOCTOR_OK, NULL, "present: %s", present);
	else
		doctor_report_add(d, "extensions", status,
			   "enable them in neutron-server (service_plugins = trunk for trunks)",
			   "missing: %s; present: %s", missing, present[0] ? present : "none");
}

/* The agent types that bind ports to a host. */
static bool binds_ports(const char *type)
{
	static const char *const l2[] = {
		"Linux bridge agent", "Open vSwitch agent", "OVN Controller agent",
		"OVN Controller Gateway agent", "NIC Switch agent", "Macvtap agent",
	};

	for (size_t i = 0; type && i < ARRAY_SIZE(l2); i++)
		if (strcmp(type, l2[i]) == 0)
			return true;
	return false;
}

/* "a, b, c" of the distinct `key` values of the objects in `list`. */
static void join_values(const json_t *list, const char *key, bool alive_only, char *buf,
			size_t size)
{
	const json_t *o;
	size_t i, len = 0;

	buf[0] = '\0';
	json_array_foreach(list, i, o) {
		const char *v = json_string_value(json_object_get(o, key));

		if (!v || (alive_only && !json_is_true(json_object_get(o, "alive"))))
			continue;
		if (strstr(buf, v))
			continue;   /* close enough for a message */
		len = strlen(buf);
		snprintf(buf + len, size - len, "%s%s", len ? ", " : "", v);
	}
}

void doctor_check_agent(struct doctor *d)
{
	struct neutron_error err = { .http_status = 0 };
	json_t *agents = NULL, *all = NULL;
	char alive[256], dead[256], hosts[180], hint[256];
	const char *host;
	bool l2 = false;
	const json_t *a;
	size_t i;
	int r;

	if (!d->extensions) {
		doctor_report_add(d, "agent", DOCTOR_SKIP, NULL, "Neutron did not answer");
		return;
	}
	host = d->cfg->host.name;
	r = neutron_agents_list(d->nc, host, &agents, &err);
	if (r < 0) {
		doctor_report_add(d, "agent", DOCTOR_FAIL,
			   err.http_status == 403 ? "listing agents needs the admin role, as "
			   "setting binding:host_id does" : NULL,
			   "cannot list the Neutron agents of host '%s': %s", host,
			   err.message[0] ? err.message : strerror(-r));
		goto out;
	}
	json_array_foreach(agents, i, a) {
		const char *type = json_string_value(json_object_get(a, "agent_type"));

		if (!json_is_true(json_object_get(a, "alive")))
			continue;
		l2 = l2 || binds_ports(type);
		d->ovs_agent = d->ovs_agent || (type && streq(type, "Open vSwitch agent"));
		d->ovn_agent = d->ovn_agent || (type && (streq(type, "OVN Controller agent") ||
							 streq(type, "OVN Controller Gateway agent")));
	}
	join_values(agents, "agent_type", true, alive, sizeof(alive));
	if (alive[0] && l2) {
		doctor_report_add(d, "agent", DOCTOR_OK, NULL, "alive on host '%s': %s", host, alive);
		goto out;
	}
	if (alive[0]) {
		doctor_report_add(d, "agent", DOCTOR_FAIL,
			   "start the host's L2 agent (Linux bridge, Open vSwitch or OVN)",
			   "alive on host '%s': %s, but none that binds ports", host, alive);
		goto out;
	}
	if (json_array_size(agents)) {
		join_values(agents, "agent_type", false, dead, sizeof(dead));
		doctor_report_add(d, "agent", DOCTOR_FAIL,
			   "start the agent, and check that it reaches the message bus",
			   "the agents of host '%s' are not alive: %s", host, dead);
		goto out;
	}
	/* No agent at all under this name: list the names Neutron knows. */
	if (neutron_agents_list(d->nc, NULL, &all, &err) == 0 && json_array_size(all)) {
		join_values(all, "host", false, hosts, sizeof(hosts));
		snprintf(hint, sizeof(hint),
			 "[host] name must be the agent's `host`; agents report for: %s", hosts);
		doctor_report_add(d, "agent", DOCTOR_FAIL, hint, "no Neutron agent reports for host '%s'",
			   host);
	} else {
		doctor_report_add(d, "agent", DOCTOR_FAIL,
			   "start an L2 agent on this host (and note that listing agents needs the "
			   "admin role)",
			   "no Neutron agent reports for host '%s', nor for any host", host);
	}
out:
	json_decref(agents);
	json_decref(all);
}

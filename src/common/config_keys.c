/* The tables superfluid.conf is read against (config_section.h): every
 * section and key, its type, default, range and help text.  The man page
 * superfluid.conf(5) and the example config are generated from them
 * (config_doc.h): a key's line without its help does not compile. */
#include "common/config.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define N(field) offsetof(struct config_neutron, field)
#define H(field) offsetof(struct config_host, field)
#define D(field) offsetof(struct config_daemon, field)
#define PS(field) offsetof(struct config_pools, field)
#define P(field) offsetof(struct config_pool, field)
#define S(field) offsetof(struct config_site, field)

static const struct config_enum_value auth_types[] = {
	{ "password", CONFIG_AUTH_PASSWORD },
	{ "v3applicationcredential", CONFIG_AUTH_APP_CREDENTIAL },
	{ "noauth", CONFIG_AUTH_NOAUTH },
	{ NULL, 0 },
};

static const struct config_enum_value interfaces[] = {
	{ "public", CONFIG_INTERFACE_PUBLIC },
	{ "internal", CONFIG_INTERFACE_INTERNAL },
	{ "admin", CONFIG_INTERFACE_ADMIN },
	{ NULL, 0 },
};

static const struct config_enum_value modes[] = {
	{ "bridge", CONFIG_MODE_BRIDGE },
	{ "macvlan", CONFIG_MODE_MACVLAN },
	{ "vlan", CONFIG_MODE_VLAN },
	{ NULL, 0 },
};

static const struct config_key neutron_keys[] = {
	{ "auth_type",
	  "How to authenticate to Keystone: password (Keystone v3 user and password), "
	  "v3applicationcredential (an application credential), or noauth (a "
	  "neutron-server with auth_strategy = noauth; no Keystone).",
	  CONFIG_ENUM, N(auth_type), "password", 0, 0, auth_types, 0 },
	{ "auth_url",
	  "Keystone's v3 endpoint, as http(s)://HOST:PORT/v3. Required unless auth_type "
	  "is noauth.",
	  CONFIG_STRING, N(auth_url), NULL, 0, 0, NULL, 0 },
	{ "username",
	  "The Keystone user (auth_type password).",
	  CONFIG_STRING, N(username), NULL, 0, 0, NULL, 0 },
	{ "password",
	  "That user's password. Keep it in credentials_file: a main file holding it "
	  "must not be readable by group or others.",
	  CONFIG_STRING, N(password), NULL, 0, 0, NULL, CONFIG_SECRET },
	{ "user_domain_name",
	  "The user's Keystone domain.",
	  CONFIG_STRING, N(user_domain_name), "Default", 0, 0, NULL, 0 },
	{ "project_name",
	  "The project the daemon's ports belong to (auth_type password).",
	  CONFIG_STRING, N(project_name), NULL, 0, 0, NULL, 0 },
	{ "project_domain_name",
	  "That project's Keystone domain.",
	  CONFIG_STRING, N(project_domain_name), "Default", 0, 0, NULL, 0 },
	{ "application_credential_id",
	  "The application credential's id (auth_type v3applicationcredential).",
	  CONFIG_STRING, N(app_cred_id), NULL, 0, 0, NULL, 0 },
	{ "application_credential_secret",
	  "The application credential's secret; keep it in credentials_file too.",
	  CONFIG_STRING, N(app_cred_secret), NULL, 0, 0, NULL, CONFIG_SECRET },
	{ "region_name",
	  "The region whose network endpoint is taken from Keystone's catalog; unset: the "
	  "first one.",
	  CONFIG_STRING, N(region_name), NULL, 0, 0, NULL, 0 },
	{ "interface",
	  "Which endpoint of the catalog to use: public, internal or admin.",
	  CONFIG_ENUM, N(interface), "public", 0, 0, interfaces, 0 },
	{ "endpoint_override",
	  "Neutron's URL (http://HOST:9696), skipping the catalog. Required with "
	  "auth_type noauth.",
	  CONFIG_STRING, N(endpoint_override), NULL, 0, 0, NULL, 0 },
	{ "project_id",
	  "With auth_type noauth only, and required there: the project id sent as "
	  "X-Project-Id.",
	  CONFIG_STRING, N(project_id), NULL, 0, 0, NULL, 0 },
	{ "cafile",
	  "CA certificates (PEM) to verify Keystone's and Neutron's TLS certificates; "
	  "unset: the system's.",
	  CONFIG_PATH, N(cafile), NULL, 0, 0, NULL, 0 },
	{ "insecure",
	  "true turns TLS certificate verification off (never in production).",
	  CONFIG_BOOL, N(insecure), "false", 0, 0, NULL, 0 },
	{ "connect_timeout",
	  "Seconds to wait for a connection to Keystone or Neutron.",
	  CONFIG_INT, N(connect_timeout_s), "5", 1, 120, NULL, 0 },
	{ "timeout",
	  "Seconds for a whole request, answer included.",
	  CONFIG_INT, N(timeout_s), "30", 1, 600, NULL, 0 },
	{ "max_retries",
	  "Times a failed idempotent request (no answer, or a 5xx) is retried, with "
	  "backoff.",
	  CONFIG_INT, N(max_retries), "3", 0, 10, NULL, 0 },
	{ "max_concurrent",
	  "Requests to Neutron in flight at once, at most.",
	  CONFIG_INT, N(max_concurrent), "8", 1, 256, NULL, 0 },
	{ "credentials_file",
	  "A file with a [neutron] section holding the secrets (password, "
	  "application_credential_id, application_credential_secret), overriding the keys "
	  "here. It must be a regular file owned by root with no permissions for group "
	  "and others (mode 0600), and not a symbolic link.",
	  CONFIG_PATH, N(credentials_file), NULL, 0, 0, NULL, 0 },
};

static const struct config_key host_keys[] = {
	{ "name",
	  "The name Neutron knows this host by (its L2 agent's host): the daemon's ports "
	  "get binding:host_id = NAME. In a VM (nested modes) it only names the daemon's "
	  "ports (tag sf-host=NAME).",
	  CONFIG_STRING, H(name), NULL, 0, 0, NULL, CONFIG_REQUIRED },
	{ "mode",
	  "How containers reach their ports: bridge (bare metal: the host's Linux bridge "
	  "or Open vSwitch agent, whichever Neutron binds the port with), macvlan (in a "
	  "VM: a macvlan on link_interface and allowed address pairs on the VM's port) or "
	  "vlan (in a VM: an 802.1Q device and trunk subports).",
	  CONFIG_ENUM, H(mode), "bridge", 0, 0, modes, 0 },
	{ "link_interface",
	  "Nested modes: the VM's network interface that carries the containers' traffic. "
	  "Required with mode macvlan or vlan.",
	  CONFIG_STRING, H(link_interface), NULL, 0, 0, NULL, 0 },
	{ "vm_port",
	  "Nested modes: the id of the VM's Neutron port; unset: the port whose MAC is "
	  "link_interface's.",
	  CONFIG_STRING, H(vm_port), NULL, 0, 0, NULL, 0 },
	{ "ovsdb",
	  "Open vSwitch hosts: OVSDB's address, passed to ovs-vsctl as --db.",
	  CONFIG_STRING, H(ovsdb), "unix:/run/openvswitch/db.sock", 0, 0, NULL, 0 },
	{ "ovs_vsctl",
	  "Open vSwitch hosts: the ovs-vsctl program (a name looked up in PATH, or a "
	  "path).",
	  CONFIG_STRING, H(ovs_vsctl), "ovs-vsctl", 0, 0, NULL, 0 },
	{ "site",
	  "The site this host belongs to (lowercase letters, digits and '-'): its ports "
	  "are tagged sf-site=SITE, a [site SITE] section sizes its pools, and sfctl "
	  "doctor checks it against the availability zone of the host's agents.",
	  CONFIG_STRING, H(site), NULL, 0, 0, NULL, 0 },
};

static const struct config_key daemon_keys[] = {
	{ "socket",
	  "The unix socket the CNI plugin and sfctl talk to (mode 0600: root only).",
	  CONFIG_PATH, D(socket), "/run/superfluid/superfluid.sock", 0, 0, NULL, 0 },
	{ "state_dir",
	  "The daemon's durable state: state.db (SQLite) and pools.json. Kept across "
	  "restarts and package removal.",
	  CONFIG_PATH, D(state_dir), "/var/lib/superfluid", 0, 0, NULL, 0 },
	{ "metrics_address",
	  "HOST:PORT of the /healthz, /readyz and /metrics endpoint; IPv6 as [::1]:9777. "
	  "The host must be a numeric loopback address (127.0.0.0/8 or ::1).",
	  CONFIG_STRING, D(metrics_address), "127.0.0.1:9777", 0, 0, NULL, 0 },
	{ "deployment",
	  "Every port the daemon makes is tagged sf-deployment=DEPLOYMENT, and its host "
	  "interfaces carry it in their alias: one value per cluster, so that two "
	  "clusters sharing a Neutron never collect each other's ports.",
	  CONFIG_STRING, D(deployment), "superfluid", 0, 0, NULL, 0 },
	{ "workers",
	  "Request threads; a cold ADD holds one for seconds, so at most all but one wait "
	  "on Neutron at once: a further ADD on an empty pool fails at once with CNI code 11.",
	  CONFIG_INT, D(workers), "32", 1, 1024, NULL, 0 },
	{ "netns",
	  "Join this network namespace (a path such as /run/netns/host1) at start; for "
	  "simulated hosts and tests.",
	  CONFIG_PATH, D(netns), NULL, 0, 0, NULL, 0 },
	{ "gc_interval",
	  "Seconds between garbage collection passes; a leak is cleaned when two passes "
	  "in a row found it.",
	  CONFIG_INT, D(gc_interval_s), "60", 5, 86400, NULL, 0 },
};

static const struct config_key pools_keys[] = {
	{ "min",
	  "A pool is refilled when its ready plus wiring ports fall below this.",
	  CONFIG_INT, PS(min), "4", 0, 10000, NULL, 0 },
	{ "max",
	  "Ready ports kept at most; a released port beyond this is deleted.",
	  CONFIG_INT, PS(max), "32", 0, 10000, NULL, 0 },
	{ "batch",
	  "Ports asked for in one bulk create, at least.",
	  CONFIG_INT, PS(batch), "8", 1, 1000, NULL, 0 },
	{ "cooldown_ms",
	  "Milliseconds a released port waits before it is reused.",
	  CONFIG_INT, PS(cooldown_ms), "2000", 0, 3600000, NULL, 0 },
	{ "active_timeout",
	  "Seconds for a new port to turn ACTIVE (the L2 agent wires it).",
	  CONFIG_INT, PS(active_timeout_s), "60", 1, 3600, NULL, 0 },
	{ "cold_add_timeout",
	  "Seconds an ADD on an empty pool waits for a new port, its create included; "
	  "then the ADD fails with CNI code 11 and the port stays in the pool.",
	  CONFIG_INT, PS(cold_add_timeout_s), "30", 1, 3600, NULL, 0 },
	{ "quiet_ms",
	  "Neutron work (refills, holder updates) waits for this many milliseconds "
	  "without a CNI request...",
	  CONFIG_INT, PS(quiet_ms), "300", 0, 60000, NULL, 0 },
	{ "max_defer_ms",
	  "...but never longer than this many milliseconds.",
	  CONFIG_INT, PS(max_defer_ms), "5000", 0, 600000, NULL, 0 },
	{ "refill_interval_ms",
	  "Milliseconds between the refiller's passes when nothing wakes it.",
	  CONFIG_INT, PS(refill_interval_ms), "1000", 50, 600000, NULL, 0 },
	{ "on_demand",
	  "true: an ADD on an empty pool creates a port and waits for it "
	  "(cold_add_timeout); false: it fails at once with CNI code 11.",
	  CONFIG_BOOL, PS(on_demand), "true", 0, 0, NULL, 0 },
};

static const struct config_key pool_keys[] = {
	{ "network",
	  "The pool's Neutron network, by name or id.",
	  CONFIG_STRING, P(network), NULL, 0, 0, NULL, CONFIG_REQUIRED },
	{ "subnet",
	  "The subnet the ports' addresses come from, by name or id; unset: Neutron "
	  "picks.",
	  CONFIG_STRING, P(subnet), NULL, 0, 0, NULL, 0 },
	{ "security_groups",
	  "Security groups of the pool's ports, by name or id, separated by commas; "
	  "unset: the project's default group.",
	  CONFIG_STRING, P(security_groups_raw), NULL, 0, 0, NULL, 0 },
	{ "mtu",
	  "The containers' MTU, at most the network's; 0: the network's.",
	  CONFIG_INT, P(mtu), "0", 0, 65535, NULL, 0 },
	{ "min",
	  "As in [pools], for this pool; -1: from [site SITE] or [pools].",
	  CONFIG_INT, P(min), "-1", -1, 10000, NULL, 0 },
	{ "max",
	  "As in [pools], for this pool; -1: from [site SITE] or [pools].",
	  CONFIG_INT, P(max), "-1", -1, 10000, NULL, 0 },
	{ "batch",
	  "As in [pools], for this pool; -1: from [site SITE] or [pools].",
	  CONFIG_INT, P(batch), "-1", -1, 1000, NULL, 0 },
	{ "service",
	  "A service's own pool (docs/superfluidity.md): its ports are made instances of this "
	  "service (its address as an allowed address pair, its member tag), for containers whose "
	  "network config names the service, so that a deploy on the fly waits for no Neutron "
	  "write and no agent. Unset: a plain pool.",
	  CONFIG_STRING, P(service), NULL, 0, 0, NULL, 0 },
};

static const struct config_key site_keys[] = {
	{ "min",
	  "[pools] min on the hosts of this site; -1: [pools]'.",
	  CONFIG_INT, S(min), "-1", -1, 10000, NULL, 0 },
	{ "max",
	  "[pools] max on the hosts of this site; -1: [pools]'.",
	  CONFIG_INT, S(max), "-1", -1, 10000, NULL, 0 },
	{ "batch",
	  "[pools] batch on the hosts of this site; -1: [pools]'.",
	  CONFIG_INT, S(batch), "-1", -1, 1000, NULL, 0 },
};

/* The credentials file holds only secrets, in a [neutron] section whose
 * keys override the main file's. */
static const struct config_key credential_keys[] = {
	{ "password",
	  "That user's password. Keep it in credentials_file: a main file holding it "
	  "must not be readable by group or others.",
	  CONFIG_STRING, N(password), NULL, 0, 0, NULL, CONFIG_SECRET },
	{ "application_credential_id",
	  "The application credential's id (auth_type v3applicationcredential).",
	  CONFIG_STRING, N(app_cred_id), NULL, 0, 0, NULL, 0 },
	{ "application_credential_secret",
	  "The application credential's secret; keep it in credentials_file too.",
	  CONFIG_STRING, N(app_cred_secret), NULL, 0, 0, NULL, CONFIG_SECRET },
};

static void *section_neutron(void *user, const char *name) { return &((struct config *)user)->neutron; }
static void *host_section(void *user, const char *name) { return &((struct config *)user)->host; }
static void *section_daemon(void *user, const char *name) { return &((struct config *)user)->daemon; }
static void *pools_section(void *user, const char *name) { return &((struct config *)user)->pools; }

static void *section_pool(void *user, const char *name)
{
	struct config *cfg = user;
	struct config_pool *p;

	if (cfg->n_pools == CONFIG_MAX_POOLS) {
		errno = ENOSPC;
		return NULL;
	}
	p = &cfg->pool_list[cfg->n_pools];
	p->name = strdup(name);
	if (!p->name)
		return NULL;   /* errno is ENOMEM */
	cfg->n_pools++;
	return p;
}

static void *section_site(void *user, const char *name)
{
	struct config *cfg = user;
	struct config_site *site;

	if (cfg->n_sites == CONFIG_MAX_SITES) {
		errno = ENOSPC;
		return NULL;
	}
	site = &cfg->site_list[cfg->n_sites];
	site->name = strdup(name);
	if (!site->name)
		return NULL;   /* errno is ENOMEM */
	cfg->n_sites++;
	return site;
}

static const struct config_section_kind main_kinds[] = {
	{ "neutron", false, neutron_keys, ARRAY_SIZE(neutron_keys), section_neutron,
	  "How to reach Keystone and Neutron, and as whom." },
	{ "host", false, host_keys, ARRAY_SIZE(host_keys), host_section,
	  "This host: its name in Neutron, how containers reach their ports, its site." },
	{ "daemon", false, daemon_keys, ARRAY_SIZE(daemon_keys), section_daemon,
	  "superfluidd itself: its socket, state, metrics endpoint and threads." },
	{ "pools", false, pools_keys, ARRAY_SIZE(pools_keys), pools_section,
	  "Defaults for every pool; a pool is one (network, subnet, security groups, MTU) "
	  "on this host. Pool sizes and [pool NAME] sections take effect on SIGHUP." },
	{ "site", true, site_keys, ARRAY_SIZE(site_keys), section_site,
	  "Pool sizes on the hosts of site NAME (say, small edge hosts): over [pools], on a "
	  "host whose [host] site is NAME; a [pool NAME]'s own sizes still win. Any number "
	  "of sites." },
	{ "pool", true, pool_keys, ARRAY_SIZE(pool_keys), section_pool,
	  "A pool filled at start, before any container asks. Pools are also made on the "
	  "first ADD that names a new (network, subnet, security groups, MTU)." },
};

static const struct config_section_kind credential_kinds[] = {
	{ "neutron", false, credential_keys, ARRAY_SIZE(credential_keys), section_neutron,
	  "The secrets, in the file credentials_file names; they override the main file's." },
};

const struct config_section_kind *config_kinds(size_t *ret_n)
{
	*ret_n = ARRAY_SIZE(main_kinds);
	return main_kinds;
}

const struct config_section_kind *config_credential_kinds(size_t *ret_n)
{
	*ret_n = ARRAY_SIZE(credential_kinds);
	return credential_kinds;
}

const char *config_interface_name(int interface)
{
	for (const struct config_enum_value *e = interfaces; e->name; e++)
		if (e->value == interface)
			return e->name;
	return "public";
}

const char *config_mode_name(int mode)
{
	for (const struct config_enum_value *e = modes; e->name; e++)
		if (e->value == mode)
			return e->name;
	return "bridge";
}

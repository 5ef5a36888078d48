#include "common/config.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <sys/stat.h>
#include <unistd.h>

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
	  "Request threads; a cold ADD holds one for seconds.",
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
#define POOL_KIND (&main_kinds[ARRAY_SIZE(main_kinds) - 1])
#define SITE_KIND (&main_kinds[ARRAY_SIZE(main_kinds) - 2])

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

/* Opens `path` for reading and checks what fstat says about the open file,
 * so nothing can be swapped in between.  O_NONBLOCK: a FIFO must not hang
 * us (regular files ignore it).  On success *ret_fd and *ret_st. */
static int open_checked(const char *path, bool credentials, int *ret_fd, struct stat *ret_st,
			struct config_error *err)
{
	int flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK | (credentials ? O_NOFOLLOW : 0);
	const char *what = credentials ? "credentials file" : "configuration file";
	mode_t perm;
	struct stat st;
	int fd, r;

	fd = open(path, flags);
	if (fd < 0) {
		r = -errno;
		if (r == -ELOOP && credentials)
			config_error_set(err, path, 0, NULL, NULL,
					 "the %s is a symbolic link: refused (name the file itself)",
					 what);
		else
			config_error_set(err, path, 0, NULL, NULL, "cannot open the %s: %s", what,
					 strerror(-r));
		goto out;
	}
	if (fstat(fd, &st) < 0) {
		r = -errno;
		config_error_set(err, path, 0, NULL, NULL, "cannot stat the %s: %s", what,
				 strerror(-r));
		goto out;
	}
	perm = st.st_mode & 07777;
	r = -EPERM;
	if (!S_ISREG(st.st_mode)) {
		config_error_set(err, path, 0, NULL, NULL, "the %s is not a regular file: refused",
				 what);
		goto out;
	}
	if (credentials && st.st_uid != 0) {
		config_error_set(err, path, 0, NULL, NULL,
				 "the %s is owned by uid %u, not root: refused (chown root: '%s')",
				 what, (unsigned)st.st_uid, path);
		goto out;
	}
	if (credentials && (perm & 077)) {
		config_error_set(err, path, 0, NULL, NULL,
				 "the %s has mode %04o, which lets group or others use it: refused "
				 "(chmod 0600 '%s')", what, (unsigned)perm, path);
		goto out;
	}
	if (!credentials && st.st_uid != 0 && st.st_uid != geteuid()) {
		config_error_set(err, path, 0, NULL, NULL,
				 "the %s is owned by uid %u, neither root nor us: refused", what,
				 (unsigned)st.st_uid);
		goto out;
	}
	if (!credentials && (perm & 022)) {
		config_error_set(err, path, 0, NULL, NULL,
				 "the %s has mode %04o, writable by group or others: refused "
				 "(chmod go-w '%s')", what, (unsigned)perm, path);
		goto out;
	}
	*ret_fd = fd;
	*ret_st = st;
	fd = -1;
	r = 0;
out:
	if (fd >= 0)
		close(fd);
	return r;
}

static int parse_path(const char *path, bool credentials, struct config *cfg,
		      struct config_error *err)
{
	const struct config_section_kind *kinds = credentials ? credential_kinds : main_kinds;
	size_t n_kinds = credentials ? ARRAY_SIZE(credential_kinds) : ARRAY_SIZE(main_kinds);
	struct stat st = { 0 };
	FILE *f = NULL;
	int fd = -1, r;

	r = open_checked(path, credentials, &fd, &st, err);
	if (r < 0)
		goto out;
	f = fdopen(fd, "re");
	if (!f) {
		r = -errno;
		config_error_set(err, path, 0, NULL, NULL, "cannot read: %s", strerror(-r));
		goto out;
	}
	fd = -1;  /* f owns it now */
	r = config_parse_file(f, path, kinds, n_kinds, cfg, err);
	if (r < 0)
		goto out;
	/* A secret in a file that group or others can read is as good as
	 * published: ask for the credentials file (or a stricter mode). */
	if (!credentials && (st.st_mode & 044) &&
	    (cfg->neutron.password || cfg->neutron.app_cred_secret)) {
		r = config_error_set(err, path, 0, "neutron",
				     cfg->neutron.password ? "password" :
				     "application_credential_secret",
				     "holds a secret ('%s') but is readable by group or others: "
				     "refused (move it to credentials_file, or chmod 0600 '%s')",
				     cfg->neutron.password ? "password" :
				     "application_credential_secret", path);
		r = -EPERM;
		goto out;
	}
	r = 0;
out:
	if (f)
		fclose(f);
	if (fd >= 0)
		close(fd);
	return r;
}

/* What each auth_type needs, wherever it was set. */
static int check_auth(const struct config *cfg, struct config_error *err)
{
	const struct config_neutron *n = &cfg->neutron;
	struct need { const char *key; const char *value; bool secret; };
	const struct need password[] = {
		{ "auth_url", n->auth_url, false }, { "username", n->username, false },
		{ "password", n->password, true }, { "project_name", n->project_name, false },
	};
	const struct need app_cred[] = {
		{ "auth_url", n->auth_url, false },
		{ "application_credential_id", n->app_cred_id, false },
		{ "application_credential_secret", n->app_cred_secret, true },
	};
	const struct need noauth[] = {
		{ "endpoint_override", n->endpoint_override, false },
		{ "project_id", n->project_id, false },
	};
	const struct need *needs;
	const char *type;
	size_t count;

	switch (n->auth_type) {
	case CONFIG_AUTH_APP_CREDENTIAL:
		needs = app_cred, count = ARRAY_SIZE(app_cred), type = "v3applicationcredential";
		break;
	case CONFIG_AUTH_NOAUTH:
		needs = noauth, count = ARRAY_SIZE(noauth), type = "noauth";
		break;
	default:
		needs = password, count = ARRAY_SIZE(password), type = "password";
		break;
	}
	for (size_t i = 0; i < count; i++) {
		if (needs[i].value)
			continue;
		if (needs[i].secret && n->credentials_file)
			return config_error_set(err, cfg->path, 0, "neutron", needs[i].key,
						"key '%s' in [neutron] is required with auth_type = %s, "
						"but neither this file nor the credentials file '%s' "
						"sets it", needs[i].key, type, n->credentials_file);
		return config_error_set(err, cfg->path, 0, "neutron", needs[i].key,
					"key '%s' in [neutron] is required with auth_type = %s",
					needs[i].key, type);
	}
	return 0;
}

/* Nested modes need the VM's NIC; its keys mean nothing on bare metal. */
static int check_host(const struct config *cfg, struct config_error *err)
{
	const struct config_host *h = &cfg->host;

	if (config_mode_nested(h->mode) && !h->link_interface)
		return config_error_set(err, cfg->path, 0, "host", "link_interface",
					"key 'link_interface' in [host] is required with mode = %s "
					"(the VM's network interface, e.g. eth0)",
					config_mode_name(h->mode));
	if (!config_mode_nested(h->mode) && (h->link_interface || h->vm_port))
		return config_error_set(err, cfg->path, 0, "host",
					h->link_interface ? "link_interface" : "vm_port",
					"key '%s' in [host] applies only with mode = macvlan or vlan",
					h->link_interface ? "link_interface" : "vm_port");
	if (h->link_interface && (!h->link_interface[0] || strlen(h->link_interface) >= IFNAMSIZ ||
				  strpbrk(h->link_interface, "/ \t:")))
		return config_error_set(err, cfg->path, 0, "host", "link_interface",
					"key 'link_interface' in [host]: '%s' is not an interface name",
					h->link_interface);
	return 0;
}

/* "a, b,c" -> {"a", "b", "c", NULL}; -EINVAL for an empty element,
 * -ENOMEM without memory. */
static int split_list(const char *raw, char ***ret, size_t *ret_n)
{
	char *copy = strdup(raw), *save = NULL, *tok;
	char **v = NULL, **nv;
	size_t n = 0;
	int r = 0;

	if (!copy)
		return -ENOMEM;
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *end;

		while (*tok == ' ' || *tok == '\t')
			tok++;
		end = tok + strlen(tok);
		while (end > tok && (end[-1] == ' ' || end[-1] == '\t'))
			*--end = '\0';
		if (!*tok) {
			r = -EINVAL;
			break;
		}
		nv = realloc(v, (n + 2) * sizeof(*v));
		if (!nv || !(nv[n] = strdup(tok))) {
			v = nv ? nv : v;
			r = -ENOMEM;
			break;
		}
		v = nv;
		v[++n] = NULL;
	}
	free(copy);
	if (r < 0 || n == 0) {
		for (size_t i = 0; i < n; i++)
			free(v[i]);
		free(v);
		return r < 0 ? r : -EINVAL;
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

bool config_site_name_valid(const char *name)
{
	return util_tag_name_valid(name, CONFIG_SITE_NAME_MAX);
}

/* The host's site: a valid name; its [site NAME] sizes, if any, become the
 * pools' defaults. */
static int check_site(struct config *cfg, struct config_error *err)
{
	const char *site = cfg->host.site;

	for (size_t i = 0; i < cfg->n_sites; i++)
		if (!config_site_name_valid(cfg->site_list[i].name))
			return config_error_set(err, cfg->path, 0, "site", NULL,
						"[site %s]: a site's name is a-z, 0-9 and '-', "
						"at most %d characters", cfg->site_list[i].name,
						CONFIG_SITE_NAME_MAX);
	if (!site)
		return 0;
	if (!config_site_name_valid(site))
		return config_error_set(err, cfg->path, 0, "host", "site",
					"key 'site' in [host]: '%s' is not a site name (a-z, 0-9 and "
					"'-', at most %d characters)", site, CONFIG_SITE_NAME_MAX);
	for (size_t i = 0; i < cfg->n_sites; i++) {
		const struct config_site *s = &cfg->site_list[i];

		if (!streq(s->name, site))
			continue;
		if (s->min >= 0)
			cfg->pools.min = s->min;
		if (s->max >= 0)
			cfg->pools.max = s->max;
		if (s->batch >= 0)
			cfg->pools.batch = s->batch;
		if (cfg->pools.max < cfg->pools.min)
			return config_error_set(err, cfg->path, 0, "site", "max",
						"key 'max' in [site %s]: %d is below min (%d) on "
						"this host", s->name, cfg->pools.max, cfg->pools.min);
	}
	return 0;
}

static int check_pools(struct config *cfg, struct config_error *err)
{
	if (cfg->pools.max < cfg->pools.min)
		return config_error_set(err, cfg->path, 0, "pools", "max",
					"key 'max' in [pools]: %d is below min (%d)", cfg->pools.max,
					cfg->pools.min);
	for (size_t i = 0; i < cfg->n_pools; i++) {
		struct config_pool *p = &cfg->pool_list[i];
		int min = p->min >= 0 ? p->min : cfg->pools.min;
		int max = p->max >= 0 ? p->max : cfg->pools.max;

		if (max < min)
			return config_error_set(err, cfg->path, 0, "pool", "max",
						"key 'max' in [pool %s]: %d is below min (%d)", p->name,
						max, min);
		int r = p->security_groups_raw ?
			split_list(p->security_groups_raw, &p->security_groups,
				   &p->n_security_groups) : 0;

		if (r == -ENOMEM) {
			config_error_set(err, cfg->path, 0, NULL, NULL, "out of memory");
			return r;
		}
		if (r < 0)
			return config_error_set(err, cfg->path, 0, "pool", "security_groups",
						"key 'security_groups' in [pool %s]: expected a "
						"comma-separated list of names or ids", p->name);
	}
	return 0;
}

/* A new config for `path` holding the fixed sections' defaults; owned by
 * the caller (config_free). */
static int config_new(const char *path, struct config **ret, struct config_error *err)
{
	struct config *cfg = calloc(1, sizeof(*cfg));
	int r = 0;

	if (!cfg || !(cfg->path = strdup(path))) {
		r = -ENOMEM;
		config_error_set(err, path, 0, NULL, NULL, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < ARRAY_SIZE(main_kinds); i++) {
		if (main_kinds[i].named)
			continue;   /* instances get their defaults when they appear */
		r = config_section_defaults(&main_kinds[i], main_kinds[i].section(cfg, NULL));
		if (r == -ENOMEM) {
			config_error_set(err, path, 0, NULL, NULL, "out of memory");
			goto out;
		}
		if (r < 0) {
			config_error_set(err, path, 0, main_kinds[i].name, NULL,
					 "bad default in the key table (a bug)");
			goto out;
		}
	}
	*ret = cfg;
	cfg = NULL;
out:
	config_free(cfg);
	return r;
}

/* The checks that need the whole file, then the hand-over: takes `cfg`,
 * which is freed on failure. */
static int config_finish(struct config *cfg, struct config **ret, struct config_error *err)
{
	int r;

	r = check_auth(cfg, err);
	if (r >= 0)
		r = check_host(cfg, err);
	if (r >= 0)
		r = check_site(cfg, err);
	if (r >= 0)
		r = check_pools(cfg, err);
	if (r < 0) {
		config_free(cfg);
		return r;
	}
	*ret = cfg;
	return 0;
}

int config_load(const char *path, struct config **ret, struct config_error *err)
{
	struct config *cfg = NULL;
	int r;

	r = config_new(path, &cfg, err);
	if (r < 0)
		goto out;
	r = parse_path(path, false, cfg, err);
	if (r < 0)
		goto out;
	if (cfg->neutron.credentials_file) {
		r = parse_path(cfg->neutron.credentials_file, true, cfg, err);
		if (r < 0)
			goto out;
	}
	r = config_finish(cfg, ret, err);
	cfg = NULL;
out:
	config_free(cfg);
	return r;
}

int config_load_stream(FILE *f, const char *path, struct config **ret,
		       struct config_error *err)
{
	struct config *cfg = NULL;
	int r;

	r = config_new(path, &cfg, err);
	if (r < 0)
		goto out;
	r = config_parse_file(f, path, main_kinds, ARRAY_SIZE(main_kinds), cfg, err);
	if (r < 0)
		goto out;
	r = config_finish(cfg, ret, err);
	cfg = NULL;
out:
	config_free(cfg);
	return r;
}

void config_free(struct config *cfg)
{
	if (!cfg)
		return;
	for (size_t i = 0; i < ARRAY_SIZE(main_kinds); i++)
		if (!main_kinds[i].named)
			config_section_free_strings(&main_kinds[i], main_kinds[i].section(cfg, NULL));
	for (size_t i = 0; i < cfg->n_pools; i++) {
		struct config_pool *p = &cfg->pool_list[i];

		config_section_free_strings(POOL_KIND, p);
		for (size_t j = 0; j < p->n_security_groups; j++)
			free(p->security_groups[j]);
		free(p->security_groups);
		free(p->name);
	}
	for (size_t i = 0; i < cfg->n_sites; i++) {
		config_section_free_strings(SITE_KIND, &cfg->site_list[i]);
		free(cfg->site_list[i].name);
	}
	free(cfg->path);
	free(cfg);
}

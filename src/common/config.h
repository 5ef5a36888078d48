/* superfluid's configuration file (superfluid.conf(5), docs/config.md):
 * /etc/superfluid/superfluid.conf
 * plus an optional credentials file for the secrets.
 *
 * config_load refuses, with a message naming the file, the line and the key:
 * unknown sections and keys, keys given twice, bad values, missing required
 * keys; a main file writable by group or others, or holding a secret while
 * readable by them; a credentials file that is not a regular file owned by
 * root with no permission bits for group and others, or a symbolic link.
 * Secrets never appear in messages.
 *
 * To add a key: a field here and a line in the section's table in config_keys.c,
 * with its help text (superfluid.conf(5) is generated from the tables).
 * To add a section: a struct here, a table and a config_section_kind entry in
 * config_keys.c; a named kind ([pool NAME]) gets a `section` callback that
 * appends an instance (see config_parse.h). */
#ifndef SF_COMMON_CONFIG_H
#define SF_COMMON_CONFIG_H

#include <stdbool.h>
#include <stdio.h>

#include "common/config_parse.h"
#include "common/util.h"

#define CONFIG_DEFAULT_PATH "/etc/superfluid/superfluid.conf"

/* [neutron] auth_type; the Neutron client maps it to its own
 * (neutron/opts.h). */
enum config_auth_type {
	CONFIG_AUTH_PASSWORD,             /* Keystone v3 password */
	CONFIG_AUTH_APP_CREDENTIAL,       /* Keystone v3 application credential */
	CONFIG_AUTH_NOAUTH,               /* neutron-server with auth_strategy = noauth */
};

enum config_interface {
	CONFIG_INTERFACE_PUBLIC,
	CONFIG_INTERFACE_INTERNAL,
	CONFIG_INTERFACE_ADMIN,
};

/* Strings are owned by the struct config and NULL when not set. */
struct config_neutron {
	int auth_type;               /* enum config_auth_type */
	char *auth_url;
	char *username;
	char *password;              /* secret */
	char *user_domain_name;
	char *project_name;
	char *project_domain_name;
	char *app_cred_id;           /* application_credential_id */
	char *app_cred_secret;       /* application_credential_secret, secret */
	char *region_name;
	int interface;               /* enum config_interface */
	char *endpoint_override;
	char *project_id;
	char *cafile;
	bool insecure;
	int connect_timeout_s;
	int timeout_s;
	int max_retries;
	int max_concurrent;
	char *credentials_file;
};

/* How this host's containers reach their ports (docs/nested.md). */
enum config_mode {
	CONFIG_MODE_BRIDGE,          /* bare metal, Neutron's Linux bridge agent */
	CONFIG_MODE_MACVLAN,         /* in a VM: macvlan on the VM's NIC, allowed address pairs */
	CONFIG_MODE_VLAN,            /* in a VM: 802.1Q on the VM's NIC, trunk subports */
};

struct config_host {
	char *name;                  /* binding:host_id, the agents' `host` (bare metal) */
	int mode;                    /* enum config_mode */
	char *link_interface;        /* nested: the VM's NIC, in the daemon's namespace */
	char *vm_port;               /* nested: the VM's Neutron port; NULL: the NIC's MAC's */
	char *ovsdb;                 /* OVS hosts: OVSDB's address, for ovs-vsctl --db */
	char *ovs_vsctl;             /* OVS hosts: the ovs-vsctl program */
	char *site;                  /* the site this host belongs to (docs/superfluidity.md) */
};

static inline bool config_mode_nested(int mode)
{
	return mode == CONFIG_MODE_MACVLAN || mode == CONFIG_MODE_VLAN;
}

struct config_daemon {
	char *socket;
	char *state_dir;
	char *metrics_address;
	char *deployment;            /* every port is tagged sf-deployment=<this> */
	int workers;                 /* request threads */
	char *netns;                 /* join this network namespace at start */
	int gc_interval_s;           /* seconds between garbage collection passes */
};

/* [pools]: how every pool behaves unless its [pool NAME] says otherwise. */
struct config_pools {
	int min, max, batch;
	int cooldown_ms;             /* a released port waits this long before reuse */
	int active_timeout_s;        /* for a new port to turn ACTIVE */
	int cold_add_timeout_s;      /* an ADD on an empty pool gives up after */
	int quiet_ms;                /* Neutron work waits for this much calm... */
	int max_defer_ms;            /* ...but no longer than this */
	int refill_interval_ms;
	bool on_demand;              /* an empty pool creates a port for the ADD */
};

/* [pool NAME]: a pool filled at start, before any container asks. */
struct config_pool {
	char *name;                  /* the section's NAME */
	char *network;               /* name or id */
	char *subnet;                /* name or id, or NULL */
	char *security_groups_raw;   /* "a, b" as written */
	char **security_groups;      /* split; NULL: Neutron's default group */
	size_t n_security_groups;
	int mtu;                     /* 0: the network's */
	int min, max, batch;         /* -1: [pools]' */
	char *service;               /* its ports are instances of this service
				      * (a service's own pool), or NULL */
};

#define CONFIG_MAX_POOLS 64

/* [site NAME]: how pools are sized on the hosts of site NAME (edge hosts
 * are small).  Applies on a host whose [host] site is NAME, over [pools];
 * a [pool NAME]'s own sizes still win.  -1: [pools]'. */
struct config_site {
	char *name;
	int min, max, batch;
};

#define CONFIG_MAX_SITES 16
#define CONFIG_SITE_NAME_MAX 40
#define CONFIG_SERVICE_NAME_MAX 40  /* service/spec.h's SERVICE_NAME_MAX */

struct config {
	char *path;                  /* the main file, as given */
	struct config_neutron neutron;
	struct config_host host;
	struct config_daemon daemon;
	struct config_pools pools;
	struct config_pool pool_list[CONFIG_MAX_POOLS];
	size_t n_pools;
	struct config_site site_list[CONFIG_MAX_SITES];
	size_t n_sites;
};

/* A site's name: lowercase letters, digits and '-', at most
 * CONFIG_SITE_NAME_MAX (it becomes the tag "sf-site=<name>"). */
bool config_site_name_valid(const char *name);

/* Loads `path` and its credentials file.  On success *ret is a new config
 * (free with config_free); on failure returns -errno (-ENOENT, -EACCES,
 * -EPERM for refused permissions or owner, -ELOOP for a symlinked
 * credentials file, -EINVAL for content, -ENOMEM without memory) and fills
 * `err` if not NULL. */
int config_load(const char *path, struct config **ret, struct config_error *err) MUST_CHECK;
void config_free(struct config *cfg);

/* config_load's content checks on the text of `f` (read from its current
 * position), named `path` in messages, without touching the file system: no
 * owner or mode checks, and credentials_file is not read (so a secret must
 * be in `f`).  For the fuzzer and tests; the daemon uses config_load.  The
 * caller closes `f`. */
int config_load_stream(FILE *f, const char *path, struct config **ret,
		       struct config_error *err) MUST_CHECK;

/* The tables the main file and the credentials file are read against
 * (static, never freed), for the generated documentation (config_doc.h). */
const struct config_section_kind *config_kinds(size_t *ret_n);
const struct config_section_kind *config_credential_kinds(size_t *ret_n);

/* "bridge", "macvlan" or "vlan". */
const char *config_mode_name(int mode);

/* "public", "internal" or "admin". */
const char *config_interface_name(int interface);

#endif

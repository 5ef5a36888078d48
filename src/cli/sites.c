/* sfctl sites: each site's hosts, their agents' liveness, pools and free
 * ports, as Neutron knows them (docs/superfluidity.md).  A host's site is
 * the "sf-site" tag its daemon puts on its pool ports, or else the zone of
 * its L3/DHCP agents.  Asks Neutron directly, so it sees every host. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli/cli.h"
#include "common/config.h"
#include "common/util.h"
#include "neutron/neutron.h"
#include "neutron/opts.h"

static const char *tag_value(const json_t *tags, const char *prefix)
{
	const json_t *t;
	size_t i, n = strlen(prefix);

	json_array_foreach(tags, i, t) {
		const char *s = json_string_value(t);

		if (s && strncmp(s, prefix, n) == 0)
			return s + n;
	}
	return NULL;
}

/* hosts: {host: {"site", "zone", "agents": [...], "pools": {tag: 1},
 * "ready", "in_use", "other"}} */
static json_t *host_entry(json_t *hosts, const char *host)
{
	json_t *h = json_object_get(hosts, host);

	if (!h) {
		h = json_pack("{s:n, s:n, s:[], s:{}, s:i, s:i, s:i}", "site", "zone", "agents",
			      "pools", "ready", 0, "in_use", 0, "other", 0);
		json_object_set_new(hosts, host, h);
	}
	return h;
}

static void bump(json_t *h, const char *key)
{
	json_object_set_new(h, key, json_integer(json_integer_value(json_object_get(h, key)) + 1));
}

static int gather(struct neutron_client *nc, json_t **ret)
{
	struct neutron_filter pf = { "device_owner", "compute:superfluid" };
	struct neutron_error err = { 0 };
	json_t *agents = NULL, *ports = NULL, *hosts = json_object(), *sites = json_object();
	json_t *a, *p, *h;
	const char *host;
	size_t i;
	int r;

	r = neutron_agents_list(nc, NULL, &agents, &err);
	if (r >= 0)
		r = neutron_list(nc, "ports", &pf, 1, 0, &ports, &err);
	if (r < 0) {
		fprintf(stderr, "sfctl sites: asking Neutron: %s\n",
			err.message[0] ? err.message : strerror(-r));
		goto out;
	}
	json_array_foreach(agents, i, a) {
		const char *zone = json_string_value(json_object_get(a, "availability_zone"));

		host = json_string_value(json_object_get(a, "host"));
		if (!host)
			continue;
		h = host_entry(hosts, host);
		json_array_append_new(json_object_get(h, "agents"),
				      json_pack("{s:s?, s:b}", "type", json_string_value(
							json_object_get(a, "agent_type")),
						"alive", json_is_true(json_object_get(a, "alive"))));
		if (zone && zone[0])
			json_object_set_new(h, "zone", json_string(zone));
	}
	json_array_foreach(ports, i, p) {
		const json_t *tags = json_object_get(p, "tags");
		const char *site = tag_value(tags, "sf-site="), *pool = tag_value(tags, "sf-pool=");
		const char *dev = json_string_value(json_object_get(p, "device_id"));
		const char *status = json_string_value(json_object_get(p, "status"));

		host = tag_value(tags, "sf-host=");
		if (!host)
			continue;
		h = host_entry(hosts, host);
		if (site)
			json_object_set_new(h, "site", json_string(site));
		if (pool)
			json_object_set_new(json_object_get(h, "pools"), pool, json_true());
		bump(h, dev && dev[0] ? "in_use" : streq(status, "ACTIVE") ? "ready" : "other");
	}
	/* Group by site: the daemons' word first, Neutron's zones after. */
	json_object_foreach(hosts, host, h) {
		const char *site = json_string_value(json_object_get(h, "site"));
		json_t *s;

		if (!site)
			site = json_string_value(json_object_get(h, "zone"));
		if (!site)
			site = "-";
		s = json_object_get(sites, site);
		if (!s) {
			s = json_pack("{s:s, s:{}}", "site", site, "hosts");
			json_object_set_new(sites, site, s);
		}
		json_object_set_new(h, "pools", json_integer((json_int_t)json_object_size(
							json_object_get(h, "pools"))));
		json_object_set(json_object_get(s, "hosts"), host, h);
	}
	*ret = sites;
	sites = NULL;
out:
	json_decref(agents);
	json_decref(ports);
	json_decref(hosts);
	json_decref(sites);
	return r;
}

static void print_text(const json_t *sites)
{
	const char *site, *host;
	json_t *s, *h, *a;
	size_t i;

	json_object_foreach((json_t *)sites, site, s) {
		printf("site %s\n", site);
		printf("  %-10s %-8s %-40s %5s %5s %6s %5s\n", "HOST", "ZONE", "AGENTS", "POOLS",
		       "READY", "IN_USE", "OTHER");
		json_object_foreach(json_object_get(s, "hosts"), host, h) {
			char agents[256] = "";
			const char *zone = json_string_value(json_object_get(h, "zone"));

			json_array_foreach(json_object_get(h, "agents"), i, a) {
				size_t len = strlen(agents);

				snprintf(agents + len, sizeof(agents) - len, "%s%s:%s", len ? "," : "",
					 json_string_value(json_object_get(a, "type")),
					 json_is_true(json_object_get(a, "alive")) ? "up" : "DOWN");
			}
			printf("  %-10s %-8s %-40s %5lld %5lld %6lld %5lld\n", host,
			       zone ? zone : "-", agents[0] ? agents : "-",
			       (long long)json_integer_value(json_object_get(h, "pools")),
			       (long long)json_integer_value(json_object_get(h, "ready")),
			       (long long)json_integer_value(json_object_get(h, "in_use")),
			       (long long)json_integer_value(json_object_get(h, "other")));
		}
	}
}

int cli_sites(int argc, char **argv, const struct cli_ctx *ctx)
{
	static const struct option opts[] = { { "json", no_argument, NULL, 'j' }, { 0 } };
	struct config_error cerr = { .message = "" };
	struct neutron_client *nc = NULL;
	struct config *cfg = NULL;
	struct neutron_opts no;
	json_t *sites = NULL;
	bool as_json = false;
	int c, rc = 1;

	while ((c = getopt_long(argc, argv, "j", opts, NULL)) != -1) {
		if (c != 'j') {
			cli_sites_help();
			return 2;
		}
		as_json = true;
	}
	if (optind != argc) {
		cli_sites_help();
		return 2;
	}
	if (config_load(ctx->config_path, &cfg, &cerr) < 0) {
		fprintf(stderr, "sfctl: %s\n", cerr.message);
		return 1;
	}
	if (neutron_opts_from_config(&cfg->neutron, &no) < 0 || neutron_client_new(&no, &nc) < 0) {
		fprintf(stderr, "sfctl sites: the Neutron client refuses the config's settings\n");
		goto out;
	}
	if (gather(nc, &sites) < 0)
		goto out;
	if (as_json) {
		json_dumpf(sites, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
		putchar('\n');
	} else {
		print_text(sites);
	}
	rc = 0;
out:
	json_decref(sites);
	neutron_client_free(nc);
	config_free(cfg);
	return rc;
}

void cli_sites_help(void)
{
	printf("Usage: sfctl [-c CONFIG] sites [--json]\n"
	       "Each site's hosts, as Neutron knows them: the hosts' agents and whether they\n"
	       "are alive, their availability zone, and the superfluid pools and ports on\n"
	       "each (ready: free and ACTIVE, in use: held by a container, other: wiring or\n"
	       "down).  A host's site is the one its daemon tags its ports with ([host] site),\n"
	       "or else its L3/DHCP agents' zone.\n"
	       "--json: {SITE: {\"site\", \"hosts\": {HOST: {\"site\", \"zone\", \"agents\":\n"
	       "[{\"type\",\"alive\"}], \"pools\", \"ready\", \"in_use\", \"other\"}}}}\n");
}

/* sfctl status: one screen about this host's superfluid: the daemon's own
 * view ({"ctl":"status"}: version, uptime, Neutron as it last saw it, the
 * pools, leaks pending, its last failures) beside what sfctl sees itself
 * (Keystone, Neutron, the host's agents, asked with the config's
 * credentials). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "cli/cli.h"
#include "common/config.h"
#include "neutron/neutron.h"
#include "neutron/opts.h"

/* What sfctl itself found; owned by cli_status. */
struct seen {
	struct config *cfg;     /* NULL: the config did not load (why in config_error) */
	char config_error[1100];
	bool keystone_ok, neutron_ok, asked;
	char keystone_msg[600], neutron_msg[600];
	json_t *agents;         /* [{"type","alive"}], NULL when not listed */
};

static void ask_openstack(struct seen *s)
{
	struct neutron_opts opts;
	struct neutron_client *nc = NULL;
	struct neutron_error err = { 0 };
	json_t *list = NULL, *a;
	size_t i;

	if (neutron_opts_from_config(&s->cfg->neutron, &opts) < 0 ||
	    neutron_client_new(&opts, &nc) < 0) {
		snprintf(s->keystone_msg, sizeof(s->keystone_msg), "the config's [neutron] is unusable");
		return;
	}
	s->asked = true;
	if (neutron_authenticate(nc, &err) < 0) {
		snprintf(s->keystone_msg, sizeof(s->keystone_msg), "%s",
			 err.message[0] ? err.message : "no answer");
		snprintf(s->neutron_msg, sizeof(s->neutron_msg), "not asked (no token)");
		goto out;
	}
	s->keystone_ok = true;
	snprintf(s->keystone_msg, sizeof(s->keystone_msg), "token issued");
	if (neutron_agents_list(nc, s->cfg->host.name, &list, &err) < 0) {
		/* Any answer but a 5xx means Neutron is there (a 403: no admin). */
		s->neutron_ok = err.http_status > 0 && err.http_status < 500;
		snprintf(s->neutron_msg, sizeof(s->neutron_msg), "listing agents: %s",
			 err.message[0] ? err.message : "no answer");
		goto out;
	}
	s->neutron_ok = true;
	snprintf(s->neutron_msg, sizeof(s->neutron_msg), "%s", neutron_endpoint(nc));
	s->agents = json_array();
	json_array_foreach(list, i, a)
		json_array_append_new(s->agents, json_pack(
			"{s:s?, s:b}", "type", json_string_value(json_object_get(a, "agent_type")),
			"alive", json_is_true(json_object_get(a, "alive"))));
out:
	json_decref(list);
	neutron_client_free(nc);
}

/* An L2 agent (the one that wires the pool's ports) is alive here. */
static bool agent_alive(const json_t *agents)
{
	static const char *const l2[] = { "Linux bridge agent", "Open vSwitch agent",
					  "OVN Controller agent", "OVN Controller Gateway agent" };
	const json_t *a;
	size_t i;

	json_array_foreach(agents, i, a) {
		const char *type = json_string_value(json_object_get(a, "type"));

		for (size_t k = 0; type && k < ARRAY_SIZE(l2); k++)
			if (streq(type, l2[k]) && json_is_true(json_object_get(a, "alive")))
				return true;
	}
	return false;
}

static const char *str(const json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));

	return v ? v : "-";
}

static long num(const json_t *o, const char *key)
{
	return (long)json_integer_value(json_object_get(o, key));
}

static void print_screen(const json_t *st, const char *daemon_error, const struct seen *s)
{
	const json_t *p, *e, *a;
	long up = num(st, "uptime_s");
	size_t i;

	if (st)
		printf("host      %s (site %s, mode %s, deployment %s)\n", str(st, "host"),
		       str(st, "site"), str(st, "mode"), str(st, "deployment"));
	else if (s->cfg)
		printf("host      %s (site %s, mode %s)\n", s->cfg->host.name,
		       s->cfg->host.site ? s->cfg->host.site : "-",
		       config_mode_name(s->cfg->host.mode));
	if (st)
		printf("daemon    superfluidd %s, up %ldd %02ld:%02ld:%02ld; Neutron %s\n",
		       str(st, "version"), up / 86400, up / 3600 % 24, up / 60 % 60, up % 60,
		       json_is_true(json_object_get(st, "neutron_ok")) ? "answers" :
		       "does NOT answer its last call");
	else
		printf("daemon    NOT REACHABLE: %s\n", daemon_error);
	if (!s->cfg)
		printf("config    %s\n", s->config_error);
	else if (s->asked || s->keystone_msg[0]) {
		printf("keystone  %s: %s\n", s->keystone_ok ? "ok" : "FAILED", s->keystone_msg);
		printf("neutron   %s: %s\n", s->neutron_ok ? "ok" : "FAILED", s->neutron_msg);
	}
	if (s->agents) {
		printf("agents    %s", json_array_size(s->agents) ? "" : "NONE on this host");
		json_array_foreach(s->agents, i, a)
			printf("%s%s %s", i ? ", " : "", str(a, "type"),
			       json_is_true(json_object_get(a, "alive")) ? "alive" : "DEAD");
		putchar('\n');
	}
	if (!st)
		return;
	printf("leaks     %ld pending; %ld port(s) overdue in WIRING\n",
	       num(st, "gc_leaks_pending"), num(st, "ports_wiring_overdue"));
	printf("\n%-20s %6s %6s %6s %6s %8s\n", "POOL", "READY", "TARGET", "INUSE", "WIRING",
	       "COOLDOWN");
	json_array_foreach(json_object_get(st, "pools"), i, p)
		printf("%-20s %6ld %6ld %6ld %6ld %8ld\n", str(p, "name"), num(p, "ready"),
		       num(p, "min"), num(p, "in_use"), num(p, "wiring"), num(p, "cooldown"));
	if (!json_array_size(json_object_get(st, "last_errors")))
		return;
	printf("\nlast errors (newest first)\n");
	json_array_foreach(json_object_get(st, "last_errors"), i, e) {
		time_t t = (time_t)(num(e, "at_ms") / 1000);
		struct tm tm;
		char when[32] = "?";

		if (localtime_r(&t, &tm))
			strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
		printf("  %s  %-32s %s\n", when, str(e, "what"), str(e, "code"));
	}
}

int cli_status(int argc, char **argv, const struct cli_ctx *ctx)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "socket", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *socket_path = NULL;
	bool as_json = false, healthy;
	struct seen s = { 0 };
	struct config_error cerr;
	json_t *doc = NULL, *st = NULL, *out;
	char daemon_error[64] = "";
	int c;

	while ((c = getopt_long(argc, argv, "js:h", opts, NULL)) != -1) {
		switch (c) {
		case 'j': as_json = true; break;
		case 's': socket_path = optarg; break;
		case 'h': cli_status_help(); return 0;
		default: cli_status_help(); return 2;
		}
	}
	if (optind < argc) {
		cli_status_help();
		return 2;
	}
	if (config_load(ctx->config_path, &s.cfg, &cerr) < 0) {
		s.cfg = NULL;
		snprintf(s.config_error, sizeof(s.config_error), "%s", cerr.message);
	} else {
		if (!socket_path)
			socket_path = s.cfg->daemon.socket;
		ask_openstack(&s);
	}
	/* cli_ask says on stderr why the daemon did not answer. */
	if (socket_path)
		doc = cli_ask(ctx, socket_path, "status", NULL, CLI_CTL_TIMEOUT_MS);
	st = json_object_get(doc, "status");
	if (!st)
		snprintf(daemon_error, sizeof(daemon_error), "%s",
			 socket_path ? "no answer on its socket" : "no socket (the config did not load)");
	healthy = st && s.cfg && s.keystone_ok && s.neutron_ok && s.agents && agent_alive(s.agents);
	if (as_json) {
		out = json_pack("{s:O?, s:s?, s:s?, s:{s:b, s:s}, s:{s:b, s:s}, s:O?, s:b}",
				"daemon", st, "daemon_error", st ? NULL : daemon_error, "config_error",
				s.cfg ? NULL : s.config_error, "keystone", "ok", s.keystone_ok,
				"message", s.keystone_msg, "neutron", "ok", s.neutron_ok, "message",
				s.neutron_msg, "agents", s.agents, "ok", healthy);
		if (out)
			json_dumpf(out, stdout, JSON_INDENT(2));
		putchar('\n');
		json_decref(out);
	} else {
		print_screen(st, daemon_error, &s);
	}
	json_decref(doc);
	json_decref(s.agents);
	config_free(s.cfg);
	return healthy ? 0 : 1;
}

void cli_status_help(void)
{
	printf("Usage: sfctl [-c CONFIG] status [--json] [--socket PATH]\n"
	       "One screen about this host: its site and mode; the daemon's version, uptime\n"
	       "and whether its last Neutron call was answered; Keystone and Neutron as sfctl\n"
	       "reaches them with the config's credentials; the host's agents and whether\n"
	       "they are alive; each pool's ready ports, target (min), in use, wiring and\n"
	       "cooling down; leaks pending; the daemon's last failed requests and calls.\n"
	       "--json: {\"daemon\":{\"version\",\"uptime_s\",\"host\",\"site\",\"mode\",\n"
	       "  \"deployment\",\"neutron_ok\",\"neutron_reached\",\"pools_loaded\",\n"
	       "  \"gc_leaks_pending\",\"ports_wiring_overdue\",\"pools\":[as sfctl pools],\n"
	       "  \"last_errors\":[{\"at_ms\",\"what\",\"code\"}]},\"daemon_error\",\n"
	       "  \"config_error\",\"keystone\":{\"ok\",\"message\"},\"neutron\":{\"ok\",\n"
	       "  \"message\"},\"agents\":[{\"type\",\"alive\"}],\"ok\"}\n"
	       "Exit: 0 all well (daemon answers, Keystone, Neutron, an L2 agent alive), 1\n"
	       "not (the screen says what), 2 usage.\n");
}

/* sfctl pools, sfctl ports: what the daemon holds, asked over its socket. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli/cli.h"
#include "cni/wire.h"
#include "common/config.h"


json_t *cli_ask(const struct cli_ctx *ctx, const char *socket_path, const char *op,
		const char *extra, unsigned timeout_ms)
{
	struct config *cfg = NULL;
	struct config_error cerr;
	struct wire_reply *reply = NULL;
	enum wire_stage stage = WIRE_STAGE_CONNECT;
	char *req = NULL, *raw = NULL;
	size_t raw_len = 0;
	json_t *doc = NULL;
	int r;

	if (!socket_path) {
		r = config_load(ctx->config_path, &cfg, &cerr);
		if (r < 0) {
			fprintf(stderr, "sfctl: %s\n", cerr.message);
			return NULL;
		}
		socket_path = cfg->daemon.socket;
	}
	if (asprintf(&req, "{\"version\":%d,\"ctl\":\"%s\"%s}", WIRE_VERSION, op,
		     extra ? extra : "") < 0) {
		req = NULL;
		fprintf(stderr, "sfctl: out of memory\n");
		goto out;
	}
	r = wire_call(socket_path, req, strlen(req), timeout_ms, &raw, &raw_len, &stage);
	if (r < 0) {
		fprintf(stderr, "sfctl: %s superfluidd at '%s': %s\n",
			stage == WIRE_STAGE_CONNECT ? "cannot reach" : "no answer from", socket_path,
			strerror(-r));
		goto out;
	}
	if (raw_len == 0) {
		/* The daemon closed the connection without a word: it died. */
		fprintf(stderr, "sfctl: no answer from superfluidd at '%s' (it closed the connection)\n",
			socket_path);
		goto out;
	}
	r = wire_reply_parse(raw, raw_len, &reply);
	if (r < 0 || reply->exit_code != 0) {
		json_t *e = r < 0 ? NULL : json_loads(reply->stdout_text, 0, NULL);
		const char *msg = json_string_value(json_object_get(e, "error"));

		fprintf(stderr, "sfctl: the daemon refused '%s': %s\n", op,
			r < 0 ? "malformed answer" : msg ? msg : reply->stdout_text);
		json_decref(e);
		goto out;
	}
	doc = json_loads(reply->stdout_text, 0, NULL);
	if (!doc)
		fprintf(stderr, "sfctl: malformed answer to '%s'\n", op);
out:
	wire_reply_free(reply);
	free(req);
	free(raw);
	config_free(cfg);
	return doc;
}

static int parse_opts(int argc, char **argv, bool *json, const char **socket_path)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "socket", required_argument, NULL, 's' },
		{ 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "js:", opts, NULL)) != -1) {
		switch (c) {
		case 'j': *json = true; break;
		case 's': *socket_path = optarg; break;
		default: return -1;
		}
	}
	return optind == argc ? 0 : -1;
}

static const char *str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "-";
}

static long num(const json_t *o, const char *key)
{
	return (long)json_integer_value(json_object_get(o, key));
}

/* sfctl pools populate|free NAME [--count N]: argv[0] is the operation. */
static int pool_op(int argc, char **argv, const struct cli_ctx *ctx)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "socket", required_argument, NULL, 's' },
		{ "count", required_argument, NULL, 'n' },
		{ 0 },
	};
	bool populate = strcmp(argv[0], "populate") == 0, as_json = false;
	const char *socket_path = NULL, *name;
	char *extra = NULL, *end;
	long count = 0;
	json_t *doc, *jname;
	int c;

	while ((c = getopt_long(argc, argv, "js:n:", opts, NULL)) != -1) {
		switch (c) {
		case 'j': as_json = true; break;
		case 's': socket_path = optarg; break;
		case 'n':
			count = strtol(optarg, &end, 10);
			if (!populate || *end || end == optarg || count < 1 || count > 10000) {
				fprintf(stderr, "sfctl: --count takes 1 to 10000, with populate\n");
				return 2;
			}
			break;
		default: cli_pools_help(); return 2;
		}
	}
	if (optind != argc - 1) {
		cli_pools_help();
		return 2;
	}
	name = argv[optind];
	jname = json_string(name);
	end = jname ? json_dumps(jname, JSON_ENCODE_ANY) : NULL;
	json_decref(jname);
	if (!end || (count ? asprintf(&extra, ",\"pool\":%s,\"count\":%ld", end, count)
			   : asprintf(&extra, ",\"pool\":%s", end)) < 0) {
		free(end);
		fprintf(stderr, "sfctl: out of memory (or a pool name that is not UTF-8)\n");
		return 1;
	}
	free(end);
	doc = cli_ask(ctx, socket_path, populate ? "pool_populate" : "pool_free", extra,
		      CLI_CTL_TIMEOUT_MS * 6);
	free(extra);
	if (!doc)
		return 1;
	if (as_json) {
		json_dumpf(doc, stdout, JSON_INDENT(2));
		putchar('\n');
	} else if (populate) {
		printf("pool %s: %ld port(s) created (max %ld); they turn ready once ACTIVE\n",
		       str(doc, "pool"), num(doc, "created"), num(doc, "max"));
	} else {
		printf("pool %s: %ld ready port(s) freed (being deleted in Neutron); the pool\n"
		       "refills to its min unless that is 0\n", str(doc, "pool"), num(doc, "freed"));
	}
	json_decref(doc);
	return 0;
}

int cli_pools(int argc, char **argv, const struct cli_ctx *ctx)
{
	const char *socket_path = NULL;
	bool as_json = false;
	json_t *doc, *p;
	size_t i;

	if (argc > 1 && (strcmp(argv[1], "populate") == 0 || strcmp(argv[1], "free") == 0))
		return pool_op(argc - 1, argv + 1, ctx);
	if (parse_opts(argc, argv, &as_json, &socket_path) < 0) {
		cli_pools_help();
		return 2;
	}
	doc = cli_ask(ctx, socket_path, "pools", NULL, CLI_CTL_TIMEOUT_MS);
	if (!doc)
		return 1;
	if (as_json) {
		json_dumpf(json_object_get(doc, "pools"), stdout, JSON_INDENT(2));
		putchar('\n');
	} else {
		printf("%-20s %-36s %5s %5s %6s %6s %8s %5s %5s\n", "POOL", "NETWORK", "READY",
		       "INUSE", "WIRING", "COOLDN", "DELETING", "MIN", "MAX");
		json_array_foreach(json_object_get(doc, "pools"), i, p)
			printf("%-20s %-36s %5ld %5ld %6ld %6ld %8ld %5ld %5ld\n", str(p, "name"),
			       str(p, "network_id"), num(p, "ready"), num(p, "in_use"),
			       num(p, "wiring"), num(p, "cooldown"), num(p, "deleting"), num(p, "min"),
			       num(p, "max"));
	}
	json_decref(doc);
	return 0;
}

int cli_ports(int argc, char **argv, const struct cli_ctx *ctx)
{
	const char *socket_path = NULL;
	bool as_json = false;
	json_t *doc, *p;
	size_t i;

	if (parse_opts(argc, argv, &as_json, &socket_path) < 0) {
		cli_ports_help();
		return 2;
	}
	doc = cli_ask(ctx, socket_path, "ports", NULL, CLI_CTL_TIMEOUT_MS);
	if (!doc)
		return 1;
	if (as_json) {
		json_dumpf(json_object_get(doc, "ports"), stdout, JSON_INDENT(2));
		putchar('\n');
	} else {
		printf("%-36s %-12s %-8s %-18s %-19s %-16s %s\n", "PORT", "POOL", "STATE", "IP",
		       "MAC", "CONTAINER", "IFNAME");
		json_array_foreach(json_object_get(doc, "ports"), i, p) {
			const char *ip = json_string_value(
				json_object_get(json_array_get(json_object_get(p, "ips"), 0), "cidr"));

			/* WIRING until Neutron binds it: say so (ports_late.h). */
			const char *state = json_is_true(json_object_get(p, "unbound")) ?
						    "unbound" : str(p, "state");

			printf("%-36s %-12.12s %-8s %-18s %-19s %-16.16s %s\n", str(p, "port_id"),
			       str(p, "pool"), state, ip ? ip : "-", str(p, "mac"),
			       str(p, "container_id"), str(p, "ifname"));
		}
	}
	json_decref(doc);
	return 0;
}

void cli_pools_help(void)
{
	printf("Usage: sfctl pools [--json] [--socket PATH]\n"
	       "       sfctl pools populate NAME [--count N] [--json] [--socket PATH]\n"
	       "       sfctl pools free NAME [--json] [--socket PATH]\n"
	       "Each pool of ready Neutron ports on this host: its network and how many of\n"
	       "its ports are ready, in use, being wired, cooling down or being deleted.\n"
	       "populate creates ports for pool NAME now: N, or as many as its max leaves\n"
	       "room for, never more (--json: {\"pool\",\"created\",\"max\"}).  free deletes\n"
	       "its ready ports now; the pool refills to its min afterwards (--json:\n"
	       "{\"pool\",\"freed\"}).  Exit: 0 done, 1 failed or no such pool, 2 usage.\n"
	       "The socket is the config's [daemon] socket unless --socket names one.\n");
}

void cli_ports_help(void)
{
	printf("Usage: sfctl ports [--json] [--socket PATH]\n"
	       "Every Neutron port the daemon owns on this host, its state, address, and\n"
	       "the container and interface holding it.\n");
}

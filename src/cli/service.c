/* sfctl service: create, attach, detach, move, status, delete
 * (docs/superfluidity.md).  The request goes to this host's daemon; a move
 * goes to the daemon of the host where the target instance runs. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli/cli.h"
#include "common/util.h"

#define MOVE_SLACK_MS 60000

struct svc_args {
	const char *socket_path;
	bool as_json;
	json_t *req;          /* the members of {"ctl":"service", ...} */
	unsigned timeout_ms;
};

static const char *str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s && s[0] ? s : "-";
}

static int set_str(json_t *req, const char *key, const char *value)
{
	return json_object_set_new(req, key, json_string(value));
}

static int set_num(json_t *req, const char *key, const char *value)
{
	char *end;
	long long n = strtoll(value, &end, 10);

	if (!*value || *end || n < 0) {
		fprintf(stderr, "sfctl service: --%s wants a number, not '%s'\n", key, value);
		return -1;
	}
	return json_object_set_new(req, key, json_integer(n));
}

/* Options common to every operation, plus each one's own. */
static int parse(int argc, char **argv, struct svc_args *a)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "socket", required_argument, NULL, 's' },
		{ "network", required_argument, NULL, 'n' },
		{ "subnet", required_argument, NULL, 'u' },
		{ "address", required_argument, NULL, 'a' },
		{ "check", required_argument, NULL, 'k' },
		{ "grace-ms", required_argument, NULL, 'g' },
		{ "container", required_argument, NULL, 'C' },
		{ "to", required_argument, NULL, 'C' },
		{ "ifname", required_argument, NULL, 'i' },
		{ "ready-timeout-ms", required_argument, NULL, 'r' },
		{ "method", required_argument, NULL, 'm' },
		{ "floating-network", required_argument, NULL, 'f' },
		{ 0 },
	};
	int c, r = 0;

	optind = 0;   /* glibc: start afresh, at argv[1] */
	while (r >= 0 && (c = getopt_long(argc, argv, "js:", opts, NULL)) != -1) {
		switch (c) {
		case 'j': a->as_json = true; break;
		case 's': a->socket_path = optarg; break;
		case 'n': r = set_str(a->req, "network", optarg); break;
		case 'u': r = set_str(a->req, "subnet", optarg); break;
		case 'a': r = set_str(a->req, "address", optarg); break;
		case 'k': r = set_str(a->req, "check", optarg); break;
		case 'g': r = set_num(a->req, "grace_ms", optarg); break;
		case 'C': r = set_str(a->req, "container", optarg); break;
		case 'i': r = set_str(a->req, "ifname", optarg); break;
		case 'm': r = set_str(a->req, "method", optarg); break;
		case 'f': r = set_str(a->req, "floating_network", optarg); break;
		case 'r':
			r = set_num(a->req, "ready_timeout_ms", optarg);
			if (r >= 0)
				a->timeout_ms = (unsigned)atoi(optarg) + MOVE_SLACK_MS;
			break;
		default: return -1;
		}
	}
	if (r < 0)
		return -1;
	/* The service's name, except for a status of all. */
	if (optind < argc)
		r = set_str(a->req, "name", argv[optind++]);
	return r < 0 || optind != argc ? -1 : 0;
}

static void print_service(const json_t *s)
{
	const json_t *inst;
	size_t i;

	printf("service %s  address %s  method %s  check %s  phase %s  epoch %lld\n",
	       str(s, "name"), str(s, "address"), str(s, "method"), str(s, "check"),
	       str(s, "phase"), (long long)json_integer_value(json_object_get(s, "epoch")));
	if (json_object_get(s, "floating_address") || json_object_get(s, "floating_error"))
		printf("  floating IP %s  on port %s%s%s\n", str(s, "floating_address"),
		       str(s, "floating_port_id"), json_object_get(s, "floating_error") ? "  " : "",
		       json_object_get(s, "floating_error") ? str(s, "floating_error") : "");
	printf("  active %s%s%s\n", str(s, "active"), json_object_get(s, "from") ? "  from " : "",
	       json_object_get(s, "from") ? str(s, "from") : "");
	if (!json_object_get(s, "instances"))
		return;
	printf("  %-36s %-8s %-8s %-10s %-9s %s\n", "INSTANCE PORT", "SITE", "HOST", "STATUS",
	       "LOCAL", "CONTAINER");
	json_array_foreach(json_object_get(s, "instances"), i, inst)
		printf("  %-36s %-8s %-8s %-10s %-9s %.16s%s\n", str(inst, "port_id"),
		       str(inst, "site"), str(inst, "host"), str(inst, "status"),
		       str(inst, "local_role"), str(inst, "container_id"),
		       json_is_true(json_object_get(inst, "active")) ? "  <- answers" : "");
}

static void print_human(const char *op, const json_t *doc)
{
	const json_t *s, *t;
	size_t i;

	if ((s = json_object_get(doc, "services"))) {
		printf("%-20s %-16s %-6s %-8s %-36s %s\n", "SERVICE", "ADDRESS", "METHOD", "PHASE",
		       "ACTIVE", "CHECK");
		json_array_foreach(s, i, t)
			printf("%-20s %-16s %-6s %-8s %-36s %s\n", str(t, "name"),
			       json_object_get(t, "floating_address") ? str(t, "floating_address")
								      : str(t, "address"),
			       str(t, "method"), str(t, "phase"), str(t, "active"), str(t, "check"));
		return;
	}
	if (json_object_get(doc, "deleted")) {
		printf("deleted service %s\n", str(doc, "deleted"));
		return;
	}
	if (json_object_get(doc, "detached")) {
		printf("detached %s from service %s\n", str(doc, "detached"), str(doc, "service"));
		return;
	}
	if (json_object_get(doc, "service"))
		print_service(json_object_get(doc, "service"));
	if (streq(op, "move") && (t = json_object_get(doc, "timings"))) {
		const char *key;
		json_t *v;

		printf("  move:");
		json_object_foreach((json_t *)t, key, v) {
			if (json_is_integer(v))
				printf(" %s=%lld", key, (long long)json_integer_value(v));
			else if (json_is_true(v))
				printf(" %s", key);
		}
		putchar('\n');
	}
}

int cli_service(int argc, char **argv, const struct cli_ctx *ctx)
{
	static const char *const ops[] = { "create", "attach", "detach", "move", "status",
					   "delete" };
	struct svc_args a = { .timeout_ms = CLI_CTL_TIMEOUT_MS + MOVE_SLACK_MS };
	const char *op = argc > 1 ? argv[1] : NULL;
	char *extra = NULL, *body = NULL;
	json_t *doc = NULL;
	bool known = false;
	int rc = 2;

	for (size_t i = 0; op && i < ARRAY_SIZE(ops); i++)
		known = known || streq(op, ops[i]);
	if (!known) {
		cli_service_help();
		return 2;
	}
	a.req = json_pack("{s:s}", "op", op);
	if (!a.req || parse(argc - 1, argv + 1, &a) < 0) {
		cli_service_help();
		goto out;
	}
	if (!streq(op, "status") && !json_object_get(a.req, "name")) {
		fprintf(stderr, "sfctl service %s: which service?\n", op);
		goto out;
	}
	rc = 1;
	body = json_dumps(a.req, JSON_COMPACT);
	/* cli_ask wants the members after a comma: drop the braces. */
	if (!body || asprintf(&extra, ",%.*s", (int)strlen(body) - 2, body + 1) < 0) {
		extra = NULL;
		fprintf(stderr, "sfctl: out of memory\n");
		goto out;
	}
	doc = cli_ask(ctx, a.socket_path, "service", extra, a.timeout_ms);
	if (!doc)
		goto out;
	if (a.as_json) {
		json_dumpf(doc, stdout, JSON_INDENT(2));
		putchar('\n');
	} else {
		print_human(op, doc);
	}
	rc = 0;
out:
	json_decref(doc);
	json_decref(a.req);
	free(body);
	free(extra);
	return rc;
}

void cli_service_help(void)
{
	printf("Usage: sfctl service OPERATION [NAME] [options] [--json] [--socket PATH]\n"
	       "A service is one stable address that follows its instances between hosts\n"
	       "and sites (docs/superfluidity.md).\n"
	       "  create NAME --network NET --check tcp:PORT|http:PORT/PATH\n"
	       "         [--subnet SUBNET] [--address IP] [--grace-ms MS]\n"
	       "         [--method aap|fip|binding [--floating-network EXTNET]]\n"
	       "         aap (default): an allowed address pair on every instance, announced;\n"
	       "         fip: a floating IP on EXTNET re-associated to the answering instance\n"
	       "  attach NAME --container ID [--ifname IF]   make a container on this host an\n"
	       "         instance (the first one answers at once)\n"
	       "  move NAME --to ID [--ifname IF] [--ready-timeout-ms MS]\n"
	       "         make-before-break: the instance ID on this host answers once its\n"
	       "         check passes; the old one drains for the grace period\n"
	       "  detach NAME --container ID [--ifname IF]   (not the answering instance)\n"
	       "  status [NAME]   one service and its instances, or every service\n"
	       "  delete NAME     its address leaves every instance\n"
	       "Exit: 0 done, 1 refused or failed (the reason on stderr), 2 usage.\n");
}

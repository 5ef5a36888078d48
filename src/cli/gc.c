/* sfctl gc: asks the daemon for a garbage collection pass (docs/gc.md). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

/* A pass lists Neutron and may delete there: longer than a query. */
#define GC_TIMEOUT_MS 120000

static const char *str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "-";
}

int cli_gc(int argc, char **argv, const struct cli_ctx *ctx)
{
	static const struct option opts[] = {
		{ "dry-run", no_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "socket", required_argument, NULL, 's' },
		{ 0 },
	};
	const char *socket_path = NULL;
	bool dry_run = false, as_json = false;
	json_t *doc, *gc, *f;
	size_t i;
	int c;

	while ((c = getopt_long(argc, argv, "njs:", opts, NULL)) != -1) {
		switch (c) {
		case 'n': dry_run = true; break;
		case 'j': as_json = true; break;
		case 's': socket_path = optarg; break;
		default: cli_gc_help(); return 2;
		}
	}
	if (optind != argc) {
		cli_gc_help();
		return 2;
	}
	doc = cli_ask(ctx, socket_path, "gc", dry_run ? ",\"dry_run\":true" : NULL, GC_TIMEOUT_MS);
	if (!doc)
		return 1;
	gc = json_object_get(doc, "gc");
	if (as_json) {
		json_dumpf(gc, stdout, JSON_INDENT(2));
		putchar('\n');
	} else {
		if (!json_is_true(json_object_get(gc, "neutron_listed")))
			printf("(Neutron could not be listed: its ports and records were not judged)\n");
		printf("%-9s %-36s %-9s %-7s %-8s %s\n", "KIND", "OBJECT", "STATUS", "ACTION",
		       "OUTCOME", "DETAIL");
		json_array_foreach(json_object_get(gc, "findings"), i, f)
			printf("%-9s %-36s %-9s %-7s %-8s %s\n", str(f, "kind"), str(f, "object"),
			       str(f, "status"), str(f, "action"), str(f, "outcome"), str(f, "detail"));
	}
	json_decref(doc);
	return 0;
}

void cli_gc_help(void)
{
	printf("Usage: sfctl gc [--dry-run] [--json] [--socket PATH]\n"
	       "Runs a garbage collection pass in the daemon and lists what it found: Neutron\n"
	       "ports tagged for this host that the daemon has no record of, records whose port\n"
	       "is gone from Neutron, host interfaces of this deployment without a port, and\n"
	       "ports held by containers whose namespace or interface is gone.  A finding is\n"
	       "cleaned only when the previous pass found it too (STATUS confirmed); a new one\n"
	       "is only marked.  --dry-run changes nothing and does not count as a pass.\n");
}

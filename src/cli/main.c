/* sfctl [-c CONFIG] [-v] COMMAND [ARGS]: dispatches to a subcommand from a
 * table, as wireguard-tools' wg does.  To add one: a file with its function
 * and help, a declaration in cli.h, a line in `commands`. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/config.h"
#include "common/log.h"

static int cmd_help(int argc, char **argv, const struct cli_ctx *ctx);
static void help_help(void);
static int cmd_version(int argc, char **argv, const struct cli_ctx *ctx);
static void version_help(void);

static const struct {
	const char *name;
	cli_cmd_fn fn;
	void (*help)(void);        /* NULL: the summary says it all */
	const char *summary;
} commands[] = {
	{ "status", cli_status, cli_status_help,
	  "one screen: daemon, Keystone, Neutron, agent, pools, leaks, last errors" },
	{ "doctor", cli_doctor, cli_doctor_help,
	  "check this host: config, Keystone, Neutron, agent, kernel" },
	{ "pools", cli_pools, cli_pools_help, "the pools of ready ports and their sizes" },
	{ "ports", cli_ports, cli_ports_help, "the ports the daemon owns and who holds them" },
	{ "gc", cli_gc, cli_gc_help, "find leaked ports and interfaces, and clean them" },
	{ "sites", cli_sites, cli_sites_help, "each site's hosts, agents, pools and free ports" },
	{ "service", cli_service, cli_service_help, "services: one address that moves between sites" },
	{ "version", cmd_version, version_help, "print the version" },
	{ "help", cmd_help, help_help, "this help, or `help COMMAND` for one command's" },
};

static void usage(FILE *f)
{
	fprintf(f, "Usage: sfctl [-c CONFIG] [-v] COMMAND [ARGS]\n\n"
		   "  -c CONFIG   configuration file (default %s)\n"
		   "  -v          debug output on stderr\n\n"
		   "Commands:\n", CONFIG_DEFAULT_PATH);
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		fprintf(f, "  %-10s  %s\n", commands[i].name, commands[i].summary);
}

/* One command's help text, as its help function prints it (caller frees);
 * NULL when out of memory.  The help functions print on stdout, which the
 * GNU C Library lets a program point elsewhere for a while. */
static char *help_text(size_t i)
{
	FILE *saved = stdout, *mem;
	char *text = NULL;
	size_t len;

	if (!commands[i].help)
		return strdup(commands[i].summary);
	fflush(stdout);
	mem = open_memstream(&text, &len);
	if (!mem)
		return NULL;
	stdout = mem;
	commands[i].help();
	stdout = saved;
	if (fclose(mem) != 0) {
		free(text);
		return NULL;
	}
	return text;
}

/* --json: {"commands":[{"name","summary"}...]}, or for one command
 * {"name","summary","usage"} (usage: its help text). */
static int help_json(const char *name)
{
	json_t *doc = NULL, *list;
	int rc = 1;

	if (!name) {
		doc = json_object();
		list = json_array();
		if (!doc || json_object_set_new(doc, "commands", list) < 0)
			goto out;
		for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
			if (json_array_append_new(list, json_pack("{ss ss}", "name", commands[i].name,
								  "summary", commands[i].summary)) < 0)
				goto out;
	} else {
		for (size_t i = 0; i < ARRAY_SIZE(commands); i++) {
			char *text;

			if (strcmp(name, commands[i].name) != 0)
				continue;
			text = help_text(i);
			if (text)
				doc = json_pack("{ss ss ss}", "name", commands[i].name, "summary",
						commands[i].summary, "usage", text);
			free(text);
			break;
		}
	}
	if (doc && json_dumpf(doc, stdout, JSON_INDENT(2)) == 0) {
		putchar('\n');
		rc = 0;
	} else {
		fprintf(stderr, "sfctl: out of memory\n");
	}
out:
	json_decref(doc);
	return rc;
}

static const char *command_named(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (strcmp(name, commands[i].name) == 0)
			return commands[i].name;
	return NULL;
}

static void help_help(void)
{
	printf("Usage: sfctl help [--json] [COMMAND]\n"
	       "The commands with a line each, or one command's usage.  --json:\n"
	       "{\"commands\":[{\"name\",\"summary\"}]}, or {\"name\",\"summary\",\"usage\"}.\n");
}

static int cmd_help(int argc, char **argv, const struct cli_ctx *ctx)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ 0 },
	};
	bool as_json = false;
	const char *name = NULL;
	int c;

	while ((c = getopt_long(argc, argv, "j", opts, NULL)) != -1) {
		switch (c) {
		case 'j': as_json = true; break;
		default: help_help(); return 2;
		}
	}
	if (argc - optind > 1) {
		help_help();
		return 2;
	}
	if (optind < argc) {
		name = argv[optind];
		if (!command_named(name)) {
			fprintf(stderr, "sfctl: no command '%s'; `sfctl help` lists them\n", name);
			return 2;
		}
	}
	if (as_json)
		return help_json(name);
	if (!name) {
		usage(stdout);
		return 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++) {
		if (strcmp(name, commands[i].name) != 0)
			continue;
		if (commands[i].help)
			commands[i].help();
		else
			printf("sfctl %s: %s\n", commands[i].name, commands[i].summary);
	}
	return 0;
}

static void version_help(void)
{
	printf("Usage: sfctl version [--json]\n"
	       "sfctl's version.  --json: {\"name\":\"sfctl\",\"version\"}.\n");
}

static int cmd_version(int argc, char **argv, const struct cli_ctx *ctx)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ 0 },
	};
	bool as_json = false;
	json_t *doc;
	int c;

	while ((c = getopt_long(argc, argv, "j", opts, NULL)) != -1) {
		switch (c) {
		case 'j': as_json = true; break;
		default: version_help(); return 2;
		}
	}
	if (optind != argc) {
		version_help();
		return 2;
	}
	if (!as_json) {
		printf("sfctl %s\n", SF_VERSION);
		return 0;
	}
	doc = json_pack("{ss ss}", "name", "sfctl", "version", SF_VERSION);
	if (!doc || json_dumpf(doc, stdout, JSON_INDENT(2)) < 0) {
		json_decref(doc);
		fprintf(stderr, "sfctl: out of memory\n");
		return 1;
	}
	putchar('\n');
	json_decref(doc);
	return 0;
}

int main(int argc, char **argv)
{
	struct cli_ctx ctx = { .config_path = CONFIG_DEFAULT_PATH };
	int c;

	log_set_ident("sfctl");
	log_set_level(LOG_LEVEL_WARN);
	/* "+": stop at the command, whose options are its own. */
	while ((c = getopt(argc, argv, "+c:vh")) != -1) {
		switch (c) {
		case 'c':
			ctx.config_path = optarg;
			ctx.config_given = true;
			break;
		case 'v':
			ctx.verbose = true;
			log_set_level(LOG_LEVEL_DEBUG);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++) {
		if (strcmp(argv[optind], commands[i].name) == 0) {
			char **sub = argv + optind;
			int n = argc - optind;

			/* The command parses its own options from sub[1]; 0 makes
			 * glibc start getopt afresh. */
			optind = 0;
			return commands[i].fn(n, sub, &ctx);
		}
	}
	fprintf(stderr, "sfctl: unknown command '%s'; `sfctl help` lists them\n", argv[optind]);
	return 2;
}

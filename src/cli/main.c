/* sfctl [-c CONFIG] [-v] COMMAND [ARGS]: dispatches to a subcommand from a
 * table, as wireguard-tools' wg does.  To add one: a file with its function
 * and help, a declaration in cli.h, a line in `commands`. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "common/config.h"
#include "common/log.h"

static int cmd_help(int argc, char **argv, const struct cli_ctx *ctx);
static int cmd_version(int argc, char **argv, const struct cli_ctx *ctx);

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
	{ "version", cmd_version, NULL, "print the version" },
	{ "help", cmd_help, NULL, "this help, or `help COMMAND` for one command's" },
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

static int cmd_help(int argc, char **argv, const struct cli_ctx *ctx)
{
	if (argc < 2) {
		usage(stdout);
		return 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++) {
		if (strcmp(argv[1], commands[i].name) != 0)
			continue;
		if (commands[i].help)
			commands[i].help();
		else
			printf("sfctl %s: %s\n", commands[i].name, commands[i].summary);
		return 0;
	}
	fprintf(stderr, "sfctl: no command '%s'; `sfctl help` lists them\n", argv[1]);
	return 2;
}

static int cmd_version(int argc, char **argv, const struct cli_ctx *ctx)
{
	printf("sfctl %s\n", SF_VERSION);
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

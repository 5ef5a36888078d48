/* sfctl: the command line for people.  Each subcommand lives in its own file
 * and has one entry in the table of main.c. */
#ifndef SF_CLI_CLI_H
#define SF_CLI_CLI_H

#include <stdbool.h>

#include <jansson.h>

#include "common/util.h"   /* SF_VERSION */

/* What every subcommand gets from the global options. */
struct cli_ctx {
	const char *config_path;   /* -c, or CONFIG_DEFAULT_PATH */
	bool config_given;         /* -c was used */
	bool verbose;              /* -v */
};

/* A subcommand: argv[0] is its name, options follow.  Returns the process
 * exit code: 0 success, 1 failure, 2 usage error. */
typedef int (*cli_cmd_fn)(int argc, char **argv, const struct cli_ctx *ctx);

/* The daemon's answer to {"ctl": op<extra>} (extra: more members, from a
 * comma on, or NULL), parsed; NULL after printing why.  Caller
 * json_decref()s. */
#define CLI_CTL_TIMEOUT_MS 10000
json_t *cli_ask(const struct cli_ctx *ctx, const char *socket_path, const char *op,
		const char *extra, unsigned timeout_ms);

int cli_gc(int argc, char **argv, const struct cli_ctx *ctx);
void cli_gc_help(void);
int cli_doctor(int argc, char **argv, const struct cli_ctx *ctx);
void cli_doctor_help(void);
int cli_pools(int argc, char **argv, const struct cli_ctx *ctx);
void cli_pools_help(void);
int cli_ports(int argc, char **argv, const struct cli_ctx *ctx);
void cli_ports_help(void);
int cli_sites(int argc, char **argv, const struct cli_ctx *ctx);
void cli_sites_help(void);
int cli_status(int argc, char **argv, const struct cli_ctx *ctx);
void cli_status_help(void);
int cli_service(int argc, char **argv, const struct cli_ctx *ctx);
void cli_service_help(void);

#endif

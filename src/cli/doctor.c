/* sfctl doctor [--json]: checks, in order, what superfluid needs on this
 * host, and says in plain words what is wrong and what to do about it. */
#include "cli/cli.h"
#include "cli/doctor_kernel.h"
#include "cli/doctor_nested.h"
#include "cli/doctor_neutron.h"
#include "cli/doctor_ovn.h"
#include "cli/doctor_ovs.h"
#include "cli/doctor_report.h"
#include "cli/doctor_site.h"
#include "neutron/opts.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

void cli_doctor_help(void)
{
	printf("Usage: sfctl [-c CONFIG] doctor [--json]\n\n"
	       "Checks, in order: running as root; the configuration file and the\n"
	       "credentials file (loads, owner, permissions); Keystone reachable and the\n"
	       "credentials accepted; Neutron reachable at the catalog's endpoint; the\n"
	       "Neutron extensions superfluid uses; a live Neutron agent on this host\n"
	       "([host] name); on an Open vSwitch host, OVSDB and br-int; on an OVN host,\n"
	       "the chassis, its encapsulation and ovn-controller's br-int; the host's\n"
	       "site against its agents' availability zones;\n"
	       "and the kernel features (network namespaces, veth, bridge,\n"
	       "macvlan, 802.1Q VLAN), each probed by creating the device in a throwaway\n"
	       "namespace.\n\n"
	       "Each check is ok, warn, fail or skip.  `warn` is for what only one mode\n"
	       "needs (802.1Q VLAN devices and the trunk extension for nested VLAN mode,\n"
	       "allowed-address-pairs for nested macvlan mode): it does not fail.\n"
	       "`skip` means a check could not run because an earlier one failed.\n\n"
	       "  --json   print {\"checks\":[{\"name\",\"status\",\"message\"[,\"hint\"]}],\"ok\":bool}\n\n"
	       "Exit status: 0 when no check failed, 1 when one did, 2 on a usage error.\n");
}

static void check_root(struct doctor *d)
{
	d->root = geteuid() == 0;
	if (d->root)
		doctor_report_add(d, "root", DOCTOR_OK, NULL, "running as root");
	else
		doctor_report_add(d, "root", DOCTOR_FAIL,
			   "run `sudo sfctl doctor`: superfluidd runs as root, and the kernel "
			   "probes need it",
			   "not running as root (uid %u)", (unsigned)geteuid());
}

static void check_config(struct doctor *d, const struct cli_ctx *ctx)
{
	struct config_error err = { .message = "" };
	struct neutron_opts opts;
	struct doctor_check *c;
	int r;

	r = config_load(ctx->config_path, &d->cfg, &err);
	if (r < 0) {
		doctor_report_add(d, "config", DOCTOR_FAIL,
			   r == -ENOENT && !ctx->config_given ?
			   "write one (see docs/config.md) or name it with -c" : NULL,
			   "%s", err.message);
		return;
	}
	c = doctor_report_add(d, "config", DOCTOR_OK, NULL, "'%s' loads", ctx->config_path);
	if (d->cfg->neutron.credentials_file)
		snprintf(c->message + strlen(c->message), sizeof(c->message) - strlen(c->message),
			 ", with credentials file '%s' (owner root, mode 0600 or stricter)",
			 d->cfg->neutron.credentials_file);

	r = neutron_opts_from_config(&d->cfg->neutron, &opts);
	/* A diagnosis wants the first answer, not retries of it (negative:
	 * none, for the client). */
	opts.max_retries = -1;
	if (r >= 0)
		r = neutron_client_new(&opts, &d->nc);
	if (r < 0) {
		c->status = DOCTOR_FAIL;
		snprintf(c->message, sizeof(c->message),
			 "'%s' loads, but the Neutron client refuses its settings: %s",
			 ctx->config_path, strerror(-r));
	}
}

int cli_doctor(int argc, char **argv, const struct cli_ctx *ctx)
{
	static const struct option long_opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct doctor d = { .n = 0 };
	bool json = false, ok = true;
	int c, rc = 1;

	while ((c = getopt_long(argc, argv, "jh", long_opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'h':
			cli_doctor_help();
			return 0;
		default:
			fprintf(stderr, "Usage: sfctl [-c CONFIG] doctor [--json]\n");
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "sfctl doctor: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}

	check_root(&d);
	check_config(&d, ctx);
	doctor_check_keystone(&d);
	doctor_check_neutron(&d);
	doctor_check_extensions(&d);
	/* In a VM the daemon needs its port, not an agent of its own. */
	if (d.cfg && config_mode_nested(d.cfg->host.mode))
		doctor_check_vm_port(&d);
	else
		doctor_check_agent(&d);
	if (d.ovs_agent)
		doctor_check_ovs(&d);
	if (d.ovn_agent)
		doctor_check_ovn(&d);
	doctor_check_site(&d);
	doctor_check_kernel(&d);

	for (unsigned i = 0; i < d.n; i++)
		if (d.checks[i].status == DOCTOR_FAIL)
			ok = false;
	if (json) {
		if (doctor_report_json(&d, ok) < 0) {
			fprintf(stderr, "sfctl doctor: cannot write the JSON answer\n");
			goto out;
		}
	} else {
		doctor_report_text(&d);
	}
	rc = ok ? 0 : 1;
out:
	json_decref(d.extensions);
	neutron_client_free(d.nc);
	config_free(d.cfg);
	return rc;
}

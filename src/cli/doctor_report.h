/* sfctl doctor's report: the checks' outcomes as every check file records
 * them (doctor_report_add), and how they are printed. */
#ifndef SF_CLI_DOCTOR_REPORT_H
#define SF_CLI_DOCTOR_REPORT_H

#include <stdbool.h>

#include <jansson.h>

#include "common/config.h"
#include "neutron/neutron.h"

enum doctor_status {
	DOCTOR_OK,
	DOCTOR_WARN,   /* an optional feature is missing: does not fail the exit code */
	DOCTOR_FAIL,
	DOCTOR_SKIP,   /* could not be checked, because an earlier check failed */
};

struct doctor_check {
	const char *name;
	enum doctor_status status;
	char message[512];
	char hint[256];        /* "" when none */
};

#define DOCTOR_MAX_CHECKS 16

struct doctor {
	struct doctor_check checks[DOCTOR_MAX_CHECKS];
	unsigned n;
	bool root;
	struct config *cfg;            /* NULL when it did not load */
	struct neutron_client *nc;     /* NULL without a config */
	bool authenticated;            /* a token (or noauth) to talk to Neutron */
	json_t *extensions;            /* the extension list, once Neutron answered */
	bool ovs_agent;                /* an Open vSwitch agent is alive on this host */
	bool ovn_agent;                /* an OVN controller agent is alive on this host */
};

/* Records a check; `hint` may be NULL.  Returns the new check. */
struct doctor_check *doctor_report_add(struct doctor *d, const char *name,
				       enum doctor_status status, const char *hint, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* The report on stdout: one line per check (and its hint), or, with --json,
 * {"checks": [...], "ok": ok}.  -1 when the JSON could not be built. */
void doctor_report_text(const struct doctor *d);
int doctor_report_json(const struct doctor *d, bool ok);

#endif

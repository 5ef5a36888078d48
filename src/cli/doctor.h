/* sfctl doctor: the checks, shared by doctor*.c. */
#ifndef SF_CLI_DOCTOR_H
#define SF_CLI_DOCTOR_H

#include <stdbool.h>

#include "cli/cli.h"
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
};

/* Records a check; `hint` may be NULL.  Returns the new check. */
struct doctor_check *doctor_add(struct doctor *d, const char *name, enum doctor_status status,
				const char *hint, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

void doctor_check_keystone(struct doctor *d);
void doctor_check_neutron(struct doctor *d);
void doctor_check_extensions(struct doctor *d);
void doctor_check_agent(struct doctor *d);
/* Nested modes: the VM's NIC and its Neutron port (and trunk). */
void doctor_check_vm_port(struct doctor *d);
void doctor_check_kernel(struct doctor *d);
/* With an Open vSwitch agent on the host: OVSDB answers and has br-int. */
void doctor_check_ovs(struct doctor *d);

#endif

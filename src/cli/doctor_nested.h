/* sfctl doctor's checks of the nested modes' VM port. */
#ifndef SF_CLI_DOCTOR_NESTED_H
#define SF_CLI_DOCTOR_NESTED_H

#include "cli/doctor_report.h"

/* Nested modes: the VM's NIC and its Neutron port (and trunk). */
void doctor_check_vm_port(struct doctor *d);

#endif

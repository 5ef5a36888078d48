/* sfctl doctor's checks of an OVN host (docs/ovn.md). */
#ifndef SF_CLI_DOCTOR_OVN_H
#define SF_CLI_DOCTOR_OVN_H

#include "cli/doctor_report.h"

/* With an OVN controller agent on the host: the chassis in the host's
 * OVSDB is [host] name, it has a Southbound and a Geneve (or VXLAN)
 * encapsulation, and ovn-controller has run on br-int. */
void doctor_check_ovn(struct doctor *d);

#endif

/* sfctl doctor's checks of the Open vSwitch host's OVSDB. */
#ifndef SF_CLI_DOCTOR_OVS_H
#define SF_CLI_DOCTOR_OVS_H

#include "cli/doctor_report.h"

/* With an Open vSwitch agent on the host: OVSDB answers and has br-int. */
void doctor_check_ovs(struct doctor *d);

#endif

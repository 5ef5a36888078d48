/* sfctl doctor's check of the host's site against Neutron's zones. */
#ifndef SF_CLI_DOCTOR_SITE_H
#define SF_CLI_DOCTOR_SITE_H

#include "cli/doctor_report.h"

/* [host] site against the availability_zone of the host's L3 and DHCP
 * agents (L2 agents have none): they must agree. */
void doctor_check_site(struct doctor *d);

#endif

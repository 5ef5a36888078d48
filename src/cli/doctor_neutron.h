/* sfctl doctor's checks of Keystone, Neutron, its extensions and this host's agent. */
#ifndef SF_CLI_DOCTOR_NEUTRON_H
#define SF_CLI_DOCTOR_NEUTRON_H

#include "cli/doctor_report.h"

void doctor_check_keystone(struct doctor *d);
void doctor_check_neutron(struct doctor *d);
void doctor_check_extensions(struct doctor *d);
void doctor_check_agent(struct doctor *d);

#endif

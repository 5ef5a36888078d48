/* sfctl doctor's checks of the kernel features, probed in a throwaway namespace. */
#ifndef SF_CLI_DOCTOR_KERNEL_H
#define SF_CLI_DOCTOR_KERNEL_H

#include "cli/doctor_report.h"

void doctor_check_kernel(struct doctor *d);

#endif

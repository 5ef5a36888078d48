/* A Neutron call's outcome, reported by every layer of the client (the
 * transport, authentication, the calls): the error it fills and the
 * client's counters.  Below client.c, auth.c and http.c, which all use it. */
#ifndef SF_NEUTRON_OUTCOME_H
#define SF_NEUTRON_OUTCOME_H

#include "neutron/internal.h"

/* Fills err (if not NULL) with a formatted transport/local error message. */
void neutron_error_set(struct neutron_error *err, int http_status, const char *type,
		       const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Adds delta to the client's counters (neutron_client_stats reads them). */
void neutron_stats_add(struct neutron_client *c, const struct neutron_stats *delta);

#endif

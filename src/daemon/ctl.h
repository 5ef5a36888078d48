/* sfctl's queries, answered by the daemon (handle.c routes them here). */
#ifndef SF_DAEMON_CTL_H
#define SF_DAEMON_CTL_H

#include <jansson.h>

#include "common/util.h"
#include "daemon/state.h"

/* A JSON reply (caller free()s) for {"ctl": "pools"|"ports"|"gc"|"status"|"service"}
 * (gc takes "dry_run": true|false).  -EOPNOTSUPP for another.  On failure
 * `why` may say more (empty when not).  handle.c answers a failure with
 * exit code 1 and {"error": why, "errno": the errno's name}: "ENOENT" from
 * pool_free and pool_retire means no pool of that name (superfluid-docker
 * relies on it), "EOPNOTSUPP" an unknown query. */
int ctl_query(struct daemon *d, const json_t *req, char **ret_json, char *why,
	      size_t why_size) MUST_CHECK;

#endif

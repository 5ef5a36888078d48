/* sfctl's queries, answered by the daemon (handle.c routes them here). */
#ifndef SF_DAEMON_CTL_H
#define SF_DAEMON_CTL_H

#include <jansson.h>

#include "common/util.h"
#include "daemon/state.h"

/* A JSON reply (caller free()s) for {"ctl": "pools"|"ports"|"gc"} (gc takes
 * "dry_run": true|false).  -EOPNOTSUPP for another. */
int ctl_query(struct daemon *d, const json_t *req, char **ret_json) MUST_CHECK;

#endif

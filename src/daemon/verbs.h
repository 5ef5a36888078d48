/* The CNI verbs the daemon serves (CNI spec 1.1).  Each fills *err on
 * failure with the code and message the plugin answers; handle.c turns
 * that into the wire reply.  env and conf are parsed and valid. */
#ifndef SF_DAEMON_VERBS_H
#define SF_DAEMON_VERBS_H

#include "cni/cni.h"
#include "cni/conf.h"
#include "cni/env.h"
#include "daemon/state.h"

/* A warm port from the pool (or a cold one, cfg.on_demand), attached in
 * the container; *ret is the CNI result (caller free()s). */
int verbs_add(struct daemon *d, const struct cni_env *env, const struct cni_conf *conf,
	      char **ret, struct cni_error *err);
/* Releases the held port through the cool-down; idempotent. */
int verbs_del(struct daemon *d, const struct cni_env *env, struct cni_error *err);
/* The held port is attached as the ADD left it. */
int verbs_check(struct daemon *d, const struct cni_env *env, struct cni_error *err);
/* Ready while Neutron answers or a pool holds a ready port. */
int verbs_status(struct daemon *d, struct cni_error *err);
/* Releases what the runtime no longer knows, then a garbage collection
 * pass over the network's pool. */
int verbs_gc(struct daemon *d, const struct cni_conf *conf, struct cni_error *err);

#endif

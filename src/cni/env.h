/* The CNI environment variables (spec section 2, "Parameters"), validated
 * per verb:
 *
 *   var              ADD  DEL  CHECK  STATUS  GC   VERSION
 *   CNI_COMMAND      req  req  req    req     req  req
 *   CNI_CONTAINERID  req  req  req    -       -    -
 *   CNI_NETNS        req  opt  req    -       -    -
 *   CNI_IFNAME       req  req  req    -       -    -
 *   CNI_ARGS         opt  opt  opt    -       -    -
 *   CNI_PATH         opt  opt  opt    opt     req  -
 *
 * An empty variable counts as unset, as in the Go reference (skel).
 * Variables a verb does not use are ignored.  Every failure is code 4 and
 * its message names the variable, except unknown CNI_ARGS keys (code 2, see
 * cni_env_parse). */
#ifndef SF_CNI_ENV_H
#define SF_CNI_ENV_H

#include <stdbool.h>
#include <stddef.h>

#include "cni/cni.h"

/* The variables as received; borrowed strings, NULL when unset. */
struct cni_env_raw {
	const char *command;       /* CNI_COMMAND */
	const char *container_id;  /* CNI_CONTAINERID */
	const char *netns;         /* CNI_NETNS */
	const char *ifname;        /* CNI_IFNAME */
	const char *args;          /* CNI_ARGS */
	const char *path;          /* CNI_PATH */
};

struct cni_arg {
	char *key;
	char *value;
};

/* The validated environment; owns its strings. */
struct cni_env {
	enum cni_command command;
	char *container_id;    /* ADD, DEL, CHECK; else NULL */
	char *netns;           /* ADD, CHECK; DEL when given; else NULL */
	char *ifname;          /* ADD, DEL, CHECK; else NULL */
	char *path;            /* NULL when unset */
	struct cni_arg *args;  /* CNI_ARGS in order, n_args of them */
	size_t n_args;
	bool ignore_unknown;   /* CNI_ARGS had IgnoreUnknown=1|true */
};

#define CNI_IFNAME_MAX 15     /* IFNAMSIZ - 1 */
#define CNI_ID_MAX 1024       /* container IDs and network names */

/* Reads the process environment into `raw` (borrowed from environ). */
void cni_env_raw_from_environ(struct cni_env_raw *raw);

/* Validates `raw` for its verb.  CNI_ARGS is "K=V;K2=V2" (empty pairs are
 * skipped); keys superfluid does not know are refused with code 2 unless
 * IgnoreUnknown is 1 or true, as the reference plugins do.  Known keys:
 * IgnoreUnknown, K8S_POD_NAMESPACE, K8S_POD_NAME, K8S_POD_INFRA_CONTAINER_ID,
 * K8S_POD_UID, and superfluid's SF_SERVICE (the service the instance joins).
 * DEL never fails over CNI_ARGS: bad ones are dropped (no
 * args).  Without memory: -ENOMEM, code 999.  The caller frees *ret with
 * cni_env_free(). */
int cni_env_parse(const struct cni_env_raw *raw, struct cni_env **ret,
		  struct cni_error *err) MUST_CHECK;
void cni_env_free(struct cni_env *env);

/* The value of a CNI_ARGS key (borrowed), or NULL. */
const char *cni_env_arg(const struct cni_env *env, const char *key);

/* Spec name rules, shared with the network config: a container ID or a
 * network name starts with an alphanumeric character, then alphanumerics,
 * '_', '.' or '-'.  An interface name is 1..15 bytes, not "." or "..",
 * without '/', ':' or whitespace. */
bool cni_valid_id(const char *s);
bool cni_valid_ifname(const char *s);

#endif

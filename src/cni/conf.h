/* The network config a runtime sends on stdin (one plugin's part of a
 * conflist, with cniVersion and name inserted), parsed and validated.
 *
 * Error codes: JSON that does not parse (or stdin over CNI_CONF_MAX) is 6;
 * an unsupported cniVersion, or one too old for the verb, is 1; a known key
 * of the wrong type or value is 7; a key superfluid cannot honour ("ipam",
 * "ipMasq": true) is 2.  Unknown keys are ignored, as the spec asks. */
#ifndef SF_CNI_CONF_H
#define SF_CNI_CONF_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "cni/cni.h"
#include "cni/result.h"

#define CNI_CONF_MAX (128 * 1024)  /* bytes of stdin */
#define CNI_NAME_MAX 255           /* Neutron's limit on names */
#define CNI_MAX_SECURITY_GROUPS 64
/* service/spec.h's SERVICE_NAME_MAX, a layer beside this one (the daemon
 * asserts they agree). */
#define CNI_SERVICE_NAME_MAX 40

/* One entry of "cni.dev/valid-attachments" (GC). */
struct cni_attachment {
	char *container_id;
	char *ifname;
};

struct cni_conf {
	enum cni_version version;
	char *version_str;        /* as given, e.g. "1.1.0" */
	char *name;               /* network name (spec rules) */
	char *type;               /* plugin binary name */

	/* superfluid's keys */
	char *network;            /* Neutron network, name or id: required */
	char *subnet;             /* Neutron subnet, name or id, or NULL */
	char **security_groups;   /* names or ids, NULL-terminated; NULL when
				   * the key is absent (Neutron's default
				   * group applies), empty when [] */
	size_t n_security_groups;
	int mtu;                  /* 576..65535, 0 when unset (the network's) */
	char *socket;             /* the daemon's socket for the plugin, or NULL */
	char *service;            /* the service every container of this network
				   * joins, from the service's own pool of
				   * pre-joined ports (docs/superfluidity.md); NULL */

	/* keys of the protocol */
	bool disable_check;
	bool disable_gc;
	struct cni_dns dns;       /* "dns", well-known key; empty when absent */
	struct cni_result *prev_result;  /* "prevResult", or NULL */
	json_t *runtime_config;   /* "runtimeConfig" object or NULL; borrowed from raw */
	json_t *args;             /* "args" object or NULL; borrowed from raw */
	/* GC: "cni.dev/valid-attachments" (or libcni's older
	 * "cni.dev/attachments"); required for GC, so that a runtime that
	 * forgot it cannot make us collect everything. */
	struct cni_attachment *valid_attachments;
	size_t n_valid_attachments;

	json_t *raw;              /* the whole document; owned */
};

/* Parses and validates stdin for verb `cmd` (not VERSION).  Version rules:
 * 0.3.1, 0.4.0, 1.0.0 and 1.1.0 are accepted; CHECK needs 0.4.0 or later,
 * STATUS and GC 1.1.0.  prevResult is required for CHECK.  DEL, which must
 * not fail for what only matters to ADD, drops a malformed prevResult and
 * does not refuse "ipam" or "ipMasq" (code 2).  Once cniVersion is
 * known it is copied to err->version, so that even a later error is
 * answered in the request's version.  Without memory: -ENOMEM and code 999
 * (even for DEL).  The caller frees *ret with cni_conf_free(). */
int cni_conf_parse(const char *data, size_t len, enum cni_command cmd,
		   struct cni_conf **ret, struct cni_error *err) MUST_CHECK;
void cni_conf_free(struct cni_conf *conf);

#endif

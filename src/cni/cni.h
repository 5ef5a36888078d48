/* The CNI protocol (spec 1.1.0) as superfluid speaks it: verbs, spec
 * versions, error results and the VERSION answer.  The environment, the
 * network config and the ADD result live in env.h, conf.h and result.h.
 *
 * Conventions: functions return 0 or a negative errno.  Functions that
 * validate untrusted input also take a `struct cni_error *err` and, on
 * failure, fill it with the CNI error code and a message that a runtime can
 * show to a person; the caller prints it with cni_error_to_json(). */
#ifndef SF_CNI_CNI_H
#define SF_CNI_CNI_H

#include <stddef.h>

#include "cni/error.h"
#include "common/util.h"

enum cni_command {
	CNI_CMD_ADD = 1,
	CNI_CMD_DEL,
	CNI_CMD_CHECK,
	CNI_CMD_STATUS,
	CNI_CMD_GC,
	CNI_CMD_VERSION,
};

/* The spec versions superfluid accepts, oldest first.  0.1.0 to 0.3.0 are
 * refused: no runtime still in use needs them (0.3.0 differs from 0.3.1 only
 * by a typo fix, but nobody ships configs with it). */
enum cni_version {
	CNI_VERSION_0_3_1,
	CNI_VERSION_0_4_0,
	CNI_VERSION_1_0_0,
	CNI_VERSION_1_1_0,
};
#define CNI_VERSION_LATEST CNI_VERSION_1_1_0
#define CNI_VERSION_LATEST_STR "1.1.0"

/* The spec's error object, one line ending in a newline:
 * {"cniVersion":..,"code":N,"msg":"..","details":".."}.  The caller frees
 * *ret with free().  -ENOMEM without memory. */
int cni_error_to_json(const struct cni_error *err, char **ret) MUST_CHECK;

/* "ADD" -> CNI_CMD_ADD, ...; -EINVAL for anything else (case matters, as in
 * the spec). */
int cni_command_parse(const char *s, enum cni_command *ret) MUST_CHECK;
const char *cni_command_str(enum cni_command cmd);

/* Parses a version string.  -EINVAL when it is not MAJOR.MINOR.PATCH,
 * -ENOTSUP when it is well formed but not one superfluid speaks. */
int cni_version_parse(const char *s, enum cni_version *ret) MUST_CHECK;
const char *cni_version_str(enum cni_version v);
/* Whether a version allows a verb: CHECK needs 0.4.0, STATUS and GC 1.1.0. */
bool cni_version_allows(enum cni_version v, enum cni_command cmd);

/* The answer to VERSION.  `stdin_data` is what the runtime sent (may be
 * empty): its "cniVersion" is echoed, as the spec asks, or "1.1.0" when
 * there is none.  Malformed JSON or a malformed version string fail with
 * code 6; no memory, code 999 and -ENOMEM.  The caller frees *ret with
 * free(). */
int cni_version_reply(const char *stdin_data, size_t len, char **ret,
		      struct cni_error *err) MUST_CHECK;

#endif

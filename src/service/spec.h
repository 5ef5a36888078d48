/* A service: one stable address that follows its instances from host to
 * host and site to site (docs/superfluidity.md).  Neutron holds the truth:
 * a "service port" reserves the address, and its description carries the
 * service's state as a small JSON object, updated only with If-Match on
 * the port's revision, so that two daemons never both believe they won a
 * move.  This module is the parsing and formatting of that state and of
 * the readiness check a user names; it does no I/O. */
#ifndef SF_SERVICE_SPEC_H
#define SF_SERVICE_SPEC_H

#include <stdbool.h>
#include <stdint.h>

#include "common/util.h"

#define SERVICE_NAME_MAX 40       /* "sf-member=<name>" stays under Neutron's 60-char tags */
#define SERVICE_ID_LEN 64
#define SERVICE_PATH_MAX 64

enum service_check_kind {
	SERVICE_CHECK_TCP,        /* "tcp:PORT": a connect succeeds */
	SERVICE_CHECK_HTTP,       /* "http:PORT/path": a GET answers 2xx or 3xx */
};

struct service_check {
	enum service_check_kind kind;
	uint16_t port;
	char path[SERVICE_PATH_MAX];   /* HTTP only, starts with '/' */
};

/* How the service's address follows its instances (docs/superfluidity.md,
 * "Which way to move an address"). */
enum service_method {
	SERVICE_METHOD_AAP,       /* an allowed address pair on every instance, announced */
	SERVICE_METHOD_FIP,       /* a floating IP re-associated to the answering instance */
	/* OVN only: the service port itself, plugged into the answering
	 * instance as a second interface, moved between chassis with OVN's
	 * multi-chassis binding (requested-chassis on both, activation by
	 * RARP; docs/superfluidity.md, "binding"). */
	SERVICE_METHOD_BINDING,
};

enum service_phase {
	SERVICE_STABLE,           /* `active` answers; nobody else holds the address */
	SERVICE_MOVING,           /* `active` is taking the address; `from` still answers
				   * (binding: `from` is asked to go quiet) */
	SERVICE_QUIET,            /* binding only: `from` went quiet; `active` activates */
};

/* What the service port's description holds. */
struct service_state {
	struct service_check check;
	/* Not in the description (its 255 characters are spoken for): the
	 * service port's tag "sf-method=fip"; no tag: aap (service/port.h). */
	enum service_method method;
	unsigned grace_ms;             /* the old instance drains this long */
	enum service_phase phase;
	char active[SERVICE_ID_LEN];   /* the instance port answering; "" for none */
	char from[SERVICE_ID_LEN];     /* MOVING: the instance being left; "" otherwise */
	uint64_t epoch;                /* bumped by every change of holder */
};

#define SERVICE_GRACE_DEFAULT_MS 2000
#define SERVICE_GRACE_MAX_MS 600000

/* Lowercase letters, digits and '-', starting with a letter or digit, at
 * most SERVICE_NAME_MAX characters. */
bool service_name_valid(const char *name);

/* "tcp:8080" or "http:8080/healthz"; -EINVAL otherwise, with why (may be
 * NULL) saying what is wrong. */
int service_check_parse(const char *text, struct service_check *ret, char *why,
			size_t why_size) MUST_CHECK;
/* The same text back; -ENAMETOOLONG when it does not fit. */
int service_check_format(const struct service_check *c, char *buf, size_t size) MUST_CHECK;

/* The description's JSON.  parse: -EINVAL when it is not a service's
 * (another port, or a damaged one), -ENOMEM.  format: the caller frees
 * *ret; Neutron's description holds at most 255 characters, which every
 * valid state fits. */
int service_state_parse(const char *description, struct service_state *ret) MUST_CHECK;
int service_state_format(const struct service_state *st, char **ret) MUST_CHECK;

const char *service_phase_to_string(enum service_phase phase);
/* "aap", "fip", "binding"; -EINVAL for another name (why, may be NULL, says which are
 * built). */
int service_method_parse(const char *text, enum service_method *ret, char *why,
			 size_t why_size) MUST_CHECK;
const char *service_method_to_string(enum service_method method);

#endif

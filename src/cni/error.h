/* A CNI error as a request's handling fills it (cni.h's conventions): the
 * spec's code and a message a person can read.  cni_error_to_json (cni.h)
 * writes it out. */
#ifndef SF_CNI_ERROR_H
#define SF_CNI_ERROR_H

#include "common/util.h"

/* Error codes of the spec (section 5, "Error"); 100 and up are ours. */
enum cni_code {
	CNI_ERR_INCOMPATIBLE_VERSION = 1,
	CNI_ERR_UNSUPPORTED_FIELD = 2,
	CNI_ERR_UNKNOWN_CONTAINER = 3,
	CNI_ERR_INVALID_ENV = 4,
	CNI_ERR_IO = 5,
	CNI_ERR_DECODE = 6,
	CNI_ERR_INVALID_CONFIG = 7,
	CNI_ERR_TRY_AGAIN = 11,
	CNI_ERR_NOT_AVAILABLE = 50,
	CNI_ERR_LIMITED_CONNECTIVITY = 51,
	/* libcni's ErrInternal: a bug or an unexpected failure. */
	CNI_ERR_INTERNAL = 999,
};

struct cni_error {
	int code;           /* enum cni_code; 0 while no error was set */
	char msg[256];      /* short, names the offending key or variable */
	char details[512];  /* optional longer text; "" when none */
	char version[16];   /* cniVersion to answer with; "" means the latest */
};

void cni_error_init(struct cni_error *err);
/* Sets code and msg and clears details; keeps err->version.  NULL-safe. */
void cni_error_set(struct cni_error *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void cni_error_set_details(struct cni_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Out of memory while handling a request: code 999 (internal), "out of
 * memory"; returns -ENOMEM.  NULL-safe. */
int cni_error_nomem(struct cni_error *err);
/* Copies code, msg and details of src; keeps dst->version.  NULL-safe dst. */
void cni_error_copy(struct cni_error *dst, const struct cni_error *src);
/* The cniVersion the error is reported in: the request's, once known. */
void cni_error_set_version(struct cni_error *err, const char *version);

#endif

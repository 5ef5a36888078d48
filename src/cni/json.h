/* jansson helpers shared by the CNI code: typed lookups that name the
 * offending key in a struct cni_error, and the one way we print JSON.
 * A JSON null counts as absent, as it does for the Go reference types. */
#ifndef SF_CNI_JSON_H
#define SF_CNI_JSON_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "cni/error.h"

/* Compact JSON and a newline; the caller frees *ret with free(). */
int cni_json_dump(const json_t *v, char **ret) MUST_CHECK;
/* A JSON string of s.  When s is not valid UTF-8 (a raw variable in a
 * message, a multibyte character cut short), its non-ASCII bytes become '?'.
 * NULL without memory. */
json_t *cni_json_string_lossy(const char *s);
/* Whether json_stringn() takes the bytes: valid UTF-8 (NUL bytes allowed),
 * no overlong forms, no surrogates, nothing above U+10FFFF.  Tells its
 * refusal apart from its failing for want of memory. */
bool cni_utf8_valid(const char *s, size_t len);
/* True when the buffer holds only JSON whitespace (or nothing). */
bool cni_json_is_blank(const char *s, size_t len);

/* Each lookup: an absent or null member leaves *ret untouched and returns 0;
 * a member of the wrong type sets err (with `code` and the message
 * "'<ctx><key>' must be ...") and returns -EINVAL.  Strings are borrowed
 * from `obj`. */
int cni_json_string(const json_t *obj, const char *key, const char *ctx, int code,
		    const char **ret, struct cni_error *err) MUST_CHECK;
int cni_json_bool(const json_t *obj, const char *key, const char *ctx, int code,
		  bool *ret, struct cni_error *err) MUST_CHECK;
/* An integer in min..max. */
int cni_json_int(const json_t *obj, const char *key, const char *ctx, int code,
		 long long min, long long max, long long *ret,
		 struct cni_error *err) MUST_CHECK;
int cni_json_object(const json_t *obj, const char *key, const char *ctx, int code,
		    json_t **ret, struct cni_error *err) MUST_CHECK;
/* An array of strings, copied: *ret is a NULL-terminated vector the caller
 * frees with cni_strv_free(); *ret_n is its length.  Both are written only
 * when the member is present.  No memory: -ENOMEM, code 999 in err. */
int cni_json_strv(const json_t *obj, const char *key, const char *ctx, int code,
		  char ***ret, size_t *ret_n, struct cni_error *err) MUST_CHECK;

/* NULL-terminated string vectors. */
void cni_strv_free(char **v);
/* A copy, or NULL for NULL or without memory. */
char **cni_strv_copy(char *const *v, size_t n);
/* Adds `s` (copied) unless it is already there; keeps the vector
 * NULL-terminated.  -ENOMEM leaves the vector as it was. */
int cni_strv_add_unique(char ***v, size_t *n, const char *s) MUST_CHECK;

#endif

#include "cni/error.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void cni_error_init(struct cni_error *err)
{
	if (err)
		memset(err, 0, sizeof(*err));
}

void cni_error_set(struct cni_error *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return;
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	err->details[0] = '\0';
}

void cni_error_set_details(struct cni_error *err, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return;
	va_start(ap, fmt);
	vsnprintf(err->details, sizeof(err->details), fmt, ap);
	va_end(ap);
}

int cni_error_nomem(struct cni_error *err)
{
	cni_error_set(err, CNI_ERR_INTERNAL, "out of memory");
	return -ENOMEM;
}

void cni_error_copy(struct cni_error *dst, const struct cni_error *src)
{
	if (!dst)
		return;
	dst->code = src->code;
	memcpy(dst->msg, src->msg, sizeof(dst->msg));
	memcpy(dst->details, src->details, sizeof(dst->details));
}

void cni_error_set_version(struct cni_error *err, const char *version)
{
	if (!err)
		return;
	/* A version that does not fit is not one anybody could parse back;
	 * answering in the latest one is then the best guess. */
	if (!version || util_strlcpy(err->version, version, sizeof(err->version)) < 0)
		err->version[0] = '\0';
}

/* Allocation failure injection (fault.h).  The __wrap_* functions exist
 * only with -DSF_FAULT_INJECTION, which the FAULT=1 build links with
 * --wrap; __real_* are then the C library's (or ASan's) functions. */
#include "common/fault.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#ifdef SF_FAULT_INJECTION
#include <sanitizer/common_interface_defs.h>
#endif
#include <jansson.h>

/* Per thread, so that only the thread under test is disturbed. */
static __thread struct {
	bool armed, fired;
	unsigned long target, count;
	unsigned hold;   /* inside jansson's parser: see __wrap_json_loadb */
} fault_state;

bool fault_should_fail(void)
{
	if (!fault_state.armed || fault_state.hold)
		return false;
	if (++fault_state.count != fault_state.target)
		return false;
	fault_state.fired = true;
#ifdef SF_FAULT_INJECTION
	/* SF_FAULT_TRACE=1: where each injected failure happens (ASan's stack
	 * printer; the FAULT=1 build always has ASan). */
	if (getenv("SF_FAULT_TRACE")) {
		fprintf(stderr, "fault: failing allocation %lu here:\n", fault_state.count);
		__sanitizer_print_stack_trace();
	}
#endif
	return true;
}

void fault_arm(unsigned long n)
{
	fault_state.armed = true;
	fault_state.fired = false;
	fault_state.target = n;
	fault_state.count = 0;
}

unsigned long fault_disarm(bool *ret_fired)
{
	fault_state.armed = false;
	if (ret_fired)
		*ret_fired = fault_state.fired;
	return fault_state.count;
}

#ifdef SF_FAULT_INJECTION

void *__real_malloc(size_t size);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t size);
char *__real_strdup(const char *s);
char *__real_strndup(const char *s, size_t n);
int __real_vasprintf(char **ret, const char *fmt, va_list ap);
void *__wrap_malloc(size_t size);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t size);
char *__wrap_strdup(const char *s);
char *__wrap_strndup(const char *s, size_t n);
int __wrap_vasprintf(char **ret, const char *fmt, va_list ap);
int __wrap_asprintf(char **ret, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

void *__wrap_malloc(size_t size)
{
	if (fault_should_fail()) {
		errno = ENOMEM;
		return NULL;
	}
	return __real_malloc(size);
}

void *__wrap_calloc(size_t n, size_t size)
{
	if (fault_should_fail()) {
		errno = ENOMEM;
		return NULL;
	}
	return __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t size)
{
	/* A failed realloc leaves the block as it was, as the real one does. */
	if (fault_should_fail()) {
		errno = ENOMEM;
		return NULL;
	}
	return __real_realloc(p, size);
}

char *__wrap_strdup(const char *s)
{
	if (fault_should_fail()) {
		errno = ENOMEM;
		return NULL;
	}
	return __real_strdup(s);
}

char *__wrap_strndup(const char *s, size_t n)
{
	if (fault_should_fail()) {
		errno = ENOMEM;
		return NULL;
	}
	return __real_strndup(s, n);
}

int __wrap_vasprintf(char **ret, const char *fmt, va_list ap)
{
	if (fault_should_fail()) {
		errno = ENOMEM;
		return -1;
	}
	return __real_vasprintf(ret, fmt, ap);
}

int __wrap_asprintf(char **ret, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = __wrap_vasprintf(ret, fmt, ap);
	va_end(ap);
	return n;
}

/* jansson 2.14's parser does not survive a failed allocation: lex_save()
 * ignores a failed buffer growth, so that a string is silently cut short
 * or an assertion aborts (akheron/jansson#362, fix proposed in #747).  So
 * the parser's allocations never fail; instead the whole call counts as
 * one allocation, and failing it returns what jansson returns for want of
 * memory.  Our code's handling of that is what is under test. */
json_t *__real_json_loadb(const char *buf, size_t len, size_t flags, json_error_t *err);
json_t *__real_json_loads(const char *s, size_t flags, json_error_t *err);
json_t *__wrap_json_loadb(const char *buf, size_t len, size_t flags, json_error_t *err);
json_t *__wrap_json_loads(const char *s, size_t flags, json_error_t *err);

static void nomem_error(json_error_t *err)
{
	if (!err)
		return;
	memset(err, 0, sizeof(*err));
	err->line = -1;
	err->column = -1;
	snprintf(err->text, sizeof(err->text), "out of memory");
	/* Where json_error_code() finds the code, as jansson's own error.c puts it. */
	err->text[JSON_ERROR_TEXT_LENGTH - 1] = (char)json_error_out_of_memory;
}

json_t *__wrap_json_loadb(const char *buf, size_t len, size_t flags, json_error_t *err)
{
	json_t *v;

	if (fault_should_fail()) {
		nomem_error(err);
		return NULL;
	}
	fault_state.hold++;
	v = __real_json_loadb(buf, len, flags, err);
	fault_state.hold--;
	return v;
}

json_t *__wrap_json_loads(const char *s, size_t flags, json_error_t *err)
{
	return __wrap_json_loadb(s, strlen(s), flags, err);
}

/* jansson and libcurl are shared libraries, which --wrap does not reach:
 * they get these, which call the wrapped functions above. */
static void *lib_malloc(size_t size) { return __wrap_malloc(size); }
static void *lib_calloc(size_t n, size_t size) { return __wrap_calloc(n, size); }
static void *lib_realloc(void *p, size_t size) { return __wrap_realloc(p, size); }
static char *lib_strdup(const char *s) { return __wrap_strdup(s); }
static void lib_free(void *p) { free(p); }

bool fault_enabled(void)
{
	return true;
}

int fault_install(bool curl)
{
	json_set_alloc_funcs(lib_malloc, lib_free);
	if (curl && curl_global_init_mem(CURL_GLOBAL_DEFAULT, lib_malloc, lib_free, lib_realloc,
				 lib_strdup, lib_calloc) != CURLE_OK)
		return -EIO;
	return 0;
}

#else

bool fault_enabled(void)
{
	return false;
}

int fault_install(bool curl)
{
	return 0;
}

#endif

/* Allocation failure injection for the FAULT=1 build (docs/fuzzing.md,
 * "Fault injection").  That build compiles the library with
 * -DSF_FAULT_INJECTION and links with --wrap=malloc,calloc,realloc,strdup,
 * strndup,asprintf,vasprintf, so that our objects' allocations go through
 * the wrappers here; fault_install() routes jansson's and libcurl's too.
 * json_loadb and json_loads are wrapped as well: jansson's parser does not
 * survive a failed allocation (fault.c), so a whole parse counts as one
 * allocation, failed the way jansson fails without memory.
 * In every other build the functions are inert: nothing is counted and
 * nothing fails.
 *
 * Injection is per thread: only the thread that armed it counts and fails,
 * so the test's HTTP server threads are never disturbed. */
#ifndef SF_COMMON_FAULT_H
#define SF_COMMON_FAULT_H

#include <stdbool.h>

/* True in the FAULT=1 build. */
bool fault_enabled(void);
/* Sends jansson's allocations (json_set_alloc_funcs) through the injector,
 * and libcurl's too (curl_global_init_mem, so call this before any
 * curl_global_init) when `curl` is set.  Call once, first thing.  0 or
 * -errno. */
int fault_install(bool curl);
/* Starts counting this thread's allocations and fails the nth (1-based)
 * one, once; the ones after it succeed again.  n = 0 only counts. */
void fault_arm(unsigned long n);
/* Stops counting; returns how many allocations were counted since
 * fault_arm(), the failed one included.  *ret_fired (may be NULL) tells
 * whether the nth was reached. */
unsigned long fault_disarm(bool *ret_fired);
/* The wrappers' question: count one allocation; true when it is to fail. */
bool fault_should_fail(void);

#endif

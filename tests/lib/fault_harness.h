/* The harness of the fault-injection tests (test_fault*.c, linked only in
 * the FAULT=1 build; docs/fuzzing.md, "Fault injection"): every allocation
 * of our objects and jansson's (and libcurl's with SF_FAULT_CURL=1) goes
 * through src/common/fault.c.
 *
 * Each case (one parser on one seed of fuzz/corpus/, or one request) runs
 * once to count its allocations, then again with allocation 1, 2, ...
 * failing, until a run no longer reaches the failing one.  Every run must
 * end in success or an error: a crash, a leak (LeakSanitizer, checked per
 * target) or undefined behaviour aborts the test.  A run that succeeds
 * despite the failure must give the same output as the clean run, and a
 * failed call must leave its outputs untouched where the header says so. */
#ifndef SF_TESTS_LIB_FAULT_HARNESS_H
#define SF_TESTS_LIB_FAULT_HARNESS_H

#include <stdbool.h>
#include <stddef.h>

#include "cni/cni.h"
#include "common/fault.h"

#define SUM_MAX 8192

/* One case: run() is the operation under injection and keeps its outputs
 * in ctx; check() runs afterwards, not armed: it checks the outputs
 * against r, writes a summary of a success and frees everything. */
struct fcase {
	const char *target;
	const char *name;
	int (*run)(void *ctx);
	void (*check)(void *ctx, int r, char *sum, size_t size);
	void *ctx;
	/* A request path answers even when an allocation failed, with an
	 * error reply: such a reply may differ from the clean run's. */
	bool (*degraded_ok)(const char *sum);
};

/* Runs a case clean, then with allocation 1, 2, ... failing; fails the
 * test on a broken promise. */
void harness_run(const struct fcase *fc);
/* Around one target's cases: harness_end checks for leaks and prints the
 * target's totals. */
void harness_begin(void);
void harness_end(const char *target);

/* The seeds of fuzz/corpus/<target>/, sorted by name. */
struct seed {
	char name[256];
	char *data;   /* NUL-terminated, exactly len + 1 bytes */
	size_t len;
};
size_t harness_seeds_load(const char *target, struct seed **ret);
void harness_seeds_free(struct seed *v, size_t n);

/* Appends to a summary. */
void harness_cat(char *sum, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* A CNI error says why and turns into JSON. */
void harness_check_cni_error(const struct cni_error *err);

/* The last test of each program: the totals, which must not be empty. */
void harness_summary(void **state);
/* Before cmocka: 77 (skip) outside the FAULT=1 build, 1 on failure, else 0
 * with the injector installed. */
int harness_setup(void);

#endif

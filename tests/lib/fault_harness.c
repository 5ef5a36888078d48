/* The fault-injection harness (fault_harness.h). */
#include "fault_harness.h"

#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>
#include <sanitizer/lsan_interface.h>

#include "common/util.h"

struct totals {
	unsigned cases;
	unsigned long sites;        /* allocations failed, one per run */
	unsigned long errors, ok;   /* how the failing runs ended */
};
static struct totals totals, target_totals;
static bool fault_curl;

void harness_run(const struct fcase *fc)
{
	static char clean_sum[SUM_MAX], sum[SUM_MAX];
	unsigned long n, count;
	bool fired;
	int clean, r;

	fault_arm(0);
	clean = fc->run(fc->ctx);
	count = fault_disarm(NULL);
	clean_sum[0] = '\0';
	fc->check(fc->ctx, clean, clean_sum, sizeof(clean_sum));
	for (n = 1;; n++) {
		fault_arm(n);
		r = fc->run(fc->ctx);
		fault_disarm(&fired);
		sum[0] = '\0';
		fc->check(fc->ctx, r, sum, sizeof(sum));
		if (!fired) {
			/* Nothing failed: it must behave as the clean run. */
			if (r != clean || strcmp(sum, clean_sum) != 0)
				fail_msg("%s %s: unarmed run differs (%d vs %d)", fc->target,
					 fc->name, r, clean);
			break;
		}
		if (r >= 0 && clean < 0)
			fail_msg("%s %s: allocation %lu failing turned error %d into success",
				 fc->target, fc->name, n, clean);
		if (r >= 0 && strcmp(sum, clean_sum) != 0) {
			/* A request path answers an error it could not handle
			 * with an error reply: that is a failed request too. */
			if (!fc->degraded_ok || !fc->degraded_ok(sum))
				fail_msg("%s %s: allocation %lu failing changed the output:\n%s\n"
					 "vs\n%s", fc->target, fc->name, n, sum, clean_sum);
			r = -ENOMEM;
		}
		if (r < 0) {
			target_totals.errors++;
			continue;
		}
		/* Handled without a trace: e.g. a metrics sample lost. */
		target_totals.ok++;
		if (getenv("SF_FAULT_VERBOSE"))
			print_message("  %s %s: allocation %lu failed, the call succeeded\n",
				      fc->target, fc->name, n);
	}
	target_totals.cases++;
	target_totals.sites += n - 1;
	print_message("  %-18s %-36s %4lu allocations, clean run %s\n", fc->target, fc->name,
		      count, clean < 0 ? "fails" : "succeeds");
}

void harness_begin(void)
{
	memset(&target_totals, 0, sizeof(target_totals));
}

void harness_end(const char *target)
{
	/* Leaks of this target's runs, while its name is still known. */
	assert_int_equal(__lsan_do_recoverable_leak_check(), 0);
	print_message("%s: %u cases, %lu allocation sites failed (%lu ended in an error, "
		      "%lu succeeded anyway)\n", target, target_totals.cases, target_totals.sites,
		      target_totals.errors, target_totals.ok);
	totals.cases += target_totals.cases;
	totals.sites += target_totals.sites;
	totals.errors += target_totals.errors;
	totals.ok += target_totals.ok;
}

static int seed_cmp(const void *a, const void *b)
{
	return strcmp(((const struct seed *)a)->name, ((const struct seed *)b)->name);
}

size_t harness_seeds_load(const char *target, struct seed **ret)
{
	char dir[256], path[600];
	struct seed *v = NULL;
	struct dirent *de;
	size_t n = 0;
	DIR *d;

	snprintf(dir, sizeof(dir), "fuzz/corpus/%s", target);
	d = opendir(dir);
	assert_non_null(d);
	while ((de = readdir(d))) {
		struct stat st;
		FILE *f;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		assert_int_equal(stat(path, &st), 0);
		v = realloc(v, (n + 1) * sizeof(*v));
		assert_non_null(v);
		snprintf(v[n].name, sizeof(v[n].name), "%s", de->d_name);
		v[n].len = (size_t)st.st_size;
		v[n].data = malloc(v[n].len + 1);
		assert_non_null(v[n].data);
		f = fopen(path, "rbe");
		assert_non_null(f);
		assert_int_equal(fread(v[n].data, 1, v[n].len, f), v[n].len);
		fclose(f);
		v[n].data[v[n].len] = '\0';
		n++;
	}
	closedir(d);
	assert_true(n > 0);
	qsort(v, n, sizeof(*v), seed_cmp);
	*ret = v;
	return n;
}

void harness_seeds_free(struct seed *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].data);
	free(v);
}

void harness_cat(char *sum, size_t size, const char *fmt, ...)
{
	size_t n = strlen(sum);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(sum + n, size - n, fmt, ap);
	va_end(ap);
}

void harness_check_cni_error(const struct cni_error *err)
{
	char *json = NULL;

	assert_true(err->code != 0);
	assert_true(err->msg[0] != '\0');
	assert_int_equal(cni_error_to_json(err, &json), 0);
	free(json);
}

void harness_summary(void **state)
{
	print_message("fault injection: %u cases, %lu allocation sites failed, %lu runs ended "
		      "in an error, %lu succeeded anyway; no crash, no leak\n", totals.cases,
		      totals.sites, totals.errors, totals.ok);
	assert_true(totals.cases > 0 && totals.sites > 0);
}

int harness_setup(void)
{
	if (!fault_enabled()) {
		fprintf(stderr, "skip: not the FAULT=1 build\n");
		return 77;
	}
	/* libcurl's allocations fail too only on request: curl 7.88 sends a
	 * request without its query string when one fails (docs/fuzzing.md). */
	fault_curl = streq(getenv("SF_FAULT_CURL"), "1");
	if (fault_install(fault_curl) < 0)
		return 1;
	print_message("failing our allocations and jansson's%s\n",
		      fault_curl ? ", and libcurl's (SF_FAULT_CURL=1)" : "");
	return 0;
}

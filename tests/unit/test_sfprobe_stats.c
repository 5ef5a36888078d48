/* sfprobe's statistics (tests/tools/sfprobe_stats.h): gaps, percentiles and
 * the phases a mark splits a run into. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "../tools/sfprobe_stats.h"

/* A request every 20 ms taking 1 ms, ok unless listed in bad. */
static size_t fill(struct sfp_sample *s, size_t n, const size_t *bad, size_t nbad)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		s[i] = (struct sfp_sample){ .start_us = (int64_t)i * 20000,
					    .end_us = (int64_t)i * 20000 + 1000, .ok = 1, .code = 200,
					    .total_us = 1000 + (int64_t)i, .bytes = 4096 };
		for (j = 0; j < nbad; j++)
			if (bad[j] == i)
				s[i].ok = 0, s[i].code = 0, s[i].total_us = 200000;
	}
	return n;
}

static void test_percentile(void **state)
{
	const int64_t v[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 };

	(void)state;
	assert_int_equal(sfp_percentile(v, 10, 50), 5);
	assert_int_equal(sfp_percentile(v, 10, 90), 9);
	assert_int_equal(sfp_percentile(v, 10, 91), 10);
	assert_int_equal(sfp_percentile(v, 10, 0), 1);
	assert_int_equal(sfp_percentile(v, 1, 90), 1);
	assert_int_equal(sfp_percentile(v, 3, 50), 2);
}

static void test_all_good(void **state)
{
	struct sfp_sample s[100];
	struct sfp_stats st;
	int64_t prev = -1;

	(void)state;
	fill(s, 100, NULL, 0);
	assert_int_equal(sfp_stats_compute(s, 100, 0, -1, &prev, &st), 0);
	assert_int_equal(st.requests, 100);
	assert_int_equal(st.failed, 0);
	assert_int_equal(st.good, 100);
	assert_int_equal(st.longest_gap_us, 20000);
	assert_int_equal(st.p50_us, 1049);   /* total_us 1000..1099, rank 50 */
	assert_int_equal(st.p90_us, 1089);
	assert_int_equal(st.max_us, 1099);
	assert_int_equal(prev, 99 * 20000 + 1000);
}

static void test_failures_make_the_gap(void **state)
{
	const size_t bad[] = { 10, 11, 12, 40 };
	struct sfp_sample s[50];
	struct sfp_stats st;
	int64_t prev = -1;

	(void)state;
	fill(s, 50, bad, 4);
	assert_int_equal(sfp_stats_compute(s, 50, 0, -1, &prev, &st), 0);
	assert_int_equal(st.requests, 50);
	assert_int_equal(st.failed, 4);
	assert_int_equal(st.good, 46);
	/* From the end of 9 to the end of 13: four intervals. */
	assert_int_equal(st.longest_gap_us, 80000);
	/* Failed requests' times are not RTTs. */
	assert_int_equal(st.max_us, 1049);
}

/* A mark at request 25: the gap across it belongs to the phase after. */
static void test_phases(void **state)
{
	const size_t bad[] = { 24, 25, 26 };
	struct sfp_sample s[50];
	struct sfp_stats before, after;
	int64_t prev = -1, mark = 25 * 20000;

	(void)state;
	fill(s, 50, bad, 3);
	assert_int_equal(sfp_stats_compute(s, 50, 0, mark, &prev, &before), 0);
	assert_int_equal(before.requests, 25);
	assert_int_equal(before.failed, 1);
	assert_int_equal(before.longest_gap_us, 20000);
	assert_int_equal(prev, 23 * 20000 + 1000);
	assert_int_equal(sfp_stats_compute(s, 50, mark, -1, &prev, &after), 0);
	assert_int_equal(after.requests, 25);
	assert_int_equal(after.failed, 2);
	assert_int_equal(after.longest_gap_us, 80000);   /* end of 23 to end of 27 */
	assert_int_equal(after.p50_us, 1038);            /* total_us of 27..49, rank 12 */
}

static void test_empty(void **state)
{
	const size_t bad[] = { 0, 1, 2 };
	struct sfp_sample s[3];
	struct sfp_stats st;
	int64_t prev = -1;

	(void)state;
	assert_int_equal(sfp_stats_compute(s, 0, 0, -1, &prev, &st), 0);
	assert_int_equal(st.requests, 0);
	assert_int_equal(st.longest_gap_us, -1);
	assert_int_equal(st.p50_us, -1);
	fill(s, 3, bad, 3);
	assert_int_equal(sfp_stats_compute(s, 3, 0, -1, &prev, &st), 0);
	assert_int_equal(st.failed, 3);
	assert_int_equal(st.p90_us, -1);
	assert_int_equal(prev, -1);
	/* One good answer: no gap yet. */
	s[1].ok = 1;
	assert_int_equal(sfp_stats_compute(s, 3, 0, -1, &prev, &st), 0);
	assert_int_equal(st.longest_gap_us, -1);
	assert_int_equal(st.good, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_percentile),
		cmocka_unit_test(test_all_good),
		cmocka_unit_test(test_failures_make_the_gap),
		cmocka_unit_test(test_phases),
		cmocka_unit_test(test_empty),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* sfprobe's arithmetic, header-only so that tests/tools/ stays one program
 * per .c (the Makefile builds every tests/tools/NAME.c into a program) and
 * tests/unit/test_sfprobe_stats.c can include it as it is. */
#ifndef SFPROBE_STATS_H
#define SFPROBE_STATS_H

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

/* One request: times in µs since the probe started (CLOCK_MONOTONIC). */
struct sfp_sample {
	int64_t start_us;
	int64_t end_us;
	int ok;
	long code;          /* HTTP status, 0 when none came */
	int64_t total_us;   /* libcurl's total time */
	int64_t bytes;
};

struct sfp_stats {
	size_t requests;
	size_t failed;
	size_t good;
	int64_t longest_gap_us;  /* between two good answers' ends; -1: fewer than two */
	int64_t p50_us;          /* of good answers' total_us; -1: none */
	int64_t p90_us;
	int64_t max_us;
};

static inline int sfp_cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* Nearest rank: the smallest value with at least pct % of the values at or
 * below it.  v sorted ascending, n > 0. */
static inline int64_t sfp_percentile(const int64_t *v, size_t n, unsigned pct)
{
	size_t rank = ((size_t)pct * n + 99) / 100;

	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return v[rank - 1];
}

/* The samples that started in [from_us, to_us) (to_us < 0: no end).
 * *prev_good_end carries the end of the last good answer across calls
 * (start with -1), so that the gap spanning a phase boundary belongs to the
 * phase of the answer that closes it.  0 or -ENOMEM (then *ret and
 * *prev_good_end are untouched). */
static inline int sfp_stats_compute(const struct sfp_sample *s, size_t n, int64_t from_us,
				    int64_t to_us, int64_t *prev_good_end, struct sfp_stats *ret)
{
	struct sfp_stats st = { .longest_gap_us = -1, .p50_us = -1, .p90_us = -1, .max_us = -1 };
	int64_t prev = *prev_good_end, *rtt;
	size_t i;

	rtt = malloc((n ? n : 1) * sizeof(*rtt));
	if (!rtt)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		if (s[i].start_us < from_us || (to_us >= 0 && s[i].start_us >= to_us))
			continue;
		st.requests++;
		if (!s[i].ok) {
			st.failed++;
			continue;
		}
		rtt[st.good++] = s[i].total_us;
		if (prev >= 0 && s[i].end_us - prev > st.longest_gap_us)
			st.longest_gap_us = s[i].end_us - prev;
		prev = s[i].end_us;
	}
	if (st.good) {
		qsort(rtt, st.good, sizeof(*rtt), sfp_cmp_i64);
		st.p50_us = sfp_percentile(rtt, st.good, 50);
		st.p90_us = sfp_percentile(rtt, st.good, 90);
		st.max_us = rtt[st.good - 1];
	}
	free(rtt);
	*prev_good_end = prev;
	*ret = st;
	return 0;
}

#endif

/* A small Prometheus metrics registry: counters, gauges and histograms with
 * a fixed set of label names each, rendered in the text exposition format
 * 0.0.4.
 *
 * Label values are given at observation time, as an array with exactly one
 * string per label name of the metric (NULL for a metric without labels):
 *
 *     metrics_histogram_observe(h, (const char *[]){"ADD"}, 0.0042);
 *
 * A series (one combination of label values) is created on its first use and
 * lives as long as the registry.  Updates are lock-free: finding an existing
 * series walks a short list without a lock, and the update itself is one or
 * two atomic operations.  Only creating a series takes the metric's mutex.
 * Each metric holds at most METRICS_MAX_SERIES series, so that an unexpected
 * label value (an error string, an id) cannot grow memory without bound.
 *
 * Ownership: the registry owns every metric registered in it; the handles
 * returned by the *_new functions are borrowed and valid until
 * metrics_registry_free().  All functions are thread-safe. */
#ifndef SF_METRICS_METRICS_H
#define SF_METRICS_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "common/util.h"

#define METRICS_MAX_LABELS 8
#define METRICS_MAX_BUCKETS 64
#define METRICS_MAX_SERIES 1024
#define METRICS_MAX_VALUE_LEN 256 /* bytes of one label value */

enum metrics_type {
	METRICS_COUNTER,
	METRICS_GAUGE,
	METRICS_HISTOGRAM,
};

struct metrics_registry;
struct metrics_counter;
struct metrics_gauge;
struct metrics_histogram;
/* Handed to a collector callback during a scrape (see metrics_collector_add). */
struct metrics_emitter;

int metrics_registry_new(struct metrics_registry **ret) MUST_CHECK;
/* Frees the registry and every metric in it.  NULL-safe.  No other thread
 * may use the registry or its handles any more (stop the httpd first). */
void metrics_registry_free(struct metrics_registry *r);

/* Registration.  `name` must match [a-zA-Z_:][a-zA-Z0-9_:]*, label names
 * [a-zA-Z_][a-zA-Z0-9_]* without a leading "__" (and not "le" for a
 * histogram), at most METRICS_MAX_LABELS, no duplicates.  `label_names` is
 * NULL-terminated, or NULL for none.  `help` is free text (one line is best;
 * it is escaped).  Strings are copied.  Returns -EINVAL for an invalid name
 * or label, -EEXIST when the name is already registered. */
int metrics_counter_new(struct metrics_registry *r, const char *name, const char *help,
			const char *const *label_names, struct metrics_counter **ret) MUST_CHECK;
int metrics_gauge_new(struct metrics_registry *r, const char *name, const char *help,
		      const char *const *label_names, struct metrics_gauge **ret) MUST_CHECK;
/* `bounds` are the buckets' upper bounds, finite and strictly increasing (the
 * +Inf bucket is implicit), 1 to METRICS_MAX_BUCKETS of them. */
int metrics_histogram_new(struct metrics_registry *r, const char *name, const char *help,
			  const char *const *label_names, const double *bounds, size_t n_bounds,
			  struct metrics_histogram **ret) MUST_CHECK;

/* A metric whose samples are computed at scrape time: `fn` is called for
 * each scrape, on the scraping thread, with the registry's lock held (it
 * must not register metrics), and calls metrics_emit() once per series.
 * `type` is METRICS_COUNTER or METRICS_GAUGE.  `userdata` is borrowed and
 * must outlive the registry.  A negative return from `fn` drops whatever it
 * emitted in that scrape. */
typedef int (*metrics_collect_fn)(void *userdata, struct metrics_emitter *e);
int metrics_collector_add(struct metrics_registry *r, enum metrics_type type, const char *name,
			  const char *help, const char *const *label_names, metrics_collect_fn fn,
			  void *userdata) MUST_CHECK;
/* One sample of the collector being scraped. */
int metrics_emit(struct metrics_emitter *e, const char *const *values, double value);

/* Updates.  `values` holds one string per label name (NULL when the metric
 * has none).  They return 0, or -EINVAL (a NULL value, invalid UTF-8, a NaN
 * observation), -ENAMETOOLONG (a value over METRICS_MAX_VALUE_LEN) or -E2BIG
 * (the metric already holds METRICS_MAX_SERIES series); the update is then
 * dropped.  Callers on hot paths may ignore the result. */
int metrics_counter_add(struct metrics_counter *c, const char *const *values, uint64_t n);
static inline int metrics_counter_inc(struct metrics_counter *c, const char *const *values)
{
	return metrics_counter_add(c, values, 1);
}
int metrics_gauge_set(struct metrics_gauge *g, const char *const *values, double v);
int metrics_gauge_add(struct metrics_gauge *g, const char *const *values, double delta);
int metrics_histogram_observe(struct metrics_histogram *h, const char *const *values, double v);

/* Reading back one series, for tests and the CLI; -ENOENT when the series
 * was never used. */
int metrics_counter_get(struct metrics_counter *c, const char *const *values, uint64_t *ret);
int metrics_gauge_get(struct metrics_gauge *g, const char *const *values, double *ret);
int metrics_histogram_get(struct metrics_histogram *h, const char *const *values,
			  uint64_t *ret_count, double *ret_sum);

/* The whole registry in the text exposition format 0.0.4, metrics in
 * registration order and series in order of creation.  The caller frees
 * *ret_text with free(); it is NUL-terminated and *ret_len excludes the NUL. */
int metrics_registry_render(struct metrics_registry *r, char **ret_text, size_t *ret_len) MUST_CHECK;

/* The Content-Type of that text. */
#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

#endif

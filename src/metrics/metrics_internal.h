/* Types shared by metrics.c (registry, updates) and metrics_text.c
 * (exposition).  Not for other modules: use metrics.h. */
#ifndef SF_METRICS_METRICS_INTERNAL_H
#define SF_METRICS_METRICS_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "metrics/metrics.h"

/* One combination of label values.  Published once, with a release store,
 * and never changed or freed before the registry; readers walk the list
 * without a lock. */
struct metrics_series {
	_Atomic(struct metrics_series *) next;
	uint64_t hash;                /* of the label values, to skip strcmp */
	char **values;                /* n_labels strings, owned */
	/* Counter: the count.  Gauge: the value's bits.  Histogram: the sum's
	 * bits.  Doubles live in a uint64_t so that they can be CAS'd. */
	_Atomic uint64_t value;
	/* Histogram only: n_bounds + 1 counts, per bucket (not cumulative), the
	 * last one the +Inf bucket.  The exposition derives the cumulative
	 * counts and _count from these, so that _count always equals the +Inf
	 * bucket even while observations race with a scrape. */
	_Atomic uint64_t buckets[];
};

struct metrics_metric {
	struct metrics_metric *next;  /* registration order, under the registry lock */
	enum metrics_type type;
	char *name;
	char *help;
	char *label_names[METRICS_MAX_LABELS];
	size_t n_labels;
	double *bounds;               /* histogram */
	size_t n_bounds;
	metrics_collect_fn collect;   /* set for a collector: no series then */
	void *userdata;
	pthread_mutex_t lock;         /* serializes the creation of series */
	_Atomic(struct metrics_series *) head;
	struct metrics_series *tail;  /* under lock */
	size_t n_series;              /* under lock */
};

struct metrics_registry {
	pthread_mutex_t lock;         /* registration against scrapes */
	struct metrics_metric *first;
	struct metrics_metric *last;
};

/* Label-value checks shared by series creation and metrics_emit(). */
int metrics_check_value__(const char *v);

/* Doubles as the bits stored in a series. */
static inline double metrics_bits_to_double__(uint64_t bits)
{
	double d;

	memcpy(&d, &bits, sizeof(d));
	return d;
}

static inline uint64_t metrics_double_to_bits__(double d)
{
	uint64_t bits;

	memcpy(&bits, &d, sizeof(bits));
	return bits;
}

#endif

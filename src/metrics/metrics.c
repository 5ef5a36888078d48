/* The metrics registry: registration, series lookup and lock-free updates.
 * The exposition text is written by metrics_text.c. */
#include "metrics/metrics.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "metrics/metrics_internal.h"

struct metrics_counter {
	struct metrics_metric m;
};

struct metrics_gauge {
	struct metrics_metric m;
};

struct metrics_histogram {
	struct metrics_metric m;
};

/* What may start a name: a letter or an underscore. */
static bool is_name_start(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool valid_metric_name(const char *s)
{
	if (!s || !(is_name_start(*s) || *s == ':'))
		return false;
	for (s++; *s; s++)
		if (!is_name_start(*s) && !is_digit(*s) && *s != ':')
			return false;
	return true;
}

static bool valid_label_name(const char *s)
{
	if (!s || !is_name_start(*s) || (s[0] == '_' && s[1] == '_'))
		return false;
	for (s++; *s; s++)
		if (!is_name_start(*s) && !is_digit(*s))
			return false;
	return true;
}

/* Well-formed UTF-8 (no overlongs, surrogates or code points past
 * U+10FFFF): the exposition format is UTF-8 and a scraper rejects the whole
 * page for one bad byte. */
static bool valid_utf8(const unsigned char *s)
{
	while (*s) {
		unsigned char c = *s;
		size_t n;
		uint32_t cp;

		if (c < 0x80) {
			s++;
			continue;
		} else if (c >= 0xc2 && c <= 0xdf) {
			n = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			cp = c & 0x07;
		} else {
			return false;
		}
		for (size_t i = 1; i <= n; i++) {
			if ((s[i] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i] & 0x3f);
		}
		if ((n == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
		    (n == 3 && (cp < 0x10000 || cp > 0x10ffff)))
			return false;
		s += n + 1;
	}
	return true;
}

int metrics_check_value__(const char *v)
{
	if (!v)
		return -EINVAL;
	if (strnlen(v, METRICS_MAX_VALUE_LEN + 1) > METRICS_MAX_VALUE_LEN)
		return -ENAMETOOLONG;
	if (!valid_utf8((const unsigned char *)v))
		return -EINVAL;
	return 0;
}

/* FNV-1a over the values, each followed by a 0xff byte (which UTF-8 never
 * holds) so that {"ab","c"} and {"a","bc"} differ. */
static uint64_t hash_values(const char *const *values, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < n; i++) {
		for (const unsigned char *p = (const unsigned char *)values[i]; *p; p++)
			h = (h ^ *p) * 0x100000001b3ull;
		h = (h ^ 0xff) * 0x100000001b3ull;
	}
	return h;
}

static bool values_equal(const struct metrics_series *s, const char *const *values, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(s->values[i], values[i]) != 0)
			return false;
	return true;
}

/* A zeroed series, or NULL without memory: a request's first sample of a
 * label set creates one, and a failure there only loses the sample. */
static struct metrics_series *series_alloc(const struct metrics_metric *m)
{
	size_t n_buckets = m->type == METRICS_HISTOGRAM ? m->n_bounds + 1 : 0;
	struct metrics_series *s;

	s = calloc(1, sizeof(*s) + n_buckets * sizeof(s->buckets[0]));
	if (!s)
		return NULL;
	s->values = calloc(m->n_labels ? m->n_labels : 1, sizeof(char *));
	if (!s->values) {
		free(s);
		return NULL;
	}
	return s;
}

static void series_free(struct metrics_series *s, size_t n_labels)
{
	if (!s)
		return;
	for (size_t i = 0; i < n_labels; i++)
		free(s->values[i]);
	free(s->values);
	free(s);
}

static struct metrics_series *series_lookup(const struct metrics_metric *m, uint64_t hash,
					    const char *const *values)
{
	struct metrics_series *s;

	for (s = atomic_load_explicit(&m->head, memory_order_acquire); s;
	     s = atomic_load_explicit(&s->next, memory_order_acquire))
		if (s->hash == hash && values_equal(s, values, m->n_labels))
			return s;
	return NULL;
}

/* Appends a series under m->lock.  The release store publishes the fully
 * built series to lock-free readers. */
static void series_publish(struct metrics_metric *m, struct metrics_series *s)
{
	if (m->tail)
		atomic_store_explicit(&m->tail->next, s, memory_order_release);
	else
		atomic_store_explicit(&m->head, s, memory_order_release);
	m->tail = s;
	m->n_series++;
}

/* Finds the series for `values`, creating it when `create` is set.  A metric
 * without labels has its one series from registration on. */
static int series_get(struct metrics_metric *m, const char *const *values, bool create,
		      struct metrics_series **ret)
{
	struct metrics_series *s;
	uint64_t hash;
	int r = 0;

	if (m->n_labels == 0) {
		*ret = atomic_load_explicit(&m->head, memory_order_acquire);
		return 0;
	}
	if (!values)
		return -EINVAL;
	for (size_t i = 0; i < m->n_labels; i++)
		if (!values[i])
			return -EINVAL;

	hash = hash_values(values, m->n_labels);
	s = series_lookup(m, hash, values);
	if (s) {
		*ret = s;
		return 0;
	}
	if (!create)
		return -ENOENT;

	pthread_mutex_lock(&m->lock);
	/* Another thread may have created it since the lock-free walk. */
	s = series_lookup(m, hash, values);
	if (s)
		goto out;
	for (size_t i = 0; i < m->n_labels; i++) {
		r = metrics_check_value__(values[i]);
		if (r < 0)
			goto out;
	}
	if (m->n_series >= METRICS_MAX_SERIES) {
		r = -E2BIG;
		goto out;
	}
	s = series_alloc(m);
	if (!s) {
		r = -ENOMEM;
		goto out;
	}
	s->hash = hash;
	for (size_t i = 0; i < m->n_labels; i++) {
		s->values[i] = strdup(values[i]);
		if (!s->values[i]) {
			series_free(s, m->n_labels);
			r = -ENOMEM;
			goto out;
		}
	}
	series_publish(m, s);
out:
	pthread_mutex_unlock(&m->lock);
	if (r == 0)
		*ret = s;
	return r;
}

static void atomic_add_double(_Atomic uint64_t *p, double d)
{
	uint64_t old = atomic_load_explicit(p, memory_order_relaxed);
	uint64_t new;

	do
		new = metrics_double_to_bits__(metrics_bits_to_double__(old) + d);
	while (!atomic_compare_exchange_weak_explicit(p, &old, new, memory_order_relaxed,
						      memory_order_relaxed));
}

int metrics_registry_new(struct metrics_registry **ret)
{
	struct metrics_registry *r = xcalloc(1, sizeof(*r));

	pthread_mutex_init(&r->lock, NULL);
	*ret = r;
	return 0;
}

static void metric_free(struct metrics_metric *m)
{
	struct metrics_series *s, *next;

	for (s = atomic_load(&m->head); s; s = next) {
		next = atomic_load(&s->next);
		series_free(s, m->n_labels);
	}
	for (size_t i = 0; i < m->n_labels; i++)
		free(m->label_names[i]);
	pthread_mutex_destroy(&m->lock);
	free(m->bounds);
	free(m->help);
	free(m->name);
	free(m);
}

void metrics_registry_free(struct metrics_registry *r)
{
	struct metrics_metric *m, *next;

	if (!r)
		return;
	for (m = r->first; m; m = next) {
		next = m->next;
		metric_free(m);
	}
	pthread_mutex_destroy(&r->lock);
	free(r);
}

static int check_labels(enum metrics_type type, const char *const *label_names, size_t *ret_n)
{
	size_t n = 0;

	for (; label_names && label_names[n]; n++) {
		if (n == METRICS_MAX_LABELS || !valid_label_name(label_names[n]))
			return -EINVAL;
		if (type == METRICS_HISTOGRAM && streq(label_names[n], "le"))
			return -EINVAL;
		for (size_t j = 0; j < n; j++)
			if (streq(label_names[j], label_names[n]))
				return -EINVAL;
	}
	*ret_n = n;
	return 0;
}

static int check_bounds(const double *bounds, size_t n)
{
	if (!bounds || n == 0 || n > METRICS_MAX_BUCKETS)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (!isfinite(bounds[i]))
			return -EINVAL;
		if (i > 0 && !(bounds[i] > bounds[i - 1]))
			return -EINVAL;
	}
	return 0;
}

static struct metrics_metric *registry_find(struct metrics_registry *r, const char *name)
{
	for (struct metrics_metric *m = r->first; m; m = m->next)
		if (streq(m->name, name))
			return m;
	return NULL;
}

/* The one registration path: validates, builds and appends a metric. */
static int metric_register(struct metrics_registry *r, enum metrics_type type, const char *name,
			   const char *help, const char *const *label_names, const double *bounds,
			   size_t n_bounds, metrics_collect_fn collect, void *userdata,
			   struct metrics_metric **ret)
{
	struct metrics_metric *m = NULL;
	size_t n_labels = 0;
	int rc;

	if (!r || !valid_metric_name(name) || !help)
		return -EINVAL;
	rc = check_labels(type, label_names, &n_labels);
	if (rc < 0)
		return rc;
	if (type == METRICS_HISTOGRAM) {
		rc = check_bounds(bounds, n_bounds);
		if (rc < 0)
			return rc;
	}

	m = xcalloc(1, sizeof(*m));
	m->type = type;
	m->name = xstrdup(name);
	m->help = xstrdup(help);
	for (size_t i = 0; i < n_labels; i++)
		m->label_names[i] = xstrdup(label_names[i]);
	m->n_labels = n_labels;
	if (type == METRICS_HISTOGRAM) {
		m->bounds = xcalloc(n_bounds, sizeof(double));
		memcpy(m->bounds, bounds, n_bounds * sizeof(double));
		m->n_bounds = n_bounds;
	}
	m->collect = collect;
	m->userdata = userdata;
	pthread_mutex_init(&m->lock, NULL);
	/* A metric without labels exposes its single series (at zero) at once. */
	if (n_labels == 0 && !collect) {
		struct metrics_series *s = series_alloc(m);

		if (!s)
			abort();   /* registration is startup: xmalloc's policy */
		series_publish(m, s);
	}

	pthread_mutex_lock(&r->lock);
	if (registry_find(r, name)) {
		rc = -EEXIST;
	} else {
		if (r->last)
			r->last->next = m;
		else
			r->first = m;
		r->last = m;
	}
	pthread_mutex_unlock(&r->lock);

	if (rc < 0) {
		metric_free(m);
		return rc;
	}
	if (ret)
		*ret = m;
	return 0;
}

int metrics_counter_new(struct metrics_registry *r, const char *name, const char *help,
			const char *const *label_names, struct metrics_counter **ret)
{
	struct metrics_metric *m;
	int rc;

	rc = metric_register(r, METRICS_COUNTER, name, help, label_names, NULL, 0, NULL, NULL, &m);
	if (rc < 0)
		return rc;
	*ret = (struct metrics_counter *)m;
	return 0;
}

int metrics_gauge_new(struct metrics_registry *r, const char *name, const char *help,
		      const char *const *label_names, struct metrics_gauge **ret)
{
	struct metrics_metric *m;
	int rc;

	rc = metric_register(r, METRICS_GAUGE, name, help, label_names, NULL, 0, NULL, NULL, &m);
	if (rc < 0)
		return rc;
	*ret = (struct metrics_gauge *)m;
	return 0;
}

int metrics_histogram_new(struct metrics_registry *r, const char *name, const char *help,
			  const char *const *label_names, const double *bounds, size_t n_bounds,
			  struct metrics_histogram **ret)
{
	struct metrics_metric *m;
	int rc;

	rc = metric_register(r, METRICS_HISTOGRAM, name, help, label_names, bounds, n_bounds,
			     NULL, NULL, &m);
	if (rc < 0)
		return rc;
	*ret = (struct metrics_histogram *)m;
	return 0;
}

int metrics_collector_add(struct metrics_registry *r, enum metrics_type type, const char *name,
			  const char *help, const char *const *label_names, metrics_collect_fn fn,
			  void *userdata)
{
	if (!fn || (type != METRICS_COUNTER && type != METRICS_GAUGE))
		return -EINVAL;
	return metric_register(r, type, name, help, label_names, NULL, 0, fn, userdata, NULL);
}

int metrics_counter_add(struct metrics_counter *c, const char *const *values, uint64_t n)
{
	struct metrics_series *s;
	int r;

	r = series_get(&c->m, values, true, &s);
	if (r < 0)
		return r;
	atomic_fetch_add_explicit(&s->value, n, memory_order_relaxed);
	return 0;
}

int metrics_gauge_set(struct metrics_gauge *g, const char *const *values, double v)
{
	struct metrics_series *s;
	int r;

	r = series_get(&g->m, values, true, &s);
	if (r < 0)
		return r;
	atomic_store_explicit(&s->value, metrics_double_to_bits__(v), memory_order_relaxed);
	return 0;
}

int metrics_gauge_add(struct metrics_gauge *g, const char *const *values, double delta)
{
	struct metrics_series *s;
	int r;

	r = series_get(&g->m, values, true, &s);
	if (r < 0)
		return r;
	atomic_add_double(&s->value, delta);
	return 0;
}

/* The index of the first bucket whose upper bound is >= v (Prometheus
 * buckets are "less than or equal"), n_bounds for the +Inf bucket. */
static size_t bucket_index(const double *bounds, size_t n_bounds, double v)
{
	size_t lo = 0, hi = n_bounds;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (v <= bounds[mid])
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

int metrics_histogram_observe(struct metrics_histogram *h, const char *const *values, double v)
{
	struct metrics_series *s;
	int r;

	if (isnan(v))
		return -EINVAL;
	r = series_get(&h->m, values, true, &s);
	if (r < 0)
		return r;
	atomic_fetch_add_explicit(&s->buckets[bucket_index(h->m.bounds, h->m.n_bounds, v)], 1,
				  memory_order_relaxed);
	atomic_add_double(&s->value, v);
	return 0;
}

int metrics_counter_get(struct metrics_counter *c, const char *const *values, uint64_t *ret)
{
	struct metrics_series *s;
	int r;

	r = series_get(&c->m, values, false, &s);
	if (r < 0)
		return r;
	*ret = atomic_load_explicit(&s->value, memory_order_relaxed);
	return 0;
}

int metrics_gauge_get(struct metrics_gauge *g, const char *const *values, double *ret)
{
	struct metrics_series *s;
	int r;

	r = series_get(&g->m, values, false, &s);
	if (r < 0)
		return r;
	*ret = metrics_bits_to_double__(atomic_load_explicit(&s->value, memory_order_relaxed));
	return 0;
}

int metrics_histogram_get(struct metrics_histogram *h, const char *const *values,
			  uint64_t *ret_count, double *ret_sum)
{
	struct metrics_series *s;
	uint64_t count = 0;
	int r;

	r = series_get(&h->m, values, false, &s);
	if (r < 0)
		return r;
	for (size_t i = 0; i <= h->m.n_bounds; i++)
		count += atomic_load_explicit(&s->buckets[i], memory_order_relaxed);
	if (ret_count)
		*ret_count = count;
	if (ret_sum)
		*ret_sum = metrics_bits_to_double__(atomic_load_explicit(&s->value,
									memory_order_relaxed));
	return 0;
}

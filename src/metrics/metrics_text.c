/* The Prometheus text exposition format 0.0.4:
 *
 *     # HELP <name> <help, with \ and newline escaped>
 *     # TYPE <name> counter|gauge|histogram
 *     <name>{<label>="<value, with \ " and newline escaped>",...} <value>
 *
 * and for a histogram, per series, cumulative <name>_bucket{...,le="<bound>"}
 * lines ending with le="+Inf", then <name>_sum and <name>_count. */
#include "metrics/metrics.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "metrics/metrics_internal.h"

struct metrics_emitter {
	FILE *f;
	const struct metrics_metric *m;
};

static void write_escaped(FILE *f, const char *s, bool quote)
{
	for (; *s; s++) {
		if (*s == '\\')
			fputs("\\\\", f);
		else if (*s == '\n')
			fputs("\\n", f);
		else if (quote && *s == '"')
			fputs("\\\"", f);
		else
			fputc(*s, f);
	}
}

/* The shortest text that reads back as the same double, so that 0.0005
 * stays "0.0005" and not "0.00050000000000000001", written without an
 * exponent for whole numbers below 1e17 ("30", not "3e+01"). */
static void format_double(char *buf, size_t size, double v)
{
	const char *e;
	int prec;

	if (isnan(v)) {
		snprintf(buf, size, "NaN");
		return;
	}
	if (isinf(v)) {
		snprintf(buf, size, v > 0 ? "+Inf" : "-Inf");
		return;
	}
	for (prec = 1; prec < 17; prec++) {
		snprintf(buf, size, "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	snprintf(buf, size, "%.*g", prec, v);
	e = strchr(buf, 'e');
	if (e) {
		long exp = strtol(e + 1, NULL, 10);

		/* Enough digits for every integer digit: %g then drops the
		 * exponent, and the value is unchanged. */
		if (exp >= 0 && exp < 17)
			snprintf(buf, size, "%.*g", (int)exp + 1 > prec ? (int)exp + 1 : prec, v);
	}
}

/* {a="x",b="y"} with an optional trailing extra label (le for buckets);
 * nothing at all when there are no labels. */
static void write_labels(FILE *f, const struct metrics_metric *m, const char *const *values,
			 const char *extra_name, const char *extra_value)
{
	if (m->n_labels == 0 && !extra_name)
		return;
	fputc('{', f);
	for (size_t i = 0; i < m->n_labels; i++) {
		fprintf(f, "%s%s=\"", i ? "," : "", m->label_names[i]);
		write_escaped(f, values[i], true);
		fputc('"', f);
	}
	if (extra_name) {
		fprintf(f, "%s%s=\"", m->n_labels ? "," : "", extra_name);
		write_escaped(f, extra_value, true);
		fputc('"', f);
	}
	fputc('}', f);
}

static void write_double_sample(FILE *f, const struct metrics_metric *m, const char *suffix,
				const char *const *values, double v)
{
	char num[64];

	format_double(num, sizeof(num), v);
	fprintf(f, "%s%s", m->name, suffix);
	write_labels(f, m, values, NULL, NULL);
	fprintf(f, " %s\n", num);
}

static void write_histogram(FILE *f, const struct metrics_metric *m, struct metrics_series *s)
{
	const char *const *values = (const char *const *)s->values;
	uint64_t cumulative = 0;
	char le[64];

	for (size_t i = 0; i <= m->n_bounds; i++) {
		cumulative += atomic_load_explicit(&s->buckets[i], memory_order_relaxed);
		if (i < m->n_bounds)
			format_double(le, sizeof(le), m->bounds[i]);
		else
			snprintf(le, sizeof(le), "+Inf");
		fprintf(f, "%s_bucket", m->name);
		write_labels(f, m, values, "le", le);
		fprintf(f, " %" PRIu64 "\n", cumulative);
	}
	write_double_sample(f, m, "_sum", values,
			    metrics_bits_to_double__(atomic_load_explicit(&s->value,
									  memory_order_relaxed)));
	fprintf(f, "%s_count", m->name);
	write_labels(f, m, values, NULL, NULL);
	fprintf(f, " %" PRIu64 "\n", cumulative);
}

static void write_series(FILE *f, const struct metrics_metric *m, struct metrics_series *s)
{
	const char *const *values = (const char *const *)s->values;
	uint64_t v = atomic_load_explicit(&s->value, memory_order_relaxed);

	switch (m->type) {
	case METRICS_COUNTER:
		fprintf(f, "%s", m->name);
		write_labels(f, m, values, NULL, NULL);
		fprintf(f, " %" PRIu64 "\n", v);
		break;
	case METRICS_GAUGE:
		write_double_sample(f, m, "", values, metrics_bits_to_double__(v));
		break;
	case METRICS_HISTOGRAM:
		write_histogram(f, m, s);
		break;
	}
}

int metrics_emit(struct metrics_emitter *e, const char *const *values, double value)
{
	int r;

	if (!e)
		return -EINVAL;
	if (e->m->n_labels > 0 && !values)
		return -EINVAL;
	for (size_t i = 0; i < e->m->n_labels; i++) {
		r = metrics_check_value__(values[i]);
		if (r < 0)
			return r;
	}
	write_double_sample(e->f, e->m, "", values, value);
	return 0;
}

/* A collector writes into its own buffer, copied out only when it succeeds,
 * so that a failing callback leaves no half-written family behind. */
static int write_collector(FILE *f, const struct metrics_metric *m)
{
	struct metrics_emitter e = { .m = m };
	char *buf = NULL;
	size_t len = 0;
	int r;

	e.f = open_memstream(&buf, &len);
	if (!e.f)
		return -errno;
	r = m->collect(m->userdata, &e);
	if (fclose(e.f) != 0 && r >= 0)
		r = -ENOMEM;
	if (r >= 0)
		fwrite(buf, 1, len, f);
	free(buf);
	return r;
}

static const char *type_name(enum metrics_type t)
{
	switch (t) {
	case METRICS_COUNTER:
		return "counter";
	case METRICS_GAUGE:
		return "gauge";
	case METRICS_HISTOGRAM:
		return "histogram";
	}
	return "untyped";
}

static void write_metric(FILE *f, const struct metrics_metric *m)
{
	struct metrics_series *s;

	if (m->help[0]) {
		fprintf(f, "# HELP %s ", m->name);
		write_escaped(f, m->help, false);
		fputc('\n', f);
	}
	fprintf(f, "# TYPE %s %s\n", m->name, type_name(m->type));
	if (m->collect) {
		/* A failing collector only loses its own samples this scrape. */
		(void)write_collector(f, m);
		return;
	}
	for (s = atomic_load_explicit(&m->head, memory_order_acquire); s;
	     s = atomic_load_explicit(&s->next, memory_order_acquire))
		write_series(f, m, s);
}

int metrics_registry_render(struct metrics_registry *r, char **ret_text, size_t *ret_len)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	int rc = 0;

	if (!r)
		return -EINVAL;
	f = open_memstream(&buf, &len);
	if (!f)
		return -errno;
	pthread_mutex_lock(&r->lock);
	for (const struct metrics_metric *m = r->first; m; m = m->next)
		write_metric(f, m);
	pthread_mutex_unlock(&r->lock);
	if (ferror(f))
		rc = -ENOMEM;
	if (fclose(f) != 0 && rc == 0)
		rc = -ENOMEM;
	if (rc < 0) {
		free(buf);
		return rc;
	}
	*ret_text = buf;
	*ret_len = len;
	return 0;
}

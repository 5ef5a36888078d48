/* The metrics registry: exposition text line by line, escaping, validation,
 * and updates racing from several threads. */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "daemon/daemon_metrics.h"
#include "metrics/metrics.h"

static char *render(struct metrics_registry *r)
{
	char *text = NULL;
	size_t len = 0;

	assert_int_equal(metrics_registry_render(r, &text, &len), 0);
	assert_non_null(text);
	assert_int_equal(strlen(text), len);
	return text;
}

/* Compares line by line so that a failure names the first line that
 * differs rather than two whole pages. */
static void assert_text(const char *got, const char *want)
{
	int line = 1;

	while (*got || *want) {
		size_t g = strcspn(got, "\n"), w = strcspn(want, "\n");

		if (g != w || memcmp(got, want, g) != 0) {
			print_error("line %d: got '%.*s', want '%.*s'\n", line, (int)g, got, (int)w,
				    want);
			fail();
		}
		got += g + (got[g] == '\n');
		want += w + (want[w] == '\n');
		line++;
	}
}

static void test_counter_exposition(void **state)
{
	struct metrics_registry *r;
	struct metrics_counter *plain, *c;
	char *text;

	assert_int_equal(metrics_registry_new(&r), 0);
	assert_int_equal(metrics_counter_new(r, "sf_plain_total", "A plain counter.", NULL, &plain), 0);
	assert_int_equal(metrics_counter_new(r, "sf_req_total", "Requests.",
					     (const char *[]){ "verb", "result", NULL }, &c), 0);

	/* A counter without labels shows 0 before its first increment; a
	 * labelled one shows no series until one is used. */
	text = render(r);
	assert_text(text,
		    "# HELP sf_plain_total A plain counter.\n"
		    "# TYPE sf_plain_total counter\n"
		    "sf_plain_total 0\n"
		    "# HELP sf_req_total Requests.\n"
		    "# TYPE sf_req_total counter\n");
	free(text);

	assert_int_equal(metrics_counter_add(plain, NULL, 41), 0);
	assert_int_equal(metrics_counter_inc(plain, NULL), 0);
	assert_int_equal(metrics_counter_inc(c, (const char *[]){ "ADD", "ok" }), 0);
	assert_int_equal(metrics_counter_inc(c, (const char *[]){ "DEL", "ok" }), 0);
	assert_int_equal(metrics_counter_add(c, (const char *[]){ "ADD", "ok" }, 2), 0);
	assert_int_equal(metrics_counter_inc(c, (const char *[]){ "ADD", "11" }), 0);

	text = render(r);
	assert_text(text,
		    "# HELP sf_plain_total A plain counter.\n"
		    "# TYPE sf_plain_total counter\n"
		    "sf_plain_total 42\n"
		    "# HELP sf_req_total Requests.\n"
		    "# TYPE sf_req_total counter\n"
		    "sf_req_total{verb=\"ADD\",result=\"ok\"} 3\n"
		    "sf_req_total{verb=\"DEL\",result=\"ok\"} 1\n"
		    "sf_req_total{verb=\"ADD\",result=\"11\"} 1\n");
	free(text);

	uint64_t v = 0;
	assert_int_equal(metrics_counter_get(c, (const char *[]){ "ADD", "ok" }, &v), 0);
	assert_int_equal(v, 3);
	assert_int_equal(metrics_counter_get(c, (const char *[]){ "GC", "ok" }, &v), -ENOENT);
	metrics_registry_free(r);
}

static void test_gauge_exposition(void **state)
{
	struct metrics_registry *r;
	struct metrics_gauge *g;
	char *text;
	double v;

	assert_int_equal(metrics_registry_new(&r), 0);
	assert_int_equal(metrics_gauge_new(r, "sf_temp", "", (const char *[]){ "where", NULL }, &g), 0);
	assert_int_equal(metrics_gauge_set(g, (const char *[]){ "a" }, 1.5), 0);
	assert_int_equal(metrics_gauge_add(g, (const char *[]){ "a" }, -3.75), 0);
	assert_int_equal(metrics_gauge_set(g, (const char *[]){ "b" }, 0.1), 0);
	assert_int_equal(metrics_gauge_set(g, (const char *[]){ "c" }, 1e21), 0);
	assert_int_equal(metrics_gauge_set(g, (const char *[]){ "d" }, INFINITY), 0);
	assert_int_equal(metrics_gauge_set(g, (const char *[]){ "e" }, -INFINITY), 0);
	assert_int_equal(metrics_gauge_set(g, (const char *[]){ "f" }, NAN), 0);
	assert_int_equal(metrics_gauge_set(g, (const char *[]){ "g" }, 123456789), 0);
	assert_int_equal(metrics_gauge_set(g, (const char *[]){ "h" }, 1e6), 0);
	assert_int_equal(metrics_gauge_set(g, (const char *[]){ "i" }, 1.5e-7), 0);
	assert_int_equal(metrics_gauge_set(g, (const char *[]){ "j" }, 0.1 + 0.2), 0);

	/* No HELP line for an empty help text; doubles in their shortest
	 * round-trip form, infinities and NaN spelled as Prometheus does. */
	text = render(r);
	assert_text(text,
		    "# TYPE sf_temp gauge\n"
		    "sf_temp{where=\"a\"} -2.25\n"
		    "sf_temp{where=\"b\"} 0.1\n"
		    "sf_temp{where=\"c\"} 1e+21\n"
		    "sf_temp{where=\"d\"} +Inf\n"
		    "sf_temp{where=\"e\"} -Inf\n"
		    "sf_temp{where=\"f\"} NaN\n"
		    "sf_temp{where=\"g\"} 123456789\n"
		    "sf_temp{where=\"h\"} 1000000\n"
		    "sf_temp{where=\"i\"} 1.5e-07\n"
		    "sf_temp{where=\"j\"} 0.30000000000000004\n");
	free(text);
	assert_int_equal(metrics_gauge_get(g, (const char *[]){ "a" }, &v), 0);
	assert_true(v == -2.25);
	metrics_registry_free(r);
}

static void test_histogram_exposition(void **state)
{
	struct metrics_registry *r;
	struct metrics_histogram *h, *plain;
	uint64_t count;
	double sum;
	char *text;

	assert_int_equal(metrics_registry_new(&r), 0);
	assert_int_equal(metrics_histogram_new(r, "sf_dur_seconds", "Durations.",
					       (const char *[]){ "verb", NULL },
					       (const double[]){ 0.0005, 0.1, 0.5, 1 }, 4, &h), 0);
	assert_int_equal(metrics_histogram_new(r, "sf_plain_seconds", "No labels.", NULL,
					       (const double[]){ 1 }, 1, &plain), 0);
	/* A value equal to a bound lands in that bucket (le = "less or equal"). */
	assert_int_equal(metrics_histogram_observe(h, (const char *[]){ "ADD" }, 0.05), 0);
	assert_int_equal(metrics_histogram_observe(h, (const char *[]){ "ADD" }, 0.1), 0);
	assert_int_equal(metrics_histogram_observe(h, (const char *[]){ "ADD" }, 0.25), 0);
	assert_int_equal(metrics_histogram_observe(h, (const char *[]){ "ADD" }, 2), 0);
	assert_int_equal(metrics_histogram_observe(h, (const char *[]){ "DEL" }, 0.0001), 0);
	assert_int_equal(metrics_histogram_observe(h, (const char *[]){ "DEL" }, NAN), -EINVAL);
	assert_int_equal(metrics_histogram_observe(plain, NULL, 3), 0);

	text = render(r);
	assert_text(text,
		    "# HELP sf_dur_seconds Durations.\n"
		    "# TYPE sf_dur_seconds histogram\n"
		    "sf_dur_seconds_bucket{verb=\"ADD\",le=\"0.0005\"} 0\n"
		    "sf_dur_seconds_bucket{verb=\"ADD\",le=\"0.1\"} 2\n"
		    "sf_dur_seconds_bucket{verb=\"ADD\",le=\"0.5\"} 3\n"
		    "sf_dur_seconds_bucket{verb=\"ADD\",le=\"1\"} 3\n"
		    "sf_dur_seconds_bucket{verb=\"ADD\",le=\"+Inf\"} 4\n"
		    "sf_dur_seconds_sum{verb=\"ADD\"} 2.4\n"
		    "sf_dur_seconds_count{verb=\"ADD\"} 4\n"
		    "sf_dur_seconds_bucket{verb=\"DEL\",le=\"0.0005\"} 1\n"
		    "sf_dur_seconds_bucket{verb=\"DEL\",le=\"0.1\"} 1\n"
		    "sf_dur_seconds_bucket{verb=\"DEL\",le=\"0.5\"} 1\n"
		    "sf_dur_seconds_bucket{verb=\"DEL\",le=\"1\"} 1\n"
		    "sf_dur_seconds_bucket{verb=\"DEL\",le=\"+Inf\"} 1\n"
		    "sf_dur_seconds_sum{verb=\"DEL\"} 0.0001\n"
		    "sf_dur_seconds_count{verb=\"DEL\"} 1\n"
		    "# HELP sf_plain_seconds No labels.\n"
		    "# TYPE sf_plain_seconds histogram\n"
		    "sf_plain_seconds_bucket{le=\"1\"} 0\n"
		    "sf_plain_seconds_bucket{le=\"+Inf\"} 1\n"
		    "sf_plain_seconds_sum 3\n"
		    "sf_plain_seconds_count 1\n");
	free(text);

	assert_int_equal(metrics_histogram_get(h, (const char *[]){ "ADD" }, &count, &sum), 0);
	assert_int_equal(count, 4);
	assert_true(fabs(sum - 2.4) < 1e-12);
	assert_int_equal(metrics_histogram_get(h, (const char *[]){ "GC" }, &count, &sum), -ENOENT);
	metrics_registry_free(r);
}

static void test_escaping(void **state)
{
	struct metrics_registry *r;
	struct metrics_counter *c;
	char *text;

	assert_int_equal(metrics_registry_new(&r), 0);
	/* HELP escapes backslash and newline but keeps quotes; label values
	 * escape all three; UTF-8 passes through. */
	assert_int_equal(metrics_counter_new(r, "sf_esc_total", "Back\\slash \"quoted\"\nsecond line",
					     (const char *[]){ "v", NULL }, &c), 0);
	assert_int_equal(metrics_counter_inc(c, (const char *[]){ "a\"b\\c\nd" }), 0);
	assert_int_equal(metrics_counter_inc(c, (const char *[]){ "" }), 0);
	assert_int_equal(metrics_counter_inc(c, (const char *[]){ "r\xc3\xa9seau \xe2\x82\xac" }), 0);
	text = render(r);
	assert_text(text,
		    "# HELP sf_esc_total Back\\\\slash \"quoted\"\\nsecond line\n"
		    "# TYPE sf_esc_total counter\n"
		    "sf_esc_total{v=\"a\\\"b\\\\c\\nd\"} 1\n"
		    "sf_esc_total{v=\"\"} 1\n"
		    "sf_esc_total{v=\"r\xc3\xa9seau \xe2\x82\xac\"} 1\n");
	free(text);
	metrics_registry_free(r);
}

static void test_invalid_names(void **state)
{
	static const double b[] = { 1, 2 };
	struct metrics_registry *r;
	struct metrics_counter *c = NULL;
	struct metrics_histogram *h = NULL;
	const char *bad_names[] = { "", "1abc", "a-b", "a b", "é", "sf.total" };
	const char *bad_labels[] = { "", "1x", "a:b", "__reserved", "x-y" };

	assert_int_equal(metrics_registry_new(&r), 0);
	for (size_t i = 0; i < sizeof(bad_names) / sizeof(bad_names[0]); i++)
		assert_int_equal(metrics_counter_new(r, bad_names[i], "", NULL, &c), -EINVAL);
	assert_int_equal(metrics_counter_new(r, NULL, "", NULL, &c), -EINVAL);
	for (size_t i = 0; i < sizeof(bad_labels) / sizeof(bad_labels[0]); i++)
		assert_int_equal(metrics_counter_new(r, "sf_x_total", "",
						     (const char *[]){ bad_labels[i], NULL }, &c),
				 -EINVAL);
	assert_int_equal(metrics_counter_new(r, "sf_x_total", "", (const char *[]){ "a", "a", NULL },
					     &c), -EINVAL);
	assert_int_equal(metrics_counter_new(r, "sf_x_total", "",
					     (const char *[]){ "a", "b", "c", "d", "e", "f", "g",
							       "h", "i", NULL }, &c), -EINVAL);
	/* "le" is only reserved for histograms. */
	assert_int_equal(metrics_histogram_new(r, "sf_h", "", (const char *[]){ "le", NULL }, b, 2, &h),
			 -EINVAL);
	assert_int_equal(metrics_histogram_new(r, "sf_h", "", NULL, (const double[]){ 2, 1 }, 2, &h),
			 -EINVAL);
	assert_int_equal(metrics_histogram_new(r, "sf_h", "", NULL, (const double[]){ 1, 1 }, 2, &h),
			 -EINVAL);
	assert_int_equal(metrics_histogram_new(r, "sf_h", "", NULL, (const double[]){ 1, INFINITY },
					       2, &h), -EINVAL);
	assert_int_equal(metrics_histogram_new(r, "sf_h", "", NULL, b, 0, &h), -EINVAL);
	assert_null(c);
	assert_null(h);

	/* Nothing refused above was registered. */
	char *text = render(r);
	assert_string_equal(text, "");
	free(text);

	/* Colons are fine in metric names (recording rules use them), and a
	 * name can only be registered once, whatever its type. */
	assert_int_equal(metrics_counter_new(r, "sf:rule_total", "", (const char *[]){ "le", NULL },
					     &c), 0);
	assert_non_null(c);
	assert_int_equal(metrics_histogram_new(r, "sf:rule_total", "", NULL, b, 2, &h), -EEXIST);
	metrics_registry_free(r);
}

static void test_invalid_values(void **state)
{
	struct metrics_registry *r;
	struct metrics_counter *c;
	char long_value[METRICS_MAX_VALUE_LEN + 2];
	char name[32];
	uint64_t v;
	char *text;

	assert_int_equal(metrics_registry_new(&r), 0);
	assert_int_equal(metrics_counter_new(r, "sf_v_total", "", (const char *[]){ "a", "b", NULL },
					     &c), 0);
	assert_int_equal(metrics_counter_inc(c, NULL), -EINVAL);
	assert_int_equal(metrics_counter_inc(c, (const char *[]){ "x", NULL }), -EINVAL);
	assert_int_equal(metrics_counter_inc(c, (const char *[]){ "x", "\xc3" }), -EINVAL);
	assert_int_equal(metrics_counter_inc(c, (const char *[]){ "x", "\xed\xa0\x80" }), -EINVAL);
	assert_int_equal(metrics_counter_inc(c, (const char *[]){ "x", "\xc0\xaf" }), -EINVAL);
	memset(long_value, 'v', sizeof(long_value) - 1);
	long_value[sizeof(long_value) - 1] = '\0';
	assert_int_equal(metrics_counter_inc(c, (const char *[]){ "x", long_value }), -ENAMETOOLONG);
	long_value[METRICS_MAX_VALUE_LEN] = '\0';
	assert_int_equal(metrics_counter_inc(c, (const char *[]){ "x", long_value }), 0);
	text = render(r);
	assert_non_null(strstr(text, "sf_v_total{a=\"x\",b=\"vvvv"));
	assert_null(strstr(text, "\xc3"));
	free(text);

	/* The series cap keeps an unexpected label value from growing memory
	 * without bound, and existing series keep counting. */
	for (int i = 1; i < METRICS_MAX_SERIES; i++) {
		snprintf(name, sizeof(name), "s%d", i);
		assert_int_equal(metrics_counter_inc(c, (const char *[]){ "y", name }), 0);
	}
	assert_int_equal(metrics_counter_inc(c, (const char *[]){ "y", "one-too-many" }), -E2BIG);
	assert_int_equal(metrics_counter_inc(c, (const char *[]){ "y", "s7" }), 0);
	assert_int_equal(metrics_counter_get(c, (const char *[]){ "y", "s7" }, &v), 0);
	assert_int_equal(v, 2);
	metrics_registry_free(r);
}

struct worker {
	struct metrics_histogram *h;
	struct metrics_counter *c;
	struct metrics_gauge *g;
	int id;
	int failures; /* cmocka's asserts may only run on the main thread */
};

#define N_THREADS 4
#define N_OPS 100000

static const char *const verbs[] = { "ADD", "DEL", "CHECK", "STATUS", "GC" };

/* Every thread walks the verbs in its own order so that they race to create
 * the same series as well as to update them. */
static void *worker_main(void *arg)
{
	struct worker *w = arg;

	for (int i = 0; i < N_OPS; i++) {
		const char *verb = verbs[(i + w->id) % 5];

		w->failures += metrics_histogram_observe(w->h, (const char *[]){ verb }, 0.25) != 0;
		w->failures += metrics_counter_inc(w->c, (const char *[]){ verb, "ok" }) != 0;
		w->failures += metrics_gauge_add(w->g, NULL, 0.5) != 0;
	}
	return NULL;
}

static void test_concurrent_updates(void **state)
{
	struct metrics_registry *r;
	struct metrics_histogram *h;
	struct metrics_counter *c;
	struct metrics_gauge *g;
	struct worker w[N_THREADS];
	pthread_t t[N_THREADS];
	uint64_t count, total = 0;
	double sum, gv;
	char *text;

	assert_int_equal(metrics_registry_new(&r), 0);
	assert_int_equal(metrics_histogram_new(r, "sf_c_seconds", "", (const char *[]){ "verb", NULL },
					       (const double[]){ 0.1, 1 }, 2, &h), 0);
	assert_int_equal(metrics_counter_new(r, "sf_c_total", "",
					     (const char *[]){ "verb", "result", NULL }, &c), 0);
	assert_int_equal(metrics_gauge_new(r, "sf_c_gauge", "", NULL, &g), 0);
	for (int i = 0; i < N_THREADS; i++) {
		w[i] = (struct worker){ .h = h, .c = c, .g = g, .id = i };
		assert_int_equal(pthread_create(&t[i], NULL, worker_main, &w[i]), 0);
	}
	/* Scrapes racing with the writers must not crash or tear. */
	for (int i = 0; i < 20; i++)
		free(render(r));
	for (int i = 0; i < N_THREADS; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		assert_int_equal(w[i].failures, 0);
	}

	for (size_t i = 0; i < 5; i++) {
		assert_int_equal(metrics_histogram_get(h, (const char *[]){ verbs[i] }, &count, &sum), 0);
		assert_int_equal(count, N_THREADS * N_OPS / 5);
		/* 0.25 is exact in binary, so the sum is exact too. */
		assert_true(sum == 0.25 * (double)count);
		assert_int_equal(metrics_counter_get(c, (const char *[]){ verbs[i], "ok" }, &count), 0);
		total += count;
	}
	assert_int_equal(total, N_THREADS * N_OPS);
	assert_int_equal(metrics_gauge_get(g, NULL, &gv), 0);
	assert_true(gv == 0.5 * N_THREADS * N_OPS);

	text = render(r);
	assert_non_null(strstr(text, "sf_c_seconds_bucket{verb=\"GC\",le=\"0.1\"} 0\n"
				     "sf_c_seconds_bucket{verb=\"GC\",le=\"1\"} 80000\n"
				     "sf_c_seconds_bucket{verb=\"GC\",le=\"+Inf\"} 80000\n"
				     "sf_c_seconds_sum{verb=\"GC\"} 20000\n"
				     "sf_c_seconds_count{verb=\"GC\"} 80000\n"));
	assert_non_null(strstr(text, "sf_c_gauge 200000\n"));
	/* Exactly five series each, however the threads raced. */
	int n = 0;
	for (const char *p = text; (p = strstr(p, "sf_c_total{")); p++)
		n++;
	assert_int_equal(n, 5);
	free(text);
	metrics_registry_free(r);
}

struct pools {
	int fail;
};

static int collect(void *userdata, struct metrics_emitter *e)
{
	struct pools *p = userdata;
	int r;

	r = daemon_metrics_emit_pool(e, "net-a/sg-1",
				     &(struct daemon_metrics_pool){ .ready = 5, .in_use = 2,
								    .wiring = 1, .cooldown = 0 });
	if (r < 0)
		return r;
	return p->fail ? -EIO : 0;
}

static void test_collector(void **state)
{
	struct metrics_registry *r;
	struct pools p = { 0 };
	char *text;

	assert_int_equal(metrics_registry_new(&r), 0);
	assert_int_equal(metrics_collector_add(r, METRICS_GAUGE, "sf_pool_ports", "Pool ports.",
					       (const char *[]){ "pool", "state", NULL }, collect, &p),
			 0);
	assert_int_equal(metrics_collector_add(r, METRICS_HISTOGRAM, "sf_bad", "", NULL, collect, &p),
			 -EINVAL);
	text = render(r);
	assert_text(text,
		    "# HELP sf_pool_ports Pool ports.\n"
		    "# TYPE sf_pool_ports gauge\n"
		    "sf_pool_ports{pool=\"net-a/sg-1\",state=\"ready\"} 5\n"
		    "sf_pool_ports{pool=\"net-a/sg-1\",state=\"in_use\"} 2\n"
		    "sf_pool_ports{pool=\"net-a/sg-1\",state=\"wiring\"} 1\n"
		    "sf_pool_ports{pool=\"net-a/sg-1\",state=\"cooldown\"} 0\n");
	free(text);
	/* A failing collector loses its samples, not the whole page. */
	p.fail = 1;
	text = render(r);
	assert_text(text,
		    "# HELP sf_pool_ports Pool ports.\n"
		    "# TYPE sf_pool_ports gauge\n");
	free(text);
	metrics_registry_free(r);
}

static void test_daemon_metrics(void **state)
{
	struct daemon_metrics *dm;
	struct pools p = { 0 };
	unsigned long long rss = 0;
	uint64_t v;
	char *text, *line;

	assert_int_equal(daemon_metrics_new(collect, &p, &dm), 0);
	daemon_metrics_cni_done(dm, "ADD", 0, 0.0007);
	daemon_metrics_cni_done(dm, "ADD", 11, 0.3);
	daemon_metrics_neutron_done(dm, "port_create_bulk", 0, 201, 1.2);
	daemon_metrics_neutron_done(dm, "port_update", -EIO, 503, 0.2);
	daemon_metrics_neutron_done(dm, "port_update", -ETIMEDOUT, 0, 30);
	assert_int_equal(metrics_counter_add(dm->ports_created, NULL, 10), 0);
	assert_int_equal(metrics_counter_inc(dm->leaked_ports, (const char *[]){ DAEMON_LEAK_NEUTRON }),
			 0);

	assert_int_equal(metrics_counter_get(dm->cni_requests, (const char *[]){ "ADD", "ok" }, &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(metrics_counter_get(dm->cni_requests, (const char *[]){ "ADD", "11" }, &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(metrics_counter_get(dm->neutron_errors,
					     (const char *[]){ "port_create_bulk", "201" }, &v), -ENOENT);

	text = render(dm->registry);
	assert_non_null(strstr(text, "# TYPE superfluid_cni_request_duration_seconds histogram\n"));
	assert_non_null(strstr(text, "superfluid_cni_request_duration_seconds_bucket"
				     "{verb=\"ADD\",le=\"0.0005\"} 0\n"
				     "superfluid_cni_request_duration_seconds_bucket"
				     "{verb=\"ADD\",le=\"0.001\"} 1\n"));
	assert_non_null(strstr(text, "superfluid_cni_request_duration_seconds_bucket"
				     "{verb=\"ADD\",le=\"30\"} 2\n"));
	assert_non_null(strstr(text, "superfluid_cni_requests_total{verb=\"ADD\",result=\"11\"} 1\n"));
	assert_non_null(strstr(text, "superfluid_pool_ports{pool=\"net-a/sg-1\",state=\"in_use\"} 2\n"));
	assert_non_null(strstr(text, "superfluid_neutron_errors_total"
				     "{op=\"port_update\",status=\"503\"} 1\n"));
	assert_non_null(strstr(text, "superfluid_neutron_errors_total"
				     "{op=\"port_update\",status=\"transport\"} 1\n"));
	assert_non_null(strstr(text, "superfluid_neutron_request_duration_seconds_count"
				     "{op=\"port_update\"} 2\n"));
	assert_non_null(strstr(text, "superfluid_ports_created_total 10\n"));
	assert_non_null(strstr(text, "superfluid_ports_deleted_total 0\n"));
	assert_non_null(strstr(text, "superfluid_leaked_ports_total{kind=\"neutron\"} 1\n"));
	line = strstr(text, "\nsuperfluid_process_resident_memory_bytes ");
	assert_non_null(line);
	assert_int_equal(sscanf(line, "\nsuperfluid_process_resident_memory_bytes %llu", &rss), 1);
	/* A live process holds at least a megabyte and far less than 64 GiB. */
	assert_true(rss > (1ull << 20) && rss < (64ull << 30));
	free(text);
	daemon_metrics_free(dm);
	daemon_metrics_free(NULL);
	metrics_registry_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counter_exposition),
		cmocka_unit_test(test_gauge_exposition),
		cmocka_unit_test(test_histogram_exposition),
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_invalid_names),
		cmocka_unit_test(test_invalid_values),
		cmocka_unit_test(test_concurrent_updates),
		cmocka_unit_test(test_collector),
		cmocka_unit_test(test_daemon_metrics),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

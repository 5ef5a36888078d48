/* Cost of the metrics hot path: what one CNI ADD pays (one histogram
 * observation and one counter increment, each finding its series by label
 * values), alone and with threads updating the same series, and the cost of
 * one scrape.  Run: make -C bench && build/bench/bench_metrics */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/util.h"
#include "daemon/daemon_metrics.h"
#include "metrics/metrics.h"

#define N_OPS 1000000

static struct daemon_metrics *dm;
static volatile int sink;

static double ns_per_op(uint64_t start_us, long n)
{
	return (double)(util_now_us() - start_us) * 1000.0 / (double)n;
}

static void *hot_path(void *arg)
{
	for (long i = 0; i < N_OPS; i++)
		daemon_metrics_cni_done(dm, "ADD", 0, 0.0007);
	return arg;
}

static void run_threads(int n)
{
	pthread_t t[8];
	uint64_t start = util_now_us();

	for (int i = 0; i < n; i++)
		if (pthread_create(&t[i], NULL, hot_path, NULL) != 0)
			abort();
	for (int i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	printf("ADD hot path, %d threads on one series: %7.1f ns/op (wall, per op of one thread)\n",
	       n, ns_per_op(start, N_OPS));
}

int main(void)
{
	static const char *const verbs[] = { "ADD", "DEL", "CHECK", "STATUS", "GC" };
	uint64_t start;
	char *text;
	size_t len;

	if (daemon_metrics_new(NULL, NULL, &dm) < 0)
		return 1;
	/* The series of a running daemon: every verb seen, some errors. */
	for (size_t i = 0; i < ARRAY_SIZE(verbs); i++) {
		daemon_metrics_cni_done(dm, verbs[i], 0, 0.001);
		daemon_metrics_cni_done(dm, verbs[i], 11, 0.001);
	}

	start = util_now_us();
	for (long i = 0; i < N_OPS; i++)
		sink += metrics_histogram_observe(dm->cni_duration, (const char *[]){ "GC" }, 0.0007);
	printf("histogram observe {verb}, 1 thread:        %7.1f ns/op\n", ns_per_op(start, N_OPS));

	start = util_now_us();
	for (long i = 0; i < N_OPS; i++)
		sink += metrics_counter_inc(dm->cni_requests, (const char *[]){ "GC", "11" });
	printf("counter inc {verb,result}, 1 thread:       %7.1f ns/op\n", ns_per_op(start, N_OPS));

	start = util_now_us();
	for (long i = 0; i < N_OPS; i++)
		sink += metrics_counter_inc(dm->ports_created, NULL);
	printf("counter inc, no labels, 1 thread:          %7.1f ns/op\n", ns_per_op(start, N_OPS));

	run_threads(1);
	run_threads(2);

	start = util_now_us();
	for (int i = 0; i < 1000; i++) {
		if (metrics_registry_render(dm->registry, &text, &len) < 0)
			return 1;
		free(text);
	}
	printf("scrape (%zu bytes):                      %7.1f us/op\n", len,
	       (double)(util_now_us() - start) / 1000.0);
	daemon_metrics_free(dm);
	return 0;
}

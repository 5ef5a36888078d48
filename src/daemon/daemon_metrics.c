#include "daemon/daemon_metrics.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "neutron/neutron.h"
#include "store/store.h"

/* From half a millisecond (a pooled ADD) to tens of seconds (a Neutron call
 * under load, or an ADD that had to wait for a port). */
static const double duration_buckets[] = {
	0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
};

/* The second field of /proc/self/statm is the resident set in pages. */
static int collect_resident_memory(void *userdata, struct metrics_emitter *e)
{
	char buf[128];
	unsigned long long size, resident;
	long page = sysconf(_SC_PAGESIZE);
	ssize_t n;
	int fd, r = 0;

	fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	if (n < 0) {
		r = -errno;
		goto out;
	}
	buf[n] = '\0';
	if (sscanf(buf, "%llu %llu", &size, &resident) != 2 || page <= 0) {
		r = -EIO;
		goto out;
	}
	r = metrics_emit(e, NULL, (double)resident * (double)page);
out:
	close(fd);
	return r;
}

/* Keeps the family registered (HELP and TYPE shown) even before the daemon
 * has pools to report. */
static int collect_pools(void *userdata, struct metrics_emitter *e)
{
	struct daemon_metrics *dm = userdata;

	return dm->pool_fn ? dm->pool_fn(dm->pool_userdata, e) : 0;
}

int daemon_metrics_new(metrics_collect_fn pool_fn, void *pool_userdata, struct daemon_metrics **ret)
{
	struct daemon_metrics *dm = xcalloc(1, sizeof(*dm));
	struct metrics_registry *reg;
	int r;

	pthread_mutex_init(&dm->errors_lock, NULL);

	r = metrics_registry_new(&dm->registry);
	if (r < 0)
		goto out;
	reg = dm->registry;

	r = metrics_histogram_new(reg, DAEMON_METRIC_CNI_DURATION,
				  "Time to answer a CNI request, by verb.",
				  (const char *[]){ "verb", NULL }, duration_buckets,
				  ARRAY_SIZE(duration_buckets), &dm->cni_duration);
	if (r < 0)
		goto out;
	r = metrics_counter_new(reg, DAEMON_METRIC_CNI_REQUESTS,
				"CNI requests answered, by verb and result (ok or the CNI error code).",
				(const char *[]){ "verb", "result", NULL }, &dm->cni_requests);
	if (r < 0)
		goto out;
	dm->pool_fn = pool_fn;
	dm->pool_userdata = pool_userdata;
	r = metrics_collector_add(reg, METRICS_GAUGE, DAEMON_METRIC_POOL_PORTS,
				  "Ports in each pool, by state (ready, in_use, wiring, cooldown).",
				  (const char *[]){ "pool", "state", NULL }, collect_pools, dm);
	if (r < 0)
		goto out;
	r = metrics_histogram_new(reg, DAEMON_METRIC_NEUTRON_DURATION,
				  "Time of a Neutron API call, retries included, by operation.",
				  (const char *[]){ "op", NULL }, duration_buckets,
				  ARRAY_SIZE(duration_buckets), &dm->neutron_duration);
	if (r < 0)
		goto out;
	r = metrics_counter_new(reg, DAEMON_METRIC_NEUTRON_ERRORS,
				"Neutron API calls that failed, by operation and HTTP status "
				"(transport when no answer arrived).",
				(const char *[]){ "op", "status", NULL }, &dm->neutron_errors);
	if (r < 0)
		goto out;
	r = metrics_counter_new(reg, DAEMON_METRIC_PORTS_CREATED,
				"Neutron ports this daemon created.", NULL, &dm->ports_created);
	if (r < 0)
		goto out;
	r = metrics_counter_new(reg, DAEMON_METRIC_PORTS_DELETED,
				"Neutron ports this daemon deleted.", NULL, &dm->ports_deleted);
	if (r < 0)
		goto out;
	r = metrics_counter_new(reg, DAEMON_METRIC_LEAKED_PORTS,
				"Leaked ports the garbage collector found and cleaned up, by kind.",
				(const char *[]){ "kind", NULL }, &dm->leaked_ports);
	if (r < 0)
		goto out;
	r = metrics_counter_new(reg, DAEMON_METRIC_GC_ACTIONS,
				"What the garbage collector cleaned, by kind of leak and action.",
				(const char *[]){ "kind", "action", NULL }, &dm->gc_actions);
	if (r < 0)
		goto out;
	r = metrics_gauge_new(reg, DAEMON_METRIC_NEUTRON_UP,
			      "1 when the last Neutron call got an answer (any status below 500), else 0.",
			      NULL, &dm->neutron_up);
	if (r < 0)
		goto out;
	r = metrics_gauge_new(reg, DAEMON_METRIC_GC_PENDING,
			      "Leaks the last garbage collection pass found and left for the next.",
			      NULL, &dm->gc_pending);
	if (r < 0)
		goto out;
	r = metrics_gauge_new(reg, DAEMON_METRIC_PORTS_OVERDUE,
			      "Ports still WIRING (not ACTIVE) after active_timeout, at the last recheck.",
			      NULL, &dm->ports_overdue);
	if (r < 0)
		goto out;
	r = metrics_gauge_new(reg, DAEMON_METRIC_BREAKER_STATE,
			      "The Neutron circuit breaker: 1 for its state (closed, open, half-open).",
			      (const char *[]){ "state", NULL }, &dm->breaker_state);
	if (r < 0)
		goto out;
	daemon_metrics_breaker(dm, "closed");
	r = metrics_counter_new(reg, DAEMON_METRIC_BREAKER_OPENS,
				"Times the Neutron circuit breaker opened (a call got no answer).",
				NULL, &dm->breaker_opens);
	if (r < 0)
		goto out;
	r = metrics_collector_add(reg, METRICS_GAUGE, DAEMON_METRIC_RESIDENT_MEMORY,
				  "Resident memory of the daemon, read from /proc/self/statm.",
				  NULL, collect_resident_memory, NULL);
out:
	if (r < 0) {
		daemon_metrics_free(dm);
		return r;
	}
	*ret = dm;
	return 0;
}

void daemon_metrics_free(struct daemon_metrics *dm)
{
	if (!dm)
		return;
	metrics_registry_free(dm->registry);
	pthread_mutex_destroy(&dm->errors_lock);
	free(dm);
}

int daemon_metrics_emit_pool(struct metrics_emitter *e, const char *pool,
			     const struct daemon_metrics_pool *p)
{
	const struct {
		const char *state;
		uint64_t n;
	} states[] = {
		{ "ready", p->ready },
		{ "in_use", p->in_use },
		{ "wiring", p->wiring },
		{ "cooldown", p->cooldown },
	};
	int r;

	for (size_t i = 0; i < ARRAY_SIZE(states); i++) {
		r = metrics_emit(e, (const char *[]){ pool, states[i].state }, (double)states[i].n);
		if (r < 0)
			return r;
	}
	return 0;
}

static void record_error(struct daemon_metrics *dm, const char *kind, const char *name,
			 const char *code)
{
	struct timespec ts;
	struct daemon_metrics_error *e;

	clock_gettime(CLOCK_REALTIME, &ts);
	pthread_mutex_lock(&dm->errors_lock);
	e = &dm->errors[dm->n_errors++ % DAEMON_METRICS_LAST_ERRORS];
	e->at_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	snprintf(e->what, sizeof(e->what), "%s %s", kind, name);
	snprintf(e->code, sizeof(e->code), "%s", code);
	pthread_mutex_unlock(&dm->errors_lock);
}

size_t daemon_metrics_last_errors(struct daemon_metrics *dm, struct daemon_metrics_error *out,
				  size_t max)
{
	size_t n = 0;

	pthread_mutex_lock(&dm->errors_lock);
	for (uint64_t i = dm->n_errors; i > 0 && n < max && n < DAEMON_METRICS_LAST_ERRORS; i--)
		out[n++] = dm->errors[(i - 1) % DAEMON_METRICS_LAST_ERRORS];
	pthread_mutex_unlock(&dm->errors_lock);
	return n;
}

void daemon_metrics_cni_done(struct daemon_metrics *dm, const char *verb, int cni_code,
			     double seconds)
{
	char code[16];

	if (cni_code == 0)
		snprintf(code, sizeof(code), "ok");
	else
		snprintf(code, sizeof(code), "%d", cni_code);
	/* A metrics failure (a bad verb string) must never fail the request. */
	(void)metrics_histogram_observe(dm->cni_duration, (const char *[]){ verb }, seconds);
	(void)metrics_counter_inc(dm->cni_requests, (const char *[]){ verb, code });
	if (cni_code != 0)
		record_error(dm, "cni", verb, code);
}

void daemon_metrics_neutron_done(struct daemon_metrics *dm, const char *op, int r,
				 int http_status, double seconds)
{
	char status[16];

	(void)metrics_histogram_observe(dm->neutron_duration, (const char *[]){ op }, seconds);
	/* Any answer from the server, even a 4xx, means Neutron is there. */
	(void)metrics_gauge_set(dm->neutron_up, NULL,
				r >= 0 || (http_status > 0 && http_status < 500) ? 1 : 0);
	if (r >= 0)
		return;
	if (http_status > 0)
		snprintf(status, sizeof(status), "%d", http_status);
	else
		snprintf(status, sizeof(status), "transport");
	(void)metrics_counter_inc(dm->neutron_errors, (const char *[]){ op, status });
	record_error(dm, "neutron", op, status);
}

void daemon_metrics_breaker(struct daemon_metrics *dm, const char *state)
{
	static const char *const states[] = { "closed", "open", "half-open" };

	for (size_t i = 0; i < ARRAY_SIZE(states); i++)
		(void)metrics_gauge_set(dm->breaker_state, (const char *[]){ states[i] },
					streq(states[i], state) ? 1 : 0);
}

void daemon_metrics_breaker_opened(struct daemon_metrics *dm)
{
	(void)metrics_counter_inc(dm->breaker_opens, NULL);
}

static int collect_store(void *userdata, struct metrics_emitter *e)
{
	struct store_health h;
	int r;

	store_health(userdata, &h);
	r = metrics_emit(e, (const char *[]){ "no_space" }, (double)h.no_space);
	if (r >= 0)
		r = metrics_emit(e, (const char *[]){ "io" }, (double)h.io);
	return r;
}

int daemon_metrics_watch_store(struct daemon_metrics *dm, struct store *s)
{
	return metrics_collector_add(dm->registry, METRICS_COUNTER, DAEMON_METRIC_STORE_FULL,
				     "Statements on the state database that failed for the "
				     "file's sake, by reason (no_space: the disk under state_dir "
				     "is full; io: an I/O error or a read-only file).",
				     (const char *[]){ "reason", NULL }, collect_store, s);
}

static int collect_keystone(void *userdata, struct metrics_emitter *e)
{
	struct neutron_stats st;
	int r;

	neutron_client_stats(userdata, &st);
	r = metrics_emit(e, (const char *[]){ "issued" }, (double)st.auths);
	if (r >= 0)
		r = metrics_emit(e, (const char *[]){ "after_401" }, (double)st.reauths_on_401);
	return r;
}

int daemon_metrics_watch_keystone(struct daemon_metrics *dm, struct neutron_client *c)
{
	return metrics_collector_add(dm->registry, METRICS_COUNTER, DAEMON_METRIC_KEYSTONE_TOKENS,
				     "Keystone tokens issued to the daemon (issued: every one, "
				     "renewals included; after_401: those asked for because "
				     "Neutron refused the token before it was due).",
				     (const char *[]){ "kind", NULL }, collect_keystone, c);
}

/* The daemon's shared state (state.h): wakeups, the Neutron bookkeeping
 * and the background threads' backoff. */
#include "daemon/state.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "daemon/daemon_metrics.h"
#include "store/store.h"

#define BACKOFF_MAX_MS 60000

static void kick(struct daemon *d, pthread_cond_t *cond, bool *pending)
{
	pthread_mutex_lock(&d->lock);
	*pending = true;
	pthread_cond_signal(cond);
	pthread_mutex_unlock(&d->lock);
}

void daemon_kick_refill(struct daemon *d)
{
	kick(d, &d->wake_refill, &d->refill_pending);
}

void daemon_kick_sync(struct daemon *d)
{
	kick(d, &d->wake_sync, &d->sync_pending);
}

void daemon_kick_recycle(struct daemon *d)
{
	kick(d, &d->wake_recycle, &d->recycle_pending);
}

void daemon_kick_probe(struct daemon *d)
{
	kick(d, &d->wake_probe, &d->probe_pending);
}

bool daemon_should_stop(struct daemon *d)
{
	bool stop;

	pthread_mutex_lock(&d->lock);
	stop = d->stop;
	pthread_mutex_unlock(&d->lock);
	return stop;
}

void daemon_wait_kick(struct daemon *d, pthread_cond_t *cond, bool *pending, unsigned ms)
{
	struct timespec ts;

	/* The monotonic clock: a wall-clock jump (NTP, an operator) must not
	 * stretch a thread's sleep by the size of the jump. */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&d->lock);
	while (!*pending && !d->stop)
		if (pthread_cond_clockwait(cond, &d->lock, CLOCK_MONOTONIC, &ts) != 0)
			break;
	*pending = false;
	pthread_mutex_unlock(&d->lock);
}

bool daemon_in_burst(struct daemon *d, uint64_t deferred_since_ms)
{
	uint64_t now = util_now_ms();
	uint64_t last = atomic_load(&d->last_request_ms);

	if (now - last >= d->cfg.quiet_ms)
		return false;
	return deferred_since_ms == 0 || now - deferred_since_ms < d->cfg.max_defer_ms;
}

void daemon_breaker_show(struct daemon *d)
{
	struct neutron_breaker_view v;

	neutron_breaker_view(&d->breaker, &v);
	daemon_metrics_breaker(d->metrics, neutron_breaker_state_name(v.state));
}

/* One call's outcome to the breaker; its transitions are logged (a few per
 * outage) and shown in the metrics. */
static void breaker_feed(struct daemon *d, const char *op, int r, const struct neutron_error *err,
			 uint64_t waited_ms)
{
	enum neutron_breaker_change ch;
	struct neutron_breaker_view v;

	ch = neutron_breaker_record(&d->breaker, r, err ? err->http_status : 0, waited_ms,
				    err && err->message[0] ? err->message : NULL);
	if (ch == NEUTRON_BREAKER_SAME)
		return;
	neutron_breaker_view(&d->breaker, &v);
	if (ch == NEUTRON_BREAKER_OPENED) {
		log_warn_rl("Neutron is unreachable (%s: %s): ADDs on an empty pool fail at once "
			 "until a probe reaches it", op, v.cause);
		daemon_metrics_breaker_opened(d->metrics);
		daemon_kick_probe(d);
	} else {
		log_info_rl("Neutron is reachable again (%s answered)", op);
		atomic_fetch_add(&d->breaker_closes, 1);
		daemon_kick_refill(d);
		daemon_kick_sync(d);
	}
	daemon_breaker_show(d);
}

bool daemon_store_failing(struct daemon *d, bool probe)
{
	struct store_health h;
	bool was;

	store_health(d->store, &h);
	/* Its outcome is in the health read back. */
	if (h.failing && probe && store_probe_write(d->store) == 0)
		store_health(d->store, &h);
	was = atomic_exchange(&d->readiness.store_failing, h.failing);
	if (h.failing && !was)
		log_warn_rl("the state database in '%s' cannot be written (%s): ADDs answer code 11 "
			    "and /readyz is not ready until it can", d->cfg.state_dir,
			    strerror(-h.last_error));
	else if (!h.failing && was)
		log_info_rl("the state database in '%s' takes writes again", d->cfg.state_dir);
	return h.failing;
}

bool daemon_neutron_unreachable(struct daemon *d, char *why, size_t size)
{
	struct neutron_breaker_view v;
	struct tm tm;
	char at[32] = "?";

	neutron_breaker_view(&d->breaker, &v);
	if (v.state == NEUTRON_BREAKER_CLOSED)
		return false;
	if (!why)
		return true;
	if (gmtime_r(&v.since, &tm))
		strftime(at, sizeof(at), "%Y-%m-%dT%H:%M:%SZ", &tm);
	snprintf(why, size, "Neutron is unreachable since %s (%llu s; %s)", at,
		 (unsigned long long)((util_now_ms() - v.since_ms) / 1000), v.cause);
	return true;
}

/* Failed calls of the calling thread: a background thread compares it
 * across one pass of its work to know whether to back off. */
static _Thread_local unsigned long neutron_failures_here;

unsigned long daemon_neutron_failures_here(void)
{
	return neutron_failures_here;
}

void daemon_neutron_done(struct daemon *d, const char *op, int r, const struct neutron_error *err,
			 uint64_t start_us)
{
	double seconds = (double)(util_now_us() - start_us) / 1e6;
	int status = err ? err->http_status : 0;

	daemon_metrics_neutron_done(d->metrics, op, r, status, seconds);
	/* Any answer from the server, even a 4xx, means Neutron is there. */
	if (r >= 0 || (status > 0 && status < 500)) {
		atomic_store(&d->neutron_ok, true);
		atomic_store(&d->readiness.neutron_reached, true);
	} else if (r != -ETIME || seconds >= 1) {   /* a deadline with no time left: not Neutron */
		atomic_store(&d->neutron_ok, false);
		neutron_failures_here++;
	}
	breaker_feed(d, op, r, err, (uint64_t)(seconds * 1000));
}

unsigned daemon_backoff_ms(unsigned failures)
{
	unsigned ms = 500u << (failures < 7 ? failures : 7);

	if (ms > BACKOFF_MAX_MS)
		ms = BACKOFF_MAX_MS;
	return ms / 2 + (unsigned)(random() % (ms / 2 + 1));   /* jitter */
}

unsigned daemon_backoff_left(const struct daemon_backoff *b)
{
	uint64_t now = util_now_ms();

	return now < b->until_ms ? (unsigned)(b->until_ms - now) : 0;
}

void daemon_backoff_update(struct daemon_backoff *b, unsigned long failed_before, const char *who)
{
	unsigned ms;

	if (daemon_neutron_failures_here() == failed_before) {
		if (b->failures)
			log_info("%s: Neutron answers again after %u failed pass(es)", who, b->failures);
		b->failures = 0;
		return;
	}
	b->failures++;
	ms = daemon_backoff_ms(b->failures);
	b->until_ms = util_now_ms() + ms;
	log_info("%s: Neutron failed (%u pass(es) in a row); next attempt in %u ms", who,
		 b->failures, ms);
}

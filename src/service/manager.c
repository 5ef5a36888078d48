/* The service manager's life and its thread: every poll_ms (or when
 * kicked) each local row is brought in step with its service port
 * (step.c); the joins and returns the CNI asks for, recorded for it. */
#include "service/mgr_internal.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"

#define POLL_DEFAULT_MS 500
#define SETTLE_DEFAULT_MS 2500

int mgr_moving_begin(struct service_mgr *m, const char *name)
{
	int r = -EBUSY, free_slot = -1;

	pthread_mutex_lock(&m->lock);
	for (int i = 0; i < MGR_MAX_MOVING; i++) {
		if (streq(m->moving[i], name))
			goto out;
		if (!m->moving[i][0] && free_slot < 0)
			free_slot = i;
	}
	if (free_slot < 0)
		goto out;
	snprintf(m->moving[free_slot], sizeof(m->moving[free_slot]), "%s", name);
	r = 0;
out:
	pthread_mutex_unlock(&m->lock);
	return r;
}

void mgr_moving_end(struct service_mgr *m, const char *name)
{
	pthread_mutex_lock(&m->lock);
	for (int i = 0; i < MGR_MAX_MOVING; i++)
		if (streq(m->moving[i], name))
			m->moving[i][0] = '\0';
	pthread_mutex_unlock(&m->lock);
}

bool mgr_moving(struct service_mgr *m, const char *name)
{
	bool found = false;

	pthread_mutex_lock(&m->lock);
	for (int i = 0; i < MGR_MAX_MOVING && !found; i++)
		found = streq(m->moving[i], name);
	pthread_mutex_unlock(&m->lock);
	return found;
}

void mgr_kick(struct service_mgr *m)
{
	pthread_mutex_lock(&m->lock);
	m->kicked = true;
	pthread_cond_signal(&m->wake);
	pthread_mutex_unlock(&m->lock);
}

void mgr_crash_point(struct service_mgr *m, const char *step)
{
	if (m->crash_at && streq(m->crash_at, step))
		raise(SIGKILL);
}

static int join(struct service_mgr *m, const char *service, const char *port_id, int64_t until)
{
	struct store_service_row row = { 0 };
	int r;

	if (!service_name_valid(service))
		return -EINVAL;
	/* Joining twice is joining once. */
	if (store_service_get(m->store, service, port_id, &row) == 0) {
		store_service_row_done(&row);
		return 0;
	}
	r = store_service_put(m->store, service, port_id, NULL, STORE_SERVICE_JOINING, 0, until);
	if (r >= 0)
		mgr_kick(m);
	return r;
}

int service_mgr_join(struct service_mgr *m, const char *service, const char *port_id)
{
	return join(m, service, port_id, 0);
}

int service_mgr_join_instance(struct service_mgr *m, const char *service, const char *port_id)
{
	return join(m, service, port_id, MGR_JOIN_INSTANCE);
}

int service_mgr_return(struct service_mgr *m, const char *port_id, const char *service)
{
	struct store_service_row *rows = NULL;
	size_t n = 0;
	int r = store_service_list(m->store, port_id, &rows, &n);

	for (size_t i = 0; r >= 0 && i < n; i++)
		r = store_service_put(m->store, rows[i].service, port_id, NULL,
				      streq(rows[i].service, service) ? STORE_SERVICE_RETURNING
								      : STORE_SERVICE_LEAVING,
				      rows[i].epoch, 0);
	store_service_rows_free(rows, n);
	if (r >= 0 && n)
		mgr_kick(m);
	return r;
}

bool service_mgr_port_busy(struct service_mgr *m, const char *port_id)
{
	struct store_service_row *rows = NULL;
	size_t n = 0;

	/* When the store cannot say, the port waits: never reuse a member. */
	if (store_service_list(m->store, port_id, &rows, &n) < 0)
		return true;
	store_service_rows_free(rows, n);
	return n > 0;
}

/* One pass: each service with a local row is read once. */
static void pass(struct service_mgr *m)
{
	struct store_service_row *rows = NULL;
	size_t n = 0;
	struct service_port sp = { 0 };
	const char *cur = NULL;
	int found = 0;

	if (store_service_list(m->store, NULL, &rows, &n) < 0)
		return;
	for (size_t i = 0; i < n; i++) {
		if (mgr_moving(m, rows[i].service))
			continue;
		if (!streq(cur, rows[i].service)) {
			cur = rows[i].service;
			/* A container of the service's own pool just joined: the
			 * watch's read of this pass or the last will do. */
			if (rows[i].role == STORE_SERVICE_JOINING &&
			    rows[i].until == MGR_JOIN_INSTANCE &&
			    mgr_watch_take(m, cur, m->poll_ms, &sp)) {
				found = 0;
			} else {
				found = service_port_find(m->nc, cur, &sp, NULL);
			}
			/* This pass may write it: no read of it is kept. */
			mgr_watch_forget(m, cur);
		}
		/* Errors wait for the next pass; Neutron may be away. */
		int r = mgr_step_row(m, &rows[i], &sp, found);

		if (r < 0)
			log_info_rl("service '%s': port %s (%s): %s; retried at the next pass",
				    rows[i].service, rows[i].port_id,
				    store_service_role_to_string(rows[i].role), strerror(-r));
	}
	store_service_rows_free(rows, n);
	mgr_watch_poll(m);
}

static void *thread_main(void *arg)
{
	struct service_mgr *m = arg;

	pthread_mutex_lock(&m->lock);
	while (!m->stop) {
		struct timespec ts;

		pthread_mutex_unlock(&m->lock);
		pass(m);
		pthread_mutex_lock(&m->lock);
		if (m->stop || m->kicked) {
			m->kicked = false;
			continue;
		}
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_sec += m->poll_ms / 1000;
		ts.tv_nsec += (long)(m->poll_ms % 1000) * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&m->wake, &m->lock, &ts);
		m->kicked = false;
	}
	pthread_mutex_unlock(&m->lock);
	return NULL;
}

int service_mgr_new(struct neutron_client *nc, struct store *store,
		    const struct service_mgr_opts *opts, struct service_mgr **ret)
{
	struct service_mgr *m;
	pthread_condattr_t ca;

	if (!nc || !store || !ret)
		return -EINVAL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->nc = nc;
	m->store = store;
	m->poll_ms = opts && opts->poll_ms ? opts->poll_ms : POLL_DEFAULT_MS;
	m->settle_ms = opts && opts->settle_ms ? opts->settle_ms : SETTLE_DEFAULT_MS;
	if (opts && opts->host)
		snprintf(m->host, sizeof(m->host), "%s", opts->host);
	if ((opts && opts->crash_at && !(m->crash_at = strdup(opts->crash_at))) ||
	    (opts && opts->ovs_vsctl && opts->ovsdb &&
	     (!(m->ovs.vsctl = strdup(opts->ovs_vsctl)) || !(m->ovs.db = strdup(opts->ovsdb))))) {
		free(m->crash_at);
		free((char *)m->ovs.vsctl);
		free((char *)m->ovs.db);
		free(m);
		return -ENOMEM;
	}
	pthread_mutex_init(&m->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&m->wake, &ca);
	pthread_condattr_destroy(&ca);
	*ret = m;
	return 0;
}

int service_mgr_start(struct service_mgr *m)
{
	int r = pthread_create(&m->thread, NULL, thread_main, m);

	if (r)
		return -r;
	m->started = true;
	return 0;
}

void service_mgr_free(struct service_mgr *m)
{
	if (!m)
		return;
	if (m->started) {
		pthread_mutex_lock(&m->lock);
		m->stop = true;
		pthread_cond_signal(&m->wake);
		pthread_mutex_unlock(&m->lock);
		pthread_join(m->thread, NULL);
	}
	pthread_cond_destroy(&m->wake);
	pthread_mutex_destroy(&m->lock);
	free(m->crash_at);
	free((char *)m->ovs.vsctl);
	free((char *)m->ovs.db);
	free(m);
}

/* The services of this host's own pools, read every pass: a deploy on
 * the fly from such a pool claims a vacant service with its last read
 * instead of reading it first (docs/superfluidity.md, "Deploy on the
 * fly"). */
#include "service/mgr_internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/util.h"

int service_mgr_watch(struct service_mgr *m, const char *service)
{
	int r = 0;

	if (!service_name_valid(service))
		return -EINVAL;
	pthread_mutex_lock(&m->lock);
	for (size_t i = 0; i < m->n_watch; i++)
		if (streq(m->watch[i].name, service))
			goto out;
	if (m->n_watch == MGR_MAX_WATCH) {
		r = -ENOSPC;
		goto out;
	}
	snprintf(m->watch[m->n_watch].name, sizeof(m->watch[0].name), "%s", service);
	m->watch[m->n_watch].read_at_ms = 0;
	m->n_watch++;
	m->kicked = true;          /* mgr_kick, with the lock already held */
	pthread_cond_signal(&m->wake);
out:
	pthread_mutex_unlock(&m->lock);
	return r;
}

/* Called with the lock held. */
static struct mgr_watch *find_locked(struct service_mgr *m, const char *name)
{
	for (size_t i = 0; i < m->n_watch; i++)
		if (streq(m->watch[i].name, name))
			return &m->watch[i];
	return NULL;
}

void mgr_watch_note(struct service_mgr *m, const char *name, const struct service_port *sp)
{
	struct mgr_watch *w;

	pthread_mutex_lock(&m->lock);
	w = find_locked(m, name);
	if (w) {
		w->sp = *sp;
		w->read_at_ms = util_now_ms();
	}
	pthread_mutex_unlock(&m->lock);
}

void mgr_watch_forget(struct service_mgr *m, const char *name)
{
	struct mgr_watch *w;

	pthread_mutex_lock(&m->lock);
	w = find_locked(m, name);
	if (w) {
		w->read_at_ms = 0;
		w->had_rows = true;
	}
	pthread_mutex_unlock(&m->lock);
}

bool mgr_watch_take(struct service_mgr *m, const char *name, uint64_t max_age_ms,
		    struct service_port *ret)
{
	struct mgr_watch *w;
	bool fresh = false;

	pthread_mutex_lock(&m->lock);
	w = find_locked(m, name);
	if (w && w->read_at_ms && util_now_ms() - w->read_at_ms <= max_age_ms) {
		*ret = w->sp;
		w->read_at_ms = 0;
		fresh = true;
	}
	pthread_mutex_unlock(&m->lock);
	return fresh;
}

void mgr_watch_poll(struct service_mgr *m)
{
	char names[MGR_MAX_WATCH][SERVICE_NAME_MAX + 1];
	uint64_t now = util_now_ms();
	size_t n = 0;

	pthread_mutex_lock(&m->lock);
	for (size_t i = 0; i < m->n_watch; i++) {
		struct mgr_watch *w = &m->watch[i];

		if (!w->had_rows && (!w->read_at_ms || now - w->read_at_ms >= m->poll_ms))
			snprintf(names[n++], sizeof(names[0]), "%s", w->name);
		w->had_rows = false;
	}
	pthread_mutex_unlock(&m->lock);
	/* Read without the lock: a slow Neutron must not block joins. */
	for (size_t i = 0; i < n; i++) {
		struct service_port sp;

		if (service_port_find(m->nc, names[i], &sp, NULL) == 0)
			mgr_watch_note(m, names[i], &sp);
	}
}

/* The busy set (gc_busy.h): a short list under its own lock, never held
 * across a call out, so an ADD never waits for a garbage collection pass. */
#include "daemon/gc_busy.h"

#include <pthread.h>
#include <stdlib.h>

struct gc_busy_entry {
	char *container_id, *ifname;
	struct gc_busy_entry *next;
};

struct gc_busy {
	pthread_mutex_t lock;        /* guards list */
	struct gc_busy_entry *list;
};

int gc_busy_new(struct gc_busy **ret)
{
	struct gc_busy *b = xcalloc(1, sizeof(*b));

	pthread_mutex_init(&b->lock, NULL);
	*ret = b;
	return 0;
}

static void entry_free(struct gc_busy_entry *e)
{
	free(e->container_id);
	free(e->ifname);
	free(e);
}

void gc_busy_free(struct gc_busy *b)
{
	if (!b)
		return;
	while (b->list) {
		struct gc_busy_entry *e = b->list;

		b->list = e->next;
		entry_free(e);
	}
	pthread_mutex_destroy(&b->lock);
	free(b);
}

void gc_busy_begin(struct gc_busy *b, const char *container_id, const char *ifname)
{
	struct gc_busy_entry *e = xcalloc(1, sizeof(*e));

	e->container_id = xstrdup(container_id);
	e->ifname = xstrdup(ifname);
	pthread_mutex_lock(&b->lock);
	e->next = b->list;
	b->list = e;
	pthread_mutex_unlock(&b->lock);
}

void gc_busy_end(struct gc_busy *b, const char *container_id, const char *ifname)
{
	struct gc_busy_entry **pp, *gone = NULL;

	pthread_mutex_lock(&b->lock);
	for (pp = &b->list; *pp; pp = &(*pp)->next)
		if (streq((*pp)->container_id, container_id) && streq((*pp)->ifname, ifname)) {
			gone = *pp;
			*pp = gone->next;
			break;
		}
	pthread_mutex_unlock(&b->lock);
	if (gone)
		entry_free(gone);
}

bool gc_busy_check(struct gc_busy *b, const char *container_id, const char *ifname)
{
	bool busy = false;

	pthread_mutex_lock(&b->lock);
	for (struct gc_busy_entry *e = b->list; e && !busy; e = e->next)
		busy = streq(e->container_id, container_id) && streq(e->ifname, ifname);
	pthread_mutex_unlock(&b->lock);
	return busy;
}

/* Read-only queries answering many rows: lists and per-pool counts.  Each
 * is one SELECT, hence one consistent read transaction. */
#include "store/store_internal.h"

#include <errno.h>
#include <stdlib.h>

void store_port_list_free(struct store_port_list *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++)
		store_port_done(&l->ports[i]);
	free(l->ports);
	free(l);
}

/* Grows *array (of *cap elements of size) to hold one more than n. */
static int grow(void **array, size_t *cap, size_t n, size_t size)
{
	size_t c;
	void *p;

	if (n < *cap)
		return 0;
	c = *cap ? *cap * 2 : 16;
	if (c > SIZE_MAX / size)
		return -ENOMEM;
	p = realloc(*array, c * size);
	if (!p)
		return -ENOMEM;
	*array = p;
	*cap = c;
	return 0;
}

/* Steps st (bound by the caller; bound < 0 is its error) to its end and
 * collects its port rows.  Resets st.  *ret belongs to the caller. */
static int collect(struct store *s, sqlite3_stmt *st, int bound, struct store_port_list **ret)
{
	struct store_port_list *l = xcalloc(1, sizeof(*l));
	size_t cap = 0;
	int r = bound;

	while (r >= 0 && (r = store_step__(s, st)) > 0) {
		r = grow((void **)&l->ports, &cap, l->n, sizeof(*l->ports));
		if (r >= 0)
			r = store_row_read__(st, &l->ports[l->n]);
		if (r >= 0)
			l->n++;
	}
	store_stmt_done__(st);
	if (r >= 0) {
		*ret = l;
		l = NULL;
	}
	store_port_list_free(l);
	return r < 0 ? r : 0;
}

int store_find_container(struct store *s, const char *container_id,
			 struct store_port_list **ret)
{
	struct store_port_list *l = NULL;
	sqlite3_stmt *st;
	int r;

	if (!s || !container_id || !*container_id || !ret)
		return -EINVAL;
	pthread_mutex_lock(&s->lock);
	st = s->stmt[STMT_FIND_CONTAINER];
	r = collect(s, st, store_bind__(st, "t", container_id), &l);
	pthread_mutex_unlock(&s->lock);
	if (r >= 0 && l->n == 0)
		r = -ENOENT;
	if (r >= 0) {
		*ret = l;
		l = NULL;
	}
	store_port_list_free(l);
	return r;
}

int store_list(struct store *s, const char *pool, int state, struct store_port_list **ret)
{
	sqlite3_stmt *st;
	int r;

	if (!s || !ret || state >= STORE_PORT_STATE_COUNT)
		return -EINVAL;
	pthread_mutex_lock(&s->lock);
	st = s->stmt[STMT_LIST];
	r = collect(s, st, store_bind__(st, "tt", pool,
				       state < 0 ? NULL : store_port_state_to_string(state)),
		    ret);
	pthread_mutex_unlock(&s->lock);
	return r;
}

int store_list_unsynced(struct store *s, struct store_port_list **ret)
{
	int r;

	if (!s || !ret)
		return -EINVAL;
	pthread_mutex_lock(&s->lock);
	r = collect(s, s->stmt[STMT_LIST_UNSYNCED], 0, ret);
	pthread_mutex_unlock(&s->lock);
	return r;
}

void store_counts_free(struct store_counts *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++)
		free(c->pools[i].pool);
	free(c->pools);
	free(c);
}

/* Rows come as (pool, state, count), sorted by pool: one entry per run of
 * the same pool. */
static int count_row(sqlite3_stmt *st, struct store_counts *c, size_t *cap)
{
	const char *pool = (const char *)sqlite3_column_text(st, 0);
	const char *state = (const char *)sqlite3_column_text(st, 1);
	enum store_port_state i;
	int r;

	if (!pool || store_port_state_from_string(state, &i) < 0)
		return -EBADMSG;
	if (c->n == 0 || !streq(c->pools[c->n - 1].pool, pool)) {
		r = grow((void **)&c->pools, cap, c->n, sizeof(*c->pools));
		if (r < 0)
			return r;
		/* STATUS asks this on a request's path: no abort there. */
		c->pools[c->n] = (struct store_pool_count){ .pool = strdup(pool) };
		if (!c->pools[c->n].pool)
			return -ENOMEM;
		c->n++;
	}
	c->pools[c->n - 1].n[i] = (unsigned)sqlite3_column_int64(st, 2);
	return 0;
}

int store_count(struct store *s, struct store_counts **ret)
{
	struct store_counts *c;
	sqlite3_stmt *st;
	size_t cap = 0;
	int r;

	if (!s || !ret)
		return -EINVAL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	pthread_mutex_lock(&s->lock);
	st = s->stmt[STMT_COUNT];
	while ((r = store_step__(s, st)) > 0) {
		r = count_row(st, c, &cap);
		if (r < 0)
			break;
	}
	store_stmt_done__(st);
	pthread_mutex_unlock(&s->lock);
	if (r >= 0) {
		*ret = c;
		c = NULL;
	}
	store_counts_free(c);
	return r < 0 ? r : 0;
}

/* A port's life: insert, claim, release, cool-down, state changes, sync
 * marks and deletion.  Each public function is one transaction under the
 * store's lock. */
#include "store/store_internal.h"

#include <errno.h>
#include <stdlib.h>

static const char *const state_names[STORE_PORT_STATE_COUNT] = {
	[STORE_PORT_WIRING] = "wiring",
	[STORE_PORT_READY] = "ready",
	[STORE_PORT_IN_USE] = "in_use",
	[STORE_PORT_COOLDOWN] = "cooldown",
	[STORE_PORT_DELETING] = "deleting",
};

/* The diagram of docs/state.md, less claims and releases. */
static const unsigned allowed_moves[STORE_PORT_STATE_COUNT] = {
	[STORE_PORT_WIRING] = 1u << STORE_PORT_READY | 1u << STORE_PORT_DELETING,
	[STORE_PORT_READY] = 1u << STORE_PORT_WIRING | 1u << STORE_PORT_DELETING,
	[STORE_PORT_IN_USE] = 1u << STORE_PORT_DELETING,
	[STORE_PORT_COOLDOWN] = 1u << STORE_PORT_READY | 1u << STORE_PORT_WIRING |
				1u << STORE_PORT_DELETING,
	[STORE_PORT_DELETING] = 0,
};

const char *store_port_state_to_string(enum store_port_state state)
{
	if ((unsigned)state >= STORE_PORT_STATE_COUNT)
		return NULL;
	return state_names[state];
}

int store_port_state_from_string(const char *s, enum store_port_state *ret)
{
	for (unsigned i = 0; i < STORE_PORT_STATE_COUNT; i++) {
		if (streq(s, state_names[i])) {
			*ret = (enum store_port_state)i;
			return 0;
		}
	}
	return -EINVAL;
}

static bool valid_state(int state)
{
	return state >= 0 && state < STORE_PORT_STATE_COUNT;
}

static bool empty(const char *s)
{
	return !s || !*s;
}

void store_port_done(struct store_port *p)
{
	if (!p)
		return;
	free(p->port_id);
	free(p->pool);
	free(p->network_id);
	free(p->subnet_id);
	free(p->mac);
	free(p->info);
	free(p->container_id);
	free(p->ifname);
	free(p->netns);
	free(p->last_container_id);
	free(p->last_ifname);
	free(p->last_netns);
	*p = (struct store_port){ 0 };
}

static int dup_column(sqlite3_stmt *st, int i, char **ret)
{
	const unsigned char *t;

	if (sqlite3_column_type(st, i) == SQLITE_NULL) {
		*ret = NULL;
		return 0;
	}
	t = sqlite3_column_text(st, i);
	if (!t)
		return -ENOMEM;
	*ret = xstrdup((const char *)t);
	return 0;
}

int store_row_read__(sqlite3_stmt *st, struct store_port *ret)
{
	struct store_port p = { 0 };
	/* Text columns 0..12 in the order of COLS (store_sql.c); 6 is the
	 * state, parsed below. */
	char **text[] = {
		&p.port_id, &p.pool, &p.network_id, &p.subnet_id, &p.mac, &p.info, NULL,
		&p.container_id, &p.ifname, &p.netns, &p.last_container_id,
		&p.last_ifname, &p.last_netns,
	};
	int r = 0;

	for (unsigned i = 0; i < ARRAY_SIZE(text) && r >= 0; i++) {
		if (text[i])
			r = dup_column(st, (int)i, text[i]);
	}
	if (r < 0)
		goto out;
	if (store_port_state_from_string((const char *)sqlite3_column_text(st, 6), &p.state) < 0) {
		r = -EBADMSG;
		goto out;
	}
	p.created_at = sqlite3_column_int64(st, 13);
	p.updated_at = sqlite3_column_int64(st, 14);
	p.cooldown_until = sqlite3_column_int64(st, 15);
	p.synced = sqlite3_column_int(st, 16) != 0;
	p.attempts = sqlite3_column_int(st, 17);
	p.generation = sqlite3_column_int64(st, 18);
	*ret = p;
	p = (struct store_port){ 0 };
out:
	store_port_done(&p);
	return r;
}

/* Steps a write statement to its end; returns the rows it changed. */
static int run_write(struct store *s, sqlite3_stmt *st)
{
	int r = store_step__(s, st);

	if (r == 0)
		r = sqlite3_changes(s->db);
	else if (r > 0)
		r = -EIO;       /* a write statement answering rows: a bug in our SQL */
	store_stmt_done__(st);
	return r;
}

/* Steps a statement that answers at most one port row (a SELECT by key, or
 * an UPDATE ... RETURNING) to its end.  1 with *ret filled, 0 when no row. */
static int run_one_row(struct store *s, sqlite3_stmt *st, struct store_port *ret)
{
	struct store_port p = { 0 };
	int r = store_step__(s, st);

	if (r > 0) {
		r = store_row_read__(st, &p);
		/* RETURNING must run to completion before the commit. */
		if (r >= 0)
			r = store_step__(s, st);
		if (r > 0)
			r = -EIO;   /* two rows for one key */
		else if (r == 0)
			r = 1;
	}
	if (r > 0) {
		*ret = p;
		p = (struct store_port){ 0 };
	}
	store_stmt_done__(st);
	store_port_done(&p);
	return r;
}

/* The state of one port, inside a transaction; -ENOENT when unknown. */
static int get_state_locked(struct store *s, const char *port_id, enum store_port_state *ret)
{
	sqlite3_stmt *st = s->stmt[STMT_GET_STATE];
	int r;

	r = store_bind__(st, "t", port_id);
	if (r >= 0)
		r = store_step__(s, st);
	if (r == 0)
		r = -ENOENT;
	else if (r > 0 && store_port_state_from_string(
				  (const char *)sqlite3_column_text(st, 0), ret) < 0)
		r = -EBADMSG;
	store_stmt_done__(st);
	return r < 0 ? r : 0;
}

/* Reads the one row that st (bound by the caller; bound < 0 is its error)
 * answers; -ENOENT when none.  One SELECT is its own read transaction. */
static int read_port(struct store *s, sqlite3_stmt *st, int bound, struct store_port *ret)
{
	int r = bound;

	if (r < 0) {
		store_stmt_done__(st);
		return r;
	}
	r = run_one_row(s, st, ret);
	return r == 0 ? -ENOENT : r;
}

static int find_holder_locked(struct store *s, const char *container_id, const char *ifname,
			      struct store_port *ret)
{
	sqlite3_stmt *st = s->stmt[STMT_FIND_HOLDER];
	int r = read_port(s, st, store_bind__(st, "tt", container_id, ifname), ret);

	return r < 0 ? r : 0;
}

int store_get(struct store *s, const char *port_id, struct store_port *ret)
{
	struct store_port p = { 0 };
	sqlite3_stmt *st;
	int r;

	if (!s || empty(port_id) || !ret)
		return -EINVAL;
	pthread_mutex_lock(&s->lock);
	st = s->stmt[STMT_GET];
	r = read_port(s, st, store_bind__(st, "t", port_id), &p);
	pthread_mutex_unlock(&s->lock);
	if (r >= 0) {
		*ret = p;
		return 0;
	}
	store_port_done(&p);
	return r;
}

int store_find_holder(struct store *s, const char *container_id, const char *ifname,
		      struct store_port *ret)
{
	struct store_port p = { 0 };
	int r;

	if (!s || empty(container_id) || empty(ifname) || !ret)
		return -EINVAL;
	pthread_mutex_lock(&s->lock);
	r = find_holder_locked(s, container_id, ifname, &p);
	pthread_mutex_unlock(&s->lock);
	if (r >= 0) {
		*ret = p;
		return 0;
	}
	store_port_done(&p);
	return r;
}

int store_insert(struct store *s, const struct store_port *p)
{
	sqlite3_stmt *st;
	int r;

	if (!s || !p || empty(p->port_id) || empty(p->pool) || empty(p->network_id) ||
	    empty(p->mac) || (p->state != STORE_PORT_WIRING && p->state != STORE_PORT_READY))
		return -EINVAL;
	pthread_mutex_lock(&s->lock);
	st = s->stmt[STMT_INSERT];
	r = store_tx_begin__(s);
	if (r >= 0)
		r = store_bind__(st, "tttttttiI", p->port_id, p->pool, p->network_id,
				 p->subnet_id, p->mac, p->info, state_names[p->state],
				 p->synced ? 1 : 0, store_clock_ms());
	if (r >= 0)
		r = run_write(s, st);
	else
		store_stmt_done__(st);
	r = store_tx_end__(s, r);
	pthread_mutex_unlock(&s->lock);
	return r < 0 ? r : 0;
}

int store_set_state(struct store *s, const char *port_id, enum store_port_state from,
		    enum store_port_state to)
{
	enum store_port_state cur;
	sqlite3_stmt *st;
	int r;

	if (!s || empty(port_id) || !valid_state((int)from) || !valid_state((int)to) ||
	    !(allowed_moves[from] & 1u << to))
		return -EINVAL;
	pthread_mutex_lock(&s->lock);
	st = s->stmt[STMT_SET_STATE];
	r = store_tx_begin__(s);
	if (r < 0)
		goto out;
	r = get_state_locked(s, port_id, &cur);
	if (r >= 0 && cur != from)
		r = -ESTALE;
	if (r >= 0)
		r = store_bind__(st, "ttI", port_id, state_names[to], store_clock_ms());
	if (r >= 0)
		r = run_write(s, st);
	else
		store_stmt_done__(st);
	r = store_tx_end__(s, r);
out:
	pthread_mutex_unlock(&s->lock);
	return r < 0 ? r : 0;
}

/* Both claims: STMT_CLAIM keyed by pool, STMT_CLAIM_PORT by port id, with
 * the same parameters.  When nothing was claimed, tells "the holder already
 * holds a port" (-EEXIST, that row in *ret) from "nothing to claim". */
static int claim(struct store *s, enum store_stmt id, const char *key, const char *container_id,
		 const char *ifname, const char *netns, struct store_port *ret)
{
	struct store_port p = { 0 };
	enum store_port_state cur;
	sqlite3_stmt *st;
	int r, h;

	if (!s || empty(key) || empty(container_id) || empty(ifname))
		return -EINVAL;
	pthread_mutex_lock(&s->lock);
	st = s->stmt[id];
	r = store_tx_begin__(s);
	if (r < 0)
		goto out;
	r = store_bind__(st, "ttttI", key, container_id, ifname, netns, store_clock_ms());
	if (r >= 0)
		r = run_one_row(s, st, &p);
	else
		store_stmt_done__(st);
	/* 0: no port matched; -EEXIST: the holder's unique index refused it. */
	if (r == 0 || r == -EEXIST) {
		h = find_holder_locked(s, container_id, ifname, &p);
		if (h == 0)
			r = -EEXIST;
		else if (h != -ENOENT)
			r = h;
		else if (r == -EEXIST)
			r = -EIO;   /* the index and the lookup disagree: corruption */
		else if (id == STMT_CLAIM)
			r = -ENOENT;
		else {
			r = get_state_locked(s, key, &cur);
			if (r >= 0)
				r = -ESTALE;
		}
	}
	r = store_tx_end__(s, r);
	if (ret && (r >= 0 || r == -EEXIST)) {
		*ret = p;
		p = (struct store_port){ 0 };
	}
out:
	pthread_mutex_unlock(&s->lock);
	store_port_done(&p);
	return r < 0 ? r : 0;
}

int store_claim(struct store *s, const char *pool, const char *container_id,
		const char *ifname, const char *netns, struct store_port *ret)
{
	return claim(s, STMT_CLAIM, pool, container_id, ifname, netns, ret);
}

int store_claim_port(struct store *s, const char *port_id, const char *container_id,
		     const char *ifname, const char *netns, struct store_port *ret)
{
	return claim(s, STMT_CLAIM_PORT, port_id, container_id, ifname, netns, ret);
}

int store_release(struct store *s, const char *container_id, const char *ifname,
		  int64_t cooldown_until_ms, struct store_port *ret)
{
	struct store_port p = { 0 };
	sqlite3_stmt *st;
	int r;

	if (!s || empty(container_id) || empty(ifname))
		return -EINVAL;
	pthread_mutex_lock(&s->lock);
	st = s->stmt[STMT_RELEASE];
	r = store_tx_begin__(s);
	if (r < 0)
		goto out;
	r = store_bind__(st, "ttII", container_id, ifname, cooldown_until_ms, store_clock_ms());
	if (r >= 0)
		r = run_one_row(s, st, &p);
	else
		store_stmt_done__(st);
	if (r == 0)
		r = -ENOENT;
	r = store_tx_end__(s, r);
	if (ret && r >= 0) {
		*ret = p;
		p = (struct store_port){ 0 };
	}
out:
	pthread_mutex_unlock(&s->lock);
	store_port_done(&p);
	return r < 0 ? r : 0;
}

/* Runs a statement keyed by port id (?1) whose other parameters are bound
 * by the caller, in its own transaction.  -ENOENT when no row changed. */
static int write_port(struct store *s, sqlite3_stmt *st, int bound)
{
	int r = bound;

	if (r >= 0)
		r = store_tx_begin__(s);
	if (r >= 0) {
		r = run_write(s, st);
		if (r == 0)
			r = -ENOENT;
		return store_tx_end__(s, r);
	}
	store_stmt_done__(st);
	return r;
}

int store_expire_cooldowns(struct store *s, int64_t now_ms)
{
	sqlite3_stmt *st;
	int r;

	if (!s)
		return -EINVAL;
	pthread_mutex_lock(&s->lock);
	st = s->stmt[STMT_EXPIRE];
	r = store_bind__(st, "II", now_ms, store_clock_ms());
	if (r >= 0)
		r = store_tx_begin__(s);
	if (r >= 0)
		r = store_tx_end__(s, run_write(s, st));
	else
		store_stmt_done__(st);
	pthread_mutex_unlock(&s->lock);
	return r;
}

int store_mark_synced(struct store *s, const char *port_id, int64_t generation)
{
	enum store_port_state cur;
	sqlite3_stmt *st;
	int r;

	if (!s || empty(port_id))
		return -EINVAL;
	pthread_mutex_lock(&s->lock);
	st = s->stmt[STMT_MARK_SYNCED];
	r = store_tx_begin__(s);
	if (r < 0)
		goto out;
	r = store_bind__(st, "tI", port_id, generation);
	if (r >= 0)
		r = run_write(s, st);
	else
		store_stmt_done__(st);
	if (r == 0) {
		r = get_state_locked(s, port_id, &cur);
		if (r >= 0)
			r = -ESTALE;
	}
	r = store_tx_end__(s, r);
out:
	pthread_mutex_unlock(&s->lock);
	return r < 0 ? r : 0;
}

int store_mark_unsynced(struct store *s, const char *port_id)
{
	sqlite3_stmt *st;
	int r;

	if (!s || empty(port_id))
		return -EINVAL;
	pthread_mutex_lock(&s->lock);
	st = s->stmt[STMT_MARK_UNSYNCED];
	r = write_port(s, st, store_bind__(st, "t", port_id));
	pthread_mutex_unlock(&s->lock);
	return r < 0 ? r : 0;
}

int store_set_info(struct store *s, const char *port_id, const char *info)
{
	sqlite3_stmt *st;
	int r;

	if (!s || empty(port_id))
		return -EINVAL;
	pthread_mutex_lock(&s->lock);
	st = s->stmt[STMT_SET_INFO];
	r = write_port(s, st, store_bind__(st, "tt", port_id, info));
	pthread_mutex_unlock(&s->lock);
	return r < 0 ? r : 0;
}

int store_note_attempt(struct store *s, const char *port_id)
{
	sqlite3_stmt *st;
	int r;

	if (!s || empty(port_id))
		return -EINVAL;
	pthread_mutex_lock(&s->lock);
	st = s->stmt[STMT_NOTE_ATTEMPT];
	r = store_bind__(st, "t", port_id);
	if (r >= 0)
		r = store_tx_begin__(s);
	if (r < 0) {
		store_stmt_done__(st);
		goto out;
	}
	r = store_step__(s, st);
	if (r > 0)
		r = sqlite3_column_int(st, 0);
	else if (r == 0)
		r = -ENOENT;
	/* RETURNING: run to the end before committing. */
	if (r >= 0 && store_step__(s, st) != 0)
		r = -EIO;
	store_stmt_done__(st);
	r = store_tx_end__(s, r);
out:
	pthread_mutex_unlock(&s->lock);
	return r;
}

int store_delete(struct store *s, const char *port_id, enum store_port_state expected)
{
	enum store_port_state cur;
	sqlite3_stmt *st;
	int r;

	if (!s || empty(port_id) || !valid_state((int)expected))
		return -EINVAL;
	pthread_mutex_lock(&s->lock);
	st = s->stmt[STMT_DELETE];
	r = store_tx_begin__(s);
	if (r < 0)
		goto out;
	r = get_state_locked(s, port_id, &cur);
	if (r >= 0 && cur != expected)
		r = -ESTALE;
	if (r >= 0)
		r = store_bind__(st, "t", port_id);
	if (r >= 0)
		r = run_write(s, st);
	else
		store_stmt_done__(st);
	r = store_tx_end__(s, r);
out:
	pthread_mutex_unlock(&s->lock);
	return r < 0 ? r : 0;
}

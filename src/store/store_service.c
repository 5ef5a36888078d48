/* The services table: this host's instances of services. */
#include "store/store_service.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_internal.h"

static const char *const role_names[STORE_SERVICE_ROLE_COUNT] = {
	[STORE_SERVICE_JOINING] = "joining",
	[STORE_SERVICE_STANDBY] = "standby",
	[STORE_SERVICE_TAKING] = "taking",
	[STORE_SERVICE_ACTIVE] = "active",
	[STORE_SERVICE_DRAINING] = "draining",
	[STORE_SERVICE_LEAVING] = "leaving",
	[STORE_SERVICE_RETURNING] = "returning",
};

const char *store_service_role_to_string(enum store_service_role role)
{
	return (unsigned)role < STORE_SERVICE_ROLE_COUNT ? role_names[role] : NULL;
}

int store_service_role_from_string(const char *s, enum store_service_role *ret)
{
	for (unsigned i = 0; i < STORE_SERVICE_ROLE_COUNT; i++) {
		if (streq(s, role_names[i])) {
			*ret = (enum store_service_role)i;
			return 0;
		}
	}
	return -EINVAL;
}

void store_service_row_done(struct store_service_row *row)
{
	if (!row)
		return;
	free(row->service);
	free(row->port_id);
	free(row->addr);
	memset(row, 0, sizeof(*row));
}

void store_service_rows_free(struct store_service_row *rows, size_t n)
{
	for (size_t i = 0; rows && i < n; i++)
		store_service_row_done(&rows[i]);
	free(rows);
}

static bool bad(const char *s)
{
	return !s || !s[0];
}

static int read_row(sqlite3_stmt *st, struct store_service_row *ret)
{
	struct store_service_row row = { 0 };
	const char *svc = (const char *)sqlite3_column_text(st, 0);
	const char *port = (const char *)sqlite3_column_text(st, 1);

	if (!svc || !port ||
	    store_service_role_from_string((const char *)sqlite3_column_text(st, 2), &row.role) < 0)
		return -EBADMSG;
	row.service = strdup(svc);
	row.port_id = strdup(port);
	if (!row.service || !row.port_id) {
		store_service_row_done(&row);
		return -ENOMEM;
	}
	row.epoch = sqlite3_column_int64(st, 3);
	row.until = sqlite3_column_int64(st, 4);
	row.updated_at = sqlite3_column_int64(st, 5);
	if (sqlite3_column_text(st, 6) && !(row.addr = strdup((const char *)sqlite3_column_text(st, 6)))) {
		store_service_row_done(&row);
		return -ENOMEM;
	}
	*ret = row;
	return 0;
}

int store_service_put(struct store *s, const char *service, const char *port_id,
		      const char *addr, enum store_service_role role, int64_t epoch, int64_t until)
{
	const char *name = store_service_role_to_string(role);
	sqlite3_stmt *st;
	int r;

	if (!s || bad(service) || bad(port_id) || !name)
		return -EINVAL;
	pthread_mutex_lock(&s->lock);
	st = s->stmt[STMT_SVC_PUT];
	r = store_tx_begin__(s);
	if (r >= 0) {
		r = store_bind__(st, "tttIIIt", service, port_id, name, epoch, until,
				 store_clock_ms(), addr);
		if (r >= 0)
			r = store_step__(s, st);
		store_stmt_done__(st);
		r = store_tx_end__(s, r);
	}
	pthread_mutex_unlock(&s->lock);
	return r < 0 ? r : 0;
}

int store_service_get(struct store *s, const char *service, const char *port_id,
		      struct store_service_row *ret)
{
	sqlite3_stmt *st;
	int r;

	if (!s || bad(service) || bad(port_id) || !ret)
		return -EINVAL;
	pthread_mutex_lock(&s->lock);
	st = s->stmt[STMT_SVC_GET];
	r = store_bind__(st, "tt", service, port_id);
	if (r >= 0)
		r = store_step__(s, st);
	if (r == 0)
		r = -ENOENT;
	else if (r > 0)
		r = read_row(st, ret);
	store_stmt_done__(st);
	pthread_mutex_unlock(&s->lock);
	return r;
}

int store_service_list(struct store *s, const char *port_id, struct store_service_row **ret,
		       size_t *ret_n)
{
	struct store_service_row *rows = NULL, *grown;
	size_t n = 0, cap = 0;
	sqlite3_stmt *st;
	int r;

	if (!s || !ret || !ret_n)
		return -EINVAL;
	pthread_mutex_lock(&s->lock);
	st = s->stmt[STMT_SVC_LIST];
	r = store_bind__(st, "t", port_id);
	while (r >= 0 && (r = store_step__(s, st)) > 0) {
		if (n == cap) {
			cap = cap ? cap * 2 : 8;
			grown = realloc(rows, cap * sizeof(*rows));
			if (!grown) {
				r = -ENOMEM;
				break;
			}
			rows = grown;
		}
		r = read_row(st, &rows[n]);
		if (r >= 0)
			n++;
	}
	store_stmt_done__(st);
	pthread_mutex_unlock(&s->lock);
	if (r < 0) {
		store_service_rows_free(rows, n);
		return r;
	}
	*ret = rows;
	*ret_n = n;
	return 0;
}

int store_service_delete(struct store *s, const char *service, const char *port_id)
{
	sqlite3_stmt *st;
	int r;

	if (!s || bad(service) || bad(port_id))
		return -EINVAL;
	pthread_mutex_lock(&s->lock);
	st = s->stmt[STMT_SVC_DELETE];
	r = store_tx_begin__(s);
	if (r >= 0) {
		r = store_bind__(st, "tt", service, port_id);
		if (r >= 0)
			r = store_step__(s, st);
		store_stmt_done__(st);
		r = store_tx_end__(s, r);
	}
	pthread_mutex_unlock(&s->lock);
	return r < 0 ? r : 0;
}

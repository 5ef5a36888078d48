/* The store's test fixture (scratch.h). */
#include "scratch.h"

#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

int scratch_setup(void **state)
{
	struct scratch *t = calloc(1, sizeof(*t));

	assert_non_null(t);
	snprintf(t->dir, sizeof(t->dir), "/tmp/sf-test-store-XXXXXX");
	assert_non_null(mkdtemp(t->dir));
	snprintf(t->path, sizeof(t->path), "%s/state.db", t->dir);
	*state = t;
	return 0;
}

int scratch_teardown(void **state)
{
	struct scratch *t = *state;
	struct dirent *e;
	char p[512];
	DIR *d = opendir(t->dir);

	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", t->dir, e->d_name);
		unlink(p);
	}
	if (d)
		closedir(d);
	rmdir(t->dir);
	free(t);
	return 0;
}

int scratch_add_port(struct store *s, const char *id, const char *pool,
			   enum store_port_state state)
{
	struct store_port p = {
		.port_id = strdup(id),
		.pool = strdup(pool),
		.network_id = strdup("net-1"),
		.subnet_id = strdup("subnet-1"),
		.mac = strdup("fa:16:3e:00:00:01"),
		.info = strdup("{\"ips\":[\"10.0.0.5/24\"],\"mtu\":1450}"),
		.state = state,
		.synced = true,
	};
	int r = store_insert(s, &p);

	store_port_done(&p);
	return r;
}

long long scratch_sql_int(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	long long v;

	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

void scratch_sql_exec(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	char *msg = NULL;

	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", sql, msg);
	sqlite3_close(db);
}

void scratch_check_invariants(const char *path)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;

	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "ok");
	sqlite3_finalize(st);
	sqlite3_close(db);

	assert_int_equal(scratch_sql_int(path, "SELECT count(*) FROM ports WHERE state NOT IN"
				 " ('wiring','ready','in_use','cooldown','deleting')"), 0);
	assert_int_equal(scratch_sql_int(path, "SELECT count(*) FROM ports WHERE"
				 " (state = 'in_use') <> (container_id IS NOT NULL AND ifname IS NOT NULL)"),
			 0);
	assert_int_equal(scratch_sql_int(path, "SELECT count(*) FROM (SELECT 1 FROM ports"
				 " WHERE state = 'in_use' GROUP BY container_id, ifname"
				 " HAVING count(*) > 1)"), 0);
}

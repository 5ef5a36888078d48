/* The store's services table (store/store_service.h): the local journal of
 * this host's service instances. */
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

#include "scratch.h"

#include "store/store_service.h"

static void test_put_get_list_delete(void **state)
{
	struct scratch *t = *state;
	struct store *s = NULL;
	struct store_service_row row = { 0 }, *rows = NULL;
	size_t n = 0;

	assert_int_equal(store_open(t->path, &s), 0);
	assert_int_equal(store_service_get(s, "video", "p1", &row), -ENOENT);
	assert_int_equal(store_service_put(s, "video", "p1", NULL, STORE_SERVICE_JOINING, 0, 0), 0);
	assert_int_equal(store_service_put(s, "video", "p2", "198.19.1.5", STORE_SERVICE_ACTIVE, 3, 0),
			 0);
	assert_int_equal(store_service_put(s, "tof", "p1", NULL, STORE_SERVICE_STANDBY, 1, 0), 0);
	/* A put replaces the row. */
	assert_int_equal(store_service_put(s, "video", "p1", NULL, STORE_SERVICE_DRAINING, 4, 12345), 0);
	assert_int_equal(store_service_get(s, "video", "p1", &row), 0);
	assert_int_equal(row.role, STORE_SERVICE_DRAINING);
	assert_int_equal(row.epoch, 4);
	assert_int_equal(row.until, 12345);
	assert_true(row.updated_at > 0);
	store_service_row_done(&row);

	assert_int_equal(store_service_list(s, "p1", &rows, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(rows[0].service, "tof");
	assert_string_equal(rows[1].service, "video");
	store_service_rows_free(rows, n);
	assert_int_equal(store_service_list(s, NULL, &rows, &n), 0);
	assert_int_equal(n, 3);
	store_service_rows_free(rows, n);

	assert_int_equal(store_service_delete(s, "video", "p1"), 0);
	assert_int_equal(store_service_delete(s, "video", "p1"), 0);   /* idempotent */
	assert_int_equal(store_service_list(s, "p1", &rows, &n), 0);
	assert_int_equal(n, 1);
	store_service_rows_free(rows, n);
	store_free(s);

	/* Durable: a restarted daemon finds its journal. */
	assert_int_equal(store_open(t->path, &s), 0);
	assert_int_equal(store_service_get(s, "video", "p2", &row), 0);
	assert_int_equal(row.role, STORE_SERVICE_ACTIVE);
	assert_string_equal(row.addr, "198.19.1.5");
	store_service_row_done(&row);
	/* A put without an address keeps the recorded one. */
	assert_int_equal(store_service_put(s, "video", "p2", NULL, STORE_SERVICE_DRAINING, 3, 9), 0);
	assert_int_equal(store_service_get(s, "video", "p2", &row), 0);
	assert_string_equal(row.addr, "198.19.1.5");
	store_service_row_done(&row);
	store_free(s);
}

static void test_bad_input(void **state)
{
	struct scratch *t = *state;
	struct store *s = NULL;
	enum store_service_role role;

	assert_int_equal(store_open(t->path, &s), 0);
	assert_int_equal(store_service_put(s, "", "p1", NULL, STORE_SERVICE_STANDBY, 0, 0), -EINVAL);
	assert_int_equal(store_service_put(s, "v", NULL, NULL, STORE_SERVICE_STANDBY, 0, 0), -EINVAL);
	assert_int_equal(store_service_put(s, "v", "p", NULL, STORE_SERVICE_ROLE_COUNT, 0, 0), -EINVAL);
	assert_int_equal(store_service_role_from_string("bogus", &role), -EINVAL);
	assert_int_equal(store_service_role_from_string("taking", &role), 0);
	assert_int_equal(role, STORE_SERVICE_TAKING);
	assert_null(store_service_role_to_string(STORE_SERVICE_ROLE_COUNT));
	store_free(s);
}

/* A version-1 file (before services existed) migrates and keeps its ports. */
static void test_migrates_v1(void **state)
{
	struct scratch *t = *state;
	struct store *s = NULL;
	struct store_port p = { 0 };
	struct store_service_row *rows = NULL;
	size_t n = 1;

	assert_int_equal(store_open(t->path, &s), 0);
	assert_int_equal(scratch_add_port(s, "p1", "pool-a", STORE_PORT_READY), 0);
	store_free(s);
	scratch_sql_exec(t->path, "DROP TABLE services; PRAGMA user_version = 1");
	assert_int_equal(store_open(t->path, &s), 0);
	assert_int_equal(scratch_sql_int(t->path, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
	assert_int_equal(store_get(s, "p1", &p), 0);
	store_port_done(&p);
	assert_int_equal(store_service_list(s, NULL, &rows, &n), 0);
	assert_int_equal(n, 0);
	store_free(s);
}

/* A version-2 file (no 'returning' role yet) keeps its rows and takes the
 * new role.  The v2 table as that release made it: */
static const char services_v2[] =
	"DROP TABLE services;"
	"CREATE TABLE services (service TEXT NOT NULL CHECK (length(service) > 0),"
	" port_id TEXT NOT NULL CHECK (length(port_id) > 0), addr TEXT,"
	" role TEXT NOT NULL CHECK (role IN"
	"  ('joining', 'standby', 'taking', 'active', 'draining', 'leaving')),"
	" epoch INTEGER NOT NULL DEFAULT 0, until INTEGER NOT NULL DEFAULT 0,"
	" updated_at INTEGER NOT NULL, PRIMARY KEY (service, port_id)) STRICT;"
	"CREATE INDEX services_port ON services (port_id);"
	"INSERT INTO services VALUES ('v', 'p1', '198.19.1.5', 'active', 7, 0, 1);"
	"PRAGMA user_version = 2";

static void test_migrates_v2(void **state)
{
	struct scratch *t = *state;
	struct store *s = NULL;
	struct store_service_row row = { 0 };

	assert_int_equal(store_open(t->path, &s), 0);
	assert_int_equal(scratch_add_port(s, "p1", "pool-a", STORE_PORT_READY), 0);
	store_free(s);
	scratch_sql_exec(t->path, services_v2);
	assert_int_equal(store_open(t->path, &s), 0);
	assert_int_equal(scratch_sql_int(t->path, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
	assert_int_equal(store_service_get(s, "v", "p1", &row), 0);
	assert_int_equal(row.role, STORE_SERVICE_ACTIVE);
	assert_int_equal(row.epoch, 7);
	assert_string_equal(row.addr, "198.19.1.5");
	store_service_row_done(&row);
	assert_int_equal(store_service_put(s, "v", "p1", NULL, STORE_SERVICE_RETURNING, 7, 0), 0);
	assert_int_equal(store_service_get(s, "v", "p1", &row), 0);
	assert_int_equal(row.role, STORE_SERVICE_RETURNING);
	store_service_row_done(&row);
	store_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_put_get_list_delete, scratch_setup,
						scratch_teardown),
		cmocka_unit_test_setup_teardown(test_bad_input, scratch_setup, scratch_teardown),
		cmocka_unit_test_setup_teardown(test_migrates_v1, scratch_setup, scratch_teardown),
		cmocka_unit_test_setup_teardown(test_migrates_v2, scratch_setup, scratch_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

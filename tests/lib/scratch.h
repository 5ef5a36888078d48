/* The store's test fixture (test_store*.c, the daemon's tests): a scratch
 * directory per test, port rows, and direct SQL on the file (a second,
 * independent connection, the way an operator's sqlite3 would see it).
 * Failures fail the cmocka test. */
#ifndef SF_TESTS_LIB_SCRATCH_H
#define SF_TESTS_LIB_SCRATCH_H

#include "store/store.h"

struct scratch {
	char dir[64];
	char path[128];   /* dir/state.db, not created */
};

/* cmocka setup and teardown: *state is a struct scratch; teardown removes
 * the directory and every file in it. */
int scratch_setup(void **state);
int scratch_teardown(void **state);

/* Records a port with made-up Neutron data. */
int scratch_add_port(struct store *s, const char *id, const char *pool,
		     enum store_port_state state);

/* The integer answered by sql on a fresh connection to path. */
long long scratch_sql_int(const char *path, const char *sql);
void scratch_sql_exec(const char *path, const char *sql);

/* The invariants a user relies on, checked on the file itself: SQLite's
 * integrity check passes, every row has a known state, a holder exactly
 * when IN_USE, and no (container, ifname) holds two ports. */
void scratch_check_invariants(const char *path);

#endif

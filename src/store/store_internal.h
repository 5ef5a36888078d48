/* Shared by the store's files only: the connection, the cached statements
 * and the helpers that turn SQLite's results into -errno. */
#ifndef SF_STORE_INTERNAL_H
#define SF_STORE_INTERNAL_H

#include <pthread.h>
#include <sqlite3.h>

#include "store/store.h"

/* Every statement the store runs after opening, prepared once by
 * store_open (the hot path never parses SQL).  Their text is in
 * store_sql.c, in this order. */
enum store_stmt {
	STMT_BEGIN,
	STMT_COMMIT,
	STMT_ROLLBACK,
	STMT_INSERT,
	STMT_GET,
	STMT_GET_STATE,
	STMT_SET_STATE,
	STMT_CLAIM,
	STMT_CLAIM_PORT,
	STMT_FIND_HOLDER,
	STMT_FIND_CONTAINER,
	STMT_RELEASE,
	STMT_EXPIRE,
	STMT_MARK_SYNCED,
	STMT_MARK_UNSYNCED,
	STMT_LIST_UNSYNCED,
	STMT_NOTE_ATTEMPT,
	STMT_SET_INFO,
	STMT_LIST,
	STMT_DELETE,
	STMT_COUNT,
	STMT_INTEGRITY,
	STMT_SVC_PUT,
	STMT_SVC_GET,
	STMT_SVC_LIST,
	STMT_SVC_DELETE,
	STMT__COUNT,
};

struct store {
	sqlite3 *db;
	/* Serialises every use of db and of the statements: one transaction
	 * at a time from this process.  Other processes are kept out by
	 * SQLite's own file locks (BEGIN IMMEDIATE + busy_timeout). */
	pthread_mutex_t lock;
	sqlite3_stmt *stmt[STMT__COUNT];
	/* Writes that failed on the file (a full disk, an I/O error), and
	 * whether the last transaction did: store_health.  Under lock. */
	struct store_health health;
};

/* "PRAGMA application_id" of a superfluid store: 'SFST'. */
#define STORE_APPLICATION_ID 0x53465354

extern const char *const store_sql__[STMT__COUNT];
/* store_migrations__[i] takes the schema from version i to i + 1. */
extern const char *const store_migrations__[STORE_SCHEMA_VERSION];

/* Maps an SQLite result code to -errno (0 for OK, ROW and DONE). */
int store_errno__(sqlite3 *db, int rc);

/* Binds ?1, ?2, ... from types: 't' const char * (NULL binds NULL), 'I'
 * int64_t, 'i' int.  Strings are borrowed until the statement is reset. */
int store_bind__(sqlite3_stmt *st, const char *types, ...);
/* One step: 1 for a row, 0 when done, -errno on failure. */
int store_step__(struct store *s, sqlite3_stmt *st);
/* Resets a statement and drops its bindings, so that no borrowed string
 * outlives the call. */
void store_stmt_done__(sqlite3_stmt *st);

/* BEGIN IMMEDIATE: the write lock up front, so a transaction never fails
 * half-way with SQLITE_BUSY because another process wrote meanwhile. */
int store_tx_begin__(struct store *s);
/* Commits when r >= 0 (returning r, or the commit's error), else rolls back
 * and returns r. */
int store_tx_end__(struct store *s, int r);

/* Fills *ret from the current row, columns in the order of
 * STORE_PORT_COLUMNS (store_sql.c).  *ret is written only on success. */
int store_row_read__(sqlite3_stmt *st, struct store_port *ret);

#endif

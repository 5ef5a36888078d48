/* Opening the store: the file, the pragmas, the schema's migrations and the
 * statement cache; and the helpers every operation uses. */
#include "store/store_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"

int store_errno__(sqlite3 *db, int rc)
{
	int sys = db ? sqlite3_system_errno(db) : 0;

	if (rc == SQLITE_IOERR_NOMEM)
		return -ENOMEM;
	/* A write the disk refused may come back as an I/O error. */
	if ((rc & 0xff) == SQLITE_IOERR && sys == ENOSPC)
		return -ENOSPC;
	if (rc == SQLITE_CONSTRAINT_PRIMARYKEY || rc == SQLITE_CONSTRAINT_UNIQUE)
		return -EEXIST;
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_ROW:
	case SQLITE_DONE:
		return 0;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_READONLY:
		return -EROFS;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		return -EBADMSG;
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_CANTOPEN:
		return sys > 0 ? -sys : -EIO;
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return -EACCES;
	case SQLITE_CONSTRAINT:
	case SQLITE_MISUSE:
	case SQLITE_RANGE:
		return -EINVAL;
	case SQLITE_TOOBIG:
		return -E2BIG;
	default:
		return -EIO;
	}
}

int store_bind__(sqlite3_stmt *st, const char *types, ...)
{
	va_list ap;
	int rc = SQLITE_OK;

	va_start(ap, types);
	for (int i = 0; types[i] && rc == SQLITE_OK; i++) {
		switch (types[i]) {
		case 't':
			rc = sqlite3_bind_text(st, i + 1, va_arg(ap, const char *), -1, SQLITE_STATIC);
			break;
		case 'I':
			rc = sqlite3_bind_int64(st, i + 1, va_arg(ap, int64_t));
			break;
		case 'i':
			rc = sqlite3_bind_int(st, i + 1, va_arg(ap, int));
			break;
		default:
			rc = SQLITE_MISUSE;
		}
	}
	va_end(ap);
	return store_errno__(sqlite3_db_handle(st), rc);
}

/* A statement failed with r: the file's fault or not?  Lock held. */
static void note_failure(struct store *s, int r)
{
	if (r != -ENOSPC && r != -EIO && r != -EROFS)
		return;
	s->health.failing = true;
	s->health.last_error = r;
	if (r == -ENOSPC)
		s->health.no_space++;
	else
		s->health.io++;
}

int store_step__(struct store *s, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);
	int r;

	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	log_debug("store: '%.60s': %s", sqlite3_sql(st), sqlite3_errmsg(s->db));
	r = store_errno__(s->db, rc);
	note_failure(s, r);
	return r;
}

void store_stmt_done__(sqlite3_stmt *st)
{
	/* reset() repeats the last step's error, which was already reported. */
	(void)sqlite3_reset(st);
	(void)sqlite3_clear_bindings(st);
}

int store_tx_begin__(struct store *s)
{
	sqlite3_stmt *st = s->stmt[STMT_BEGIN];
	int r;

	/* Only if a ROLLBACK failed earlier: without this every later BEGIN
	 * would fail with "transaction within a transaction". */
	if (!sqlite3_get_autocommit(s->db))
		(void)store_tx_end__(s, -EIO);
	r = store_step__(s, st);
	store_stmt_done__(st);
	return r;
}

int store_tx_end__(struct store *s, int r)
{
	sqlite3_stmt *st;

	if (r >= 0) {
		int c;

		st = s->stmt[STMT_COMMIT];
		c = store_step__(s, st);
		store_stmt_done__(st);
		if (c >= 0) {
			s->health.failing = false;
			return r;
		}
		r = c;
	}
	/* A failed COMMIT may leave the transaction open (SQLITE_BUSY), and
	 * some errors roll it back by themselves. */
	if (!sqlite3_get_autocommit(s->db)) {
		st = s->stmt[STMT_ROLLBACK];
		(void)store_step__(s, st);
		store_stmt_done__(st);
	}
	return r;
}

static int64_t clock_read_ms(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The wall clock read once, at the first call of the process, then carried
 * forward by CLOCK_MONOTONIC: a step of the wall clock later (NTP, an
 * operator, a VM resumed) moves no cool-down and no age.  The values stay
 * unix ms so that the file means something to the next process. */
static pthread_once_t clock_once = PTHREAD_ONCE_INIT;
static int64_t clock_wall0_ms, clock_mono0_ms;

static void clock_anchor(void)
{
	clock_wall0_ms = clock_read_ms(CLOCK_REALTIME);
	clock_mono0_ms = clock_read_ms(CLOCK_MONOTONIC);
}

int64_t store_clock_ms(void)
{
	pthread_once(&clock_once, clock_anchor);
	return clock_wall0_ms + clock_read_ms(CLOCK_MONOTONIC) - clock_mono0_ms;
}

/* Rows written by an earlier process whose clock ran ahead of ours (the
 * wall clock set back between the two): their updated_at becomes now, so
 * that no age is negative for the length of the step.  A cool-down set
 * then is the recycler's to cut (it knows cooldown_ms). */
static int clamp_future(sqlite3 *db)
{
	char sql[160];
	char *msg = NULL;
	int64_t now = store_clock_ms();
	int rc;

	snprintf(sql, sizeof(sql), "UPDATE ports SET updated_at = %lld WHERE updated_at > %lld",
		 (long long)now, (long long)now);
	rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
	if (rc != SQLITE_OK) {
		/* Not fatal: a full disk must not stop the start. */
		log_warn("store: bringing the rows' times back to now: %s", msg ? msg : "?");
		sqlite3_free(msg);
		return 0;
	}
	if (sqlite3_changes(db) > 0)
		log_info("store: %d row(s) changed in the future (the clock was set back); now",
			 sqlite3_changes(db));
	return 0;
}

/* Creates the file 0600 ourselves: SQLite would use 0644 less the umask,
 * and gives its -wal and -shm files the mode of the database file. */
static int create_file(const char *path)
{
	struct stat st;
	int fd, r = 0;

	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		r = -errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		r = -EBADMSG;
		goto out;
	}
	/* The file names every container on the host: nobody else's business. */
	if ((st.st_mode & 0077) && fchmod(fd, 0600) < 0)
		r = -errno;
out:
	close(fd);
	return r;
}

static int exec_sql(sqlite3 *db, const char *sql)
{
	char *msg = NULL;
	int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);

	if (rc != SQLITE_OK)
		log_debug("store: '%.60s': %s", sql, msg ? msg : sqlite3_errstr(rc));
	sqlite3_free(msg);
	return store_errno__(db, rc);
}

/* Runs a statement that answers one row of one column; *ret_text (may be
 * NULL) gets a copy of it as text, *ret_int (may be NULL) as an integer. */
static int query_one(sqlite3 *db, const char *sql, int64_t *ret_int, char **ret_text)
{
	sqlite3_stmt *st = NULL;
	int rc, r;

	rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		log_debug("store: '%s': %s", sql, sqlite3_errmsg(db));
		r = rc == SQLITE_DONE ? -EBADMSG : store_errno__(db, rc);
		goto out;
	}
	if (ret_text) {
		const unsigned char *t = sqlite3_column_text(st, 0);

		*ret_text = xstrdup(t ? (const char *)t : "");
	}
	if (ret_int)
		*ret_int = sqlite3_column_int64(st, 0);
	r = 0;
out:
	sqlite3_finalize(st);
	return r;
}

/* Refuses a file that is not ours: a foreign SQLite database, or one from
 * a newer superfluid.  Returns its schema version. */
static int check_identity(sqlite3 *db, int64_t *ret_version)
{
	int64_t app_id, version, objects;
	int r;

	/* The first read: a garbage file fails here with SQLITE_NOTADB. */
	r = query_one(db, "PRAGMA application_id", &app_id, NULL);
	if (r < 0)
		return r;
	r = query_one(db, "PRAGMA user_version", &version, NULL);
	if (r < 0)
		return r;
	r = query_one(db, "SELECT count(*) FROM sqlite_schema", &objects, NULL);
	if (r < 0)
		return r;
	if (app_id == 0 && version == 0 && objects == 0) {
		*ret_version = 0;       /* a new, empty file */
		return 0;
	}
	if (app_id != STORE_APPLICATION_ID) {
		log_debug("store: not a superfluid store (application_id %#llx)",
			  (unsigned long long)app_id);
		return -EBADMSG;
	}
	if (version > STORE_SCHEMA_VERSION || version < 0) {
		log_debug("store: schema version %lld is newer than this program's %d",
			  (long long)version, STORE_SCHEMA_VERSION);
		return -EPROTONOSUPPORT;
	}
	*ret_version = version;
	return 0;
}

static int set_pragmas(sqlite3 *db, const struct store_options *opts)
{
	char *mode = NULL;
	int r;

	r = query_one(db, "PRAGMA journal_mode = WAL", NULL, &mode);
	if (r < 0)
		goto out;
	if (strcmp(mode, "wal") != 0) {
		log_debug("store: journal_mode is '%s', not 'wal'", mode);
		r = -ENOTSUP;
		goto out;
	}
	r = exec_sql(db, opts->sync_full ? "PRAGMA synchronous = FULL"
					 : "PRAGMA synchronous = NORMAL");
	if (r < 0)
		goto out;
	r = exec_sql(db, "PRAGMA foreign_keys = ON");
out:
	free(mode);
	return r;
}

static int quick_check(sqlite3 *db)
{
	char *res = NULL;
	int r = query_one(db, "PRAGMA quick_check", NULL, &res);

	if (r >= 0 && strcmp(res, "ok") != 0) {
		log_debug("store: quick_check: %s", res);
		r = -EBADMSG;
	}
	free(res);
	return r;
}

/* All pending migrations in one transaction: either the file is at the new
 * version or it is untouched. */
static int migrate(sqlite3 *db, int64_t version)
{
	char sql[96];
	int r;

	if (version == STORE_SCHEMA_VERSION)
		return 0;
	r = exec_sql(db, "BEGIN IMMEDIATE");
	if (r < 0)
		return r;
	/* Another process may have migrated while we were not holding the lock. */
	r = query_one(db, "PRAGMA user_version", &version, NULL);
	for (; r >= 0 && version < STORE_SCHEMA_VERSION; version++)
		r = exec_sql(db, store_migrations__[version]);
	if (r >= 0) {
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d; PRAGMA application_id = %d",
			 STORE_SCHEMA_VERSION, STORE_APPLICATION_ID);
		r = exec_sql(db, sql);
	}
	if (r >= 0)
		r = exec_sql(db, "COMMIT");
	if (r < 0 && !sqlite3_get_autocommit(db))
		(void)exec_sql(db, "ROLLBACK");
	return r;
}

int store_open_with(const char *path, const struct store_options *opts, struct store **ret)
{
	static const struct store_options defaults = { 0 };
	struct store *s = NULL;
	int64_t version;
	int rc, r;

	if (!path || !*path || !ret)
		return -EINVAL;
	if (!opts)
		opts = &defaults;
	/* We lock around every use of the connection ourselves, but SQLite
	 * built without mutexes could not even share its global state. */
	if (!sqlite3_threadsafe())
		return -ENOTSUP;
	r = create_file(path);
	if (r < 0)
		return r;

	s = xcalloc(1, sizeof(*s));
	pthread_mutex_init(&s->lock, NULL);
	/* SQLite opens every file with O_CLOEXEC on Linux (os_unix.c,
	 * robust_open); the tests check that no fd of ours leaks. */
	rc = sqlite3_open_v2(path, &s->db,
			     SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX |
			     SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_EXRESCODE, NULL);
	if (rc != SQLITE_OK) {
		r = store_errno__(s->db, rc);
		log_debug("store: opening '%s': %s", path, sqlite3_errstr(rc));
		goto out;
	}
	sqlite3_extended_result_codes(s->db, 1);
	sqlite3_busy_timeout(s->db, opts->busy_timeout_ms > 0 ? opts->busy_timeout_ms : 5000);

	r = check_identity(s->db, &version);
	if (r < 0)
		goto out;
	r = set_pragmas(s->db, opts);
	if (r < 0)
		goto out;
	if (version > 0) {
		r = quick_check(s->db);
		if (r < 0)
			goto out;
	}
	r = migrate(s->db, version);
	if (r < 0)
		goto out;
	r = clamp_future(s->db);
	if (r < 0)
		goto out;

	for (int i = 0; i < STMT__COUNT; i++) {
		rc = sqlite3_prepare_v3(s->db, store_sql__[i], -1, SQLITE_PREPARE_PERSISTENT,
					&s->stmt[i], NULL);
		if (rc != SQLITE_OK) {
			log_debug("store: preparing '%.60s': %s", store_sql__[i],
				  sqlite3_errmsg(s->db));
			r = store_errno__(s->db, rc);
			goto out;
		}
	}
	*ret = s;
	s = NULL;
	r = 0;
out:
	store_free(s);
	return r;
}

int store_open(const char *path, struct store **ret)
{
	return store_open_with(path, NULL, ret);
}

void store_free(struct store *s)
{
	if (!s)
		return;
	for (int i = 0; i < STMT__COUNT; i++)
		sqlite3_finalize(s->stmt[i]);
	/* The last connection to close checkpoints the WAL and removes it. */
	sqlite3_close_v2(s->db);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

void store_health(struct store *s, struct store_health *ret)
{
	pthread_mutex_lock(&s->lock);
	*ret = s->health;
	pthread_mutex_unlock(&s->lock);
}

int store_probe_write(struct store *s)
{
	char sql[48];
	int r;

	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", STORE_SCHEMA_VERSION);
	pthread_mutex_lock(&s->lock);
	r = store_tx_begin__(s);
	if (r >= 0) {
		r = store_errno__(s->db, sqlite3_exec(s->db, sql, NULL, NULL, NULL));
		note_failure(s, r);
		r = store_tx_end__(s, r);
	}
	pthread_mutex_unlock(&s->lock);
	return r;
}

int store_check_integrity(struct store *s)
{
	sqlite3_stmt *st;
	int r, n = 0;

	if (!s)
		return -EINVAL;
	pthread_mutex_lock(&s->lock);
	st = s->stmt[STMT_INTEGRITY];
	/* One row "ok", or one row per problem. */
	while ((r = store_step__(s, st)) > 0) {
		const char *t = (const char *)sqlite3_column_text(st, 0);

		if (!t || strcmp(t, "ok") != 0) {
			if (n++ == 0)
				log_debug("store: integrity_check: %s", t ? t : "?");
		}
	}
	store_stmt_done__(st);
	pthread_mutex_unlock(&s->lock);
	if (r < 0)
		return r;
	return n ? -EBADMSG : 0;
}

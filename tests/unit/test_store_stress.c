/* The two promises of the store under pressure:
 *  - concurrent claims never give one port to two holders (threads of one
 *    daemon sharing a struct store, more holders than ports);
 *  - a daemon killed with SIGKILL at any moment leaves a consistent file,
 *    with every operation that returned success still there. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "scratch.h"

#define N_THREADS 4
#define N_PORTS 3       /* fewer than threads: the pool runs dry */
#define CYCLES 2500     /* per thread: 10000 claim + release cycles in all */

struct stress {
	struct store *s;
	const char *path;
	atomic_int owner[N_PORTS];   /* the thread holding each port, -1 for none */
	atomic_int doubles;          /* a claim returned a port some thread held */
	atomic_int errors;
	atomic_int claims, misses, dup_checks;
	atomic_bool done;
	char error_msg[256];
	pthread_mutex_t msg_lock;
};

struct worker {
	struct stress *x;
	int id;
};

static void note_error(struct stress *x, const char *what, int r)
{
	pthread_mutex_lock(&x->msg_lock);
	if (atomic_fetch_add(&x->errors, 1) == 0)
		snprintf(x->error_msg, sizeof(x->error_msg), "%s: %d", what, r);
	pthread_mutex_unlock(&x->msg_lock);
}

static int port_index(const char *port_id)
{
	int i = -1;

	if (!port_id || sscanf(port_id, "port-%d", &i) != 1 || i < 0 || i >= N_PORTS)
		return -1;
	return i;
}

static void *worker_run(void *arg)
{
	struct worker *w = arg;
	struct stress *x = w->x;

	for (int i = 0; i < CYCLES; i++) {
		struct store_port p = { 0 }, q = { 0 };
		char cid[32];
		int r, idx, none = -1;

		snprintf(cid, sizeof(cid), "ctr-%d-%d", w->id, i % 3);
		r = store_claim(x->s, "pool", cid, "eth0", "/run/netns/x", &p);
		if (r == -ENOENT) {
			/* All ports held or cooling: let the cooled ones back. */
			atomic_fetch_add(&x->misses, 1);
			r = store_expire_cooldowns(x->s, store_clock_ms());
			if (r < 0)
				note_error(x, "expire", r);
			continue;
		}
		if (r < 0) {
			note_error(x, "claim", r);
			continue;
		}
		atomic_fetch_add(&x->claims, 1);
		idx = port_index(p.port_id);
		if (idx < 0 || !streq(p.container_id, cid) || p.state != STORE_PORT_IN_USE) {
			note_error(x, "claimed row", idx);
		} else if (!atomic_compare_exchange_strong(&x->owner[idx], &none, w->id)) {
			atomic_fetch_add(&x->doubles, 1);
		}
		/* A repeated ADD must get the same port, never a second one. */
		if (i % 5 == 0) {
			r = store_claim(x->s, "pool", cid, "eth0", NULL, &q);
			if (r != -EEXIST || !streq(q.port_id, p.port_id))
				note_error(x, "repeated claim", r);
			else
				atomic_fetch_add(&x->dup_checks, 1);
			store_port_done(&q);
		}
		/* Give the port back in our own books first: once released in the
		 * store, another thread may claim it at once. */
		if (idx >= 0)
			atomic_store(&x->owner[idx], -1);
		r = store_release(x->s, cid, "eth0", 0, NULL);
		if (r < 0)
			note_error(x, "release", r);
		if (i % 4 == 0 && (r = store_expire_cooldowns(x->s, store_clock_ms())) < 0)
			note_error(x, "expire", r);
		store_port_done(&p);
	}
	return NULL;
}

/* Watches the file from its own connection while the workers run. */
static void *checker_run(void *arg)
{
	struct stress *x = arg;
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	/* Rows that break an invariant: two ports for one holder, a holder
	 * outside IN_USE, a port count that changed. */
	const char *sql =
		"SELECT (SELECT count(*) FROM (SELECT 1 FROM ports WHERE state = 'in_use'"
		"  GROUP BY container_id, ifname HAVING count(*) > 1))"
		" + (SELECT count(*) FROM ports WHERE (state = 'in_use') <> (container_id IS NOT NULL))"
		" + ((SELECT count(*) FROM ports) <> ?1)"
		" + ((SELECT count(*) FROM ports WHERE state = 'in_use') > ?1)";
	int checks = 0;

	if (sqlite3_open_v2(x->path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_bind_int(st, 1, N_PORTS) != SQLITE_OK) {
		note_error(x, "checker open", -1);
		goto out;
	}
	sqlite3_busy_timeout(db, 5000);
	while (!atomic_load(&x->done)) {
		int rc = sqlite3_step(st);

		if (rc != SQLITE_ROW)
			note_error(x, "checker step", rc);
		else if (sqlite3_column_int(st, 0) != 0)
			note_error(x, "invariant broken while running", sqlite3_column_int(st, 0));
		sqlite3_reset(st);
		checks++;
		usleep(500);
	}
	if (checks == 0)
		note_error(x, "checker never ran", 0);
out:
	sqlite3_finalize(st);
	sqlite3_close(db);
	return NULL;
}

static void test_concurrent_claims(void **state)
{
	struct scratch *t = *state;
	struct stress x = { .path = t->path };
	struct worker w[N_THREADS];
	pthread_t th[N_THREADS], checker;
	struct store_port_list *l = NULL;

	pthread_mutex_init(&x.msg_lock, NULL);
	for (int i = 0; i < N_PORTS; i++)
		atomic_init(&x.owner[i], -1);
	assert_int_equal(store_open(t->path, &x.s), 0);
	for (int i = 0; i < N_PORTS; i++) {
		char id[16];

		snprintf(id, sizeof(id), "port-%d", i);
		assert_int_equal(scratch_add_port(x.s, id, "pool", STORE_PORT_READY), 0);
	}
	assert_int_equal(pthread_create(&checker, NULL, checker_run, &x), 0);
	for (int i = 0; i < N_THREADS; i++) {
		w[i] = (struct worker){ .x = &x, .id = i };
		assert_int_equal(pthread_create(&th[i], NULL, worker_run, &w[i]), 0);
	}
	for (int i = 0; i < N_THREADS; i++)
		pthread_join(th[i], NULL);
	atomic_store(&x.done, true);
	pthread_join(checker, NULL);

	print_message("claims %d, pool empty %d times, repeated ADDs %d\n",
		      atomic_load(&x.claims), atomic_load(&x.misses), atomic_load(&x.dup_checks));
	if (atomic_load(&x.errors))
		fail_msg("%d errors, first: %s", atomic_load(&x.errors), x.error_msg);
	assert_int_equal(atomic_load(&x.doubles), 0);
	/* Contention really happened, and thousands of claims went through. */
	assert_true(atomic_load(&x.claims) > N_THREADS * CYCLES / 4);
	assert_true(atomic_load(&x.misses) > 0);

	/* Everything was released: nothing held, nothing lost. */
	assert_int_equal(store_list(x.s, NULL, STORE_PORT_IN_USE, &l), 0);
	assert_int_equal(l->n, 0);
	store_port_list_free(l);
	assert_int_equal(store_expire_cooldowns(x.s, store_clock_ms()) >= 0, 1);
	assert_int_equal(store_list(x.s, "pool", STORE_PORT_READY, &l), 0);
	assert_int_equal(l->n, N_PORTS);
	store_port_list_free(l);
	store_free(x.s);
	scratch_check_invariants(t->path);
	pthread_mutex_destroy(&x.msg_lock);
}

/* The child: a daemon busy claiming, releasing, inserting and deleting
 * until killed.  After each iteration whose writes all returned 0 it
 * reports its sequence number to the parent.  Exits 2 on any error. */
static void crash_child(const char *path, int fd, long base)
{
	struct store *s = NULL;
	char id[64], prev[64] = "", cid[64];

	if (store_open(path, &s) < 0)
		_exit(2);
	for (long seq = base;; seq++) {
		snprintf(id, sizeof(id), "p-%ld", seq);
		if (scratch_add_port(s, id, "crash", STORE_PORT_READY) < 0)
			_exit(2);
		snprintf(cid, sizeof(cid), "c-%ld", seq);
		if (store_claim(s, "crash", cid, "eth0", "/run/netns/c", NULL) < 0)
			_exit(2);
		if (prev[0] && store_release(s, prev, "eth0", 0, NULL) < 0)
			_exit(2);
		snprintf(prev, sizeof(prev), "%s", cid);
		/* Ports that come and go: WIRING -> DELETING -> gone. */
		snprintf(id, sizeof(id), "tmp-%ld", seq);
		if (scratch_add_port(s, id, "crash", STORE_PORT_WIRING) < 0 ||
		    store_set_state(s, id, STORE_PORT_WIRING, STORE_PORT_DELETING) < 0)
			_exit(2);
		if (seq % 2 && store_delete(s, id, STORE_PORT_DELETING) < 0)
			_exit(2);
		if (seq % 3 == 0 && store_expire_cooldowns(s, store_clock_ms()) < 0)
			_exit(2);
		if (write(fd, &seq, sizeof(seq)) != sizeof(seq))
			_exit(2);
	}
}

static void test_sigkill_durability(void **state)
{
	struct scratch *t = *state;
	unsigned seed = (unsigned)time(NULL) ^ (unsigned)getpid();
	long total = 0;

	print_message("seed %u\n", seed);
	srand(seed);
	for (int round = 0; round < 25; round++) {
		long base = round * 1000000L, seq, last = -1, first = -1;
		struct store_port_list *l = NULL;
		struct store *s = NULL;
		struct store_port p = { 0 };
		int fds[2], status;
		pid_t pid;

		assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			close(fds[0]);
			crash_child(t->path, fds[1], base);
		}
		close(fds[1]);
		/* Once it is writing, kill it at a random moment. */
		assert_int_equal(read(fds[0], &first, sizeof(first)), sizeof(first));
		usleep((useconds_t)(rand() % 40000));
		assert_int_equal(kill(pid, SIGKILL), 0);
		assert_int_equal(waitpid(pid, &status, 0), pid);
		if (!WIFSIGNALED(status))
			fail_msg("child ended by itself (status %d) before the kill", status);
		assert_int_equal(WTERMSIG(status), SIGKILL);
		last = first;
		while (read(fds[0], &seq, sizeof(seq)) == sizeof(seq))
			last = seq;
		close(fds[0]);
		total += last - base + 1;

		/* The file is sound, and recovery from the WAL keeps every
		 * transaction that returned success. */
		scratch_check_invariants(t->path);
		assert_int_equal(store_open(t->path, &s), 0);
		assert_int_equal(store_check_integrity(s), 0);
		for (seq = base; seq <= last; seq++) {
			char id[64];

			snprintf(id, sizeof(id), "p-%ld", seq);
			if (store_get(s, id, &p) != 0)
				fail_msg("round %d: port %s acknowledged but lost", round, id);
			store_port_done(&p);
		}
		/* The last acknowledged claim is still recorded: held, or
		 * released by the next iteration. */
		{
			char id[64], cid[64];

			snprintf(cid, sizeof(cid), "c-%ld", last);
			snprintf(id, sizeof(id), "p-%ld", last + 1);
			if (store_find_holder(s, cid, "eth0", &p) == 0)
				store_port_done(&p);
			else
				assert_int_equal(store_get(s, id, &p), 0);   /* next iteration ran */
			store_port_done(&p);
		}
		/* At most the last two claims are held; the daemon's restart
		 * would release those of dead containers. */
		assert_int_equal(store_list(s, NULL, STORE_PORT_IN_USE, &l), 0);
		assert_true(l->n <= 2);
		for (size_t i = 0; i < l->n; i++)
			assert_int_equal(store_release(s, l->ports[i].container_id,
						       l->ports[i].ifname, 0, NULL), 0);
		store_port_list_free(l);
		store_free(s);
	}
	print_message("%ld acknowledged iterations across 25 kills\n", total);
}

#define T(f) cmocka_unit_test_setup_teardown(f, scratch_setup, scratch_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_concurrent_claims),
		T(test_sigkill_durability),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

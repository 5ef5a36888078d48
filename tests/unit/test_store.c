/* The store's operations, one by one, on a database in a scratch
 * directory: what the daemon relies on when it claims, releases, cools
 * down, syncs and deletes ports, and what it gets from a bad file. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "scratch.h"

static struct store *open_ok(const char *path)
{
	struct store *s = NULL;

	assert_int_equal(store_open(path, &s), 0);
	assert_non_null(s);
	return s;
}

static void test_state_strings(void **state)
{
	enum store_port_state st;

	for (int i = 0; i < STORE_PORT_STATE_COUNT; i++) {
		const char *name = store_port_state_to_string((enum store_port_state)i);

		assert_non_null(name);
		assert_int_equal(store_port_state_from_string(name, &st), 0);
		assert_int_equal(st, i);
	}
	assert_string_equal(store_port_state_to_string(STORE_PORT_IN_USE), "in_use");
	assert_null(store_port_state_to_string(STORE_PORT_STATE_COUNT));
	st = STORE_PORT_READY;
	assert_int_equal(store_port_state_from_string("READY", &st), -EINVAL);
	assert_int_equal(store_port_state_from_string(NULL, &st), -EINVAL);
	assert_int_equal(st, STORE_PORT_READY);
}

static void test_open_file_mode_and_wal(void **state)
{
	struct scratch *t = *state;
	struct store *s;
	struct stat st;
	char p[160];
	mode_t old = umask(0);

	s = open_ok(t->path);
	assert_int_equal(scratch_add_port(s, "p1", "pool", STORE_PORT_READY), 0);
	umask(old);
	/* The db and SQLite's companions are root's only, whatever the umask. */
	assert_int_equal(stat(t->path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	snprintf(p, sizeof(p), "%s-wal", t->path);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	snprintf(p, sizeof(p), "%s-shm", t->path);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(scratch_sql_int(t->path, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
	store_free(s);
	/* WAL is a property of the file: a fresh connection sees it. */
	scratch_sql_exec(t->path, "SELECT 1");
	assert_int_equal(scratch_sql_int(t->path, "SELECT count(*) FROM pragma_journal_mode"
				 " WHERE journal_mode = 'wal'"), 1);

	/* An existing file readable by others is tightened. */
	assert_int_equal(chmod(t->path, 0644), 0);
	s = open_ok(t->path);
	store_free(s);
	assert_int_equal(stat(t->path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
}

static void test_open_bad_paths(void **state)
{
	struct scratch *t = *state;
	struct store *s = (struct store *)0x1;
	char p[160];

	snprintf(p, sizeof(p), "%s/missing/state.db", t->dir);
	assert_int_equal(store_open(p, &s), -ENOENT);
	assert_ptr_equal(s, (struct store *)0x1);
	snprintf(p, sizeof(p), "%s/link.db", t->dir);
	assert_int_equal(symlink(t->path, p), 0);
	assert_int_equal(store_open(p, &s), -ELOOP);
	assert_int_equal(store_open(t->dir, &s), -EISDIR);
	assert_int_equal(store_open("", &s), -EINVAL);
	assert_ptr_equal(s, (struct store *)0x1);
}

/* Every fd the store opens (db, -wal, -shm) is close-on-exec, so none
 * leaks into a plugin or a container the daemon starts. */
static void test_fds_cloexec(void **state)
{
	struct scratch *t = *state;
	struct store *s;
	bool before[1024] = { false };
	int fresh = 0;

	for (int fd = 0; fd < 1024; fd++)
		before[fd] = fcntl(fd, F_GETFD) >= 0;
	s = open_ok(t->path);
	assert_int_equal(scratch_add_port(s, "p1", "pool", STORE_PORT_READY), 0);
	assert_int_equal(store_claim(s, "pool", "c1", "eth0", NULL, NULL), 0);
	for (int fd = 0; fd < 1024; fd++) {
		int flags = fcntl(fd, F_GETFD);

		if (flags < 0 || before[fd])
			continue;
		fresh++;
		if (!(flags & FD_CLOEXEC))
			fail_msg("fd %d opened by the store is not close-on-exec", fd);
	}
	/* At least the database, its WAL and its shared-memory index. */
	assert_true(fresh >= 3);
	store_free(s);
}

static void test_insert_get(void **state)
{
	struct scratch *t = *state;
	struct store *s = open_ok(t->path);
	struct store_port p = { 0 }, bad = { 0 };
	int64_t before = store_clock_ms();

	assert_int_equal(scratch_add_port(s, "port-a", "pool-1", STORE_PORT_WIRING), 0);
	assert_int_equal(scratch_add_port(s, "port-a", "pool-2", STORE_PORT_READY), -EEXIST);
	assert_int_equal(scratch_add_port(s, "port-b", "pool-1", STORE_PORT_IN_USE), -EINVAL);
	assert_int_equal(scratch_add_port(s, "port-b", "pool-1", STORE_PORT_COOLDOWN), -EINVAL);
	assert_int_equal(scratch_add_port(s, "", "pool-1", STORE_PORT_READY), -EINVAL);
	bad.port_id = "port-c";
	bad.pool = "pool-1";
	bad.state = STORE_PORT_READY;
	assert_int_equal(store_insert(s, &bad), -EINVAL);   /* no network, no mac */

	assert_int_equal(store_get(s, "port-a", &p), 0);
	assert_string_equal(p.port_id, "port-a");
	assert_string_equal(p.pool, "pool-1");
	assert_string_equal(p.network_id, "net-1");
	assert_string_equal(p.subnet_id, "subnet-1");
	assert_string_equal(p.mac, "fa:16:3e:00:00:01");
	assert_string_equal(p.info, "{\"ips\":[\"10.0.0.5/24\"],\"mtu\":1450}");
	assert_int_equal(p.state, STORE_PORT_WIRING);
	assert_null(p.container_id);
	assert_null(p.ifname);
	assert_null(p.netns);
	assert_true(p.synced);
	assert_int_equal(p.attempts, 0);
	assert_true(p.created_at >= before && p.created_at <= store_clock_ms());
	assert_true(p.updated_at == p.created_at);
	store_port_done(&p);
	assert_null(p.port_id);
	store_port_done(&p);   /* twice is harmless */
	store_port_done(NULL);

	p.port_id = (char *)"untouched";
	assert_int_equal(store_get(s, "port-zzz", &p), -ENOENT);
	assert_string_equal(p.port_id, "untouched");
	store_free(s);
}

static void test_claim(void **state)
{
	struct scratch *t = *state;
	struct store *s = open_ok(t->path);
	struct store_port p = { 0 }, q = { 0 };

	assert_int_equal(scratch_add_port(s, "w1", "pool", STORE_PORT_WIRING), 0);
	assert_int_equal(scratch_add_port(s, "r1", "pool", STORE_PORT_READY), 0);
	assert_int_equal(scratch_add_port(s, "r2", "pool", STORE_PORT_READY), 0);
	assert_int_equal(scratch_add_port(s, "o1", "other", STORE_PORT_READY), 0);

	/* The port ready longest goes first. */
	assert_int_equal(store_claim(s, "pool", "ctr-1", "eth0", "/run/netns/a", &p), 0);
	assert_string_equal(p.port_id, "r1");
	assert_int_equal(p.state, STORE_PORT_IN_USE);
	assert_string_equal(p.container_id, "ctr-1");
	assert_string_equal(p.ifname, "eth0");
	assert_string_equal(p.netns, "/run/netns/a");
	assert_false(p.synced);
	assert_string_equal(p.mac, "fa:16:3e:00:00:01");

	/* A repeated ADD gets -EEXIST and the port it already holds. */
	assert_int_equal(store_claim(s, "pool", "ctr-1", "eth0", "/run/netns/a", &q), -EEXIST);
	assert_string_equal(q.port_id, "r1");
	store_port_done(&q);
	assert_int_equal(store_claim(s, "pool", "ctr-1", "eth0", NULL, NULL), -EEXIST);

	/* The same container on another interface is another holder. */
	assert_int_equal(store_claim(s, "pool", "ctr-1", "eth1", NULL, &q), 0);
	assert_string_equal(q.port_id, "r2");
	assert_null(q.netns);
	store_port_done(&q);

	/* WIRING ports and other pools' ports are not handed out. */
	q.port_id = (char *)"untouched";
	assert_int_equal(store_claim(s, "pool", "ctr-2", "eth0", NULL, &q), -ENOENT);
	assert_string_equal(q.port_id, "untouched");
	assert_int_equal(store_claim(s, "nopool", "ctr-2", "eth0", NULL, NULL), -ENOENT);
	/* Empty pool, but the holder holds a port: still -EEXIST. */
	q = (struct store_port){ 0 };
	assert_int_equal(store_claim(s, "pool", "ctr-1", "eth0", NULL, &q), -EEXIST);
	assert_string_equal(q.port_id, "r1");
	store_port_done(&q);

	assert_int_equal(store_claim(s, "pool", "", "eth0", NULL, NULL), -EINVAL);
	assert_int_equal(store_claim(s, "pool", "ctr-2", NULL, NULL, NULL), -EINVAL);
	assert_int_equal(store_claim(s, NULL, "ctr-2", "eth0", NULL, NULL), -EINVAL);

	/* The claim is on disk: another connection sees it. */
	assert_int_equal(scratch_sql_int(t->path, "SELECT count(*) FROM ports WHERE state = 'in_use'"
				 " AND container_id = 'ctr-1'"), 2);
	store_port_done(&p);
	store_free(s);
	scratch_check_invariants(t->path);
}

static void test_claim_port(void **state)
{
	struct scratch *t = *state;
	struct store *s = open_ok(t->path);
	struct store_port p = { 0 };

	assert_int_equal(scratch_add_port(s, "w1", "pool", STORE_PORT_WIRING), 0);
	assert_int_equal(scratch_add_port(s, "r1", "pool", STORE_PORT_READY), 0);
	assert_int_equal(scratch_add_port(s, "d1", "pool", STORE_PORT_WIRING), 0);
	assert_int_equal(store_set_state(s, "d1", STORE_PORT_WIRING, STORE_PORT_DELETING), 0);

	/* A port made on demand is claimed while still WIRING. */
	assert_int_equal(store_claim_port(s, "w1", "ctr-1", "eth0", "/proc/1/ns/net", &p), 0);
	assert_string_equal(p.port_id, "w1");
	assert_int_equal(p.state, STORE_PORT_IN_USE);
	assert_string_equal(p.container_id, "ctr-1");
	store_port_done(&p);
	assert_int_equal(store_claim_port(s, "w1", "ctr-2", "eth0", NULL, NULL), -ESTALE);
	assert_int_equal(store_claim_port(s, "d1", "ctr-2", "eth0", NULL, NULL), -ESTALE);
	assert_int_equal(store_claim_port(s, "nope", "ctr-2", "eth0", NULL, NULL), -ENOENT);
	/* The holder already has w1: r1 stays READY. */
	assert_int_equal(store_claim_port(s, "r1", "ctr-1", "eth0", NULL, &p), -EEXIST);
	assert_string_equal(p.port_id, "w1");
	store_port_done(&p);
	assert_int_equal(store_get(s, "r1", &p), 0);
	assert_int_equal(p.state, STORE_PORT_READY);
	store_port_done(&p);
	assert_int_equal(store_claim_port(s, "r1", "ctr-2", "eth0", NULL, NULL), 0);
	store_free(s);
	scratch_check_invariants(t->path);
}

static void test_find(void **state)
{
	struct scratch *t = *state;
	struct store *s = open_ok(t->path);
	struct store_port_list *l = NULL;
	struct store_port p = { 0 };

	for (int i = 0; i < 4; i++) {
		char id[16];

		snprintf(id, sizeof(id), "p%d", i);
		assert_int_equal(scratch_add_port(s, id, "pool", STORE_PORT_READY), 0);
	}
	assert_int_equal(store_claim(s, "pool", "ctr-1", "eth0", NULL, NULL), 0);
	assert_int_equal(store_claim(s, "pool", "ctr-2", "eth0", NULL, NULL), 0);
	assert_int_equal(store_claim(s, "pool", "ctr-1", "net1", NULL, NULL), 0);

	assert_int_equal(store_find_holder(s, "ctr-1", "net1", &p), 0);
	assert_string_equal(p.port_id, "p2");
	store_port_done(&p);
	assert_int_equal(store_find_holder(s, "ctr-1", "net2", &p), -ENOENT);
	assert_int_equal(store_find_holder(s, "ctr-3", "eth0", &p), -ENOENT);

	assert_int_equal(store_find_container(s, "ctr-1", &l), 0);
	assert_int_equal(l->n, 2);
	assert_string_equal(l->ports[0].ifname, "eth0");
	assert_string_equal(l->ports[1].ifname, "net1");
	store_port_list_free(l);
	l = NULL;
	assert_int_equal(store_find_container(s, "ctr-3", &l), -ENOENT);
	assert_null(l);
	/* A released holder no longer holds anything. */
	assert_int_equal(store_release(s, "ctr-2", "eth0", 0, NULL), 0);
	assert_int_equal(store_find_container(s, "ctr-2", &l), -ENOENT);
	store_port_list_free(NULL);
	store_free(s);
}

static void test_release_and_cooldown(void **state)
{
	struct scratch *t = *state;
	struct store *s = open_ok(t->path);
	struct store_port p = { 0 }, q = { 0 };
	int64_t until = store_clock_ms() + 60000;

	assert_int_equal(scratch_add_port(s, "p1", "pool", STORE_PORT_READY), 0);
	assert_int_equal(scratch_add_port(s, "p2", "pool", STORE_PORT_READY), 0);
	assert_int_equal(store_claim(s, "pool", "ctr-1", "eth0", "/run/netns/x", &p), 0);

	assert_int_equal(store_release(s, "ctr-1", "eth0", until, &q), 0);
	assert_string_equal(q.port_id, p.port_id);
	assert_int_equal(q.state, STORE_PORT_COOLDOWN);
	assert_int_equal(q.cooldown_until, until);
	assert_null(q.container_id);
	assert_null(q.ifname);
	assert_null(q.netns);
	assert_string_equal(q.last_container_id, "ctr-1");
	assert_string_equal(q.last_ifname, "eth0");
	assert_string_equal(q.last_netns, "/run/netns/x");
	assert_false(q.synced);
	assert_true(q.generation > p.generation);
	store_port_done(&q);

	/* DEL again: nothing held. */
	assert_int_equal(store_release(s, "ctr-1", "eth0", until, NULL), -ENOENT);
	assert_int_equal(store_find_holder(s, "ctr-1", "eth0", &q), -ENOENT);
	assert_int_equal(store_release(s, "ctr-9", "eth0", until, NULL), -ENOENT);

	/* The cooling port is not handed out; the same holder may come back
	 * (a container re-created under the same id) and gets another port. */
	assert_int_equal(store_claim(s, "pool", "ctr-1", "eth0", NULL, &q), 0);
	assert_string_not_equal(q.port_id, p.port_id);
	store_port_done(&q);
	assert_int_equal(store_claim(s, "pool", "ctr-2", "eth0", NULL, NULL), -ENOENT);

	/* Not yet; then exactly at the deadline. */
	assert_int_equal(store_expire_cooldowns(s, until - 1), 0);
	assert_int_equal(store_expire_cooldowns(s, until), 1);
	assert_int_equal(store_expire_cooldowns(s, until + 1), 0);
	assert_int_equal(store_get(s, p.port_id, &q), 0);
	assert_int_equal(q.state, STORE_PORT_READY);
	assert_string_equal(q.last_container_id, "ctr-1");   /* kept for diagnostics */
	store_port_done(&q);
	assert_int_equal(store_claim(s, "pool", "ctr-2", "eth0", NULL, &q), 0);
	assert_string_equal(q.port_id, p.port_id);
	assert_string_equal(q.last_container_id, "ctr-1");
	store_port_done(&q);
	store_port_done(&p);
	store_free(s);
	scratch_check_invariants(t->path);
}

static void test_set_state(void **state)
{
	struct scratch *t = *state;
	struct store *s = open_ok(t->path);
	struct store_port p = { 0 };

	assert_int_equal(scratch_add_port(s, "p1", "pool", STORE_PORT_WIRING), 0);
	assert_int_equal(store_claim(s, "pool", "ctr-1", "eth0", NULL, NULL), -ENOENT);
	assert_int_equal(store_set_state(s, "p1", STORE_PORT_WIRING, STORE_PORT_READY), 0);
	/* Compare-and-set: somebody else moved it first. */
	assert_int_equal(store_set_state(s, "p1", STORE_PORT_WIRING, STORE_PORT_READY), -ESTALE);
	assert_int_equal(store_set_state(s, "p1", STORE_PORT_WIRING, STORE_PORT_DELETING), -ESTALE);
	assert_int_equal(store_set_state(s, "zz", STORE_PORT_WIRING, STORE_PORT_READY), -ENOENT);
	/* Forbidden moves, whatever the row says. */
	assert_int_equal(store_set_state(s, "p1", STORE_PORT_READY, STORE_PORT_IN_USE), -EINVAL);
	assert_int_equal(store_set_state(s, "p1", STORE_PORT_READY, STORE_PORT_COOLDOWN), -EINVAL);
	assert_int_equal(store_set_state(s, "p1", STORE_PORT_READY, STORE_PORT_READY), -EINVAL);
	assert_int_equal(store_set_state(s, "p1", STORE_PORT_DELETING, STORE_PORT_READY), -EINVAL);
	assert_int_equal(store_set_state(s, "p1", (enum store_port_state)42, STORE_PORT_READY),
			 -EINVAL);
	assert_int_equal(store_claim(s, "pool", "ctr-1", "eth0", "/n", NULL), 0);

	/* The reconciler drops an IN_USE port: the holder is kept as last_*,
	 * and is free to claim again. */
	assert_int_equal(store_set_state(s, "p1", STORE_PORT_IN_USE, STORE_PORT_DELETING), 0);
	assert_int_equal(store_get(s, "p1", &p), 0);
	assert_int_equal(p.state, STORE_PORT_DELETING);
	assert_null(p.container_id);
	assert_string_equal(p.last_container_id, "ctr-1");
	assert_string_equal(p.last_netns, "/n");
	store_port_done(&p);
	assert_int_equal(store_find_holder(s, "ctr-1", "eth0", &p), -ENOENT);
	assert_int_equal(store_set_state(s, "p1", STORE_PORT_DELETING, STORE_PORT_WIRING), -EINVAL);
	store_free(s);
	scratch_check_invariants(t->path);
}

static void test_sync_marks(void **state)
{
	struct scratch *t = *state;
	struct store *s = open_ok(t->path);
	struct store_port_list *l = NULL;
	struct store_port p = { 0 };
	int64_t gen;

	assert_int_equal(scratch_add_port(s, "p1", "pool", STORE_PORT_READY), 0);
	assert_int_equal(scratch_add_port(s, "p2", "pool", STORE_PORT_READY), 0);
	assert_int_equal(store_list_unsynced(s, &l), 0);
	assert_int_equal(l->n, 0);
	store_port_list_free(l);

	assert_int_equal(store_claim(s, "pool", "ctr-1", "eth0", NULL, &p), 0);
	gen = p.generation;
	assert_int_equal(store_list_unsynced(s, &l), 0);
	assert_int_equal(l->n, 1);
	assert_string_equal(l->ports[0].port_id, "p1");
	assert_string_equal(l->ports[0].container_id, "ctr-1");
	assert_int_equal(l->ports[0].generation, gen);
	store_port_list_free(l);

	/* The worker's Neutron update went out for this holder: synced. */
	assert_int_equal(store_mark_synced(s, "p1", gen), 0);
	assert_int_equal(store_list_unsynced(s, &l), 0);
	assert_int_equal(l->n, 0);
	store_port_list_free(l);

	/* A release races the worker: its late mark must not stick. */
	assert_int_equal(store_release(s, "ctr-1", "eth0", 0, NULL), 0);
	assert_int_equal(store_mark_synced(s, "p1", gen), -ESTALE);
	assert_int_equal(store_list_unsynced(s, &l), 0);
	assert_int_equal(l->n, 1);
	assert_int_equal(l->ports[0].state, STORE_PORT_COOLDOWN);
	store_port_list_free(l);
	assert_int_equal(store_mark_synced(s, "nope", gen), -ENOENT);

	assert_int_equal(store_mark_unsynced(s, "p2"), 0);
	assert_int_equal(store_mark_unsynced(s, "nope"), -ENOENT);
	assert_int_equal(store_set_state(s, "p2", STORE_PORT_READY, STORE_PORT_DELETING), 0);
	/* Ports on their way out are not the sync worker's business. */
	assert_int_equal(store_list_unsynced(s, &l), 0);
	assert_int_equal(l->n, 1);
	assert_string_equal(l->ports[0].port_id, "p1");
	store_port_list_free(l);
	store_port_done(&p);
	store_free(s);
}

static void test_attempts_and_info(void **state)
{
	struct scratch *t = *state;
	struct store *s = open_ok(t->path);
	struct store_port p = { 0 };

	assert_int_equal(scratch_add_port(s, "p1", "pool", STORE_PORT_WIRING), 0);
	assert_int_equal(store_note_attempt(s, "p1"), 1);
	assert_int_equal(store_note_attempt(s, "p1"), 2);
	assert_int_equal(store_note_attempt(s, "nope"), -ENOENT);
	assert_int_equal(store_get(s, "p1", &p), 0);
	assert_int_equal(p.attempts, 2);
	store_port_done(&p);
	/* A state change starts the count again. */
	assert_int_equal(store_set_state(s, "p1", STORE_PORT_WIRING, STORE_PORT_READY), 0);
	assert_int_equal(store_note_attempt(s, "p1"), 1);

	assert_int_equal(store_set_info(s, "p1", "{\"host_dev\":\"tapabc\"}"), 0);
	assert_int_equal(store_get(s, "p1", &p), 0);
	assert_string_equal(p.info, "{\"host_dev\":\"tapabc\"}");
	store_port_done(&p);
	assert_int_equal(store_set_info(s, "p1", NULL), 0);
	assert_int_equal(store_get(s, "p1", &p), 0);
	assert_null(p.info);
	store_port_done(&p);
	assert_int_equal(store_set_info(s, "nope", "{}"), -ENOENT);
	store_free(s);
}

static void test_list_count_delete(void **state)
{
	struct scratch *t = *state;
	struct store *s = open_ok(t->path);
	struct store_port_list *l = NULL;
	struct store_counts *c = NULL;

	assert_int_equal(scratch_add_port(s, "a1", "a", STORE_PORT_READY), 0);
	assert_int_equal(scratch_add_port(s, "a2", "a", STORE_PORT_READY), 0);
	assert_int_equal(scratch_add_port(s, "a3", "a", STORE_PORT_WIRING), 0);
	assert_int_equal(scratch_add_port(s, "b1", "b", STORE_PORT_READY), 0);
	assert_int_equal(store_claim(s, "a", "ctr-1", "eth0", NULL, NULL), 0);

	assert_int_equal(store_list(s, NULL, -1, &l), 0);
	assert_int_equal(l->n, 4);
	store_port_list_free(l);
	assert_int_equal(store_list(s, "a", -1, &l), 0);
	assert_int_equal(l->n, 3);
	assert_string_equal(l->ports[0].port_id, "a1");
	assert_string_equal(l->ports[2].port_id, "a3");
	store_port_list_free(l);
	assert_int_equal(store_list(s, NULL, STORE_PORT_READY, &l), 0);
	assert_int_equal(l->n, 2);
	assert_string_equal(l->ports[0].port_id, "a2");
	assert_string_equal(l->ports[1].port_id, "b1");
	store_port_list_free(l);
	assert_int_equal(store_list(s, "c", -1, &l), 0);
	assert_int_equal(l->n, 0);
	store_port_list_free(l);
	assert_int_equal(store_list(s, NULL, STORE_PORT_STATE_COUNT, &l), -EINVAL);

	assert_int_equal(store_count(s, &c), 0);
	assert_int_equal(c->n, 2);
	assert_string_equal(c->pools[0].pool, "a");
	assert_int_equal(c->pools[0].n[STORE_PORT_READY], 1);
	assert_int_equal(c->pools[0].n[STORE_PORT_IN_USE], 1);
	assert_int_equal(c->pools[0].n[STORE_PORT_WIRING], 1);
	assert_int_equal(c->pools[0].n[STORE_PORT_COOLDOWN], 0);
	assert_string_equal(c->pools[1].pool, "b");
	assert_int_equal(c->pools[1].n[STORE_PORT_READY], 1);
	assert_int_equal(c->pools[1].n[STORE_PORT_IN_USE], 0);
	store_counts_free(c);
	store_counts_free(NULL);

	/* Deleting is compare-and-set on the state too. */
	assert_int_equal(store_delete(s, "a1", STORE_PORT_READY), -ESTALE);
	assert_int_equal(store_set_state(s, "a2", STORE_PORT_READY, STORE_PORT_DELETING), 0);
	assert_int_equal(store_delete(s, "a2", STORE_PORT_DELETING), 0);
	assert_int_equal(store_delete(s, "a2", STORE_PORT_DELETING), -ENOENT);
	assert_int_equal(store_delete(s, "b1", STORE_PORT_READY), 0);
	assert_int_equal(store_count(s, &c), 0);
	assert_int_equal(c->n, 1);
	store_counts_free(c);
	store_free(s);

	/* An empty store counts nothing. */
	assert_int_equal(unlink(t->path), 0);
	s = open_ok(t->path);
	assert_int_equal(store_count(s, &c), 0);
	assert_int_equal(c->n, 0);
	store_counts_free(c);
	store_free(s);
}

static void test_reopen_keeps_data(void **state)
{
	struct scratch *t = *state;
	struct store *s = open_ok(t->path);
	struct store_port p = { 0 };

	assert_int_equal(scratch_add_port(s, "p1", "pool", STORE_PORT_READY), 0);
	assert_int_equal(scratch_add_port(s, "p2", "pool", STORE_PORT_READY), 0);
	assert_int_equal(store_claim(s, "pool", "ctr-1", "eth0", "/run/netns/c1", NULL), 0);
	assert_int_equal(store_check_integrity(s), 0);
	store_free(s);

	s = open_ok(t->path);
	assert_int_equal(store_find_holder(s, "ctr-1", "eth0", &p), 0);
	assert_string_equal(p.port_id, "p1");
	assert_string_equal(p.netns, "/run/netns/c1");
	store_port_done(&p);
	assert_int_equal(store_claim(s, "pool", "ctr-2", "eth0", NULL, &p), 0);
	assert_string_equal(p.port_id, "p2");
	store_port_done(&p);
	store_free(s);
	store_free(NULL);
}

static void write_bytes(const char *path, off_t off, const void *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, buf, len, off), (ssize_t)len);
	close(fd);
}

static void test_garbage_file(void **state)
{
	struct scratch *t = *state;
	struct store *s = NULL;
	unsigned char junk[3 * 4096];

	srand(7);
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (unsigned char)rand();
	write_bytes(t->path, 0, junk, sizeof(junk));
	assert_int_equal(store_open(t->path, &s), -EBADMSG);
	assert_null(s);

	/* A short text file is not a database either. */
	assert_int_equal(unlink(t->path), 0);
	write_bytes(t->path, 0, "hello\n", 6);
	assert_int_equal(store_open(t->path, &s), -EBADMSG);

	/* Nor is somebody else's SQLite database: it is left alone. */
	assert_int_equal(unlink(t->path), 0);
	scratch_sql_exec(t->path, "CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1);");
	assert_int_equal(store_open(t->path, &s), -EBADMSG);
	assert_int_equal(scratch_sql_int(t->path, "SELECT x FROM t"), 1);
	assert_null(s);
}

/* A database whose pages were damaged (a bad disk, a stray write): open
 * says so instead of crashing or handing out garbage. */
static void test_corrupt_pages(void **state)
{
	struct scratch *t = *state;
	struct store *s = open_ok(t->path);
	unsigned char junk[4096];
	struct stat st;

	for (int i = 0; i < 400; i++) {
		char id[64];

		snprintf(id, sizeof(id), "%08d-0000-4000-8000-000000000000", i);
		assert_int_equal(scratch_add_port(s, id, "pool", STORE_PORT_READY), 0);
	}
	store_free(s);
	assert_int_equal(stat(t->path, &st), 0);
	assert_true(st.st_size >= 8 * 4096);
	memset(junk, 0xa5, sizeof(junk));
	/* Pages 3 to 6: table and index b-tree pages. */
	for (int pg = 2; pg < 6; pg++)
		write_bytes(t->path, (off_t)pg * 4096, junk, sizeof(junk));
	s = NULL;
	assert_int_equal(store_open(t->path, &s), -EBADMSG);
	assert_null(s);
}

static void test_future_schema_refused(void **state)
{
	struct scratch *t = *state;
	struct store *s = open_ok(t->path);

	assert_int_equal(scratch_add_port(s, "p1", "pool", STORE_PORT_READY), 0);
	store_free(s);
	scratch_sql_exec(t->path, "PRAGMA user_version = 99");
	s = NULL;
	assert_int_equal(store_open(t->path, &s), -EPROTONOSUPPORT);
	assert_null(s);
	/* Refused means untouched: the newer program still finds its file. */
	assert_int_equal(scratch_sql_int(t->path, "PRAGMA user_version"), 99);
	assert_int_equal(scratch_sql_int(t->path, "SELECT count(*) FROM ports"), 1);
}

/* FULL is accepted and behaves the same; the busy timeout applies when
 * another process holds the write lock. */
static void test_options_and_busy(void **state)
{
	struct scratch *t = *state;
	struct store_options o = { .sync_full = true, .busy_timeout_ms = 50 };
	struct store *s = NULL;
	sqlite3 *db = NULL;
	uint64_t start;

	assert_int_equal(store_open_with(t->path, &o, &s), 0);
	assert_int_equal(scratch_add_port(s, "p1", "pool", STORE_PORT_READY), 0);
	assert_int_equal(sqlite3_open_v2(t->path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	start = util_now_ms();
	assert_int_equal(store_claim(s, "pool", "ctr-1", "eth0", NULL, NULL), -EBUSY);
	assert_true(util_now_ms() - start >= 40);
	assert_int_equal(sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
	/* The failed claim left nothing half done. */
	assert_int_equal(store_claim(s, "pool", "ctr-1", "eth0", NULL, NULL), 0);
	sqlite3_close(db);
	store_free(s);
	scratch_check_invariants(t->path);
}

#define T(f) cmocka_unit_test_setup_teardown(f, scratch_setup, scratch_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_state_strings),
		T(test_open_file_mode_and_wal),
		T(test_open_bad_paths),
		T(test_fds_cloexec),
		T(test_insert_get),
		T(test_claim),
		T(test_claim_port),
		T(test_find),
		T(test_release_and_cooldown),
		T(test_set_state),
		T(test_sync_marks),
		T(test_attempts_and_info),
		T(test_list_count_delete),
		T(test_reopen_keeps_data),
		T(test_garbage_file),
		T(test_corrupt_pages),
		T(test_future_schema_refused),
		T(test_options_and_busy),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* A pool's ports from Neutron to READY (daemon/ports.h), on a real daemon
 * (tests/lib/daemon_fixture.h) against the fake Neutron's model: what a
 * create asks Neutron for, what the store records, when a port becomes
 * READY, and what adoption takes. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "daemon_fixture.h"

#include "daemon/ctl.h"
#include "daemon/ports.h"
#include "pool/pool.h"
#include "store/store.h"

/* The tags every port of the pool carries, and the host it is bound to. */
static void assert_ours(struct dfix *x, const json_t *port)
{
	const json_t *tags = json_object_get(port, "tags");
	bool dep = false, host = false, pool = false;
	json_t *t;
	size_t i;

	json_array_foreach(tags, i, t) {
		dep |= streq(json_string_value(t), "sf-deployment=" DFIX_DEPLOYMENT);
		host |= streq(json_string_value(t), "sf-host=" DFIX_HOST);
		pool |= streq(json_string_value(t), x->pool->tag);
	}
	assert_true(dep && host && pool);
	assert_string_equal(json_string_value(json_object_get(port, "network_id")), FAKE_NET_ID);
}

static void test_make_records_ready_ports(void **state)
{
	struct dfix *x = *state;
	struct neutron_error err = { 0 };
	struct store_port_list *l = NULL;
	json_t *port;

	assert_int_equal(ports_make(x->d, x->pool, 3, 2000, NULL, &err), 0);
	assert_int_equal(fake_model_count(x->f, "ports"), 3);
	assert_int_equal(store_list(x->d->store, x->pool->key, -1, &l), 0);
	assert_int_equal(l->n, 3);
	for (size_t i = 0; i < l->n; i++) {
		/* ACTIVE in Neutron: READY, with Neutron's MAC and address. */
		assert_int_equal(l->ports[i].state, STORE_PORT_READY);
		port = fake_model_get(x->f, "ports", l->ports[i].port_id);
		assert_non_null(port);
		assert_ours(x, port);
		assert_string_equal(json_string_value(json_object_get(port, "binding:host_id")),
				    DFIX_HOST);
		assert_string_equal(l->ports[i].mac,
				    json_string_value(json_object_get(port, "mac_address")));
		assert_non_null(strstr(l->ports[i].info, json_string_value(json_object_get(
			json_array_get(json_object_get(port, "fixed_ips"), 0), "ip_address"))));
		json_decref(port);
	}
	store_port_list_free(l);
	assert_int_equal(x->pool->creating, 0);
}

/* A port Neutron has not made ACTIVE yet stays WIRING, never READY: an
 * ADD must not get a port the agent has not wired. */
static void test_make_waits_for_active(void **state)
{
	struct dfix *x = *state;
	struct neutron_error err = { 0 };
	char *id = NULL, *ids[2];

	SET(x->f, port_status, "DOWN");
	assert_int_equal(ports_make(x->d, x->pool, 1, 300, &id, &err), -ETIMEDOUT);
	assert_non_null(id);
	assert_int_equal(dfix_port_state(x, id), STORE_PORT_WIRING);

	ids[0] = strdup(id);
	ids[1] = NULL;
	assert_int_equal(ports_promote(x->d, ids, 2), 1);   /* still DOWN */
	assert_non_null(ids[0]);   /* kept: asked again later */
	assert_int_equal(dfix_port_state(x, id), STORE_PORT_WIRING);

	assert_true(fake_model_set(x->f, "ports", id, "status", json_string("ACTIVE")));
	assert_int_equal(ports_promote(x->d, ids, 2), 0);
	assert_null(ids[0]);   /* freed: promoted */
	assert_int_equal(dfix_port_state(x, id), STORE_PORT_READY);
	free(id);
}

/* Neutron refuses the create: nothing recorded, Neutron's words given
 * back, the pool not left "creating". */
static void test_make_refused(void **state)
{
	struct dfix *x = *state;
	struct neutron_error err = { 0 };
	struct store_port_list *l = NULL;

	SET(x->f, body, "{\"NeutronError\": {\"type\": \"OverQuota\", \"message\": "
		"\"Quota exceeded for resources: ['port'].\", \"detail\": \"\"}}");
	SCRIPT(x->f, 409);
	assert_true(ports_make(x->d, x->pool, 2, 2000, NULL, &err) < 0);
	SCRIPT(x->f, 200);
	assert_non_null(strstr(err.message, "Quota exceeded"));
	assert_int_equal(err.http_status, 409);
	assert_int_equal(fake_model_count(x->f, "ports"), 0);
	assert_int_equal(store_list(x->d->store, NULL, -1, &l), 0);
	assert_int_equal(l->n, 0);
	store_port_list_free(l);
	assert_int_equal(x->pool->creating, 0);
}

/* A port Neutron made for the pool (a lost create's) is recorded WIRING
 * once, however often it is adopted. */
static void test_adopt(void **state)
{
	struct dfix *x = *state;
	const char *id = dfix_leak_port(x, x->pool->tag);
	struct store_port sp = { 0 };
	json_t *port = fake_model_get(x->f, "ports", id);

	assert_ptr_equal(ports_pool_of(x->d, port), x->pool);
	assert_int_equal(ports_adopt(x->d, x->pool, port), 0);
	assert_int_equal(ports_adopt(x->d, x->pool, port), 0);
	assert_int_equal(store_get(x->d->store, id, &sp), 0);
	assert_int_equal(sp.state, STORE_PORT_WIRING);
	assert_string_equal(sp.pool, x->pool->key);
	assert_string_equal(sp.mac, json_string_value(json_object_get(port, "mac_address")));
	store_port_done(&sp);
	json_decref(port);
}

/* Only this deployment's and host's ports are listed, and a tag naming no
 * pool of ours leads to none. */
static void test_list_tagged(void **state)
{
	struct dfix *x = *state;
	const char *mine;
	char mine_id[64];
	json_t *list = NULL, *other;

	mine = dfix_leak_port(x, "sf-pool=0000000000000000");
	snprintf(mine_id, sizeof(mine_id), "%s", mine);
	fake_model_put(x->f, "ports", json_pack(
		"{s:s, s:s, s:[s, s]}", "id", "66666666-6666-4666-8666-666666666666", "network_id",
		FAKE_NET_ID, "tags", "sf-deployment=" DFIX_DEPLOYMENT, "sf-host=host-b"));
	fake_model_put(x->f, "ports", json_pack(
		"{s:s, s:s, s:[s, s]}", "id", "77777777-7777-4777-8777-777777777777", "network_id",
		FAKE_NET_ID, "tags", "sf-deployment=other", "sf-host=" DFIX_HOST));
	assert_int_equal(ports_list_tagged(x->d, &list), 0);
	assert_int_equal(json_array_size(list), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(list, 0), "id")),
			    mine_id);
	assert_null(ports_pool_of(x->d, json_array_get(list, 0)));
	json_decref(list);
	other = fake_model_get(x->f, "ports", "66666666-6666-4666-8666-666666666666");
	assert_null(ports_pool_of(x->d, other));
	json_decref(other);
}

/* ports_list_ids' callback: counts the calls per index, frees the even ones. */
struct seen {
	char **ids;
	int calls[PORTS_ID_BATCH + 8];
};

static void count_call(struct daemon *d, const json_t *port, size_t j, void *arg)
{
	struct seen *s = arg;

	(void)d;
	assert_string_equal(json_string_value(json_object_get(port, "id")), s->ids[j]);
	assert_non_null(json_object_get(port, "status"));   /* the field asked for */
	s->calls[j]++;
	if (j % 2 == 0) {
		free(s->ids[j]);
		s->ids[j] = NULL;
	}
}

/* More ids than one query takes: asked in two batches, every listed port
 * met once at its index, a NULL entry and a port Neutron lacks never. */
static void test_list_ids_batches(void **state)
{
	static const char *const fields[] = { "status", NULL };
	enum { N = PORTS_ID_BATCH + 5 };
	struct dfix *x = *state;
	struct seen s = { .ids = calloc(N, sizeof(char *)) };
	int before;

	assert_non_null(s.ids);
	for (size_t i = 0; i < N; i++) {
		char id[40];

		snprintf(id, sizeof(id), "%08zx-0000-4000-8000-000000000000", i);
		s.ids[i] = strdup(id);
		if (i != 3)   /* 3: gone from Neutron */
			fake_model_put(x->f, "ports", json_pack("{s:s, s:s, s:s}", "id", id,
								 "network_id", FAKE_NET_ID, "status", "DOWN"));
	}
	free(s.ids[7]);
	s.ids[7] = NULL;
	before = x->f->neutron_requests;
	assert_int_equal(ports_list_ids(x->d, s.ids, N, fields, "port_status", count_call, &s), 0);
	assert_int_equal(x->f->neutron_requests - before, 2);
	for (size_t i = 0; i < N; i++) {
		assert_int_equal(s.calls[i], i == 3 || i == 7 ? 0 : 1);
		if (i % 2 == 0 && i != 3 && i != 7)
			assert_null(s.ids[i]);
		else if (i != 7)
			assert_non_null(s.ids[i]);
	}
	/* Neutron refusing: its -errno, nothing called. */
	memset(s.calls, 0, sizeof(s.calls));
	SCRIPT(x->f, 500);
	assert_true(ports_list_ids(x->d, s.ids, N, fields, "port_status", count_call, &s) < 0);
	for (size_t i = 0; i < N; i++) {
		assert_int_equal(s.calls[i], 0);
		free(s.ids[i]);
	}
	free(s.ids);
}

/* A pool retired while its refill's create is under way (superfluid-docker's
 * DeleteNetwork met it): the create ends and nothing more is asked for.
 * The refill's count used to wrap below zero there, and the retired pool
 * then refilled 16 ports at a time for good. */
static void test_retire_during_refill(void **state)
{
	struct dfix *x = *state;
	char why[256] = "", *answer = NULL;
	json_t *q;

	pool_set_lock(x->d->pools);
	x->pool->sizes.min = 2;
	x->pool->sizes.max = 4;
	x->pool->sizes.batch = 2;
	pool_set_unlock(x->d->pools);
	SET(x->f, port_status, "DOWN");
	SET(x->f, hold_ms, 700L);
	daemon_kick_refill(x->d);
	util_sleep_ms(250);   /* the create of 2 is under way */
	q = json_pack("{s:s, s:s}", "ctl", "pool_retire", "pool", x->pool->name);
	assert_non_null(q);
	assert_int_equal(ctl_query(x->d, q, &answer, why, sizeof(why)), 0);
	json_decref(q);
	free(answer);
	SET(x->f, hold_ms, 0L);
	util_sleep_ms(2500);   /* passes enough for a wrapped count's creates */
	assert_true(fake_model_count(x->f, "ports") <= 2);   /* the one create's */
	pool_set_lock(x->d->pools);
	assert_int_equal(x->pool->refill_left, 0);
	assert_int_equal(x->pool->creating, 0);
	pool_set_unlock(x->d->pools);
}

/* A reload lowered the pool's max below its READY ports: the refiller
 * sends the excess back to Neutron (they used to stay until claimed and
 * released), and keeps max of them; not while a cold ADD is under way. */
static void test_trim_above_max(void **state)
{
	struct dfix *x = *state;
	struct neutron_error err = { 0 };
	struct store_port_list *l = NULL;
	size_t ready = 0;

	pool_set_lock(x->d->pools);
	x->pool->sizes.min = 0;
	x->pool->sizes.max = 4;
	pool_set_unlock(x->d->pools);
	assert_int_equal(ports_make(x->d, x->pool, 3, 2000, NULL, &err), 0);
	pool_set_lock(x->d->pools);
	x->pool->sizes.max = 1;
	pool_set_unlock(x->d->pools);
	/* Not while a cold ADD is under way: its port may be one of them. */
	atomic_store(&x->d->cold_adds, 1);
	daemon_kick_refill(x->d);
	util_sleep_ms(500);
	assert_int_equal(fake_model_count(x->f, "ports"), 3);
	atomic_store(&x->d->cold_adds, 0);
	daemon_kick_refill(x->d);
	for (int i = 0; i < 100 && fake_model_count(x->f, "ports") > 1; i++)
		util_sleep_ms(50);
	assert_int_equal(fake_model_count(x->f, "ports"), 1);
	assert_int_equal(store_list(x->d->store, x->pool->key, -1, &l), 0);
	for (size_t i = 0; i < l->n; i++)
		ready += l->ports[i].state == STORE_PORT_READY;
	assert_int_equal(l->n, 1);
	assert_int_equal(ready, 1);
	store_port_list_free(l);
}

/* A reload with new sizes drops the refill counted with the old ones
 * (a count owed for min 8 must not be created after min fell to 1); the
 * same sizes again leave it alone. */
static void test_reload_recounts_refill(void **state)
{
	struct dfix *x = *state;
	struct pool_request rq = { .name = "net1", .network = "net1" };
	struct pool_sizes sizes = { .min = 1, .max = 2, .batch = 1 };
	struct neutron_error err = { 0 };
	struct pool *p = NULL;

	pool_set_lock(x->d->pools);
	x->pool->sizes = sizes;
	x->pool->refill_left = 5;
	pool_set_unlock(x->d->pools);
	assert_int_equal(pool_set_resolve(x->d->pools, x->d->neutron, &rq, &sizes, &p, &err), 0);
	assert_ptr_equal(p, x->pool);
	pool_set_lock(x->d->pools);
	assert_int_equal(x->pool->refill_left, 5);
	pool_set_unlock(x->d->pools);
	sizes.min = 0;
	assert_int_equal(pool_set_resolve(x->d->pools, x->d->neutron, &rq, &sizes, &p, &err), 0);
	pool_set_lock(x->d->pools);
	assert_int_equal(x->pool->refill_left, 0);
	assert_int_equal(x->pool->sizes.min, 0);
	pool_set_unlock(x->d->pools);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, dfix_setup_bridge, dfix_teardown)
	const struct CMUnitTest tests[] = {
		T(test_make_records_ready_ports),
		T(test_make_waits_for_active),
		T(test_make_refused),
		T(test_adopt),
		T(test_list_tagged),
		T(test_list_ids_batches),
		T(test_retire_during_refill),
		T(test_trim_above_max),
		T(test_reload_recounts_refill),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

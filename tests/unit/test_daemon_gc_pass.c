/* What a garbage collection pass decides (daemon/gc.h), on a real daemon
 * (tests/lib/daemon_fixture.h) against the fake Neutron's model: a leak is
 * only marked by the first pass that sees it and cleaned by the next one
 * that sees it too; a tagged port the store does not know is adopted into
 * its pool or, with no pool of ours, deleted; a record whose port Neutron
 * lost is dropped, but not while Neutron cannot be listed; a dry run
 * changes nothing and counts for nothing.  sfctl gc's answer is checked
 * through ctl_query. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon_fixture.h"
#include "scratch.h"

#include "daemon/ctl.h"
#include "daemon/gc.h"
#include "store/store.h"

/* One pass's report entry for `object`, or NULL; *ret_report to decref. */
static const json_t *pass(struct dfix *x, bool dry_run, const char *object, json_t **ret_report)
{
	struct gc_opts o = { .dry_run = dry_run };
	json_t *f;
	size_t i;

	*ret_report = NULL;
	assert_int_equal(gc_pass(x->d, &o, ret_report), 0);
	assert_non_null(*ret_report);
	assert_true(json_is_true(json_object_get(*ret_report, "dry_run")) == dry_run);
	json_array_foreach(json_object_get(*ret_report, "findings"), i, f)
		if (streq(json_string_value(json_object_get(f, "object")), object))
			return f;
	return NULL;
}

static void assert_finding(const json_t *f, const char *kind, const char *status,
			   const char *action, const char *outcome)
{
	assert_non_null(f);
	assert_string_equal(json_string_value(json_object_get(f, "kind")), kind);
	assert_string_equal(json_string_value(json_object_get(f, "status")), status);
	if (action)
		assert_string_equal(json_string_value(json_object_get(f, "action")), action);
	assert_string_equal(json_string_value(json_object_get(f, "outcome")), outcome);
}

/* A port of our pool that the store does not know: adopted, on the second
 * sighting. */
static void test_unknown_port_adopted(void **state)
{
	struct dfix *x = *state;
	char id[64];
	json_t *rep;

	snprintf(id, sizeof(id), "%s", dfix_leak_port(x, x->pool->tag));
	assert_finding(pass(x, false, id, &rep), "neutron", "new", NULL, "marked");
	json_decref(rep);
	assert_int_equal(dfix_port_state(x, id), -1);
	assert_finding(pass(x, false, id, &rep), "neutron", "confirmed", NULL, "done");
	json_decref(rep);
	assert_int_equal(dfix_port_state(x, id), STORE_PORT_WIRING);
	assert_int_equal(fake_model_count(x->f, "ports"), 1);
	/* Known now: nothing more to find. */
	assert_null(pass(x, false, id, &rep));
	json_decref(rep);
}

/* Our deployment's and host's port with a pool tag we do not have: given
 * back to Neutron, on the second sighting only. */
static void test_unknown_pool_deleted(void **state)
{
	struct dfix *x = *state;
	char id[64];
	json_t *rep, *port;

	snprintf(id, sizeof(id), "%s", dfix_leak_port(x, "sf-pool=00000000deadbeef"));
	assert_finding(pass(x, false, id, &rep), "neutron", "new", NULL, "marked");
	json_decref(rep);
	port = fake_model_get(x->f, "ports", id);
	assert_non_null(port);
	json_decref(port);
	assert_finding(pass(x, false, id, &rep), "neutron", "confirmed", NULL, "done");
	json_decref(rep);
	assert_null(fake_model_get(x->f, "ports", id));
	assert_int_equal(dfix_port_state(x, id), -1);
}

/* The grace is two passes in a row: a leak that went away in between
 * starts over. */
static void test_grace_needs_consecutive_passes(void **state)
{
	struct dfix *x = *state;
	char id[64];
	json_t *rep, *port;

	snprintf(id, sizeof(id), "%s", dfix_leak_port(x, "sf-pool=00000000deadbeef"));
	port = fake_model_get(x->f, "ports", id);
	assert_finding(pass(x, false, id, &rep), "neutron", "new", NULL, "marked");
	json_decref(rep);
	assert_true(fake_model_delete(x->f, "ports", id));
	assert_null(pass(x, false, id, &rep));
	json_decref(rep);
	fake_model_put(x->f, "ports", port);
	assert_finding(pass(x, false, id, &rep), "neutron", "new", NULL, "marked");
	json_decref(rep);
	assert_non_null((port = fake_model_get(x->f, "ports", id)));
	json_decref(port);
}

/* A dry run reports and does nothing, and does not count as a sighting. */
static void test_dry_run(void **state)
{
	struct dfix *x = *state;
	char id[64];
	json_t *rep, *port;

	snprintf(id, sizeof(id), "%s", dfix_leak_port(x, "sf-pool=00000000deadbeef"));
	assert_finding(pass(x, true, id, &rep), "neutron", "new", NULL, "dry-run");
	json_decref(rep);
	assert_finding(pass(x, true, id, &rep), "neutron", "new", NULL, "dry-run");
	json_decref(rep);
	assert_finding(pass(x, false, id, &rep), "neutron", "new", NULL, "marked");
	json_decref(rep);
	/* Marked, then a dry run: it would act, and still does not. */
	assert_finding(pass(x, true, id, &rep), "neutron", "confirmed", NULL, "dry-run");
	json_decref(rep);
	assert_non_null((port = fake_model_get(x->f, "ports", id)));
	json_decref(port);
}

/* A READY record whose port Neutron no longer has is dropped through
 * DELETING on the second sighting; while the listing fails, never. */
static void test_lost_record(void **state)
{
	struct dfix *x = *state;
	static const char id[] = "88888888-8888-4888-8888-888888888888";
	json_t *rep;
	int st;

	assert_int_equal(scratch_add_port(x->d->store, id, x->pool->key, STORE_PORT_READY), 0);
	usleep(5000);   /* recorded before the pass's listing */
	SCRIPT(x->f, 503);
	assert_null(pass(x, false, id, &rep));
	assert_false(json_is_true(json_object_get(rep, "neutron_listed")));
	json_decref(rep);
	assert_null(pass(x, false, id, &rep));
	json_decref(rep);
	SCRIPT(x->f, 200);
	assert_int_equal(dfix_port_state(x, id), STORE_PORT_READY);

	assert_finding(pass(x, false, id, &rep), "record", "new", "drop", "marked");
	assert_true(json_is_true(json_object_get(rep, "neutron_listed")));
	json_decref(rep);
	assert_int_equal(dfix_port_state(x, id), STORE_PORT_READY);
	assert_finding(pass(x, false, id, &rep), "record", "confirmed", "drop", "done");
	json_decref(rep);
	/* DELETING, or already gone (the syncer deletes what is DELETING). */
	st = dfix_port_state(x, id);
	assert_true(st == STORE_PORT_DELETING || st == -1);
}

/* sfctl gc's answer: the report under "gc", a dry run when asked. */
static void test_ctl_gc(void **state)
{
	struct dfix *x = *state;
	char id[64], *text = NULL, why[128] = "";
	json_t *req = json_pack("{s:s, s:b}", "ctl", "gc", "dry_run", 1), *doc, *f;

	snprintf(id, sizeof(id), "%s", dfix_leak_port(x, x->pool->tag));
	assert_int_equal(ctl_query(x->d, req, &text, why, sizeof(why)), 0);
	doc = json_loads(text, 0, NULL);
	assert_non_null(doc);
	assert_true(json_is_true(json_object_get(json_object_get(doc, "gc"), "dry_run")));
	assert_true(json_is_true(json_object_get(json_object_get(doc, "gc"), "neutron_listed")));
	f = json_array_get(json_object_get(json_object_get(doc, "gc"), "findings"), 0);
	assert_string_equal(json_string_value(json_object_get(f, "port_id")), id);
	assert_string_equal(json_string_value(json_object_get(f, "pool")), "net1");
	assert_string_equal(json_string_value(json_object_get(f, "outcome")), "dry-run");
	json_decref(doc);
	free(text);
	json_decref(req);
	assert_int_equal(dfix_port_state(x, id), -1);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, dfix_setup_bridge, dfix_teardown)
	const struct CMUnitTest tests[] = {
		T(test_unknown_port_adopted),
		T(test_unknown_pool_deleted),
		T(test_grace_needs_consecutive_passes),
		T(test_dry_run),
		T(test_lost_record),
		T(test_ctl_gc),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

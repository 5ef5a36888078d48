/* The alias that proves a host interface is this deployment's (bind.h):
 * what the daemon writes, and what the garbage collector accepts as its
 * own.  Another deployment's alias, a deployment whose name is a prefix of
 * ours, and anything malformed are never ours. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "bind/bind.h"

static void test_alias_round_trip(void **state)
{
	char buf[NL_ALIAS_SIZE];

	bind_alias_of("prod", "0b8f6f1e-1111-2222-3333-444455556666", buf, sizeof(buf));
	assert_string_equal(buf, "sf:prod:0b8f6f1e-1111-2222-3333-444455556666");
	assert_string_equal(bind_alias_port(buf, "prod"), "0b8f6f1e-1111-2222-3333-444455556666");
}

static void test_alias_not_ours(void **state)
{
	assert_null(bind_alias_port("sf:prod:abc", "pro"));      /* a prefix of the name */
	assert_null(bind_alias_port("sf:prod:abc", "prod2"));    /* a longer name */
	assert_null(bind_alias_port("sf:prod2:abc", "prod"));
	assert_null(bind_alias_port("sf:prod:", "prod"));        /* no port id */
	assert_null(bind_alias_port("sf:prod", "prod"));
	assert_null(bind_alias_port("xx:prod:abc", "prod"));
	assert_null(bind_alias_port("", "prod"));
	/* Deployment a:b's port c is not deployment a's port b:c. */
	assert_null(bind_alias_port("sf:a:b:c", "a"));
	assert_string_equal(bind_alias_port("sf:a:b:c", "a:b"), "c");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alias_round_trip),
		cmocka_unit_test(test_alias_not_ours),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

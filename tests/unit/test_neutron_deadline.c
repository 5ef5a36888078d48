/* A thread's deadline over the Neutron client (neutron_deadline_set), what
 * bounds a cold ADD by cold_add_timeout, against a real HTTP server on
 * 127.0.0.1 that holds its answers; and the circuit breaker over Neutron's
 * reachability (neutron/breaker.h), its states and what counts. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "neutron/breaker.h"
#include "neutron/internal.h"

#include "fake_neutron.h"

static uint64_t since_ms(uint64_t start_us)
{
	return (util_now_us() - start_us) / 1000;
}

/* A 30 s client timeout with retries, a server that takes 3 s: the
 * deadline, 400 ms away, ends the call. */
static void test_deadline_cuts_attempts(void **state)
{
	struct fake *f = fake_start();
	struct neutron_opts o = { .timeout_ms = 30000, .connect_timeout_ms = 30000,
				  .max_retries = 3 };
	struct neutron_client *c = fake_noauth_client(f, &o);
	struct neutron_error err = { 0 };
	uint64_t start;

	SET(f, hold_ms, 3000);
	start = util_now_us();
	neutron_deadline_set(util_now_ms() + 400);
	assert_int_equal(neutron_request(c, "GET", "/v2.0/ports", NULL, NULL, NULL, &err),
			 -ETIMEDOUT);
	assert_true(since_ms(start) >= 350);
	assert_true(since_ms(start) < 1500);
	assert_int_equal(err.http_status, 0);

	/* Past the deadline nothing is sent at all. */
	start = util_now_us();
	assert_int_equal(neutron_request(c, "GET", "/v2.0/ports", NULL, NULL, NULL, &err),
			 -ETIME);
	assert_true(since_ms(start) < 100);
	neutron_deadline_clear();

	/* Without one, the client's own timeout rules again. */
	SET(f, hold_ms, 600);
	assert_int_equal(neutron_request(c, "GET", "/v2.0/ports", NULL, NULL, NULL, &err), 0);
	neutron_client_free(c);
	fake_stop(f);
}

/* Retries stop at the deadline: a 503 answered at once is retried while
 * a retry can finish in time, and the last answer stands. */
static void test_deadline_stops_retries(void **state)
{
	struct fake *f = fake_start();
	struct neutron_opts o = { .timeout_ms = 5000, .max_retries = 20, .retry_base_ms = 200 };
	struct neutron_client *c = fake_noauth_client(f, &o);
	struct neutron_error err = { 0 };
	uint64_t start = util_now_us();

	SCRIPT(f, 503);
	neutron_deadline_set(util_now_ms() + 700);
	assert_int_equal(neutron_request(c, "GET", "/v2.0/ports", NULL, NULL, NULL, &err), -EIO);
	neutron_deadline_clear();
	assert_int_equal(err.http_status, 503);
	assert_true(since_ms(start) < 1000);
	assert_true(f->neutron_requests >= 2);
	assert_true(f->neutron_requests < 10);
	neutron_client_free(c);
	fake_stop(f);
}

static void test_retry_after_parse(void **state)
{
	long ms = -1;

	assert_int_equal(neutron_retry_after_parse("3", &ms), 0);
	assert_int_equal(ms, 3000);
	assert_int_equal(neutron_retry_after_parse(" 0 ", &ms), 0);
	assert_int_equal(ms, 0);
	ms = -1;
	assert_int_equal(neutron_retry_after_parse("Wed, 21 Oct 2015 07:28:00 GMT", &ms), -EINVAL);
	assert_int_equal(neutron_retry_after_parse("-1", &ms), -EINVAL);
	assert_int_equal(neutron_retry_after_parse("2x", &ms), -EINVAL);
	assert_int_equal(neutron_retry_after_parse("99999999999999999999", &ms), -EINVAL);
	assert_int_equal(neutron_retry_after_parse(NULL, &ms), -EINVAL);
	assert_int_equal(ms, -1);
}

static void test_breaker_what_counts(void **state)
{
	assert_true(neutron_breaker_is_failure(-ECONNREFUSED, 0, 0));
	assert_true(neutron_breaker_is_failure(-ECONNRESET, 0, 5));
	assert_true(neutron_breaker_is_failure(-ETIMEDOUT, 0, NEUTRON_BREAKER_MIN_WAIT_MS));
	/* A timeout cut to a few milliseconds, the caller's own deadline, an
	 * answer however bad: Neutron is not shown unreachable. */
	assert_false(neutron_breaker_is_failure(-ETIMEDOUT, 0, 20));
	assert_false(neutron_breaker_is_failure(-ETIME, 0, 0));
	assert_true(neutron_breaker_is_failure(-ETIME, 0, 5000));
	assert_false(neutron_breaker_is_failure(-EIO, 503, 5000));
	assert_false(neutron_breaker_is_failure(-ENOMEM, 0, 0));
	assert_false(neutron_breaker_is_failure(0, 0, 0));
}

static void test_breaker_states(void **state)
{
	struct neutron_breaker b;
	struct neutron_breaker_view v;

	neutron_breaker_init(&b);
	neutron_breaker_view(&b, &v);
	assert_int_equal(v.state, NEUTRON_BREAKER_CLOSED);
	assert_int_equal(v.since, 0);
	assert_false(neutron_breaker_probe_due(&b));

	/* Nothing said about reachability: stays closed. */
	assert_int_equal(neutron_breaker_record(&b, -ETIME, 0, 0, NULL), NEUTRON_BREAKER_SAME);
	assert_int_equal(neutron_breaker_record(&b, -EIO, 500, 10, NULL), NEUTRON_BREAKER_SAME);

	assert_int_equal(neutron_breaker_record(&b, -ETIMEDOUT, 0, 6000, "POST x: timed out"),
			 NEUTRON_BREAKER_OPENED);
	neutron_breaker_view(&b, &v);
	assert_int_equal(v.state, NEUTRON_BREAKER_OPEN);
	assert_true(v.since > 0);
	assert_string_equal(v.cause, "POST x: timed out");
	assert_int_equal(v.opened, 1);
	/* The first probe comes after about a second, not at once. */
	assert_false(neutron_breaker_probe_due(&b));
	assert_true(neutron_breaker_probe_left(&b) >= NEUTRON_BREAKER_PROBE_MIN_MS / 2);
	assert_true(neutron_breaker_probe_left(&b) <= NEUTRON_BREAKER_PROBE_MIN_MS);
	/* More failures keep the first one's time and cause, and count as
	 * failed probes: the probe waits longer. */
	assert_int_equal(neutron_breaker_record(&b, -ECONNREFUSED, 0, 0, "refused"),
			 NEUTRON_BREAKER_SAME);
	neutron_breaker_view(&b, &v);
	assert_string_equal(v.cause, "POST x: timed out");
	assert_true(neutron_breaker_probe_left(&b) >= NEUTRON_BREAKER_PROBE_MIN_MS);
	util_sleep_ms(neutron_breaker_probe_left(&b) + 5);
	assert_true(neutron_breaker_probe_due(&b));
	neutron_breaker_view(&b, &v);
	assert_int_equal(v.state, NEUTRON_BREAKER_HALF_OPEN);
	assert_false(neutron_breaker_probe_due(&b));   /* one probe at a time */

	/* A failed probe: open again, the next probe later (doubled again). */
	assert_int_equal(neutron_breaker_record(&b, -ETIMEDOUT, 0, 1500, "probe"),
			 NEUTRON_BREAKER_SAME);
	neutron_breaker_view(&b, &v);
	assert_int_equal(v.state, NEUTRON_BREAKER_OPEN);
	assert_true(neutron_breaker_probe_left(&b) >= 2 * NEUTRON_BREAKER_PROBE_MIN_MS);

	/* Any answer closes it, even a 404. */
	assert_int_equal(neutron_breaker_record(&b, -ENOENT, 404, 3, NULL),
			 NEUTRON_BREAKER_CLOSED_AGAIN);
	neutron_breaker_view(&b, &v);
	assert_int_equal(v.state, NEUTRON_BREAKER_CLOSED);
	assert_int_equal(v.since, 0);
	assert_string_equal(v.cause, "");
	assert_int_equal(neutron_breaker_record(&b, 0, 200, 3, NULL), NEUTRON_BREAKER_SAME);
	assert_int_equal(neutron_breaker_record(&b, -ECONNRESET, 0, 3, NULL),
			 NEUTRON_BREAKER_OPENED);
	neutron_breaker_view(&b, &v);
	assert_int_equal(v.opened, 2);
	assert_string_equal(neutron_breaker_state_name(v.state), "open");
	neutron_breaker_destroy(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_deadline_cuts_attempts),
		cmocka_unit_test(test_deadline_stops_retries),
		cmocka_unit_test(test_retry_after_parse),
		cmocka_unit_test(test_breaker_what_counts),
		cmocka_unit_test(test_breaker_states),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

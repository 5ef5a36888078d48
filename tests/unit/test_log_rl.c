/* Rate-limited logging (common/log.h): the token bucket of one call site,
 * on an injected clock, with stderr captured in a temporary file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/log.h"

static uint64_t fake_now;
static uint64_t fake_clock(void) { return fake_now; }

static int saved_stderr = -1;
static FILE *capture;

static int setup(void **state)
{
	fflush(stderr);
	capture = tmpfile();
	assert_non_null(capture);
	saved_stderr = dup(STDERR_FILENO);
	assert_true(saved_stderr >= 0);
	assert_true(dup2(fileno(capture), STDERR_FILENO) >= 0);
	fake_now = 1000000;
	log_rl_set_clock(fake_clock);
	log_set_level(LOG_LEVEL_INFO);
	return 0;
}

static int teardown(void **state)
{
	fflush(stderr);
	dup2(saved_stderr, STDERR_FILENO);
	close(saved_stderr);
	fclose(capture);
	log_rl_set_clock(NULL);
	return 0;
}

/* What was logged since the last call, as one string (caller frees). */
static char *logged(void)
{
	static long seen;
	long end;
	char *buf;

	fflush(stderr);
	end = lseek(fileno(capture), 0, SEEK_END);
	buf = calloc(1, (size_t)(end - seen) + 1);
	assert_non_null(buf);
	assert_int_equal(pread(fileno(capture), buf, (size_t)(end - seen), seen), end - seen);
	seen = end;
	return buf;
}

static unsigned count(const char *s, const char *needle)
{
	unsigned n = 0;

	for (const char *p = s; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

static void test_burst_then_suppressed_then_refill(void **state)
{
	struct log_rl rl = LOG_RL_INIT(60, 3);   /* a line a second, three at once */
	char *out;

	for (int i = 0; i < 8; i++)
		log_msg_rl(&rl, LOG_LEVEL_WARN, "bad client %d", i);
	out = logged();
	/* The burst passes, the rest is dropped silently. */
	assert_int_equal(count(out, "bad client"), 3);
	assert_non_null(strstr(out, "bad client 2"));
	assert_null(strstr(out, "bad client 3"));
	assert_null(strstr(out, "suppressed"));
	free(out);

	/* Half a second refills half a line: still nothing. */
	fake_now += 500;
	log_msg_rl(&rl, LOG_LEVEL_WARN, "bad client %d", 8);
	out = logged();
	assert_string_equal(out, "");
	free(out);

	/* A full line: it goes out, after the count of what was dropped. */
	fake_now += 1500;
	log_msg_rl(&rl, LOG_LEVEL_WARN, "bad client %d", 9);
	out = logged();
	assert_non_null(strstr(out, "[warning]: 6 similar line(s) suppressed in the last 2 s\n"));
	assert_non_null(strstr(out, "bad client 9\n"));
	assert_true(strstr(out, "suppressed") < strstr(out, "bad client 9"));
	free(out);

	/* The count restarted: the next line let through says nothing more. */
	fake_now += 1000;
	log_msg_rl(&rl, LOG_LEVEL_WARN, "bad client %d", 10);
	out = logged();
	assert_null(strstr(out, "suppressed"));
	assert_int_equal(count(out, "bad client 10"), 1);
	free(out);
}

static void test_bucket_holds_at_most_burst(void **state)
{
	struct log_rl rl = LOG_RL_INIT(60, 3);
	unsigned long suppressed = 99;
	uint64_t for_ms = 99;
	unsigned passed = 0;

	assert_true(log_rl_allow(&rl, &suppressed, &for_ms));
	assert_int_equal(suppressed, 0);
	assert_int_equal(for_ms, 0);
	/* An hour of quiet refills three lines, not sixty. */
	fake_now += 3600 * 1000;
	for (int i = 0; i < 10; i++)
		passed += log_rl_allow(&rl, &suppressed, NULL);
	assert_int_equal(passed, 3);
	fake_now += 1000;
	assert_true(log_rl_allow(&rl, &suppressed, &for_ms));
	assert_int_equal(suppressed, 7);
	assert_int_equal(for_ms, 1000);
}

static void test_below_level_costs_nothing(void **state)
{
	struct log_rl rl = LOG_RL_INIT(60, 2);
	char *out;

	log_set_level(LOG_LEVEL_WARN);
	for (int i = 0; i < 5; i++)
		log_msg_rl(&rl, LOG_LEVEL_INFO, "chatter");
	log_set_level(LOG_LEVEL_INFO);
	log_msg_rl(&rl, LOG_LEVEL_INFO, "first");
	log_msg_rl(&rl, LOG_LEVEL_INFO, "second");
	out = logged();
	assert_null(strstr(out, "chatter"));
	assert_null(strstr(out, "suppressed"));
	assert_non_null(strstr(out, "first"));
	assert_non_null(strstr(out, "second"));
	free(out);
}

static void site_a(int i) { log_warn_rl("site a %d", i); }
static void site_b(int i) { log_warn_rl("site b %d", i); }

static void test_one_bucket_per_call_site(void **state)
{
	char *out;

	for (int i = 0; i < 3 * LOG_RL_BURST; i++)
		site_a(i);
	site_b(0);
	out = logged();
	assert_int_equal(count(out, "site a "), LOG_RL_BURST);
	assert_int_equal(count(out, "site b "), 1);
	free(out);
	/* LOG_RL_PER_MINUTE refills one line in 60000 / LOG_RL_PER_MINUTE ms. */
	fake_now += 60000 / LOG_RL_PER_MINUTE;
	site_a(99);
	out = logged();
	assert_non_null(strstr(out, "20 similar line(s) suppressed"));
	assert_non_null(strstr(out, "site a 99"));
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_burst_then_suppressed_then_refill),
		cmocka_unit_test(test_bucket_holds_at_most_burst),
		cmocka_unit_test(test_below_level_costs_nothing),
		cmocka_unit_test(test_one_bucket_per_call_site),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

/* The journal's detection (common/log.h): JOURNAL_STREAM, "DEV:INO" in
 * decimal, names the file our standard error is open on, or logging stays
 * plain.  The entries themselves are read back from a real journald by
 * tests/integration/daemon_journal.sh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/log.h"

static void test_names_the_file(void **state)
{
	FILE *f = tmpfile(), *g = tmpfile();
	struct stat st;
	char v[64];

	assert_non_null(f);
	assert_non_null(g);
	assert_int_equal(fstat(fileno(f), &st), 0);
	snprintf(v, sizeof(v), "%ju:%ju", (uintmax_t)st.st_dev, (uintmax_t)st.st_ino);
	assert_true(log_journal_stream_is(v, fileno(f)));
	/* Another file (stderr redirected since systemd connected it). */
	assert_false(log_journal_stream_is(v, fileno(g)));
	/* Same device, another inode; another device, same inode. */
	snprintf(v, sizeof(v), "%ju:%ju", (uintmax_t)st.st_dev, (uintmax_t)st.st_ino + 1);
	assert_false(log_journal_stream_is(v, fileno(f)));
	snprintf(v, sizeof(v), "%ju:%ju", (uintmax_t)st.st_dev + 1, (uintmax_t)st.st_ino);
	assert_false(log_journal_stream_is(v, fileno(f)));
	/* A closed descriptor. */
	snprintf(v, sizeof(v), "%ju:%ju", (uintmax_t)st.st_dev, (uintmax_t)st.st_ino);
	assert_false(log_journal_stream_is(v, -1));
	fclose(f);
	fclose(g);
}

static void test_malformed_values(void **state)
{
	static const char *const bad[] = {
		"", ":", "1", "1:", ":1", "a:1", "1:b", "1:1x", " 1:1", "1: 1", "-1:1", "+1:1",
		"1:1:1", "1;1", "0x10:1", "18446744073709551616:1", "1:99999999999999999999",
	};

	assert_false(log_journal_stream_is(NULL, STDERR_FILENO));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (log_journal_stream_is(bad[i], STDERR_FILENO))
			fail_msg("'%s' taken for a stream", bad[i]);
}

/* No JOURNAL_STREAM (as in this test's environment): plain lines. */
static void test_plain_without_the_variable(void **state)
{
	unsetenv("JOURNAL_STREAM");
	assert_false(log_journal_active());
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names_the_file),
		cmocka_unit_test(test_malformed_values),
		cmocka_unit_test(test_plain_without_the_variable),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

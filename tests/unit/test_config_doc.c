/* superfluid.conf(5) and the example config against the daemon's own key
 * tables (common/config_doc.h): every key documented, the page that the
 * build made lists every key in its section (so a stale or missing page
 * fails), the page lints clean with groff and mandoc, and the example file
 * loads (all but [host] name, which it leaves for the operator). */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/config.h"
#include "common/config_doc.h"

/* The build folder: this program is $O/tests/unit/test_config_doc. */
static char build_dir[PATH_MAX];

static void find_build_dir(void)
{
	ssize_t n = readlink("/proc/self/exe", build_dir, sizeof(build_dir) - 1);
	char *cut;

	assert_true(n > 0);
	build_dir[n] = '\0';
	cut = strstr(build_dir, "/tests/unit/");
	assert_non_null(cut);
	*cut = '\0';
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t len = 0;
	FILE *out;
	int c;

	if (!f) {
		print_error("cannot read '%s': %s (make builds it)\n", path, strerror(errno));
		return NULL;
	}
	out = open_memstream(&buf, &len);
	assert_non_null(out);
	while ((c = fgetc(f)) != EOF)
		fputc(c, out);
	fclose(f);
	fclose(out);
	return buf;
}

/* Every key of every section appears as ".B KEY" after its section's
 * ".SS" header and before the next one. */
static void assert_lists_every_key(const char *page)
{
	const struct config_section_kind *kinds[2];
	size_t n[2];

	kinds[0] = config_kinds(&n[0]);
	kinds[1] = config_credential_kinds(&n[1]);
	for (size_t t = 0; t < 2; t++) {
		for (size_t i = 0; i < n[t]; i++) {
			const struct config_section_kind *k = &kinds[t][i];
			char head[128], line[128];
			const char *sect, *end;

			snprintf(head, sizeof(head), ".SS \"[%s%s]\"%s", k->name,
				 k->named ? " NAME" : "", t ? " in the credentials file" : "");
			sect = strstr(page, head);
			if (!sect)
				fail_msg("the page has no section %s", head);
			end = strstr(sect + 1, "\n.SS ");
			for (size_t j = 0; j < k->n_keys; j++) {
				const char *at;

				snprintf(line, sizeof(line), "\n.B %s\n", k->keys[j].name);
				at = strstr(sect, line);
				if (!at || (end && at > end))
					fail_msg("the page lacks key '%s' in [%s]", k->keys[j].name,
						 k->name);
			}
		}
	}
}

static void test_every_key_has_help(void **state)
{
	char why[256] = "";

	if (config_doc_check(why, sizeof(why)) < 0)
		fail_msg("%s", why);
}

static void test_generated_keys(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(config_doc_man(f), 0);
	fclose(f);
	assert_lists_every_key(buf);
	/* Types, ranges and defaults come from the table too. */
	assert_non_null(strstr(buf, ".B gc_interval\n(integer 5..86400; default \\fB60\\fR)"));
	assert_non_null(strstr(buf, ".B name\n(string; required)"));
	assert_non_null(strstr(buf, "(one of bridge, macvlan, vlan; default \\fBbridge\\fR)"));
	free(buf);
}

static void test_built_page(void **state)
{
	char path[PATH_MAX + 32];
	char *page;

	snprintf(path, sizeof(path), "%s/man/superfluid.conf.5", build_dir);
	page = slurp(path);
	if (!page)
		fail_msg("no man page at '%s'", path);
	assert_lists_every_key(page);
	assert_non_null(strstr(page, ".TH SUPERFLUID.CONF 5 "));
	assert_null(strstr(page, "@KEYS@"));
	assert_null(strstr(page, "@VERSION@"));
	free(page);
}

/* groff -ww and mandoc -T lint say nothing about any page (scripts/deps
 * installs both). */
static void test_pages_lint_clean(void **state)
{
	static const char *const pages[] = { "superfluid.conf.5", "superfluidd.8", "superfluid.8",
					     "sfctl.8" };

	for (size_t i = 0; i < ARRAY_SIZE(pages); i++) {
		char cmd[2 * PATH_MAX], out[4096];
		size_t n;
		FILE *p;
		int st;

		snprintf(cmd, sizeof(cmd),
			 "f='%s/man/%s'; test -s \"$f\" || { echo \"$f: missing\"; exit 1; }; "
			 "groff -ww -z -man \"$f\" 2>&1 && mandoc -T lint -W warning \"$f\" 2>&1",
			 build_dir, pages[i]);
		p = popen(cmd, "r");
		assert_non_null(p);
		n = fread(out, 1, sizeof(out) - 1, p);
		out[n] = '\0';
		st = pclose(p);
		if (st != 0 || n > 0)
			fail_msg("%s: exit %d: %s", pages[i], st, out);
	}
}

/* `text` with `line` inserted after the line `after`; caller frees. */
static char *insert_after(const char *text, const char *after, const char *line)
{
	const char *at = strstr(text, after);
	char *out;

	assert_non_null(at);
	at += strlen(after);
	assert_true(asprintf(&out, "%.*s%s%s", (int)(at - text), text, line, at) > 0);
	return out;
}

/* The commented example loads; it only lacks [host] name (and, for the
 * default auth_type, Keystone's address). */
static void test_example_loads(void **state)
{
	char *buf = NULL, *a, *b;
	size_t len = 0;
	struct config *cfg = NULL;
	struct config_error err;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(config_doc_ini(f), 0);
	fclose(f);

	f = fmemopen(buf, len, "r");
	assert_int_equal(config_load_stream(f, "example.conf", &cfg, &err), -EINVAL);
	fclose(f);
	assert_non_null(strstr(err.message, "key 'name' in [host] is required"));

	a = insert_after(buf, "[host]\n", "name = host1\n");
	b = insert_after(a, "[neutron]\n", "auth_type = noauth\nproject_id = p1\n"
			 "endpoint_override = http://[::1]:9696\n");
	f = fmemopen(b, strlen(b), "r");
	if (config_load_stream(f, "example.conf", &cfg, &err) < 0)
		fail_msg("the example with a name: %s", err.message);
	fclose(f);
	assert_int_equal(cfg->pools.min, 4);
	assert_int_equal(cfg->daemon.gc_interval_s, 60);
	assert_string_equal(cfg->daemon.socket, "/run/superfluid/superfluid.sock");
	config_free(cfg);
	free(a);
	free(b);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_key_has_help),
		cmocka_unit_test(test_generated_keys),
		cmocka_unit_test(test_built_page),
		cmocka_unit_test(test_pages_lint_clean),
		cmocka_unit_test(test_example_loads),
	};

	find_build_dir();
	return cmocka_run_group_tests(tests, NULL, NULL);
}

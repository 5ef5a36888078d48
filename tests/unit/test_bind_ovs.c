/* bind_ovs's ovs-vsctl runner and the commands it sends, against a stand-in
 * ovs-vsctl (a shell script) that records its arguments and answers as
 * told: what runs is the real posix_spawn path. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "bind/bind_ovs.h"

static char dir[] = "/tmp/sf-test-bind-ovs-XXXXXX";
static char prog[256], argsfile[256], answer[256];

/* The stand-in: writes its arguments, one per line, to `args`; prints the
 * file `answer` (if any) and exits with the status in `answer.rc`. */
static int setup(void **state)
{
	FILE *f;

	(void)state;
	if (!mkdtemp(dir))
		return -1;
	snprintf(prog, sizeof(prog), "%s/ovs-vsctl", dir);
	snprintf(argsfile, sizeof(argsfile), "%s/args", dir);
	snprintf(answer, sizeof(answer), "%s/answer", dir);
	f = fopen(prog, "w");
	if (!f)
		return -1;
	fprintf(f, "#!/bin/sh\nd=%s\nprintf '%%s\\n' \"$@\" > $d/args\n"
		   "[ -f $d/answer ] && cat $d/answer\nexit $(cat $d/answer.rc 2>/dev/null || echo 0)\n",
		dir);
	fclose(f);
	return chmod(prog, 0700);
}

static int teardown(void **state)
{
	char cmd[512];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void answer_with(const char *text, int rc)
{
	char path[300];
	FILE *f;

	f = fopen(answer, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	snprintf(path, sizeof(path), "%s.rc", answer);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "%d\n", rc);
	fclose(f);
}

static char *args_seen(void)
{
	static char buf[2048];
	FILE *f = fopen(argsfile, "r");
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return buf;
}

static struct portinfo port(void)
{
	struct portinfo pi = { .port_id = "0c6d51de-f42a-4986-9969-f7eb21459b73",
			       .mac_str = "fa:16:3e:d7:4d:20", .ovs_bridge = "br-int" };
	return pi;
}

static void test_plug_sends_one_transaction(void **state)
{
	struct bind_ovs_cfg c = { .vsctl = prog, .db = "unix:/x/db.sock" };
	struct nl_extack ext = { { 0 } };
	struct portinfo pi = port();
	bool userspace = true;

	(void)state;
	answer_with("\"\"\n", 0);
	assert_int_equal(bind_ovs_plug(&c, &pi, "tap0c6d51de-f4", "dep", &userspace, &ext), 0);
	assert_false(userspace);
	assert_string_equal(args_seen(),
			    "--db=unix:/x/db.sock\n--timeout=10\n--may-exist\nadd-port\nbr-int\n"
			    "tap0c6d51de-f4\n--\nset\nInterface\ntap0c6d51de-f4\n"
			    "external_ids:iface-id=0c6d51de-f42a-4986-9969-f7eb21459b73\n"
			    "external_ids:attached-mac=fa:16:3e:d7:4d:20\n"
			    "external_ids:iface-status=active\nexternal_ids:sf-deployment=dep\n"
			    "--\nget\nBridge\nbr-int\ndatapath_type\n");
	answer_with("netdev\n", 0);
	assert_int_equal(bind_ovs_plug(&c, &pi, "tap0c6d51de-f4", "dep", &userspace, &ext), 0);
	assert_true(userspace);
}

static void test_plug_refuses_hybrid(void **state)
{
	struct bind_ovs_cfg c = { .vsctl = prog, .db = "unix:/x/db.sock" };
	struct nl_extack ext = { { 0 } };
	struct portinfo pi = port();
	bool userspace;

	(void)state;
	pi.ovs_hybrid = true;
	assert_int_equal(bind_ovs_plug(&c, &pi, "tap0c6d51de-f4", "dep", &userspace, &ext),
			 -EPROTONOSUPPORT);
	assert_non_null(strstr(ext.msg, "iptables_hybrid"));
}

static void test_errors_name_the_command(void **state)
{
	struct bind_ovs_cfg c = { .vsctl = prog, .db = "unix:/x/db.sock" };
	struct bind_ovs_cfg missing = { .vsctl = "/nonexistent/ovs-vsctl", .db = "unix:/x" };
	struct nl_extack ext = { { 0 } };

	(void)state;
	answer_with("ovs-vsctl: unix:/x/db.sock: database connection failed (No such file)\n", 1);
	assert_int_equal(bind_ovs_unplug(&c, "tapx", &ext), -EIO);
	assert_string_equal(ext.msg, "ovs-vsctl --if-exists del-port: ovs-vsctl: unix:/x/db.sock: "
				     "database connection failed (No such file)");
	memset(&ext, 0, sizeof(ext));
	assert_int_equal(bind_ovs_unplug(&missing, "tapx", &ext), -ENOENT);
	assert_non_null(strstr(ext.msg, "cannot run '/nonexistent/ovs-vsctl'"));
}

/* The wiring recheck's one call: interfaces with an OpenFlow port and an
 * iface-id, as `find Interface` prints them in JSON. */
static void test_list(void **state)
{
	struct bind_ovs_cfg c = { .vsctl = prog, .db = "unix:/x/db.sock" };
	json_t *set = NULL;

	(void)state;
	answer_with("{\"data\":[[\"tapaaaaaaaa-aa\",7,[\"map\",[[\"attached-mac\",\"fa:16:3e:00:00:01\"],"
		    "[\"iface-id\",\"aaaaaaaa-aaaa\"],[\"sf-deployment\",\"dep\"]]]],"
		    "[\"tapbbbbbbbb-bb\",[\"set\",[]],[\"map\",[[\"iface-id\",\"bbbbbbbb\"]]]],"
		    "[\"tapcccccccc-cc\",-1,[\"map\",[[\"iface-id\",\"cccccccc\"]]]],"
		    "[\"tapdddddddd-dd\",9,[\"map\",[]]]],"
		    "\"headings\":[\"name\",\"ofport\",\"external_ids\"]}\n", 0);
	assert_int_equal(bind_ovs_list(&c, "dep", &set), 0);
	assert_string_equal(args_seen(), "--db=unix:/x/db.sock\n--timeout=10\n--format=json\n"
					 "--columns=name,ofport,external_ids\nfind\nInterface\n"
					 "external_ids:sf-deployment=dep\n");
	/* no OpenFlow port yet, a device OVS failed to open, no iface-id: out */
	assert_int_equal(json_object_size(set), 1);
	assert_string_equal(json_string_value(json_object_get(set, "tapaaaaaaaa-aa")), "aaaaaaaa-aaaa");
	json_decref(set);

	answer_with("ovs-vsctl: unix:/x/db.sock: database connection failed\n", 1);
	assert_int_equal(bind_ovs_list(&c, "dep", &set), -EIO);
	answer_with("not json", 0);
	assert_int_equal(bind_ovs_list(&c, "dep", &set), -EBADMSG);
}

static void test_available(void **state)
{
	struct bind_ovs_cfg c = { .vsctl = prog, .db = "unix:/nonexistent/db.sock" };

	(void)state;
	assert_false(bind_ovs_available(&c));
	c.db = "tcp:127.0.0.1:6640";
	assert_true(bind_ovs_available(&c));
	c.db = "unix:/tmp";
	assert_true(bind_ovs_available(&c));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plug_sends_one_transaction),
		cmocka_unit_test(test_plug_refuses_hybrid),
		cmocka_unit_test(test_errors_name_the_command),
		cmocka_unit_test(test_list),
		cmocka_unit_test(test_available),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

/* The plugin <-> daemon wire protocol (cni/wire.h): message round trips,
 * malformed requests and replies, and the socket round trip against a
 * server thread on a unix socket in a temporary directory. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "cni/conf.h"
#include "cni/wire.h"

/* Stdin with everything JSON must escape, and UTF-8. */
static const char tricky_stdin[] =
	"{\"cniVersion\":\"1.1.0\",\n\t\"name\":\"n\\\"q\\\\\", \"x\":\"\xc3\xa9\xe2\x82\xac\"}\r\n";

static const struct cni_env_raw full_env = {
	.command = "ADD", .container_id = "c1", .netns = "/run/netns/c1", .ifname = "eth0",
	.args = "IgnoreUnknown=1;K8S_POD_NAME=p", .path = "/opt/cni/bin:/usr/lib/cni",
};

static struct wire_request *parse_ok(const char *buf, size_t len)
{
	struct wire_request *req = NULL;
	struct cni_error err;

	cni_error_init(&err);
	if (wire_request_parse(buf, len, &req, &err) < 0)
		fail_msg("request rejected: %s (%s)", err.msg, err.details);
	return req;
}

static void parse_fails(const char *buf, size_t len, const char *needle)
{
	struct wire_request *req = NULL;
	struct cni_error err;

	cni_error_init(&err);
	assert_int_equal(wire_request_parse(buf, len, &req, &err), -EBADMSG);
	assert_null(req);
	if (err.code != CNI_ERR_DECODE || !strstr(err.msg, needle))
		fail_msg("expected code 6 with '%s', got %d: %s", needle, err.code, err.msg);
}

static void test_request_round_trip(void **state)
{
	struct wire_request *req;
	struct cni_error err;
	char *buf = NULL;
	size_t len = 0;

	cni_error_init(&err);
	assert_int_equal(wire_request_build(&full_env, tricky_stdin, strlen(tricky_stdin), &buf,
					    &len, &err), 0);
	assert_int_equal(strlen(buf), len);
	req = parse_ok(buf, len);
	assert_string_equal(req->env.command, "ADD");
	assert_string_equal(req->env.container_id, "c1");
	assert_string_equal(req->env.netns, "/run/netns/c1");
	assert_string_equal(req->env.ifname, "eth0");
	assert_string_equal(req->env.args, "IgnoreUnknown=1;K8S_POD_NAME=p");
	assert_string_equal(req->env.path, "/opt/cni/bin:/usr/lib/cni");
	/* Byte for byte what the runtime gave the plugin. */
	assert_int_equal(req->stdin_len, strlen(tricky_stdin));
	assert_memory_equal(req->stdin_data, tricky_stdin, req->stdin_len);
	assert_int_equal(req->stdin_data[req->stdin_len], '\0');
	wire_request_free(req);
	free(buf);
}

static void test_request_unset_and_empty(void **state)
{
	struct cni_env_raw env = { .command = "DEL", .netns = "" };
	struct wire_request *req;
	struct cni_error err;
	char *buf = NULL;
	size_t len = 0;
	json_t *o;

	cni_error_init(&err);
	assert_int_equal(wire_request_build(&env, NULL, 0, &buf, &len, &err), 0);
	/* Unset variables are left out; empty ones are kept. */
	o = json_loadb(buf, len, 0, NULL);
	assert_int_equal(json_integer_value(json_object_get(o, "version")), 1);
	assert_int_equal(json_object_size(json_object_get(o, "env")), 2);
	assert_string_equal(json_string_value(json_object_get(o, "stdin")), "");
	json_decref(o);
	req = parse_ok(buf, len);
	assert_string_equal(req->env.command, "DEL");
	assert_string_equal(req->env.netns, "");
	assert_null(req->env.container_id);
	assert_null(req->env.ifname);
	assert_null(req->env.args);
	assert_null(req->env.path);
	assert_int_equal(req->stdin_len, 0);
	wire_request_free(req);
	wire_request_free(NULL);
	free(buf);
}

static void test_request_build_errors(void **state)
{
	struct cni_env_raw env = full_env;
	char *longv = malloc(WIRE_ENV_MAX + 2), *big = malloc(CNI_CONF_MAX + 1);
	struct cni_error err;
	char *buf = NULL;
	size_t len = 0;

	memset(longv, 'a', WIRE_ENV_MAX + 1);
	longv[WIRE_ENV_MAX + 1] = '\0';
	env.args = longv;
	cni_error_init(&err);
	assert_int_equal(wire_request_build(&env, "{}", 2, &buf, &len, &err), -EINVAL);
	assert_int_equal(err.code, CNI_ERR_INVALID_ENV);
	assert_non_null(strstr(err.msg, "CNI_ARGS is longer than"));

	env.args = "K8S_POD_NAME=\xff\xfe";
	assert_int_equal(wire_request_build(&env, "{}", 2, &buf, &len, &err), -EINVAL);
	assert_int_equal(err.code, CNI_ERR_INVALID_ENV);
	assert_non_null(strstr(err.msg, "CNI_ARGS is not valid UTF-8"));

	env = full_env;
	memset(big, ' ', CNI_CONF_MAX + 1);
	assert_int_equal(wire_request_build(&env, big, CNI_CONF_MAX + 1, &buf, &len, &err),
			 -EINVAL);
	assert_int_equal(err.code, CNI_ERR_DECODE);
	assert_non_null(strstr(err.msg, "larger than"));
	assert_int_equal(wire_request_build(&env, "{\"a\":\"\xc3\"}", 8, &buf, &len, &err),
			 -EINVAL);
	assert_int_equal(err.code, CNI_ERR_DECODE);
	assert_null(buf);

	/* The largest request still fits one message, whatever it escapes. */
	memset(big, '\x01', CNI_CONF_MAX);
	memset(longv, '"', WIRE_ENV_MAX);
	longv[WIRE_ENV_MAX] = '\0';
	env.args = env.path = env.netns = env.container_id = env.ifname = longv;
	assert_int_equal(wire_request_build(&env, big, CNI_CONF_MAX, &buf, &len, &err), 0);
	assert_true(len <= WIRE_MSG_MAX);
	free(buf);
	free(longv);
	free(big);
}

static void test_request_truncated(void **state)
{
	struct cni_error err;
	char *buf = NULL;
	size_t len = 0;

	cni_error_init(&err);
	assert_int_equal(wire_request_build(&full_env, tricky_stdin, strlen(tricky_stdin), &buf,
					    &len, &err), 0);
	/* Every proper prefix, as a plugin killed mid-write would leave. */
	for (size_t n = 0; n < len; n++)
		parse_fails(buf, n, "malformed request");
	free(buf);
}

static void test_request_bad(void **state)
{
	static const struct {
		const char *req;
		const char *needle;
	} cases[] = {
		{ "[]", "not a JSON object" },
		{ "{\"env\":{},\"stdin\":\"\"}", "'version' must be an integer" },
		{ "{\"version\":\"1\",\"env\":{},\"stdin\":\"\"}", "'version' must be an integer" },
		{ "{\"version\":2,\"env\":{},\"stdin\":\"\"}", "wire protocol version 2" },
		{ "{\"version\":1,\"stdin\":\"\"}", "'env' must be an object" },
		{ "{\"version\":1,\"env\":[],\"stdin\":\"\"}", "'env' must be an object" },
		{ "{\"version\":1,\"env\":{\"CNI_COMMAND\":1},\"stdin\":\"\"}", "'env.CNI_COMMAND'" },
		{ "{\"version\":1,\"env\":{\"CNI_IFNAME\":\"eth\\u00000\"},\"stdin\":\"\"}",
		  "'env.CNI_IFNAME'" },
		{ "{\"version\":1,\"env\":{}}", "'stdin' must be a string" },
		{ "{\"version\":1,\"env\":{},\"stdin\":{}}", "'stdin' must be a string" },
		{ "{\"version\":1,\"version\":1,\"env\":{},\"stdin\":\"\"}", "not JSON" },
	};
	char *big;
	size_t n;

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++)
		parse_fails(cases[i].req, strlen(cases[i].req), cases[i].needle);

	/* Too big, even if it were valid. */
	big = malloc(WIRE_MSG_MAX + 2);
	memset(big, ' ', WIRE_MSG_MAX + 1);
	big[0] = '{';
	big[WIRE_MSG_MAX] = '}';
	parse_fails(big, WIRE_MSG_MAX + 1, "larger than 1 MiB");
	/* A stdin over the cap inside a message under the cap. */
	n = (size_t)sprintf(big, "{\"version\":1,\"env\":{},\"stdin\":\"");
	memset(big + n, 'x', CNI_CONF_MAX + 1);
	n += CNI_CONF_MAX + 1;
	n += (size_t)sprintf(big + n, "\"}");
	parse_fails(big, n, "'stdin' must be a string of at most");
	free(big);

	/* Unknown members are for later versions to use: ignored. */
	{
		const char *s = "{\"version\":1,\"env\":{\"CNI_COMMAND\":\"DEL\",\"OTHER\":5},"
				"\"stdin\":\"{}\",\"trace\":\"abc\"}";
		struct wire_request *req = parse_ok(s, strlen(s));

		assert_string_equal(req->env.command, "DEL");
		wire_request_free(req);
	}
}

static void test_reply(void **state)
{
	struct wire_reply *rep = NULL;
	struct cni_error err;
	char *buf = NULL;
	size_t len = 0;
	json_t *o;

	assert_int_equal(wire_reply_build(0, "{\"cniVersion\":\"1.1.0\"}\n", &buf, &len), 0);
	assert_int_equal(wire_reply_parse(buf, len, &rep), 0);
	assert_int_equal(rep->exit_code, 0);
	assert_string_equal(rep->stdout_text, "{\"cniVersion\":\"1.1.0\"}\n");
	assert_int_equal(rep->stdout_len, strlen(rep->stdout_text));
	wire_reply_free(rep);
	free(buf);

	/* STATUS success and DEL print nothing. */
	assert_int_equal(wire_reply_build(0, "", &buf, &len), 0);
	assert_int_equal(wire_reply_parse(buf, len, &rep), 0);
	assert_int_equal(rep->stdout_len, 0);
	wire_reply_free(rep);
	free(buf);

	cni_error_init(&err);
	cni_error_set(&err, CNI_ERR_TRY_AGAIN, "pool for 'net1' is empty");
	cni_error_set_version(&err, "0.4.0");
	assert_int_equal(wire_reply_error(&err, &buf, &len), 0);
	assert_int_equal(wire_reply_parse(buf, len, &rep), 0);
	assert_int_equal(rep->exit_code, 1);
	o = json_loads(rep->stdout_text, 0, NULL);
	assert_int_equal(json_integer_value(json_object_get(o, "code")), 11);
	assert_string_equal(json_string_value(json_object_get(o, "cniVersion")), "0.4.0");
	assert_string_equal(json_string_value(json_object_get(o, "msg")),
			    "pool for 'net1' is empty");
	json_decref(o);
	wire_reply_free(rep);
	wire_reply_free(NULL);

	assert_int_equal(wire_reply_build(2, "", &buf, &len), -EINVAL);
	assert_int_equal(wire_reply_build(-1, "", &buf, &len), -EINVAL);
	assert_int_equal(wire_reply_build(0, "\xff", &buf, &len), -EINVAL);
	free(buf);
}

static void test_reply_bad(void **state)
{
	static const char *const bad[] = {
		"", "{", "[]", "{\"exit\":0}", "{\"stdout\":\"\"}", "{\"exit\":2,\"stdout\":\"\"}",
		"{\"exit\":-1,\"stdout\":\"\"}", "{\"exit\":\"0\",\"stdout\":\"\"}",
		"{\"exit\":0,\"stdout\":5}", "{\"exit\":0.0,\"stdout\":\"\"}",
		"{\"exit\":0,\"stdout\":\"\",\"exit\":1}",
	};
	const char *good = "{\"exit\":1,\"stdout\":\"{\\\"code\\\":11}\"}";
	struct wire_reply *rep = NULL;

	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		if (wire_reply_parse(bad[i], strlen(bad[i]), &rep) != -EBADMSG)
			fail_msg("accepted reply '%s'", bad[i]);
		assert_null(rep);
	}
	for (size_t n = 0; n < strlen(good); n++)
		assert_int_equal(wire_reply_parse(good, n, &rep), -EBADMSG);
	assert_int_equal(wire_reply_parse(good, strlen(good), &rep), 0);
	assert_string_equal(rep->stdout_text, "{\"code\":11}");
	wire_reply_free(rep);
}

static void test_parse_timeout(void **state)
{
	static const char *const bad[] = { "", "0", "-1", "1.5", "3601", "10s", "99999999999" };
	int ms = 0;

	assert_int_equal(wire_parse_timeout("1", &ms), 0);
	assert_int_equal(ms, 1000);
	assert_int_equal(wire_parse_timeout("3600", &ms), 0);
	assert_int_equal(ms, 3600000);
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		assert_int_equal(wire_parse_timeout(bad[i], &ms), -EINVAL);
	assert_int_equal(wire_parse_timeout(NULL, &ms), -EINVAL);
}

/* A fake daemon: accepts one connection, reads the request to EOF, and
 * answers with the canned reply (or nothing, and holds the line, when
 * `reply` is NULL, until the test is done).  The test frees `request`. */
struct server {
	char dir[64];
	char path[128];
	int lfd;
	const char *reply;
	size_t reply_len;
	char *request;
	size_t request_len;
	int hold[2];
	pthread_t thread;
};

static void *serve(void *arg)
{
	struct server *s = arg;
	int fd = accept4(s->lfd, NULL, NULL, SOCK_CLOEXEC);
	char c;

	if (fd < 0)
		return NULL;
	if (wire_recv_all(fd, WIRE_MSG_MAX, util_now_ms() + 5000, &s->request,
			  &s->request_len) < 0)
		s->request = NULL;
	if (s->reply)
		(void)!wire_send_all(fd, s->reply, s->reply_len, util_now_ms() + 5000);
	else
		(void)!read(s->hold[0], &c, 1);
	close(fd);
	return NULL;
}

static void server_start(struct server *s, const char *reply, size_t reply_len)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	memset(s, 0, sizeof(*s));
	strcpy(s->dir, "/tmp/sf-wire-XXXXXX");
	assert_non_null(mkdtemp(s->dir));
	snprintf(s->path, sizeof(s->path), "%s/sf.sock", s->dir);
	strcpy(sa.sun_path, s->path);
	s->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(s->lfd >= 0);
	assert_int_equal(bind(s->lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(s->lfd, 4), 0);
	assert_int_equal(pipe2(s->hold, O_CLOEXEC), 0);
	s->reply = reply;
	s->reply_len = reply_len;
	assert_int_equal(pthread_create(&s->thread, NULL, serve, s), 0);
}

static void server_stop(struct server *s)
{
	(void)!write(s->hold[1], "x", 1);
	pthread_join(s->thread, NULL);
	close(s->hold[0]);
	close(s->hold[1]);
	close(s->lfd);
	unlink(s->path);
	rmdir(s->dir);
}

static void test_call(void **state)
{
	const char *reply = "{\"exit\":0,\"stdout\":\"ok\\n\"}";
	struct wire_reply *rep = NULL;
	struct cni_error err;
	char *req = NULL, *out = NULL;
	size_t req_len = 0, out_len = 0;
	struct server s;

	server_start(&s, reply, strlen(reply));
	cni_error_init(&err);
	assert_int_equal(wire_request_build(&full_env, tricky_stdin, strlen(tricky_stdin), &req,
					    &req_len, &err), 0);
	assert_int_equal(wire_call(s.path, req, req_len, 5000, &out, &out_len, NULL), 0);
	assert_int_equal(out_len, strlen(reply));
	assert_string_equal(out, reply);
	assert_int_equal(wire_reply_parse(out, out_len, &rep), 0);
	assert_string_equal(rep->stdout_text, "ok\n");
	server_stop(&s);
	/* The server got the whole request, ended by our shutdown. */
	assert_int_equal(s.request_len, req_len);
	assert_memory_equal(s.request, req, req_len);
	free(s.request);
	wire_reply_free(rep);
	free(req);
	free(out);
}

static void test_call_failures(void **state)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	enum wire_stage stage = 0;
	char *out = NULL, dir[] = "/tmp/sf-wire-XXXXXX", path[128], longpath[200];
	size_t out_len = 0;
	uint64_t start;
	struct server s;
	int fd;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/none.sock", dir);
	assert_int_equal(wire_call(path, "{}", 2, 1000, &out, &out_len, &stage), -ENOENT);
	assert_int_equal(stage, WIRE_STAGE_CONNECT);

	/* A socket file nobody listens on. */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	strcpy(sa.sun_path, path);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	stage = 0;
	assert_int_equal(wire_call(path, "{}", 2, 1000, &out, &out_len, &stage), -ECONNREFUSED);
	assert_int_equal(stage, WIRE_STAGE_CONNECT);
	close(fd);
	unlink(path);
	rmdir(dir);

	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[0] = '/';
	longpath[sizeof(longpath) - 1] = '\0';
	assert_int_equal(wire_call(longpath, "{}", 2, 1000, &out, &out_len, &stage),
			 -ENAMETOOLONG);

	/* A daemon that never answers: the budget ends the call. */
	server_start(&s, NULL, 0);
	stage = 0;
	start = util_now_ms();
	assert_int_equal(wire_call(s.path, "{}", 2, 300, &out, &out_len, &stage), -ETIMEDOUT);
	assert_int_equal(stage, WIRE_STAGE_EXCHANGE);
	assert_true(util_now_ms() - start >= 290);
	assert_true(util_now_ms() - start < 3000);
	server_stop(&s);
	free(s.request);
	assert_null(out);
}

static void test_recv_cap_and_cloexec(void **state)
{
	char *big = malloc(4096), *out = NULL;
	size_t out_len = 0;
	struct server s;
	int fd = -1;

	memset(big, 'x', 4096);
	server_start(&s, big, 4096);
	assert_int_equal(wire_connect(s.path, util_now_ms() + 1000, &fd), 0);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	assert_int_equal(wire_send_all(fd, "{}", 2, util_now_ms() + 1000), 0);
	assert_int_equal(shutdown(fd, SHUT_WR), 0);
	assert_int_equal(wire_recv_all(fd, 4095, util_now_ms() + 1000, &out, &out_len),
			 -EMSGSIZE);
	assert_null(out);
	close(fd);
	server_stop(&s);
	free(s.request);

	server_start(&s, big, 4096);
	assert_int_equal(wire_connect(s.path, util_now_ms() + 1000, &fd), 0);
	assert_int_equal(shutdown(fd, SHUT_WR), 0);
	assert_int_equal(wire_recv_all(fd, 4096, util_now_ms() + 1000, &out, &out_len), 0);
	assert_int_equal(out_len, 4096);
	assert_int_equal(out[4096], '\0');
	close(fd);
	server_stop(&s);
	free(s.request);
	free(out);
	free(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request_round_trip),
		cmocka_unit_test(test_request_unset_and_empty),
		cmocka_unit_test(test_request_build_errors),
		cmocka_unit_test(test_request_truncated),
		cmocka_unit_test(test_request_bad),
		cmocka_unit_test(test_reply),
		cmocka_unit_test(test_reply_bad),
		cmocka_unit_test(test_parse_timeout),
		cmocka_unit_test(test_call),
		cmocka_unit_test(test_call_failures),
		cmocka_unit_test(test_recv_cap_and_cloexec),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

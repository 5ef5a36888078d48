/* The Neutron client's transport against a real HTTP server on 127.0.0.1
 * (libmicrohttpd, in this process): retries, no retries on 4xx, one
 * re-authentication on 401, token renewal, connection reuse, the
 * concurrency cap, timeouts, the body cap, pagination, and secrets kept
 * out of logs.  The server plays a tiny Keystone (POST /v3/auth/tokens) and
 * a scripted Neutron. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/log.h"
#include "neutron/internal.h"

#include "fake_neutron.h"

static struct neutron_stats stats(struct neutron_client *c)
{
	struct neutron_stats s;

	neutron_client_stats(c, &s);
	return s;
}

static void test_retry_503_then_success(void **state)
{
	struct fake *f = fake_start();
	struct neutron_opts o = { .max_retries = 3 };
	struct neutron_client *c = fake_noauth_client(f, &o);
	struct neutron_error err = { 0 };
	json_t *body = NULL;

	SET(f, body, "{\"port\": {\"id\": \"x\"}}");
	SCRIPT(f, 503, 503, 200);
	assert_int_equal(neutron_request(c, "GET", "/v2.0/ports/x", NULL, NULL, &body, &err), 0);
	assert_string_equal(json_string_value(json_object_get(json_object_get(body, "port"), "id")),
			    "x");
	assert_int_equal(f->neutron_requests, 3);
	assert_int_equal(stats(c).requests, 3);
	assert_int_equal(stats(c).retries, 2);
	assert_int_equal(stats(c).errors, 0);
	/* noauth sends the project and the admin role. */
	assert_string_equal(f->last_project, "proj-noauth");
	assert_string_equal(f->last_roles, "admin");
	json_decref(body);

	/* Retries run out: the 503 is surfaced as -EIO. */
	SCRIPT(f, 503);
	SET(f, neutron_requests, 0);
	assert_int_equal(neutron_request(c, "GET", "/v2.0/ports/x", NULL, NULL, &body, &err),
			 -EIO);
	assert_int_equal(err.http_status, 503);
	assert_int_equal(f->neutron_requests, 4);
	assert_int_equal(stats(c).errors, 1);

	/* A POST is retried on 503 (not processed) ... */
	SCRIPT(f, 503, 201);
	SET(f, neutron_requests, 0);
	SET(f, body, "{\"port\": {\"id\": \"new\"}}");
	body = NULL;
	assert_int_equal(neutron_port_create(c, NULL, &body, &err), -EINVAL);
	assert_int_equal(f->neutron_requests, 0);
	{
		json_t *attrs = json_pack("{s:s}", "network_id", "n1");

		assert_int_equal(neutron_port_create(c, attrs, &body, &err), 0);
		assert_string_equal(json_string_value(json_object_get(body, "id")), "new");
		assert_int_equal(f->neutron_requests, 2);
		assert_string_equal(f->last_body, "{\"port\":{\"network_id\":\"n1\"}}");
		json_decref(body);

		/* ... but never on 500: a second create could duplicate. */
		SCRIPT(f, 500, 201);
		SET(f, neutron_requests, 0);
		assert_int_equal(neutron_port_create(c, attrs, &body, &err), -EIO);
		assert_int_equal(f->neutron_requests, 1);
		assert_int_equal(err.retry_after_ms, 0);

		/* ... and its Retry-After reaches the caller, whose own backoff
		 * honours it (the refiller's). */
		SCRIPT(f, 500, 201);
		SET(f, retry_after, "7");
		SET(f, neutron_requests, 0);
		assert_int_equal(neutron_port_create(c, attrs, &body, &err), -EIO);
		assert_int_equal(f->neutron_requests, 1);
		assert_int_equal(err.http_status, 500);
		assert_int_equal(err.retry_after_ms, 7000);

		/* A 409 made nothing: not retried, no Retry-After read. */
		SCRIPT(f, 409, 201);
		SET(f, neutron_requests, 0);
		assert_int_equal(neutron_port_create(c, attrs, &body, &err), -EEXIST);
		assert_int_equal(f->neutron_requests, 1);
		assert_int_equal(err.http_status, 409);
		assert_int_equal(err.retry_after_ms, 0);
		SET(f, retry_after, NULL);
		json_decref(attrs);
	}
	neutron_client_free(c);
	fake_stop(f);
}

static void test_no_retry_on_4xx(void **state)
{
	struct fake *f = fake_start();
	struct neutron_opts o = { .max_retries = 3 };
	struct neutron_client *c = fake_noauth_client(f, &o);
	struct neutron_error err = { 0 };
	json_t *body = (json_t *)0x1;

	SCRIPT(f, 404, 200);
	assert_int_equal(neutron_port_show(c, "x", &body, &err), -ENOENT);
	assert_ptr_equal(body, (json_t *)0x1);      /* untouched on failure */
	assert_int_equal(err.http_status, 404);
	assert_string_equal(err.type, "PortNotFound");
	assert_string_equal(err.message, "Port x could not be found.");
	assert_int_equal(f->neutron_requests, 1);

	SCRIPT(f, 400, 200);
	SET(f, neutron_requests, 0);
	SET(f, body, "{\"NeutronError\": {\"type\": \"HTTPBadRequest\", \"message\": \"bad\"}}");
	assert_int_equal(neutron_request(c, "PUT", "/v2.0/ports/x", NULL, NULL, NULL, &err),
			 -EINVAL);
	assert_string_equal(err.type, "HTTPBadRequest");
	assert_int_equal(f->neutron_requests, 1);

	/* 412 on a stale revision, with the If-Match header sent. */
	SCRIPT(f, 412);
	SET(f, neutron_requests, 0);
	SET(f, body, "{\"NeutronError\": {\"type\": \"RevisionNumberConstraintFailed\", "
		  "\"message\": \"Constrained to 3, but current revision is 4\"}}");
	{
		json_t *attrs = json_pack("{s:s}", "name", "n");

		assert_int_equal(neutron_port_update(c, "x", attrs, 3, NULL, &err), -ESTALE);
		assert_string_equal(f->last_if_match, "revision_number=3");
		assert_string_equal(f->last_method, "PUT");
		assert_int_equal(f->neutron_requests, 1);
		json_decref(attrs);
	}

	/* 409 OverQuota becomes -EDQUOT with Neutron's message. */
	SCRIPT(f, 409);
	SET(f, body, "{\"NeutronError\": {\"type\": \"OverQuota\", "
		  "\"message\": \"Quota exceeded for resources: ['port'].\"}}");
	assert_int_equal(neutron_request(c, "POST", "/v2.0/ports", NULL, NULL, NULL, &err),
			 -EDQUOT);
	assert_non_null(strstr(err.message, "Quota exceeded"));
	neutron_client_free(c);
	fake_stop(f);
}

static void test_delete_404_after_retry(void **state)
{
	struct fake *f = fake_start();
	struct neutron_opts o = { .max_retries = 3 };
	struct neutron_client *c = fake_noauth_client(f, &o);
	struct neutron_error err = { 0 };

	/* The first attempt may have deleted it: 404 then means done. */
	SCRIPT(f, 503, 404);
	assert_int_equal(neutron_port_delete(c, "x", &err), 0);
	assert_int_equal(f->neutron_requests, 2);
	assert_string_equal(f->last_method, "DELETE");
	assert_string_equal(f->last_url, "/v2.0/ports/x");
	/* A plain 404 is still an error. */
	SCRIPT(f, 404);
	assert_int_equal(neutron_port_delete(c, "x", &err), -ENOENT);
	SCRIPT(f, 204);
	assert_int_equal(neutron_port_delete(c, "x", &err), 0);
	neutron_client_free(c);
	fake_stop(f);
}

static void test_odd_success_bodies(void **state)
{
	struct fake *f = fake_start();
	struct neutron_opts o = { 0 };
	struct neutron_client *c = fake_noauth_client(f, &o);
	struct neutron_error err = { 0 };
	json_t *body = (json_t *)0x1;

	/* Neutron answers a tag added with 201 and the body "null". */
	SCRIPT(f, 201);
	SET(f, body, "null");
	assert_int_equal(neutron_tag_add(c, "ports", "p1", "a b/c", &err), 0);
	assert_string_equal(f->last_method, "PUT");
	assert_string_equal(f->last_url, "/v2.0/ports/p1/tags/a b/c");
	assert_int_equal(neutron_request(c, "PUT", "/v2.0/ports/p1/tags/x", NULL, NULL, &body,
					 &err), 0);
	assert_null(body);

	/* A 200 whose body is not JSON is an error, not a silent success. */
	SCRIPT(f, 200);
	SET(f, body, "<html>oops</html>");
	body = (json_t *)0x1;
	assert_int_equal(neutron_request(c, "GET", "/v2.0/ports", NULL, NULL, &body, &err),
			 -EBADMSG);
	assert_ptr_equal(body, (json_t *)0x1);
	assert_int_equal(err.http_status, 200);

	/* A created object missing from its envelope is malformed. */
	SCRIPT(f, 201);
	SET(f, body, "{\"network\": {\"id\": \"n\"}}");
	{
		json_t *attrs = json_pack("{s:s}", "network_id", "n");

		assert_int_equal(neutron_port_create(c, attrs, &body, &err), -EBADMSG);
		json_decref(attrs);
	}
	neutron_client_free(c);
	fake_stop(f);
}

static void test_reauth_once_on_401(void **state)
{
	struct fake *f = fake_start();
	struct neutron_opts o = { 0 };
	struct neutron_client *c = fake_password_client(f, &o);
	struct neutron_error err = { 0 };
	json_t *body = NULL;

	assert_null(neutron_token(c));
	assert_int_equal(neutron_request(c, "GET", "/v2.0/networks", NULL, NULL, &body, &err), 0);
	json_decref(body);
	assert_string_equal(neutron_token(c), "tok-1");
	assert_string_equal(neutron_project_id(c), "proj-1");
	/* The public endpoint of the catalog, not the internal one. */
	{
		char want[64];

		snprintf(want, sizeof(want), "http://127.0.0.1:%u", f->port);
		assert_string_equal(neutron_endpoint(c), want);
	}
	assert_non_null(strstr(f->last_auth_body, "\"password\""));
	assert_non_null(strstr(f->last_auth_body, "\"project\""));
	assert_int_equal(stats(c).auths, 1);

	/* Revoke: the next call gets a 401, authenticates once, succeeds. */
	SET(f, revoked_upto, 1);
	SET(f, neutron_requests, 0);
	assert_int_equal(neutron_request(c, "GET", "/v2.0/networks", NULL, NULL, &body, &err), 0);
	json_decref(body);
	assert_int_equal(stats(c).auths, 2);
	assert_int_equal(stats(c).reauths_on_401, 1);
	assert_int_equal(f->neutron_requests, 2);
	assert_string_equal(neutron_token(c), "tok-2");

	/* A server that refuses every token: exactly one re-auth, then the
	 * 401 is surfaced instead of looping. */
	SET(f, always_401, true);
	SET(f, neutron_requests, 0);
	assert_int_equal(neutron_request(c, "GET", "/v2.0/networks", NULL, NULL, &body, &err),
			 -EACCES);
	assert_int_equal(err.http_status, 401);
	assert_int_equal(stats(c).auths, 3);
	assert_int_equal(stats(c).reauths_on_401, 2);
	assert_int_equal(f->neutron_requests, 2);
	neutron_client_free(c);
	fake_stop(f);
}

static void test_token_renewed_before_expiry(void **state)
{
	struct fake *f = fake_start();
	struct neutron_opts o = { 0 };
	struct neutron_client *c;
	struct neutron_error err = { 0 };
	json_t *body = NULL;

	/* A 2 s token: renewed half-way through its life at the latest. */
	SET(f, token_lifetime_s, 2);
	c = fake_password_client(f, &o);
	assert_int_equal(neutron_authenticate(c, &err), 0);
	assert_int_equal(neutron_request(c, "GET", "/v2.0/networks", NULL, NULL, &body, &err), 0);
	json_decref(body);
	assert_int_equal(stats(c).auths, 1);
	usleep(1200 * 1000);
	assert_int_equal(neutron_request(c, "GET", "/v2.0/networks", NULL, NULL, &body, &err), 0);
	json_decref(body);
	assert_int_equal(stats(c).auths, 2);
	assert_int_equal(stats(c).reauths_on_401, 0);
	assert_string_equal(neutron_token(c), "tok-2");
	neutron_client_free(c);
	fake_stop(f);
}

static void test_app_credential_and_keystone_errors(void **state)
{
	struct fake *f = fake_start();
	struct neutron_client *c = NULL;
	struct neutron_error err = { 0 };
	char url[64], *log_text = NULL;
	size_t log_len = 0;
	FILE *mem;
	int saved;

	snprintf(url, sizeof(url), "http://127.0.0.1:%u/v3/", f->port);
	assert_int_equal(neutron_client_new(&(struct neutron_opts){
			.auth_type = NEUTRON_AUTH_APP_CREDENTIAL, .auth_url = url,
			.app_cred_id = "ac-1", .app_cred_secret = FAKE_PASSWORD,
		}, &c), 0);

	/* Secrets must stay out of the debug log: capture stderr. */
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	mem = tmpfile();
	assert_non_null(mem);
	dup2(fileno(mem), STDERR_FILENO);
	log_set_level(LOG_LEVEL_DEBUG);

	assert_int_equal(neutron_authenticate(c, &err), 0);
	SET(f, keystone_refuses, true);
	assert_int_equal(neutron_authenticate(c, &err), -EACCES);

	log_set_level(LOG_LEVEL_INFO);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	fseek(mem, 0, SEEK_END);
	log_len = (size_t)ftell(mem);
	rewind(mem);
	log_text = calloc(1, log_len + 1);
	assert_int_equal(fread(log_text, 1, log_len, mem), log_len);
	fclose(mem);
	assert_non_null(strstr(log_text, "/v3/auth/tokens"));   /* it did log */
	assert_null(strstr(log_text, FAKE_PASSWORD));
	assert_null(strstr(log_text, "tok-1"));
	free(log_text);

	assert_non_null(strstr(f->last_auth_body, "\"application_credential\""));
	assert_non_null(strstr(f->last_auth_body, "\"ac-1\""));
	assert_int_equal(err.http_status, 401);
	assert_non_null(strstr(err.message, "Keystone refused application credential 'ac-1'"));
	assert_null(strstr(err.message, FAKE_PASSWORD));
	/* The valid token of the first authentication is kept. */
	assert_string_equal(neutron_token(c), "tok-1");
	neutron_client_free(c);

	/* A region that the catalog lacks is a clear error. */
	c = NULL;
	SET(f, keystone_refuses, false);
	assert_int_equal(neutron_client_new(&(struct neutron_opts){
			.auth_type = NEUTRON_AUTH_APP_CREDENTIAL, .auth_url = url,
			.app_cred_id = "ac-1", .app_cred_secret = FAKE_PASSWORD,
			.region_name = "RegionTwo",
		}, &c), 0);
	assert_int_equal(neutron_request(c, "GET", "/v2.0/ports", NULL, NULL, NULL, &err), -ENXIO);
	assert_non_null(strstr(err.message, "RegionTwo"));
	neutron_client_free(c);
	fake_stop(f);
}

/* The calling thread's global request id rides on its Neutron requests,
 * and only while it is set. */
static void test_request_id(void **state)
{
	struct fake *f = fake_start();
	struct neutron_opts o = { 0 };
	struct neutron_client *c = fake_password_client(f, &o);
	struct neutron_error err = { 0 };
	char id[NEUTRON_REQUEST_ID_LEN], other[NEUTRON_REQUEST_ID_LEN], small[8];
	json_t *body = NULL;

	(void)state;
	assert_int_equal(neutron_request_id_new(small, sizeof(small)), -ENOBUFS);
	assert_int_equal(neutron_request_id_new(id, sizeof(id)), 0);
	assert_int_equal(neutron_request_id_new(other, sizeof(other)), 0);
	assert_int_equal(strlen(id), NEUTRON_REQUEST_ID_LEN - 1);
	assert_memory_equal(id, "req-", 4);
	assert_int_equal(id[18], '4');    /* a version 4 UUID, as oslo.context wants */
	assert_string_not_equal(id, other);
	assert_null(neutron_request_id());

	assert_int_equal(neutron_request(c, "GET", "/v2.0/ports", NULL, NULL, &body, &err), 0);
	json_decref(body);
	assert_string_equal(f->last_request_id, "");
	neutron_request_id_set(id);
	assert_string_equal(neutron_request_id(), id);
	assert_int_equal(neutron_request(c, "GET", "/v2.0/ports", NULL, NULL, &body, &err), 0);
	json_decref(body);
	assert_string_equal(f->last_request_id, id);
	neutron_request_id_clear();
	assert_int_equal(neutron_request(c, "GET", "/v2.0/ports", NULL, NULL, &body, &err), 0);
	json_decref(body);
	assert_string_equal(f->last_request_id, "");
	neutron_client_free(c);
	fake_stop(f);
}

static void test_connection_reuse(void **state)
{
	struct fake *f = fake_start();
	struct neutron_opts o = { 0 };
	struct neutron_client *c = fake_password_client(f, &o);
	struct neutron_error err = { 0 };
	uint64_t start = util_now_us();

	for (int i = 0; i < 50; i++) {
		json_t *body = NULL;

		assert_int_equal(neutron_request(c, "GET", "/v2.0/ports", NULL, NULL, &body, &err),
				 0);
		assert_non_null(body);
		json_decref(body);
	}
	print_message("50 calls and one authentication in %llu us (%llu us inside curl)\n",
		      (unsigned long long)(util_now_us() - start),
		      (unsigned long long)stats(c).total_us);
	/* Keystone and Neutron share host and port here: one connection. */
	assert_int_equal(stats(c).requests, 51);
	assert_int_equal(stats(c).connections, 1);
	assert_int_equal(f->connections, 1);
	assert_int_equal(f->neutron_requests, 50);
	assert_int_equal(f->tokens_issued, 1);
	/* The kept-alive connection must not leak into forked helpers. */
	{
		curl_socket_t fd = CURL_SOCKET_BAD;

		assert_int_equal(curl_easy_getinfo(c->slots[0].curl, CURLINFO_ACTIVESOCKET, &fd),
				 CURLE_OK);
		assert_true(fd != CURL_SOCKET_BAD);
		assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	}
	neutron_client_free(c);
	fake_stop(f);
}

struct worker_arg {
	struct neutron_client *c;
	int failures;
};

static void *worker(void *p)
{
	struct worker_arg *a = p;

	for (int i = 0; i < 3; i++) {
		json_t *body = NULL;

		if (neutron_request(a->c, "GET", "/v2.0/ports", NULL, NULL, &body, NULL) < 0)
			a->failures++;
		json_decref(body);
	}
	return NULL;
}

static void test_concurrency_cap(void **state)
{
	struct fake *f = fake_start();
	struct neutron_opts o = { .max_concurrent = 2 };
	struct neutron_client *c = fake_noauth_client(f, &o);
	struct worker_arg args[6];
	pthread_t th[6];

	SET(f, hold_ms, 60);
	for (size_t i = 0; i < ARRAY_SIZE(th); i++) {
		args[i] = (struct worker_arg){ .c = c };
		assert_int_equal(pthread_create(&th[i], NULL, worker, &args[i]), 0);
	}
	for (size_t i = 0; i < ARRAY_SIZE(th); i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(args[i].failures, 0);
	}
	assert_int_equal(f->neutron_requests, 18);
	/* Never more than 2 in flight, and really 2 at once. */
	assert_int_equal(f->max_in_flight, 2);
	assert_true(stats(c).connections <= 2);
	assert_true(f->connections <= 2);
	neutron_client_free(c);
	fake_stop(f);
}

static void test_timeout_honoured(void **state)
{
	struct fake *f = fake_start();
	struct neutron_opts o = { .timeout_ms = 300, .max_retries = -1 };
	struct neutron_client *c = fake_noauth_client(f, &o);
	struct neutron_error err = { 0 };
	uint64_t start, took_ms;

	SET(f, hold_ms, 1500);
	start = util_now_us();
	assert_int_equal(neutron_request(c, "GET", "/v2.0/ports", NULL, NULL, NULL, &err),
			 -ETIMEDOUT);
	took_ms = (util_now_us() - start) / 1000;
	assert_true(took_ms >= 290);
	assert_true(took_ms < 1200);
	assert_int_equal(err.http_status, 0);
	assert_int_equal(stats(c).requests, 1);
	neutron_client_free(c);

	/* Idempotent calls are retried after a timeout; POSTs that were sent
	 * are not (the server may be creating the port). */
	o = (struct neutron_opts){ .timeout_ms = 200, .max_retries = 1 };
	c = fake_noauth_client(f, &o);
	SET(f, hold_ms, 400);
	assert_int_equal(neutron_request(c, "GET", "/v2.0/ports", NULL, NULL, NULL, &err),
			 -ETIMEDOUT);
	assert_int_equal(stats(c).requests, 2);
	assert_non_null(strstr(err.message, "after 2 attempts"));
	assert_int_equal(neutron_request(c, "POST", "/v2.0/ports", NULL, NULL, NULL, &err),
			 -ETIMEDOUT);
	assert_int_equal(stats(c).requests, 3);
	neutron_client_free(c);
	fake_stop(f);
}

static void test_connection_refused(void **state)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	struct neutron_client *c = NULL;
	struct neutron_error err = { 0 };
	char url[64];
	uint64_t start, took_ms;
	int fd;

	/* A port that surely has no listener: bound, then closed. */
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	close(fd);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u", ntohs(sa.sin_port));

	assert_int_equal(neutron_client_new(&(struct neutron_opts){
			.auth_type = NEUTRON_AUTH_NOAUTH, .endpoint_override = url,
			.project_id = "p", .max_retries = 3, .retry_base_ms = 50,
		}, &c), 0);
	start = util_now_us();
	/* Even a POST is retried: it never reached a server. */
	assert_int_equal(neutron_request(c, "POST", "/v2.0/ports", NULL, NULL, NULL, &err),
			 -ECONNREFUSED);
	took_ms = (util_now_us() - start) / 1000;
	assert_int_equal(stats(c).requests, 4);
	assert_int_equal(stats(c).retries, 3);
	/* Backoff 50, 100, 200 ms with equal jitter: 175..350 ms of sleep. */
	assert_true(took_ms >= 170);
	assert_true(took_ms < 2000);
	assert_int_equal(err.http_status, 0);
	assert_non_null(strstr(err.message, url));
	neutron_client_free(c);
}

static void test_body_cap(void **state)
{
	struct fake *f = fake_start();
	struct neutron_opts o = { .max_retries = 3 };
	struct neutron_client *c = fake_noauth_client(f, &o);
	struct neutron_error err = { 0 };
	json_t *body = NULL;

	SET(f, big_body, NEUTRON_MAX_BODY + 1024);
	assert_int_equal(neutron_request(c, "GET", "/v2.0/ports", NULL, NULL, &body, &err),
			 -EFBIG);
	assert_null(body);
	assert_int_equal(stats(c).requests, 1);
	/* Just under the cap is fine. */
	SET(f, big_body, NEUTRON_MAX_BODY - 16);
	assert_int_equal(neutron_request(c, "GET", "/v2.0/ports", NULL, NULL, &body, &err), 0);
	assert_true(json_is_object(body));
	json_decref(body);
	neutron_client_free(c);
	fake_stop(f);
}

static void test_pagination(void **state)
{
	struct fake *f = fake_start();
	struct neutron_opts o = { 0 };
	struct neutron_client *c = fake_noauth_client(f, &o);
	struct neutron_error err = { 0 };
	const struct neutron_filter filt[] = { { "tags", "a b" } };
	json_t *list = NULL;

	SET(f, paginate, true);
	assert_int_equal(neutron_list(c, "ports", filt, 1, 2, &list, &err), 0);
	assert_int_equal(json_array_size(list), 5);
	for (size_t i = 0; i < 5; i++) {
		char id[8];

		snprintf(id, sizeof(id), "p%zu", i);
		assert_string_equal(json_string_value(json_object_get(json_array_get(list, i), "id")),
				    id);
	}
	/* 2 + 2 + 1 items: three pages, the third not full. */
	assert_int_equal(f->neutron_requests, 3);
	json_decref(list);

	/* A page size that divides the total: the last, empty page ends it. */
	SET(f, neutron_requests, 0);
	assert_int_equal(neutron_list(c, "ports", NULL, 0, 5, &list, &err), 0);
	assert_int_equal(json_array_size(list), 5);
	assert_int_equal(f->neutron_requests, 2);
	json_decref(list);

	/* No page size: one request. */
	SET(f, neutron_requests, 0);
	assert_int_equal(neutron_list(c, "ports", NULL, 0, 0, &list, &err), 0);
	assert_int_equal(json_array_size(list), 5);
	assert_int_equal(f->neutron_requests, 1);
	json_decref(list);

	/* A malformed page is an error, not an empty list. */
	SET(f, paginate, false);
	SET(f, body, "{\"networks\": []}");
	list = NULL;
	assert_int_equal(neutron_list(c, "ports", NULL, 0, 0, &list, &err), -EBADMSG);
	assert_null(list);
	neutron_client_free(c);
	fake_stop(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_retry_503_then_success),
		cmocka_unit_test(test_no_retry_on_4xx),
		cmocka_unit_test(test_delete_404_after_retry),
		cmocka_unit_test(test_odd_success_bodies),
		cmocka_unit_test(test_reauth_once_on_401),
		cmocka_unit_test(test_token_renewed_before_expiry),
		cmocka_unit_test(test_app_credential_and_keystone_errors),
		cmocka_unit_test(test_request_id),
		cmocka_unit_test(test_connection_reuse),
		cmocka_unit_test(test_concurrency_cap),
		cmocka_unit_test(test_timeout_honoured),
		cmocka_unit_test(test_connection_refused),
		cmocka_unit_test(test_body_cap),
		cmocka_unit_test(test_pagination),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

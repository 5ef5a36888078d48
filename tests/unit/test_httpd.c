/* The health and metrics endpoint, fetched with libcurl over loopback. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "metrics/httpd.h"
#include "metrics/metrics.h"

struct fetch {
	long status;
	char content_type[128];
	char allow[64];
	char body[65536];
	size_t len;
};

static size_t on_body(char *p, size_t size, size_t n, void *userdata)
{
	struct fetch *f = userdata;
	size_t len = size * n;

	if (len > sizeof(f->body) - 1 - f->len)
		return 0;
	memcpy(f->body + f->len, p, len);
	f->len += len;
	f->body[f->len] = '\0';
	return len;
}

static size_t on_header(char *p, size_t size, size_t n, void *userdata)
{
	struct fetch *f = userdata;
	size_t len = size * n;

	if (len > 7 && strncasecmp(p, "Allow: ", 7) == 0)
		snprintf(f->allow, sizeof(f->allow), "%.*s", (int)(len - 9), p + 7);
	return len;
}

/* One request; returns the curl result and fills *f. */
static long fetch_timeout_ms = 3000;

static CURLcode fetch_url(const char *url, const char *method, struct fetch *f)
{
	CURL *c = curl_easy_init();
	char *ct = NULL;
	CURLcode rc;

	assert_non_null(c);
	memset(f, 0, sizeof(*f));
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, fetch_timeout_ms);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, f);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, f);
	if (streq(method, "HEAD")) {
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	} else if (streq(method, "POST")) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, "a=1");
	} else if (!streq(method, "GET")) {
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	}
	rc = curl_easy_perform(c);
	if (rc == CURLE_OK) {
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &f->status);
		if (curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct) == CURLE_OK && ct)
			snprintf(f->content_type, sizeof(f->content_type), "%s", ct);
	}
	curl_easy_cleanup(c);
	return rc;
}

static void fetch_ok(uint16_t port, const char *method, const char *path, struct fetch *f)
{
	char url[128];

	snprintf(url, sizeof(url), "http://127.0.0.1:%u%s", port, path);
	assert_int_equal(fetch_url(url, method, f), CURLE_OK);
}

struct fixture {
	struct httpd_readiness readiness;
	struct metrics_registry *reg;
	struct metrics_counter *c;
	struct httpd *d;
	uint16_t port;
};

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	struct httpd_handlers h = { 0 };

	if (!fx || metrics_registry_new(&fx->reg) < 0 ||
	    metrics_counter_new(fx->reg, "sf_test_total", "Test.", (const char *[]){ "k", NULL },
				&fx->c) < 0)
		return -1;
	h.registry = fx->reg;
	h.ready = httpd_readiness_check;
	h.userdata = &fx->readiness;
	if (httpd_start("127.0.0.1:0", &h, &fx->d) < 0)
		return -1;
	fx->port = httpd_port(fx->d);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	httpd_stop(fx->d);
	metrics_registry_free(fx->reg);
	free(fx);
	return 0;
}

static void test_metrics_endpoint(void **state)
{
	struct fixture *fx = *state;
	struct fetch f;
	char *text;
	size_t len;

	assert_true(fx->port != 0);
	assert_int_equal(metrics_counter_add(fx->c, (const char *[]){ "x\"y" }, 7), 0);
	fetch_ok(fx->port, "GET", "/metrics", &f);
	assert_int_equal(f.status, 200);
	assert_string_equal(f.content_type, "text/plain; version=0.0.4; charset=utf-8");
	assert_string_equal(f.body, "# HELP sf_test_total Test.\n"
				    "# TYPE sf_test_total counter\n"
				    "sf_test_total{k=\"x\\\"y\"} 7\n");
	/* Each scrape shows the values of that moment. */
	assert_int_equal(metrics_counter_inc(fx->c, (const char *[]){ "x\"y" }), 0);
	fetch_ok(fx->port, "GET", "/metrics", &f);
	assert_non_null(strstr(f.body, "sf_test_total{k=\"x\\\"y\"} 8\n"));
	assert_int_equal(metrics_registry_render(fx->reg, &text, &len), 0);
	assert_int_equal(f.len, len);
	free(text);

	/* HEAD: same status and type, no body. */
	fetch_ok(fx->port, "HEAD", "/metrics", &f);
	assert_int_equal(f.status, 200);
	assert_string_equal(f.content_type, "text/plain; version=0.0.4; charset=utf-8");
	assert_int_equal(f.len, 0);
}

static void test_health_and_ready(void **state)
{
	struct fixture *fx = *state;
	struct fetch f;

	fetch_ok(fx->port, "GET", "/healthz", &f);
	assert_int_equal(f.status, 200);
	assert_string_equal(f.body, "ok\n");

	fetch_ok(fx->port, "GET", "/readyz", &f);
	assert_int_equal(f.status, 503);
	assert_string_equal(f.body, "not ready: pools not loaded, Neutron not reached yet\n");
	/* Liveness does not depend on readiness. */
	fetch_ok(fx->port, "GET", "/healthz", &f);
	assert_int_equal(f.status, 200);

	atomic_store(&fx->readiness.neutron_reached, true);
	fetch_ok(fx->port, "GET", "/readyz", &f);
	assert_int_equal(f.status, 503);
	assert_string_equal(f.body, "not ready: pools not loaded\n");
	atomic_store(&fx->readiness.neutron_reached, false);
	atomic_store(&fx->readiness.pools_loaded, true);
	fetch_ok(fx->port, "GET", "/readyz", &f);
	assert_int_equal(f.status, 503);
	assert_string_equal(f.body, "not ready: Neutron not reached yet\n");

	atomic_store(&fx->readiness.neutron_reached, true);
	fetch_ok(fx->port, "GET", "/readyz", &f);
	assert_int_equal(f.status, 200);
	assert_string_equal(f.body, "ready\n");
}

static void test_not_found_and_methods(void **state)
{
	struct fixture *fx = *state;
	const char *paths[] = { "/", "/metric", "/metrics/", "/healthz/x", "/READYZ" };
	const char *methods[] = { "POST", "PUT", "DELETE", "OPTIONS" };
	struct fetch f;

	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		fetch_ok(fx->port, "GET", paths[i], &f);
		assert_int_equal(f.status, 404);
	}
	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		fetch_ok(fx->port, methods[i], "/metrics", &f);
		assert_int_equal(f.status, 405);
		assert_string_equal(f.allow, "GET, HEAD");
	}
	/* A query string does not change the route. */
	fetch_ok(fx->port, "GET", "/healthz?verbose=1", &f);
	assert_int_equal(f.status, 200);
}

/* Every descriptor the server opened (listening socket, epoll, eventfd, the
 * accepted connection) must be close-on-exec, or it leaks into every
 * process the daemon runs. */
static void test_fds_cloexec(void **state)
{
	static const char req[] = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
	struct sockaddr_in sin = { .sin_family = AF_INET };
	bool before[1024] = { false };
	struct metrics_registry *reg;
	struct httpd_handlers h = { 0 };
	struct httpd *d;
	struct dirent *de;
	char buf[512];
	int client, n_new = 0;
	DIR *dir;

	dir = opendir("/proc/self/fd");
	assert_non_null(dir);
	while ((de = readdir(dir)))
		if (atoi(de->d_name) < 1024 && atoi(de->d_name) != dirfd(dir))
			before[atoi(de->d_name)] = true;
	closedir(dir);

	assert_int_equal(metrics_registry_new(&reg), 0);
	h.registry = reg;
	assert_int_equal(httpd_start("127.0.0.1:0", &h, &d), 0);
	/* A raw connection, kept open, so that the server holds an accepted
	 * socket while we look. */
	client = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(client >= 0);
	sin.sin_port = htons(httpd_port(d));
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(client, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(write(client, req, sizeof(req) - 1), (ssize_t)(sizeof(req) - 1));
	assert_true(read(client, buf, sizeof(buf)) > 0);

	dir = opendir("/proc/self/fd");
	assert_non_null(dir);
	while ((de = readdir(dir))) {
		int fd = atoi(de->d_name);

		if (de->d_name[0] == '.' || fd == dirfd(dir) || (fd < 1024 && before[fd]))
			continue;
		assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
		n_new++;
	}
	closedir(dir);
	/* At least the client, the listening and the accepted socket, and
	 * with epoll, its fd and the eventfd that wakes it. */
	assert_true(n_new >= 3);
	close(client);
	httpd_stop(d);
	metrics_registry_free(reg);
}

static void test_addresses(void **state)
{
	const char *bad[] = { "", "127.0.0.1", "127.0.0.1:", "127.0.0.1:70000", "127.0.0.1:8o",
			      "localhost:9777", "[::1]9777", "::1:9777", "[::1:9777", "127.0.0.1:-1",
			      "1.2.3:80" };
	struct httpd_handlers h = { 0 };
	struct sockaddr_storage ss;
	struct httpd *d = NULL;
	socklen_t len;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(httpd_address_parse(bad[i], true, &ss, &len), -EINVAL);
	assert_int_equal(httpd_address_parse("127.0.0.1:9777", false, &ss, &len), 0);
	assert_int_equal(ss.ss_family, AF_INET);
	assert_int_equal(ntohs(((struct sockaddr_in *)&ss)->sin_port), 9777);
	assert_int_equal(httpd_address_parse("127.8.9.10:0", false, &ss, &len), 0);
	assert_int_equal(httpd_address_parse("[::1]:9777", false, &ss, &len), 0);
	assert_int_equal(ss.ss_family, AF_INET6);
	assert_int_equal(len, sizeof(struct sockaddr_in6));

	/* Not loopback: refused unless asked for. */
	assert_int_equal(httpd_address_parse("0.0.0.0:9777", false, &ss, &len), -EPERM);
	assert_int_equal(httpd_address_parse("[::]:9777", false, &ss, &len), -EPERM);
	assert_int_equal(httpd_address_parse("198.18.0.1:9777", false, &ss, &len), -EPERM);
	assert_int_equal(httpd_address_parse("198.18.0.1:9777", true, &ss, &len), 0);
	assert_int_equal(httpd_start("0.0.0.0:0", &h, &d), -EPERM);
	assert_int_equal(httpd_start("198.18.0.1:0", &h, &d), -EPERM);
	assert_null(d);
	/* With the flag, the policy lets it through and bind has its say:
	 * 192.0.2.1 (TEST-NET-1) is on no interface of this host. */
	h.allow_remote = true;
	assert_int_equal(httpd_start("192.0.2.1:0", &h, &d), -EADDRNOTAVAIL);
	assert_null(d);
}

static void test_port_in_use_and_stop(void **state)
{
	struct httpd_handlers h = { 0 };
	struct httpd *a = NULL, *b = NULL;
	char addr[32], url[64];
	struct fetch f;

	assert_int_equal(httpd_start("127.0.0.1:0", &h, &a), 0);
	snprintf(addr, sizeof(addr), "127.0.0.1:%u", httpd_port(a));
	assert_int_equal(httpd_start(addr, &h, &b), -EADDRINUSE);
	assert_null(b);
	/* No registry: /metrics is not served, health still is. */
	snprintf(url, sizeof(url), "http://%s/metrics", addr);
	assert_int_equal(fetch_url(url, "GET", &f), CURLE_OK);
	assert_int_equal(f.status, 404);
	snprintf(url, sizeof(url), "http://%s/readyz", addr);
	assert_int_equal(fetch_url(url, "GET", &f), CURLE_OK);
	assert_int_equal(f.status, 200);

	/* After stop the port is closed, and free for the next start. */
	httpd_stop(a);
	assert_int_equal(fetch_url(url, "GET", &f), CURLE_COULDNT_CONNECT);
	assert_int_equal(httpd_start(addr, &h, &b), 0);
	httpd_stop(b);
	httpd_stop(NULL);
}

static void test_ipv6_loopback(void **state)
{
	struct httpd_handlers h = { 0 };
	struct httpd *d = NULL;
	char url[64];
	struct fetch f;
	int r;

	r = httpd_start("[::1]:0", &h, &d);
	if (r == -EADDRNOTAVAIL || r == -EAFNOSUPPORT) {
		skip(); /* no IPv6 on this host's loopback */
		return;
	}
	assert_int_equal(r, 0);
	snprintf(url, sizeof(url), "http://[::1]:%u/healthz", httpd_port(d));
	assert_int_equal(fetch_url(url, "GET", &f), CURLE_OK);
	assert_int_equal(f.status, 200);
	httpd_stop(d);
}

/* Beyond the limit the server takes no more requests until connections go
 * away: a flood of idle clients cannot pile up. */
static void test_connection_limit(void **state)
{
	struct fixture *fx = *state;
	int fds[HTTPD_CONNECTION_LIMIT];
	struct sockaddr_in sin = { .sin_family = AF_INET };
	char url[64];
	struct fetch f;

	sin.sin_port = htons(fx->port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	for (int i = 0; i < HTTPD_CONNECTION_LIMIT; i++) {
		fds[i] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		assert_true(fds[i] >= 0);
		assert_int_equal(connect(fds[i], (struct sockaddr *)&sin, sizeof(sin)), 0);
	}
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/healthz", fx->port);
	fetch_timeout_ms = 500;
	assert_int_equal(fetch_url(url, "GET", &f), CURLE_OPERATION_TIMEDOUT);
	fetch_timeout_ms = 3000;
	for (int i = 0; i < HTTPD_CONNECTION_LIMIT; i++)
		close(fds[i]);
	/* MHD notices the closed sockets on its next poll. */
	for (int i = 0; i < 50 && fetch_url(url, "GET", &f) != CURLE_OK; i++)
		usleep(100 * 1000);
	assert_int_equal(f.status, 200);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_metrics_endpoint, setup, teardown),
		cmocka_unit_test_setup_teardown(test_health_and_ready, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_found_and_methods, setup, teardown),
		cmocka_unit_test_setup_teardown(test_connection_limit, setup, teardown),
		cmocka_unit_test(test_fds_cloexec),
		cmocka_unit_test(test_addresses),
		cmocka_unit_test(test_port_in_use_and_stop),
		cmocka_unit_test(test_ipv6_loopback),
	};
	int r;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	r = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return r;
}

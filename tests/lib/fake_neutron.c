/* The in-process Keystone and scripted Neutron (fake_neutron.h); the
 * model's answers are fake_model.c's. */
#include "fake_neutron.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "fake_model.h"
#include "neutron/internal.h"

struct upload {
	char buf[65536];
	size_t len;
};

static void now_iso(char *buf, size_t size, int offset_s)
{
	time_t t = time(NULL) + offset_s;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, size, "%Y-%m-%dT%H:%M:%S.000000Z", &tm);
}

/* An answer with one more header `name: value` (none when value is NULL). */
static enum MHD_Result reply_with(struct MHD_Connection *conn, unsigned status,
				  const char *body, size_t len, const char *name,
				  const char *value)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
	MHD_add_response_header(r, "Content-Type", "application/json");
	if (value)
		MHD_add_response_header(r, name, value);
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status,
				    const char *body, size_t len, const char *subject_token)
{
	return reply_with(conn, status, body, len, "X-Subject-Token", subject_token);
}

static enum MHD_Result keystone(struct fake *f, struct MHD_Connection *conn,
				const struct upload *up)
{
	char body[2048], token[32], issued[40], expires[40];
	int n, lifetime;

	pthread_mutex_lock(&f->lock);
	snprintf(f->last_auth_body, sizeof(f->last_auth_body), "%.*s", (int)up->len, up->buf);
	if (f->keystone_refuses) {
		pthread_mutex_unlock(&f->lock);
		snprintf(body, sizeof(body), "{\"error\": {\"code\": 401, \"title\": "
			 "\"Unauthorized\", \"message\": \"The request you have made requires "
			 "authentication.\"}}");
		return reply(conn, 401, body, strlen(body), NULL);
	}
	n = ++f->tokens_issued;
	lifetime = f->token_lifetime_s ? f->token_lifetime_s : 3600;
	pthread_mutex_unlock(&f->lock);

	snprintf(token, sizeof(token), "tok-%d", n);
	now_iso(issued, sizeof(issued), 0);
	now_iso(expires, sizeof(expires), lifetime);
	snprintf(body, sizeof(body),
		 "{\"token\": {\"issued_at\": \"%s\", \"expires_at\": \"%s\","
		 " \"project\": {\"id\": \"proj-1\"},"
		 " \"catalog\": [{\"type\": \"network\", \"endpoints\": ["
		 "  {\"interface\": \"internal\", \"region_id\": \"RegionOne\","
		 "   \"url\": \"http://127.0.0.1:1/\"},"
		 "  {\"interface\": \"public\", \"region_id\": \"RegionOne\","
		 "   \"url\": \"http://127.0.0.1:%u/\"}]}]}}",
		 issued, expires, f->port);
	return reply(conn, 201, body, strlen(body), token);
}

static enum MHD_Result ports_page(struct fake *f, struct MHD_Connection *conn)
{
	const char *limit_s = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "limit");
	const char *marker = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "marker");
	int limit = limit_s ? atoi(limit_s) : 100, start = 0, n = 0;
	char body[2048];
	size_t len;

	if (marker)
		start = atoi(marker + 1) + 1;      /* markers are "p<i>" */
	len = (size_t)snprintf(body, sizeof(body), "{\"ports\": [");
	for (int i = start; i < 5 && n < limit; i++, n++)
		len += (size_t)snprintf(body + len, sizeof(body) - len, "%s{\"id\": \"p%d\"}",
					n ? ", " : "", i);
	len += (size_t)snprintf(body + len, sizeof(body) - len, "]");
	/* Like Neutron: a full page links to the next one, even if empty.
	 * The href names another host: the client must keep only the path. */
	if (limit_s && n == limit)
		len += (size_t)snprintf(body + len, sizeof(body) - len,
					", \"ports_links\": [{\"rel\": \"next\", \"href\": "
					"\"http://neutron.invalid:9696/v2.0/ports?limit=%d&marker=p%d\"}]",
					limit, start + n - 1);
	len += (size_t)snprintf(body + len, sizeof(body) - len, "}");
	return reply(conn, 200, body, len, NULL);
}

static enum MHD_Result neutron(struct fake *f, struct MHD_Connection *conn,
				      const char *method, const char *url,
				      const struct upload *up)
{
	const char *tok = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Auth-Token");
	const char *im = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "If-Match");
	const char *rid = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Openstack-Request-Id");
	const char *pid = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Project-Id");
	const char *roles = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Roles");
	static const char unauth[] = "{\"error\": {\"code\": 401, \"title\": \"Unauthorized\", "
		"\"message\": \"The request you have made requires authentication.\"}}";
	enum MHD_Result ret;
	bool refuse = false, paginate, model;
	const char *body, *retry_after;
	size_t big_body;
	long hold;
	int status;

	pthread_mutex_lock(&f->lock);
	f->neutron_requests++;
	if (++f->in_flight > f->max_in_flight)
		f->max_in_flight = f->in_flight;
	snprintf(f->last_method, sizeof(f->last_method), "%s", method);
	snprintf(f->last_url, sizeof(f->last_url), "%s", url);
	snprintf(f->last_if_match, sizeof(f->last_if_match), "%s", im ? im : "");
	snprintf(f->last_request_id, sizeof(f->last_request_id), "%s", rid ? rid : "");
	snprintf(f->last_project, sizeof(f->last_project), "%s", pid ? pid : "");
	snprintf(f->last_roles, sizeof(f->last_roles), "%s", roles ? roles : "");
	snprintf(f->last_body, sizeof(f->last_body), "%.*s", (int)up->len, up->buf);
	if (f->tokens_issued > 0 &&
	    (f->always_401 || !tok || strncmp(tok, "tok-", 4) != 0 || atoi(tok + 4) <= f->revoked_upto))
		refuse = true;
	status = f->n_statuses ? f->statuses[f->next < f->n_statuses ? f->next : f->n_statuses - 1]
			       : 200;
	if (!refuse)
		f->next++;
	hold = f->hold_ms;
	big_body = f->big_body;
	paginate = f->paginate;
	model = f->model != NULL;
	body = f->body;
	retry_after = status >= 300 ? f->retry_after : NULL;
	pthread_mutex_unlock(&f->lock);

	if (hold > 0)
		usleep((useconds_t)hold * 1000);

	if (refuse) {
		ret = reply(conn, 401, unauth, strlen(unauth), NULL);
	} else if (model && status < 300) {
		ret = fake_model_answer(f, conn, method, url, up->buf, up->len);
	} else if (big_body) {
		char *big = malloc(big_body);

		memset(big, ' ', big_body);
		big[0] = '{';
		big[big_body - 1] = '}';
		ret = reply(conn, 200, big, big_body, NULL);
		free(big);
	} else if (paginate && strcmp(url, "/v2.0/ports") == 0) {
		ret = ports_page(f, conn);
	} else if (status == 204) {
		ret = reply(conn, 204, "", 0, NULL);
	} else {
		const char *b = body ? body : "{}";

		if (status == 404 && !body)
			b = "{\"NeutronError\": {\"type\": \"PortNotFound\", \"message\": "
			    "\"Port x could not be found.\", \"detail\": \"\"}}";
		ret = reply_with(conn, (unsigned)status, b, strlen(b), "Retry-After", retry_after);
	}

	pthread_mutex_lock(&f->lock);
	f->in_flight--;
	pthread_mutex_unlock(&f->lock);
	return ret;
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *conn, const char *url,
			       const char *method, const char *version, const char *upload_data,
			       size_t *upload_data_size, void **con_cls)
{
	struct fake *f = cls;
	struct upload *up = *con_cls;

	if (!up) {
		up = calloc(1, sizeof(*up));
		*con_cls = up;
		return MHD_YES;
	}
	if (*upload_data_size) {
		size_t n = *upload_data_size;

		if (n > sizeof(up->buf) - 1 - up->len)
			n = sizeof(up->buf) - 1 - up->len;
		memcpy(up->buf + up->len, upload_data, n);
		up->len += n;
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (strcmp(url, "/v3/auth/tokens") == 0 && strcmp(method, "POST") == 0)
		return keystone(f, conn, up);
	return neutron(f, conn, method, url, up);
}

static void completed(void *cls, struct MHD_Connection *conn, void **con_cls,
		      enum MHD_RequestTerminationCode toe)
{
	free(*con_cls);
	*con_cls = NULL;
}

static void notify_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
			      enum MHD_ConnectionNotificationCode toe)
{
	struct fake *f = cls;

	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		pthread_mutex_lock(&f->lock);
		f->connections++;
		pthread_mutex_unlock(&f->lock);
	}
}

struct fake *fake_start(void)
{
	struct fake *f = calloc(1, sizeof(*f));
	struct sockaddr_in sa = { .sin_family = AF_INET };
	const union MHD_DaemonInfo *info;

	assert_non_null(f);
	pthread_mutex_init(&f->lock, NULL);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	f->d = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD,
				0, NULL, NULL, handler, f,
				MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
				MHD_OPTION_NOTIFY_COMPLETED, completed, f,
				MHD_OPTION_NOTIFY_CONNECTION, notify_connection, f,
				MHD_OPTION_END);
	assert_non_null(f->d);
	info = MHD_get_daemon_info(f->d, MHD_DAEMON_INFO_BIND_PORT);
	assert_non_null(info);
	f->port = info->port;
	return f;
}

void fake_stop(struct fake *f)
{
	MHD_stop_daemon(f->d);
	pthread_mutex_destroy(&f->lock);
	json_decref(f->model);
	free(f);
}

void fake_script(struct fake *f, size_t n, const int *statuses)
{
	pthread_mutex_lock(&f->lock);
	memcpy(f->statuses, statuses, n * sizeof(*statuses));
	f->n_statuses = n;
	f->next = 0;
	pthread_mutex_unlock(&f->lock);
}

struct neutron_client *fake_noauth_client(struct fake *f, struct neutron_opts *o)
{
	struct neutron_client *c = NULL;
	char url[64];

	snprintf(url, sizeof(url), "http://127.0.0.1:%u/", f->port);
	o->auth_type = NEUTRON_AUTH_NOAUTH;
	o->endpoint_override = url;
	o->project_id = "proj-noauth";
	if (!o->retry_base_ms)
		o->retry_base_ms = 10;
	assert_int_equal(neutron_client_new(o, &c), 0);
	return c;
}

struct neutron_client *fake_password_client(struct fake *f, struct neutron_opts *o)
{
	struct neutron_client *c = NULL;
	char url[64];

	snprintf(url, sizeof(url), "http://127.0.0.1:%u", f->port);
	o->auth_type = NEUTRON_AUTH_PASSWORD;
	o->auth_url = url;
	o->username = "demo";
	o->password = FAKE_PASSWORD;
	o->project_name = "demo";
	o->retry_base_ms = 10;
	assert_int_equal(neutron_client_new(o, &c), 0);
	return c;
}

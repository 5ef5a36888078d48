#include "metrics/httpd.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "common/log.h"

struct httpd {
	struct MHD_Daemon *mhd;
	struct httpd_handlers h;
	uint16_t port;
};

static int parse_port(const char *s, uint16_t *ret)
{
	unsigned long v = 0;

	if (!*s || strlen(s) > 5)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		v = v * 10 + (unsigned long)(*s - '0');
	}
	if (v > 65535)
		return -EINVAL;
	*ret = (uint16_t)v;
	return 0;
}

static bool is_loopback(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;

		return (ntohl(sin->sin_addr.s_addr) >> 24) == 127;
	}
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;

		return IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr) ||
		       (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr) && sin6->sin6_addr.s6_addr[12] == 127);
	}
	return false;
}

int httpd_address_parse(const char *address, bool allow_remote, struct sockaddr_storage *ret,
			socklen_t *ret_len)
{
	struct sockaddr_storage ss = { 0 };
	char host[INET6_ADDRSTRLEN + 1];
	const char *colon, *port_str;
	size_t host_len;
	socklen_t len;
	uint16_t port;
	int r;

	if (!address)
		return -EINVAL;
	if (address[0] == '[') {
		const char *close = strchr(address, ']');

		if (!close || close[1] != ':')
			return -EINVAL;
		host_len = (size_t)(close - address - 1);
		if (host_len >= sizeof(host))
			return -EINVAL;
		memcpy(host, address + 1, host_len);
		port_str = close + 2;
	} else {
		colon = strrchr(address, ':');
		if (!colon)
			return -EINVAL;
		host_len = (size_t)(colon - address);
		if (host_len >= sizeof(host))
			return -EINVAL;
		memcpy(host, address, host_len);
		port_str = colon + 1;
	}
	host[host_len] = '\0';
	r = parse_port(port_str, &port);
	if (r < 0)
		return r;

	if (address[0] == '[') {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		if (inet_pton(AF_INET6, host, &sin6->sin6_addr) != 1)
			return -EINVAL;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		len = sizeof(*sin6);
	} else {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		if (inet_pton(AF_INET, host, &sin->sin_addr) != 1)
			return -EINVAL;
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		len = sizeof(*sin);
	}
	if (!allow_remote && !is_loopback(&ss))
		return -EPERM;
	*ret = ss;
	*ret_len = len;
	return 0;
}

bool httpd_readiness_check(void *userdata, char *reason, size_t reason_size)
{
	struct httpd_readiness *rd = userdata;
	bool pools = atomic_load(&rd->pools_loaded);
	bool neutron = atomic_load(&rd->neutron_reached);
	bool store = !atomic_load(&rd->store_failing);

	if (pools && neutron && store)
		return true;
	snprintf(reason, reason_size, "%s%s%s%s%s", pools ? "" : "pools not loaded",
		 !pools && !neutron ? ", " : "", neutron ? "" : "Neutron not reached yet",
		 (!pools || !neutron) && !store ? ", " : "",
		 store ? "" : "the state database cannot be written");
	return false;
}

/* libmicrohttpd reports why a connection failed or a start went wrong; that
 * is debug detail for library code (httpd_start's return says what failed). */
__attribute__((format(printf, 2, 0)))
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char buf[256];
	size_t n;

	if (log_get_level() < LOG_LEVEL_DEBUG)
		return;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	n = strlen(buf);
	if (n && buf[n - 1] == '\n')
		buf[n - 1] = '\0';
	log_debug("httpd: %s", buf);
}

/* Queues a response and drops our reference; MHD keeps its own. */
static enum MHD_Result reply(struct MHD_Connection *conn, unsigned int status,
			     struct MHD_Response *resp, const char *content_type)
{
	enum MHD_Result ret;

	if (!resp)
		return MHD_NO;
	if (content_type &&
	    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type) != MHD_YES) {
		MHD_destroy_response(resp);
		return MHD_NO;
	}
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED &&
	    MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "GET, HEAD") != MHD_YES) {
		MHD_destroy_response(resp);
		return MHD_NO;
	}
	ret = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result reply_static(struct MHD_Connection *conn, unsigned int status,
				    const char *body)
{
	return reply(conn, status,
		     MHD_create_response_from_buffer(strlen(body), (void *)body,
						     MHD_RESPMEM_PERSISTENT),
		     "text/plain; charset=utf-8");
}

static enum MHD_Result serve_metrics(struct httpd *d, struct MHD_Connection *conn)
{
	struct MHD_Response *resp;
	char *text = NULL;
	size_t len = 0;

	if (metrics_registry_render(d->h.registry, &text, &len) < 0)
		return reply_static(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "rendering metrics failed\n");
	/* MHD_RESPMEM_MUST_FREE: the response owns `text` from here on. */
	resp = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
	if (!resp)
		free(text);
	return reply(conn, MHD_HTTP_OK, resp, METRICS_CONTENT_TYPE);
}

static enum MHD_Result serve_ready(struct httpd *d, struct MHD_Connection *conn)
{
	char reason[256] = "";
	char body[300];
	int n;

	if (!d->h.ready || d->h.ready(d->h.userdata, reason, sizeof(reason)))
		return reply_static(conn, MHD_HTTP_OK, "ready\n");
	reason[sizeof(reason) - 1] = '\0';
	n = snprintf(body, sizeof(body), "not ready: %s\n", reason[0] ? reason : "unknown");
	if (n < 0)
		return MHD_NO;
	return reply(conn, MHD_HTTP_SERVICE_UNAVAILABLE,
		     MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_COPY),
		     "text/plain; charset=utf-8");
}

/* Called once the request's headers are in.  Every answer is queued on that
 * first call: no route takes a body, and MHD discards an unread one. */
static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
			      const char *method, const char *version, const char *upload_data,
			      size_t *upload_data_size, void **con_cls)
{
	struct httpd *d = cls;

	if (!streq(method, MHD_HTTP_METHOD_GET) && !streq(method, MHD_HTTP_METHOD_HEAD))
		return reply_static(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed\n");
	if (streq(url, "/healthz"))
		return reply_static(conn, MHD_HTTP_OK, "ok\n");
	if (streq(url, "/readyz"))
		return serve_ready(d, conn);
	if (streq(url, "/metrics") && d->h.registry)
		return serve_metrics(d, conn);
	return reply_static(conn, MHD_HTTP_NOT_FOUND, "not found\n");
}

/* MHD_start_daemon only says NULL when it fails.  Binding a throwaway
 * socket first turns the common failures (address in use, address not on
 * this host) into their errno. */
static int probe_bind(const struct sockaddr_storage *ss, socklen_t len)
{
	int one = 1, fd, r = 0;

	fd = socket(ss->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* The same options MHD sets, so that the probe fails exactly when
	 * MHD's own bind would. */
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ss->ss_family == AF_INET6)
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)ss, len) < 0)
		r = -errno;
	close(fd);
	return r;
}

int httpd_start(const char *address, const struct httpd_handlers *h, struct httpd **ret)
{
	struct sockaddr_storage ss;
	const union MHD_DaemonInfo *info;
	struct httpd *d = NULL;
	unsigned int flags;
	socklen_t len;
	int r;

	if (!h)
		return -EINVAL;
	r = httpd_address_parse(address, h->allow_remote, &ss, &len);
	if (r < 0)
		return r;
	r = probe_bind(&ss, len);
	if (r < 0)
		return r;

	d = xcalloc(1, sizeof(*d));
	d->h = *h;
	flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_USE_ERROR_LOG;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	/* MHD makes its listening socket, accepted sockets (accept4), epoll fd
	 * and eventfd close-on-exec itself; test_httpd checks it. */
	d->mhd = MHD_start_daemon(flags, 0, NULL, NULL, handle, d,
				  MHD_OPTION_SOCK_ADDR, (const struct sockaddr *)&ss,
				  MHD_OPTION_CONNECTION_LIMIT, (unsigned int)HTTPD_CONNECTION_LIMIT,
				  MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)HTTPD_CONNECTION_TIMEOUT_S,
				  MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned int)16,
				  MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
				  MHD_OPTION_END);
	if (!d->mhd) {
		r = -EIO;
		goto out;
	}
	info = MHD_get_daemon_info(d->mhd, MHD_DAEMON_INFO_BIND_PORT);
	if (!info || info->port == 0) {
		r = -EIO;
		goto out;
	}
	d->port = info->port;
out:
	if (r < 0) {
		httpd_stop(d);
		return r;
	}
	*ret = d;
	return 0;
}

void httpd_stop(struct httpd *d)
{
	if (!d)
		return;
	if (d->mhd)
		MHD_stop_daemon(d->mhd);
	free(d);
}

uint16_t httpd_port(const struct httpd *d)
{
	return d ? d->port : 0;
}

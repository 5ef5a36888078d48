/* The readiness check, TCP or HTTP, from inside the instance's namespace. */
#include "service/probe.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "netns/netns.h"

struct sock_job {
	int family;
	int fd;        /* out */
};

/* Runs in the namespace: the socket belongs to it from birth. */
static int open_in_ns(void *arg)
{
	struct sock_job *j = arg;
	int fd = socket(j->family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	if (fd < 0)
		return -errno;
	j->fd = fd;
	return 0;
}

static int ns_socket(int netns_fd, int family, int *ret_fd)
{
	struct sock_job j = { .family = family, .fd = -1 };
	int r = netns_run(netns_fd, open_in_ns, &j);

	if (r < 0)
		return r;
	*ret_fd = j.fd;
	return 0;
}

static socklen_t make_sockaddr(int family, const union nl_ip *ip, uint16_t port,
			       struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		sin->sin_addr = ip->v4;
		return sizeof(*sin);
	}
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons(port);
	sin6->sin6_addr = ip->v6;
	return sizeof(*sin6);
}

static int probe_tcp(int netns_fd, int family, const union nl_ip *ip, uint16_t port,
		     unsigned timeout_ms, char *why, size_t why_size)
{
	struct sockaddr_storage ss;
	socklen_t sl = make_sockaddr(family, ip, port, &ss);
	struct pollfd pfd;
	int fd = -1, err = 0, r;
	socklen_t el = sizeof(err);

	r = ns_socket(netns_fd, family, &fd);
	if (r < 0) {
		snprintf(why, why_size, "socket in the instance's namespace: %s", strerror(-r));
		return r;
	}
	if (connect(fd, (struct sockaddr *)&ss, sl) < 0 && errno != EINPROGRESS) {
		r = -errno;
		goto out;
	}
	pfd = (struct pollfd){ .fd = fd, .events = POLLOUT };
	r = poll(&pfd, 1, (int)timeout_ms);
	if (r < 0) {
		r = -errno;
		goto out;
	}
	if (r == 0) {
		r = -ETIMEDOUT;
		goto out;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0)
		r = -errno;
	else
		r = err ? -err : 0;
out:
	if (r < 0)
		snprintf(why, why_size, "tcp connect to port %u: %s", port, strerror(-r));
	close(fd);
	return r;
}

struct curl_ctx {
	int netns_fd;
	int open_err;
};

static curl_socket_t curl_open_cb(void *userdata, curlsocktype purpose,
				  struct curl_sockaddr *address)
{
	struct curl_ctx *ctx = userdata;
	int fd = -1, r;

	if (purpose != CURLSOCKTYPE_IPCXN)
		return CURL_SOCKET_BAD;
	r = ns_socket(ctx->netns_fd, address->family, &fd);
	if (r < 0) {
		ctx->open_err = r;
		return CURL_SOCKET_BAD;
	}
	return fd;
}

static size_t curl_discard(char *ptr, size_t size, size_t n, void *userdata)
{
	return size * n;
}

static int probe_http(int netns_fd, int family, const union nl_ip *ip,
		      const struct service_check *c, unsigned timeout_ms, char *why,
		      size_t why_size)
{
	struct curl_ctx ctx = { .netns_fd = netns_fd };
	char addr[INET6_ADDRSTRLEN], url[INET6_ADDRSTRLEN + SERVICE_PATH_MAX + 16];
	long code = 0;
	CURLcode cc;
	CURL *h;
	int r;

	if (!inet_ntop(family, ip, addr, sizeof(addr)))
		return -EINVAL;
	snprintf(url, sizeof(url), family == AF_INET6 ? "http://[%s]:%u%s" : "http://%s:%u%s",
		 addr, c->port, c->path);
	h = curl_easy_init();
	if (!h) {
		snprintf(why, why_size, "no memory for the HTTP check");
		return -ENOMEM;
	}
	if (curl_easy_setopt(h, CURLOPT_URL, url) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_OPENSOCKETFUNCTION, curl_open_cb) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_OPENSOCKETDATA, &ctx) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, curl_discard) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)timeout_ms) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_PROXY, "") != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_FORBID_REUSE, 1L) != CURLE_OK) {
		r = -ENOMEM;
		snprintf(why, why_size, "setting up the HTTP check failed");
		goto out;
	}
	cc = curl_easy_perform(h);
	if (cc != CURLE_OK) {
		r = ctx.open_err ? ctx.open_err
		    : cc == CURLE_OPERATION_TIMEDOUT ? -ETIMEDOUT : -ECONNREFUSED;
		snprintf(why, why_size, "GET %s: %s", url, curl_easy_strerror(cc));
		goto out;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	if (code < 200 || code >= 400) {
		r = -EAGAIN;
		snprintf(why, why_size, "GET %s: HTTP %ld", url, code);
		goto out;
	}
	r = 0;
out:
	curl_easy_cleanup(h);
	return r;
}

int service_probe_once(int netns_fd, const struct service_check *c, int family,
		       const union nl_ip *ip, unsigned timeout_ms, char *why, size_t why_size)
{
	char scratch[8];

	if (!why || !why_size) {
		why = scratch;
		why_size = sizeof(scratch);
	}
	why[0] = '\0';
	if (family != AF_INET && family != AF_INET6)
		return -EAFNOSUPPORT;
	if (c->kind == SERVICE_CHECK_TCP)
		return probe_tcp(netns_fd, family, ip, c->port, timeout_ms, why, why_size);
	return probe_http(netns_fd, family, ip, c, timeout_ms, why, why_size);
}

int service_probe_until(int netns_fd, const struct service_check *c, int family,
			const union nl_ip *ip, unsigned total_ms, unsigned interval_ms,
			unsigned *ret_waited_ms, char *why, size_t why_size)
{
	uint64_t start = util_now_ms(), now;
	int r;

	for (;;) {
		uint64_t left;
		unsigned attempt;

		now = util_now_ms();
		left = start + total_ms > now ? start + total_ms - now : 0;
		attempt = left < 1000 ? (unsigned)left : 1000;
		r = service_probe_once(netns_fd, c, family, ip, attempt ? attempt : 1, why,
				       why_size);
		now = util_now_ms();
		if (r == 0 || r == -EAFNOSUPPORT || r == -ENOMEM)
			break;
		if (now + interval_ms >= start + total_ms) {
			r = -ETIMEDOUT;
			break;
		}
		util_sleep_ms(interval_ms);
	}
	if (r == 0 && ret_waited_ms)
		*ret_waited_ms = (unsigned)(now - start);
	return r;
}

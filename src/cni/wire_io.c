/* Unix socket I/O for the wire protocol, with deadlines. */
#include "cni/wire.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* Waits for `events` on fd until the deadline. */
static int wait_fd(int fd, short events, uint64_t deadline_ms)
{
	struct pollfd p = { .fd = fd, .events = events };
	uint64_t now;
	int r;

	for (;;) {
		now = util_now_ms();
		if (now >= deadline_ms)
			return -ETIMEDOUT;
		r = poll(&p, 1, (int)(deadline_ms - now > INT32_MAX ? INT32_MAX : deadline_ms - now));
		if (r > 0)
			return 0;
		if (r < 0 && errno != EINTR)
			return -errno;
	}
}

int wire_connect(const char *path, uint64_t deadline_ms, int *ret_fd)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	socklen_t len = sizeof(int);
	int fd = -1, r, soerr = 0;

	if (util_strlcpy(sa.sun_path, path, sizeof(sa.sun_path)) < 0)
		return -ENAMETOOLONG;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	for (;;) {
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
			r = 0;
			break;
		}
		r = -errno;
		if (r == -EINTR)
			continue;
		/* A unix socket whose backlog is full answers EAGAIN and offers
		 * nothing to poll on: retry a little later. */
		if (r == -EAGAIN) {
			if (util_now_ms() >= deadline_ms) {
				r = -ETIMEDOUT;
				goto out;
			}
			util_sleep_ms(10);
			continue;
		}
		if (r != -EINPROGRESS)
			goto out;
		r = wait_fd(fd, POLLOUT, deadline_ms);
		if (r < 0)
			goto out;
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0) {
			r = -errno;
			goto out;
		}
		r = -soerr;
		break;
	}
	if (r < 0)
		goto out;
	*ret_fd = fd;
	fd = -1;
out:
	if (fd >= 0)
		close(fd);
	return r;
}

int wire_send_all(int fd, const void *buf, size_t len, uint64_t deadline_ms)
{
	const char *p = buf;
	ssize_t n;
	int r;

	while (len > 0) {
		n = send(fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n >= 0) {
			p += n;
			len -= (size_t)n;
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return -errno;
		r = wait_fd(fd, POLLOUT, deadline_ms);
		if (r < 0)
			return r;
	}
	return 0;
}

int wire_recv_all(int fd, size_t max, uint64_t deadline_ms, char **ret, size_t *ret_len)
{
	size_t cap = 16384, len = 0;
	char *buf = NULL, *nb;
	ssize_t n;
	int r;

	buf = malloc(cap);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		/* Room for max + 1 bytes and the NUL, to tell "too big". */
		if (len + 1 >= cap) {
			cap = cap * 2 > max + 2 ? max + 2 : cap * 2;
			nb = realloc(buf, cap);
			if (!nb) {
				r = -ENOMEM;
				goto out;
			}
			buf = nb;
		}
		n = recv(fd, buf + len, cap - len - 1, MSG_DONTWAIT);
		if (n == 0)
			break;
		if (n > 0) {
			len += (size_t)n;
			if (len > max) {
				r = -EMSGSIZE;
				goto out;
			}
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN) {
			r = -errno;
			goto out;
		}
		r = wait_fd(fd, POLLIN, deadline_ms);
		if (r < 0)
			goto out;
	}
	buf[len] = '\0';
	*ret = buf;
	*ret_len = len;
	buf = NULL;
	r = 0;
out:
	free(buf);
	return r;
}

int wire_call(const char *path, const char *req, size_t req_len, int timeout_ms, char **ret,
	      size_t *ret_len, enum wire_stage *failed_stage)
{
	uint64_t now = util_now_ms();
	uint64_t deadline = now + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0);
	uint64_t connect_deadline = now + WIRE_CONNECT_TIMEOUT_MS;
	enum wire_stage stage = WIRE_STAGE_CONNECT;
	int fd = -1, r;

	if (connect_deadline > deadline)
		connect_deadline = deadline;
	r = wire_connect(path, connect_deadline, &fd);
	if (r < 0)
		goto out;
	stage = WIRE_STAGE_EXCHANGE;
	r = wire_send_all(fd, req, req_len, deadline);
	if (r < 0)
		goto out;
	if (shutdown(fd, SHUT_WR) < 0) {
		r = -errno;
		goto out;
	}
	r = wire_recv_all(fd, WIRE_MSG_MAX, deadline, ret, ret_len);
out:
	if (fd >= 0)
		close(fd);
	if (r < 0 && failed_stage)
		*failed_stage = stage;
	return r;
}

int wire_parse_timeout(const char *s, int *ret_ms)
{
	int v = 0;

	if (!s || !*s)
		return -EINVAL;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9' || v > 3600)
			return -EINVAL;
		v = v * 10 + (*p - '0');
	}
	if (v < 1 || v > 3600)
		return -EINVAL;
	*ret_ms = v * 1000;
	return 0;
}

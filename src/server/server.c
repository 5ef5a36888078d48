#include "server/server.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"

/* A bounded queue of accepted fds between the acceptor and the workers. */
#define QUEUE_LEN 256

struct server {
	struct server_opts opts;
	char *path;
	int listen_fd;
	int stop_fd;              /* eventfd: wakes the acceptor on shutdown */
	server_handler_fn fn;
	void *userdata;

	pthread_mutex_t lock;
	pthread_cond_t nonempty;
	int queue[QUEUE_LEN];
	unsigned head, count;
	bool stopping;

	pthread_t acceptor;
	bool acceptor_started;
	pthread_t *workers;
	unsigned n_workers;       /* started */
};

/* How long the acceptor waits when out of file descriptors. */
#define ACCEPT_PAUSE_MS 100

/* How much of an oversize request is read and dropped after its answer. */
#define DRAIN_MAX (64u << 20)

static int set_timeouts(int fd, int ms)
{
	struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000 };

	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0)
		return -errno;
	return 0;
}

static bool peer_allowed(const struct server *s, int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return false;
	if (cred.uid != s->opts.allowed_uid) {
		log_warn_rl("refusing a connection from pid %d uid %u: only uid %u may use '%s'",
			 (int)cred.pid, (unsigned)cred.uid, (unsigned)s->opts.allowed_uid, s->path);
		return false;
	}
	return true;
}

/* Reads until the peer shuts down its write side, within io_timeout_ms in
 * all: a client that trickles a byte now and then (each read within the
 * socket's timeout) must not hold a worker for ever.  -ETIMEDOUT past it. */
static int read_request(const struct server *s, int fd, char **ret, size_t *ret_len)
{
	uint64_t deadline = util_now_ms() + (uint64_t)s->opts.io_timeout_ms;
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap);
	int r;

	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t n;

		if (len == cap) {
			char *nb;

			if (cap >= s->opts.max_request) {
				r = -EMSGSIZE;
				goto fail;
			}
			cap = cap * 2 > s->opts.max_request ? s->opts.max_request : cap * 2;
			nb = realloc(buf, cap);
			if (!nb) {
				r = -ENOMEM;
				goto fail;
			}
			buf = nb;
		}
		uint64_t now = util_now_ms();
		struct pollfd pfd = { .fd = fd, .events = POLLIN };

		if (now >= deadline) {
			r = -ETIMEDOUT;
			goto fail;
		}
		if (poll(&pfd, 1, (int)(deadline - now)) == 0) {
			r = -ETIMEDOUT;
			goto fail;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			r = errno == EAGAIN ? -ETIMEDOUT : -errno;
			goto fail;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	*ret = buf;
	*ret_len = len;
	return 0;
fail:
	free(buf);
	return r;
}

static int write_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static void serve_one(struct server *s, int fd)
{
	char *req = NULL, *reply = NULL;
	size_t req_len = 0, reply_len = 0;
	int r;

	if (!peer_allowed(s, fd))
		return;
	r = set_timeouts(fd, s->opts.io_timeout_ms);
	if (r < 0)
		return;
	r = read_request(s, fd, &req, &req_len);
	if (r == -EMSGSIZE) {
		log_warn_rl("a request on '%s' is over %zu bytes; refused", s->path,
			 s->opts.max_request);
		req_len = s->opts.max_request;   /* req stays NULL: "too big" */
	} else if (r == -ETIMEDOUT) {
		log_warn_rl("a client on '%s' sent no whole request within %d ms; closed", s->path,
			    s->opts.io_timeout_ms);
		return;
	} else if (r < 0) {
		log_warn_rl("reading a request on '%s': %s", s->path, strerror(-r));
		return;
	}
	r = s->fn(s->userdata, req, req_len, &reply, &reply_len);
	free(req);
	if (r < 0)
		return;
	r = write_all(fd, reply, reply_len);
	if (r < 0)
		log_debug_rl("writing a reply: %s", strerror(-r));
	free(reply);
	/* Closing with unread input resets the connection, and the client
	 * would lose the answer: read the rest (a bounded amount, each read
	 * under the I/O timeout) before closing. */
	if (!req && r == 0) {
		char sink[4096];
		size_t left = DRAIN_MAX;
		ssize_t n;

		shutdown(fd, SHUT_WR);
		while (left > 0 && (n = read(fd, sink, sizeof(sink))) > 0)
			left -= (size_t)n < left ? (size_t)n : left;
	}
}

static void *worker_main(void *arg)
{
	struct server *s = arg;

	for (;;) {
		int fd;

		pthread_mutex_lock(&s->lock);
		while (s->count == 0 && !s->stopping)
			pthread_cond_wait(&s->nonempty, &s->lock);
		if (s->count == 0) {    /* stopping and drained */
			pthread_mutex_unlock(&s->lock);
			return NULL;
		}
		fd = s->queue[s->head];
		s->head = (s->head + 1) % QUEUE_LEN;
		s->count--;
		pthread_mutex_unlock(&s->lock);

		serve_one(s, fd);
		close(fd);
	}
}

static void *acceptor_main(void *arg)
{
	struct server *s = arg;
	struct pollfd pfd[2] = {
		{ .fd = s->listen_fd, .events = POLLIN },
		{ .fd = s->stop_fd, .events = POLLIN },
	};

	for (;;) {
		int fd;

		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			log_errno(-errno, "polling '%s'", s->path);
			return NULL;
		}
		if (pfd[1].revents)
			return NULL;
		fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0 && (errno == EMFILE || errno == ENFILE)) {
			/* The connection stays in the backlog, so the listening
			 * socket stays readable: without a pause this loop would
			 * spin until an fd is freed. */
			static struct log_rl rl = LOG_RL_INIT(1, 1);

			log_msg_rl(&rl, LOG_LEVEL_WARN, "out of file descriptors (%s): connections "
				   "on '%s' wait until some close; raise the daemon's limit "
				   "(LimitNOFILE)", strerror(errno), s->path);
			(void)poll(&pfd[1], 1, ACCEPT_PAUSE_MS);
			continue;
		}
		if (fd < 0)
			continue;   /* ECONNABORTED...: the next poll retries */

		pthread_mutex_lock(&s->lock);
		if (s->count == QUEUE_LEN) {
			pthread_mutex_unlock(&s->lock);
			log_warn_rl("request queue full, dropping a connection");
			close(fd);
			continue;
		}
		s->queue[(s->head + s->count) % QUEUE_LEN] = fd;
		s->count++;
		pthread_cond_signal(&s->nonempty);
		pthread_mutex_unlock(&s->lock);
	}
}

static int listen_on(const char *path, int *ret_fd)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	mode_t old_umask;
	int fd, r;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);

	/* A stale socket from a crashed run is ours to replace; anything else
	 * at that path is not. */
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			return -EEXIST;
		if (unlink(path) < 0)
			return -errno;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* The umask makes the socket 0600 from birth: no window where others
	 * could connect. */
	old_umask = umask(0177);
	r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old_umask);
	if (r < 0 || listen(fd, 128) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	*ret_fd = fd;
	return 0;
}

int server_new(const struct server_opts *opts, server_handler_fn fn, void *userdata,
	       struct server **ret)
{
	struct server *s;
	int r;

	s = xcalloc(1, sizeof(*s));
	s->opts = *opts;
	if (!s->opts.workers)
		s->opts.workers = 32;
	if (!s->opts.max_request)
		s->opts.max_request = 1 << 20;
	if (!s->opts.io_timeout_ms)
		s->opts.io_timeout_ms = 10000;
	s->path = xstrdup(opts->path);
	s->opts.path = s->path;
	s->fn = fn;
	s->userdata = userdata;
	s->listen_fd = -1;
	s->stop_fd = -1;
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->nonempty, NULL);

	s->stop_fd = eventfd(0, EFD_CLOEXEC);
	if (s->stop_fd < 0) {
		r = -errno;
		goto fail;
	}
	r = listen_on(s->path, &s->listen_fd);
	if (r < 0)
		goto fail;

	s->workers = xcalloc(s->opts.workers, sizeof(*s->workers));
	for (; s->n_workers < s->opts.workers; s->n_workers++) {
		r = -pthread_create(&s->workers[s->n_workers], NULL, worker_main, s);
		if (r < 0)
			goto fail;
	}
	r = -pthread_create(&s->acceptor, NULL, acceptor_main, s);
	if (r < 0)
		goto fail;
	s->acceptor_started = true;
	*ret = s;
	return 0;
fail:
	server_free(s);
	return r;
}

void server_free(struct server *s)
{
	if (!s)
		return;
	if (s->acceptor_started) {
		uint64_t one = 1;

		if (write(s->stop_fd, &one, sizeof(one)) < 0)
			log_debug("waking the acceptor: %s", strerror(errno));
		pthread_join(s->acceptor, NULL);
	}
	pthread_mutex_lock(&s->lock);
	s->stopping = true;
	pthread_cond_broadcast(&s->nonempty);
	pthread_mutex_unlock(&s->lock);
	for (unsigned i = 0; i < s->n_workers; i++)
		pthread_join(s->workers[i], NULL);
	if (s->listen_fd >= 0) {
		close(s->listen_fd);
		unlink(s->path);
	}
	if (s->stop_fd >= 0)
		close(s->stop_fd);
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->nonempty);
	free(s->workers);
	free(s->path);
	free(s);
}

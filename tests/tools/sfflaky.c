/* sfflaky: a slow and failing Neutron, for the fault tests.  An HTTP/1.1
 * proxy on a loopback address that forwards each request to the real
 * Neutron, one connection each way per request (it answers with
 * "Connection: close"), and on the way:
 *
 *   sfflaky --listen 127.0.0.1:PORT --upstream HOST:PORT
 *           [--delay-ms MS]            every answer held this long
 *           [--fail-every N]           every Nth request (1: all) answered
 *           [--fail-first N]           ... or the first N only
 *           [--fail-method M]          ... counting requests of method M only
 *           [--status CODE]            ... with CODE (default 503), not forwarded
 *           [--retry-after S]          ... with "Retry-After: S"
 *           [--reset-every N]          every Nth POST forwarded, its answer
 *                                      cut after the headers (a reset mid-body)
 *           [--cut-method M]           ... every Nth request of method M
 *                                      instead of POST (also for --drop-every)
 *           [--drop-every N]           every Nth POST forwarded, its answer
 *                                      never sent: the connection held, silent,
 *                                      until the client gives up (a partition
 *                                      that drops the answer after the
 *                                      upstream answered)
 *           [--token-file FILE]        the X-Auth-Token of the last request
 *                                      written there (mode 0600), for a test
 *                                      to revoke the client's token
 *
 * One line per request on stdout, flushed: "<unix ms> <fwd|inj|cut|drop> METHOD
 * PATH <status> <unix ms it arrived>", for the test to count and to time the
 * retries (lines come in the order requests ended; a slow Neutron's answer
 * can end after a later request's).  SIGTERM
 * ends it.  Loopback only: it refuses another listening address. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_MSG (16u << 20)

static struct {
	struct sockaddr_in up;
	long delay_ms;
	unsigned fail_every, fail_first, reset_every, drop_every, status, retry_after;
	const char *fail_method;
	const char *cut_method;       /* what --reset-every and --drop-every count */
	const char *token_file;
} opt = { .status = 503 };
static atomic_uint n_matching, n_cuttable;
static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void note(const char *what, const char *method, const char *path, int status,
		 long long arrived_ms)
{
	pthread_mutex_lock(&out_lock);
	printf("%lld %s %s %s %d %lld\n", now_ms(), what, method, path, status, arrived_ms);
	fflush(stdout);
	pthread_mutex_unlock(&out_lock);
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* One HTTP message (head and Content-Length body) into *buf; or, with
 * to_eof, everything until the peer closes.  Returns its length, -1. */
static ssize_t read_msg(int fd, char **buf, bool to_eof, size_t *head_len)
{
	size_t cap = 65536, len = 0, want = 0;
	char *b = malloc(cap);

	*head_len = 0;
	while (b) {
		ssize_t r;

		if (!to_eof && *head_len && len >= want)
			break;
		if (len == cap) {
			char *nb = cap < MAX_MSG ? realloc(b, cap * 2) : NULL;

			if (!nb)
				break;
			b = nb;
			cap *= 2;
		}
		r = recv(fd, b + len, cap - len, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (to_eof && r == 0)
				break;
			free(b);
			return -1;
		}
		len += (size_t)r;
		if (!*head_len) {
			char *end = memmem(b, len, "\r\n\r\n", 4), *cl;

			if (!end)
				continue;
			*head_len = (size_t)(end - b) + 4;
			want = *head_len;
			for (cl = b; cl && cl < end; cl = memchr(cl, '\n', (size_t)(end - cl))) {
				cl += cl[0] == '\n';
				if (!strncasecmp(cl, "Content-Length:", 15))
					want += strtoul(cl + 15, NULL, 10);
			}
		}
	}
	if (!b)
		return -1;
	*buf = b;
	return (ssize_t)len;
}

/* The head with its Connection header replaced by "Connection: close". */
static char *close_head(const char *msg, size_t head_len, size_t *ret_len)
{
	char *out = malloc(head_len + 32), *o = out;
	const char *p = msg, *end = msg + head_len - 2;

	if (!out)
		return NULL;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);

		if (strncasecmp(p, "Connection:", 11) && strncasecmp(p, "Keep-Alive:", 11)) {
			memcpy(o, p, n);
			o += n;
		}
		p += n;
	}
	o += sprintf(o, "Connection: close\r\n\r\n");
	*ret_len = (size_t)(o - out);
	return out;
}

/* Writes the request's X-Auth-Token to opt.token_file, replacing it. */
static void save_token(const char *req, size_t head_len)
{
	static const char name[] = "\r\nX-Auth-Token:";
	char tmp[4096], tok[2048];
	size_t n = head_len < sizeof(tmp) - 1 ? head_len : sizeof(tmp) - 1;
	const char *p;
	FILE *f;
	int fd;

	memcpy(tmp, req, n);
	tmp[n] = '\0';
	for (p = tmp; (p = strchr(p, '\r')); p++)
		if (!strncasecmp(p, name, sizeof(name) - 1))
			break;
	if (!p || sscanf(p + sizeof(name) - 1, " %2047[^\r\n ]", tok) != 1)
		return;
	pthread_mutex_lock(&out_lock);
	fd = open(opt.token_file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (f) {
		fprintf(f, "%s\n", tok);
		fclose(f);
	} else if (fd >= 0) {
		close(fd);
	}
	pthread_mutex_unlock(&out_lock);
}

static void serve(int c)
{
	char *req = NULL, *resp = NULL, *head = NULL, method[16] = "?", path[256] = "?";
	size_t req_head, resp_head, head_len;
	unsigned n = 0, nc = 0;
	long long arrived_ms;
	ssize_t req_len, resp_len;
	int u = -1, status = 0;

	req_len = read_msg(c, &req, false, &req_head);
	if (req_len < 0)
		goto out;
	arrived_ms = now_ms();
	sscanf(req, "%15s %255s", method, path);
	if (opt.token_file)
		save_token(req, req_head);
	if (!strcmp(method, opt.cut_method ? opt.cut_method : "POST"))
		nc = atomic_fetch_add(&n_cuttable, 1) + 1;
	if (!opt.fail_method || !strcmp(method, opt.fail_method))
		n = atomic_fetch_add(&n_matching, 1) + 1;
	if (n && ((opt.fail_every && n % opt.fail_every == 0) || n <= opt.fail_first)) {
		char ans[256];
		int k = snprintf(ans, sizeof(ans),
				 "HTTP/1.1 %u Injected\r\nContent-Type: application/json\r\n"
				 "%s%.0u%sContent-Length: 2\r\nConnection: close\r\n\r\n{}",
				 opt.status, opt.retry_after ? "Retry-After: " : "",
				 opt.retry_after, opt.retry_after ? "\r\n" : "");

		usleep((useconds_t)opt.delay_ms * 1000);
		(void)write_all(c, ans, (size_t)k);
		note("inj", method, path, (int)opt.status, arrived_ms);
		goto out;
	}
	u = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (u < 0 || connect(u, (struct sockaddr *)&opt.up, sizeof(opt.up)) < 0)
		goto out;
	head = close_head(req, req_head, &head_len);
	if (!head || write_all(u, head, head_len) < 0 ||
	    write_all(u, req + req_head, (size_t)req_len - req_head) < 0)
		goto out;
	resp_len = read_msg(u, &resp, true, &resp_head);
	if (resp_len < 0 || !resp_head)
		goto out;
	sscanf(resp, "%*s %d", &status);
	usleep((useconds_t)opt.delay_ms * 1000);
	if (nc && opt.reset_every && nc % opt.reset_every == 0) {
		/* Neutron acted; the client hears the head and part of the body,
		 * then a reset. */
		struct linger lg = { .l_onoff = 1, .l_linger = 0 };

		(void)write_all(c, resp, resp_head + ((size_t)resp_len - resp_head) / 2);
		setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		note("cut", method, path, status, arrived_ms);
		goto out;
	}
	if (nc && opt.drop_every && nc % opt.drop_every == 0) {
		/* Neutron acted; its answer is lost on the way: nothing comes
		 * back, the connection stays open until the client closes it. */
		char sink[512];
		ssize_t r;

		note("drop", method, path, status, arrived_ms);
		do
			r = recv(c, sink, sizeof(sink), 0);
		while (r > 0 || (r < 0 && errno == EINTR));
		goto out;
	}
	(void)write_all(c, resp, (size_t)resp_len);
	note("fwd", method, path, status, arrived_ms);
out:
	free(req);
	free(resp);
	free(head);
	if (u >= 0)
		close(u);
	close(c);
}

static void *conn_main(void *arg)
{
	serve((int)(long)arg);
	return NULL;
}

static int parse_addr(const char *s, struct sockaddr_in *ret)
{
	char host[64];
	const char *colon = strrchr(s, ':');
	struct addrinfo hints = { .ai_family = AF_INET, .ai_socktype = SOCK_STREAM }, *ai;

	if (!colon || (size_t)(colon - s) >= sizeof(host))
		return -1;
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = '\0';
	if (getaddrinfo(host, colon + 1, &hints, &ai) != 0)
		return -1;
	memcpy(ret, ai->ai_addr, sizeof(*ret));
	freeaddrinfo(ai);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "listen", 1, NULL, 'l' }, { "upstream", 1, NULL, 'u' },
		{ "delay-ms", 1, NULL, 'd' }, { "fail-every", 1, NULL, 'f' },
		{ "status", 1, NULL, 's' }, { "retry-after", 1, NULL, 'r' },
		{ "reset-every", 1, NULL, 'x' }, { "fail-first", 1, NULL, 'F' },
		{ "fail-method", 1, NULL, 'm' }, { "token-file", 1, NULL, 't' },
		{ "drop-every", 1, NULL, 'D' }, { "cut-method", 1, NULL, 'M' }, { 0 },
	};
	struct sockaddr_in la = { 0 };
	const char *listen_at = NULL, *up = NULL;
	int c, ls, one = 1;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'l': listen_at = optarg; break;
		case 'u': up = optarg; break;
		case 'd': opt.delay_ms = atol(optarg); break;
		case 'f': opt.fail_every = (unsigned)atoi(optarg); break;
		case 's': opt.status = (unsigned)atoi(optarg); break;
		case 'r': opt.retry_after = (unsigned)atoi(optarg); break;
		case 'x': opt.reset_every = (unsigned)atoi(optarg); break;
		case 'F': opt.fail_first = (unsigned)atoi(optarg); break;
		case 'm': opt.fail_method = optarg; break;
		case 't': opt.token_file = optarg; break;
		case 'D': opt.drop_every = (unsigned)atoi(optarg); break;
		case 'M': opt.cut_method = optarg; break;
		default: return 2;
		}
	}
	if (!listen_at || !up || parse_addr(listen_at, &la) < 0 || parse_addr(up, &opt.up) < 0) {
		fprintf(stderr, "usage: sfflaky --listen 127.0.0.1:PORT --upstream HOST:PORT "
			"[--delay-ms MS] [--fail-every N | --fail-first N] [--fail-method M] "
			"[--token-file FILE] "
			"[--status CODE] [--retry-after S] "
			"[--reset-every N] [--drop-every N] [--cut-method M]\n");
		return 2;
	}
	if ((ntohl(la.sin_addr.s_addr) >> 24) != 127) {
		fprintf(stderr, "sfflaky: listens on loopback only\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	ls = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (ls < 0 || setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(ls, (struct sockaddr *)&la, sizeof(la)) < 0 || listen(ls, 64) < 0) {
		perror("sfflaky: listen");
		return 1;
	}
	for (;;) {
		pthread_t t;
		int fd = accept4(ls, NULL, NULL, SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			perror("sfflaky: accept");
			return 1;
		}
		if (pthread_create(&t, NULL, conn_main, (void *)(long)fd) != 0) {
			close(fd);
			continue;
		}
		pthread_detach(t);
	}
}

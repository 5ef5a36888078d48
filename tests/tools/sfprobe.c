/* sfprobe: the "mobile device" of the superfluidity benches.  It watches a
 * service across a move and says what a client saw:
 *   --url URL             an HTTP GET every --interval-ms (a player fetching
 *                         segments), each with --timeout-ms; a fresh
 *                         connection per request unless --reuse
 *   --tcp-stream H:P      one long-lived TCP connection read until the end:
 *                         stalls (gaps between reads), reset or EOF
 *   --resume-url URL      a download paced at --rate bytes/s that, when the
 *                         connection breaks or stalls (--stall-ms), reconnects
 *                         and resumes by byte offset (HTTP Range)
 *   --make-file F --size N  writes the pattern file --check-pattern verifies
 * --log FILE gets one line per request (or read); on SIGTERM/SIGINT, after
 * --count N requests or --duration-ms, a JSON summary goes to stdout.  Each
 * change of --mark-file's mtime (the bench touches it at a move) is a mark:
 * the summary splits its figures into the phases between marks. */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "sfprobe_stats.h"

#define MAX_MARKS 16
#define PATTERN_MOD 251  /* byte i of a pattern file is i % 251 */

struct opts {
	const char *url, *tcp, *resume_url, *log, *mark_file, *make_file;
	long interval_ms, timeout_ms, stall_ms, rate, count, duration_ms;
	long long size;
	int reuse, check_pattern;
};

/* What the modes share: the clock, the log, the marks. */
struct run {
	const struct opts *o;
	int64_t t0_ns;
	FILE *log;
	struct timespec mark_seen;
	int mark_have, mark_polled;
	int64_t marks_us[MAX_MARKS];
	size_t n_marks;
};

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static int64_t clock_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t now_us(const struct run *r)
{
	return (clock_ns(CLOCK_MONOTONIC) - r->t0_ns) / 1000;
}

/* A new mtime of the mark file is a mark, placed at that mtime (converted
 * to our clock) rather than when we noticed it.  The first call only notes
 * the mtime of a file that exists already. */
static void marks_poll(struct run *r)
{
	struct stat st;
	int64_t age_ns, t;
	int first = !r->mark_polled;

	r->mark_polled = 1;
	if (!r->o->mark_file || stat(r->o->mark_file, &st) < 0)
		return;
	if (r->mark_have && st.st_mtim.tv_sec == r->mark_seen.tv_sec &&
	    st.st_mtim.tv_nsec == r->mark_seen.tv_nsec)
		return;
	r->mark_seen = st.st_mtim;
	r->mark_have = 1;
	if (first || r->n_marks >= MAX_MARKS)
		return;
	age_ns = clock_ns(CLOCK_REALTIME) - ((int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec);
	t = now_us(r) - (age_ns > 0 ? age_ns / 1000 : 0);
	if (r->n_marks && t < r->marks_us[r->n_marks - 1])
		t = r->marks_us[r->n_marks - 1];
	r->marks_us[r->n_marks++] = t < 0 ? 0 : t;
	if (r->log)
		fprintf(r->log, "# mark %zu %.3f\n", r->n_marks, (double)r->marks_us[r->n_marks - 1] / 1000);
}

static size_t phase_of(const struct run *r, int64_t t_us)
{
	size_t p = 0;

	while (p < r->n_marks && t_us >= r->marks_us[p])
		p++;
	return p;
}

static const char *phase_name(size_t n_marks, size_t p, char *buf, size_t len)
{
	static const char *two[] = { "before", "after" };
	static const char *three[] = { "before", "during", "after" };

	if (n_marks == 1)
		return two[p];
	if (n_marks == 2)
		return three[p];
	snprintf(buf, len, "phase%zu", p);
	return buf;
}

static int done(const struct run *r, size_t requests)
{
	return stop_flag || (r->o->count > 0 && requests >= (size_t)r->o->count) ||
	       (r->o->duration_ms > 0 && now_us(r) >= r->o->duration_ms * 1000);
}

static double ms(int64_t us)
{
	return us < 0 ? -1.0 : (double)us / 1000;
}

/* libcurl's sockets, close-on-exec like every fd of ours. */
static curl_socket_t open_cloexec(void *data, curlsocktype purpose, struct curl_sockaddr *a)
{
	(void)data;
	(void)purpose;
	return socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
}

static void curl_common(CURL *h, const struct opts *o)
{
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_OPENSOCKETFUNCTION, open_cloexec);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, o->timeout_ms);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "sfprobe");
}

/* --- --url: a GET every interval -------------------------------------------- */

static size_t sink(char *p, size_t sz, size_t n, void *ud)
{
	(void)p;
	*(int64_t *)ud += (int64_t)(sz * n);
	return sz * n;
}

static json_t *stats_json(const struct sfp_stats *s)
{
	return json_pack("{s:I,s:I,s:f,s:f,s:f,s:f}", "requests", (json_int_t)s->requests,
			 "failed", (json_int_t)s->failed, "longest_gap_ms", ms(s->longest_gap_us),
			 "rtt_p50_ms", ms(s->p50_us), "rtt_p90_ms", ms(s->p90_us),
			 "rtt_max_ms", ms(s->max_us));
}

static int http_summary(const struct run *r, const struct sfp_sample *s, size_t n,
			size_t timeouts, size_t refused, json_t *out)
{
	struct sfp_stats all, ph;
	int64_t prev = -1, from = 0;
	json_t *phases = json_array();
	char buf[16];
	size_t p;
	int ret;

	ret = sfp_stats_compute(s, n, 0, -1, &prev, &all);
	if (ret < 0)
		goto out;
	json_object_update_new(out, json_pack("{s:I,s:I,s:f,s:f,s:f,s:f,s:I}",
		"requests", (json_int_t)all.requests, "failed", (json_int_t)all.failed,
		"longest_gap_ms", ms(all.longest_gap_us), "rtt_p50_ms", ms(all.p50_us),
		"rtt_p90_ms", ms(all.p90_us), "rtt_max_ms", ms(all.max_us),
		"timeouts", (json_int_t)timeouts));
	json_object_set_new(out, "connect_failed", json_integer((json_int_t)refused));
	prev = -1;
	for (p = 0; r->n_marks && p <= r->n_marks; p++) {
		int64_t to = p < r->n_marks ? r->marks_us[p] : -1;
		json_t *j;

		ret = sfp_stats_compute(s, n, from, to, &prev, &ph);
		if (ret < 0)
			goto out;
		j = stats_json(&ph);
		json_object_set_new(j, "phase", json_string(phase_name(r->n_marks, p, buf, sizeof(buf))));
		json_object_set_new(j, "from_ms", json_real(ms(from)));
		json_array_append_new(phases, j);
		from = to;
	}
	if (r->n_marks)
		json_object_set(out, "phases", phases);
out:
	json_decref(phases);
	return ret;
}

static int run_http(struct run *r, json_t *out)
{
	const struct opts *o = r->o;
	struct sfp_sample *s = NULL, *grown;
	size_t n = 0, cap = 0, timeouts = 0, refused = 0;
	int64_t next = 0, t;
	CURL *h;
	int ret = 0;

	h = curl_easy_init();
	if (!h)
		return -ENOMEM;
	curl_common(h, o);
	curl_easy_setopt(h, CURLOPT_URL, o->url);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, o->timeout_ms);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink);
	if (!o->reuse) {
		curl_easy_setopt(h, CURLOPT_FRESH_CONNECT, 1L);
		curl_easy_setopt(h, CURLOPT_FORBID_REUSE, 1L);
	}
	while (!done(r, n)) {
		struct sfp_sample x = { 0 };
		struct timespec ts;
		curl_off_t tt = 0;
		CURLcode c;

		t = now_us(r);
		if (t < next) {
			int64_t due = r->t0_ns + next * 1000;

			ts.tv_sec = due / 1000000000;
			ts.tv_nsec = due % 1000000000;
			clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
			continue;   /* a signal may have come */
		}
		/* The next slot; a slow answer delays it, no catch-up burst. */
		next += o->interval_ms * 1000;
		if (next < t)
			next = t;
		marks_poll(r);
		if (n == cap) {
			cap = cap ? cap * 2 : 4096;
			grown = realloc(s, cap * sizeof(*s));
			if (!grown) {
				ret = -ENOMEM;
				goto out;
			}
			s = grown;
		}
		curl_easy_setopt(h, CURLOPT_WRITEDATA, &x.bytes);
		x.start_us = now_us(r);
		c = curl_easy_perform(h);
		x.end_us = now_us(r);
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &x.code);
		curl_easy_getinfo(h, CURLINFO_TOTAL_TIME_T, &tt);
		x.total_us = tt ? (int64_t)tt : x.end_us - x.start_us;
		x.ok = c == CURLE_OK && x.code >= 200 && x.code < 300;
		s[n++] = x;
		timeouts += c == CURLE_OPERATION_TIMEDOUT;
		refused += c == CURLE_COULDNT_CONNECT;
		if (r->log)
			fprintf(r->log, "%.3f %d %ld %" PRId64 " %" PRId64 "%s%s\n", ms(x.start_us), x.ok,
				x.code, x.total_us, x.bytes, c ? " # " : "", c ? curl_easy_strerror(c) : "");
	}
	marks_poll(r);
	ret = http_summary(r, s, n, timeouts, refused, out);
out:
	curl_easy_cleanup(h);
	free(s);
	return ret;
}

/* --- stalls, for the two stream modes ------------------------------------------ */

struct stalls {
	int64_t last_us, longest_us;
	int64_t ph_longest[MAX_MARKS + 1], ph_bytes[MAX_MARKS + 1];
	int64_t bytes, reads;
};

static void stalls_read(struct run *r, struct stalls *st, int64_t bytes)
{
	int64_t t = now_us(r), gap = st->reads ? t - st->last_us : 0;
	size_t p;

	marks_poll(r);
	p = phase_of(r, t);
	if (gap > st->longest_us)
		st->longest_us = gap;
	if (gap > st->ph_longest[p])
		st->ph_longest[p] = gap;
	st->ph_bytes[p] += bytes;
	st->bytes += bytes;
	st->reads++;
	st->last_us = t;
	if (r->log)
		fprintf(r->log, "%.3f %" PRId64 " %.3f\n", ms(t), bytes, ms(gap));
}

static void stalls_json(struct run *r, const struct stalls *st, json_t *out)
{
	int64_t t = now_us(r);
	json_t *phases;
	char buf[16];
	size_t p;

	marks_poll(r);
	json_object_update_new(out, json_pack("{s:I,s:I,s:f,s:f}", "bytes", (json_int_t)st->bytes,
		"reads", (json_int_t)st->reads, "longest_stall_ms", ms(st->longest_us),
		"since_last_read_ms", st->reads ? ms(t - st->last_us) : -1.0));
	if (!r->n_marks)
		return;
	phases = json_array();
	for (p = 0; p <= r->n_marks; p++)
		json_array_append_new(phases, json_pack("{s:s,s:I,s:f}", "phase",
			phase_name(r->n_marks, p, buf, sizeof(buf)), "bytes", (json_int_t)st->ph_bytes[p],
			"longest_stall_ms", ms(st->ph_longest[p])));
	json_object_set_new(out, "phases", phases);
}

/* --- --tcp-stream: one connection, read until it ends ------------------------------ */

static int tcp_connect(const char *hostport, long timeout_ms, int *ret_fd)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai = NULL;
	char host[256];
	const char *colon = strrchr(hostport, ':');
	struct pollfd pfd;
	socklen_t len = sizeof(int);
	int fd = -1, err = 0, ret;

	if (!colon || (size_t)(colon - hostport) >= sizeof(host))
		return -EINVAL;
	memcpy(host, hostport, colon - hostport);
	host[colon - hostport] = '\0';
	if (getaddrinfo(host, colon + 1, &hints, &ai) != 0)
		return -EINVAL;
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		ret = -errno;
		goto out;
	}
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0 && errno != EINPROGRESS) {
		ret = -errno;
		goto out;
	}
	pfd = (struct pollfd){ .fd = fd, .events = POLLOUT };
	ret = poll(&pfd, 1, (int)timeout_ms);
	if (ret <= 0) {
		ret = ret < 0 ? -errno : -ETIMEDOUT;
		goto out;
	}
	getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
	if (err) {
		ret = -err;
		goto out;
	}
	*ret_fd = fd;
	fd = -1;
	ret = 0;
out:
	if (fd >= 0)
		close(fd);
	freeaddrinfo(ai);
	return ret;
}

static int run_tcp(struct run *r, json_t *out)
{
	struct stalls st = { 0 };
	const char *end = "stopped";
	char buf[65536];
	int fd = -1, err = 0, ret;

	ret = tcp_connect(r->o->tcp, r->o->timeout_ms, &fd);
	json_object_set_new(out, "connected", json_boolean(ret == 0));
	if (ret < 0) {
		end = "connect failed";
		err = -ret;
		goto out;
	}
	st.last_us = now_us(r);
	while (!done(r, 0)) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t k;

		marks_poll(r);
		if (poll(&pfd, 1, 50) <= 0)
			continue;
		k = read(fd, buf, sizeof(buf));
		if (k > 0) {
			stalls_read(r, &st, k);
		} else if (k == 0) {
			end = "eof";
			break;
		} else if (errno != EAGAIN && errno != EINTR) {
			err = errno;
			end = errno == ECONNRESET ? "reset" : "error";
			break;
		}
	}
	json_object_set_new(out, "ended_ms", json_real(ms(now_us(r))));
	stalls_json(r, &st, out);
out:
	json_object_set_new(out, "end", json_string(end));
	json_object_set_new(out, "reset", json_boolean(!strcmp(end, "reset")));
	if (err)
		json_object_set_new(out, "error", json_string(strerror(err)));
	if (fd >= 0)
		close(fd);
	return 0;
}

/* --- --resume-url: paced download, resumed by Range on every break ----------------- */

struct dl {
	struct run *r;
	struct stalls st;
	int64_t offset, mismatches, first_mismatch, attempt_start_us, attempt_bytes;
	int stalled;
};

/* A player consumes at its bitrate: pace each connection to --rate by
 * holding the callback (the socket is not read meanwhile, TCP pushes back).
 * libcurl's own limit lets a resumed transfer burst. */
static void dl_pace(struct dl *d)
{
	int64_t due, t = now_us(d->r);

	if (d->r->o->rate <= 0)
		return;
	due = d->attempt_start_us + d->attempt_bytes * 1000000 / d->r->o->rate;
	if (due > t)
		usleep((useconds_t)(due - t));
}

static size_t dl_write(char *p, size_t sz, size_t n, void *ud)
{
	struct dl *d = ud;
	size_t i, len = sz * n;

	if (d->r->o->check_pattern)
		for (i = 0; i < len; i++)
			if ((unsigned char)p[i] != (d->offset + (int64_t)i) % PATTERN_MOD &&
			    d->mismatches++ == 0)
				d->first_mismatch = d->offset + (int64_t)i;
	d->offset += (int64_t)len;
	d->attempt_bytes += (int64_t)len;
	stalls_read(d->r, &d->st, (int64_t)len);
	dl_pace(d);
	return len;
}

/* Aborts the transfer on a signal, at the end of the run, or when no byte
 * came for stall_ms (the connection may be black-holed, not reset). */
static int dl_progress(void *ud, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	struct dl *d = ud;
	int64_t t = now_us(d->r), last = d->st.reads ? d->st.last_us : 0;

	(void)dt, (void)dn, (void)ut, (void)un;
	if (last < d->attempt_start_us)
		last = d->attempt_start_us;
	if (t - last > d->r->o->stall_ms * 1000)
		d->stalled = 1;
	return done(d->r, 0) || d->stalled;
}

static int run_resume(struct run *r, json_t *out)
{
	struct dl d = { .r = r, .first_mismatch = -1 };
	json_int_t attempts = 0, resets = 0, stalls = 0, errs = 0, partial = 0;
	int64_t size = -1;
	json_t *events = json_array(), *last = NULL;
	const char *what;
	int complete = 0;
	CURL *h;

	h = curl_easy_init();
	if (!h) {
		json_decref(events);
		return -ENOMEM;
	}
	curl_common(h, r->o);
	curl_easy_setopt(h, CURLOPT_URL, r->o->resume_url);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, dl_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &d);
	curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, dl_progress);
	curl_easy_setopt(h, CURLOPT_XFERINFODATA, &d);
	curl_easy_setopt(h, CURLOPT_FRESH_CONNECT, 1L);
	curl_easy_setopt(h, CURLOPT_BUFFERSIZE, 4096L);   /* small reads: stalls to the ms */
	while (!done(r, 0) && !complete) {
		long code = 0, oserr = 0;
		curl_off_t cl = -1;
		int64_t from = d.offset;
		CURLcode c;

		if (attempts)
			usleep((useconds_t)r->o->interval_ms * 1000);
		if (done(r, 0))
			break;
		attempts++;
		d.stalled = 0;
		d.attempt_bytes = 0;
		d.attempt_start_us = now_us(r);
		curl_easy_setopt(h, CURLOPT_RESUME_FROM_LARGE, (curl_off_t)d.offset);
		c = curl_easy_perform(h);
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
		curl_easy_getinfo(h, CURLINFO_OS_ERRNO, &oserr);
		curl_easy_getinfo(h, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl);
		partial += code == 206;
		if (size < 0 && cl >= 0 && (code == 200 || code == 206))
			size = (code == 206 ? from : 0) + (int64_t)cl;
		if (c == CURLE_OK && (code == 200 || code == 206)) {
			complete = 1;
			break;
		}
		if (c == CURLE_ABORTED_BY_CALLBACK && !d.stalled)
			break;   /* stopped */
		if (d.stalled)
			stalls++;
		else if (oserr == ECONNRESET)
			resets++;
		else
			errs++;
		what = d.stalled ? "stall" : oserr == ECONNRESET ? "reset" : curl_easy_strerror(c);
		if (last && !strcmp(json_string_value(json_object_get(last, "what")), what)) {
			json_object_set_new(last, "times", json_integer(
				json_integer_value(json_object_get(last, "times")) + 1));
		} else if (json_array_size(events) < 32) {
			last = json_pack("{s:f,s:I,s:s,s:i,s:i}", "t_ms", ms(now_us(r)), "offset",
					 (json_int_t)d.offset, "what", what, "http", (int)code, "times", 1);
			json_array_append_new(events, last);
		}
	}
	json_object_update_new(out, json_pack("{s:b,s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "complete", complete,
		"size", (json_int_t)size, "attempts", attempts, "reconnects", attempts ? attempts - 1 : 0,
		"resets", resets, "stall_aborts", stalls, "other_errors", errs, "resumed_206", partial));
	if (r->o->check_pattern)
		json_object_update_new(out, json_pack("{s:I,s:I}", "pattern_mismatches",
			(json_int_t)d.mismatches, "first_mismatch", (json_int_t)d.first_mismatch));
	json_object_set_new(out, "events", events);
	stalls_json(r, &d.st, out);
	curl_easy_cleanup(h);
	return 0;
}

/* --- --make-file ------------------------------------------------------------------ */

static int make_pattern(const char *path, long long size)
{
	unsigned char buf[PATTERN_MOD * 64];
	long long off = 0;
	size_t i;
	int fd, ret = 0;

	/* buf is a whole number of periods: file offset off is buf[off % len]. */
	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (unsigned char)(i % PATTERN_MOD);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	while (off < size) {
		size_t at = (size_t)(off % (long long)sizeof(buf)), k = sizeof(buf) - at;
		ssize_t w;

		if ((long long)k > size - off)
			k = (size_t)(size - off);
		w = write(fd, buf + at, k);
		if (w < 0) {
			ret = -errno;
			break;
		}
		off += w;
	}
	if (close(fd) < 0 && !ret)
		ret = -errno;
	return ret;
}

/* --- main ---------------------------------------------------------------------------- */

static const struct option longopts[] = {
	{ "url", required_argument, NULL, 'u' },         { "tcp-stream", required_argument, NULL, 't' },
	{ "resume-url", required_argument, NULL, 'R' },  { "make-file", required_argument, NULL, 'M' },
	{ "size", required_argument, NULL, 'S' },        { "interval-ms", required_argument, NULL, 'i' },
	{ "timeout-ms", required_argument, NULL, 'T' },  { "stall-ms", required_argument, NULL, 's' },
	{ "rate", required_argument, NULL, 'r' },        { "count", required_argument, NULL, 'c' },
	{ "duration-ms", required_argument, NULL, 'd' }, { "log", required_argument, NULL, 'l' },
	{ "mark-file", required_argument, NULL, 'm' },   { "reuse", no_argument, NULL, 'k' },
	{ "check-pattern", no_argument, NULL, 'P' },     { "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static void usage(FILE *f)
{
	fputs("usage: sfprobe (--url URL | --tcp-stream HOST:PORT | --resume-url URL |\n"
	      "                --make-file PATH --size BYTES)\n"
	      "  [--interval-ms 20] [--timeout-ms 200] [--reuse] [--count N] [--duration-ms MS]\n"
	      "  [--log FILE] [--mark-file F] [--rate BYTES_PER_S] [--stall-ms 1000] [--check-pattern]\n",
	      f);
}

int main(int argc, char **argv)
{
	struct opts o = { .interval_ms = 20, .timeout_ms = 200, .stall_ms = 1000 };
	struct run r = { .o = &o };
	struct sigaction sa = { .sa_handler = on_signal };
	json_t *out = NULL;
	int c, modes, ret;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'u': o.url = optarg; break;
		case 't': o.tcp = optarg; break;
		case 'R': o.resume_url = optarg; break;
		case 'M': o.make_file = optarg; break;
		case 'S': o.size = strtoll(optarg, NULL, 10); break;
		case 'i': o.interval_ms = strtol(optarg, NULL, 10); break;
		case 'T': o.timeout_ms = strtol(optarg, NULL, 10); break;
		case 's': o.stall_ms = strtol(optarg, NULL, 10); break;
		case 'r': o.rate = strtol(optarg, NULL, 10); break;
		case 'c': o.count = strtol(optarg, NULL, 10); break;
		case 'd': o.duration_ms = strtol(optarg, NULL, 10); break;
		case 'l': o.log = optarg; break;
		case 'm': o.mark_file = optarg; break;
		case 'k': o.reuse = 1; break;
		case 'P': o.check_pattern = 1; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	modes = !!o.url + !!o.tcp + !!o.resume_url + !!o.make_file;
	if (modes != 1 || optind != argc || o.interval_ms < 1 || o.timeout_ms < 1 || o.stall_ms < 1) {
		usage(stderr);
		return 2;
	}
	if (o.make_file) {
		ret = make_pattern(o.make_file, o.size);
		if (ret < 0)
			fprintf(stderr, "sfprobe: %s: %s\n", o.make_file, strerror(-ret));
		return ret < 0;
	}
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (o.log) {
		r.log = fopen(o.log, "we");
		if (!r.log) {
			fprintf(stderr, "sfprobe: %s: %s\n", o.log, strerror(errno));
			return 1;
		}
		setvbuf(r.log, NULL, _IOLBF, 0);
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		ret = -ENOMEM;
		goto out;
	}
	r.t0_ns = clock_ns(CLOCK_MONOTONIC);
	marks_poll(&r);           /* a mark file that exists already is no mark */
	/* The wall-clock time of t = 0, so that a bench can place its own steps. */
	if (r.log)
		fprintf(r.log, "# sfprobe t0_unix_ms=%.3f %s\n",
			(double)(clock_ns(CLOCK_REALTIME) - (clock_ns(CLOCK_MONOTONIC) - r.t0_ns)) / 1e6,
			o.url ? "t_ms ok code total_us bytes" : "t_ms bytes gap_ms");
	out = json_pack("{s:s,s:s,s:i,s:i}", "mode", o.url ? "http" : o.tcp ? "tcp-stream" : "resume",
			"target", o.url ? o.url : o.tcp ? o.tcp : o.resume_url,
			"interval_ms", (int)o.interval_ms, "timeout_ms", (int)o.timeout_ms);
	if (o.url)
		json_object_set_new(out, "reuse", json_boolean(o.reuse));
	ret = o.url ? run_http(&r, out) : o.tcp ? run_tcp(&r, out) : run_resume(&r, out);
	json_object_set_new(out, "duration_ms", json_real(ms(now_us(&r))));
	if (r.n_marks) {
		json_t *m = json_array();

		for (size_t i = 0; i < r.n_marks; i++)
			json_array_append_new(m, json_real(ms(r.marks_us[i])));
		json_object_set_new(out, "marks_ms", m);
	}
	if (ret == 0) {
		json_dumpf(out, stdout, JSON_COMPACT | JSON_REAL_PRECISION(6));
		fputc('\n', stdout);
	} else {
		fprintf(stderr, "sfprobe: %s\n", strerror(-ret));
	}
	curl_global_cleanup();
out:
	json_decref(out);
	if (r.log)
		fclose(r.log);
	return ret < 0;
}

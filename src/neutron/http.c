/* The transport of the Neutron client: a pool of curl handles (the
 * concurrency cap and the keep-alive connections), one HTTP attempt, and
 * the retry loop.
 *
 * Retry policy.  A request is retried, up to max_retries times with
 * exponential backoff and jitter, when:
 *  - it surely never reached the server (connection refused, name not
 *    resolved, connect timeout, TLS handshake not finished): every method;
 *  - idempotent requests (GET, PUT of attributes, DELETE) on any transport
 *    error and on any 5xx answer;
 *  - non-idempotent requests (POST creates, PUT add/remove_subports) on
 *    502, 503 and 504 only: those come from a proxy or an overloaded server
 *    that most likely did not act.  A POST answered 500, or cut after being
 *    sent, is not retried: a second create could make a duplicate port.
 *    (A 504 may still hide a finished create; the ports superfluid creates
 *    carry its tag, so the reconciler removes such an orphan.)
 * A 429 or 5xx answer's Retry-After (in seconds) is honoured: the retry waits
 * at least that long, and none is made when it says more than
 * NEUTRON_RETRY_AFTER_MAX_MS.
 * 4xx answers are never retried (401 is handled once, by re-authenticating,
 * in call.c).  TLS verification failures and oversized answers are not
 * retried either: repeating them cannot help.
 * A DELETE that meets 404 after an earlier attempt failed with a 5xx or a
 * transport error counts as success (call.c): that attempt most likely
 * deleted the resource, and "gone" is what the caller asked for.
 *
 * timeout_ms bounds each attempt, not the whole call: a call lasts at most
 * (max_retries + 1) * timeout_ms plus the backoff waits, unless the calling
 * thread set a deadline (neutron_deadline_set), which cuts the attempts'
 * timeouts and skips a retry that could not finish before it. */
#include "neutron/internal.h"
#include "neutron/outcome.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>

#include "common/log.h"

long neutron_backoff_ms(long base_ms, int attempt, uint32_t rnd)
{
	long d = base_ms > 0 ? base_ms : 1;

	for (int i = 0; i < attempt && d < NEUTRON_BACKOFF_MAX_MS; i++)
		d *= 2;
	if (d > NEUTRON_BACKOFF_MAX_MS)
		d = NEUTRON_BACKOFF_MAX_MS;
	/* "Equal jitter": half fixed so there is always a pause, half random
	 * so that many clients retrying at once spread out. */
	return d / 2 + (long)((uint64_t)rnd % (uint64_t)(d - d / 2 + 1));
}

bool neutron_retry_allowed(bool idempotent, int r, long status, bool maybe_sent)
{
	if (r < 0) {
		switch (r) {
		case -ECONNREFUSED:
		case -EHOSTUNREACH:
		case -ENETUNREACH:
		case -ETIMEDOUT:
		case -ECONNRESET:
		case -EIO:
			return idempotent || !maybe_sent;
		default:
			/* TLS verification, oversized answer, bad URL, no memory. */
			return false;
		}
	}
	if (status >= 500 && status <= 599)
		return idempotent || status == 502 || status == 503 || status == 504;
	return false;
}

int neutron_retry_after_parse(const char *value, long *ret_ms)
{
	char *end;
	long v;

	if (!value)
		return -EINVAL;
	while (*value == ' ' || *value == '\t')
		value++;
	if (*value < '0' || *value > '9')
		return -EINVAL;
	errno = 0;
	v = strtol(value, &end, 10);
	while (*end == ' ' || *end == '\t')
		end++;
	if (errno || *end || v > 86400)
		return -EINVAL;
	*ret_ms = v * 1000;
	return 0;
}

int neutron_curl_errno(CURLcode code)
{
	switch (code) {
	case CURLE_OK:
		return 0;
	case CURLE_COULDNT_CONNECT:
		return -ECONNREFUSED;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		return -EHOSTUNREACH;
	case CURLE_OPERATION_TIMEDOUT:
		return -ETIMEDOUT;
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
		return -ECONNRESET;
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CIPHER:
		return -EPROTO;
	case CURLE_URL_MALFORMAT:
	case CURLE_UNSUPPORTED_PROTOCOL:
		return -EINVAL;
	case CURLE_OUT_OF_MEMORY:
		return -ENOMEM;
	case CURLE_FILESIZE_EXCEEDED:
		return -EFBIG;
	default:
		return -EIO;
	}
}

static uint32_t jitter_random(void)
{
	/* Per-thread xorshift, seeded from the kernel: jitter needs spread
	 * between processes and threads, not cryptographic strength. */
	static __thread uint32_t state;
	uint32_t x;

	if (state == 0) {
		if (getrandom(&state, sizeof(state), GRND_NONBLOCK) != sizeof(state))
			state = (uint32_t)util_now_us();
		if (state == 0)
			state = 0x9e3779b9u;
	}
	x = state;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	state = x;
	return x;
}

/* A free slot, or NULL once the calling thread's deadline passed. */
static struct neutron_slot *slot_get(struct neutron_client *c)
{
	struct neutron_slot *s = NULL;
	struct timespec until;
	bool bounded = neutron_deadline_abstime(&until);

	pthread_mutex_lock(&c->slot_lock);
	while (!s) {
		/* Lowest free slot first: at low load the same handle, and so
		 * the same keep-alive connection, serves every request. */
		for (int i = 0; i < c->max_concurrent; i++) {
			if (!c->slots[i].busy) {
				s = &c->slots[i];
				s->busy = true;
				break;
			}
		}
		if (s)
			break;
		if (!bounded)
			pthread_cond_wait(&c->slot_cond, &c->slot_lock);
		else if (pthread_cond_clockwait(&c->slot_cond, &c->slot_lock, CLOCK_MONOTONIC,
						&until) == ETIMEDOUT)
			break;
	}
	pthread_mutex_unlock(&c->slot_lock);
	return s;
}

static void slot_put(struct neutron_client *c, struct neutron_slot *s)
{
	pthread_mutex_lock(&c->slot_lock);
	s->busy = false;
	pthread_cond_signal(&c->slot_cond);
	pthread_mutex_unlock(&c->slot_lock);
}

void neutron_http_slots_free(struct neutron_client *c)
{
	if (!c->slots)
		return;
	for (int i = 0; i < c->max_concurrent; i++)
		curl_easy_cleanup(c->slots[i].curl);
	free(c->slots);
	c->slots = NULL;
}

void neutron_http_response_done(struct neutron_http_response *resp)
{
	free(resp->body);
	if (resp->subject_token) {
		explicit_bzero(resp->subject_token, strlen(resp->subject_token));
		free(resp->subject_token);
	}
	memset(resp, 0, sizeof(*resp));
}

/* The answer's body, capped at NEUTRON_MAX_BODY. */
struct body_sink {
	char *buf;
	size_t len, cap;
	bool too_big;
};

static size_t body_write(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct body_sink *b = userdata;
	size_t n = size * nmemb;

	if (n > NEUTRON_MAX_BODY - b->len) {
		b->too_big = true;
		return 0;       /* makes curl stop with CURLE_WRITE_ERROR */
	}
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		char *p;

		while (cap < b->len + n + 1)
			cap *= 2;
		p = realloc(b->buf, cap);
		if (!p)
			return 0;
		b->buf = p;
		b->cap = cap;
	}
	memcpy(b->buf + b->len, ptr, n);
	b->len += n;
	b->buf[b->len] = '\0';
	return n;
}

static curl_socket_t open_socket(void *userdata, curlsocktype purpose,
				 struct curl_sockaddr *addr)
{
	/* curl does not ask for close-on-exec: the daemon forks helpers, and
	 * a leaked Neutron connection must not follow them. */
	return socket(addr->family, addr->socktype | SOCK_CLOEXEC, addr->protocol);
}

static int setup_handle(struct neutron_client *c, CURL *h, const struct neutron_http_request *req,
			long connect_ms, long total_ms, struct body_sink *sink, char *errbuf)
{
	CURLcode rc = CURLE_OK;

	/* reset keeps the connection cache: only options are forgotten. */
	curl_easy_reset(h);
#define SET(opt, val) do { if (rc == CURLE_OK) rc = curl_easy_setopt(h, opt, val); } while (0)
	SET(CURLOPT_URL, req->url);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_ERRORBUFFER, errbuf);
	SET(CURLOPT_OPENSOCKETFUNCTION, open_socket);
	SET(CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
	SET(CURLOPT_TIMEOUT_MS, total_ms);
	SET(CURLOPT_TCP_KEEPALIVE, 1L);
	SET(CURLOPT_FOLLOWLOCATION, 0L);
#if LIBCURL_VERSION_NUM >= 0x075500
	SET(CURLOPT_PROTOCOLS_STR, "http,https");
#else
	SET(CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	SET(CURLOPT_USERAGENT, "superfluid");
	SET(CURLOPT_WRITEFUNCTION, body_write);
	SET(CURLOPT_WRITEDATA, sink);
	SET(CURLOPT_HTTPHEADER, (struct curl_slist *)req->headers);
	if (c->cafile) {
		/* The file replaces the system store: curl would otherwise keep
		 * trusting every CA in its built-in CA folder as well. */
		SET(CURLOPT_CAINFO, c->cafile);
		SET(CURLOPT_CAPATH, NULL);
	}
	if (c->insecure) {
		SET(CURLOPT_SSL_VERIFYPEER, 0L);
		SET(CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (streq(req->method, "GET")) {
		SET(CURLOPT_HTTPGET, 1L);
	} else {
		SET(CURLOPT_CUSTOMREQUEST, req->method);
		if (req->body || streq(req->method, "POST") || streq(req->method, "PUT")) {
			SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
			SET(CURLOPT_POSTFIELDS, req->body ? req->body : "");
		}
	}
#undef SET
	return rc == CURLE_OK ? 0 : neutron_curl_errno(rc);
}

/* One attempt.  Returns 0 with resp filled when an HTTP answer arrived,
 * else -errno with err filled and *maybe_sent telling whether the request
 * may have reached the server. */
static int http_attempt(struct neutron_client *c, const struct neutron_http_request *req,
			struct neutron_http_response *resp, bool *maybe_sent,
			struct neutron_error *err, struct neutron_stats *st)
{
	char errbuf[CURL_ERROR_SIZE] = "";
	struct body_sink sink = { 0 };
	struct neutron_slot *slot;
	curl_off_t pretransfer = 0;
	long status = 0, nconn = 0;
	uint64_t start;
	CURLcode rc;
	int r;

	long connect_ms = c->connect_timeout_ms, total_ms = c->timeout_ms;

	*maybe_sent = false;
	/* The calling thread's deadline (a cold ADD's) cuts both timeouts. */
	if (neutron_deadline_cut(&connect_ms) < 0 || neutron_deadline_cut(&total_ms) < 0 ||
	    !(slot = slot_get(c))) {
		neutron_error_set(err, 0, "", "%s %s: no time left", req->method, req->url);
		return -ETIME;
	}
	if (!slot->curl) {
		slot->curl = curl_easy_init();
		if (!slot->curl) {
			r = -ENOMEM;
			neutron_error_set(err, 0, "", "%s %s: cannot create a curl handle",
					  req->method, req->url);
			goto out;
		}
	}
	r = setup_handle(c, slot->curl, req, connect_ms, total_ms, &sink, errbuf);
	if (r < 0) {
		neutron_error_set(err, 0, "", "%s %s: bad request options", req->method, req->url);
		goto out;
	}

	start = util_now_us();
	rc = curl_easy_perform(slot->curl);
	st->requests++;
	st->total_us += util_now_us() - start;
	if (curl_easy_getinfo(slot->curl, CURLINFO_NUM_CONNECTS, &nconn) == CURLE_OK && nconn > 0)
		st->connections += (uint64_t)nconn;

	if (rc != CURLE_OK) {
		/* Without a pre-transfer time the request was never written. */
		if (curl_easy_getinfo(slot->curl, CURLINFO_PRETRANSFER_TIME_T, &pretransfer) !=
		    CURLE_OK)
			pretransfer = 1;
		*maybe_sent = pretransfer > 0;
		if (sink.too_big) {
			r = -EFBIG;
			neutron_error_set(err, 0, "", "%s %s: answer larger than %u bytes",
					  req->method, req->url, NEUTRON_MAX_BODY);
		} else {
			r = neutron_curl_errno(rc);
			neutron_error_set(err, 0, "", "%s %s: %s", req->method, req->url,
					  errbuf[0] ? errbuf : curl_easy_strerror(rc));
		}
		log_debug("neutron: %s %s: %s", req->method, req->url, curl_easy_strerror(rc));
		goto out;
	}

	curl_easy_getinfo(slot->curl, CURLINFO_RESPONSE_CODE, &status);
	*maybe_sent = true;
	memset(resp, 0, sizeof(*resp));
	resp->status = status;
	if (req->want_subject_token) {
		struct curl_header *hdr = NULL;

		if (curl_easy_header(slot->curl, "X-Subject-Token", 0, CURLH_HEADER, -1, &hdr) ==
		    CURLHE_OK && hdr->value && hdr->value[0] &&
		    !(resp->subject_token = strdup(hdr->value))) {
			r = -ENOMEM;
			neutron_error_set(err, 0, "", "%s %s: out of memory", req->method, req->url);
			goto out;
		}
	}
	if (status == 429 || status >= 500) {
		struct curl_header *hdr = NULL;

		if (curl_easy_header(slot->curl, "Retry-After", 0, CURLH_HEADER, -1, &hdr) ==
		    CURLHE_OK && neutron_retry_after_parse(hdr->value, &resp->retry_after_ms) < 0)
			resp->retry_after_ms = 0;
	}
	resp->body = sink.buf;
	resp->body_len = sink.len;
	sink.buf = NULL;
	log_debug("neutron: %s %s -> %ld", req->method, req->url, status);
	r = 0;
out:
	free(sink.buf);
	slot_put(c, slot);
	return r;
}

int neutron_http_exchange(struct neutron_client *c, const struct neutron_http_request *req,
			  struct neutron_http_response *resp, struct neutron_error *err)
{
	struct neutron_stats st = { 0 };
	bool ambiguous = false;
	int attempt, r;

	for (attempt = 0;; attempt++) {
		struct neutron_http_response one = { 0 };
		bool maybe_sent = false;
		long wait, left;

		r = http_attempt(c, req, &one, &maybe_sent, err, &st);
		if (attempt >= c->max_retries ||
		    !neutron_retry_allowed(req->idempotent, r, one.status, maybe_sent)) {
			if (r == 0) {
				one.ambiguous_earlier = ambiguous;
				*resp = one;
			} else if (attempt > 0 && err) {
				size_t n = strlen(err->message);

				snprintf(err->message + n, sizeof(err->message) - n,
					 " (after %d attempts)", attempt + 1);
			}
			break;
		}
		wait = neutron_backoff_ms(c->retry_base_ms, attempt, jitter_random());
		/* The server said when to come back: not sooner, and not at all
		 * if that is far off. */
		if (r == 0 && one.retry_after_ms > wait)
			wait = one.retry_after_ms;
		left = wait + 1;
		if (wait > NEUTRON_RETRY_AFTER_MAX_MS || neutron_deadline_cut(&left) < 0 ||
		    left <= wait) {
			/* No retry would end before the deadline: this answer stands. */
			if (r == 0) {
				one.ambiguous_earlier = ambiguous;
				*resp = one;
			}
			break;
		}
		if (r < 0 ? maybe_sent : one.status >= 500)
			ambiguous = true;
		neutron_http_response_done(&one);
		st.retries++;
		util_sleep_ms(wait);
	}
	neutron_stats_add(c, &st);
	return r;
}

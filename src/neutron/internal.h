/* Internals shared by the files of src/neutron/: the client structure, the
 * transport (http.c), authentication (auth.c) and the pure parsers
 * (parse.c), which the unit tests call directly. */
#ifndef SF_NEUTRON_INTERNAL_H
#define SF_NEUTRON_INTERNAL_H

#include <curl/curl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "neutron/neutron.h"

/* Bodies are untrusted input: nothing bigger is buffered. */
#define NEUTRON_MAX_BODY        (16u * 1024 * 1024)
/* Backoff never waits longer than this between two attempts. */
#define NEUTRON_BACKOFF_MAX_MS  10000L
/* A list stops after this many pages (a server looping on "next"). */
#define NEUTRON_MAX_PAGES       100000u

/* One concurrency slot: a curl handle whose connection cache survives
 * between requests, so that the slot's keep-alive connection is reused. */
struct neutron_slot {
	CURL *curl;     /* created on first use, freed with the client */
	bool busy;
};

/* Strings once handed out by neutron_token() and friends.  They stay alive
 * until the client is freed so that a borrowed pointer never dangles when
 * another thread renews the token (one small string per authentication). */
struct neutron_retired {
	struct neutron_retired *next;
	char *s;
};

struct neutron_client {
	/* Configuration: owned copies, immutable after neutron_client_new. */
	enum neutron_auth_type auth_type;
	char *auth_url;             /* ".../v3", no trailing slash */
	char *username;
	char *password;
	char *user_domain_name;
	char *project_name;
	char *project_domain_name;
	char *app_cred_id;
	char *app_cred_secret;
	char *region_name;
	char *interface;
	char *cafile;
	bool insecure;
	long connect_timeout_ms;
	long timeout_ms;
	int max_retries;
	long retry_base_ms;
	int max_concurrent;
	long renew_margin_s;

	/* Slots: the cap on requests in flight and the connection pool. */
	pthread_mutex_t slot_lock;
	pthread_cond_t slot_cond;
	struct neutron_slot *slots;         /* max_concurrent of them */

	/* Authentication state.  auth_lock is held across a Keystone call, so
	 * that many threads needing a token cause one authentication. */
	pthread_mutex_t auth_lock;
	char *token;                /* NULL: none yet, or noauth */
	char *endpoint;             /* normalised: no trailing "/" or "/v2.0" */
	char *project_id;
	bool endpoint_fixed;        /* endpoint_override or noauth */
	uint64_t token_expiry_us;   /* monotonic clock */
	uint64_t token_renew_us;    /* monotonic clock */
	uint64_t auth_gen;          /* bumped on every new token */
	struct neutron_retired *retired;

	pthread_mutex_t stats_lock;
	struct neutron_stats stats;
};

/* http.c: the transport. */

struct neutron_http_request {
	const char *method;
	const char *url;
	const char *body;               /* NULL: no body */
	size_t body_len;
	const struct curl_slist *headers;
	bool idempotent;                /* see the retry policy in http.c */
	bool want_subject_token;        /* capture Keystone's X-Subject-Token */
};

struct neutron_http_response {
	long status;                    /* the final attempt's HTTP status */
	char *body;                     /* NUL-terminated, owned; may be NULL */
	size_t body_len;
	char *subject_token;            /* owned, or NULL */
	/* An earlier attempt of this exchange may have been carried out by the
	 * server (5xx or a transport failure after the request was sent). */
	bool ambiguous_earlier;
	long retry_after_ms;            /* a 429/5xx's Retry-After (seconds form), 0: none */
};

/* Sends one request with the retry policy.  Returns 0 when an HTTP answer
 * arrived (any status; *resp filled, release it with
 * neutron_http_response_done) or -errno on a transport failure (err filled).
 * Secrets in the body or headers are never logged nor put in err. */
int neutron_http_exchange(struct neutron_client *c, const struct neutron_http_request *req,
			  struct neutron_http_response *resp, struct neutron_error *err);
void neutron_http_response_done(struct neutron_http_response *resp);
void neutron_http_slots_free(struct neutron_client *c);

/* The wait before retry number `attempt` (0 for the first retry): the base
 * doubled per attempt, capped at NEUTRON_BACKOFF_MAX_MS, with "equal jitter"
 * (uniform in [d/2, d]) drawn from `rnd`. */
long neutron_backoff_ms(long base_ms, int attempt, uint32_t rnd);
/* The retry policy (http.c explains it).  `r` is 0 when an HTTP answer with
 * `status` arrived, else the transport error; `maybe_sent` tells whether
 * the request may have reached the server. */
bool neutron_retry_allowed(bool idempotent, int r, long status, bool maybe_sent);
/* A Retry-After header's value in the delay-seconds form ("3"), as ms.
 * -EINVAL for anything else (the HTTP-date form is not honoured). */
int neutron_retry_after_parse(const char *value, long *ret_ms);
/* Honoured up to this; a longer wait ends the retries (the caller's own
 * backoff takes over). */
#define NEUTRON_RETRY_AFTER_MAX_MS 10000L
/* Maps a curl error to -errno. */
int neutron_curl_errno(CURLcode code);

/* deadline.c: the calling thread's deadline (neutron_deadline_set). */

/* Cuts *timeout_ms (<= 0: none) to the time left.  -ETIME when none is. */
int neutron_deadline_cut(long *timeout_ms);
/* The deadline as an absolute CLOCK_MONOTONIC time; false without one. */
bool neutron_deadline_abstime(struct timespec *ret);

/* auth.c */

/* Copies of what a request needs: the token (NULL for noauth), the endpoint
 * and the generation of the token.  Authenticates when there is no token yet
 * or it is due for renewal (whose token state keeps the abort-on-OOM
 * policy: docs/fuzzing.md).  -ENOMEM for the copies.  The caller frees the
 * strings. */
int neutron_auth_get(struct neutron_client *c, char **ret_token, char **ret_endpoint,
		     uint64_t *ret_gen, struct neutron_error *err);
/* Authenticates unless a usable token is cached (noauth: nothing). */
int neutron_auth_ensure(struct neutron_client *c, struct neutron_error *err);
/* After a 401 with the token of generation `gen`: authenticates again,
 * unless another thread already replaced that token. */
int neutron_auth_renew_after_401(struct neutron_client *c, uint64_t gen,
				 struct neutron_error *err);
void neutron_auth_free(struct neutron_client *c);

/* call.c: one Neutron call with authentication, retries, one
 * re-authentication on 401, and error parsing.  `path` is relative to the
 * endpoint and already escaped. */
int neutron_call(struct neutron_client *c, const char *method, const char *path,
		 const json_t *body, const char *extra_header, bool idempotent,
		 json_t **ret_body, struct neutron_error *err);

/* parse.c: pure functions, unit-tested on canned JSON. */

/* Fills err from an error answer: NeutronError {type, message, detail},
 * Keystone's {"error": {title, message}}, or else the start of the body
 * made printable. */
void neutron_error_parse(long status, const char *body, size_t len, struct neutron_error *err);
/* -errno for a failed answer: the status mapping, refined by the NeutronError
 * type (409 OverQuota is -EDQUOT). */
int neutron_error_errno(long status, const char *type);

/* The URL of the service of `type` in a Keystone v3 token's catalog, for
 * the interface (NULL: "public") and region (NULL: any).  Borrowed from
 * `token`.  -ENXIO when there is none. */
int neutron_catalog_find(const json_t *token, const char *type, const char *region,
			 const char *interface, const char **ret_url);
/* Parses Keystone's ISO 8601 UTC times ("2024-05-01T10:00:00.000000Z"). */
int neutron_parse_time(const char *s, int64_t *ret_epoch);
/* The token's lifetime in seconds (expires_at - issued_at). */
int neutron_token_lifetime(const json_t *token, int64_t *ret_s);

/* Normalises a Neutron endpoint: no trailing "/" nor "/v2.0".  Owned.
 * -EINVAL for no http(s) URL with a host, -ENOMEM. */
int neutron_endpoint_normalize(const char *url, char **ret);
/* Normalises a Keystone URL to end in "/v3".  Owned.  -EINVAL, -ENOMEM. */
int neutron_auth_url_normalize(const char *url, char **ret);
/* Compact JSON text of v (caller frees), or NULL without memory.  Not
 * json_dumps(): jansson 2.14 ignores a failed append of an object key
 * there and returns the JSON without it (docs/fuzzing.md). */
char *neutron_json_dump(const json_t *v);
/* Escapes one path segment or query value (RFC 3986).  Owned; NULL
 * without memory. */
char *neutron_escape(const char *s);
/* "/v2.0/<collection>?k=v&...&limit=N" with keys and values escaped.
 * -EINVAL for bad names, -ENOMEM. */
int neutron_build_list_path(const char *collection, const struct neutron_filter *filters,
			    size_t n_filters, unsigned page_size, char **ret);
/* The "next" link of a list page ("<key>_links", rel "next") as a path
 * relative to `endpoint`.  Returns 1 and *ret_path (owned), 0 when there is
 * no next page, -EBADMSG for a link that cannot be parsed, -ENOMEM. */
int neutron_next_link(const json_t *page, const char *key, const char *endpoint,
		      char **ret_path);
/* The JSON key of a collection: "security-groups" -> "security_groups". */
int neutron_collection_key(const char *collection, char *buf, size_t size);

#endif

/* The Neutron client: Keystone v3 authentication and the Neutron v2.0 calls
 * superfluid makes, over libcurl, with JSON handled by jansson.
 *
 * Thread safety: one struct neutron_client may be used from many threads at
 * once.  It holds at most opts.max_concurrent requests in flight (callers
 * beyond that wait for a slot) and reuses one curl handle, and so one
 * keep-alive connection, per slot.
 *
 * Conventions: every call returns 0 or a negative errno.  When the server
 * answered with an error, the call returns a negative errno derived from the
 * HTTP status (see neutron_status_to_errno; a 409 OverQuota is -EDQUOT) and,
 * if `err` is not NULL, fills it with the status, Neutron's error type
 * ("PortNotFound", ...) and message.  Without an answer: -ECONNREFUSED,
 * -ETIMEDOUT, -EHOSTUNREACH, -ECONNRESET, -EPROTO (TLS), -EFBIG (answer over
 * 16 MiB); -EBADMSG for a malformed answer, -ENXIO when the catalog has no
 * matching network endpoint.  src/neutron/http.c documents the retry policy.
 * Resources are returned as jansson objects (the inner object, e.g. the
 * "port" member, not the envelope); the caller owns them and frees them with
 * json_decref().  Outputs are written only on success. */
#ifndef SF_NEUTRON_NEUTRON_H
#define SF_NEUTRON_NEUTRON_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/util.h"

enum neutron_auth_type {
	NEUTRON_AUTH_PASSWORD,          /* Keystone v3 password */
	NEUTRON_AUTH_APP_CREDENTIAL,    /* Keystone v3 application credential */
	NEUTRON_AUTH_NOAUTH,            /* neutron-server with auth_strategy = noauth */
};

/* Borrowed strings: neutron_client_new copies what it keeps.  A zeroed
 * numeric field takes its default, so `struct neutron_opts o = {...}` with
 * only the strings set is a sane configuration. */
struct neutron_opts {
	enum neutron_auth_type auth_type;
	const char *auth_url;            /* Keystone, e.g. http://198.18.0.1:5000/v3 */
	const char *username;
	const char *password;
	const char *user_domain_name;    /* default "Default" */
	const char *project_name;
	const char *project_domain_name; /* default "Default" */
	const char *app_cred_id;
	const char *app_cred_secret;
	const char *region_name;         /* NULL: the first network endpoint */
	const char *interface;           /* public (default), internal, admin */
	const char *endpoint_override;   /* Neutron URL; skips the catalog */
	const char *project_id;          /* noauth: sent as X-Project-Id */
	const char *cafile;              /* the only CAs trusted; NULL: the system's store */
	bool insecure;                   /* turn TLS verification off; never default */
	long connect_timeout_ms;         /* default 5000 */
	long timeout_ms;                 /* one attempt, default 30000; with
					  * retries a call may last (max_retries
					  * + 1) times this plus the backoff */
	int max_retries;                 /* 0: default 3; negative: no retries */
	long retry_base_ms;              /* first backoff, default 200, doubled, jittered */
	int max_concurrent;              /* requests in flight, default 8 */
	long token_renew_margin_s;       /* renew this long before expiry, default
					  * 300, at most half the token's life */
};

/* The error detail of a failed call. */
struct neutron_error {
	int http_status;      /* 0 when no HTTP answer arrived */
	char type[64];        /* NeutronError.type, or "" */
	char message[512];    /* NeutronError.message, or a transport error */
	long retry_after_ms;  /* a 429 or 5xx answer's Retry-After; 0: none said */
};

/* neutron_error.type when Keystone refused the credentials themselves (a
 * deleted application credential, a wrong password): the client logs that
 * once a minute, so callers need not repeat it per request. */
#define NEUTRON_ERROR_CREDENTIALS "KeystoneCredentialsRefused"

struct neutron_client;

/* Counters for metrics and tests (monotonic since neutron_client_new). */
struct neutron_stats {
	uint64_t requests;        /* HTTP requests sent, retries included */
	uint64_t retries;
	uint64_t errors;          /* calls that finally failed */
	uint64_t auths;           /* Keystone token issues */
	uint64_t reauths_on_401;
	uint64_t connections;     /* new TCP connections (curl's count) */
	uint64_t total_us;        /* time spent in requests */
};

int neutron_client_new(const struct neutron_opts *opts, struct neutron_client **ret) MUST_CHECK;
void neutron_client_free(struct neutron_client *c);
/* One attempt's timeout (neutron_opts.timeout_ms as set up). */
long neutron_client_timeout_ms(const struct neutron_client *c);
void neutron_client_stats(struct neutron_client *c, struct neutron_stats *ret);

/* A deadline for every request the calling thread makes (Keystone's
 * included) until neutron_deadline_clear, as util_now_ms() + the time
 * allowed: each attempt's connect and total timeouts are cut to the time
 * left, no retry starts after it, a wait for a free slot or for another
 * thread's authentication ends at it, and a request with no time left fails
 * at once with -ETIME (a cut attempt that times out is -ETIMEDOUT as ever).
 * Thread-local: a cold ADD sets it, the background threads do not. */
void neutron_deadline_set(uint64_t deadline_ms);
void neutron_deadline_clear(void);

/* The global request id the calling thread's Neutron requests carry
 * (X-Openstack-Request-Id: "req-<uuid>"; neutron-server logs it beside its
 * own) until neutron_request_id_clear.  neutron_request_id_new writes a
 * fresh one into buf (NEUTRON_REQUEST_ID_LEN bytes at least). */
#define NEUTRON_REQUEST_ID_LEN 41
int neutron_request_id_new(char *buf, size_t size) MUST_CHECK;
void neutron_request_id_set(const char *id);
void neutron_request_id_clear(void);
const char *neutron_request_id(void);   /* NULL: none */

/* Authenticates now (normally done lazily); fills the endpoint from the
 * catalog.  Useful for `sfctl doctor` to tell Keystone failures apart. */
int neutron_authenticate(struct neutron_client *c, struct neutron_error *err) MUST_CHECK;
/* The Neutron endpoint in use (borrowed, valid until the client is freed),
 * NULL before the first authentication (set at once with endpoint_override
 * or noauth).  The three getters below stay valid across token renewals:
 * the client keeps each string it handed out until it is freed (a few
 * hundred bytes per renewal). */
const char *neutron_endpoint(struct neutron_client *c);
/* The project id of the current token (borrowed), or NULL. */
const char *neutron_project_id(struct neutron_client *c);
/* The current token (borrowed), or NULL: tests revoke it to prove re-auth. */
const char *neutron_token(struct neutron_client *c);

/* Maps an HTTP status to -errno: 400 EINVAL, 401 EACCES, 403 EPERM,
 * 404 ENOENT, 409 EEXIST, 412 ESTALE, 413 EDQUOT (over quota), 5xx EIO. */
int neutron_status_to_errno(int http_status);

/* The raw call: method and path relative to the endpoint ("/v2.0/ports?..."),
 * optional body, optional extra header (e.g. "If-Match: revision_number=3").
 * On success *ret_body is the parsed answer (NULL for 204, an empty body
 * or a JSON null, which Neutron answers to PUT .../tags/<tag>). */
int neutron_request(struct neutron_client *c, const char *method, const char *path,
		    const json_t *body, const char *extra_header, json_t **ret_body,
		    struct neutron_error *err) MUST_CHECK;

/* A filter for list calls: key=value pairs, repeated keys allowed
 * (fields, tags, status...).  Values are URL-encoded by the client. */
struct neutron_filter {
	const char *key;
	const char *value;
};

/* Lists follow Neutron's pagination links ("ports_links" next) until the
 * end, asking `page_size` items per page (0: no limit parameter).  Returns a
 * JSON array in *ret. */
int neutron_list(struct neutron_client *c, const char *collection,
		 const struct neutron_filter *filters, size_t n_filters, unsigned page_size,
		 json_t **ret, struct neutron_error *err) MUST_CHECK;

/* Generic calls on /v2.0/<collection>[/<id>] with the body enveloped in
 * <member> ("security-groups", "security_group"): what the typed calls
 * below use, and a way to reach resources that have none (routers...).
 * `ret` may be NULL for create and update.  update: revision < 0 is
 * unconditional, else it is sent as If-Match (stale: -ESTALE). */
int neutron_resource_create(struct neutron_client *c, const char *collection, const char *member,
			    const json_t *attrs, json_t **ret, struct neutron_error *err) MUST_CHECK;
int neutron_resource_show(struct neutron_client *c, const char *collection, const char *member,
			  const char *id, json_t **ret, struct neutron_error *err) MUST_CHECK;
int neutron_resource_update(struct neutron_client *c, const char *collection, const char *member,
			    const char *id, const json_t *attrs, int64_t revision, json_t **ret,
			    struct neutron_error *err) MUST_CHECK;
int neutron_resource_delete(struct neutron_client *c, const char *collection, const char *id,
			    struct neutron_error *err) MUST_CHECK;

/* Networks */
int neutron_network_create(struct neutron_client *c, const json_t *attrs, json_t **ret,
			   struct neutron_error *err) MUST_CHECK;
int neutron_network_show(struct neutron_client *c, const char *id, json_t **ret,
			 struct neutron_error *err) MUST_CHECK;
int neutron_network_delete(struct neutron_client *c, const char *id,
			   struct neutron_error *err) MUST_CHECK;
/* Resolves a name or id to the object of `collection` ("subnets",
 * "security-groups"...), among those `filters` (at most
 * NEUTRON_FIND_MAX_FILTERS, may be NULL) allow: an id is tried first, then
 * the name.  -ENOENT when none, -ENOTUNIQ when a name matches several. */
#define NEUTRON_FIND_MAX_FILTERS 4
int neutron_resource_find(struct neutron_client *c, const char *collection, const char *member,
			  const char *name_or_id, const struct neutron_filter *filters,
			  size_t n_filters, json_t **ret, struct neutron_error *err) MUST_CHECK;
/* neutron_resource_find for networks. */
int neutron_network_find(struct neutron_client *c, const char *name_or_id, json_t **ret,
			 struct neutron_error *err) MUST_CHECK;

/* Subnets */
int neutron_subnet_create(struct neutron_client *c, const json_t *attrs, json_t **ret,
			  struct neutron_error *err) MUST_CHECK;
int neutron_subnet_show(struct neutron_client *c, const char *id, json_t **ret,
			struct neutron_error *err) MUST_CHECK;
int neutron_subnet_delete(struct neutron_client *c, const char *id,
			  struct neutron_error *err) MUST_CHECK;

/* Ports */
int neutron_port_create(struct neutron_client *c, const json_t *attrs, json_t **ret,
			struct neutron_error *err) MUST_CHECK;
/* One POST {"ports":[...]}; Neutron creates all or none.  *ret is the array. */
int neutron_port_create_bulk(struct neutron_client *c, const json_t *attrs_array, json_t **ret,
			     struct neutron_error *err) MUST_CHECK;
int neutron_port_show(struct neutron_client *c, const char *id, json_t **ret,
		      struct neutron_error *err) MUST_CHECK;
/* revision < 0: unconditional; otherwise sent as If-Match and a stale
 * revision fails with -ESTALE (HTTP 412). */
int neutron_port_update(struct neutron_client *c, const char *id, const json_t *attrs,
			int64_t revision, json_t **ret, struct neutron_error *err) MUST_CHECK;
int neutron_port_delete(struct neutron_client *c, const char *id,
			struct neutron_error *err) MUST_CHECK;

/* Tags on any taggable resource ("ports", "networks", ...). */
int neutron_tags_set(struct neutron_client *c, const char *collection, const char *id,
		     const char *const *tags, size_t n_tags, struct neutron_error *err) MUST_CHECK;
int neutron_tag_add(struct neutron_client *c, const char *collection, const char *id,
		    const char *tag, struct neutron_error *err) MUST_CHECK;
int neutron_tag_remove(struct neutron_client *c, const char *collection, const char *id,
		       const char *tag, struct neutron_error *err) MUST_CHECK;

/* Trunks.  `subports` is an array of {"port_id","segmentation_type",
 * "segmentation_id"} objects ({"port_id"} for removal). */
int neutron_trunk_create(struct neutron_client *c, const json_t *attrs, json_t **ret,
			 struct neutron_error *err) MUST_CHECK;
int neutron_trunk_show(struct neutron_client *c, const char *id, json_t **ret,
		       struct neutron_error *err) MUST_CHECK;
int neutron_trunk_add_subports(struct neutron_client *c, const char *trunk_id,
			       const json_t *subports, json_t **ret,
			       struct neutron_error *err) MUST_CHECK;
int neutron_trunk_remove_subports(struct neutron_client *c, const char *trunk_id,
				  const json_t *subports, json_t **ret,
				  struct neutron_error *err) MUST_CHECK;
int neutron_trunk_delete(struct neutron_client *c, const char *id,
			 struct neutron_error *err) MUST_CHECK;

/* Security groups and rules */
int neutron_secgroup_create(struct neutron_client *c, const json_t *attrs, json_t **ret,
			    struct neutron_error *err) MUST_CHECK;
int neutron_secgroup_show(struct neutron_client *c, const char *id, json_t **ret,
			  struct neutron_error *err) MUST_CHECK;
int neutron_secgroup_delete(struct neutron_client *c, const char *id,
			    struct neutron_error *err) MUST_CHECK;
int neutron_secgroup_rule_create(struct neutron_client *c, const json_t *attrs, json_t **ret,
				 struct neutron_error *err) MUST_CHECK;
int neutron_secgroup_rule_delete(struct neutron_client *c, const char *id,
				 struct neutron_error *err) MUST_CHECK;

/* Extensions: *ret is the array of extension objects. */
int neutron_extensions_list(struct neutron_client *c, json_t **ret,
			    struct neutron_error *err) MUST_CHECK;
/* 1 when the alias is present, 0 when not, -errno on failure. */
int neutron_extension_present(struct neutron_client *c, const char *alias,
			      struct neutron_error *err) MUST_CHECK;

/* Quota details of a project (NULL: the token's project): *ret is the
 * "quota" object, {"port": {"used","limit","reserved"}, ...}. */
int neutron_quota_details(struct neutron_client *c, const char *project_id, json_t **ret,
			  struct neutron_error *err) MUST_CHECK;

/* Agents (for doctor: is there a live agent on this host?).  *ret is the
 * array of agents matching host (NULL: all). */
int neutron_agents_list(struct neutron_client *c, const char *host, json_t **ret,
			struct neutron_error *err) MUST_CHECK;

#endif

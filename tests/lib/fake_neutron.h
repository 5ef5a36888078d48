/* A real HTTP server on 127.0.0.1 (libmicrohttpd, in this process) that
 * plays a tiny Keystone (POST /v3/auth/tokens) and Neutron: scripted (the
 * statuses and the body of struct fake) or, after fake_model_on(), a
 * model that keeps networks, subnets, ports and trunks and serves list
 * (with filters and tags), show, create (bulk too), update (If-Match),
 * delete, tags and trunk subports.  A scripted status of 300 or more still
 * wins over the model: a way to fail one call.  Failures of the fixture
 * itself fail the cmocka test. */
#ifndef SF_TESTS_LIB_FAKE_NEUTRON_H
#define SF_TESTS_LIB_FAKE_NEUTRON_H

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "common/util.h"
#include "neutron/neutron.h"

#define FAKE_PASSWORD "s3cr3t-PASSWORD-x9"

struct fake {
	struct MHD_Daemon *d;
	unsigned short port;
	pthread_mutex_t lock;

	/* Script for Neutron requests: statuses in order, the last repeats. */
	int statuses[16];
	size_t n_statuses, next;
	const char *body;           /* answer body, default "{}" */
	long hold_ms;               /* delay before each Neutron answer */
	size_t big_body;            /* answer this many bytes instead */
	bool paginate;              /* serve 5 ports on GET /v2.0/ports */
	const char *retry_after;    /* Retry-After of scripted failures; NULL: none */

	/* Keystone */
	int token_lifetime_s;
	int tokens_issued;
	int revoked_upto;           /* tok-N with N <= this get a 401 */
	bool always_401;
	bool keystone_refuses;
	char last_auth_body[2048];

	/* What the server saw. */
	int connections;
	int neutron_requests;
	int in_flight, max_in_flight;
	char last_method[16];
	char last_url[1024];
	char last_if_match[64];
	char last_request_id[96];   /* X-Openstack-Request-Id, "" when none */
	char last_project[64];
	char last_roles[64];
	char last_body[4096];

	/* Model mode (fake_model_on): Neutron's resources, kept and served. */
	json_t *model;              /* collection -> array of objects */
	const char *port_status;    /* of a created port; NULL: "ACTIVE" */
	unsigned next_id;
	int port_listings;          /* GET /v2.0/ports by deployment tag */
};

struct fake *fake_start(void);
void fake_stop(struct fake *f);
/* The statuses of the next Neutron answers, in order; the last repeats. */
void fake_script(struct fake *f, size_t n, const int *statuses);

/* Server threads read these fields: tests change them under the lock. */
#define SET(f, field, value) do { \
	pthread_mutex_lock(&(f)->lock); \
	(f)->field = (value); \
	pthread_mutex_unlock(&(f)->lock); \
} while (0)

#define SCRIPT(f, ...) do { \
	const int s_[] = { __VA_ARGS__ }; \
	fake_script(f, ARRAY_SIZE(s_), s_); \
} while (0)

/* Clients of the server: without Keystone (the endpoint given), or with a
 * password; options not set in *o get the fixture's. */
struct neutron_client *fake_noauth_client(struct fake *f, struct neutron_opts *o);
struct neutron_client *fake_password_client(struct fake *f, struct neutron_opts *o);

#include "fake_model.h"

#endif

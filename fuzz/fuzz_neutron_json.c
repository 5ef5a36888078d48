/* The parsers of Keystone's and Neutron's answers (src/neutron/parse.c,
 * declared in internal.h), on the input as a response body: the error
 * body of a failed call, a token answer (lifetime, catalog, the endpoint
 * found in it) and a page of a list (its "next" link). */
#include "fuzz.h"

#include "neutron/internal.h"

static void check_error_body(const uint8_t *data, size_t size)
{
	static const long statuses[] = { 400, 401, 404, 409, 500 };
	struct neutron_error err;

	for (size_t i = 0; i < ARRAY_SIZE(statuses); i++) {
		memset(&err, 0x5a, sizeof(err));
		neutron_error_parse(statuses[i], (const char *)data, size, &err);
		FUZZ_CHECK(err.http_status == statuses[i]);
		FUZZ_CHECK(memchr(err.type, '\0', sizeof(err.type)));
		FUZZ_CHECK(memchr(err.message, '\0', sizeof(err.message)));
		/* Bodies are untrusted: what is kept is one printable line. */
		FUZZ_CHECK(fuzz_printable(err.type) && fuzz_printable(err.message));
		FUZZ_CHECK(err.message[0]);
		(void)neutron_error_errno(statuses[i], err.type);
	}
}

/* The endpoint taken from a catalog, as auth.c does. */
static void check_endpoint(const char *url)
{
	char *ep = NULL, *auth = NULL;
	size_t n;

	FUZZ_CHECK(url && url[0]);
	if (neutron_endpoint_normalize(url, &ep) == 0) {
		n = strlen(ep);
		/* internal.h: no trailing "/" nor "/v2.0" (our paths add both),
		 * and never cut into the scheme and host. */
		FUZZ_CHECK(n > strlen("http://") && strncmp(ep, url, n) == 0);
		FUZZ_CHECK(!(n > strlen("https://") && ep[n - 1] == '/'));
		free(ep);
	}
	if (neutron_auth_url_normalize(url, &auth) == 0) {
		n = strlen(auth);
		FUZZ_CHECK(n >= 3 && strcmp(auth + n - 3, "/v3") == 0);
		free(auth);
	}
}

static void check_token(const json_t *root)
{
	static const char *const regions[] = { NULL, "RegionOne" };
	static const char *const interfaces[] = { NULL, "internal", "admin" };
	const json_t *token = json_object_get(root, "token");
	int64_t lifetime;

	if (!token)
		token = root;
	if (neutron_token_lifetime(token, &lifetime) == 0)
		FUZZ_CHECK(lifetime > 0);
	for (size_t i = 0; i < ARRAY_SIZE(regions); i++) {
		for (size_t j = 0; j < ARRAY_SIZE(interfaces); j++) {
			const char *url = NULL;

			if (neutron_catalog_find(token, "network", regions[i], interfaces[j],
						 &url) == 0)
				check_endpoint(url);
		}
	}
}

static void check_page(const json_t *page)
{
	static const char *const keys[] = { "ports", "networks", "security_groups" };
	static const char *const endpoints[] = {
		NULL, "http://198.18.0.1:9696", "https://cloud.example/networking",
	};

	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		for (size_t j = 0; j < ARRAY_SIZE(endpoints); j++) {
			char *path = NULL;
			int r = neutron_next_link(page, keys[i], endpoints[j], &path);

			FUZZ_CHECK(r == 0 || r == 1 || r == -EBADMSG);
			if (r != 1) {
				FUZZ_CHECK(!path);
				continue;
			}
			/* A path to append to the endpoint: nothing else. */
			FUZZ_CHECK(strncmp(path, "/v2.0/", 6) == 0);
			for (const char *p = path; *p; p++)
				FUZZ_CHECK((unsigned char)*p > 0x20 && (unsigned char)*p < 0x7f);
			free(path);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *root;

	check_error_body(data, size);
	/* auth.c and call.c load bodies like this. */
	root = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL);
	if (root) {
		check_token(root);
		check_page(root);
		json_decref(root);
	}
	return 0;
}

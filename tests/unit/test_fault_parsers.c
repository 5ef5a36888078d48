/* Fault injection (fault_harness.h) in the parsers of what the daemon
 * reads from Neutron, Keystone, its store and the kernel, on the seeds of
 * fuzz/corpus/: neutron_error_parse and the token, catalog, endpoint and
 * next-link parsers; portinfo_from_json, portinfo_from_neutron,
 * portinfo_to_json; the netlink readers and nl_list_add. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fault_harness.h"

#include "bind/portinfo.h"
#include "netlink/msg.h"
#include "neutron/internal.h"

/* ---- the Neutron and Keystone response parsers ---- */

struct njson_ctx {
	const struct seed *seed;
	char sum[SUM_MAX];   /* built by run(): the parsers' outputs are many */
};

/* neutron_error_parse cannot fail: it fills a message in any case. */
static int nerr_run(void *p)
{
	struct njson_ctx *c = p;
	struct neutron_error err;

	c->sum[0] = '\0';
	neutron_error_parse(409, c->seed->data, c->seed->len, &err);
	for (const char *q = err.message; *q; q++)
		assert_true(*q >= 0x20 && *q < 0x7f);
	assert_true(err.message[0] != '\0');
	harness_cat(c->sum, sizeof(c->sum), "%s|%s", err.type, err.message);
	return 0;
}

static bool nerr_degraded_ok(const char *sum)
{
	/* Without memory for the JSON it quotes the body as text: a worse
	 * message, but one (checked printable above). */
	return true;
}

/* The token, catalog, endpoint and next-link parsers on the body loaded as
 * auth.c and call.c load it. */
static int njson_run(void *p)
{
	static const char *const regions[] = { NULL, "RegionOne" };
	static const char *const interfaces[] = { NULL, "internal", "admin" };
	static const char *const keys[] = { "ports", "networks" };
	static const char *const endpoints[] = { NULL, "https://cloud.example/networking" };
	struct njson_ctx *c = p;
	const json_t *token;
	json_error_t jerr;
	json_t *root;
	int64_t life = -1;
	int r, worst = 0;

	c->sum[0] = '\0';
	root = json_loadb(c->seed->data, c->seed->len, JSON_DECODE_ANY, &jerr);
	if (!root)
		return json_error_code(&jerr) == json_error_out_of_memory ? -ENOMEM : 0;
	token = json_object_get(root, "token") ? json_object_get(root, "token") : root;
	r = neutron_token_lifetime(token, &life);
	harness_cat(c->sum, sizeof(c->sum), "life=%d", r < 0 ? r : life > 0);
	for (size_t i = 0; i < ARRAY_SIZE(regions); i++)
		for (size_t j = 0; j < ARRAY_SIZE(interfaces); j++) {
			const char *url = NULL;
			char *ep = NULL, *auth = NULL;

			if (neutron_catalog_find(token, "network", regions[i], interfaces[j], &url) < 0)
				continue;
			r = neutron_endpoint_normalize(url, &ep);
			if (r == -ENOMEM)
				worst = r;
			harness_cat(c->sum, sizeof(c->sum), "|ep=%s", r < 0 ? "-" : ep);
			r = neutron_auth_url_normalize(url, &auth);
			if (r == -ENOMEM)
				worst = r;
			harness_cat(c->sum, sizeof(c->sum), "|auth=%s", r < 0 ? "-" : auth);
			free(ep);
			free(auth);
		}
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
		for (size_t j = 0; j < ARRAY_SIZE(endpoints); j++) {
			char *path = (char *)c;

			r = neutron_next_link(root, keys[i], endpoints[j], &path);
			if (r == -ENOMEM)
				worst = r;
			if (r != 1)
				assert_ptr_equal(path, (char *)c);
			harness_cat(c->sum, sizeof(c->sum), "|next=%s", r == 1 ? path : "-");
			if (r == 1)
				free(path);
		}
	json_decref(root);
	return worst;
}

static void njson_check(void *p, int r, char *sum, size_t size)
{
	struct njson_ctx *c = p;

	if (r >= 0)
		harness_cat(sum, size, "%s", c->sum);
}

static void test_neutron_json(void **state)
{
	struct seed *seeds;
	size_t n = harness_seeds_load("fuzz_neutron_json", &seeds);

	harness_begin();
	for (size_t i = 0; i < n; i++) {
		struct njson_ctx *c = calloc(1, sizeof(*c));

		assert_non_null(c);
		c->seed = &seeds[i];
		harness_run(&(struct fcase){ "neutron_error_parse", seeds[i].name, nerr_run,
					  njson_check, c, nerr_degraded_ok });
		harness_run(&(struct fcase){ "neutron json", seeds[i].name, njson_run, njson_check,
					  c, NULL });
		free(c);
	}
	harness_seeds_free(seeds, n);
	harness_end("neutron response parsers");
}

/* ---- portinfo_from_json, portinfo_from_neutron ---- */

struct portinfo_ctx {
	const struct seed *seed;
	json_t *root;       /* for from_neutron; loaded unarmed */
	bool neutron;
	struct portinfo pi;
	char *json;
};

static void poison(struct portinfo *pi)
{
	memset(pi, 0xa5, sizeof(*pi));
}

static bool poisoned(const struct portinfo *pi)
{
	const unsigned char *b = (const unsigned char *)pi;

	for (size_t i = 0; i < sizeof(*pi); i++)
		if (b[i] != 0xa5)
			return false;
	return true;
}

static int portinfo_run(void *p)
{
	struct portinfo_ctx *c = p;
	json_int_t mtu;

	poison(&c->pi);
	if (!c->neutron)
		return portinfo_from_json(c->seed->data, &c->pi);
	mtu = json_integer_value(json_object_get(c->root, "mtu_override"));
	return portinfo_from_neutron(json_object_get(c->root, "port"),
				     json_object_get(c->root, "network"),
				     json_object_get(c->root, "subnets"),
				     mtu > 0 && mtu <= 65535 ? (uint32_t)mtu : 0, &c->pi);
}

static void portinfo_check(void *p, int r, char *sum, size_t size)
{
	struct portinfo_ctx *c = p;
	char *json = NULL;

	if (r < 0) {
		assert_true(poisoned(&c->pi));
		return;
	}
	assert_int_equal(portinfo_to_json(&c->pi, &json), 0);
	harness_cat(sum, size, "%s", json);
	free(json);
}

/* portinfo_to_json under injection: the store's copy of what was parsed. */
static int portinfo_dump_run(void *p)
{
	struct portinfo_ctx *c = p;

	c->json = (char *)c;
	return portinfo_to_json(&c->pi, &c->json);
}

static void portinfo_dump_check(void *p, int r, char *sum, size_t size)
{
	struct portinfo_ctx *c = p;

	if (r < 0) {
		assert_ptr_equal(c->json, (char *)c);
		return;
	}
	harness_cat(sum, size, "%s", c->json);
	free(c->json);
}

static void test_portinfo(void **state)
{
	struct seed *seeds;
	size_t n = harness_seeds_load("fuzz_portinfo", &seeds);

	harness_begin();
	for (size_t i = 0; i < n; i++) {
		struct portinfo_ctx c = { .seed = &seeds[i] };
		char name[300];

		harness_run(&(struct fcase){ "portinfo_from_json", seeds[i].name, portinfo_run,
					  portinfo_check, &c, NULL });
		if (portinfo_run(&c) == 0) {
			snprintf(name, sizeof(name), "%s (to_json)", seeds[i].name);
			harness_run(&(struct fcase){ "portinfo_to_json", name, portinfo_dump_run,
						  portinfo_dump_check, &c, NULL });
		}
		c.root = json_loadb(seeds[i].data, seeds[i].len, 0, NULL);
		if (c.root) {
			c.neutron = true;
			harness_run(&(struct fcase){ "portinfo_from_neutron", seeds[i].name,
						  portinfo_run, portinfo_check, &c, NULL });
			json_decref(c.root);
		}
	}
	harness_seeds_free(seeds, n);
	harness_end("portinfo_from_json, portinfo_from_neutron");
}

/* ---- the netlink readers ---- */

struct nl_ctx {
	const struct seed *seed;
	char sum[SUM_MAX];
};

/* The input of fuzz_netlink: a byte choosing the request, then datagrams
 * of a 16-bit little-endian length and their bytes.  Each message goes to
 * every reader, and what they accept into the dump's lists. */
static int nl_run(void *p)
{
	struct nl_ctx *c = p;
	const unsigned char *d = (const unsigned char *)c->seed->data;
	size_t len = c->seed->len, off = 1;
	struct nl_list links = { .item_size = sizeof(struct nl_link) };
	struct nl_list addrs = { .item_size = sizeof(struct nl_addr) };
	struct nl_list routes = { .item_size = sizeof(struct nl_route) };
	int r = 0;

	c->sum[0] = '\0';
	while (off + 2 <= len && r == 0) {
		size_t n = (size_t)d[off] | (size_t)d[off + 1] << 8;
		unsigned char *dgram;
		const struct nlmsghdr *nlh;
		int left;

		off += 2;
		if (n > len - off)
			n = len - off;
		/* A block of its own, aligned as the kernel's would be. */
		dgram = aligned_alloc(8, (n + 8) & ~(size_t)7);
		if (!dgram)
			return -ENOMEM;
		memcpy(dgram, d + off, n);
		off += n;
		left = (int)n;
		for (nlh = (const struct nlmsghdr *)dgram; nl_msg_ok(nlh, left) && r == 0;
		     nlh = mnl_nlmsg_next(nlh, &left)) {
			struct nl_link link;
			struct nl_addr addr;
			struct nl_route route;
			struct nl_extack ext = { { 0 } };
			void *slot;

			if (nl_parse_link(nlh, &link) == 0) {
				slot = nl_list_add(&links);
				if (!slot)
					r = -ENOMEM;
				else
					*(struct nl_link *)slot = link;
				harness_cat(c->sum, sizeof(c->sum), "|link %d %s", link.ifindex, link.name);
			}
			if (nl_parse_addr(nlh, &addr) == 0) {
				slot = nl_list_add(&addrs);
				if (!slot)
					r = -ENOMEM;
				else
					*(struct nl_addr *)slot = addr;
				harness_cat(c->sum, sizeof(c->sum), "|addr %d/%u", addr.ifindex, addr.prefixlen);
			}
			if (nl_parse_route(nlh, &route) == 0) {
				slot = nl_list_add(&routes);
				if (!slot)
					r = -ENOMEM;
				else
					*(struct nl_route *)slot = route;
				harness_cat(c->sum, sizeof(c->sum), "|route %u", route.dst_len);
			}
			if (nlh->nlmsg_type == NLMSG_ERROR)
				harness_cat(c->sum, sizeof(c->sum), "|error %d %s", nl_parse_error(nlh, &ext),
				    ext.msg);
		}
		free(dgram);
	}
	free(links.items);
	free(addrs.items);
	free(routes.items);
	return r;
}

static void nl_check(void *p, int r, char *sum, size_t size)
{
	struct nl_ctx *c = p;

	if (r >= 0)
		harness_cat(sum, size, "%s", c->sum);
}

static void test_netlink(void **state)
{
	struct seed *seeds;
	size_t n = harness_seeds_load("fuzz_netlink", &seeds);

	harness_begin();
	for (size_t i = 0; i < n; i++) {
		struct nl_ctx *c = calloc(1, sizeof(*c));

		assert_non_null(c);
		c->seed = &seeds[i];
		harness_run(&(struct fcase){ "netlink readers", seeds[i].name, nl_run, nl_check, c,
					  NULL });
		free(c);
	}
	harness_seeds_free(seeds, n);
	harness_end("netlink readers");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_neutron_json),
		cmocka_unit_test(test_portinfo),
		cmocka_unit_test(test_netlink),
		cmocka_unit_test(harness_summary),
	};
	int r = harness_setup();

	if (r)
		return r;
	return cmocka_run_group_tests(tests, NULL, NULL);
}

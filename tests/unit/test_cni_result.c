/* ADD results (cni/result.h): the JSON of each spec version checked field by
 * field, the adders' checks, chaining with a prevResult, and a round trip
 * through the prevResult parser. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "cni/result.h"

/* What the daemon answers for one container: a host-side interface, the
 * container's, a v4 and a v6 address, two routes and DNS. */
static struct cni_result *sample(void)
{
	struct cni_result *res = cni_result_new();
	struct cni_interface host = { .name = "tapd7a0f1c2-3b", .mac = "fe:16:3e:00:00:09" };
	struct cni_interface ctr = { .name = "eth0", .mac = "fa:16:3e:12:34:56", .mtu = 1450,
				     .sandbox = "/run/netns/c1", .socket_path = "/run/x.sock",
				     .pci_id = "0000:00:1f.6" };
	struct cni_ip v4 = { .address = "198.18.0.5/24", .gateway = "198.18.0.1",
			     .has_interface = true, .interface = 1 };
	struct cni_ip v6 = { .address = "2001:db8::5/64", .has_interface = true, .interface = 1 };
	struct cni_route def = { .dst = "0.0.0.0/0", .gw = "198.18.0.1", .mtu = 1450,
				 .advmss = 1410, .priority = 100, .has_table = true, .table = 254,
				 .has_scope = true, .scope = 0 };
	struct cni_route v6def = { .dst = "::/0" };
	char *ns[] = { "198.18.0.2", NULL }, *search[] = { "svc.example", NULL };
	struct cni_dns dns = { .nameservers = ns, .n_nameservers = 1, .domain = "example",
			       .search = search, .n_search = 1 };
	size_t idx = 99;

	assert_int_equal(cni_result_add_interface(res, &host, &idx), 0);
	assert_int_equal(idx, 0);
	assert_int_equal(cni_result_add_interface(res, &ctr, &idx), 0);
	assert_int_equal(idx, 1);
	assert_int_equal(cni_result_add_ip(res, &v4), 0);
	assert_int_equal(cni_result_add_ip(res, &v6), 0);
	assert_int_equal(cni_result_add_route(res, &def), 0);
	assert_int_equal(cni_result_add_route(res, &v6def), 0);
	assert_int_equal(cni_result_add_dns(res, &dns), 0);
	return res;
}

static json_t *to_json(const struct cni_result *res, enum cni_version v)
{
	json_error_t jerr;
	char *s = NULL;
	json_t *o;

	assert_int_equal(cni_result_to_json(res, v, &s), 0);
	assert_int_equal(s[strlen(s) - 1], '\n');
	o = json_loads(s, 0, &jerr);
	if (!o)
		fail_msg("not JSON (%s): %s", jerr.text, s);
	free(s);
	return o;
}

static const char *str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static long long num(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	assert_true(json_is_integer(v));
	return json_integer_value(v);
}

/* Checks what every version prints alike. */
static void check_common(const json_t *o, const char *version)
{
	const json_t *ifs = json_object_get(o, "interfaces");
	const json_t *ips = json_object_get(o, "ips");
	const json_t *routes = json_object_get(o, "routes");
	const json_t *dns = json_object_get(o, "dns");

	assert_string_equal(str(o, "cniVersion"), version);
	assert_int_equal(json_object_size(o), 5);
	assert_int_equal(json_array_size(ifs), 2);
	assert_string_equal(str(json_array_get(ifs, 0), "name"), "tapd7a0f1c2-3b");
	assert_string_equal(str(json_array_get(ifs, 0), "mac"), "fe:16:3e:00:00:09");
	assert_null(json_object_get(json_array_get(ifs, 0), "sandbox")); /* host side */
	assert_string_equal(str(json_array_get(ifs, 1), "name"), "eth0");
	assert_string_equal(str(json_array_get(ifs, 1), "mac"), "fa:16:3e:12:34:56");
	assert_string_equal(str(json_array_get(ifs, 1), "sandbox"), "/run/netns/c1");

	assert_int_equal(json_array_size(ips), 2);
	assert_string_equal(str(json_array_get(ips, 0), "address"), "198.18.0.5/24");
	assert_string_equal(str(json_array_get(ips, 0), "gateway"), "198.18.0.1");
	assert_int_equal(num(json_array_get(ips, 0), "interface"), 1);
	assert_string_equal(str(json_array_get(ips, 1), "address"), "2001:db8::5/64");
	assert_null(json_object_get(json_array_get(ips, 1), "gateway"));
	assert_int_equal(num(json_array_get(ips, 1), "interface"), 1);

	assert_int_equal(json_array_size(routes), 2);
	assert_string_equal(str(json_array_get(routes, 0), "dst"), "0.0.0.0/0");
	assert_string_equal(str(json_array_get(routes, 0), "gw"), "198.18.0.1");
	assert_string_equal(str(json_array_get(routes, 1), "dst"), "::/0");
	assert_null(json_object_get(json_array_get(routes, 1), "gw"));
	assert_int_equal(json_object_size(json_array_get(routes, 1)), 1);

	assert_int_equal(json_object_size(dns), 3);
	assert_string_equal(json_string_value(json_array_get(json_object_get(dns, "nameservers"), 0)),
			    "198.18.0.2");
	assert_string_equal(str(dns, "domain"), "example");
	assert_string_equal(json_string_value(json_array_get(json_object_get(dns, "search"), 0)),
			    "svc.example");
	assert_null(json_object_get(dns, "options"));
}

static void test_json_pre_100(void **state)
{
	struct cni_result *res = sample();
	static const enum cni_version vs[] = { CNI_VERSION_0_3_1, CNI_VERSION_0_4_0 };

	for (size_t i = 0; i < 2; i++) {
		json_t *o = to_json(res, vs[i]);
		const json_t *ifs = json_object_get(o, "interfaces");
		const json_t *ips = json_object_get(o, "ips");
		const json_t *route = json_array_get(json_object_get(o, "routes"), 0);

		check_common(o, cni_version_str(vs[i]));
		/* Each ips entry says its family. */
		assert_string_equal(str(json_array_get(ips, 0), "version"), "4");
		assert_string_equal(str(json_array_get(ips, 1), "version"), "6");
		assert_int_equal(json_object_size(json_array_get(ips, 0)), 4);
		/* No 1.1.0 fields. */
		assert_int_equal(json_object_size(json_array_get(ifs, 1)), 3);
		assert_null(json_object_get(json_array_get(ifs, 1), "mtu"));
		assert_null(json_object_get(json_array_get(ifs, 1), "socketPath"));
		assert_int_equal(json_object_size(route), 2);
		json_decref(o);
	}
	cni_result_free(res);
}

static void test_json_100(void **state)
{
	struct cni_result *res = sample();
	json_t *o = to_json(res, CNI_VERSION_1_0_0);
	const json_t *ips = json_object_get(o, "ips");

	check_common(o, "1.0.0");
	assert_null(json_object_get(json_array_get(ips, 0), "version"));
	assert_int_equal(json_object_size(json_array_get(ips, 0)), 3);
	assert_int_equal(json_object_size(json_array_get(json_object_get(o, "interfaces"), 1)), 3);
	assert_int_equal(json_object_size(json_array_get(json_object_get(o, "routes"), 0)), 2);
	json_decref(o);
	cni_result_free(res);
}

static void test_json_110(void **state)
{
	struct cni_result *res = sample();
	json_t *o = to_json(res, CNI_VERSION_1_1_0);
	const json_t *eth0 = json_array_get(json_object_get(o, "interfaces"), 1);
	const json_t *route = json_array_get(json_object_get(o, "routes"), 0);

	check_common(o, "1.1.0");
	assert_null(json_object_get(json_array_get(json_object_get(o, "ips"), 0), "version"));
	assert_int_equal(json_object_size(eth0), 6);
	assert_int_equal(num(eth0, "mtu"), 1450);
	assert_string_equal(str(eth0, "socketPath"), "/run/x.sock");
	assert_string_equal(str(eth0, "pciID"), "0000:00:1f.6");
	/* The host interface has no mtu: it is left out, not 0. */
	assert_int_equal(json_object_size(json_array_get(json_object_get(o, "interfaces"), 0)), 2);
	assert_int_equal(json_object_size(route), 7);
	assert_int_equal(num(route, "mtu"), 1450);
	assert_int_equal(num(route, "advmss"), 1410);
	assert_int_equal(num(route, "priority"), 100);
	assert_int_equal(num(route, "table"), 254);
	assert_int_equal(num(route, "scope"), 0);  /* set, so printed even as 0 */
	json_decref(o);
	cni_result_free(res);
}

static void test_empty_result(void **state)
{
	struct cni_result *res = cni_result_new();
	json_t *o = to_json(res, CNI_VERSION_1_1_0);

	/* Nothing but the version: empty lists and DNS are left out. */
	assert_int_equal(json_object_size(o), 1);
	json_decref(o);
	cni_result_free(res);
	cni_result_free(NULL);
}

static void test_adders_check(void **state)
{
	struct cni_result *res = cni_result_new();
	struct cni_interface noname = { .mac = "fa:16:3e:00:00:01" };
	struct cni_interface badmtu = { .name = "eth0", .mtu = -1 };
	struct cni_interface eth0 = { .name = "eth0" };
	static const char *const bad_cidrs[] = { NULL, "", "198.18.0.5", "198.18.0.5/", "/24",
						 "198.18.0.5/33", "2001:db8::1/129", "x/24",
						 "198.18.0.5/2a", "198.18.0.256/24", "198.18.0.5/0024" };

	assert_int_equal(cni_result_add_interface(res, &noname, NULL), -EINVAL);
	assert_int_equal(cni_result_add_interface(res, &badmtu, NULL), -EINVAL);
	for (size_t i = 0; i < sizeof(bad_cidrs) / sizeof(*bad_cidrs); i++) {
		struct cni_ip ip = { .address = (char *)bad_cidrs[i] };
		struct cni_route rt = { .dst = (char *)bad_cidrs[i] };

		if (cni_result_add_ip(res, &ip) != -EINVAL)
			fail_msg("address '%s' accepted", bad_cidrs[i] ? bad_cidrs[i] : "(null)");
		assert_int_equal(cni_result_add_route(res, &rt), -EINVAL);
	}
	/* The interface index must exist already. */
	{
		struct cni_ip ip = { .address = "198.18.0.5/24", .has_interface = true };

		assert_int_equal(cni_result_add_ip(res, &ip), -EINVAL);
		assert_int_equal(cni_result_add_interface(res, &eth0, NULL), 0);
		assert_int_equal(cni_result_add_ip(res, &ip), 0);
		ip.interface = 1;
		assert_int_equal(cni_result_add_ip(res, &ip), -EINVAL);
		ip.interface = -1;
		assert_int_equal(cni_result_add_ip(res, &ip), -EINVAL);
	}
	/* Gateways are addresses of the same family. */
	{
		struct cni_ip ip = { .address = "198.18.0.5/24", .gateway = "2001:db8::1" };

		assert_int_equal(cni_result_add_ip(res, &ip), -EINVAL);
		ip.gateway = "198.18.0";
		assert_int_equal(cni_result_add_ip(res, &ip), -EINVAL);
		ip.address = "2001:db8::5/64";
		ip.gateway = "2001:db8::1";
		assert_int_equal(cni_result_add_ip(res, &ip), 0);
	}
	{
		struct cni_route rt = { .dst = "0.0.0.0/0", .gw = "gateway" };

		assert_int_equal(cni_result_add_route(res, &rt), -EINVAL);
		rt.gw = NULL;
		rt.has_scope = true;
		rt.scope = 256;
		assert_int_equal(cni_result_add_route(res, &rt), -EINVAL);
		rt.scope = 253;
		rt.mtu = -5;
		assert_int_equal(cni_result_add_route(res, &rt), -EINVAL);
		rt.mtu = 0;
		rt.has_table = true;
		rt.table = -1;
		assert_int_equal(cni_result_add_route(res, &rt), -EINVAL);
	}
	assert_int_equal(res->n_interfaces, 1);
	assert_int_equal(res->n_ips, 2);
	assert_int_equal(res->n_routes, 0);
	cni_result_free(res);
}

/* A plugin that gets a prevResult prints it with its own additions. */
static void test_merge_prev(void **state)
{
	struct cni_result *prev = cni_result_new(), *res = sample();
	struct cni_interface lo = { .name = "lo", .sandbox = "/run/netns/c1" };
	struct cni_ip ip = { .address = "127.0.0.1/8", .has_interface = true, .interface = 0 };
	char *ns[] = { "198.18.0.53", "198.18.0.2", NULL }, *opts[] = { "rotate", NULL };
	struct cni_dns dns = { .nameservers = ns, .n_nameservers = 2, .domain = "prev.example",
			       .options = opts, .n_options = 1 };
	json_t *o;

	assert_int_equal(cni_result_add_interface(prev, &lo, NULL), 0);
	assert_int_equal(cni_result_add_ip(prev, &ip), 0);
	assert_int_equal(cni_result_add_dns(prev, &dns), 0);
	assert_int_equal(cni_result_merge_prev(res, prev), 0);

	assert_int_equal(res->n_interfaces, 3);
	assert_string_equal(res->interfaces[0].name, "lo");
	assert_string_equal(res->interfaces[2].name, "eth0");
	assert_int_equal(res->n_ips, 3);
	assert_string_equal(res->ips[0].address, "127.0.0.1/8");
	assert_int_equal(res->ips[0].interface, 0);
	/* Ours pointed at eth0 (1); after lo it is 2. */
	assert_int_equal(res->ips[1].interface, 2);
	assert_int_equal(res->ips[2].interface, 2);
	assert_int_equal(res->n_routes, 2);
	assert_int_equal(res->routes[0].table, 254);
	/* DNS: prev's first, no duplicates; prev's domain wins. */
	assert_int_equal(res->dns.n_nameservers, 2);
	assert_string_equal(res->dns.nameservers[0], "198.18.0.53");
	assert_string_equal(res->dns.nameservers[1], "198.18.0.2");
	assert_null(res->dns.nameservers[2]);
	assert_string_equal(res->dns.domain, "prev.example");
	assert_string_equal(res->dns.options[0], "rotate");
	assert_string_equal(res->dns.search[0], "svc.example");

	o = to_json(res, CNI_VERSION_1_0_0);
	assert_int_equal(num(json_array_get(json_object_get(o, "ips"), 1), "interface"), 2);
	json_decref(o);
	cni_result_free(prev);
	cni_result_free(res);
}

/* What we print, the prevResult parser reads back the same, per version. */
static void test_round_trip(void **state)
{
	struct cni_result *res = sample();

	for (int v = CNI_VERSION_0_3_1; v <= CNI_VERSION_1_1_0; v++) {
		struct cni_result *back = NULL;
		struct cni_error err;
		json_t *o = to_json(res, (enum cni_version)v), *o2;

		cni_error_init(&err);
		if (cni_result_from_json(o, (enum cni_version)v, &back, &err) < 0)
			fail_msg("%s: %s", cni_version_str((enum cni_version)v), err.msg);
		o2 = to_json(back, (enum cni_version)v);
		assert_true(json_equal(o, o2));
		assert_int_equal(back->n_ips, 2);
		assert_int_equal(back->ips[1].interface, 1);
		json_decref(o);
		json_decref(o2);
		cni_result_free(back);
	}
	cni_result_free(res);
}

static void test_families(void **state)
{
	assert_int_equal(cni_ip_family("198.18.0.1"), 4);
	assert_int_equal(cni_ip_family("::1"), 6);
	assert_int_equal(cni_ip_family("::ffff:198.18.0.1"), 6);
	assert_int_equal(cni_ip_family("198.18.0.1/32"), -EINVAL);
	assert_int_equal(cni_cidr_family("0.0.0.0/0"), 4);
	assert_int_equal(cni_cidr_family("198.18.0.1/32"), 4);
	assert_int_equal(cni_cidr_family("fe80::1/128"), 6);
	assert_int_equal(cni_cidr_family("fe80::1%eth0/64"), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_pre_100),
		cmocka_unit_test(test_json_100),
		cmocka_unit_test(test_json_110),
		cmocka_unit_test(test_empty_result),
		cmocka_unit_test(test_adders_check),
		cmocka_unit_test(test_merge_prev),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_families),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

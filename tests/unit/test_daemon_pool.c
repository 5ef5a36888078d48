/* The daemon's pure logic: portinfo from Neutron's objects and back, the
 * refill arithmetic, the host device names. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bind/bind.h"
#include "pool/pool.h"
#include "bind/portinfo.h"

static const char *port_json =
	"{\"id\":\"0c6d51de-f42a-4986-9969-f7eb21459b73\","
	"\"network_id\":\"0871dd9c-125a-466c-b99f-4f389e759a40\","
	"\"mac_address\":\"fa:16:3e:d7:4d:20\","
	"\"fixed_ips\":[{\"subnet_id\":\"s4\",\"ip_address\":\"198.19.10.144\"},"
	"{\"subnet_id\":\"s6\",\"ip_address\":\"fd00:10::5\"}]}";
static const char *network_json = "{\"id\":\"0871dd9c-125a-466c-b99f-4f389e759a40\",\"mtu\":1450}";
static const char *subnets_json =
	"{\"s4\":{\"id\":\"s4\",\"cidr\":\"198.19.10.0/24\",\"gateway_ip\":\"198.19.10.1\","
	"\"dns_nameservers\":[\"198.18.0.53\"],"
	"\"host_routes\":[{\"destination\":\"198.19.200.0/24\",\"nexthop\":\"198.19.10.254\"}]},"
	"\"s6\":{\"id\":\"s6\",\"cidr\":\"fd00:10::/64\",\"gateway_ip\":null,"
	"\"dns_nameservers\":[],\"host_routes\":[]}}";

static int build(const char *port, const char *net, uint32_t mtu, struct portinfo *pi)
{
	json_t *p = json_loads(port, 0, NULL), *n = json_loads(net, 0, NULL);
	json_t *s = json_loads(subnets_json, 0, NULL);
	int r = portinfo_from_neutron(p, n, s, mtu, pi);

	json_decref(p);
	json_decref(n);
	json_decref(s);
	return r;
}

static void test_portinfo_from_neutron(void **state)
{
	struct portinfo pi;

	assert_int_equal(build(port_json, network_json, 0, &pi), 0);
	assert_string_equal(pi.mac_str, "fa:16:3e:d7:4d:20");
	assert_int_equal(pi.mtu, 1450);
	assert_int_equal(pi.n_ips, 2);
	assert_string_equal(pi.ips[0].cidr, "198.19.10.144/24");
	assert_true(pi.ips[0].has_gw);
	assert_string_equal(pi.ips[0].gw_str, "198.19.10.1");
	assert_string_equal(pi.ips[1].cidr, "fd00:10::5/64");
	assert_false(pi.ips[1].has_gw);
	assert_int_equal(pi.n_routes, 1);
	assert_string_equal(pi.routes[0].dst_str, "198.19.200.0/24");
	assert_int_equal(pi.routes[0].dst_len, 24);
	assert_int_equal(pi.n_dns, 1);
	assert_string_equal(pi.dns[0], "198.18.0.53");
}

static void test_portinfo_round_trip(void **state)
{
	struct portinfo a, b;
	char *text = NULL;

	assert_int_equal(build(port_json, network_json, 1400, &a), 0);
	assert_int_equal(portinfo_to_json(&a, &text), 0);
	assert_int_equal(portinfo_from_json(text, &b), 0);
	assert_null(strstr(text, "vlan"));
	free(text);
	assert_int_equal(b.mtu, 1400);
	assert_memory_equal(a.mac, b.mac, 6);
	assert_int_equal(b.n_ips, 2);
	assert_memory_equal(&a.ips[0].ip, &b.ips[0].ip, sizeof(a.ips[0].ip));
	assert_memory_equal(&a.ips[0].gw, &b.ips[0].gw, sizeof(a.ips[0].gw));
	assert_int_equal(b.ips[1].prefixlen, 64);
	assert_int_equal(b.n_routes, 1);
	assert_string_equal(b.dns[0], "198.18.0.53");
	assert_int_equal(b.vlan_id, 0);

	/* VLAN mode keeps the subport's id with the record. */
	a.vlan_id = 4094;
	assert_int_equal(portinfo_to_json(&a, &text), 0);
	assert_int_equal(portinfo_from_json(text, &b), 0);
	assert_int_equal(b.vlan_id, 4094);
	free(text);
}

#define OVS_PORT_JSON(hybrid)                                                            \
	"{\"id\":\"0c6d51de-f42a-4986-9969-f7eb21459b73\","                                       \
	"\"network_id\":\"0871dd9c-125a-466c-b99f-4f389e759a40\","                               \
	"\"mac_address\":\"fa:16:3e:d7:4d:20\",\"binding:vif_type\":\"ovs\","                   \
	"\"binding:vif_details\":{\"bridge_name\":\"br-int\",\"ovs_hybrid_plug\":" hybrid "},"    \
	"\"fixed_ips\":[{\"subnet_id\":\"s4\",\"ip_address\":\"198.19.10.144\"}]}"

static int build_ovs(bool hybrid, struct portinfo *pi)
{
	return build(hybrid ? OVS_PORT_JSON("true") : OVS_PORT_JSON("false"), network_json, 0, pi);
}

/* The switch binding the port comes from binding:vif_type and survives the
 * store; a Linux bridge port records none. */
static void test_portinfo_ovs_binding(void **state)
{
	struct portinfo a, b;
	char *text = NULL;

	assert_int_equal(build(port_json, network_json, 0, &a), 0);
	assert_string_equal(a.ovs_bridge, "");
	assert_int_equal(portinfo_to_json(&a, &text), 0);
	assert_null(strstr(text, "ovs"));
	free(text);

	assert_int_equal(build_ovs(false, &a), 0);
	assert_string_equal(a.ovs_bridge, "br-int");
	assert_false(a.ovs_hybrid);
	assert_int_equal(portinfo_to_json(&a, &text), 0);
	assert_int_equal(portinfo_from_json(text, &b), 0);
	free(text);
	assert_string_equal(b.ovs_bridge, "br-int");
	assert_false(b.ovs_hybrid);

	assert_int_equal(build_ovs(true, &a), 0);
	assert_true(a.ovs_hybrid);
	assert_int_equal(portinfo_to_json(&a, &text), 0);
	assert_int_equal(portinfo_from_json(text, &b), 0);
	free(text);
	assert_true(b.ovs_hybrid);

	/* a bridge name no interface can have */
	assert_int_equal(build("{\"id\":\"x\",\"network_id\":\"n\",\"mac_address\":"
			       "\"fa:16:3e:00:00:01\",\"binding:vif_type\":\"ovs\","
			       "\"binding:vif_details\":{\"bridge_name\":\"br/../int\"},"
			       "\"fixed_ips\":[{\"subnet_id\":\"s4\",\"ip_address\":\"198.19.10.3\"}]}",
			       network_json, 0, &a), -EINVAL);
	assert_int_equal(portinfo_from_json("{\"id\":\"x\",\"network_id\":\"n\",\"mac\":"
					    "\"fa:16:3e:00:00:01\",\"mtu\":1500,\"ovs_bridge\":"
					    "\"a-name-much-too-long\",\"ips\":[{\"cidr\":"
					    "\"198.19.10.3/24\",\"gateway\":\"\",\"subnet_id\":\"s\"}]}",
					    &b), -EINVAL);
}

/* A port listed before ML2 bound it is recorded unbound, survives the store
 * so, and learns its switch once Neutron has bound it. */
static void test_portinfo_unbound_rebind(void **state)
{
	static const char unbound_json[] =
		"{\"id\":\"0c6d51de-f42a-4986-9969-f7eb21459b73\","
		"\"network_id\":\"0871dd9c-125a-466c-b99f-4f389e759a40\","
		"\"mac_address\":\"fa:16:3e:d7:4d:20\",\"binding:vif_type\":\"unbound\","
		"\"binding:vif_details\":{},"
		"\"fixed_ips\":[{\"subnet_id\":\"s4\",\"ip_address\":\"198.19.10.144\"}]}";
	json_t *bound = json_loads(OVS_PORT_JSON("false"), 0, NULL);
	json_t *bad = json_pack("{s:s, s:{s:s}}", "binding:vif_type", "ovs", "binding:vif_details",
				"bridge_name", "br/../int");
	struct portinfo a, b;
	char *text = NULL;

	assert_non_null(bound);
	assert_non_null(bad);
	assert_int_equal(build(port_json, network_json, 0, &a), 0);
	assert_false(a.unbound);   /* no binding fields: the Linux bridge's, as before */
	assert_int_equal(build(unbound_json, network_json, 0, &a), 0);
	assert_true(a.unbound);
	assert_string_equal(a.ovs_bridge, "");
	assert_int_equal(portinfo_to_json(&a, &text), 0);
	assert_int_equal(portinfo_from_json(text, &b), 0);
	free(text);
	assert_true(b.unbound);

	assert_int_equal(portinfo_rebind(&b, bad), -EINVAL);
	assert_true(b.unbound);   /* untouched */
	assert_int_equal(portinfo_rebind(&b, bound), 0);
	assert_false(b.unbound);
	assert_string_equal(b.ovs_bridge, "br-int");
	assert_string_equal(b.ips[0].cidr, a.ips[0].cidr);   /* the rest kept */
	assert_int_equal(portinfo_to_json(&b, &text), 0);
	assert_null(strstr(text, "unbound"));
	free(text);
	json_decref(bound);
	json_decref(bad);
}

/* A chosen address's port (daemon/ports_fixed.h) keeps its mark in the
 * store; a pool port's record carries none. */
static void test_portinfo_fixed(void **state)
{
	struct portinfo a, b;
	char *text = NULL;

	assert_int_equal(build(port_json, network_json, 0, &a), 0);
	assert_false(a.fixed);
	assert_int_equal(portinfo_to_json(&a, &text), 0);
	assert_null(strstr(text, "fixed"));
	free(text);
	a.fixed = true;
	assert_int_equal(portinfo_to_json(&a, &text), 0);
	assert_int_equal(portinfo_from_json(text, &b), 0);
	free(text);
	assert_true(b.fixed);
}

static void test_portinfo_refuses_bad_input(void **state)
{
	struct portinfo pi;

	memset(&pi, 0x5a, sizeof(pi));
	/* an MTU above the network's would drop frames */
	assert_int_equal(build(port_json, network_json, 9000, &pi), -EINVAL);
	assert_int_equal(build("{\"id\":\"x\",\"network_id\":\"n\",\"mac_address\":\"zz\","
			       "\"fixed_ips\":[]}", network_json, 0, &pi), -EINVAL);
	assert_int_equal(build(port_json, "{\"mtu\":12}", 0, &pi), -EINVAL);
	/* a fixed IP on a subnet we do not know */
	assert_int_equal(build("{\"id\":\"x\",\"network_id\":\"n\",\"mac_address\":"
			       "\"fa:16:3e:00:00:01\",\"fixed_ips\":[{\"subnet_id\":\"nope\","
			       "\"ip_address\":\"198.19.10.3\"}]}", network_json, 0, &pi), -EINVAL);
	assert_int_equal(portinfo_from_json("{", &pi), -EINVAL);
	assert_int_equal(portinfo_from_json("{\"id\":\"x\",\"network_id\":\"n\",\"mac\":"
					    "\"fa:16:3e:00:00:01\",\"mtu\":1500,\"ips\":[]}", &pi),
			 -EINVAL);
	assert_int_equal(portinfo_from_json(NULL, &pi), -EINVAL);
	/* a VLAN id outside 1..4094 is not a subport's */
	assert_int_equal(portinfo_from_json("{\"id\":\"x\",\"network_id\":\"n\",\"mac\":"
					    "\"fa:16:3e:00:00:01\",\"mtu\":1500,\"vlan\":4095,\"ips\":"
					    "[{\"cidr\":\"198.19.1.2/24\"}]}", &pi), -EINVAL);
	assert_int_equal(portinfo_from_json("{\"id\":\"x\",\"network_id\":\"n\",\"mac\":"
					    "\"fa:16:3e:00:00:01\",\"mtu\":1500,\"vlan\":\"7\",\"ips\":"
					    "[{\"cidr\":\"198.19.1.2/24\"}]}", &pi), -EINVAL);
	/* nothing written on failure */
	assert_int_equal(pi.mtu, 0x5a5a5a5a);
}

static void test_refill_count(void **state)
{
	struct pool_sizes s = { .min = 4, .max = 10, .batch = 3 };

	assert_int_equal(pool_refill_count(&s, 4, 0, 0), 0);
	assert_int_equal(pool_refill_count(&s, 2, 1, 0), 3);   /* batch, not just 1 */
	assert_int_equal(pool_refill_count(&s, 0, 0, 0), 4);
	assert_int_equal(pool_refill_count(&s, 1, 0, 2), 3);   /* creating counts */
	s.max = 5;
	assert_int_equal(pool_refill_count(&s, 3, 0, 0), 2);   /* capped by max */
	s = (struct pool_sizes){ .min = 0, .max = 0, .batch = 8 };
	assert_int_equal(pool_refill_count(&s, 0, 0, 0), 0);   /* pool disabled */
}

static void test_bind_names(void **state)
{
	struct bind_names n;

	bind_names_of("0c6d51de-f42a-4986-9969-f7eb21459b73", "0871dd9c-125a-466c-b99f-4f389e759a40",
		      &n);
	assert_string_equal(n.tap, "tap0c6d51de-f4");   /* what the agent looks for */
	assert_string_equal(n.brq, "brq0871dd9c-12");
	assert_string_equal(n.sfb, "sfb0c6d51de-f4");
	assert_string_equal(n.sfp, "sfp0c6d51de-f4");
	assert_string_equal(n.sfc, "sfc0c6d51de-f4");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_portinfo_from_neutron),
		cmocka_unit_test(test_portinfo_ovs_binding),
		cmocka_unit_test(test_portinfo_round_trip),
		cmocka_unit_test(test_portinfo_fixed),
		cmocka_unit_test(test_portinfo_unbound_rebind),
		cmocka_unit_test(test_portinfo_refuses_bad_input),
		cmocka_unit_test(test_refill_count),
		cmocka_unit_test(test_bind_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

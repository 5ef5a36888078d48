/* Nested modes' bookkeeping on the VM's port (daemon/nested.h), on a real
 * daemon in a VM (tests/lib/daemon_fixture.h: the NIC is lo, the VM's port
 * and trunk live in the fake Neutron's model): new ports become READY once
 * the VM's port carries them, as allowed address pairs (macvlan) or as
 * trunk subports with distinct VLAN ids recorded in the store (vlan), and
 * come off it again; sfctl's pools and ports answers show them. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "daemon_fixture.h"

#include "bind/portinfo.h"
#include "daemon/ctl.h"
#include "daemon/nested.h"
#include "daemon/ports.h"
#include "store/store.h"

/* The store's READY ports of the pool, as portinfos (*ret_n of them). */
static struct portinfo *ready_ports(struct dfix *x, size_t *ret_n)
{
	struct store_port_list *l = NULL;
	struct portinfo *pis;

	assert_int_equal(store_list(x->d->store, x->pool->key, STORE_PORT_READY, &l), 0);
	pis = calloc(l->n + 1, sizeof(*pis));
	assert_non_null(pis);
	for (size_t i = 0; i < l->n; i++)
		assert_int_equal(portinfo_from_json(l->ports[i].info, &pis[i]), 0);
	*ret_n = l->n;
	store_port_list_free(l);
	return pis;
}

static bool has_pair(const json_t *vm, const struct portinfo *pi)
{
	char ip[PORTINFO_ADDR_LEN];
	json_t *p;
	size_t i;

	snprintf(ip, sizeof(ip), "%.*s", (int)strcspn(pi->ips[0].cidr, "/"), pi->ips[0].cidr);
	json_array_foreach(json_object_get(vm, "allowed_address_pairs"), i, p)
		if (streq(json_string_value(json_object_get(p, "ip_address")), ip) &&
		    streq(json_string_value(json_object_get(p, "mac_address")), pi->mac_str))
			return true;
	return false;
}

static void test_macvlan_pairs(void **state)
{
	struct dfix *x = *state;
	struct neutron_error err = { 0 };
	struct portinfo *pis;
	size_t n;
	json_t *vm, *port;
	uint8_t mac[NL_MAC_LEN];

	assert_false(nested_full(x->d));
	assert_int_equal(ports_make(x->d, x->pool, 2, 2000, NULL, &err), 0);
	pis = ready_ports(x, &n);
	assert_int_equal(n, 2);
	vm = fake_model_get(x->f, "ports", DFIX_VM_PORT);
	assert_int_equal(json_array_size(json_object_get(vm, "allowed_address_pairs")), 2);
	for (size_t i = 0; i < n; i++) {
		assert_true(has_pair(vm, &pis[i]));
		/* Unbound: the VM's port carries it, no host binds it. */
		port = fake_model_get(x->f, "ports", pis[i].port_id);
		assert_null(json_object_get(port, "binding:host_id"));
		/* The container's MAC (and the pair's) is its own: the port's
		 * with bit 2 of the first octet flipped (nested.h). */
		assert_true(portinfo_parse_mac(json_string_value(json_object_get(port,
							"mac_address")), mac) == 0);
		assert_int_equal(pis[i].mac[0], mac[0] ^ 0x04);
		assert_memory_equal(pis[i].mac + 1, mac + 1, NL_MAC_LEN - 1);
		json_decref(port);
	}
	json_decref(vm);

	assert_true(nested_unready(x->d, pis, 1) >= 0);
	vm = fake_model_get(x->f, "ports", DFIX_VM_PORT);
	assert_int_equal(json_array_size(json_object_get(vm, "allowed_address_pairs")), 1);
	assert_false(has_pair(vm, &pis[0]));
	assert_true(has_pair(vm, &pis[1]));
	json_decref(vm);
	free(pis);
}

/* The subport's VLAN id as the store recorded it, through sfctl ports. */
static json_int_t ctl_vlan(struct dfix *x, const char *id)
{
	json_t *req = json_pack("{s:s}", "ctl", "ports"), *doc, *p;
	char *text = NULL, why[128] = "";
	json_int_t vlan = -1;
	size_t i;

	assert_int_equal(ctl_query(x->d, req, &text, why, sizeof(why)), 0);
	doc = json_loads(text, 0, NULL);
	assert_non_null(doc);
	json_array_foreach(json_object_get(doc, "ports"), i, p)
		if (streq(json_string_value(json_object_get(p, "port_id")), id)) {
			assert_string_equal(json_string_value(json_object_get(p, "state")), "ready");
			assert_string_equal(json_string_value(json_object_get(p, "pool")), "net1");
			vlan = json_integer_value(json_object_get(p, "vlan"));
		}
	json_decref(doc);
	json_decref(req);
	free(text);
	return vlan;
}

static void test_vlan_subports(void **state)
{
	struct dfix *x = *state;
	struct neutron_error err = { 0 };
	struct portinfo *pis;
	json_t *trunk, *sp;
	size_t n, i;

	assert_int_equal(ports_make(x->d, x->pool, 3, 2000, NULL, &err), 0);
	pis = ready_ports(x, &n);
	assert_int_equal(n, 3);
	trunk = fake_model_get(x->f, "trunks", DFIX_TRUNK);
	assert_int_equal(json_array_size(json_object_get(trunk, "sub_ports")), 3);
	for (size_t k = 0; k < n; k++) {
		bool found = false;

		/* Each port a subport with the VLAN id its record holds, no two
		 * alike. */
		assert_true(pis[k].vlan_id >= 1 && pis[k].vlan_id <= 4094);
		for (size_t j = 0; j < k; j++)
			assert_int_not_equal(pis[j].vlan_id, pis[k].vlan_id);
		json_array_foreach(json_object_get(trunk, "sub_ports"), i, sp)
			if (streq(json_string_value(json_object_get(sp, "port_id")), pis[k].port_id)) {
				found = true;
				assert_int_equal(json_integer_value(json_object_get(
					sp, "segmentation_id")), pis[k].vlan_id);
				assert_string_equal(json_string_value(json_object_get(
					sp, "segmentation_type")), "vlan");
			}
		assert_true(found);
		assert_int_equal(ctl_vlan(x, pis[k].port_id), pis[k].vlan_id);
		/* A subport is a port of its own: its MAC is Neutron's. */
		sp = fake_model_get(x->f, "ports", pis[k].port_id);
		assert_string_equal(json_string_value(json_object_get(sp, "mac_address")),
				    pis[k].mac_str);
		json_decref(sp);
	}
	json_decref(trunk);

	assert_true(nested_unready(x->d, pis, 2) >= 0);
	trunk = fake_model_get(x->f, "trunks", DFIX_TRUNK);
	assert_int_equal(json_array_size(json_object_get(trunk, "sub_ports")), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(
		json_object_get(trunk, "sub_ports"), 0), "port_id")), pis[2].port_id);
	json_decref(trunk);
	free(pis);
}

/* sfctl pools: the pool's identity, sizes and counts by state. */
static void test_ctl_pools(void **state)
{
	struct dfix *x = *state;
	struct neutron_error err = { 0 };
	json_t *req = json_pack("{s:s}", "ctl", "pools"), *doc, *p;
	char *text = NULL, why[128] = "";

	assert_int_equal(ports_make(x->d, x->pool, 2, 2000, NULL, &err), 0);
	assert_int_equal(ctl_query(x->d, req, &text, why, sizeof(why)), 0);
	doc = json_loads(text, 0, NULL);
	assert_non_null(doc);
	assert_int_equal(json_array_size(json_object_get(doc, "pools")), 1);
	p = json_array_get(json_object_get(doc, "pools"), 0);
	assert_string_equal(json_string_value(json_object_get(p, "name")), "net1");
	assert_string_equal(json_string_value(json_object_get(p, "key")), x->pool->key);
	assert_string_equal(json_string_value(json_object_get(p, "network_id")), FAKE_NET_ID);
	assert_int_equal(json_integer_value(json_object_get(p, "ready")), 2);
	assert_int_equal(json_integer_value(json_object_get(p, "in_use")), 0);
	assert_int_equal(json_integer_value(json_object_get(p, "wiring")), 0);
	assert_int_equal(json_integer_value(json_object_get(p, "max")), 8);
	assert_int_equal(json_integer_value(json_object_get(p, "creating")), 0);
	json_decref(doc);
	free(text);
	json_decref(req);

	req = json_pack("{s:s}", "ctl", "nonsense");
	assert_int_equal(ctl_query(x->d, req, &text, why, sizeof(why)), -EOPNOTSUPP);
	json_decref(req);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_macvlan_pairs, dfix_setup_macvlan, dfix_teardown),
		cmocka_unit_test_setup_teardown(test_vlan_subports, dfix_setup_vlan, dfix_teardown),
		cmocka_unit_test_setup_teardown(test_ctl_pools, dfix_setup_macvlan, dfix_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

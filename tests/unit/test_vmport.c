/* vmport against the in-process fake Neutron: the read-modify-write of the
 * VM's port under If-Match (412 reads again), the trunk's VLAN ids (409
 * tries others), and no update when nothing changes.  The fake answers
 * every request with one body, so the body holds every key a call looks
 * for ("port", "trunks", "trunk"). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "fake_neutron.h"

#include "bind/vmport.h"

static const char world[] =
	"{\"port\": {\"id\": \"vm-port\", \"revision_number\": 7, \"allowed_address_pairs\": ["
	"  {\"ip_address\": \"198.19.1.250\", \"mac_address\": \"fa:16:3e:00:00:fa\"}]},"
	" \"ports\": [{\"id\": \"vm-port\"}],"
	" \"trunks\": [{\"id\": \"trunk-1\"}],"
	" \"trunk\": {\"id\": \"trunk-1\", \"sub_ports\": ["
	"  {\"port_id\": \"foreign\", \"segmentation_type\": \"vlan\", \"segmentation_id\": 1},"
	"  {\"port_id\": \"old\", \"segmentation_type\": \"vlan\", \"segmentation_id\": 3}]}}";

static const uint8_t mac[6] = { 0xfa, 0x16, 0x3e, 0, 0, 1 };

static struct vmport *start(struct fake *f, struct neutron_client *c, bool trunk)
{
	struct neutron_error err = { 0 };
	struct vmport *vp = NULL;

	SET(f, body, world);
	SCRIPT(f, 200);
	assert_int_equal(vmport_new(c, NULL, mac, trunk, &vp, &err), 0);
	assert_string_equal(vmport_id(vp), "vm-port");
	if (trunk)
		assert_string_equal(vmport_trunk_id(vp), "trunk-1");
	else
		assert_null(vmport_trunk_id(vp));
	SET(f, neutron_requests, 0);
	return vp;
}

static void test_pairs_if_match(void **state)
{
	struct fake *f = fake_start();
	struct neutron_opts o = { .max_retries = 0 };
	struct neutron_client *c = fake_noauth_client(f, &o);
	struct neutron_error err = { 0 };
	struct vmport *vp = start(f, c, false);
	const struct vmport_pair add[] = { { "198.19.1.5", "fa:16:3e:00:00:05" },
					   { "198.19.1.250", "FA:16:3E:00:00:FA" } };

	/* GET, PUT refused as stale, GET again, PUT accepted. */
	SCRIPT(f, 200, 412, 200, 200);
	assert_int_equal(vmport_pairs_add(vp, c, add, 2, &err), 1);
	assert_int_equal(f->neutron_requests, 4);
	assert_string_equal(f->last_method, "PUT");
	assert_string_equal(f->last_if_match, "revision_number=7");
	/* The foreign pair kept, the new one added, the one present not twice. */
	assert_non_null(strstr(f->last_body, "198.19.1.250"));
	assert_non_null(strstr(f->last_body, "198.19.1.5\""));
	assert_null(strstr(strstr(f->last_body, "198.19.1.250") + 1, "198.19.1.250"));

	/* Nothing to add: a read, no update. */
	SET(f, neutron_requests, 0);
	SCRIPT(f, 200);
	assert_int_equal(vmport_pairs_add(vp, c, &add[1], 1, &err), 0);
	assert_int_equal(f->neutron_requests, 1);
	assert_string_equal(f->last_method, "GET");

	/* Removal keeps what it was not asked to remove. */
	SET(f, neutron_requests, 0);
	SCRIPT(f, 200);
	assert_int_equal(vmport_pairs_remove(vp, c, add, 1, &err), 0);
	assert_int_equal(f->neutron_requests, 1);   /* 198.19.1.5 was not there */
	assert_int_equal(vmport_pairs_remove(vp, c, &add[1], 1, &err), 1);
	assert_string_equal(f->last_method, "PUT");
	assert_string_equal(f->last_body, "{\"port\":{\"allowed_address_pairs\":[]}}");

	vmport_free(vp);
	neutron_client_free(c);
	fake_stop(f);
}

static void test_subports_conflict(void **state)
{
	struct fake *f = fake_start();
	struct neutron_opts o = { .max_retries = 0 };
	struct neutron_client *c = fake_noauth_client(f, &o);
	struct neutron_error err = { 0 };
	struct vmport *vp = start(f, c, true);
	const char *const ids[] = { "new-a", "old", "new-b" };
	uint16_t vlans[3] = { 0 };

	/* GET trunk, add_subports 409, GET trunk, add_subports 200. */
	SCRIPT(f, 200, 409, 200, 200);
	assert_int_equal(vmport_subports_add(vp, c, ids, 3, vlans, &err), 0);
	assert_int_equal(f->neutron_requests, 4);
	assert_string_equal(f->last_url, "/v2.0/trunks/trunk-1/add_subports");
	/* "old" keeps its id and is not sent again; the others avoid 1 and 3;
	 * the refused call asked for 2 and 4, the retry moves on to 5 and 6
	 * (an id is not handed out again at once). */
	assert_int_equal(vlans[1], 3);
	assert_int_equal(vlans[0], 5);
	assert_int_equal(vlans[2], 6);
	assert_null(strstr(f->last_body, "\"old\""));
	assert_non_null(strstr(f->last_body, "\"new-a\""));

	/* Detach: only subports are sent. */
	SET(f, neutron_requests, 0);
	SCRIPT(f, 200);
	assert_int_equal(vmport_subports_remove(vp, c, ids, 3, &err), 0);
	assert_int_equal(f->neutron_requests, 2);
	assert_string_equal(f->last_url, "/v2.0/trunks/trunk-1/remove_subports");
	assert_string_equal(f->last_body, "{\"sub_ports\":[{\"port_id\":\"old\"}]}");

	vmport_free(vp);
	neutron_client_free(c);
	fake_stop(f);
}

static void test_not_found(void **state)
{
	struct fake *f = fake_start();
	struct neutron_opts o = { .max_retries = 0 };
	struct neutron_client *c = fake_noauth_client(f, &o);
	struct neutron_error err = { 0 };
	struct vmport *vp = (struct vmport *)0x1;

	SET(f, body, "{\"ports\": [], \"trunks\": []}");
	assert_int_equal(vmport_new(c, NULL, mac, false, &vp, &err), -ENOENT);
	assert_ptr_equal(vp, (struct vmport *)0x1);
	assert_non_null(strstr(err.message, "fa:16:3e:00:00:01"));
	SET(f, body, "{\"ports\": [{\"id\": \"a\"}, {\"id\": \"b\"}]}");
	assert_int_equal(vmport_new(c, NULL, mac, false, &vp, &err), -ENOTUNIQ);
	SET(f, body, "{\"port\": {\"id\": \"vm-port\"}, \"trunks\": []}");
	assert_int_equal(vmport_new(c, "vm-port", mac, true, &vp, &err), -ENOENT);
	assert_string_equal(err.message, "the VM's port vm-port is not a trunk's parent "
			    "(VLAN mode needs one)");
	assert_ptr_equal(vp, (struct vmport *)0x1);
	neutron_client_free(c);
	fake_stop(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pairs_if_match),
		cmocka_unit_test(test_subports_conflict),
		cmocka_unit_test(test_not_found),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* A pool port's attachment data (src/bind/portinfo.h), parsed from both
 * of its sources: the JSON kept in the store (portinfo_from_json, the
 * input as it is) and Neutron's objects (portinfo_from_neutron, the input
 * as {"port": .., "network": .., "subnets": {id: subnet, ..},
 * "mtu_override": n}).  What is accepted must survive the store's round
 * trip unchanged: a restarted daemon reads back what it wrote. */
#include "fuzz.h"

#include <arpa/inet.h>

#include "bind/portinfo.h"

static void check_portinfo(const struct portinfo *pi)
{
	struct portinfo back;
	char *json = NULL, *json2 = NULL;

	FUZZ_CHECK(pi->port_id[0] && pi->network_id[0]);
	FUZZ_CHECK(pi->mtu >= 68 && pi->mtu <= 65535);
	FUZZ_CHECK(pi->n_ips >= 1 && pi->n_ips <= PORTINFO_MAX_IPS);
	FUZZ_CHECK(pi->n_routes <= PORTINFO_MAX_ROUTES && pi->n_dns <= PORTINFO_MAX_DNS);
	for (size_t i = 0; i < pi->n_ips; i++) {
		const struct portinfo_ip *ip = &pi->ips[i];

		FUZZ_CHECK(ip->family == AF_INET || ip->family == AF_INET6);
		FUZZ_CHECK(ip->prefixlen <= (ip->family == AF_INET ? 32u : 128u));
		FUZZ_CHECK(ip->has_gw == (ip->gw_str[0] != '\0'));
	}
	for (size_t i = 0; i < pi->n_routes; i++) {
		const struct portinfo_route *rt = &pi->routes[i];

		FUZZ_CHECK(rt->family == AF_INET || rt->family == AF_INET6);
		FUZZ_CHECK(rt->dst_len <= (rt->family == AF_INET ? 32u : 128u));
	}
	FUZZ_CHECK(portinfo_to_json(pi, &json) == 0);
	FUZZ_CHECK(portinfo_from_json(json, &back) == 0);
	FUZZ_CHECK(portinfo_to_json(&back, &json2) == 0);
	FUZZ_CHECK(strcmp(json, json2) == 0);
	FUZZ_CHECK(memcmp(back.mac, pi->mac, NL_MAC_LEN) == 0 && back.mtu == pi->mtu);
	FUZZ_CHECK(back.n_ips == pi->n_ips && back.n_routes == pi->n_routes &&
		   back.n_dns == pi->n_dns);
	free(json);
	free(json2);
}

/* Fills *pi with a pattern, to tell that a failed call left it alone. */
static void poison(struct portinfo *pi)
{
	memset(pi, 0xa5, sizeof(*pi));
}

static bool poisoned(const struct portinfo *pi)
{
	const unsigned char *p = (const unsigned char *)pi;

	for (size_t i = 0; i < sizeof(*pi); i++)
		if (p[i] != 0xa5)
			return false;
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_strndup(data, size);
	struct portinfo pi;
	json_t *root;

	poison(&pi);
	if (portinfo_from_json(text, &pi) == 0)
		check_portinfo(&pi);
	else
		FUZZ_CHECK(poisoned(&pi));

	root = json_loadb((const char *)data, size, 0, NULL);
	if (root) {
		json_int_t mtu = json_integer_value(json_object_get(root, "mtu_override"));

		poison(&pi);
		if (portinfo_from_neutron(json_object_get(root, "port"),
					  json_object_get(root, "network"),
					  json_object_get(root, "subnets"),
					  mtu > 0 && mtu <= 65535 ? (uint32_t)mtu : 0, &pi) == 0)
			check_portinfo(&pi);
		else
			FUZZ_CHECK(poisoned(&pi));
		json_decref(root);
	}
	free(text);
	return 0;
}

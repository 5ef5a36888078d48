/* The Docker driver's IPAM half (lnd_internal.h): pools are Neutron
 * subnets, addresses are ports from superfluidd's pool. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "common/log.h"
#include "libnetwork/lnd_internal.h"

int lnd_ipam_caps(struct lnd *l, struct call *c)
{
	return lnd_answer(c, json_pack("{s:b,s:b}", "RequiresMACAddress", 0,
				   "RequiresRequestReplay", 0));
}

int lnd_ipam_spaces(struct lnd *l, struct call *c)
{
	return lnd_answer(c, json_pack("{s:s,s:s}", "LocalDefaultAddressSpace", "superfluid-local",
				   "GlobalDefaultAddressSpace", "superfluid-global"));
}

/* The security groups' JSON array (a new reference) from "a,b" (names or
 * ids); NULL without memory. */
static json_t *sg_array(const char *list)
{
	json_t *a;
	char *dup, *save = NULL;

	a = json_array();
	dup = strdup(list);
	if (!a || !dup) {
		json_decref(a);
		free(dup);
		return NULL;
	}
	for (char *t = strtok_r(dup, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		while (*t == ' ')
			t++;
		if (*t && json_array_append_new(a, json_string(t)) < 0) {
			json_decref(a);
			a = NULL;
			break;
		}
	}
	free(dup);
	return a;
}

/* The CNI network config of a pool's ADDs (a new reference), without its
 * "network"; NULL without memory. */
static json_t *base_conf(const struct mapping *m)
{
	json_t *conf = json_pack("{s:s,s:s,s:s}", "cniVersion", "1.0.0", "name", "docker",
				 "type", "superfluid");

	if (conf && m->sgs) {
		json_t *a = sg_array(m->sgs);

		if (!a || json_object_set_new(conf, "securityGroups", a) < 0) {
			json_decref(conf);
			return NULL;
		}
	}
	return conf;
}

static struct pool *free_pool(struct lnd *l, struct call *c)
{
	for (size_t i = 0; i < LND_MAX_POOLS; i++)
		if (!l->pools[i].id[0])
			return &l->pools[i];
	lnd_fail(c, "too many pools (%d)", LND_MAX_POOLS);
	return NULL;
}

static int new_pool_id(struct call *c, struct pool *p)
{
	uint8_t rnd[8];

	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		return lnd_fail(c, "getrandom: %s", strerror(errno));
	snprintf(p->id, sizeof(p->id), "sf-%02x%02x%02x%02x%02x%02x%02x%02x", rnd[0], rnd[1],
		 rnd[2], rnd[3], rnd[4], rnd[5], rnd[6], rnd[7]);
	return 0;
}

/* No neutron.net.* option: a pool whose Neutron network and subnet
 * CreateNetwork makes (lnd_neutron.c), for the --subnet Docker gives.  Its
 * gateway is the subnet's first address, as Neutron would choose, unless
 * --gateway asks another (RequestAddress). */
static int request_new_pool(struct lnd *l, struct call *c, const struct mapping *m,
			    const char *cidr)
{
	struct in_addr a;
	char addr[INET_ADDRSTRLEN], gw[INET_ADDRSTRLEN], *end;
	const char *slash = strchr(cidr, '/');
	struct pool *p;
	json_t *conf;
	long len;
	int r;

	if (m->subnet_uuid || m->subnet_name)
		return lnd_fail(c, "neutron.subnet.* names a subnet of an existing network: give "
			    "neutron.net.uuid or neutron.net.name too");
	if (!cidr[0])
		return lnd_fail(c, "no Neutron network: give --subnet CIDR to have one made, or "
			    "--ipam-opt neutron.net.uuid=ID or neutron.net.name=NAME to use one");
	len = slash ? strtol(slash + 1, &end, 10) : -1;
	if (!slash || (size_t)(slash - cidr) >= sizeof(addr) || !slash[1] || *end || len < 8 ||
	    len > 30)
		return lnd_fail(c, "--subnet %s: an IPv4 CIDR from /8 to /30", cidr);
	memcpy(addr, cidr, (size_t)(slash - cidr));
	addr[slash - cidr] = '\0';
	if (inet_pton(AF_INET, addr, &a) != 1 ||
	    (ntohl(a.s_addr) & ~(0xffffffffu << (32 - len))) != 0)
		return lnd_fail(c, "--subnet %s: not an IPv4 network address", cidr);
	p = free_pool(l, c);
	if (!p)
		return -EINVAL;
	a.s_addr = htonl(ntohl(a.s_addr) + 1);
	inet_ntop(AF_INET, &a, gw, sizeof(gw));
	conf = base_conf(m);
	if (!conf)
		return -ENOMEM;
	memset(p, 0, sizeof(*p));
	r = new_pool_id(c, p);
	if (r < 0) {
		json_decref(conf);
		return r;
	}
	util_strlcpy(p->cidr, cidr, sizeof(p->cidr));
	snprintf(p->gateway, sizeof(p->gateway), "%s/%ld", gw, len);
	p->conf = conf;
	p->created = true;
	log_info_rl("pool %s: %s, its Neutron network made at CreateNetwork", p->id, p->cidr);
	return lnd_answer(c, json_pack("{s:s,s:s,s:{}}", "PoolID", p->id, "Pool", p->cidr, "Data"));
}

int lnd_ipam_request_pool(struct lnd *l, struct call *c)
{
	struct mapping m = { 0 };
	struct neutron_error nerr = { 0 };
	json_t *net = NULL, *sub = NULL, *conf = NULL;
	const char *want = lnd_req_str(c, "Pool"), *name, *gw;
	struct pool *p = NULL;
	int r;

	if (json_is_true(json_object_get(c->req, "V6")))
		return lnd_fail(c, "IPv6 pools are not supported by superfluid's IPAM driver yet");
	r = lnd_read_mapping(c, json_object_get(c->req, "Options"), &m);
	if (r < 0)
		return r;
	name = m.net_uuid ?: m.net_name;
	if (!name)
		return request_new_pool(l, c, &m, want);
	if (!l->nc)
		return lnd_fail(c, "no Neutron client");
	r = neutron_network_find(l->nc, name, &net, &nerr);
	if (r < 0) {
		r = lnd_fail(c, "Neutron network '%s': %s", name,
			 r == -ENOENT ? "no such network" : nerr.message[0] ? nerr.message : strerror(-r));
		goto out;
	}
	if (m.subnet_uuid || m.subnet_name) {
		struct neutron_filter f = { "network_id", json_string_value(json_object_get(net, "id")) };
		const char *s = m.subnet_uuid ?: m.subnet_name;

		r = neutron_resource_find(l->nc, "subnets", "subnet", s, &f, 1, &sub, &nerr);
		if (r < 0) {
			r = lnd_fail(c, "Neutron subnet '%s' on network '%s': %s", s, name,
				 r == -ENOENT ? "no such subnet" : nerr.message[0] ? nerr.message : strerror(-r));
			goto out;
		}
	} else {
		size_t i;
		json_t *id;

		json_array_foreach(json_object_get(net, "subnets"), i, id) {
			if (neutron_subnet_show(l->nc, json_string_value(id), &sub, &nerr) < 0)
				continue;
			if (json_integer_value(json_object_get(sub, "ip_version")) == 4)
				break;
			json_decref(sub);
			sub = NULL;
		}
		if (!sub) {
			r = lnd_fail(c, "Neutron network '%s' has no IPv4 subnet", name);
			goto out;
		}
	}
	if (want[0] && strcmp(want, json_string_value(json_object_get(sub, "cidr")) ?: "")) {
		r = lnd_fail(c, "--subnet %s is not the Neutron subnet's %s", want,
			 json_string_value(json_object_get(sub, "cidr")));
		goto out;
	}
	p = free_pool(l, c);
	if (!p) {
		r = -EINVAL;
		goto out;
	}
	/* The subnet only when one was named: the daemon's pools are keyed by
	 * what the config says, and a [pool] naming none is the warm one. */
	conf = base_conf(&m);
	if (!conf || json_object_set(conf, "network", json_object_get(net, "id")) < 0 ||
	    ((m.subnet_uuid || m.subnet_name) &&
	     json_object_set(conf, "subnet", json_object_get(sub, "id")) < 0)) {
		r = -ENOMEM;
		goto out;
	}
	memset(p, 0, sizeof(*p));
	r = new_pool_id(c, p);
	if (r < 0)
		goto out;
	util_strlcpy(p->net_id, json_string_value(json_object_get(net, "id")) ?: "", sizeof(p->net_id));
	util_strlcpy(p->subnet_id, json_string_value(json_object_get(sub, "id")) ?: "",
		     sizeof(p->subnet_id));
	util_strlcpy(p->cidr, json_string_value(json_object_get(sub, "cidr")) ?: "", sizeof(p->cidr));
	gw = json_string_value(json_object_get(sub, "gateway_ip"));
	if (gw)
		snprintf(p->gateway, sizeof(p->gateway), "%s%s", gw, strchr(p->cidr, '/') ?: "");
	p->conf = conf;
	conf = NULL;
	r = lnd_answer(c, p->gateway[0] ?
		   json_pack("{s:s,s:s,s:{s:s}}", "PoolID", p->id, "Pool", p->cidr, "Data",
			     GATEWAY_TYPE, p->gateway) :
		   json_pack("{s:s,s:s,s:{}}", "PoolID", p->id, "Pool", p->cidr, "Data"));
	log_info_rl("pool %s: Neutron network %s, subnet %s (%s)", p->id, p->net_id,
		    p->subnet_id, p->cidr);
out:
	json_decref(conf);
	json_decref(sub);
	json_decref(net);
	return r;
}

struct pool *lnd_find_pool(struct lnd *l, const char *id)
{
	for (size_t i = 0; i < LND_MAX_POOLS; i++)
		if (l->pools[i].id[0] && !l->pools[i].released && !strcmp(l->pools[i].id, id))
			return &l->pools[i];
	return NULL;
}

void lnd_pool_free(struct pool *p)
{
	json_decref(p->conf);
	memset(p, 0, sizeof(*p));
}

int lnd_ipam_release_pool(struct lnd *l, struct call *c)
{
	struct pool *p = lnd_find_pool(l, lnd_req_str(c, "PoolID"));

	if (!p)
		return lnd_fail(c, "no pool '%s'", lnd_req_str(c, "PoolID"));
	for (size_t i = 0; i < LND_MAX_CLAIMS; i++)
		if (l->claims[i].pool == (int)(p - l->pools))
			return lnd_fail(c, "pool '%s' still lends %s", p->id, l->claims[i].address);
	/* The Neutron network it made goes at DeleteNetwork, which comes after. */
	if (p->created && p->bound)
		p->released = true;
	else
		lnd_pool_free(p);
	return lnd_empty(l, c);
}

/* The address of the first IP of a CNI result, "ip/len". */
static const char *result_address(const json_t *res)
{
	return json_string_value(json_object_get(json_array_get(json_object_get(res, "ips"), 0),
						 "address"));
}

int lnd_ipam_request_address(struct lnd *l, struct call *c)
{
	struct pool *p = lnd_find_pool(l, lnd_req_str(c, "PoolID"));
	const json_t *opts = json_object_get(c->req, "Options");
	const char *want = lnd_req_str(c, "Address"), *addr, *mac;
	struct lnd_attachment *a = NULL;
	struct claim *cl = NULL;
	char why[512] = "";
	int r;

	if (!p)
		return lnd_fail(c, "no pool '%s'", lnd_req_str(c, "PoolID"));
	if (!strcmp(json_string_value(json_object_get(opts, "RequestAddressType")) ?: "",
		    GATEWAY_TYPE)) {
		if (p->created && !p->bound && want[0] && strlen(want) < INET_ADDRSTRLEN)
			snprintf(p->gateway, sizeof(p->gateway), "%s%s", want, strchr(p->cidr, '/'));
		if (!p->gateway[0])
			return lnd_fail(c, "Neutron subnet %s has no gateway", p->subnet_id);
		if (want[0] && strncmp(want, p->gateway, strcspn(p->gateway, "/")))
			return lnd_fail(c, "gateway %s is not the Neutron subnet's %s", want, p->gateway);
		return lnd_answer(c, json_pack("{s:s,s:{}}", "Address", p->gateway, "Data"));
	}
	for (size_t i = 0; i < LND_MAX_CLAIMS && !cl; i++)
		if (l->claims[i].pool < 0)
			cl = &l->claims[i];
	if (!cl)
		return lnd_fail(c, "too many addresses (%d)", LND_MAX_CLAIMS);
	/* --ip: the daemon makes a port for it (CNI's `ips` capability,
	 * docs/cni.md); otherwise one comes from the pool. */
	if (want[0]) {
		json_t *conf = json_deep_copy(p->conf);

		if (!conf || json_object_set_new(conf, "runtimeConfig",
						 json_pack("{s:[s]}", "ips", want)) < 0) {
			json_decref(conf);
			return -ENOMEM;
		}
		r = lnd_attach_add(l->socket, l->park, conf, &a, why, sizeof(why));
		json_decref(conf);
	} else {
		r = lnd_attach_add(l->socket, l->park, p->conf, &a, why, sizeof(why));
	}
	if (r < 0)
		return r == -ENOMEM ? r : lnd_fail(c, "%s", why);
	addr = result_address(a->result);
	mac = json_string_value(json_object_get(json_array_get(json_object_get(a->result,
						"interfaces"), 0), "mac"));
	if (!addr || !mac || strlen(addr) >= sizeof(cl->address) || strlen(mac) >= sizeof(cl->mac)) {
		r = lnd_fail(c, "superfluidd's result has no address or MAC");
		if (lnd_attach_del(l->socket, p->conf, a, why, sizeof(why)) < 0)
			log_warn_rl("giving back %s: %s", a->container_id, why);
		lnd_attachment_free(a);
		return r;
	}
	memset(cl, 0, sizeof(*cl));
	cl->pool = (int)(p - l->pools);
	strcpy(cl->address, addr);
	strcpy(cl->mac, mac);
	cl->att = a;
	log_info_rl("pool %s: %s (%s) for %s", p->id, cl->address, cl->mac, a->container_id);
	return lnd_answer(c, json_pack("{s:s,s:{}}", "Address", cl->address, "Data"));
}

struct claim *lnd_find_claim(struct lnd *l, const struct pool *p, const char *address)
{
	size_t n = strcspn(address, "/");

	for (size_t i = 0; i < LND_MAX_CLAIMS; i++) {
		struct claim *cl = &l->claims[i];

		if (cl->pool == (int)(p - l->pools) && !strncmp(cl->address, address, n) &&
		    (cl->address[n] == '/' || !cl->address[n]))
			return cl;
	}
	return NULL;
}

int lnd_ipam_release_address(struct lnd *l, struct call *c)
{
	struct pool *p = lnd_find_pool(l, lnd_req_str(c, "PoolID"));
	const char *addr = lnd_req_str(c, "Address");
	struct claim *cl;
	char why[512] = "";

	if (!p)
		return lnd_fail(c, "no pool '%s'", lnd_req_str(c, "PoolID"));
	if (p->gateway[0] && !strncmp(addr, p->gateway, strcspn(p->gateway, "/")) &&
	    strcspn(addr, "/") == strcspn(p->gateway, "/"))
		return lnd_empty(l, c);
	cl = lnd_find_claim(l, p, addr);
	if (!cl)
		return lnd_fail(c, "pool '%s' lends no address '%s'", p->id, addr);
	if (lnd_attach_del(l->socket, p->conf, cl->att, why, sizeof(why)) < 0)
		return lnd_fail(c, "releasing %s: %s", addr, why);
	log_info_rl("pool %s: %s released", p->id, cl->address);
	lnd_attachment_free(cl->att);
	memset(cl, 0, sizeof(*cl));
	cl->pool = -1;
	return lnd_empty(l, c);
}

/* Docker's libnetwork remote network + IPAM driver (lnd.h). */
#include "libnetwork/lnd.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "common/log.h"
#include "libnetwork/lnd_attach.h"

#define LND_MAX_POOLS 64
#define LND_MAX_NETS 64
#define LND_MAX_CLAIMS 256
#define GATEWAY_TYPE "com.docker.network.gateway"

struct pool {
	char id[40];                 /* our PoolID; "" when free */
	char net_id[64], subnet_id[64];
	char cidr[64];               /* the subnet's, as Neutron writes it */
	char gateway[64];            /* "" when the subnet has none */
	json_t *conf;                /* the CNI network config of its ADDs; owned */
	bool bound;                  /* a Docker network uses it */
};

struct net {
	char id[80];                 /* Docker's NetworkID; "" when free */
	int pool;                    /* index in pools */
};

struct claim {
	int pool;                    /* -1 when free */
	char address[64];            /* "ip/len" as given to Docker */
	char mac[32];
	char endpoint[80];           /* Docker's EndpointID, or "" */
	struct lnd_attachment *att;  /* owned */
};

struct lnd {
	pthread_mutex_t lock;
	char *socket;
	struct neutron_client *nc;
	struct pool pools[LND_MAX_POOLS];
	struct net nets[LND_MAX_NETS];
	struct claim claims[LND_MAX_CLAIMS];
};

int lnd_new(const struct lnd_opts *o, struct lnd **ret)
{
	struct lnd *l = calloc(1, sizeof(*l));

	if (!l || !(l->socket = strdup(o->daemon_socket))) {
		free(l);
		return -ENOMEM;
	}
	pthread_mutex_init(&l->lock, NULL);
	l->nc = o->nc;
	for (size_t i = 0; i < LND_MAX_CLAIMS; i++)
		l->claims[i].pool = -1;
	*ret = l;
	return 0;
}

void lnd_free(struct lnd *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < LND_MAX_POOLS; i++)
		json_decref(l->pools[i].conf);
	for (size_t i = 0; i < LND_MAX_CLAIMS; i++)
		lnd_attachment_free(l->claims[i].att);
	pthread_mutex_destroy(&l->lock);
	free(l->socket);
	free(l);
}

/* --- answers ------------------------------------------------------------- */

/* A handler's outcome: *out is the answer object (owned), or NULL with
 * `err` holding the Err text. */
struct call {
	const json_t *req;
	json_t *out;
	char err[512];
};

__attribute__((format(printf, 2, 3)))
static int fail(struct call *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->err, sizeof(c->err), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static const char *req_str(const struct call *c, const char *key)
{
	return json_string_value(json_object_get(c->req, key)) ?: "";
}

static int answer(struct call *c, json_t *o)
{
	if (!o)
		return -ENOMEM;
	c->out = o;
	return 0;
}

static int empty(struct lnd *l, struct call *c)
{
	return answer(c, json_object());
}

static int activate(struct lnd *l, struct call *c)
{
	return answer(c, json_pack("{s:[ss]}", "Implements", "NetworkDriver", "IpamDriver"));
}

static int net_caps(struct lnd *l, struct call *c)
{
	return answer(c, json_pack("{s:s,s:s}", "Scope", "local", "ConnectivityScope", "local"));
}

static int ipam_caps(struct lnd *l, struct call *c)
{
	return answer(c, json_pack("{s:b,s:b}", "RequiresMACAddress", 0,
				   "RequiresRequestReplay", 0));
}

static int address_spaces(struct lnd *l, struct call *c)
{
	return answer(c, json_pack("{s:s,s:s}", "LocalDefaultAddressSpace", "superfluid-local",
				   "GlobalDefaultAddressSpace", "superfluid-global"));
}

/* --- options ------------------------------------------------------------- */

struct mapping {
	const char *net_uuid, *net_name, *subnet_uuid, *subnet_name, *sgs;
};

/* Reads kuryr-libnetwork's option names (and ours) from `opts`; Docker's
 * own com.docker.* keys are skipped, anything else is refused. */
static int read_mapping(struct call *c, const json_t *opts, struct mapping *m)
{
	const char *k;
	json_t *v;

	if (opts && !json_is_object(opts))
		return fail(c, "Options is not an object");
	json_object_foreach((json_t *)opts, k, v) {
		const char **slot = NULL;

		if (!strncmp(k, "com.docker.", 11))
			continue;
		if (!strcmp(k, "neutron.net.uuid"))
			slot = &m->net_uuid;
		else if (!strcmp(k, "neutron.net.name"))
			slot = &m->net_name;
		else if (!strcmp(k, "neutron.subnet.uuid"))
			slot = &m->subnet_uuid;
		else if (!strcmp(k, "neutron.subnet.name"))
			slot = &m->subnet_name;
		else if (!strcmp(k, "superfluid.security_groups"))
			slot = &m->sgs;
		else
			return fail(c, "unknown option '%s' (known: neutron.net.uuid, neutron.net.name, "
				    "neutron.subnet.uuid, neutron.subnet.name, superfluid.security_groups)", k);
		if (!json_is_string(v) || !json_string_length(v))
			return fail(c, "option '%s' must be a non-empty string", k);
		*slot = json_string_value(v);
	}
	if (m->net_uuid && m->net_name)
		return fail(c, "give neutron.net.uuid or neutron.net.name, not both");
	if (m->subnet_uuid && m->subnet_name)
		return fail(c, "give neutron.subnet.uuid or neutron.subnet.name, not both");
	return 0;
}

/* The security groups' JSON array from "a,b" (names or ids), or NULL for
 * Neutron's default group. */
static json_t *sg_array(const char *list)
{
	json_t *a;
	char *dup, *save = NULL;

	if (!list)
		return NULL;
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
		if (*t)
			json_array_append_new(a, json_string(t));
	}
	free(dup);
	return a;
}

/* --- IPAM ---------------------------------------------------------------- */

static int request_pool(struct lnd *l, struct call *c)
{
	struct mapping m = { 0 };
	struct neutron_error nerr = { 0 };
	json_t *net = NULL, *sub = NULL, *conf = NULL;
	const char *want = req_str(c, "Pool"), *name, *gw;
	struct pool *p = NULL;
	uint8_t rnd[8];
	int r;

	if (json_is_true(json_object_get(c->req, "V6")))
		return fail(c, "IPv6 pools are not supported by superfluid's IPAM driver yet");
	r = read_mapping(c, json_object_get(c->req, "Options"), &m);
	if (r < 0)
		return r;
	name = m.net_uuid ?: m.net_name;
	if (!name)
		return fail(c, "no Neutron network: give --ipam-opt neutron.net.uuid=ID or "
			    "neutron.net.name=NAME");
	if (!l->nc)
		return fail(c, "no Neutron client");
	r = neutron_network_find(l->nc, name, &net, &nerr);
	if (r < 0) {
		r = fail(c, "Neutron network '%s': %s", name,
			 r == -ENOENT ? "no such network" : nerr.message[0] ? nerr.message : strerror(-r));
		goto out;
	}
	if (m.subnet_uuid || m.subnet_name) {
		struct neutron_filter f = { "network_id", json_string_value(json_object_get(net, "id")) };
		const char *s = m.subnet_uuid ?: m.subnet_name;

		r = neutron_resource_find(l->nc, "subnets", "subnet", s, &f, 1, &sub, &nerr);
		if (r < 0) {
			r = fail(c, "Neutron subnet '%s' on network '%s': %s", s, name,
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
			r = fail(c, "Neutron network '%s' has no IPv4 subnet", name);
			goto out;
		}
	}
	if (want[0] && strcmp(want, json_string_value(json_object_get(sub, "cidr")) ?: "")) {
		r = fail(c, "--subnet %s is not the Neutron subnet's %s", want,
			 json_string_value(json_object_get(sub, "cidr")));
		goto out;
	}
	for (size_t i = 0; i < LND_MAX_POOLS && !p; i++)
		if (!l->pools[i].id[0])
			p = &l->pools[i];
	if (!p) {
		r = fail(c, "too many pools (%d)", LND_MAX_POOLS);
		goto out;
	}
	/* The subnet only when one was named: the daemon's pools are keyed by
	 * what the config says, and a [pool] naming none is the warm one. */
	conf = json_pack("{s:s,s:s,s:s,s:O}", "cniVersion", "1.0.0", "name", "docker",
			 "type", "superfluid", "network", json_object_get(net, "id"));
	if (!conf || ((m.subnet_uuid || m.subnet_name) &&
		      json_object_set(conf, "subnet", json_object_get(sub, "id")) < 0)) {
		r = -ENOMEM;
		goto out;
	}
	if (m.sgs) {
		json_t *a = sg_array(m.sgs);

		if (!a || json_object_set_new(conf, "securityGroups", a) < 0) {
			r = -ENOMEM;
			goto out;
		}
	}
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) {
		r = fail(c, "getrandom: %s", strerror(errno));
		goto out;
	}
	memset(p, 0, sizeof(*p));
	snprintf(p->id, sizeof(p->id), "sf-%02x%02x%02x%02x%02x%02x%02x%02x", rnd[0], rnd[1],
		 rnd[2], rnd[3], rnd[4], rnd[5], rnd[6], rnd[7]);
	util_strlcpy(p->net_id, json_string_value(json_object_get(net, "id")) ?: "", sizeof(p->net_id));
	util_strlcpy(p->subnet_id, json_string_value(json_object_get(sub, "id")) ?: "",
		     sizeof(p->subnet_id));
	util_strlcpy(p->cidr, json_string_value(json_object_get(sub, "cidr")) ?: "", sizeof(p->cidr));
	gw = json_string_value(json_object_get(sub, "gateway_ip"));
	if (gw)
		snprintf(p->gateway, sizeof(p->gateway), "%s%s", gw, strchr(p->cidr, '/') ?: "");
	p->conf = conf;
	conf = NULL;
	r = answer(c, p->gateway[0] ?
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

static struct pool *find_pool(struct lnd *l, const char *id)
{
	for (size_t i = 0; i < LND_MAX_POOLS; i++)
		if (l->pools[i].id[0] && !strcmp(l->pools[i].id, id))
			return &l->pools[i];
	return NULL;
}

static int release_pool(struct lnd *l, struct call *c)
{
	struct pool *p = find_pool(l, req_str(c, "PoolID"));

	if (!p)
		return fail(c, "no pool '%s'", req_str(c, "PoolID"));
	for (size_t i = 0; i < LND_MAX_CLAIMS; i++)
		if (l->claims[i].pool == (int)(p - l->pools))
			return fail(c, "pool '%s' still lends %s", p->id, l->claims[i].address);
	json_decref(p->conf);
	memset(p, 0, sizeof(*p));
	return empty(l, c);
}

/* The address of the first IP of a CNI result, "ip/len". */
static const char *result_address(const json_t *res)
{
	return json_string_value(json_object_get(json_array_get(json_object_get(res, "ips"), 0),
						 "address"));
}

static int request_address(struct lnd *l, struct call *c)
{
	struct pool *p = find_pool(l, req_str(c, "PoolID"));
	const json_t *opts = json_object_get(c->req, "Options");
	const char *want = req_str(c, "Address"), *addr, *mac;
	struct lnd_attachment *a = NULL;
	struct claim *cl = NULL;
	char why[512] = "";
	int r;

	if (!p)
		return fail(c, "no pool '%s'", req_str(c, "PoolID"));
	if (!strcmp(json_string_value(json_object_get(opts, "RequestAddressType")) ?: "",
		    GATEWAY_TYPE)) {
		if (!p->gateway[0])
			return fail(c, "Neutron subnet %s has no gateway", p->subnet_id);
		if (want[0] && strncmp(want, p->gateway, strcspn(p->gateway, "/")))
			return fail(c, "gateway %s is not the Neutron subnet's %s", want, p->gateway);
		return answer(c, json_pack("{s:s,s:{}}", "Address", p->gateway, "Data"));
	}
	if (want[0])
		return fail(c, "a chosen address (--ip %s) is not supported yet: superfluid's "
			    "ports come ready from the pool with the address Neutron gave them", want);
	for (size_t i = 0; i < LND_MAX_CLAIMS && !cl; i++)
		if (l->claims[i].pool < 0)
			cl = &l->claims[i];
	if (!cl)
		return fail(c, "too many addresses (%d)", LND_MAX_CLAIMS);
	r = lnd_attach_add(l->socket, p->conf, &a, why, sizeof(why));
	if (r < 0)
		return r == -ENOMEM ? r : fail(c, "%s", why);
	addr = result_address(a->result);
	mac = json_string_value(json_object_get(json_array_get(json_object_get(a->result,
						"interfaces"), 0), "mac"));
	if (!addr || !mac || strlen(addr) >= sizeof(cl->address) || strlen(mac) >= sizeof(cl->mac)) {
		r = fail(c, "superfluidd's result has no address or MAC");
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
	return answer(c, json_pack("{s:s,s:{}}", "Address", cl->address, "Data"));
}

/* The claim of `address` ("ip" or "ip/len") in pool p. */
static struct claim *find_claim(struct lnd *l, const struct pool *p, const char *address)
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

static int release_address(struct lnd *l, struct call *c)
{
	struct pool *p = find_pool(l, req_str(c, "PoolID"));
	const char *addr = req_str(c, "Address");
	struct claim *cl;
	char why[512] = "";

	if (!p)
		return fail(c, "no pool '%s'", req_str(c, "PoolID"));
	if (p->gateway[0] && !strncmp(addr, p->gateway, strcspn(p->gateway, "/")) &&
	    strcspn(addr, "/") == strcspn(p->gateway, "/"))
		return empty(l, c);
	cl = find_claim(l, p, addr);
	if (!cl)
		return fail(c, "pool '%s' lends no address '%s'", p->id, addr);
	if (lnd_attach_del(l->socket, p->conf, cl->att, why, sizeof(why)) < 0)
		return fail(c, "releasing %s: %s", addr, why);
	log_info_rl("pool %s: %s released", p->id, cl->address);
	lnd_attachment_free(cl->att);
	memset(cl, 0, sizeof(*cl));
	cl->pool = -1;
	return empty(l, c);
}

/* --- network driver ------------------------------------------------------- */

static struct net *find_net(struct lnd *l, const char *id)
{
	for (size_t i = 0; i < LND_MAX_NETS; i++)
		if (l->nets[i].id[0] && !strcmp(l->nets[i].id, id))
			return &l->nets[i];
	return NULL;
}

static int create_network(struct lnd *l, struct call *c)
{
	const char *id = req_str(c, "NetworkID");
	const json_t *opts = json_object_get(c->req, "Options");
	const char *cidr = json_string_value(json_object_get(
		json_array_get(json_object_get(c->req, "IPv4Data"), 0), "Pool")) ?: "";
	struct mapping m = { 0 };
	struct pool *p = NULL;
	struct net *n = NULL;
	int r;

	if (!id[0] || strlen(id) >= sizeof(n->id))
		return fail(c, "no NetworkID");
	if (find_net(l, id))
		return fail(c, "network %s exists", id);
	r = read_mapping(c, json_object_get(opts, "com.docker.network.generic"), &m);
	if (r < 0)
		return r;
	if (json_array_size(json_object_get(c->req, "IPv6Data")))
		return fail(c, "IPv6 is not supported by superfluid's network driver yet");
	/* The newest pool of ours with that CIDR not yet used by a network. */
	for (int i = LND_MAX_POOLS - 1; i >= 0 && !p; i--)
		if (l->pools[i].id[0] && !l->pools[i].bound && !strcmp(l->pools[i].cidr, cidr))
			p = &l->pools[i];
	if (!p)
		return fail(c, "pool %s is not superfluid's: create the network with --ipam-driver "
			    "set to this plugin (Neutron gives the addresses)", cidr[0] ? cidr : "(none)");
	if ((m.net_uuid && strcmp(m.net_uuid, p->net_id)) ||
	    (m.subnet_uuid && strcmp(m.subnet_uuid, p->subnet_id)))
		return fail(c, "the driver's options name another Neutron network or subnet than "
			    "the IPAM options (%s, %s)", p->net_id, p->subnet_id);
	for (size_t i = 0; i < LND_MAX_NETS && !n; i++)
		if (!l->nets[i].id[0])
			n = &l->nets[i];
	if (!n)
		return fail(c, "too many networks (%d)", LND_MAX_NETS);
	strcpy(n->id, id);
	n->pool = (int)(p - l->pools);
	p->bound = true;
	log_info_rl("network %.12s: pool %s (Neutron network %s)", id, p->id, p->net_id);
	return empty(l, c);
}

static int delete_network(struct lnd *l, struct call *c)
{
	struct net *n = find_net(l, req_str(c, "NetworkID"));

	if (!n)
		return fail(c, "no network '%s'", req_str(c, "NetworkID"));
	l->pools[n->pool].bound = false;
	memset(n, 0, sizeof(*n));
	return empty(l, c);
}

static struct claim *find_endpoint(struct lnd *l, const struct net *n, const char *eid)
{
	for (size_t i = 0; i < LND_MAX_CLAIMS; i++)
		if (l->claims[i].pool == n->pool && eid[0] && !strcmp(l->claims[i].endpoint, eid))
			return &l->claims[i];
	return NULL;
}

static int create_endpoint(struct lnd *l, struct call *c)
{
	struct net *n = find_net(l, req_str(c, "NetworkID"));
	const json_t *ifc = json_object_get(c->req, "Interface");
	const char *eid = req_str(c, "EndpointID");
	const char *addr = json_string_value(json_object_get(ifc, "Address")) ?: "";
	const char *mac = json_string_value(json_object_get(ifc, "MacAddress")) ?: "";
	struct claim *cl;

	if (!n)
		return fail(c, "no network '%s'", req_str(c, "NetworkID"));
	if (!eid[0] || strlen(eid) >= sizeof(cl->endpoint))
		return fail(c, "no EndpointID");
	if (!addr[0])
		return fail(c, "the endpoint has no address: superfluid's IPAM driver gives them");
	cl = find_claim(l, &l->pools[n->pool], addr);
	if (!cl)
		return fail(c, "address %s is not one superfluid's IPAM driver gave", addr);
	if (cl->endpoint[0] && strcmp(cl->endpoint, eid))
		return fail(c, "address %s is endpoint %.12s's", addr, cl->endpoint);
	if (mac[0] && strcasecmp(mac, cl->mac))
		return fail(c, "--mac-address %s: the Neutron port's MAC is %s", mac, cl->mac);
	strcpy(cl->endpoint, eid);
	return answer(c, mac[0] ? json_object() :
		      json_pack("{s:{s:s}}", "Interface", "MacAddress", cl->mac));
}

static int endpoint_info(struct lnd *l, struct call *c)
{
	return answer(c, json_pack("{s:{}}", "Value"));
}

static int delete_endpoint(struct lnd *l, struct call *c)
{
	struct net *n = find_net(l, req_str(c, "NetworkID"));
	struct claim *cl = n ? find_endpoint(l, n, req_str(c, "EndpointID")) : NULL;

	if (cl)
		cl->endpoint[0] = '\0';
	return empty(l, c);
}

static int join(struct lnd *l, struct call *c)
{
	struct net *n = find_net(l, req_str(c, "NetworkID"));
	const char *eid = req_str(c, "EndpointID");
	struct claim *cl = n ? find_endpoint(l, n, eid) : NULL;
	json_t *out, *routes, *ip, *rt;
	const char *gw;
	char name[16], why[512] = "";
	size_t i;
	int r;

	if (!cl)
		return fail(c, "no endpoint '%s' on network '%s'", eid, req_str(c, "NetworkID"));
	snprintf(name, sizeof(name), "sfd%.12s", eid);
	r = lnd_attach_move_out(cl->att, name, why, sizeof(why));
	if (r < 0)
		return fail(c, "%s", why);
	ip = json_array_get(json_object_get(cl->att->result, "ips"), 0);
	gw = json_string_value(json_object_get(ip, "gateway"));
	routes = json_array();
	out = json_pack("{s:{s:s,s:s}}", "InterfaceName", "SrcName", cl->att->moved,
			"DstPrefix", "eth");
	if (!routes || !out || (gw && json_object_set_new(out, "Gateway", json_string(gw)) < 0)) {
		json_decref(routes);
		json_decref(out);
		return -ENOMEM;
	}
	/* The subnet's host routes; the default route is Gateway's. */
	json_array_foreach(json_object_get(cl->att->result, "routes"), i, rt) {
		const char *dst = json_string_value(json_object_get(rt, "dst"));
		const char *via = json_string_value(json_object_get(rt, "gw"));

		if (!dst || !strcmp(dst, "0.0.0.0/0") || !strcmp(dst, "::/0"))
			continue;
		json_array_append_new(routes, via ?
			json_pack("{s:s,s:i,s:s}", "Destination", dst, "RouteType", 0, "NextHop", via) :
			json_pack("{s:s,s:i}", "Destination", dst, "RouteType", 1));
	}
	if (json_object_set_new(out, "StaticRoutes", routes) < 0) {
		json_decref(out);
		return -ENOMEM;
	}
	return answer(c, out);
}

/* --- dispatch ------------------------------------------------------------- */

static const struct {
	const char *path;
	int (*fn)(struct lnd *l, struct call *c);
} calls[] = {
	{ "/Plugin.Activate", activate },
	{ "/NetworkDriver.GetCapabilities", net_caps },
	{ "/NetworkDriver.CreateNetwork", create_network },
	{ "/NetworkDriver.DeleteNetwork", delete_network },
	{ "/NetworkDriver.AllocateNetwork", empty },
	{ "/NetworkDriver.FreeNetwork", empty },
	{ "/NetworkDriver.CreateEndpoint", create_endpoint },
	{ "/NetworkDriver.EndpointOperInfo", endpoint_info },
	{ "/NetworkDriver.DeleteEndpoint", delete_endpoint },
	{ "/NetworkDriver.Join", join },
	{ "/NetworkDriver.Leave", empty },
	{ "/NetworkDriver.DiscoverNew", empty },
	{ "/NetworkDriver.DiscoverDelete", empty },
	{ "/NetworkDriver.ProgramExternalConnectivity", empty },
	{ "/NetworkDriver.RevokeExternalConnectivity", empty },
	{ "/IpamDriver.GetCapabilities", ipam_caps },
	{ "/IpamDriver.GetDefaultAddressSpaces", address_spaces },
	{ "/IpamDriver.RequestPool", request_pool },
	{ "/IpamDriver.ReleasePool", release_pool },
	{ "/IpamDriver.RequestAddress", request_address },
	{ "/IpamDriver.ReleaseAddress", release_address },
};

int lnd_handle(struct lnd *l, const char *path, const char *body, size_t len, char **ret)
{
	struct call c = { 0 };
	json_error_t jerr;
	json_t *req = NULL;
	size_t i, n = sizeof(calls) / sizeof(calls[0]);
	char *text;
	int r;

	for (i = 0; i < n && strcmp(calls[i].path, path); i++)
		;
	if (i == n) {
		r = fail(&c, "unknown call '%s'", path);
		goto out;
	}
	/* Docker sends no body (or null) to Activate and GetCapabilities. */
	if (len == 0)
		req = json_object();
	else
		req = json_loadb(body, len, JSON_DECODE_ANY, &jerr);
	if (json_is_null(req)) {
		json_decref(req);
		req = json_object();
	}
	if (!json_is_object(req)) {
		r = fail(&c, "%s: the request is not a JSON object%s%s", path, req ? "" : ": ",
			 req ? "" : jerr.text);
		goto out;
	}
	c.req = req;
	pthread_mutex_lock(&l->lock);
	r = calls[i].fn(l, &c);
	pthread_mutex_unlock(&l->lock);
	if (r < 0 && r != -ENOMEM && !c.err[0])
		snprintf(c.err, sizeof(c.err), "%s: %s", path, strerror(-r));
out:
	if (r == -ENOMEM) {
		json_decref(req);
		json_decref(c.out);
		return r;
	}
	if (r < 0) {
		log_info_rl("%s: %s", path, c.err);
		json_decref(c.out);
		c.out = json_pack("{s:s}", "Err", c.err);
	}
	text = c.out ? json_dumps(c.out, JSON_COMPACT) : NULL;
	json_decref(c.out);
	json_decref(req);
	if (!text)
		return -ENOMEM;
	*ret = text;
	return r < 0 ? 1 : 0;
}

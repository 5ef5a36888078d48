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
#include "libnetwork/lnd_internal.h"

int lnd_new(const struct lnd_opts *o, struct lnd **ret)
{
	struct lnd *l = calloc(1, sizeof(*l));
	int r;

	if (!l)
		return -ENOMEM;
	pthread_mutex_init(&l->lock, NULL);
	l->nc = o->nc;
	for (size_t i = 0; i < LND_MAX_CLAIMS; i++)
		l->claims[i].pool = -1;
	if (!(l->socket = strdup(o->daemon_socket)) ||
	    (o->state_file && !(l->state = strdup(o->state_file))) ||
	    (o->park_dir && !(l->park = strdup(o->park_dir)))) {
		lnd_free(l);
		return -ENOMEM;
	}
	r = lnd_state_load(l);
	if (r < 0) {
		lnd_free(l);
		return r;
	}
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
	free(l->state);
	free(l->park);
	free(l);
}

/* --- answers ------------------------------------------------------------- */

int lnd_fail(struct call *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->err, sizeof(c->err), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

const char *lnd_req_str(const struct call *c, const char *key)
{
	return json_string_value(json_object_get(c->req, key)) ?: "";
}

int lnd_answer(struct call *c, json_t *o)
{
	if (!o)
		return -ENOMEM;
	c->out = o;
	return 0;
}

int lnd_empty(struct lnd *l, struct call *c)
{
	return lnd_answer(c, json_object());
}

static int activate(struct lnd *l, struct call *c)
{
	return lnd_answer(c, json_pack("{s:[ss]}", "Implements", "NetworkDriver", "IpamDriver"));
}

static int net_caps(struct lnd *l, struct call *c)
{
	return lnd_answer(c, json_pack("{s:s,s:s}", "Scope", "local", "ConnectivityScope", "local"));
}

/* --- options ------------------------------------------------------------- */

int lnd_read_mapping(struct call *c, const json_t *opts, struct mapping *m)
{
	const char *k;
	json_t *v;

	if (opts && !json_is_object(opts))
		return lnd_fail(c, "Options is not an object");
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
			return lnd_fail(c, "unknown option '%s' (known: neutron.net.uuid, neutron.net.name, "
				    "neutron.subnet.uuid, neutron.subnet.name, superfluid.security_groups)", k);
		if (!json_is_string(v) || !json_string_length(v))
			return lnd_fail(c, "option '%s' must be a non-empty string", k);
		*slot = json_string_value(v);
	}
	if (m->net_uuid && m->net_name)
		return lnd_fail(c, "give neutron.net.uuid or neutron.net.name, not both");
	if (m->subnet_uuid && m->subnet_name)
		return lnd_fail(c, "give neutron.subnet.uuid or neutron.subnet.name, not both");
	return 0;
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
	const char *id = lnd_req_str(c, "NetworkID");
	const json_t *opts = json_object_get(c->req, "Options");
	const char *cidr = json_string_value(json_object_get(
		json_array_get(json_object_get(c->req, "IPv4Data"), 0), "Pool")) ?: "";
	struct mapping m = { 0 };
	struct pool *p = NULL;
	struct net *n = NULL;
	int r;

	if (!id[0] || strlen(id) >= sizeof(n->id))
		return lnd_fail(c, "no NetworkID");
	if (find_net(l, id))
		return lnd_fail(c, "network %s exists", id);
	r = lnd_read_mapping(c, json_object_get(opts, "com.docker.network.generic"), &m);
	if (r < 0)
		return r;
	if (json_array_size(json_object_get(c->req, "IPv6Data")))
		return lnd_fail(c, "IPv6 is not supported by superfluid's network driver yet");
	/* The newest pool of ours with that CIDR not yet used by a network. */
	for (int i = LND_MAX_POOLS - 1; i >= 0 && !p; i--)
		if (l->pools[i].id[0] && !l->pools[i].bound && !strcmp(l->pools[i].cidr, cidr))
			p = &l->pools[i];
	if (!p)
		return lnd_fail(c, "pool %s is not superfluid's: create the network with --ipam-driver "
			    "set to this plugin (Neutron gives the addresses)", cidr[0] ? cidr : "(none)");
	if ((m.net_uuid && strcmp(m.net_uuid, p->net_id)) ||
	    (m.subnet_uuid && strcmp(m.subnet_uuid, p->subnet_id)))
		return lnd_fail(c, "the driver's options name another Neutron network or subnet than "
			    "the IPAM options (%s, %s)", p->net_id, p->subnet_id);
	for (size_t i = 0; i < LND_MAX_NETS && !n; i++)
		if (!l->nets[i].id[0])
			n = &l->nets[i];
	if (!n)
		return lnd_fail(c, "too many networks (%d)", LND_MAX_NETS);
	if (p->created && !p->net_id[0]) {
		r = lnd_net_make(l, c, p, id);
		if (r < 0)
			return r;
	}
	strcpy(n->id, id);
	n->pool = (int)(p - l->pools);
	p->bound = true;
	log_info_rl("network %.12s: pool %s (Neutron network %s)", id, p->id, p->net_id);
	return lnd_empty(l, c);
}

static int delete_network(struct lnd *l, struct call *c)
{
	struct net *n = find_net(l, lnd_req_str(c, "NetworkID"));

	if (!n)
		return lnd_fail(c, "no network '%s'", lnd_req_str(c, "NetworkID"));
	/* Only what the driver made goes; a mapped network stays. */
	if (l->pools[n->pool].created && l->pools[n->pool].net_id[0]) {
		int r = lnd_net_unmake(l, c, &l->pools[n->pool]);

		if (r < 0)
			return r;
	}
	l->pools[n->pool].bound = false;
	if (l->pools[n->pool].released)
		lnd_pool_free(&l->pools[n->pool]);
	memset(n, 0, sizeof(*n));
	return lnd_empty(l, c);
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
	struct net *n = find_net(l, lnd_req_str(c, "NetworkID"));
	const json_t *ifc = json_object_get(c->req, "Interface");
	const char *eid = lnd_req_str(c, "EndpointID");
	const char *addr = json_string_value(json_object_get(ifc, "Address")) ?: "";
	const char *mac = json_string_value(json_object_get(ifc, "MacAddress")) ?: "";
	struct claim *cl;

	if (!n)
		return lnd_fail(c, "no network '%s'", lnd_req_str(c, "NetworkID"));
	if (!eid[0] || strlen(eid) >= sizeof(cl->endpoint))
		return lnd_fail(c, "no EndpointID");
	if (!addr[0])
		return lnd_fail(c, "the endpoint has no address: superfluid's IPAM driver gives them");
	cl = lnd_find_claim(l, &l->pools[n->pool], addr);
	if (!cl)
		return lnd_fail(c, "address %s is not one superfluid's IPAM driver gave", addr);
	if (cl->endpoint[0] && strcmp(cl->endpoint, eid))
		return lnd_fail(c, "address %s is endpoint %.12s's", addr, cl->endpoint);
	if (mac[0] && strcasecmp(mac, cl->mac))
		return lnd_fail(c, "--mac-address %s: the Neutron port's MAC is %s", mac, cl->mac);
	strcpy(cl->endpoint, eid);
	return lnd_answer(c, mac[0] ? json_object() :
		      json_pack("{s:{s:s}}", "Interface", "MacAddress", cl->mac));
}

static int endpoint_info(struct lnd *l, struct call *c)
{
	return lnd_answer(c, json_pack("{s:{}}", "Value"));
}

static int delete_endpoint(struct lnd *l, struct call *c)
{
	struct net *n = find_net(l, lnd_req_str(c, "NetworkID"));
	struct claim *cl = n ? find_endpoint(l, n, lnd_req_str(c, "EndpointID")) : NULL;

	if (cl)
		cl->endpoint[0] = '\0';
	return lnd_empty(l, c);
}

static int join(struct lnd *l, struct call *c)
{
	struct net *n = find_net(l, lnd_req_str(c, "NetworkID"));
	const char *eid = lnd_req_str(c, "EndpointID");
	struct claim *cl = n ? find_endpoint(l, n, eid) : NULL;
	json_t *out, *routes, *ip, *rt;
	const char *gw;
	char name[16], why[512] = "";
	size_t i;
	int r;

	if (!cl)
		return lnd_fail(c, "no endpoint '%s' on network '%s'", eid, lnd_req_str(c, "NetworkID"));
	snprintf(name, sizeof(name), "sfd%.12s", eid);
	r = lnd_attach_move_out(cl->att, name, why, sizeof(why));
	if (r < 0)
		return lnd_fail(c, "%s", why);
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
		if (json_array_append_new(routes, via ?
			json_pack("{s:s,s:i,s:s}", "Destination", dst, "RouteType", 0, "NextHop", via) :
			json_pack("{s:s,s:i}", "Destination", dst, "RouteType", 1)) < 0) {
			json_decref(routes);
			json_decref(out);
			return -ENOMEM;
		}
	}
	if (json_object_set_new(out, "StaticRoutes", routes) < 0) {
		json_decref(out);
		return -ENOMEM;
	}
	return lnd_answer(c, out);
}

/* --- dispatch ------------------------------------------------------------- */

/* A call marked SAVES changes the state: the file is written after it. */
#define SAVES true
static const struct {
	const char *path;
	int (*fn)(struct lnd *l, struct call *c);
	bool saves;
} calls[] = {
	{ "/Plugin.Activate", activate, false },
	{ "/NetworkDriver.GetCapabilities", net_caps, false },
	{ "/NetworkDriver.CreateNetwork", create_network, SAVES },
	{ "/NetworkDriver.DeleteNetwork", delete_network, SAVES },
	{ "/NetworkDriver.AllocateNetwork", lnd_empty, false },
	{ "/NetworkDriver.FreeNetwork", lnd_empty, false },
	{ "/NetworkDriver.CreateEndpoint", create_endpoint, SAVES },
	{ "/NetworkDriver.EndpointOperInfo", endpoint_info, false },
	{ "/NetworkDriver.DeleteEndpoint", delete_endpoint, SAVES },
	{ "/NetworkDriver.Join", join, SAVES },
	{ "/NetworkDriver.Leave", lnd_empty, false },
	{ "/NetworkDriver.DiscoverNew", lnd_empty, false },
	{ "/NetworkDriver.DiscoverDelete", lnd_empty, false },
	{ "/NetworkDriver.ProgramExternalConnectivity", lnd_empty, false },
	{ "/NetworkDriver.RevokeExternalConnectivity", lnd_empty, false },
	{ "/IpamDriver.GetCapabilities", lnd_ipam_caps, false },
	{ "/IpamDriver.GetDefaultAddressSpaces", lnd_ipam_spaces, false },
	{ "/IpamDriver.RequestPool", lnd_ipam_request_pool, SAVES },
	{ "/IpamDriver.ReleasePool", lnd_ipam_release_pool, SAVES },
	{ "/IpamDriver.RequestAddress", lnd_ipam_request_address, SAVES },
	{ "/IpamDriver.ReleaseAddress", lnd_ipam_release_address, SAVES },
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
		r = lnd_fail(&c, "unknown call '%s'", path);
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
		r = lnd_fail(&c, "%s: the request is not a JSON object%s%s", path, req ? "" : ": ",
			 req ? "" : jerr.text);
		goto out;
	}
	c.req = req;
	pthread_mutex_lock(&l->lock);
	r = calls[i].fn(l, &c);
	/* Docker has done what the call did or will: a state file that could
	 * not be written is logged, not answered (a restart would forget it). */
	if (r == 0 && calls[i].saves) {
		int s = lnd_state_save(l);

		if (s < 0)
			log_warn_rl("%s: the state file '%s' was not written: %s", path, l->state,
				    strerror(-s));
	}
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

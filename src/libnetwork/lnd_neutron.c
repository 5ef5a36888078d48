/* The Neutron networks superfluid-docker makes (lnd_internal.h): `docker
 * network create` with --subnet and no neutron.net.* option.  Named after
 * the Docker network ("docker-<its id, 12>"), tagged LND_TAG and
 * "sf-docker-net=<its id>", so that they are known as the driver's; only
 * those are ever deleted, a mapped network never. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "libnetwork/lnd_internal.h"

#define UNMAKE_WAIT_MS 20000   /* for the daemon's syncer to delete its pool's ports */

int lnd_net_make(struct lnd *l, struct call *c, struct pool *p, const char *docker_id)
{
	struct neutron_error nerr = { 0 };
	json_t *net = NULL, *sub = NULL, *attrs;
	char tag[64], gw[64];
	const char *tags[2] = { LND_TAG, tag };
	const char *net_id;
	int r;

	if (!l->nc)
		return lnd_fail(c, "no Neutron client");
	snprintf(p->name, sizeof(p->name), "docker-%.12s", docker_id);
	snprintf(tag, sizeof(tag), "sf-docker-net=%.40s", docker_id);
	snprintf(gw, sizeof(gw), "%.*s", (int)strcspn(p->gateway, "/"), p->gateway);
	attrs = json_pack("{s:s,s:b}", "name", p->name, "admin_state_up", 1);
	r = attrs ? neutron_network_create(l->nc, attrs, &net, &nerr) : -ENOMEM;
	json_decref(attrs);
	if (r < 0)
		return r == -ENOMEM ? r : lnd_fail(c, "creating Neutron network '%s': %s", p->name,
						   nerr.message[0] ? nerr.message : strerror(-r));
	net_id = json_string_value(json_object_get(net, "id")) ?: "";
	r = neutron_tags_set(l->nc, "networks", net_id, tags, 2, &nerr);
	if (r < 0) {
		r = lnd_fail(c, "tagging Neutron network %s: %s", net_id,
			     nerr.message[0] ? nerr.message : strerror(-r));
		goto undo;
	}
	/* No DHCP: Docker sets the container's address itself. */
	attrs = json_pack("{s:s,s:s,s:i,s:s,s:s,s:b}", "network_id", net_id, "name", p->name,
			  "ip_version", 4, "cidr", p->cidr, "gateway_ip", gw, "enable_dhcp", 0);
	r = attrs ? neutron_subnet_create(l->nc, attrs, &sub, &nerr) : -ENOMEM;
	json_decref(attrs);
	if (r < 0) {
		r = r == -ENOMEM ? r : lnd_fail(c, "creating Neutron subnet %s (gateway %s): %s",
						p->cidr, gw, nerr.message[0] ? nerr.message :
						strerror(-r));
		goto undo;
	}
	if (json_object_set_new(p->conf, "network", json_string(net_id)) < 0 ||
	    json_object_set_new(p->conf, "name", json_string(p->name)) < 0) {
		r = -ENOMEM;
		goto undo;
	}
	util_strlcpy(p->net_id, net_id, sizeof(p->net_id));
	util_strlcpy(p->subnet_id, json_string_value(json_object_get(sub, "id")) ?: "",
		     sizeof(p->subnet_id));
	log_info_rl("network %.12s: made Neutron network %s '%s', subnet %s (%s via %s)", docker_id,
		    p->net_id, p->name, p->subnet_id, p->cidr, gw);
	r = 0;
	goto out;
undo:
	if (neutron_network_delete(l->nc, net_id, &nerr) < 0)
		log_warn_rl("Neutron network %s: delete failed: %s", net_id, nerr.message);
out:
	json_decref(sub);
	json_decref(net);
	return r;
}

/* {"ctl":"pool_retire","pool":NAME} through the daemon's socket; *left
 * is how many of the pool's ports are still on Neutron (held, deleting,
 * being created), 0 also when the daemon has no such pool (ENOENT: no
 * container ever used the network). */
static int retire(struct lnd *l, struct call *c, const char *name, json_int_t *left)
{
	json_t *q = json_pack("{s:s,s:s}", "ctl", "pool_retire", "pool", name), *a;
	char *req = q ? json_dumps(q, JSON_COMPACT) : NULL, *ans = NULL;
	struct lnd_refusal ref;
	int r;

	json_decref(q);
	if (!req)
		return -ENOMEM;
	*left = 0;
	r = lnd_ask(l->socket, req, strlen(req), &ans, &ref);
	if (r == -EPROTO)
		r = strcmp(ref.errno_name, "ENOENT") ? lnd_fail(c, "%s", ref.why) : 0;
	else if (r < 0)
		r = lnd_fail(c, "%s: its pool's ports on Neutron network '%s' would keep it; try "
			     "again", ref.why, name);
	else {
		a = json_loads(ans, 0, NULL);
		*left = json_integer_value(json_object_get(a, "held")) +
			json_integer_value(json_object_get(a, "deleting")) +
			json_integer_value(json_object_get(a, "creating"));
		json_decref(a);
		log_info_rl("superfluidd retired pool '%s': %s", name, ans);
	}
	free(ans);
	free(req);
	return r;
}

int lnd_net_unmake(struct lnd *l, struct call *c, struct pool *p)
{
	uint64_t deadline = util_now_ms() + UNMAKE_WAIT_MS;
	struct neutron_error nerr = { 0 };
	json_int_t left;
	int r;

	if (!l->nc)
		return lnd_fail(c, "no Neutron client");
	/* Neutron deletes the subnet before it finds a port made meanwhile
	 * (the network stays, with ports that have no address): no delete is
	 * asked while the daemon still holds, deletes or creates a port of the
	 * pool.  Then 409 only while Neutron is behind its own deletes. */
	for (unsigned delay = 100;; delay = delay < 800 ? delay * 2 : 800) {
		r = retire(l, c, p->name, &left);
		if (r < 0)
			return r;
		if (left == 0) {
			memset(&nerr, 0, sizeof(nerr));
			r = neutron_network_delete(l->nc, p->net_id, &nerr);
			if (r >= 0 || r == -ENOENT)
				break;
			if (nerr.http_status != 409)
				return lnd_fail(c, "deleting Neutron network %s '%s': %s", p->net_id,
						p->name, nerr.message[0] ? nerr.message :
						strerror(-r));
		}
		if (util_now_ms() + delay > deadline)
			return lnd_fail(c, "deleting Neutron network %s '%s': %s", p->net_id, p->name,
					left ? "superfluidd still has ports of it on Neutron" :
					nerr.message[0] ? nerr.message : strerror(-r));
		util_sleep_ms(delay);
	}
	log_info_rl("deleted Neutron network %s '%s'", p->net_id, p->name);
	p->net_id[0] = p->subnet_id[0] = '\0';
	json_object_del(p->conf, "network");
	return 0;
}

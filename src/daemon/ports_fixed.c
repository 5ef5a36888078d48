/* A port for an address the runtime chose (ports_fixed.h). */
#include "daemon/ports_fixed.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "bind/bind.h"
#include "bind/portinfo.h"
#include "common/log.h"
#include "daemon/daemon_metrics.h"
#include "daemon/nested.h"
#include "daemon/ports.h"
#include "neutron/neutron.h"
#include "pool/pool.h"

int ports_fixed_wanted(const struct cni_conf *conf, char buf[PORTS_FIXED_ADDR_MAX], int *ret_len,
		       struct cni_error *err)
{
	const json_t *ips = json_object_get(conf->runtime_config, "ips");
	const char *s, *slash;
	union nl_ip ip;
	char addr[PORTS_FIXED_ADDR_MAX];
	int family, len = -1;
	size_t n;

	buf[0] = '\0';
	*ret_len = -1;
	if (!ips || (json_is_array(ips) && json_array_size(ips) == 0))
		return 0;
	s = json_string_value(json_array_get(ips, 0));
	if (!json_is_array(ips) || json_array_size(ips) != 1 || !s) {
		cni_error_set(err, CNI_ERR_INVALID_CONFIG, "runtimeConfig.ips: one address (a string) "
			      "per interface, as [\"a.b.c.d/len\"]");
		return -EINVAL;
	}
	slash = strchr(s, '/');
	n = slash ? (size_t)(slash - s) : strlen(s);
	if (n >= sizeof(addr))
		goto fail;
	memcpy(addr, s, n);
	addr[n] = '\0';
	if (portinfo_parse_ip(addr, &family, &ip) < 0)
		goto fail;
	if (slash) {
		char *end;
		long l = strtol(slash + 1, &end, 10);

		if (!slash[1] || *end || l < 0 || l > (family == AF_INET ? 32 : 128))
			goto fail;
		len = (int)l;
	}
	memcpy(buf, addr, n + 1);
	*ret_len = len;
	return 0;
fail:
	cni_error_set(err, CNI_ERR_INVALID_CONFIG, "runtimeConfig.ips: '%s' is not an address", s);
	return -EINVAL;
}

bool ports_fixed_is(const struct store_port *row)
{
	struct portinfo pi;

	return row->info && portinfo_from_json(row->info, &pi) == 0 && pi.fixed;
}

/* Neutron's refusal of the create, in CNI's words. */
static int create_failed(struct daemon *d, const struct pool *p, const char *ip, int r,
			 const struct neutron_error *nerr, struct cni_error *err)
{
	const char *why = nerr->message[0] ? nerr->message : strerror(-r);

	if (streq(nerr->type, "IpAddressAlreadyAllocated") || nerr->http_status == 409) {
		cni_error_set(err, CNI_ERR_INVALID_CONFIG, "address %s is taken in Neutron network "
			      "%s (IpAddressAlreadyAllocated): %s", ip, p->network_id, why);
		return -EADDRINUSE;
	}
	if (nerr->http_status == 400) {
		cni_error_set(err, CNI_ERR_INVALID_CONFIG, "address %s cannot be had in Neutron "
			      "network %s%s%s (%s): %s", ip, p->network_id, p->subnet_id ? ", subnet " : "",
			      p->subnet_id ? p->subnet_id : "", nerr->type[0] ? nerr->type : "400", why);
		return -EINVAL;
	}
	/* No answer is not "not created": the reconciler lists by tag, and a
	 * port made all the same joins the pool (it has the pool's tags). */
	if (nerr->http_status == 0 || nerr->http_status >= 500) {
		atomic_store(&d->create_lost, true);
		atomic_store(&d->reconcile_soon, true);
	}
	cni_error_set(err, CNI_ERR_TRY_AGAIN, "creating a port for address %s in Neutron failed: %s",
		      ip, why);
	return r;
}

/* Neutron's port, recorded fixed and claimed for env at once (no pool ADD
 * can take it), its host side wired.  On failure the port is deleted in
 * Neutron (not recorded) or released (recorded: the recycler deletes it). */
static int record(struct daemon *d, struct pool *p, const json_t *port, const struct cni_env *env,
		  struct store_port *ret, struct portinfo *pi, struct cni_error *err)
{
	struct store_port sp = { 0 };
	struct nl_extack ext = { { 0 } };
	struct nl_sock *host;
	char *info = NULL;
	int r;

	r = portinfo_from_neutron(port, p->network, p->subnets, p->mtu, pi);
	if (r >= 0) {
		pi->fixed = true;
		nested_own_mac(d, pi);
		r = portinfo_to_json(pi, &info);
	}
	if (r >= 0) {
		sp.port_id = pi->port_id;
		sp.pool = p->key;
		sp.network_id = pi->network_id;
		sp.subnet_id = pi->ips[0].subnet_id;
		sp.mac = pi->mac_str;
		sp.info = info;
		sp.state = STORE_PORT_WIRING;
		r = store_insert(d->store, &sp);
	}
	free(info);
	if (r < 0) {
		struct neutron_error derr = { 0 };
		const char *id = json_string_value(json_object_get(port, "id"));

		cni_error_set(err, CNI_ERR_TRY_AGAIN, "recording port %s: %s", id ? id : "?",
			      strerror(-r));
		if (id && neutron_port_delete(d->neutron, id, &derr) < 0)
			log_warn_rl("port %s: delete failed: %s", id, derr.message);
		return r;
	}
	r = store_claim_port(d->store, pi->port_id, env->container_id, env->ifname, env->netns, ret);
	if (r < 0) {
		/* Nobody holds it: the syncer deletes it. */
		if (store_set_state(d->store, pi->port_id, STORE_PORT_WIRING, STORE_PORT_DELETING) == 0)
			daemon_kick_sync(d);
		cni_error_set(err, CNI_ERR_TRY_AGAIN, "claiming port %s: %s", pi->port_id,
			      strerror(-r));
		return r;
	}
	r = bind_host_nl(&host);
	if (r >= 0)
		r = bind_prepare(host, pi, &d->bind, &ext);
	if (r < 0)
		cni_error_set(err, CNI_ERR_INTERNAL, "port %s: wiring the host side: %s%s%s",
			      pi->port_id, strerror(-r), ext.msg[0] ? ": " : "", ext.msg);
	return r;
}

/* Polls the port's status until ACTIVE or the deadline. */
static int wait_active(struct daemon *d, const char *id, uint64_t deadline, struct cni_error *err)
{
	for (unsigned delay = 50;; delay = delay < 400 ? delay * 2 : 400) {
		struct neutron_error nerr = { 0 };
		uint64_t start = util_now_us();
		json_t *port = NULL;
		bool active;
		int r;

		r = neutron_port_show(d->neutron, id, &port, &nerr);
		daemon_neutron_done(d, "port_status", r, &nerr, start);
		active = r >= 0 && streq(json_string_value(json_object_get(port, "status")), "ACTIVE");
		json_decref(port);
		if (active)
			return 0;
		if (util_now_ms() + delay >= deadline || daemon_should_stop(d)) {
			cni_error_set(err, CNI_ERR_TRY_AGAIN, "Neutron did not make port %s ACTIVE "
				      "within cold_add_timeout (%u ms)%s%s", id,
				      d->cfg.cold_add_timeout_ms, r < 0 ? ": " : "",
				      r < 0 ? nerr.message : "");
			return -ETIMEDOUT;
		}
		util_sleep_ms(delay);
	}
}

/* A ready pool port that holds ip already (Neutron gave a pool port that
 * address, or the reconciler adopted a create whose answer was lost): claimed
 * as it is, the warm path; it goes back to the pool at DEL.  0 and *ret,
 * -ENOENT when none holds it, -errno (err set) otherwise. */
static int claim_pooled(struct daemon *d, const struct pool *p, const struct cni_env *env,
			const char *ip, int len, struct store_port *ret, struct cni_error *err)
{
	struct store_port_list *l = NULL;
	union nl_ip want;
	int family, r;

	if (portinfo_parse_ip(ip, &family, &want) < 0)
		return -ENOENT;
	r = store_list(d->store, p->key, STORE_PORT_READY, &l);
	if (r < 0) {
		cni_error_set(err, CNI_ERR_TRY_AGAIN, "reading the state database: %s", strerror(-r));
		return r;
	}
	r = -ENOENT;
	for (size_t i = 0; i < l->n && r == -ENOENT; i++) {
		struct portinfo pi;
		bool holds = false;

		if (!l->ports[i].info || portinfo_from_json(l->ports[i].info, &pi) < 0)
			continue;
		for (size_t j = 0; j < pi.n_ips; j++)
			holds |= pi.ips[j].family == family &&
				 !memcmp(&pi.ips[j].ip, &want, family == AF_INET ? 4 : 16) &&
				 (len < 0 || (unsigned)len == pi.ips[j].prefixlen);
		if (!holds)
			continue;
		r = store_claim_port(d->store, l->ports[i].port_id, env->container_id, env->ifname,
				     env->netns, ret);
		if (r == -ESTALE)   /* another ADD took it meanwhile */
			r = -ENOENT;
		else if (r < 0 && r != -ENOENT)
			cni_error_set(err, CNI_ERR_TRY_AGAIN, "claiming port %s: %s",
				      l->ports[i].port_id, strerror(-r));
		else if (r == 0)
			log_info_rl("pool '%s': address %s is ready port %s's: claimed as it is (%s)",
				    p->name, ip, ret->port_id, env->container_id);
	}
	store_port_list_free(l);
	return r;
}

int ports_fixed_claim(struct daemon *d, struct pool *p, const struct cni_env *env, const char *ip,
		      int len, uint64_t deadline, struct store_port *ret, struct cni_error *err)
{
	struct neutron_error nerr = { 0 };
	struct store_port row = { 0 };
	struct portinfo pi;
	json_t *req = NULL, *port = NULL, *fixed;
	uint64_t start;
	char why[320];
	bool entered = false;
	int r;

	if (d->nested || p->service) {
		cni_error_set(err, CNI_ERR_INVALID_CONFIG, "a chosen address (%s) needs a bare-metal "
			      "host and a pool of no service", ip);
		return -EOPNOTSUPP;
	}
	if (daemon_store_failing(d, true)) {
		cni_error_set(err, CNI_ERR_TRY_AGAIN, "the state database in '%s' cannot be written; "
			      "try again once it can", d->cfg.state_dir);
		return -ENOSPC;
	}
	if (daemon_neutron_unreachable(d, why, sizeof(why))) {
		cni_error_set(err, CNI_ERR_TRY_AGAIN, "address %s needs a new port and %s", ip, why);
		return -EHOSTUNREACH;
	}
	r = claim_pooled(d, p, env, ip, len, ret, err);
	if (r != -ENOENT)
		return r;
	r = ports_own_enter(d, p->name, err);
	if (r < 0)
		return r;
	entered = true;
	req = pool_port_request(p, d->cfg.host, d->deployment_tag, d->host_tag, 1);
	fixed = p->subnet_id ? json_pack("[{s:s,s:s}]", "subnet_id", p->subnet_id, "ip_address", ip)
			     : json_pack("[{s:s}]", "ip_address", ip);
	if (!req || json_object_set_new(json_array_get(req, 0), "fixed_ips", fixed) < 0 ||
	    (d->site_tag[0] && json_array_append_new(json_object_get(json_array_get(req, 0), "tags"),
						     json_string(d->site_tag)) < 0)) {
		r = -ENOMEM;
		cni_error_set(err, CNI_ERR_INTERNAL, "out of memory");
		goto out;
	}
	start = util_now_us();
	r = neutron_port_create(d->neutron, json_array_get(req, 0), &port, &nerr);
	daemon_neutron_done(d, "port_create", r, &nerr, start);
	if (r < 0) {
		log_info_rl("pool '%s': a port for %s: %s", p->name, ip,
			    nerr.message[0] ? nerr.message : strerror(-r));
		r = create_failed(d, p, ip, r, &nerr, err);
		goto out;
	}
	metrics_counter_inc(d->metrics->ports_created, NULL);
	r = record(d, p, port, env, &row, &pi, err);
	if (r < 0 && row.port_id)
		goto undo;
	if (r < 0)
		goto out;
	if (len >= 0 && (unsigned)len != pi.ips[0].prefixlen) {
		cni_error_set(err, CNI_ERR_INVALID_CONFIG, "runtimeConfig.ips: %s/%d: the subnet's "
			      "prefix is %s", ip, len, pi.ips[0].cidr);
		r = -EINVAL;
		goto undo;
	}
	r = wait_active(d, pi.port_id, deadline, err);
	if (r < 0)
		goto undo;
	log_info_rl("pool '%s': port %s made for address %s (%s)", p->name, pi.port_id,
		    pi.ips[0].cidr, env->container_id);
	*ret = row;
	memset(&row, 0, sizeof(row));
	goto out;
undo:
	/* Released now, no cool-down: the recycler deletes a fixed port. */
	if (store_release(d->store, env->container_id, env->ifname, store_clock_ms(), NULL) == 0)
		daemon_kick_recycle(d);
out:
	if (entered)
		ports_own_leave(d);
	store_port_done(&row);
	json_decref(port);
	json_decref(req);
	return r;
}

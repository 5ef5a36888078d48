/* The CNI verbs, as the daemon serves them (verbs.h; docs/architecture.md
 * has the hot path). */
#include "daemon/verbs.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "bind/bind.h"
#include "bind/bind_nested.h"
#include "cni/result.h"
#include "common/config.h"
#include "common/log.h"
#include "common/util.h"
#include "daemon/gc.h"
#include "daemon/gc_busy.h"
#include "daemon/nested.h"
#include "daemon/ports.h"
#include "daemon/ports_fixed.h"
#include "netns/netns.h"
#include "service/manager.h"
#include "service/spec.h"
#include "store/store.h"

_Static_assert(CNI_SERVICE_NAME_MAX == SERVICE_NAME_MAX && CONFIG_SERVICE_NAME_MAX == SERVICE_NAME_MAX,
	       "a conflist's or a [pool]'s service is a service's name");

/* Names -> pool.  Neutron is asked only the first time a set of names is
 * seen; afterwards (and after a restart, from pools.json) it is a lookup. */
static int find_pool(struct daemon *d, const struct cni_conf *conf, struct pool **ret,
		     struct cni_error *err)
{
	struct neutron_error nerr = { 0 };
	struct pool_request rq = {
		.name = conf->name,
		.network = conf->network,
		.subnet = conf->subnet,
		.security_groups = (const char *const *)conf->security_groups,
		.n_security_groups = conf->n_security_groups,
		.mtu = conf->mtu > 0 ? (uint32_t)conf->mtu : 0,
		.service = conf->service,
	};
	uint64_t start = util_now_us();
	int r;

	r = pool_set_resolve(d->pools, d->neutron, &rq, NULL, ret, &nerr);
	if (r == 0)
		return 0;
	daemon_neutron_done(d, "resolve", r, &nerr, start);
	if (r == -ENOENT || r == -ENOTUNIQ || r == -EINVAL)
		cni_error_set(err, CNI_ERR_INVALID_CONFIG, "network '%s': %s", conf->network,
			      nerr.message[0] ? nerr.message : strerror(-r));
	else
		cni_error_set(err, CNI_ERR_TRY_AGAIN, "cannot reach Neutron to look up network '%s': %s",
			      conf->network, nerr.message[0] ? nerr.message : strerror(-r));
	return r;
}

static int build_result(const struct portinfo *pi, const struct cni_env *env,
			const struct cni_conf *conf, unsigned defaults, char **ret,
			struct cni_error *err)
{
	struct cni_result *res = cni_result_new();
	struct cni_interface iface = {
		.name = env->ifname, .mac = (char *)pi->mac_str, .mtu = (int)pi->mtu,
		.sandbox = env->netns,
	};
	struct cni_dns dns = { 0 };
	char *dns_list[PORTINFO_MAX_DNS + 1] = { 0 };
	size_t index;
	int r = -ENOMEM;

	if (res)
		r = cni_result_add_interface(res, &iface, &index);
	for (size_t i = 0; r >= 0 && i < pi->n_ips; i++) {
		struct cni_ip ip = { .address = (char *)pi->ips[i].cidr,
				     .gateway = pi->ips[i].has_gw ? (char *)pi->ips[i].gw_str : NULL,
				     .has_interface = true, .interface = (int)index };

		r = cni_result_add_ip(res, &ip);
	}
	for (int family = AF_INET; r >= 0 && family; family = family == AF_INET ? AF_INET6 : 0) {
		for (size_t i = 0; i < pi->n_ips; i++) {
			struct cni_route rt = { .dst = family == AF_INET ? "0.0.0.0/0" : "::/0",
						.gw = (char *)pi->ips[i].gw_str };

			if (pi->ips[i].family != family || !pi->ips[i].has_gw)
				continue;
			if (defaults & (family == AF_INET ? BIND_DEFAULT_V4 : BIND_DEFAULT_V6))
				r = cni_result_add_route(res, &rt);
			break;
		}
	}
	for (size_t i = 0; r >= 0 && i < pi->n_routes; i++) {
		struct cni_route rt = { .dst = (char *)pi->routes[i].dst_str,
					.gw = (char *)pi->routes[i].gw_str };

		if (pi->routes[i].dst_len > 0)
			r = cni_result_add_route(res, &rt);
	}
	if (r >= 0 && pi->n_dns) {
		for (size_t i = 0; i < pi->n_dns; i++)
			dns_list[i] = (char *)pi->dns[i];
		dns.nameservers = dns_list;
		dns.n_nameservers = pi->n_dns;
		r = cni_result_add_dns(res, &dns);
	}
	if (r >= 0 && !cni_dns_is_empty(&conf->dns))
		r = cni_result_add_dns(res, &conf->dns);
	if (r >= 0 && conf->prev_result)
		r = cni_result_merge_prev(res, conf->prev_result);
	if (r >= 0)
		r = cni_result_to_json(res, conf->version, ret);
	if (r < 0)
		cni_error_set(err, CNI_ERR_INTERNAL, "building the result: %s", strerror(-r));
	cni_result_free(res);
	return r;
}

/* A failed write to the state database: a full disk (or a read-only or
 * failing one) is transient for the runtime, code 11, and /readyz says so;
 * anything else is the daemon's own fault. */
static void store_failed(struct daemon *d, const char *what, int r, struct cni_error *err)
{
	if (daemon_store_failing(d, false) || r == -ENOSPC || r == -EIO || r == -EROFS)
		cni_error_set(err, CNI_ERR_TRY_AGAIN,
			      "%s: the state database in '%s' cannot be written (%s); try again "
			      "once it can", what, d->cfg.state_dir, strerror(-r));
	else
		cni_error_set(err, CNI_ERR_INTERNAL, "%s: %s", what, strerror(-r));
}

/* An empty pool: make one port for this ADD (bound, plugged, ACTIVE).  A
 * concurrent ADD may take the new port once it is READY, before this one
 * claims it, and leave the pool empty again (the leak run met this): then
 * make another, while cold_add_timeout lasts. */
static int claim_cold(struct daemon *d, struct pool *p, const struct cni_env *env,
		      uint64_t deadline, struct store_port *ret, struct cni_error *err)
{
	char *port_id = NULL, why[320];
	bool entered = false;
	int r;

	if (!d->cfg.on_demand) {
		cni_error_set(err, CNI_ERR_TRY_AGAIN, "pool '%s' has no ready port", p->name);
		return -ENOENT;
	}
	if (nested_full(d)) {
		cni_error_set(err, CNI_ERR_TRY_AGAIN, "pool '%s' has no ready port, and the VM's port "
			      "takes no more allowed address pairs (Neutron's max_allowed_address_pair)",
			      p->name);
		return -ENOSPC;
	}
	/* A port made now could not be recorded: it would go straight back. */
	if (daemon_store_failing(d, true)) {
		cni_error_set(err, CNI_ERR_TRY_AGAIN, "pool '%s' is empty and the state database in "
			      "'%s' cannot be written; try again once it can", p->name,
			      d->cfg.state_dir);
		return -ENOSPC;
	}
	/* Neutron known to be away (the breaker): no point waiting for it. */
	if (daemon_neutron_unreachable(d, why, sizeof(why))) {
		cni_error_set(err, CNI_ERR_TRY_AGAIN, "pool '%s' is empty and %s", p->name, why);
		return -EHOSTUNREACH;
	}
	r = ports_own_enter(d, p->name, err);
	if (r < 0)
		return r;
	entered = true;
	for (;;) {
		struct neutron_error nerr = { 0 };
		uint64_t now = util_now_ms();

		r = ports_make(d, p, 1, now < deadline ? (unsigned)(deadline - now) : 0,
				      &port_id, &nerr);
		if (r == -ETIMEDOUT) {
			/* The port stays in the pool, WIRING: it serves a later ADD. */
			cni_error_set(err, CNI_ERR_TRY_AGAIN,
				      "pool '%s' is empty and Neutron did not make a new port ACTIVE within %u ms",
				      p->name, d->cfg.cold_add_timeout_ms);
			goto out;
		}
		if (r == -ETIME) {
			cni_error_set(err, CNI_ERR_TRY_AGAIN,
				      "pool '%s' is empty and Neutron did not answer the port create "
				      "within cold_add_timeout (%u ms)", p->name,
				      d->cfg.cold_add_timeout_ms);
			goto out;
		}
		if (r < 0) {
			cni_error_set(err, CNI_ERR_TRY_AGAIN,
				      "pool '%s' is empty and creating a port in Neutron failed: %s",
				      p->name, nerr.message[0] ? nerr.message : strerror(-r));
			goto out;
		}
		r = store_claim_port(d->store, port_id, env->container_id, env->ifname, env->netns,
				     ret);
		if (r == -ESTALE)   /* a concurrent ADD took it from the pool: take another */
			r = store_claim(d->store, p->key, env->container_id, env->ifname, env->netns,
					ret);
		if (r != -ENOENT && r != -ESTALE)
			break;
		if (util_now_ms() >= deadline)
			break;
		log_debug_rl("pool '%s': the port made for %s went to another ADD; making another",
			  p->name, env->container_id);
		free(port_id);
		port_id = NULL;
	}
	if (r < 0) {
		char what[160];

		snprintf(what, sizeof(what), "claiming the new port of pool '%s'", p->name);
		store_failed(d, what, r, err);
		err->code = CNI_ERR_TRY_AGAIN;
	}
out:
	if (entered)
		ports_own_leave(d);
	free(port_id);
	return r;
}

/* The port's container end, in the namespace `fd`. */
static int attach(struct daemon *d, struct nl_sock *host, int fd, const struct portinfo *pi,
		  const struct cni_env *env, const struct store_port *row, unsigned *defaults,
		  struct cni_error *err)
{
	struct nl_extack ext = { { 0 } };
	int r;

	if (d->nested)
		r = bind_nested_attach(host, nested_link(d->nested), fd, pi, env->ifname,
				       row->last_netns, defaults, &ext);
	else
		r = bind_attach(host, fd, pi, env->ifname, defaults, &ext);
	if (r == -EEXIST)
		cni_error_set(err, CNI_ERR_INVALID_ENV,
			      "an interface '%s' already exists in the container", env->ifname);
	else if (r == -EOPNOTSUPP && pi->vlan_id)
		cni_error_set(err, CNI_ERR_INTERNAL,
			      "attaching port %s: this kernel has no 802.1Q VLAN devices "
			      "(load the 8021q module)", row->port_id);
	else if (r < 0)
		cni_error_set(err, CNI_ERR_INTERNAL, "attaching port %s: %s%s%s", row->port_id,
			      strerror(-r), ext.msg[0] ? ": " : "", ext.msg);
	return r;
}

static int add(struct daemon *d, const struct cni_env *env, const struct cni_conf *conf,
	       uint64_t deadline, char **ret, struct cni_error *err)
{
	struct store_port row = { 0 };
	struct portinfo pi;
	struct nl_extack ext = { { 0 } };
	struct nl_sock *host;
	struct pool *p;
	bool repeated = false;
	/* A repeated ADD answers as the first did, which set its defaults. */
	unsigned defaults = BIND_DEFAULT_V4 | BIND_DEFAULT_V6;
	const char *service = cni_env_arg(env, "SF_SERVICE");
	char want[PORTS_FIXED_ADDR_MAX];
	int fd = -1, r, want_len;

	if (service && !service_name_valid(service)) {
		cni_error_set(err, CNI_ERR_INVALID_ENV,
			      "CNI_ARGS SF_SERVICE '%s' is not a service name (a-z, 0-9, '-', at most %d)",
			      service, SERVICE_NAME_MAX);
		return -EINVAL;
	}
	/* A network config naming a service serves only that service. */
	if (conf->service && service && !streq(conf->service, service)) {
		cni_error_set(err, CNI_ERR_INVALID_ENV,
			      "CNI_ARGS SF_SERVICE '%s' differs from the network's service '%s'",
			      service, conf->service);
		return -EINVAL;
	}
	if (conf->service)
		service = conf->service;
	r = ports_fixed_wanted(conf, want, &want_len, err);
	if (r < 0)
		return r;
	r = find_pool(d, conf, &p, err);
	if (r < 0)
		return r;
	r = netns_open(env->netns, &fd);
	if (r < 0) {
		cni_error_set(err, CNI_ERR_INVALID_ENV, "CNI_NETNS '%s' is not a network namespace: %s",
			      env->netns, strerror(-r));
		return r;
	}
	/* Until the answer, the garbage collector must not judge this holder
	 * by its missing interface. */
	gc_busy_begin(d->busy, env->container_id, env->ifname);
	/* A chosen address is a port made for it (ports_fixed.h); the same
	 * ADD again finds it held. */
	if (want[0]) {
		r = store_find_holder(d->store, env->container_id, env->ifname, &row);
		if (r == 0)
			r = -EEXIST;
		else if (r == -ENOENT)
			r = ports_fixed_claim(d, p, env, want, want_len, deadline, &row, err);
		else
			store_failed(d, "finding the holder", r, err);
		if (r < 0 && r != -EEXIST)
			goto out;
	} else {
		r = store_claim(d->store, p->key, env->container_id, env->ifname, env->netns, &row);
	}
	if (r == -EEXIST) {
		/* The same ADD again is answered the same way; the same container
		 * and interface ADDed elsewhere (another namespace or network)
		 * would steal the port from its holder: refused, holder intact. */
		if ((row.netns && !streq(row.netns, env->netns)) || !streq(row.pool, p->key)) {
			cni_error_set(err, CNI_ERR_INVALID_ENV,
				      "CNI_CONTAINERID '%s' with CNI_IFNAME '%s' is already attached "
				      "(port %s, in '%s'%s): DEL it first", env->container_id,
				      env->ifname, row.port_id, row.netns ? row.netns : "-",
				      streq(row.pool, p->key) ? "" : ", another network");
			r = -EEXIST;
			goto out;
		}
		repeated = true;
		r = 0;
	} else if (r == -ENOENT) {
		r = claim_cold(d, p, env, deadline, &row, err);
		if (r < 0)
			goto out;
	} else if (r < 0) {
		store_failed(d, "claiming a port", r, err);
		goto out;
	}
	daemon_kick_refill(d);

	r = portinfo_from_json(row.info, &pi);
	if (r < 0) {
		cni_error_set(err, CNI_ERR_INTERNAL, "port %s has no usable record", row.port_id);
		goto undo;
	}
	r = bind_host_nl(&host);
	if (r < 0) {
		cni_error_set(err, CNI_ERR_INTERNAL, "netlink: %s", strerror(-r));
		goto undo;
	}
	/* A repeated ADD whose attachment is intact is answered as it was. */
	if (!repeated || (d->nested ? bind_check_inside(fd, &pi, env->ifname, &ext)
				    : bind_check(host, fd, &pi, env->ifname, &ext)) != 0) {
		r = attach(d, host, fd, &pi, env, &row, &defaults, err);
		if (r < 0)
			goto undo;
	}
	r = build_result(&pi, env, conf, defaults, ret, err);
	if (r < 0)
		goto undo;
	/* The instance joins its service off the hot path: recorded here, told
	 * to Neutron by the service thread. */
	if (service) {
		r = streq(p->service, service)
			    ? service_mgr_join_instance(d->services, service, row.port_id)
			    : service_mgr_join(d->services, service, row.port_id);
		if (r < 0) {
			free(*ret);
			*ret = NULL;
			cni_error_set(err, CNI_ERR_INTERNAL, "joining service '%s': %s", service,
				      strerror(-r));
			goto undo;
		}
	}
	daemon_kick_sync(d);   /* Neutron learns the holder off the hot path */
	goto out;
undo:
	/* Back to the pool through a cool-down: the recycler scrubs the port's
	 * bridge before anyone gets it again. */
	if (store_release(d->store, env->container_id, env->ifname, store_clock_ms(), NULL) == 0)
		daemon_kick_recycle(d);
out:
	gc_busy_end(d->busy, env->container_id, env->ifname);
	store_port_done(&row);
	if (fd >= 0)
		close(fd);
	return r;
}

int verbs_add(struct daemon *d, const struct cni_env *env, const struct cni_conf *conf,
		   char **ret, struct cni_error *err)
{
	/* Whatever Neutron does, an ADD that needs it (a new network's names,
	 * an empty pool) lasts no longer than cold_add_timeout: every Neutron
	 * request of this thread is cut to it (neutron_deadline_set). */
	uint64_t deadline = util_now_ms() + d->cfg.cold_add_timeout_ms;
	int r;

	neutron_deadline_set(deadline);
	r = add(d, env, conf, deadline, ret, err);
	neutron_deadline_clear();
	return r;
}

/* The service whose own pool `key` is, or NULL. */
static const char *pool_service(struct daemon *d, const char *key)
{
	struct pool *p = key ? pool_set_find(d->pools, key) : NULL;

	return p ? p->service : NULL;
}

int verbs_del(struct daemon *d, const struct cni_env *env, struct cni_error *err)
{
	struct store_port row = { 0 };
	bool fixed = false;
	int r;

	/* Its services forget it before the port is anyone else's (the
	 * recycler waits), but a port of a service's own pool stays that
	 * service's instance.  Told while the port is still held, so that the
	 * service thread never sees a released port it would take for gone;
	 * a failure here is the service thread's to see. */
	if (store_find_holder(d->store, env->container_id, env->ifname, &row) == 0 &&
	    service_mgr_return(d->services, row.port_id, pool_service(d, row.pool)) < 0)
		log_info_rl("DEL %s/%s: port %s's services are settled later", env->container_id,
			    env->ifname, row.port_id);
	/* A chosen address's port is deleted, not reused: no cool-down. */
	fixed = row.port_id && ports_fixed_is(&row);
	store_port_done(&row);
	r = store_release(d->store, env->container_id, env->ifname,
			  store_clock_ms() + (fixed ? 0 : d->cfg.cooldown_ms), &row);
	if (r == -ENOENT)
		return 0;   /* DEL is idempotent: nothing held, nothing to do */
	if (r < 0) {
		char what[160];

		snprintf(what, sizeof(what), "releasing the port of '%s'", env->container_id);
		store_failed(d, what, r, err);
		err->code = CNI_ERR_TRY_AGAIN;   /* a DEL is always worth repeating */
		return r;
	}
	store_port_done(&row);
	daemon_kick_recycle(d);   /* removes the interface now, off this path */
	daemon_kick_sync(d);
	return 0;
}

int verbs_check(struct daemon *d, const struct cni_env *env, struct cni_error *err)
{
	struct store_port row = { 0 };
	struct portinfo pi;
	struct nl_extack ext = { { 0 } };
	struct nl_sock *host;
	int fd = -1, r;

	r = store_find_holder(d->store, env->container_id, env->ifname, &row);
	if (r < 0) {
		cni_error_set(err, CNI_ERR_UNKNOWN_CONTAINER, "container '%s' holds no port for '%s'",
			      env->container_id, env->ifname);
		return r;
	}
	r = portinfo_from_json(row.info, &pi);
	if (r >= 0)
		r = netns_open(env->netns, &fd);
	if (r >= 0)
		r = bind_host_nl(&host);
	if (r >= 0)
		r = d->nested ? bind_check_inside(fd, &pi, env->ifname, &ext)
			      : bind_check(host, fd, &pi, env->ifname, &ext);
	if (r < 0)
		cni_error_set(err, CNI_ERR_INTERNAL, "port %s: %s", row.port_id,
			      ext.msg[0] ? ext.msg : strerror(-r));
	if (fd >= 0)
		close(fd);
	store_port_done(&row);
	return r;
}

int verbs_status(struct daemon *d, struct cni_error *err)
{
	struct store_counts *counts = NULL;
	unsigned ready = 0;

	if (atomic_load(&d->neutron_ok))
		return 0;
	if (store_count(d->store, &counts) == 0) {
		for (size_t i = 0; i < counts->n; i++)
			ready += counts->pools[i].n[STORE_PORT_READY];
		store_counts_free(counts);
	}
	if (ready > 0)
		return 0;   /* warm ports still serve ADDs while Neutron is away */
	cni_error_set(err, CNI_ERR_NOT_AVAILABLE,
		      "Neutron is unreachable and no pool has a ready port");
	return -EHOSTUNREACH;
}

static bool attachment_valid(const struct cni_conf *conf, const char *cid, const char *ifname)
{
	for (size_t i = 0; i < conf->n_valid_attachments; i++)
		if (streq(conf->valid_attachments[i].container_id, cid) &&
		    streq(conf->valid_attachments[i].ifname, ifname))
			return true;
	return false;
}

/* Releases what this network's pool lends to attachments the runtime no
 * longer knows (at once: the runtime says so), then runs a garbage
 * collection pass over the pool (gc.h), whose findings wait for a grace. */
int verbs_gc(struct daemon *d, const struct cni_conf *conf, struct cni_error *err)
{
	struct store_port_list *held = NULL;
	struct gc_opts o = { 0 };
	struct pool *p;
	int r;

	r = find_pool(d, conf, &p, err);
	if (r < 0)
		return r;
	r = store_list(d->store, p->key, STORE_PORT_IN_USE, &held);
	if (r < 0) {
		cni_error_set(err, CNI_ERR_INTERNAL, "listing ports: %s", strerror(-r));
		return r;
	}
	for (size_t i = 0; i < held->n; i++) {
		const struct store_port *sp = &held->ports[i];

		if (attachment_valid(conf, sp->container_id, sp->ifname))
			continue;
		log_info_rl("gc: releasing port %s held by stale attachment %s/%s", sp->port_id,
			 sp->container_id, sp->ifname);
		if (store_release(d->store, sp->container_id, sp->ifname,
				  store_clock_ms() + d->cfg.cooldown_ms, NULL) < 0)
			log_warn_rl("gc: releasing port %s failed", sp->port_id);
	}
	store_port_list_free(held);
	daemon_kick_recycle(d);
	daemon_kick_sync(d);
	o.pool = p->key;
	r = gc_pass(d, &o, NULL);
	if (r < 0)
		cni_error_set(err, CNI_ERR_INTERNAL, "garbage collection of pool '%s': %s", p->name,
			      strerror(-r));
	return r;
}

/* A pool's ports from Neutron to READY (ports.h): create, record and wire
 * their host side, wait for ACTIVE. */
#include "daemon/ports.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bind/bind.h"
#include "common/log.h"
#include "daemon/daemon_metrics.h"
#include "daemon/nested.h"
#include "service/manager.h"
#include "service/port.h"
#include "store/store.h"

/* How many ADDs may wait on Neutron for a port of their own at once: all
 * the workers but one.  Such an ADD holds its worker for up to
 * cold_add_timeout; with every worker in one, warm ADDs, DELs and sfctl
 * would queue behind a slow Neutron (docs/outages.md, "At the worker
 * limit"). */
static unsigned own_limit(const struct daemon *d)
{
	return d->cfg.workers > 1 ? d->cfg.workers - 1 : 1;
}

int ports_own_enter(struct daemon *d, const char *pool, struct cni_error *err)
{
	/* Once a minute: the operator learns of it, a stream of ADDs does not
	 * fill the log (each ADD's answer says it too). */
	static struct log_rl busy_rl = LOG_RL_INIT(1, 1);
	unsigned n = atomic_load(&d->cold_adds);

	do {
		if (n >= own_limit(d)) {
			log_msg_rl(&busy_rl, LOG_LEVEL_WARN, "%u ADD(s) already wait on Neutron for a "
				   "port of their own, all the %u workers but one: further ADDs that "
				   "need one answer code 11 at once until one ends (raise the pools' "
				   "min, or workers)", own_limit(d), d->cfg.workers);
			cni_error_set(err, CNI_ERR_TRY_AGAIN, "pool '%s' has no port for this ADD and "
				      "%u other ADD(s) already wait on Neutron for a port (the daemon "
				      "keeps one of its %u workers for the rest); try again later",
				      pool, own_limit(d), d->cfg.workers);
			return -EBUSY;
		}
	} while (!atomic_compare_exchange_weak(&d->cold_adds, &n, n + 1));
	return 0;
}

void ports_own_leave(struct daemon *d)
{
	atomic_fetch_sub(&d->cold_adds, 1);
}

int ports_discard(struct daemon *d, const char *key, enum store_port_state from, unsigned limit)
{
	struct store_port_list *l = NULL;
	unsigned done = 0;
	int r;

	r = store_list(d->store, key, from, &l);
	if (r < 0)
		return r;
	for (size_t i = 0; i < l->n && done < limit; i++)
		done += store_set_state(d->store, l->ports[i].port_id, from, STORE_PORT_DELETING) == 0;
	store_port_list_free(l);
	if (done > 0)
		daemon_kick_sync(d);
	return (int)done;
}

int ports_adopt(struct daemon *d, struct pool *p, const json_t *port)
{
	struct store_port sp = { 0 };
	struct portinfo pi;
	struct nl_extack ext = { { 0 } };
	struct nl_sock *host;
	char *info = NULL;
	int r;

	r = portinfo_from_neutron(port, p->network, p->subnets, p->mtu, &pi);
	if (r < 0)
		return r;
	nested_own_mac(d, &pi);
	r = portinfo_to_json(&pi, &info);
	if (r < 0)
		return r;
	sp.port_id = pi.port_id;
	sp.pool = p->key;
	sp.network_id = pi.network_id;
	sp.subnet_id = pi.ips[0].subnet_id;
	sp.mac = pi.mac_str;
	sp.info = info;
	sp.state = STORE_PORT_WIRING;
	r = store_insert(d->store, &sp);
	free(info);
	if (r == -EEXIST)
		return 0;   /* adopted first (refiller.c, adopt_unanswered) */
	if (r < 0)
		return r;
	if (d->nested)
		return 0;   /* the VM's port carries it: nested_ready */
	if (pi.unbound) {   /* counted now, plugged once bound: ports_late.h */
		log_info_rl("port %s: not bound by Neutron yet; wired once it is", pi.port_id);
		return 0;
	}
	r = bind_host_nl(&host);
	if (r >= 0)
		r = bind_prepare(host, &pi, &d->bind, &ext);
	if (r < 0)   /* stays WIRING: the refiller's recheck tries again */
		log_warn("port %s: wiring the host side: %s%s%s", pi.port_id, strerror(-r),
			 ext.msg[0] ? ": " : "", ext.msg);
	return 0;
}

int ports_list_ids(struct daemon *d, char **ids, size_t n, const char *const *fields,
		   const char *op, ports_each_fn *each, void *arg)
{
	struct neutron_filter f[PORTS_ID_BATCH + 1 + PORTS_LIST_MAX_FIELDS];   /* ids, "id", fields */
	size_t n_fields = 0;

	while (fields[n_fields])
		n_fields++;
	if (n_fields > PORTS_LIST_MAX_FIELDS)
		return -E2BIG;
	for (size_t off = 0; off < n; off += PORTS_ID_BATCH) {
		size_t k = n - off < PORTS_ID_BATCH ? n - off : PORTS_ID_BATCH, nf = 0, i;
		struct neutron_error err = { 0 };
		uint64_t start = util_now_us();
		json_t *list = NULL, *v;
		int r;

		for (i = 0; i < k; i++)
			if (ids[off + i])
				f[nf++] = (struct neutron_filter){ "id", ids[off + i] };
		if (nf == 0)
			continue;
		f[nf++] = (struct neutron_filter){ "fields", "id" };
		for (i = 0; i < n_fields; i++)
			f[nf++] = (struct neutron_filter){ "fields", fields[i] };
		r = neutron_list(d->neutron, "ports", f, nf, 0, &list, &err);
		daemon_neutron_done(d, op, r, &err, start);
		if (r < 0)
			return r;
		json_array_foreach(list, i, v) {
			const char *id = json_string_value(json_object_get(v, "id"));

			/* each may free and NULL ids[j]: read it afresh. */
			for (size_t j = off; j < off + k; j++)
				if (ids[j] && id && streq(ids[j], id))
					each(d, v, j, arg);
		}
		json_decref(list);
	}
	return 0;
}

/* ports_promote's: an ACTIVE port becomes READY and leaves `ids` (arg). */
static void promote_active(struct daemon *d, const json_t *port, size_t j, void *arg)
{
	char **ids = arg;
	int r;

	if (!streq(json_string_value(json_object_get(port, "status")), "ACTIVE"))
		return;
	r = store_set_state(d->store, ids[j], STORE_PORT_WIRING, STORE_PORT_READY);
	if (r < 0 && r != -ESTALE)   /* -ESTALE: someone else moved it on */
		log_warn("port %s: marking ready: %s", ids[j], strerror(-r));
	free(ids[j]);
	ids[j] = NULL;
}

int ports_promote(struct daemon *d, char **ids, size_t n)
{
	static const char *const fields[] = { "status", NULL };
	size_t pending = 0;
	int r;

	r = ports_list_ids(d, ids, n, fields, "port_status", promote_active, ids);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++)
		pending += ids[i] != NULL;
	return (int)pending;
}

/* A service's pool: each port is made an instance of the service (the
 * address as an allowed address pair, the member tag), so that its L2
 * agent has wired the pair long before a container of the service gets
 * it.  The address is read now, not remembered: a service deleted and made
 * again may have another.  The pair names no MAC: Neutron uses the port's. */
static int as_instances(struct daemon *d, const struct pool *p, json_t *req,
			struct neutron_error *err)
{
	struct service_port sp;
	json_t *port;
	char tag[64];
	size_t i;
	uint64_t start = util_now_us();
	int r;

	if (d->nested) {
		snprintf(err->message, sizeof(err->message),
			 "a service's pool needs a bare-metal host (docs/superfluidity.md, Limits)");
		return -EOPNOTSUPP;
	}
	/* Its containers claim it from the thread's last read. */
	if (service_mgr_watch(d->services, p->service) < 0)
		log_warn_rl("pool '%s': too many services' pools on this host; its containers "
			    "answer after one more read", p->name);
	r = service_port_find(d->neutron, p->service, &sp, err);
	daemon_neutron_done(d, "service_find", r, err, start);
	if (r == -ENOENT)
		snprintf(err->message, sizeof(err->message), "service '%s' does not exist",
			 p->service);
	if (r >= 0)
		r = service_member_tag(p->service, tag, sizeof(tag));
	if (r < 0)
		return r;
	/* binding: the service port carries the address, an instance only the tag. */
	json_array_foreach(req, i, port) {
		if ((sp.state.method != SERVICE_METHOD_BINDING &&
		     json_object_set_new(port, "allowed_address_pairs",
					 json_pack("[{s:s}]", "ip_address", sp.addr)) < 0) ||
		    json_array_append_new(json_object_get(port, "tags"), json_string(tag)) < 0)
			return -ENOMEM;
	}
	return 0;
}

int ports_make(struct daemon *d, struct pool *p, unsigned n, unsigned timeout_ms,
		      char **ret_port_id, struct neutron_error *ret_err)
{
	struct neutron_error err = { 0 };
	json_t *req, *created = NULL, *v;
	char **ids = NULL;
	size_t n_ids = 0, i;
	uint64_t start = util_now_us(), deadline;
	int r;

	req = pool_port_request(p, d->nested ? NULL : d->cfg.host, d->deployment_tag, d->host_tag,
				n);
	/* The site, for `sfctl sites` and the service's instances. */
	if (req && d->site_tag[0]) {
		json_t *port;

		json_array_foreach(req, i, port)
			json_array_append_new(json_object_get(port, "tags"), json_string(d->site_tag));
	}
	if (req && p->service) {
		r = as_instances(d, p, req, &err);
		if (r < 0) {
			log_warn("pool '%s': %s", p->name, err.message[0] ? err.message : strerror(-r));
			if (ret_err)
				*ret_err = err;
			json_decref(req);
			return r;
		}
	}
	pool_set_lock(d->pools);
	p->creating += n;
	pool_set_unlock(d->pools);
	if (n == 1 || p->service) {
		/* One by one for a service's pool: Neutron's ML2 bulk create
		 * (Zed) drops allowed_address_pairs without a word.  What was
		 * made before a failure is kept. */
		created = json_array();
		r = created ? 0 : -ENOMEM;
		for (i = 0; i < n && r >= 0; i++) {
			json_t *one = NULL;

			r = neutron_port_create(d->neutron, json_array_get(req, i), &one, &err);
			if (r >= 0 && json_array_append_new(created, one) < 0)
				r = -ENOMEM;
		}
		if (r < 0 && json_array_size(created) > 0) {
			log_warn("pool '%s': creating port %zu of %u: %s", p->name, i, n,
				 err.message[0] ? err.message : strerror(-r));
			if (err.http_status == 0 || err.http_status >= 500) {
				atomic_store(&d->create_lost, true);
				atomic_store(&d->reconcile_soon, true);
			}
			r = 0;
		}
	} else {
		r = neutron_port_create_bulk(d->neutron, req, &created, &err);
	}
	daemon_neutron_done(d, n == 1 ? "port_create" : "port_create_bulk", r, &err, start);
	json_decref(req);
	if (r < 0) {
		/* Refused credentials: the client said so (once a minute). */
		if (streq(err.type, NEUTRON_ERROR_CREDENTIALS))
			log_debug_rl("pool '%s': creating %u port(s): %s", p->name, n, err.message);
		else
			log_warn_rl("pool '%s': creating %u port(s): %s", p->name, n,
				    err.message[0] ? err.message : strerror(-r));
		if (ret_err)
			*ret_err = err;
		/* No answer is not "not created": list by tag before trying
		 * again, so that a slow create is adopted, not repeated. */
		if (err.http_status == 0 || err.http_status >= 500) {
			atomic_store(&d->create_lost, true);
			atomic_store(&d->reconcile_soon, true);
		}
		json_decref(created);
		pool_set_lock(d->pools);
		p->creating -= n;
		pool_set_unlock(d->pools);
		/* -ETIMEDOUT means "made but not ACTIVE in time" to callers. */
		return r == -ETIMEDOUT ? -ETIME : r;
	}
	metrics_counter_add(d->metrics->ports_created, NULL, json_array_size(created));

	ids = xcalloc(json_array_size(created) + 1, sizeof(*ids));
	json_array_foreach(created, i, v) {
		const char *id = json_string_value(json_object_get(v, "id"));

		r = ports_adopt(d, p, v);
		if (r < 0) {
			/* Not recorded, so not ours to keep: give it back now. */
			struct neutron_error derr = { 0 };

			log_warn("port %s: cannot record it (%s), deleting it", id, strerror(-r));
			if (id && neutron_port_delete(d->neutron, id, &derr) < 0)
				log_warn("port %s: delete failed: %s", id, derr.message);
			continue;
		}
		ids[n_ids++] = xstrdup(id);
	}
	pool_set_lock(d->pools);
	p->creating -= n;
	pool_set_unlock(d->pools);
	json_decref(created);
	if (n_ids == 0) {
		r = -EIO;
		if (ret_err)
			snprintf(ret_err->message, sizeof(ret_err->message),
				 "Neutron's answer held no usable port");
		goto out;
	}
	if (ret_port_id)
		*ret_port_id = xstrdup(ids[0]);

	if (d->nested) {
		/* Ready once the VM's port carries them; a failure leaves them
		 * WIRING for the refiller's recheck. */
		r = nested_ready(d, ids, n_ids, ret_err);
		if (r > 0)
			r = -ETIMEDOUT;
		goto out;
	}
	/* The agent needs a polling interval to wire the taps; ask in batches.
	 * The timeout counts from the call: a slow create uses it up too. */
	deadline = start / 1000 + timeout_ms;
	for (unsigned delay = 100;; delay = delay < 500 ? delay * 2 : 500) {
		r = ports_promote(d, ids, n_ids);
		if (r <= 0 || util_now_ms() >= deadline || daemon_should_stop(d))
			break;
		util_sleep_ms(delay);
	}
	/* -ETIME: the caller's deadline (neutron_deadline_set) ended a status
	 * query; the ports were made all the same and wait, WIRING. */
	if (r > 0 || r == -ETIME)
		r = -ETIMEDOUT;
	/* timeout_ms 0: the caller asked once and does not wait. */
	if (r == -ETIMEDOUT && timeout_ms)
		log_info_rl("pool '%s': %zu new port(s) not ACTIVE after %u ms; they stay wiring",
			 p->name, n_ids, timeout_ms);
	else if (r == -ETIMEDOUT)
		log_info_rl("pool '%s': %zu new port(s) not ACTIVE yet; they stay wiring",
			 p->name, n_ids);
out:
	for (i = 0; i < n_ids; i++)
		free(ids[i]);
	free(ids);
	return r < 0 ? r : 0;
}

int ports_list_tagged(struct daemon *d, json_t **ret)
{
	struct neutron_filter f[] = { { "tags", NULL } };
	struct neutron_error err = { 0 };
	uint64_t start = util_now_us();
	char tags[300];
	int r;

	snprintf(tags, sizeof(tags), "%s,%s", d->deployment_tag, d->host_tag);
	f[0].value = tags;
	r = neutron_list(d->neutron, "ports", f, 1, 200, ret, &err);
	daemon_neutron_done(d, "port_list", r, &err, start);
	return r;
}

struct pool *ports_pool_of(struct daemon *d, const json_t *port)
{
	struct pool *p = NULL;
	json_t *tag;
	size_t j;

	json_array_foreach(json_object_get(port, "tags"), j, tag)
		if (!p && json_is_string(tag))
			p = pool_set_find_tag(d->pools, json_string_value(tag));
	return p;
}

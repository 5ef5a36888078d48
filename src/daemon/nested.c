/* Nested modes: a daemon inside a VM whose containers' ports ride on the
 * VM's own port (docs/nested.md). */
#include "daemon/nested.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "common/config.h"
#include "common/log.h"
#include "bind/bind.h"
#include "bind/vmport.h"
#include "store/store.h"

#define NESTED_FULL_RETRY_MS 60000

struct nested {
	int mode;                   /* CONFIG_MODE_MACVLAN or CONFIG_MODE_VLAN */
	int link;                   /* the VM's NIC, in the daemon's namespace */
	uint8_t mac[NL_MAC_LEN];    /* its MAC: finds the VM's port */
	char *vm_port;              /* configured id, or NULL */
	pthread_mutex_t lock;       /* guards vp's creation */
	_Atomic uint64_t full_until_ms;   /* the VM's port refused more pairs: no refill */
	struct vmport *vp;          /* found on first use */
};

int nested_new(const struct daemon_settings *cfg, struct nested **ret)
{
	struct nested *dn;
	struct nl_sock *host;
	struct nl_link l;
	int r;

	r = bind_host_nl(&host);
	if (r < 0)
		return r;
	r = nl_link_get_by_name(host, cfg->link_interface, &l);
	if (r < 0) {
		log_errno(r, "[host] link_interface '%s': no such interface in the daemon's "
			  "network namespace", cfg->link_interface);
		return r;
	}
	if (!l.has_mac) {
		log_err("[host] link_interface '%s' has no MAC address", cfg->link_interface);
		return -EINVAL;
	}
	dn = xcalloc(1, sizeof(*dn));
	dn->mode = cfg->mode;
	dn->link = l.ifindex;
	memcpy(dn->mac, l.mac, NL_MAC_LEN);
	dn->vm_port = cfg->vm_port ? xstrdup(cfg->vm_port) : NULL;
	pthread_mutex_init(&dn->lock, NULL);
	*ret = dn;
	return 0;
}

void nested_free(struct nested *dn)
{
	if (!dn)
		return;
	vmport_free(dn->vp);
	pthread_mutex_destroy(&dn->lock);
	free(dn->vm_port);
	free(dn);
}

int nested_link(const struct nested *dn)
{
	return dn->link;
}

/* The VM's port (and trunk), looked up once; borrowed. */
static int get_vmport(struct daemon *d, struct vmport **ret)
{
	struct nested *dn = d->nested;
	struct neutron_error err = { 0 };
	uint64_t start;
	int r = 0;

	pthread_mutex_lock(&dn->lock);
	if (!dn->vp) {
		start = util_now_us();
		r = vmport_new(d->neutron, dn->vm_port, dn->mac, dn->mode == CONFIG_MODE_VLAN,
			       &dn->vp, &err);
		daemon_neutron_done(d, "vm_port", r, &err, start);
		if (r < 0)
			log_warn("finding the VM's port (%s): %s", dn->vm_port ? dn->vm_port : "by MAC",
				 err.message[0] ? err.message : strerror(-r));
		else
			log_info("the VM's port is %s%s%s", vmport_id(dn->vp),
				 vmport_trunk_id(dn->vp) ? ", trunk " : "",
				 vmport_trunk_id(dn->vp) ? vmport_trunk_id(dn->vp) : "");
	}
	if (r >= 0)
		*ret = dn->vp;
	pthread_mutex_unlock(&dn->lock);
	return r;
}

/* The ports' records; those that cannot be read are left out (and their
 * ids freed) so one bad record cannot hold the others back. */
static size_t load_infos(struct daemon *d, char **ids, size_t n, struct portinfo *pis)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		struct store_port sp = { 0 };

		if (!ids[i])
			continue;
		if (store_get(d->store, ids[i], &sp) == 0 && sp.state == STORE_PORT_WIRING &&
		    portinfo_from_json(sp.info, &pis[k]) == 0)
			k++;
		store_port_done(&sp);
	}
	return k;
}

/* Every address of every port, with the port's MAC. */
static struct vmport_pair *pairs_of(const struct portinfo *pis, size_t n, size_t *ret_n,
				    char (**ret_ips)[PORTINFO_ADDR_LEN])
{
	struct vmport_pair *pairs = xcalloc(n * PORTINFO_MAX_IPS + 1, sizeof(*pairs));
	char (*ips)[PORTINFO_ADDR_LEN] = xcalloc(n * PORTINFO_MAX_IPS + 1, sizeof(*ips));
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < pis[i].n_ips; j++) {
			/* "198.19.1.5/24" -> "198.19.1.5": a pair names one address. */
			snprintf(ips[k], sizeof(ips[k]), "%.*s",
				 (int)strcspn(pis[i].ips[j].cidr, "/"), pis[i].ips[j].cidr);
			pairs[k].ip = ips[k];
			pairs[k].mac = pis[i].mac_str;
			k++;
		}
	*ret_n = k;
	*ret_ips = ips;
	return pairs;
}

/* Neutron's side, in one call: pairs on the VM's port, or subports of its
 * trunk (their VLAN ids written into pis). */
static int carry(struct daemon *d, struct portinfo *pis, size_t n, bool add,
		 struct neutron_error *err)
{
	struct vmport *vp;
	uint64_t start = util_now_us();
	int r;

	r = get_vmport(d, &vp);
	if (r < 0)
		return r;
	if (d->nested->mode == CONFIG_MODE_MACVLAN) {
		char (*ips)[PORTINFO_ADDR_LEN] = NULL;
		size_t np;
		struct vmport_pair *pairs = pairs_of(pis, n, &np, &ips);

		r = add ? vmport_pairs_add(vp, d->neutron, pairs, np, err)
			: vmport_pairs_remove(vp, d->neutron, pairs, np, err);
		daemon_neutron_done(d, add ? "vm_pairs_add" : "vm_pairs_remove", r, err, start);
		free(pairs);
		free(ips);
		return r;
	}
	{
		const char **ids = xcalloc(n + 1, sizeof(*ids));
		uint16_t *vlans = xcalloc(n + 1, sizeof(*vlans));

		for (size_t i = 0; i < n; i++)
			ids[i] = pis[i].port_id;
		r = add ? vmport_subports_add(vp, d->neutron, ids, n, vlans, err)
			: vmport_subports_remove(vp, d->neutron, ids, n, err);
		daemon_neutron_done(d, add ? "trunk_add_subports" : "trunk_remove_subports", r, err,
				    start);
		for (size_t i = 0; add && r >= 0 && i < n; i++)
			pis[i].vlan_id = vlans[i];
		free(ids);
		free(vlans);
		return r;
	}
}

static int mark_ready(struct daemon *d, const struct portinfo *pi)
{
	char *info = NULL;
	int r;

	/* The VLAN id must be in the record before anyone can claim it. */
	r = pi->vlan_id ? portinfo_to_json(pi, &info) : 0;
	if (r >= 0 && info)
		r = store_set_info(d->store, pi->port_id, info);
	free(info);
	if (r >= 0)
		r = store_set_state(d->store, pi->port_id, STORE_PORT_WIRING, STORE_PORT_READY);
	if (r < 0 && r != -ESTALE)
		log_warn("port %s: marking ready: %s", pi->port_id, strerror(-r));
	return r == -ESTALE ? 0 : r;
}

/* Neutron refused the pairs (a 400): most likely the VM's port is at
 * Neutron's max_allowed_address_pair (10 by default).  The longest run of
 * ports it still takes is found by halving: a handful of calls rather than
 * one per port, each a GET and a PUT of the VM's port, which the agent then
 * acts on.  From the first port refused alone on, the ports go back to
 * Neutron, and the refills stop for NESTED_FULL_RETRY_MS or until pairs are
 * removed.  Returns how many were given back. */
static size_t carry_each(struct daemon *d, struct portinfo *pis, size_t n, size_t *ret_pending,
			 struct neutron_error *err)
{
	struct nested *dn = d->nested;
	size_t dropped = 0, pending = 0, i = 0, step = (n + 1) / 2;

	while (i < n) {
		size_t k = step < n - i ? step : n - i;
		int r = carry(d, &pis[i], k, true, err);

		if (r >= 0) {
			for (size_t j = i; j < i + k; j++)
				pending += mark_ready(d, &pis[j]) < 0;
		} else if (r != -EINVAL) {
			pending += k;   /* not a refusal: tried again later */
		} else if (k > 1) {
			step = k / 2;
			continue;
		} else {
			if (atomic_exchange(&dn->full_until_ms, util_now_ms() + NESTED_FULL_RETRY_MS) == 0)
				log_warn("the VM's port %s takes no more allowed address pairs (%s): new "
					 "ports go back to Neutron and refills wait; raise "
					 "max_allowed_address_pair in neutron.conf for more",
					 dn->vp ? vmport_id(dn->vp) : "?", err->message);
			break;
		}
		i += k;
	}
	for (; i < n; i++)
		if (store_set_state(d->store, pis[i].port_id, STORE_PORT_WIRING,
				    STORE_PORT_DELETING) == 0)
			dropped++;
	if (dropped)
		daemon_kick_sync(d);
	*ret_pending = pending;
	return dropped;
}

void nested_own_mac(const struct daemon *d, struct portinfo *pi)
{
	uint8_t mac[NL_MAC_LEN];

	if (!d->nested || d->nested->mode != CONFIG_MODE_MACVLAN)
		return;
	memcpy(mac, pi->mac, NL_MAC_LEN);
	mac[0] ^= 0x04;   /* still unicast and locally administered */
	portinfo_set_mac(pi, mac);
}

bool nested_full(struct daemon *d)
{
	uint64_t until;

	if (!d->nested)
		return false;
	until = atomic_load(&d->nested->full_until_ms);
	return until && util_now_ms() < until;
}

int nested_ready(struct daemon *d, char **ids, size_t n, struct neutron_error *ret_err)
{
	struct neutron_error err = { 0 };
	struct portinfo *pis;
	size_t k, pending = 0, dropped = 0;
	int r;

	pis = xcalloc(n + 1, sizeof(*pis));
	k = load_infos(d, ids, n, pis);
	if (k == 0) {
		r = 0;
		goto out;
	}
	r = carry(d, pis, k, true, &err);
	if (r == -EINVAL && d->nested->mode == CONFIG_MODE_MACVLAN) {
		dropped = carry_each(d, pis, k, &pending, &err);
		r = dropped == k ? -ENOSPC : (int)pending;
		goto out;
	}
	if (r < 0) {
		log_warn("%s %zu port(s) on the VM's port: %s",
			 d->nested->mode == CONFIG_MODE_VLAN ? "attaching" : "allowing", k,
			 err.message[0] ? err.message : strerror(-r));
		goto out;
	}
	for (size_t i = 0; i < k; i++)
		pending += mark_ready(d, &pis[i]) < 0;
	r = (int)pending;
out:
	if (r < 0 && ret_err)
		*ret_err = err;
	free(pis);
	return r;
}

int nested_unready(struct daemon *d, const struct portinfo *pis, size_t n)
{
	struct neutron_error err = { 0 };
	struct portinfo *copy;
	int r;

	if (n == 0)
		return 0;
	copy = xcalloc(n, sizeof(*copy));
	memcpy(copy, pis, n * sizeof(*copy));
	r = carry(d, copy, n, false, &err);
	if (r > 0)   /* pairs came off the VM's port: room again */
		atomic_store(&d->nested->full_until_ms, 0);
	if (r < 0)
		log_warn("taking %zu port(s) off the VM's port: %s", n,
			 err.message[0] ? err.message : strerror(-r));
	free(copy);
	return r;
}

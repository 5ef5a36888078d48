#include "bind/bind.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "bind/bind_ovs.h"
#include "netns/netns.h"

void bind_names_of(const char *port_id, const char *network_id, struct bind_names *ret)
{
	/* Neutron's agents name devices by the first 11 characters of the id. */
	snprintf(ret->brq, sizeof(ret->brq), "brq%.11s", network_id);
	snprintf(ret->tap, sizeof(ret->tap), "tap%.11s", port_id);
	snprintf(ret->sfp, sizeof(ret->sfp), "sfp%.11s", port_id);
	snprintf(ret->sfb, sizeof(ret->sfb), "sfb%.11s", port_id);
	snprintf(ret->sfc, sizeof(ret->sfc), "sfc%.11s", port_id);
}

void bind_alias_of(const char *deployment, const char *port_id, char *buf, size_t size)
{
	snprintf(buf, size, BIND_ALIAS_PREFIX "%s:%s", deployment, port_id);
}

const char *bind_alias_port(const char *alias, const char *deployment)
{
	size_t pl = strlen(BIND_ALIAS_PREFIX), dl = strlen(deployment);

	/* A port id never holds ':', a deployment's name may: "sf:a:b:c" is
	 * deployment a:b's, never a's. */
	if (strncmp(alias, BIND_ALIAS_PREFIX, pl) != 0 || strncmp(alias + pl, deployment, dl) != 0 ||
	    alias[pl + dl] != ':' || alias[pl + dl + 1] == '\0' || strchr(alias + pl + dl + 1, ':'))
		return NULL;
	return alias + pl + dl + 1;
}

static pthread_key_t host_nl_key;
static pthread_once_t host_nl_once = PTHREAD_ONCE_INIT;

static void host_nl_destroy(void *p)
{
	nl_sock_free(p);
}

static void host_nl_init(void)
{
	if (pthread_key_create(&host_nl_key, host_nl_destroy) != 0)
		abort();   /* only when the process is out of keys: a bug */
}

int bind_host_nl(struct nl_sock **ret)
{
	struct nl_sock *s;
	int r;

	pthread_once(&host_nl_once, host_nl_init);
	s = pthread_getspecific(host_nl_key);
	if (!s) {
		r = nl_sock_new(&s);
		if (r < 0)
			return r;
		pthread_setspecific(host_nl_key, s);
	}
	*ret = s;
	return 0;
}

/* The bridge's ifindex, creating it (up) if needed.  Another party (the
 * agent, for brq) may create it at the same moment: EEXIST means found. */
static int ensure_bridge(struct nl_sock *host, const char *name, uint32_t mtu, int *ret_index,
			 struct nl_extack *ext)
{
	struct nl_link_attrs a = { .name = name, .up = true, .mtu = mtu };
	struct nl_link link;
	int r;

	r = nl_link_get_by_name(host, name, &link);
	if (r == -ENODEV) {
		r = nl_bridge_create(host, &a, ext);
		if (r < 0 && r != -EEXIST)
			return r;
		r = nl_link_get_by_name(host, name, &link);
	}
	if (r < 0)
		return r;
	if (!streq(link.kind, "bridge"))
		return -ENOTTY;   /* a device of that name that is not a bridge */
	if (!(link.flags & IFF_UP)) {
		r = nl_link_set_up(host, link.ifindex, true, ext);
		if (r < 0)
			return r;
	}
	*ret_index = link.ifindex;
	return 0;
}

/* Puts an existing link into `master` (0: leaves its master alone) and up,
 * and gives it `alias`, if it is not so already. */
static int ensure_member(struct nl_sock *host, const struct nl_link *link, int master,
			 const char *alias, struct nl_extack *ext)
{
	struct nl_link_change c = { 0 };

	if ((!master || link->master == master) && (link->flags & IFF_UP) &&
	    streq(link->alias, alias))
		return 0;
	c.master = master;
	c.up = 1;
	c.alias = alias;
	return nl_link_change(host, link->ifindex, &c, ext);
}

int bind_prepare(struct nl_sock *host, const struct portinfo *pi, const struct bind_host_cfg *hc,
		 struct nl_extack *ext)
{
	char alias[NL_ALIAS_SIZE];
	struct bind_names n;
	struct nl_link tap, sfp, bridge;
	bool userspace = false;
	int brq = 0, sfb, r;   /* brq 0: an OVS port, no Linux bridge */

	bind_names_of(pi->port_id, pi->network_id, &n);
	bind_alias_of(hc->deployment, pi->port_id, alias, sizeof(alias));
	if (!pi->ovs_bridge[0]) {
		r = ensure_bridge(host, n.brq, 0, &brq, ext);
		if (r < 0)
			return r;
	}
	r = ensure_bridge(host, n.sfb, pi->mtu, &sfb, ext);
	if (r < 0)
		return r;
	r = nl_link_get_by_index(host, sfb, &bridge);
	if (r >= 0 && !streq(bridge.alias, alias))
		r = nl_link_set_alias(host, sfb, alias, ext);
	if (r < 0)
		return r;

	r = nl_link_get_by_name(host, n.tap, &tap);
	if (r == -ENODEV) {
		/* The kernel can neither enslave nor open a veth's peer at
		 * creation: sfp joins its bridge in a second request. */
		struct nl_link_attrs a = { .name = n.tap, .mtu = pi->mtu, .master = brq, .up = true };
		struct nl_link_attrs b = { .name = n.sfp, .mtu = pi->mtu };

		r = nl_veth_create(host, &a, &b, ext);
		if (r < 0)
			return r;
		r = nl_link_get_by_name(host, n.tap, &tap);
		if (r < 0)
			return r;
	} else if (r < 0) {
		return r;
	}
	/* New, or left by an earlier run: both ends where they belong. */
	r = nl_link_get_by_name(host, n.sfp, &sfp);
	if (r < 0)
		return r;
	r = ensure_member(host, &tap, brq, alias, ext);
	if (r >= 0)
		r = ensure_member(host, &sfp, sfb, alias, ext);
	/* Last: the agent starts wiring a port once OVSDB shows it. */
	if (r >= 0 && pi->ovs_bridge[0])
		r = bind_ovs_plug(&hc->ovs, pi, n.tap, hc->deployment, &userspace, ext);
	/* The userspace datapath reads tap with AF_PACKET and forwards frames
	 * as it finds them: a container's partial checksums and GSO frames
	 * would reach the other end unfinished (no TCP segment gets through).
	 * Finished on sfp, which sends them into tap; a kernel datapath
	 * finishes them itself and keeps the offloads. */
	if (r >= 0 && userspace) {
		r = nl_link_offloads_off(n.sfp);
		if (r < 0)
			snprintf(ext->msg, sizeof(ext->msg), "turning offloads off on '%s' for the "
				 "userspace datapath of '%s'", n.sfp, pi->ovs_bridge);
	}
	return r;
}

int bind_is_prepared(struct nl_sock *host, const struct portinfo *pi, const json_t *ovs_ifaces)
{
	struct bind_names n;
	struct nl_link brq = { .ifindex = 0 }, sfb, tap, sfp;
	const char *id;

	bind_names_of(pi->port_id, pi->network_id, &n);
	if ((!pi->ovs_bridge[0] && nl_link_get_by_name(host, n.brq, &brq) < 0) ||
	    nl_link_get_by_name(host, n.sfb, &sfb) < 0 || nl_link_get_by_name(host, n.tap, &tap) < 0 ||
	    nl_link_get_by_name(host, n.sfp, &sfp) < 0)
		return 0;
	if ((!pi->ovs_bridge[0] && tap.master != brq.ifindex) || sfp.master != sfb.ifindex ||
	    !(tap.flags & IFF_UP) || !(sfp.flags & IFF_UP) || !(sfb.flags & IFF_UP))
		return 0;
	if (!pi->ovs_bridge[0])
		return 1;
	id = json_string_value(json_object_get(ovs_ifaces, n.tap));
	return id && streq(id, pi->port_id);
}

static int delete_by_name(struct nl_sock *host, const char *name)
{
	int ifindex, r;

	r = nl_link_index(host, name, &ifindex);
	if (r == -ENODEV)
		return 0;
	if (r < 0)
		return r;
	r = nl_link_delete(host, ifindex, NULL);
	return r == -ENODEV ? 0 : r;
}

int bind_unprepare(struct nl_sock *host, const struct portinfo *pi, const struct bind_host_cfg *hc)
{
	struct nl_extack ext = { { 0 } };
	struct bind_names n;
	int r = 0;

	bind_names_of(pi->port_id, pi->network_id, &n);
	if (pi->ovs_bridge[0]) {
		r = bind_ovs_unplug(&hc->ovs, n.tap, &ext);
		if (r < 0)
			log_warn("port %s: removing '%s' from OVSDB: %s", pi->port_id, n.tap,
				 ext.msg[0] ? ext.msg : strerror(-r));
	}
	if (r >= 0)
		r = delete_by_name(host, n.sfc);
	if (r >= 0)
		r = delete_by_name(host, n.tap);   /* takes sfp with it */
	if (r >= 0)
		r = delete_by_name(host, n.sfp);
	if (r >= 0)
		r = delete_by_name(host, n.sfb);
	return r;
}

int bind_links_load(struct nl_sock *host, struct bind_links *ret)
{
	struct bind_links l = { 0 };
	int r;

	r = nl_link_list(host, &l.links, &l.n);
	if (r < 0)
		return r;
	*ret = l;
	return 0;
}

void bind_links_done(struct bind_links *l)
{
	free(l->links);
	l->links = NULL;
	l->n = 0;
}

static const struct nl_link *find_link(const struct bind_links *l, const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (streq(l->links[i].name, name))
			return &l->links[i];
	return NULL;
}

static int delete_index(struct nl_sock *host, int ifindex)
{
	int r = nl_link_delete(host, ifindex, NULL);

	return r == -ENODEV ? 0 : r;
}

int bind_recycle(struct nl_sock *host, const struct bind_links *l, const struct portinfo *pi,
		 bool scrub)
{
	const struct nl_link *sfc, *sfb, *sfp, *tap, *brq;
	struct bind_names n;
	bool in_switch;
	int r;

	bind_names_of(pi->port_id, pi->network_id, &n);
	sfc = find_link(l, n.sfc);
	if (sfc) {
		/* Slow (an RCU grace period), which is why it is done here and
		 * not on DEL's path. */
		r = delete_index(host, sfc->ifindex);
		if (r < 0)
			return r;
	}
	sfb = find_link(l, n.sfb);
	sfp = find_link(l, n.sfp);
	tap = find_link(l, n.tap);
	brq = find_link(l, n.brq);
	/* On an OVS host tap's place is checked in OVSDB only when the port
	 * is wired again (bind_is_prepared), not at every release. */
	in_switch = pi->ovs_bridge[0] ? tap != NULL : tap && brq && tap->master == brq->ifindex;
	if (!sfb || !sfp || !in_switch || sfp->master != sfb->ifindex || !(sfb->flags & IFF_UP))
		return 0;
	for (size_t i = 0; scrub && i < l->n; i++) {
		const struct nl_link *k = &l->links[i];

		if (k->master != sfb->ifindex || k == sfp || k == sfc)
			continue;
		log_debug("port %s: removing '%s' left in '%s'", pi->port_id, k->name, n.sfb);
		r = delete_index(host, k->ifindex);
		if (r < 0)
			return r;
	}
	return 1;
}

int bind_configure_inside(struct nl_sock *ns, const struct portinfo *pi, const char *ifname,
			  unsigned *ret_defaults, struct nl_extack *ext)
{
	unsigned defaults = 0;
	int ifindex, r;

	r = nl_link_index(ns, ifname, &ifindex);
	if (r < 0)
		return r;
	r = nl_link_set_up(ns, ifindex, true, ext);
	if (r < 0)
		return r;
	for (size_t i = 0; i < pi->n_ips; i++) {
		r = nl_addr_add(ns, ifindex, pi->ips[i].family, &pi->ips[i].ip, pi->ips[i].prefixlen,
				ext);
		if (r < 0)
			return r;
	}
	/* One default route per family, through the first subnet that has a
	 * gateway; then the subnets' host routes. */
	for (int family = AF_INET; family; family = family == AF_INET ? AF_INET6 : 0) {
		for (size_t i = 0; i < pi->n_ips; i++) {
			struct nl_route rt = { .family = family, .oif = ifindex, .has_gw = true };

			if (pi->ips[i].family != family || !pi->ips[i].has_gw)
				continue;
			rt.gw = pi->ips[i].gw;
			r = nl_route_add(ns, &rt, ext);
			/* Another attachment of the container holds the default
			 * route: the first one wins, as with the reference plugins. */
			if (r < 0 && r != -EEXIST)
				return r;
			if (r == 0)
				defaults |= family == AF_INET ? BIND_DEFAULT_V4 : BIND_DEFAULT_V6;
			break;
		}
	}
	for (size_t i = 0; i < pi->n_routes; i++) {
		const struct portinfo_route *h = &pi->routes[i];
		struct nl_route rt = { .family = h->family, .dst = h->dst, .dst_len = h->dst_len,
				       .gw = h->gw, .has_gw = true, .oif = ifindex };

		if (h->dst_len == 0)
			continue;   /* a default host route: the gateway's already there */
		r = nl_route_add(ns, &rt, ext);
		if (r < 0 && r != -EEXIST)
			return r;
	}
	*ret_defaults = defaults;
	return 0;
}

int bind_attach(struct nl_sock *host, int netns_fd, const struct portinfo *pi,
		const char *ifname, unsigned *ret_defaults, struct nl_extack *ext)
{
	struct bind_names n;
	struct nl_sock *ns = NULL;
	int sfb, r;

	bind_names_of(pi->port_id, pi->network_id, &n);
	r = nl_link_index(host, n.sfb, &sfb);
	if (r < 0)
		return r;
	struct nl_link_attrs local = { .name = n.sfc, .mtu = pi->mtu, .master = sfb, .up = true };
	/* The container's end is set up from inside (the kernel cannot open a
	 * veth peer at creation). */
	struct nl_link_attrs peer = { .name = ifname, .mac = pi->mac, .mtu = pi->mtu,
				      .netns_fd = netns_fd };

	r = nl_veth_create(host, &local, &peer, ext);
	if (r == -EEXIST) {
		struct nl_link old;

		/* Either our host end survived a crash (remove it and retry) or
		 * the container already has an interface of that name. */
		if (nl_link_get_by_name(host, n.sfc, &old) < 0)
			return -EEXIST;
		r = nl_link_delete(host, old.ifindex, ext);
		if (r < 0)
			return r;
		r = nl_veth_create(host, &local, &peer, ext);
	}
	if (r < 0)
		return r;

	r = netns_nl_open(netns_fd, &ns);
	if (r >= 0)
		r = bind_configure_inside(ns, pi, ifname, ret_defaults, ext);
	nl_sock_free(ns);
	if (r < 0) {
		int k = delete_by_name(host, n.sfc);

		if (k < 0)
			log_debug("port %s: removing '%s' after a failed attach: %s", pi->port_id,
				  n.sfc, strerror(-k));
	}
	return r;
}

int bind_check_inside(int netns_fd, const struct portinfo *pi, const char *ifname,
		      struct nl_extack *ext)
{
	struct nl_sock *ns = NULL;
	struct nl_link link;
	struct nl_addr *addrs = NULL;
	size_t n_addrs = 0;
	int r;

	r = netns_nl_open(netns_fd, &ns);
	if (r < 0)
		return r;
	r = nl_link_get_by_name(ns, ifname, &link);
	if (r < 0) {
		snprintf(ext->msg, sizeof(ext->msg), "no interface '%s' in the container", ifname);
		goto out;
	}
	if (!link.has_mac || memcmp(link.mac, pi->mac, NL_MAC_LEN) != 0 || !(link.flags & IFF_UP)) {
		snprintf(ext->msg, sizeof(ext->msg), "'%s' is down or lost the port's MAC %s", ifname,
			 pi->mac_str);
		r = -EBADE;
		goto out;
	}
	r = nl_addr_list(ns, link.ifindex, AF_UNSPEC, &addrs, &n_addrs);
	if (r < 0)
		goto out;
	for (size_t i = 0; i < pi->n_ips; i++) {
		bool found = false;

		for (size_t j = 0; j < n_addrs && !found; j++)
			found = addrs[j].family == pi->ips[i].family &&
				addrs[j].prefixlen == pi->ips[i].prefixlen &&
				memcmp(&addrs[j].ip, &pi->ips[i].ip,
				       pi->ips[i].family == AF_INET ? 4 : 16) == 0;
		if (!found) {
			snprintf(ext->msg, sizeof(ext->msg), "'%s' lost the address %s", ifname,
				 pi->ips[i].cidr);
			r = -EBADE;
			goto out;
		}
	}
	r = 0;
out:
	free(addrs);
	nl_sock_free(ns);
	return r;
}

int bind_check(struct nl_sock *host, int netns_fd, const struct portinfo *pi,
	       const char *ifname, struct nl_extack *ext)
{
	struct bind_names n;
	struct nl_link sfc, sfb;

	bind_names_of(pi->port_id, pi->network_id, &n);
	if (nl_link_get_by_name(host, n.sfc, &sfc) < 0 || nl_link_get_by_name(host, n.sfb, &sfb) < 0 ||
	    sfc.master != sfb.ifindex) {
		snprintf(ext->msg, sizeof(ext->msg), "host end '%s' is not in '%s'", n.sfc, n.sfb);
		return -EBADE;
	}
	return bind_check_inside(netns_fd, pi, ifname, ext);
}

#include "bind/bind_nested.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "bind/bind.h"
#include "netns/netns.h"

#define NETNS_RUN_DIR "/run/netns"

/* Made under a name of the port's own, straight in the container's
 * namespace, then renamed there: before Linux 6.15 the kernel looks a new
 * link's name up in the requesting socket's namespace, so the runtime's
 * "eth0" would clash with the VM's own eth0 (tests/guest/vlan_dataplane.c
 * shows it on Debian 12's kernel). */
static int create_device(struct nl_sock *host, struct nl_sock *ns, int link, int netns_fd,
			 const struct portinfo *pi, const char *ifname, struct nl_extack *ext)
{
	char tmp[IFNAMSIZ];
	struct nl_link_attrs a = { .name = tmp, .mac = pi->mac, .mtu = pi->mtu,
				   .netns_fd = netns_fd };
	int ifindex, r;

	snprintf(tmp, sizeof(tmp), "sfn%.11s", pi->port_id);
	if (pi->vlan_id)
		r = nl_vlan_create(host, link, pi->vlan_id, &a, ext);
	else
		r = nl_macvlan_create(host, link, &a, ext);
	if (r < 0)
		return r;
	r = nl_link_index(ns, tmp, &ifindex);
	if (r >= 0)
		r = nl_link_set_name(ns, ifindex, ifname, ext);
	if (r < 0 && nl_link_index(ns, tmp, &ifindex) == 0 && nl_link_delete(ns, ifindex, NULL) < 0)
		log_debug("port %s: removing '%s' after a failed rename", pi->port_id, tmp);
	return r;
}

/* Removes, in the namespace at `path`, every macvlan or VLAN device with
 * the port's MAC (a Neutron port's MAC is its own).  Returns how many. */
static int remove_in(const char *path, const struct portinfo *pi)
{
	struct nl_sock *ns = NULL;
	struct nl_link *links = NULL;
	size_t n = 0;
	int fd = -1, removed = 0, r;

	r = netns_open(path, &fd);
	if (r >= 0)
		r = netns_nl_open(fd, &ns);
	if (r >= 0)
		r = nl_link_list(ns, &links, &n);
	for (size_t i = 0; r >= 0 && i < n; i++) {
		const struct nl_link *l = &links[i];

		if (!l->has_mac || memcmp(l->mac, pi->mac, NL_MAC_LEN) != 0 ||
		    (!streq(l->kind, "macvlan") && !streq(l->kind, "vlan")))
			continue;
		log_info("port %s: removing '%s' left in '%s'", pi->port_id, l->name, path);
		if (nl_link_delete(ns, l->ifindex, NULL) == 0)
			removed++;
	}
	free(links);
	nl_sock_free(ns);
	if (fd >= 0)
		close(fd);
	return removed;
}

/* The port's leftover devices: in `hint` first, then in every namespace
 * under /run/netns (where podman, CRI-O and `ip netns` keep theirs). */
static int remove_stale(const struct portinfo *pi, const char *hint, int container_fd)
{
	char path[PATH_MAX];
	struct dirent *e;
	DIR *dir;
	int removed = 0;

	if (hint && hint[0])
		removed = remove_in(hint, pi);
	if (removed > 0)
		return removed;
	dir = opendir(NETNS_RUN_DIR);
	if (!dir)
		return 0;
	while ((e = readdir(dir)) && removed == 0) {
		int fd;

		if (e->d_name[0] == '.' ||
		    snprintf(path, sizeof(path), NETNS_RUN_DIR "/%s", e->d_name) >= (int)sizeof(path))
			continue;
		/* Never the namespace the device is being made for. */
		if (netns_open(path, &fd) < 0)
			continue;
		if (netns_same(fd, container_fd) != 1)
			removed = remove_in(path, pi);
		close(fd);
	}
	closedir(dir);
	return removed;
}

int bind_nested_attach(struct nl_sock *host, int link, int netns_fd, const struct portinfo *pi,
		       const char *ifname, const char *stale_netns, unsigned *ret_defaults,
		       struct nl_extack *ext)
{
	struct nl_sock *ns = NULL;
	struct nl_link old;
	bool created = false;
	int r;

	r = netns_nl_open(netns_fd, &ns);
	if (r < 0)
		return r;
	if (nl_link_get_by_name(ns, ifname, &old) == 0) {
		r = -EEXIST;   /* the name is taken in the container */
		goto out;
	}
	r = create_device(host, ns, link, netns_fd, pi, ifname, ext);
	if (r == -EEXIST && remove_stale(pi, stale_netns, netns_fd) > 0) {
		/* (VLAN) the kernel holds a device with this id on the NIC in
		 * another namespace: this port's, left behind. */
		ext->msg[0] = '\0';
		r = create_device(host, ns, link, netns_fd, pi, ifname, ext);
	}
	if (r < 0)
		goto out;
	created = true;
	r = bind_configure_inside(ns, pi, ifname, ret_defaults, ext);
	if (r == -EADDRINUSE && remove_stale(pi, stale_netns, netns_fd) > 0) {
		/* A macvlan is refused only when set up, if another one with
		 * its MAC is up on the same NIC. */
		ext->msg[0] = '\0';
		r = bind_configure_inside(ns, pi, ifname, ret_defaults, ext);
	}
out:
	if (r < 0 && created) {
		int k = nl_link_get_by_name(ns, ifname, &old);

		if (k == 0)
			k = nl_link_delete(ns, old.ifindex, NULL);
		if (k < 0)
			log_debug("port %s: removing '%s' after a failed attach: %s", pi->port_id,
				  ifname, strerror(-k));
	}
	nl_sock_free(ns);
	return r;
}

int bind_nested_release(const char *netns_path, const char *ifname, const struct portinfo *pi)
{
	struct nl_sock *ns = NULL;
	struct nl_link l;
	int fd = -1, r;

	if (!netns_path || !netns_path[0] || !ifname)
		return 0;
	r = netns_open(netns_path, &fd);
	if (r < 0)
		return r == -ENOENT ? 0 : r;
	r = netns_nl_open(fd, &ns);
	if (r < 0)
		goto out;
	r = nl_link_get_by_name(ns, ifname, &l);
	if (r == -ENODEV) {
		r = 0;
		goto out;
	}
	if (r < 0 || !l.has_mac || memcmp(l.mac, pi->mac, NL_MAC_LEN) != 0)
		goto out;
	/* Slow (an RCU grace period): this runs on the recycler, not on DEL. */
	r = nl_link_delete(ns, l.ifindex, NULL);
	if (r == -ENODEV)
		r = 0;
out:
	nl_sock_free(ns);
	if (fd >= 0)
		close(fd);
	return r < 0 ? r : 0;
}

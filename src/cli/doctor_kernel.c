/* sfctl doctor: the kernel features, probed for real by creating each kind
 * of device with the netlink library in throwaway namespaces (they, and all
 * made in them, vanish when their fds are closed). */
#include "cli/doctor_kernel.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "netlink/nl.h"
#include "netns/netns.h"

struct probe {
	int ns, peer_ns;        /* the probe namespace and a second one */
	struct nl_sock *nl;     /* lives in ns */
};

/* "No such device (kernel: 'Unknown device type')". */
static const char *why(int r, const struct nl_extack *ext, char *buf, size_t size)
{
	if (ext && ext->msg[0])
		snprintf(buf, size, "%s (kernel: '%s')", strerror(-r), ext->msg);
	else
		snprintf(buf, size, "%s", strerror(-r));
	return buf;
}

static int probe_netns(struct doctor *d, struct probe *p)
{
	char reason[160];
	int r;

	r = netns_new_anonymous(&p->ns);
	if (r >= 0)
		r = netns_new_anonymous(&p->peer_ns);
	if (r >= 0)
		r = netns_nl_open(p->ns, &p->nl);
	if (r < 0) {
		doctor_report_add(d, "kernel-netns", DOCTOR_FAIL,
			   "the kernel needs CONFIG_NET_NS; in a container, superfluid needs "
			   "CAP_SYS_ADMIN",
			   "cannot create a network namespace: %s", why(r, NULL, reason, sizeof(reason)));
		return r;
	}
	doctor_report_add(d, "kernel-netns", DOCTOR_OK, NULL,
		   "network namespaces can be created and worked in");
	return 0;
}

/* Returns the ifindex of the veth's local end, or 0. */
static int probe_veth(struct doctor *d, struct probe *p)
{
	struct nl_link_attrs local = { .name = "sfprobe0", .mtu = 1400, .up = true };
	struct nl_link_attrs peer = { .name = "sfprobe1", .mtu = 1400, .netns_fd = p->peer_ns };
	struct nl_extack ext;
	char reason[400];
	int ifindex = 0, r;

	r = nl_veth_create(p->nl, &local, &peer, &ext);
	if (r >= 0)
		r = nl_link_index(p->nl, "sfprobe0", &ifindex);
	if (r < 0) {
		doctor_report_add(d, "kernel-veth", DOCTOR_FAIL,
			   "load the veth module (modprobe veth) or build CONFIG_VETH",
			   "cannot create a veth pair into another namespace: %s",
			   why(r, &ext, reason, sizeof(reason)));
		return 0;
	}
	doctor_report_add(d, "kernel-veth", DOCTOR_OK, NULL,
		   "veth pairs can be created with the peer directly in another namespace");
	return ifindex;
}

/* A bridge, and a fresh veth joined to it at creation as the daemon does
 * (the first veth carries the macvlan: a bridge port cannot). */
static void probe_bridge(struct doctor *d, struct probe *p, bool join)
{
	struct nl_link_attrs br = { .name = "sfprobe-br", .up = true };
	struct nl_link_attrs local = { .name = "sfprobe2", .up = true };
	struct nl_link_attrs peer = { .name = "sfprobe3", .netns_fd = p->peer_ns };
	struct nl_extack ext;
	char reason[400];
	int r;

	r = nl_bridge_create(p->nl, &br, &ext);
	if (r >= 0 && join)
		r = nl_link_index(p->nl, "sfprobe-br", &local.master);
	if (r >= 0 && join)
		r = nl_veth_create(p->nl, &local, &peer, &ext);
	if (r < 0) {
		doctor_report_add(d, "kernel-bridge", DOCTOR_FAIL,
			   "load the bridge module (modprobe bridge) or build CONFIG_BRIDGE",
			   "cannot create a Linux bridge%s: %s", join ? " and join a veth to it" : "",
			   why(r, &ext, reason, sizeof(reason)));
		return;
	}
	doctor_report_add(d, "kernel-bridge", DOCTOR_OK, NULL, "Linux bridges can be created%s",
		   join ? " and veths joined to them at creation" : "");
}

static void probe_macvlan(struct doctor *d, struct probe *p, int parent)
{
	struct nl_link_attrs mv = { .name = "sfprobe-mv", .netns_fd = p->peer_ns };
	struct nl_extack ext;
	char reason[400];
	int r;

	if (!parent) {
		doctor_report_add(d, "kernel-macvlan", DOCTOR_SKIP, NULL,
			   "no veth to put a macvlan on");
		return;
	}
	r = nl_macvlan_create(p->nl, parent, &mv, &ext);
	if (r < 0)
		doctor_report_add(d, "kernel-macvlan", DOCTOR_FAIL,
			   "load the macvlan module (modprobe macvlan) or build CONFIG_MACVLAN",
			   "cannot create a macvlan into another namespace: %s",
			   why(r, &ext, reason, sizeof(reason)));
	else
		doctor_report_add(d, "kernel-macvlan", DOCTOR_OK, NULL,
			   "macvlan devices (bridge mode) can be created into another namespace");
}

/* Only nested VLAN mode needs 802.1Q: a missing one is a warning. */
static void probe_vlan(struct doctor *d, struct probe *p, int parent)
{
	struct nl_link_attrs v = { .name = "sfprobe-vl", .netns_fd = p->peer_ns };
	struct nl_extack ext;
	char reason[400];
	enum doctor_status bad;
	int r;

	if (!parent) {
		doctor_report_add(d, "kernel-vlan", DOCTOR_SKIP, NULL,
			   "no veth to put a VLAN device on");
		return;
	}
	r = nl_vlan_create(p->nl, parent, 100, &v, &ext);
	/* Only a daemon in VLAN mode needs it: a failure elsewhere warns. */
	bad = d->cfg && d->cfg->host.mode == CONFIG_MODE_VLAN ? DOCTOR_FAIL : DOCTOR_WARN;
	if (r == -EOPNOTSUPP)
		doctor_report_add(d, "kernel-vlan", bad,
			   "load the 8021q module or build CONFIG_VLAN_8021Q; or use macvlan mode "
			   "for nested containers",
			   "the kernel has no 802.1Q support (needed only for nested VLAN mode): %s",
			   why(r, &ext, reason, sizeof(reason)));
	else if (r < 0)
		doctor_report_add(d, "kernel-vlan", bad, NULL,
			   "cannot create an 802.1Q VLAN device (needed only for nested VLAN "
			   "mode): %s", why(r, &ext, reason, sizeof(reason)));
	else
		doctor_report_add(d, "kernel-vlan", DOCTOR_OK, NULL, "802.1Q VLAN devices can be created");
}

void doctor_check_kernel(struct doctor *d)
{
	static const char *const names[] = {
		"kernel-netns", "kernel-veth", "kernel-macvlan", "kernel-vlan", "kernel-bridge",
	};
	struct probe p = { .ns = -1, .peer_ns = -1 };
	int veth;

	if (!d->root) {
		for (size_t i = 0; i < ARRAY_SIZE(names); i++)
			doctor_report_add(d, names[i], DOCTOR_SKIP, NULL,
				   "probing the kernel needs root");
		return;
	}
	if (probe_netns(d, &p) < 0) {
		for (size_t i = 1; i < ARRAY_SIZE(names); i++)
			doctor_report_add(d, names[i], DOCTOR_SKIP, NULL,
				   "no namespace to probe in");
		goto out;
	}
	/* The macvlan first: a bridge port cannot also carry macvlans. */
	veth = probe_veth(d, &p);
	probe_macvlan(d, &p, veth);
	probe_vlan(d, &p, veth);
	probe_bridge(d, &p, veth != 0);
out:
	nl_sock_free(p.nl);
	if (p.ns >= 0)
		close(p.ns);
	if (p.peer_ns >= 0)
		close(p.peer_ns);
}

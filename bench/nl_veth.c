/* What the daemon's hot path costs in the kernel: for each of N fresh
 * "container" namespaces, a veth created with its peer straight inside,
 * the host end joined to a bridge and set up in the same request, then
 * inside the container the link looked up, addresses (IPv4 and IPv6, no
 * DAD) added, the link set up and default routes added.  Everything lives
 * in namespaces made here; the root namespace is not touched.
 *
 *   build/bench/nl_veth [N]        (root; N defaults to 200)
 *
 * Compare with reference/environment.md ("Cost of kernel operations"),
 * which measured the same steps with `ip -batch`. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"
#include "netlink/nl.h"
#include "netns/netns.h"

enum step {
	S_NETNS, S_VETH, S_VETH_PLAIN, S_ENSLAVE_UP, S_NLSOCK, S_LOOKUP, S_ADDRS, S_UP, S_ROUTES,
	S_HOT, N_STEPS
};

static const char *const step_names[N_STEPS] = {
	[S_NETNS] = "netns create (not hot path)",
	[S_VETH] = "veth into netns + master + up (1 req)",
	[S_VETH_PLAIN] = "veth into netns, bare (comparison)",
	[S_ENSLAVE_UP] = "enslave + up, separate (comparison)",
	[S_NLSOCK] = "netlink socket in netns (thread)",
	[S_LOOKUP] = "ifindex lookup in netns",
	[S_ADDRS] = "IPv4 + IPv6 address (NODAD)",
	[S_UP] = "container link up",
	[S_ROUTES] = "IPv4 + IPv6 default route",
	[S_HOT] = "hot path total (veth..routes)",
};

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void report(const char *name, uint64_t *us, int n)
{
	uint64_t sum = 0;

	qsort(us, (size_t)n, sizeof(*us), cmp_u64);
	for (int i = 0; i < n; i++)
		sum += us[i];
	printf("%-40s %8.0f %8llu %8llu %8llu\n", name, (double)sum / n,
	       (unsigned long long)us[n / 2], (unsigned long long)us[(n * 95) / 100],
	       (unsigned long long)us[0]);
}

static int check(int r, const struct nl_extack *ext, const char *what)
{
	if (r < 0)
		fprintf(stderr, "nl_veth: %s: %s%s%s\n", what, strerror(-r),
			ext && ext->msg[0] ? ": " : "", ext ? ext->msg : "");
	return r;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 200;
	uint64_t *t[N_STEPS] = { 0 };
	struct nl_link_attrs br = { .name = "br0", .up = true };
	struct nl_sock *host_nl = NULL;
	struct nl_extack ext;
	int host = -1, br0 = 0, *ctr = NULL, rc = 1;
	union nl_ip v4, v6, gw4, gw6;

	if (n < 1 || n > 5000) {
		fprintf(stderr, "usage: nl_veth [N (1..5000)]\n");
		return 2;
	}
	if (geteuid() != 0) {
		fprintf(stderr, "nl_veth: needs root\n");
		return 77;
	}
	inet_pton(AF_INET, "198.18.0.2", &v4);
	inet_pton(AF_INET6, "fd5f::2", &v6);
	inet_pton(AF_INET, "198.18.0.1", &gw4);
	inet_pton(AF_INET6, "fd5f::1", &gw6);
	for (int s = 0; s < N_STEPS; s++)
		t[s] = xcalloc((size_t)n, sizeof(uint64_t));
	ctr = xcalloc((size_t)n, sizeof(int));
	for (int i = 0; i < n; i++)
		ctr[i] = -1;

	if (check(netns_new_anonymous(&host), NULL, "host netns") < 0 ||
	    check(netns_nl_open(host, &host_nl), NULL, "host socket") < 0 ||
	    check(nl_bridge_create(host_nl, &br, &ext), &ext, "bridge") < 0 ||
	    check(nl_link_index(host_nl, "br0", &br0), NULL, "bridge index") < 0)
		goto out;

	for (int i = 0; i < n; i++) {
		struct nl_route def4 = { .family = AF_INET, .gw = gw4, .has_gw = true };
		struct nl_route def6 = { .family = AF_INET6, .gw = gw6, .has_gw = true };
		char hname[IFNAMSIZ], pname[IFNAMSIZ];
		struct nl_link_attrs local = { .name = hname, .mtu = 1450, .master = br0, .up = true };
		struct nl_link_attrs peer = { .name = "eth0", .mtu = 1450 };
		struct nl_sock *c = NULL;
		uint64_t t0, t1, hot0;
		int eth0 = 0, r;

		t0 = util_now_us();
		r = netns_new_anonymous(&ctr[i]);
		t1 = util_now_us();
		t[S_NETNS][i] = t1 - t0;
		if (check(r, NULL, "container netns") < 0)
			goto out;
		peer.netns_fd = ctr[i];
		snprintf(hname, sizeof(hname), "h%d", i);

		/* The hot path. */
		hot0 = t0 = util_now_us();
		r = nl_veth_create(host_nl, &local, &peer, &ext);
		t1 = util_now_us();
		t[S_VETH][i] = t1 - t0;
		if (check(r, &ext, "veth") < 0)
			goto out;
		t0 = t1;
		r = netns_nl_open(ctr[i], &c);
		t1 = util_now_us();
		t[S_NLSOCK][i] = t1 - t0;
		if (check(r, NULL, "container socket") < 0)
			goto out;
		t0 = t1;
		r = nl_link_index(c, "eth0", &eth0);
		t1 = util_now_us();
		t[S_LOOKUP][i] = t1 - t0;
		if (check(r, NULL, "lookup") < 0)
			goto next;
		t0 = t1;
		r = nl_addr_add(c, eth0, AF_INET, &v4, 24, &ext);
		if (r >= 0)
			r = nl_addr_add(c, eth0, AF_INET6, &v6, 64, &ext);
		t1 = util_now_us();
		t[S_ADDRS][i] = t1 - t0;
		if (check(r, &ext, "addresses") < 0)
			goto next;
		t0 = t1;
		r = nl_link_set_up(c, eth0, true, &ext);
		t1 = util_now_us();
		t[S_UP][i] = t1 - t0;
		if (check(r, &ext, "up") < 0)
			goto next;
		t0 = t1;
		def4.oif = def6.oif = eth0;
		r = nl_route_add(c, &def4, &ext);
		if (r >= 0)
			r = nl_route_add(c, &def6, &ext);
		t1 = util_now_us();
		t[S_ROUTES][i] = t1 - t0;
		t[S_HOT][i] = t1 - hot0;
		if (check(r, &ext, "routes") < 0)
			goto next;

		/* For comparison: a bare veth into the same namespace, then the
		 * enslave and up as a second request. */
		snprintf(hname, sizeof(hname), "x%d", i);
		snprintf(pname, sizeof(pname), "eth1");
		local = (struct nl_link_attrs){ .name = hname, .mtu = 1450 };
		peer = (struct nl_link_attrs){ .name = pname, .mtu = 1450, .netns_fd = ctr[i] };
		t0 = util_now_us();
		r = nl_veth_create(host_nl, &local, &peer, &ext);
		t1 = util_now_us();
		t[S_VETH_PLAIN][i] = t1 - t0;
		if (check(r, &ext, "bare veth") < 0)
			goto next;
		{
			struct nl_link_change ch = { .master = br0, .up = 1 };
			int x = 0;

			r = nl_link_index(host_nl, hname, &x);
			t0 = util_now_us();
			if (r >= 0)
				r = nl_link_change(host_nl, x, &ch, &ext);
			t1 = util_now_us();
			t[S_ENSLAVE_UP][i] = t1 - t0;
			check(r, &ext, "enslave + up");
		}
next:
		nl_sock_free(c);
		if (r < 0)
			goto out;
	}

	printf("%d containers; times in microseconds\n", n);
	printf("%-40s %8s %8s %8s %8s\n", "step", "mean", "median", "p95", "min");
	for (int s = 0; s < N_STEPS; s++)
		report(step_names[s], t[s], n);
	rc = 0;
out:
	/* The namespaces (and their links) go away with their last fd; the
	 * kernel tears them down in the background. */
	for (int i = 0; ctr && i < n; i++)
		if (ctr[i] >= 0)
			close(ctr[i]);
	nl_sock_free(host_nl);
	if (host >= 0)
		close(host);
	for (int s = 0; s < N_STEPS; s++)
		free(t[s]);
	free(ctr);
	return rc;
}

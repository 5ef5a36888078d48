/* The netlink and netns libraries against the real kernel, in namespaces
 * this test makes itself (netns_new_anonymous): nothing outside them is
 * touched, and the only traffic is between them.
 *
 *   ns "host" (a)                      ns "container" (b)
 *   br0 --- h0 (veth) ================ eth0 (the peer, created in b)
 *   p0 (veth) = p1                     mv0 (macvlan on p0, created in b)
 *
 * Needs root; exits 77 (skip) without it. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "nl_assert.h"

#include "netlink/nl.h"
#include "netns/netns.h"

static const uint8_t mac_h0[NL_MAC_LEN] = { 0x02, 0x5f, 0x00, 0x00, 0x00, 0x01 };
static const uint8_t mac_eth0[NL_MAC_LEN] = { 0x02, 0x5f, 0x00, 0x00, 0x00, 0x02 };
static const uint8_t mac_mv0[NL_MAC_LEN] = { 0x02, 0x5f, 0x00, 0x00, 0x00, 0x03 };

struct env {
	int a, b;                /* namespace fds */
	struct nl_sock *sa, *sb; /* a socket living in each */
};

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));

	if (!e || netns_new_anonymous(&e->a) < 0 || netns_new_anonymous(&e->b) < 0 ||
	    netns_nl_open(e->a, &e->sa) < 0 || netns_nl_open(e->b, &e->sb) < 0)
		return -1;
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;

	/* The namespaces, and every link in them, go with the last reference. */
	nl_sock_free(e->sa);
	nl_sock_free(e->sb);
	close(e->a);
	close(e->b);
	free(e);
	return 0;
}

/* h0 in a (in br0 if master), its peer eth0 created straight in b. */
static void make_veth(struct env *e, int master)
{
	struct nl_link_attrs local = { .name = "h0", .mac = mac_h0, .mtu = 1400,
				       .master = master, .up = true };
	struct nl_link_attrs peer = { .name = "eth0", .mac = mac_eth0, .mtu = 1400,
				      .netns_fd = e->b };
	struct nl_extack ext;

	nlt_must(nl_veth_create(e->sa, &local, &peer, &ext), &ext, "veth");
	/* The peer is set up from inside, as the daemon will. */
	nlt_must(nl_link_set_up(e->sb, nlt_index_of(e->sb, "eth0"), true, &ext), &ext, "eth0 up");
}

static void test_veth_peer_in_other_netns(void **state)
{
	struct env *e = *state;
	struct nl_link_attrs br = { .name = "eth0" };
	struct nl_link l, *links = NULL;
	struct nl_extack ext;
	size_t n = 0;
	bool seen_eth0 = false;

	/* A link named like the peer already exists on this side: the peer's
	 * name must only matter where the peer is created. */
	nlt_must(nl_bridge_create(e->sa, &br, &ext), &ext, "bridge eth0 in a");
	make_veth(e, 0);

	nlt_must(nl_link_get_by_name(e->sa, "h0", &l), NULL, "h0");
	assert_string_equal(l.kind, "veth");
	assert_memory_equal(l.mac, mac_h0, NL_MAC_LEN);
	assert_int_equal(l.mtu, 1400);
	assert_true(l.flags & IFF_UP);

	/* What the container sees, dumped from inside it. */
	nlt_must(nl_link_list(e->sb, &links, &n), NULL, "list b");
	for (size_t i = 0; i < n; i++) {
		assert_string_not_equal(links[i].name, "h0");
		if (strcmp(links[i].name, "eth0") != 0)
			continue;
		seen_eth0 = true;
		assert_string_equal(links[i].kind, "veth");
		assert_true(links[i].has_mac);
		assert_memory_equal(links[i].mac, mac_eth0, NL_MAC_LEN);
		assert_int_equal(links[i].mtu, 1400);
		assert_true(links[i].flags & IFF_UP);
	}
	free(links);
	assert_true(seen_eth0);
	assert_int_equal(n, 2);  /* lo and eth0 */
	/* In a, "eth0" is still the bridge. */
	nlt_must(nl_link_get_by_name(e->sa, "eth0", &l), NULL, "eth0 in a");
	assert_string_equal(l.kind, "bridge");
}

static void test_bridge_enslave(void **state)
{
	struct env *e = *state;
	struct nl_link_attrs br = { .name = "br0", .up = true };
	struct nl_extack ext;
	struct nl_link l;
	int br0;

	nlt_must(nl_bridge_create(e->sa, &br, &ext), &ext, "bridge");
	br0 = nlt_index_of(e->sa, "br0");
	make_veth(e, br0);  /* enslaved at creation */
	nlt_must(nl_link_get_by_name(e->sa, "h0", &l), NULL, "h0");
	assert_int_equal(l.master, br0);

	nlt_must(nl_link_set_master(e->sa, l.ifindex, 0, &ext), &ext, "release");
	nlt_must(nl_link_get_by_index(e->sa, l.ifindex, &l), NULL, "h0");
	assert_int_equal(l.master, 0);
	nlt_must(nl_link_set_master(e->sa, l.ifindex, br0, &ext), &ext, "enslave");
	nlt_must(nl_link_get_by_index(e->sa, l.ifindex, &l), NULL, "h0");
	assert_int_equal(l.master, br0);

	/* A veth is no master. */
	assert_int_not_equal(nl_link_set_master(e->sa, br0, l.ifindex, &ext), 0);
}

static void test_link_changes(void **state)
{
	struct env *e = *state;
	const uint8_t mac[NL_MAC_LEN] = { 0x02, 0x5f, 0, 0, 0, 0x09 };
	struct nl_link_change c = { .name = "c0", .up = 1 };
	struct nl_extack ext;
	struct nl_link l;
	int i;

	make_veth(e, 0);
	i = nlt_index_of(e->sb, "eth0");
	nlt_must(nl_link_set_up(e->sb, i, false, &ext), &ext, "down");
	nlt_must(nl_link_set_mac(e->sb, i, mac, &ext), &ext, "mac");
	nlt_must(nl_link_set_mtu(e->sb, i, 1280, &ext), &ext, "mtu");
	nlt_must(nl_link_set_name(e->sb, i, "c1", &ext), &ext, "rename");
	nlt_must(nl_link_get_by_index(e->sb, i, &l), NULL, "get");
	assert_string_equal(l.name, "c1");
	assert_memory_equal(l.mac, mac, NL_MAC_LEN);
	assert_int_equal(l.mtu, 1280);
	assert_false(l.flags & IFF_UP);
	/* Rename and up in one request (the way a temporary name is dropped). */
	nlt_must(nl_link_change(e->sb, i, &c, &ext), &ext, "change");
	nlt_must(nl_link_get_by_index(e->sb, i, &l), NULL, "get");
	assert_string_equal(l.name, "c0");
	assert_true(l.flags & IFF_UP);
	assert_int_equal(nl_link_index(e->sb, "c1", &i), -ENODEV);
}

static void test_addresses(void **state)
{
	struct env *e = *state;
	union nl_ip v4 = nlt_ip_of(AF_INET, "198.18.5.2"), v6 = nlt_ip_of(AF_INET6, "fd5f::2");
	bool got4 = false, got6 = false;
	struct nl_addr *addrs = NULL;
	struct nl_extack ext;
	size_t n = 0;
	int eth0;

	make_veth(e, 0);
	eth0 = nlt_index_of(e->sb, "eth0");
	nlt_must(nl_addr_add(e->sb, eth0, AF_INET, &v4, 24, &ext), &ext, "addr v4");
	nlt_must(nl_addr_add(e->sb, eth0, AF_INET6, &v6, 64, &ext), &ext, "addr v6");
	assert_int_equal(nl_addr_add(e->sb, eth0, AF_INET, &v4, 24, &ext), -EEXIST);

	nlt_must(nl_addr_list(e->sb, eth0, AF_UNSPEC, &addrs, &n), NULL, "list");
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(addrs[i].ifindex, eth0);
		if (addrs[i].family == AF_INET) {
			assert_memory_equal(&addrs[i].ip.v4, &v4.v4, 4);
			assert_int_equal(addrs[i].prefixlen, 24);
			got4 = true;
		} else if (memcmp(&addrs[i].ip.v6, &v6.v6, 16) == 0) {
			assert_int_equal(addrs[i].prefixlen, 64);
			/* Usable at once: no DAD, never tentative. */
			assert_true(addrs[i].flags & IFA_F_NODAD);
			assert_false(addrs[i].flags & IFA_F_TENTATIVE);
			got6 = true;
		}
	}
	free(addrs);
	assert_true(got4);
	assert_true(got6);
}

static bool has_route(const struct nl_route *routes, size_t n, int family, const char *dst,
		      unsigned dst_len, const char *gw, int oif)
{
	union nl_ip d = { .bytes = { 0 } }, g = { .bytes = { 0 } };
	size_t len = family == AF_INET ? 4 : 16;

	if (dst)
		d = nlt_ip_of(family, dst);
	if (gw)
		g = nlt_ip_of(family, gw);
	for (size_t i = 0; i < n; i++) {
		const struct nl_route *r = &routes[i];

		if (r->family == family && r->dst_len == dst_len && r->oif == oif &&
		    memcmp(&r->dst, &d, len) == 0 && r->has_gw == !!gw &&
		    (!gw || memcmp(&r->gw, &g, len) == 0))
			return true;
	}
	return false;
}

static void test_routes(void **state)
{
	struct env *e = *state;
	union nl_ip v4 = nlt_ip_of(AF_INET, "198.18.5.2"), v6 = nlt_ip_of(AF_INET6, "fd5f::2");
	struct nl_route def4 = { .family = AF_INET, .has_gw = true }, def6, link, far;
	struct nl_route *routes = NULL;
	struct nl_extack ext;
	size_t n = 0;
	int eth0;

	make_veth(e, 0);
	eth0 = nlt_index_of(e->sb, "eth0");
	nlt_must(nl_addr_add(e->sb, eth0, AF_INET, &v4, 24, &ext), &ext, "addr v4");
	nlt_must(nl_addr_add(e->sb, eth0, AF_INET6, &v6, 64, &ext), &ext, "addr v6");

	def4.oif = eth0;
	def4.gw = nlt_ip_of(AF_INET, "198.18.5.1");
	nlt_must(nl_route_add(e->sb, &def4, &ext), &ext, "default v4");
	def6 = (struct nl_route){ .family = AF_INET6, .has_gw = true, .oif = eth0,
				  .gw = nlt_ip_of(AF_INET6, "fd5f::1") };
	nlt_must(nl_route_add(e->sb, &def6, &ext), &ext, "default v6");
	link = (struct nl_route){ .family = AF_INET, .dst_len = 24, .oif = eth0,
				  .dst = nlt_ip_of(AF_INET, "198.18.9.0") };
	nlt_must(nl_route_add(e->sb, &link, &ext), &ext, "on-link route");
	/* A gateway outside every subnet of the link: only with onlink. */
	far = (struct nl_route){ .family = AF_INET, .dst_len = 24, .oif = eth0, .has_gw = true,
				 .dst = nlt_ip_of(AF_INET, "198.19.7.0"),
				 .gw = nlt_ip_of(AF_INET, "198.18.200.1") };
	assert_int_equal(nl_route_add(e->sb, &far, &ext), -ENETUNREACH);
	/* ... and the kernel's extended ack says why. */
	assert_non_null(strstr(ext.msg, "gateway"));
	far.onlink = true;
	nlt_must(nl_route_add(e->sb, &far, &ext), &ext, "onlink gateway route");
	assert_int_equal(nl_route_add(e->sb, &def4, &ext), -EEXIST);

	nlt_must(nl_route_list(e->sb, AF_INET, &routes, &n), NULL, "list v4");
	assert_true(has_route(routes, n, AF_INET, NULL, 0, "198.18.5.1", eth0));
	assert_true(has_route(routes, n, AF_INET, "198.18.9.0", 24, NULL, eth0));
	assert_true(has_route(routes, n, AF_INET, "198.19.7.0", 24, "198.18.200.1", eth0));
	free(routes);
	nlt_must(nl_route_list(e->sb, AF_INET6, &routes, &n), NULL, "list v6");
	assert_true(has_route(routes, n, AF_INET6, NULL, 0, "fd5f::1", eth0));
	free(routes);
}

/* A UDP socket made inside a namespace (via netns_run). */
struct udp_job {
	const char *addr;
	int port;
	int fd;
};

static int udp_open(void *arg)
{
	struct udp_job *j = arg;
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(j->port) };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	inet_pton(AF_INET, j->addr, &sin.sin_addr);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		int r = -errno;

		close(fd);
		return r;
	}
	j->fd = fd;
	return 0;
}

/* The plumbing carries traffic: a datagram from the container reaches the
 * host side through the veth and the bridge. */
static void test_traffic(void **state)
{
	struct env *e = *state;
	struct nl_link_attrs br = { .name = "br0", .up = true };
	union nl_ip host = nlt_ip_of(AF_INET, "198.18.5.1"), ctr = nlt_ip_of(AF_INET, "198.18.5.2");
	struct udp_job rx = { .addr = "198.18.5.1", .port = 5555 };
	struct udp_job tx = { .addr = "198.18.5.2", .port = 5556 };
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(5555) };
	struct pollfd pfd;
	struct nl_extack ext;
	char got[16] = "";
	int br0;

	nlt_must(nl_bridge_create(e->sa, &br, &ext), &ext, "bridge");
	br0 = nlt_index_of(e->sa, "br0");
	make_veth(e, br0);
	nlt_must(nl_addr_add(e->sa, br0, AF_INET, &host, 24, &ext), &ext, "host addr");
	nlt_must(nl_addr_add(e->sb, nlt_index_of(e->sb, "eth0"), AF_INET, &ctr, 24, &ext), &ext, "addr");

	nlt_must(netns_run(e->a, udp_open, &rx), NULL, "udp in a");
	nlt_must(netns_run(e->b, udp_open, &tx), NULL, "udp in b");
	inet_pton(AF_INET, "198.18.5.1", &to.sin_addr);
	/* The first datagram may wait for ARP: send a few. */
	for (int i = 0; i < 50 && !got[0]; i++) {
		assert_int_equal(sendto(tx.fd, "hello", 5, 0, (struct sockaddr *)&to, sizeof(to)), 5);
		pfd = (struct pollfd){ .fd = rx.fd, .events = POLLIN };
		if (poll(&pfd, 1, 100) == 1)
			assert_int_equal(recv(rx.fd, got, sizeof(got) - 1, 0), 5);
	}
	assert_string_equal(got, "hello");
	close(rx.fd);
	close(tx.fd);
}

static void test_macvlan_into_netns(void **state)
{
	struct env *e = *state;
	struct nl_link_attrs p0 = { .name = "p0", .up = true }, p1 = { .name = "p1" };
	struct nl_link_attrs mv = { .name = "mv0", .mac = mac_mv0, .mtu = 1400, .netns_fd = e->b,
				    .up = true };
	struct nl_extack ext;
	struct nl_link l;

	nlt_must(nl_veth_create(e->sa, &p0, &p1, &ext), &ext, "parent veth");
	nlt_must(nl_macvlan_create(e->sa, nlt_index_of(e->sa, "p0"), &mv, &ext), &ext, "macvlan");
	nlt_must(nl_link_get_by_name(e->sb, "mv0", &l), NULL, "mv0 in b");
	assert_string_equal(l.kind, "macvlan");
	assert_memory_equal(l.mac, mac_mv0, NL_MAC_LEN);
	assert_int_equal(l.mtu, 1400);
	assert_true(l.flags & IFF_UP);
	assert_int_equal(nl_link_get_by_name(e->sa, "mv0", &l), -ENODEV);
}

static void test_vlan(void **state)
{
	struct env *e = *state;
	struct nl_link_attrs p0 = { .name = "p0", .up = true }, p1 = { .name = "p1" };
	struct nl_link_attrs v = { .name = "eth0.100", .netns_fd = e->b };
	struct nl_extack ext;
	struct nl_link l;
	int r;

	nlt_must(nl_veth_create(e->sa, &p0, &p1, &ext), &ext, "parent veth");
	r = nl_vlan_create(e->sa, nlt_index_of(e->sa, "p0"), 100, &v, &ext);
	if (r == -EOPNOTSUPP) {
		/* Known on these machines (reference/environment.md). */
		printf("skip: this kernel lacks 802.1Q VLAN devices (kernel: '%s')\n", ext.msg);
		assert_true(ext.msg[0] != '\0');
		skip();
	}
	nlt_must(r, &ext, "vlan");
	nlt_must(nl_link_get_by_name(e->sb, "eth0.100", &l), NULL, "vlan in b");
	assert_string_equal(l.kind, "vlan");
}

static void test_delete(void **state)
{
	struct env *e = *state;
	struct nl_extack ext;
	struct nl_link l;
	int h0;

	make_veth(e, 0);
	h0 = nlt_index_of(e->sa, "h0");
	nlt_must(nl_link_delete(e->sa, h0, &ext), &ext, "delete");
	assert_int_equal(nl_link_get_by_name(e->sa, "h0", &l), -ENODEV);
	/* The peer goes with it. */
	assert_int_equal(nl_link_get_by_name(e->sb, "eth0", &l), -ENODEV);
	assert_int_equal(nl_link_delete(e->sa, h0, &ext), -ENODEV);
}

static void test_errors(void **state)
{
	struct env *e = *state;
	struct nl_link_attrs dup = { .name = "dup0" };
	struct nl_link_attrs longname = { .name = "a-name-too-long-for-linux" };
	struct nl_extack ext;
	struct nl_link l;
	int i;

	assert_int_equal(nl_bridge_create(e->sa, &longname, &ext), -EINVAL);
	assert_non_null(strstr(ext.msg, "longer than 15 characters"));
	assert_int_equal(nl_link_index(e->sa, "a-name-too-long-for-linux", &i), -EINVAL);

	nlt_must(nl_bridge_create(e->sa, &dup, &ext), &ext, "bridge");
	assert_int_equal(nl_bridge_create(e->sa, &dup, &ext), -EEXIST);
	assert_int_equal(nl_link_get_by_name(e->sa, "nosuchlink", &l), -ENODEV);
	assert_int_equal(nl_link_get_by_index(e->sa, 99999, &l), -ENODEV);
	/* Enslaving to a link that does not exist. */
	assert_int_equal(nl_link_set_master(e->sa, nlt_index_of(e->sa, "dup0"), 99999, &ext), -EINVAL);
}

static void test_netns_open(void **state)
{
	struct env *e = *state;
	int fd = -1, self = -1;
	char path[64];

	assert_int_equal(netns_open("/etc/hostname", &fd), -EINVAL);
	assert_int_equal(netns_open("/proc/self/ns/mnt", &fd), -EINVAL);
	assert_int_equal(netns_open("/proc/self/ns/uts", &fd), -EINVAL);
	assert_int_equal(netns_open("/no/such/netns", &fd), -ENOENT);
	assert_int_equal(fd, -1);

	/* The anonymous namespace, reached by path, is the same one. */
	snprintf(path, sizeof(path), "/proc/self/fd/%d", e->b);
	assert_int_equal(netns_open(path, &fd), 0);
	assert_int_equal(netns_same(fd, e->b), 1);
	assert_int_equal(netns_same(fd, e->a), 0);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	close(fd);

	/* Opening sockets elsewhere never moved this thread. */
	assert_int_equal(netns_open("/proc/thread-self/ns/net", &self), 0);
	assert_int_equal(netns_same(self, e->a), 0);
	assert_int_equal(netns_same(self, e->b), 0);
	close(self);
}

static void test_sysctl(void **state)
{
	struct env *e = *state;
	char before[32], after[32], inside[32];
	int self;

	assert_int_equal(netns_open("/proc/self/ns/net", &self), 0);
	assert_int_equal(netns_sysctl_read(self, "ipv4/conf/all/forwarding", before,
					   sizeof(before)), 0);
	assert_int_equal(netns_sysctl_write(e->b, "ipv4/conf/all/forwarding",
					    strcmp(before, "1") ? "1" : "0"), 0);
	assert_int_equal(netns_sysctl_read(e->b, "ipv4/conf/all/forwarding", inside,
					   sizeof(inside)), 0);
	assert_string_equal(inside, strcmp(before, "1") ? "1" : "0");
	assert_int_equal(netns_sysctl_read(self, "ipv4/conf/all/forwarding", after,
					   sizeof(after)), 0);
	assert_string_equal(before, after);
	assert_int_equal(netns_sysctl_write(e->b, "../../etc/x", "1"), -EINVAL);
	assert_int_equal(netns_sysctl_write(e->b, "ipv4/no_such_key", "1"), -ENOENT);
	close(self);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_veth_peer_in_other_netns),
		T(test_bridge_enslave),
		T(test_link_changes),
		T(test_addresses),
		T(test_routes),
		T(test_traffic),
		T(test_macvlan_into_netns),
		T(test_vlan),
		T(test_delete),
		T(test_errors),
		T(test_netns_open),
		T(test_sysctl),
	};

	if (geteuid() != 0) {
		printf("skip: it_netlink needs root (network namespaces)\n");
		return 77;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}

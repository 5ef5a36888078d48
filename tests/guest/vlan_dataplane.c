/* VLAN mode's data plane against a kernel that has 802.1Q, with the
 * project's own netlink code.  Runs where 8021q is loaded: in the qemu guest
 * of tests/guest/run (tests/integration/vlan_guest.sh); elsewhere it exits
 * 77 and says why.  Every namespace is made here (netns_new_anonymous).
 *
 *   guest root ns            ns "vm"                  ns c1 / c2 / c3
 *   hv (veth) ============== eth0                     eth0: 802.1Q 101 / 102
 *    |  10.1.0.1/24 (plain)   (the VM's NIC)                on vm's eth0, or
 *   ns "far": far (802.1Q 101 on hv) 10.1.101.1/24          a macvlan on it
 *
 * An AF_PACKET socket on hv (the hypervisor's side of the VM's NIC) sees
 * which tag each container's frames carry. */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_addr.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <netinet/ip.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "nl_assert.h"

#include "netlink/nl.h"
#include "netns/netns.h"
#include "bind/bind.h"
#include "bind/bind_nested.h"

static const uint8_t mac_hv[NL_MAC_LEN] = { 0x02, 0x5f, 0x10, 0x00, 0x00, 0x01 };
static const uint8_t mac_vm[NL_MAC_LEN] = { 0x02, 0x5f, 0x10, 0x00, 0x00, 0x02 };
static const uint8_t mac_c1[NL_MAC_LEN] = { 0x02, 0x5f, 0x10, 0x00, 0x01, 0x01 };
static const uint8_t mac_c2[NL_MAC_LEN] = { 0x02, 0x5f, 0x10, 0x00, 0x01, 0x02 };
static const uint8_t mac_c3[NL_MAC_LEN] = { 0x02, 0x5f, 0x10, 0x00, 0x01, 0x03 };
static const uint8_t mac_c4[NL_MAC_LEN] = { 0x02, 0x5f, 0x10, 0x00, 0x01, 0x04 };

struct env {
	struct nl_sock *sroot;      /* the guest's root ns, where hv lives */
	int vm, far;                /* namespace fds */
	struct nl_sock *svm, *sfar;
	int hv, vm_eth0;            /* ifindexes (hv in root, eth0 in vm) */
};

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));
	struct nl_link_attrs hv = { .name = "hv", .mac = mac_hv, .up = true };
	struct nl_link_attrs eth0 = { .name = "eth0", .mac = mac_vm };
	struct nl_link_attrs far = { .name = "far" };
	struct nl_extack ext;

	if (!e || nl_sock_new(&e->sroot) < 0 || netns_new_anonymous(&e->vm) < 0 ||
	    netns_new_anonymous(&e->far) < 0 || netns_nl_open(e->vm, &e->svm) < 0 ||
	    netns_nl_open(e->far, &e->sfar) < 0)
		return -1;
	*state = e;
	far.netns_fd = e->far;
	eth0.netns_fd = e->vm;
	nlt_must(nl_veth_create(e->sroot, &hv, &eth0, &ext), &ext, "hv/eth0");
	e->hv = nlt_index_of(e->sroot, "hv");
	e->vm_eth0 = nlt_index_of(e->svm, "eth0");
	nlt_up(e->svm, "eth0");
	nlt_up(e->svm, "lo");
	nlt_add_ip4(e->sroot, e->hv, "10.1.0.1", 24);
	/* The far end of VLAN 101, as the hypervisor's bridge would see it. */
	nlt_must(nl_vlan_create(e->sroot, e->hv, 101, &far, &ext), &ext, "far: vlan 101 on hv");
	nlt_add_ip4(e->sfar, nlt_index_of(e->sfar, "far"), "10.1.101.1", 24);
	nlt_up(e->sfar, "far");
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;
	struct nl_extack ext;

	/* hv's VLAN goes with hv, eth0 with its peer, the rest with its ns. */
	if (e->hv && nl_link_delete(e->sroot, e->hv, &ext) < 0)
		return -1;
	nl_sock_free(e->sroot);
	nl_sock_free(e->svm);
	nl_sock_free(e->sfar);
	close(e->vm);
	close(e->far);
	free(e);
	return 0;
}

/* Creates the container's eth0 directly in `ns` with the daemon's own hot
 * path, bind_nested_attach: under a name of its own, then renamed from
 * inside (nothing moved).  Not with its final name at once: kernels before
 * 6.15 look the new name up in the *requesting* socket's namespace, so
 * "eth0" clashes with the VM's own eth0 (test_name_clash_in_parent).  The
 * port has no addresses here: the tests add their own. */
static int create_in(struct env *e, int ns, struct nl_sock *s, uint16_t vid,
		     const uint8_t *mac, struct nl_extack *ext)
{
	struct portinfo pi = { .port_id = "guest-test", .mtu = 1400, .vlan_id = vid };
	unsigned defaults = 0;

	(void)s;
	memcpy(pi.mac, mac, NL_MAC_LEN);
	return bind_nested_attach(e->svm, e->vm_eth0, ns, &pi, "eth0", NULL, &defaults, ext);
}

/* A container: a new namespace whose eth0 is an 802.1Q device with `vid`
 * (vid 0: a macvlan) on the VM's eth0, with its address, up. */
static int attach(struct env *e, uint16_t vid, const uint8_t *mac, const char *ip,
		  struct nl_sock **ret_s)
{
	struct nl_extack ext;
	struct nl_sock *s;
	int ns;

	nlt_must(netns_new_anonymous(&ns), NULL, "container ns");
	nlt_must(netns_nl_open(ns, &s), NULL, "container socket");
	nlt_must(create_in(e, ns, s, vid, mac, &ext), &ext, vid ? "vlan in container" :
	     "macvlan in container");
	nlt_add_ip4(s, nlt_index_of(s, "eth0"), ip, 24);
	nlt_up(s, "eth0");
	nlt_up(s, "lo");
	*ret_s = s;
	return ns;
}

/* Kernel release as major * 1000 + minor. */
static int kernel_version(void)
{
	struct utsname u;
	int major = 0, minor = 0;

	assert_int_equal(uname(&u), 0);
	assert_int_equal(sscanf(u.release, "%d.%d", &major, &minor), 2);
	return major * 1000 + minor;
}

/* The container's name asked for at once, from the VM's socket, while the
 * VM has an eth0 too: before Linux 6.15 ("rtnetlink: Lookup device in
 * target netns when creating link") the kernel checks the name where the
 * request came from and says EEXIST, with no message; since, it works. */
static void test_name_clash_in_parent(void **state)
{
	struct env *e = *state;
	struct nl_extack ext;
	struct nl_sock *s;
	struct nl_link l, *links = NULL;
	size_t n = 0;
	int ns, r, ver = kernel_version();

	nlt_must(netns_new_anonymous(&ns), NULL, "container ns");
	nlt_must(netns_nl_open(ns, &s), NULL, "container socket");
	for (uint16_t vid = 0; vid <= 101; vid += 101) {
		struct nl_link_attrs a = { .name = "eth0", .mac = mac_c1, .netns_fd = ns };

		r = vid ? nl_vlan_create(e->svm, e->vm_eth0, vid, &a, &ext) :
			  nl_macvlan_create(e->svm, e->vm_eth0, &a, &ext);
		printf("%s named eth0 into a container, the VM's NIC being eth0, on %d.%d: "
		       "%d (%s), kernel: '%s'\n", vid ? "VLAN 101" : "macvlan", ver / 1000,
		       ver % 1000, r, r ? strerror(-r) : "ok", ext.msg);
		if (ver < 6015) {
			assert_int_equal(r, -EEXIST);
			assert_string_equal(ext.msg, "");
			assert_int_equal(nl_link_get_by_name(s, "eth0", &l), -ENODEV);
		} else {
			nlt_must(r, &ext, "eth0 into the container");
			nlt_must(nl_link_delete(s, nlt_index_of(s, "eth0"), &ext), &ext, "delete");
		}
	}
	/* Nothing left behind on the VM's side either. */
	nlt_must(nl_link_list(e->svm, &links, &n), NULL, "list vm");
	free(links);
	assert_int_equal(n, 2);
	nl_sock_free(s);
	close(ns);
}

/* busybox ping from inside `ns`: its exit status (0: a reply came). */
static int ping_from(int ns, const char *dst)
{
	int status = 0;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		if (setns(ns, CLONE_NEWNET) < 0)
			_exit(126);
		execlp("ping", "ping", "-c", "1", "-W", "3", dst, (char *)NULL);
		_exit(127);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

/* A packet socket on hv that reports the 802.1Q tag even when the kernel
 * has moved it out of the frame (PACKET_AUXDATA). */
static int tap_open(int ifindex)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL),
				   .sll_ifindex = ifindex };
	int one = 1;
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	assert_true(fd >= 0);
	assert_int_equal(setsockopt(fd, SOL_PACKET, PACKET_AUXDATA, &one, sizeof(one)), 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sll, sizeof(sll)), 0);
	return fd;
}

/* What the tap saw from one source MAC. */
struct seen {
	int icmp[4096];             /* ICMP frames by VLAN id; [0]: untagged */
	int icmp6[4096];            /* ICMPv6 frames (echo and NDP) by VLAN id */
	int any[4096];              /* any frame by VLAN id */
};

static void tap_drain(int fd, const uint8_t *src, struct seen *sn)
{
	uint8_t buf[2048];
	union {
		char b[CMSG_SPACE(sizeof(struct tpacket_auxdata))];
		struct cmsghdr align;
	} c;

	for (;;) {
		struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
		struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = c.b,
				    .msg_controllen = sizeof(c.b) };
		ssize_t n = recvmsg(fd, &m, 0);
		size_t off = 12;        /* the ethertype */
		int vid = 0;

		if (n < 0 && errno == EAGAIN)
			return;
		assert_true(n >= 14);
		for (struct cmsghdr *h = CMSG_FIRSTHDR(&m); h; h = CMSG_NXTHDR(&m, h)) {
			struct tpacket_auxdata aux;

			if (h->cmsg_level != SOL_PACKET || h->cmsg_type != PACKET_AUXDATA)
				continue;
			memcpy(&aux, CMSG_DATA(h), sizeof(aux));
			if (aux.tp_status & TP_STATUS_VLAN_VALID)
				vid = aux.tp_vlan_tci & 0xfff;
		}
		/* A tag the kernel left in the frame. */
		if (!vid && buf[12] == 0x81 && buf[13] == 0x00 && n >= 18) {
			vid = ((buf[14] << 8) | buf[15]) & 0xfff;
			off = 16;
		}
		if (memcmp(buf + 6, src, NL_MAC_LEN) != 0)
			continue;
		sn->any[vid]++;
		if ((size_t)n >= off + 2 + 20 && buf[off] == 0x08 && buf[off + 1] == 0x00 &&
		    buf[off + 2 + offsetof(struct iphdr, protocol)] == IPPROTO_ICMP)
			sn->icmp[vid]++;
		/* IPv6's next header (byte 6), no extension header before ICMPv6. */
		if ((size_t)n >= off + 2 + 40 && buf[off] == 0x86 && buf[off + 1] == 0xdd &&
		    buf[off + 2 + 6] == IPPROTO_ICMPV6)
			sn->icmp6[vid]++;
	}
}

static void test_vlan_reach_and_tag(void **state)
{
	struct env *e = *state;
	struct nl_sock *s1;
	struct nl_link l;
	struct seen *sn = calloc(1, sizeof(*sn));
	int tap = tap_open(e->hv);
	int c1 = attach(e, 101, mac_c1, "10.1.101.2", &s1);

	assert_non_null(sn);
	/* Made in the container, as asked: name, MAC, MTU, kind, parent. */
	nlt_must(nl_link_get_by_name(s1, "eth0", &l), NULL, "eth0 in c1");
	assert_string_equal(l.kind, "vlan");
	assert_memory_equal(l.mac, mac_c1, NL_MAC_LEN);
	assert_int_equal(l.mtu, 1400);
	assert_true(l.flags & IFF_UP);
	nlt_must(nl_link_get_by_name(e->svm, "eth0", &l), NULL, "eth0 in vm");
	assert_string_equal(l.kind, "veth");   /* the VM's NIC, nothing renamed onto it */

	assert_int_equal(ping_from(c1, "10.1.101.1"), 0);
	tap_drain(tap, mac_c1, sn);
	printf("c1 -> far: %d ICMP frames on hv tagged 101, %d untagged, %d frames in all\n",
	       sn->icmp[101], sn->icmp[0], sn->any[101] + sn->any[0]);
	assert_true(sn->icmp[101] >= 1);
	assert_int_equal(sn->any[0], 0);     /* nothing of c1's leaves untagged */
	free(sn);
	nl_sock_free(s1);
	close(c1);
	close(tap);
}

static void test_vlan_isolation(void **state)
{
	struct env *e = *state;
	struct nl_sock *s2;
	struct seen *sn = calloc(1, sizeof(*sn));
	int tap = tap_open(e->hv);
	/* The same subnet as far, another tag: only the tag keeps them apart. */
	int c2 = attach(e, 102, mac_c2, "10.1.101.3", &s2);

	assert_non_null(sn);
	assert_int_not_equal(ping_from(c2, "10.1.101.1"), 0);
	tap_drain(tap, mac_c2, sn);
	printf("c2 -> far: %d frames on hv tagged 102 (ARP unanswered), %d tagged 101, "
	       "%d untagged\n", sn->any[102], sn->any[101], sn->any[0]);
	assert_true(sn->any[102] >= 1);      /* it did leave, with its own tag */
	assert_int_equal(sn->any[101], 0);
	assert_int_equal(sn->any[0], 0);
	free(sn);
	nl_sock_free(s2);
	close(c2);
	close(tap);
}

static void test_macvlan_untagged(void **state)
{
	struct env *e = *state;
	struct nl_sock *s3;
	struct nl_link l;
	struct seen *sn = calloc(1, sizeof(*sn));
	int tap = tap_open(e->hv);
	int c3 = attach(e, 0, mac_c3, "10.1.0.3", &s3);

	assert_non_null(sn);
	nlt_must(nl_link_get_by_name(s3, "eth0", &l), NULL, "eth0 in c3");
	assert_string_equal(l.kind, "macvlan");
	assert_int_equal(ping_from(c3, "10.1.0.1"), 0);
	tap_drain(tap, mac_c3, sn);
	int tagged = 0;
	for (int v = 1; v < 4096; v++)
		tagged += sn->any[v];
	printf("c3 (macvlan) -> hv: %d ICMP frames on hv untagged, %d tagged\n", sn->icmp[0],
	       tagged);
	assert_true(sn->icmp[0] >= 1);
	assert_int_equal(tagged, 0);
	free(sn);
	nl_sock_free(s3);
	close(c3);
	close(tap);
}

static struct portinfo_ip ip_of(int family, const char *ip, unsigned len, const char *gw)
{
	struct portinfo_ip r = { .family = family, .ip = nlt_ip_of(family, ip), .prefixlen = len,
				 .has_gw = true, .gw = nlt_ip_of(family, gw) };

	return r;
}

/* VLAN mode with IPv6: a dual-stack subport attached by the daemon's own
 * bind_nested_attach (addresses, v6 with no DAD, both default routes), then
 * NDP and ICMPv6 echo to far over VLAN 101, every frame of it tagged. */
static void test_vlan_dual_stack(void **state)
{
	struct env *e = *state;
	struct portinfo pi = { .port_id = "guest-v6", .mtu = 1400, .vlan_id = 101, .n_ips = 2 };
	union nl_ip far6 = nlt_ip_of(AF_INET6, "fd01:101::1"), c6 = nlt_ip_of(AF_INET6, "fd01:101::5");
	struct seen *sn = calloc(1, sizeof(*sn));
	struct nl_extack ext;
	struct nl_sock *s;
	struct nl_addr *addrs = NULL;
	struct nl_route *routes = NULL;
	size_t n = 0;
	unsigned defaults = 0;
	int ns, found = 0, tap = tap_open(e->hv);

	assert_non_null(sn);
	pi.ips[0] = ip_of(AF_INET, "10.1.101.5", 24, "10.1.101.1");
	pi.ips[1] = ip_of(AF_INET6, "fd01:101::5", 64, "fd01:101::1");
	memcpy(pi.mac, mac_c4, NL_MAC_LEN);
	nlt_must(nl_addr_add(e->sfar, nlt_index_of(e->sfar, "far"), AF_INET6, &far6, 64, &ext), &ext,
		 "far's v6 address");
	nlt_must(netns_new_anonymous(&ns), NULL, "container ns");
	nlt_must(netns_nl_open(ns, &s), NULL, "container socket");
	nlt_must(bind_nested_attach(e->svm, e->vm_eth0, ns, &pi, "eth0", NULL, &defaults, &ext), &ext,
		 "dual-stack attach");
	nlt_up(s, "lo");
	assert_int_equal(defaults, BIND_DEFAULT_V4 | BIND_DEFAULT_V6);

	nlt_must(nl_addr_list(s, nlt_index_of(s, "eth0"), AF_INET6, &addrs, &n), NULL, "v6 addresses");
	for (size_t i = 0; i < n; i++) {
		if (memcmp(&addrs[i].ip, &c6, sizeof(c6.v6)) != 0)
			continue;
		found = 1;
		assert_int_equal(addrs[i].prefixlen, 64);
		assert_false(addrs[i].flags & IFA_F_TENTATIVE);   /* usable at once */
	}
	free(addrs);
	assert_true(found);
	nlt_must(nl_route_list(s, AF_INET6, &routes, &n), NULL, "v6 routes");
	found = 0;
	for (size_t i = 0; i < n; i++)
		found |= routes[i].dst_len == 0 && routes[i].has_gw &&
			 memcmp(&routes[i].gw, &far6, sizeof(far6.v6)) == 0;
	free(routes);
	assert_true(found);

	assert_int_equal(ping_from(ns, "fd01:101::1"), 0);
	assert_int_equal(ping_from(ns, "10.1.101.1"), 0);
	tap_drain(tap, mac_c4, sn);
	printf("dual stack on VLAN 101 -> far: %d ICMPv6 frames (NDP, echo) on hv tagged 101, "
	       "%d ICMP, %d frames untagged\n", sn->icmp6[101], sn->icmp[101], sn->any[0]);
	assert_true(sn->icmp6[101] >= 2);    /* a neighbour solicitation and the echo, at least */
	assert_true(sn->icmp[101] >= 1);
	assert_int_equal(sn->any[0], 0);
	free(sn);
	nl_sock_free(s);
	close(ns);
	close(tap);
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

/* A VLAN 101 device left in a namespace nobody uses any more blocks a new
 * one with the same id on the same parent: what the kernel answers is what
 * the daemon's "find and remove the leftover device" path must recognise. */
static void test_stale_vlan_blocks(void **state)
{
	struct env *e = *state;
	struct nl_extack ext;
	struct nl_sock *sold, *snew;
	struct nl_link *links = NULL, l;
	size_t n = 0;
	int old, fresh, r, tries = 0;
	double t0;

	nlt_must(netns_new_anonymous(&old), NULL, "old ns");
	nlt_must(netns_new_anonymous(&fresh), NULL, "new ns");
	nlt_must(netns_nl_open(old, &sold), NULL, "old socket");
	nlt_must(netns_nl_open(fresh, &snew), NULL, "new socket");
	nlt_must(create_in(e, old, sold, 101, mac_c2, &ext), &ext, "the stale one");

	/* From the VM's side the leftover is invisible: only lo and eth0. */
	nlt_must(nl_link_list(e->svm, &links, &n), NULL, "list vm");
	free(links);
	assert_int_equal(n, 2);

	r = create_in(e, fresh, snew, 101, mac_c1, &ext);
	printf("a second VLAN 101 on the same parent: %d (%s), kernel: '%s'\n", r,
	       strerror(-r), ext.msg);
	assert_int_equal(r, -EEXIST);
	assert_string_equal(ext.msg, "8021q: VLAN device already exists");
	/* Nothing left in the new namespace. */
	nlt_must(nl_link_list(snew, &links, &n), NULL, "list new");
	free(links);
	assert_int_equal(n, 1);

	{
		/* The daemon's recovery: the same port (MAC) left in `old`. */
		struct portinfo pi = { .port_id = "guest-stale", .mtu = 1400, .vlan_id = 101 };
		char hint[64];
		unsigned d = 0;
		int ns3;
		struct nl_sock *s3;

		nlt_must(netns_new_anonymous(&ns3), NULL, "ns3");
		nlt_must(netns_nl_open(ns3, &s3), NULL, "s3");
		memcpy(pi.mac, mac_c2, NL_MAC_LEN);
		snprintf(hint, sizeof(hint), "/proc/self/fd/%d", old);
		r = bind_nested_attach(e->svm, e->vm_eth0, ns3, &pi, "eth0", hint, &d, &ext);
		printf("bind_nested_attach, the same port left in the old ns (hint given): %d '%s'\n", r, ext.msg);
		nlt_must(r, &ext, "bind_nested_attach with a hint");
		nlt_must(nl_link_get_by_name(s3, "eth0", &l), NULL, "eth0 in ns3");
		assert_memory_equal(l.mac, mac_c2, NL_MAC_LEN);
		assert_int_equal(nl_link_get_by_name(sold, "eth0", &l), -ENODEV);
		nlt_must(nl_link_delete(s3, nlt_index_of(s3, "eth0"), &ext), &ext, "del ns3 eth0");
		nl_sock_free(s3);
		close(ns3);
		nlt_must(create_in(e, old, sold, 101, mac_c2, &ext), &ext, "the stale one again");
	}
	/* Removed where it is, the id is free again at once. */
	nlt_must(nl_link_delete(sold, nlt_index_of(sold, "eth0"), &ext), &ext, "delete the stale one");
	nlt_must(create_in(e, fresh, snew, 101, mac_c1, &ext), &ext, "vlan after delete");
	nlt_must(nl_link_get_by_name(snew, "eth0", &l), NULL, "eth0 in new ns");
	assert_memory_equal(l.mac, mac_c1, NL_MAC_LEN);

	/* Dropping the last reference to a namespace frees its devices, but
	 * later (the kernel's netns cleanup runs on a workqueue): a create
	 * right after may still see EEXIST.  Bounded: 10 s. */
	nl_sock_free(snew);
	close(fresh);
	t0 = now();
	while ((r = create_in(e, old, sold, 101, mac_c2, &ext)) == -EEXIST && now() - t0 < 10) {
		tries++;
		usleep(20000);
	}
	printf("after its namespace was dropped: VLAN 101 free again after %.3f s "
	       "(%d EEXIST answers first)\n", now() - t0, tries);
	nlt_must(r, &ext, "vlan after the namespace went");
	nl_sock_free(sold);
	close(old);
}

/* 1 when this kernel makes 802.1Q devices, 0 when it cannot (its reason
 * printed), -errno on anything else. */
static int vlan_supported(void)
{
	struct nl_link_attrs p0 = { .name = "p0" }, p1 = { .name = "p1" };
	struct nl_link_attrs v = { .name = "p0.2" };
	struct nl_extack ext;
	struct nl_sock *s = NULL;
	int ns, r, ifindex = 0;

	r = netns_new_anonymous(&ns);
	if (r < 0)
		return r;
	r = netns_nl_open(ns, &s);
	if (r < 0)
		goto out;
	r = nl_veth_create(s, &p0, &p1, &ext);
	if (r < 0)
		goto out;
	r = nl_link_index(s, "p0", &ifindex);
	if (r < 0)
		goto out;
	r = nl_vlan_create(s, ifindex, 2, &v, &ext);
	if (r == -EOPNOTSUPP)
		printf("skip: this kernel (no 8021q) cannot make 802.1Q devices (kernel: '%s'); "
		       "tests/integration/vlan_guest.sh runs this in a qemu guest that can\n",
		       ext.msg);
	r = r == -EOPNOTSUPP ? 0 : r < 0 ? r : 1;
out:
	nl_sock_free(s);
	close(ns);
	return r;
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_vlan_reach_and_tag),
		T(test_name_clash_in_parent),
		T(test_vlan_isolation),
		T(test_vlan_dual_stack),
		T(test_macvlan_untagged),
		T(test_stale_vlan_blocks),
	};
	int r;

	if (geteuid() != 0) {
		printf("skip: vlan_dataplane needs root (network namespaces)\n");
		return 77;
	}
	r = vlan_supported();
	if (r <= 0) {
		if (r < 0)
			printf("vlan_dataplane: probing 802.1Q: %s\n", strerror(-r));
		return r < 0 ? 1 : 77;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}

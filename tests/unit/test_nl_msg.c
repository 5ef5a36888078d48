/* Netlink requests built without a socket, then read back: what the kernel
 * will be asked, attribute by attribute, and that no builder ever writes
 * past its buffer. */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "netlink/msg.h"

static const uint8_t mac1[NL_MAC_LEN] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };
static const uint8_t mac2[NL_MAC_LEN] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x02 };

/* Finds attribute `type` at the top level of a message after `hdr` bytes. */
static const struct nlattr *find_attr(const struct nlmsghdr *nlh, size_t hdr, uint16_t type)
{
	const struct nlattr *a;

	mnl_attr_for_each(a, nlh, hdr)
		if (mnl_attr_get_type(a) == type)
			return a;
	return NULL;
}

static const struct nlattr *find_nested(const struct nlattr *nest, uint16_t type)
{
	const struct nlattr *a;

	mnl_attr_for_each_nested(a, nest)
		if (mnl_attr_get_type(a) == type)
			return a;
	return NULL;
}

static void test_veth_round_trip(void **state)
{
	char buf[MNL_SOCKET_BUFFER_SIZE], peer_buf[512];
	struct nl_link_attrs local = { .name = "tap0123456789a", .mac = mac1, .mtu = 1450,
				       .master = 7, .up = true };
	struct nl_link_attrs peer = { .name = "eth0", .mac = mac2, .mtu = 1450, .netns_fd = 42 };
	const struct nlattr *info, *data, *pnest;
	const struct ifinfomsg *ifi;
	struct nlmsghdr *nlh, *pnlh;
	struct nl_link l;

	assert_int_equal(nl_build_veth(buf, sizeof(buf), &local, &peer, &nlh, NULL), 0);
	assert_int_equal(nlh->nlmsg_type, RTM_NEWLINK);
	assert_true(nlh->nlmsg_flags & NLM_F_CREATE);
	assert_true(nlh->nlmsg_flags & NLM_F_EXCL);

	/* The local end reads back as a link. */
	assert_int_equal(nl_parse_link(nlh, &l), 0);
	assert_string_equal(l.name, "tap0123456789a");
	assert_true(l.has_mac);
	assert_memory_equal(l.mac, mac1, NL_MAC_LEN);
	assert_int_equal(l.mtu, 1450);
	assert_int_equal(l.master, 7);
	assert_string_equal(l.kind, "veth");
	assert_true(l.flags & IFF_UP);
	ifi = mnl_nlmsg_get_payload(nlh);
	assert_int_equal(ifi->ifi_change, IFF_UP);
	/* The local end stays in the socket's namespace. */
	assert_null(find_attr(nlh, sizeof(*ifi), IFLA_NET_NS_FD));

	/* The peer: LINKINFO > INFO_DATA > VETH_INFO_PEER = ifinfomsg + attrs. */
	info = find_attr(nlh, sizeof(*ifi), IFLA_LINKINFO);
	assert_non_null(info);
	data = find_nested(info, IFLA_INFO_DATA);
	assert_non_null(data);
	pnest = find_nested(data, VETH_INFO_PEER);
	assert_non_null(pnest);
	assert_true(mnl_attr_get_payload_len(pnest) < sizeof(peer_buf) - MNL_NLMSG_HDRLEN);
	pnlh = mnl_nlmsg_put_header(peer_buf);
	pnlh->nlmsg_type = RTM_NEWLINK;
	memcpy(mnl_nlmsg_put_extra_header(pnlh, mnl_attr_get_payload_len(pnest)),
	       mnl_attr_get_payload(pnest), mnl_attr_get_payload_len(pnest));
	assert_int_equal(nl_parse_link(pnlh, &l), 0);
	assert_string_equal(l.name, "eth0");
	assert_memory_equal(l.mac, mac2, NL_MAC_LEN);
	assert_int_equal(l.mtu, 1450);
	assert_int_equal(l.master, 0);
	assert_false(l.flags & IFF_UP);
	assert_non_null(find_attr(pnlh, sizeof(*ifi), IFLA_NET_NS_FD));
	assert_int_equal(mnl_attr_get_u32(find_attr(pnlh, sizeof(*ifi), IFLA_NET_NS_FD)), 42);
}

static void test_veth_minimal(void **state)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nl_link_attrs local = { .name = "a" }, peer = { .name = "b" };
	struct nlmsghdr *nlh;
	struct nl_link l;

	assert_int_equal(nl_build_veth(buf, sizeof(buf), &local, &peer, &nlh, NULL), 0);
	assert_int_equal(nl_parse_link(nlh, &l), 0);
	assert_false(l.has_mac);
	assert_int_equal(l.mtu, 0);
	assert_false(l.flags & IFF_UP);
	assert_null(find_attr(nlh, sizeof(struct ifinfomsg), IFLA_MASTER));
}

static int build(int which, char *buf, size_t size, struct nlmsghdr **nlh)
{
	struct nl_link_attrs local = { .name = "tap0123456789a", .mac = mac1, .mtu = 1450,
				       .master = 7, .up = true };
	struct nl_link_attrs peer = { .name = "eth0", .mac = mac2, .mtu = 1450, .netns_fd = 42 };
	struct nl_link_change change = { .name = "x", .mac = mac1, .mtu = 9000, .master = 3,
					 .up = 1 };
	struct nl_route route = { .family = AF_INET6, .dst_len = 64, .has_gw = true, .oif = 2,
				  .table = 1000, .priority = 5 };
	union nl_ip ip6 = { .bytes = { 0xfd, [15] = 2 } };
	struct nl_rule rule = { .family = AF_INET, .src.bytes = { 198, 19, 0, 5 }, .src_len = 32,
				.table = 0xc6130005, .priority = 1000 };

	switch (which) {
	case 0: return nl_build_veth(buf, size, &local, &peer, nlh, NULL);
	case 1: return nl_build_macvlan(buf, size, 3, &peer, nlh, NULL);
	case 2: return nl_build_vlan(buf, size, 3, 100, &peer, nlh, NULL);
	case 3: return nl_build_bridge(buf, size, &local, nlh, NULL);
	case 4: return nl_build_link_change(buf, size, 5, &change, nlh, NULL);
	case 5: return nl_build_addr_add(buf, size, 5, AF_INET6, &ip6, 64, nlh, NULL);
	case 6: return nl_build_route_add(buf, size, &route, nlh, NULL);
	case 7: return nl_build_link_get(buf, size, "eth0", 0, false, nlh, NULL);
	case 8: return nl_build_rule(buf, size, true, &rule, nlh, NULL);
	}
	return -1;
}

/* Every builder, at every buffer size short of what it needs, must fail
 * with -EMSGSIZE and leave the bytes past the buffer alone; at the size it
 * needs, it sets every byte it sends (no stack bytes to the kernel). */
static void test_never_overruns(void **state)
{
	char buf[MNL_SOCKET_BUFFER_SIZE + 64], sent[MNL_SOCKET_BUFFER_SIZE + 64];

	for (int which = 0; which < 9; which++) {
		struct nlmsghdr *nlh;
		size_t need = 0;

		for (size_t size = 0; size < 512; size++) {
			int r;

			memset(buf, 0xAA, sizeof(buf));
			r = build(which, buf, size, &nlh);
			for (size_t i = size; i < sizeof(buf); i++)
				if ((unsigned char)buf[i] != 0xAA)
					fail_msg("builder %d wrote byte %zu of a %zu-byte buffer", which,
						 i, size);
			if (r == 0) {
				need = size;
				assert_true(nlh->nlmsg_len <= size);
				/* Every byte sent is set (attribute padding too): the
				 * same message from a zeroed buffer is identical. */
				memcpy(sent, buf, nlh->nlmsg_len);
				memset(buf, 0, sizeof(buf));
				r = build(which, buf, size, &nlh);
				assert_int_equal(r, 0);
				assert_memory_equal(sent, buf, nlh->nlmsg_len);
				break;
			}
			assert_int_equal(r, -EMSGSIZE);
		}
		assert_true(need > 0);
	}
}

static void test_names(void **state)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nl_link_attrs ok = { .name = "x" };
	struct nl_link_attrs a = { .name = "sixteen-chars-xx" };
	struct nl_extack ext = { "" };
	struct nlmsghdr *nlh;

	assert_int_equal(nl_build_veth(buf, sizeof(buf), &a, &ok, &nlh, &ext), -EINVAL);
	assert_string_equal(ext.msg, "interface name 'sixteen-chars-xx' is longer than 15 characters");
	assert_int_equal(nl_build_veth(buf, sizeof(buf), &ok, &a, &nlh, &ext), -EINVAL);
	a.name = "fifteen-chars-x";
	assert_int_equal(nl_build_bridge(buf, sizeof(buf), &a, &nlh, &ext), 0);
	a.name = "a/b";
	assert_int_equal(nl_build_bridge(buf, sizeof(buf), &a, &nlh, &ext), -EINVAL);
	a.name = "a b";
	assert_int_equal(nl_build_bridge(buf, sizeof(buf), &a, &nlh, &ext), -EINVAL);
	a.name = "..";
	assert_int_equal(nl_build_bridge(buf, sizeof(buf), &a, &nlh, &ext), -EINVAL);
	a.name = "";
	assert_int_equal(nl_build_bridge(buf, sizeof(buf), &a, &nlh, &ext), -EINVAL);
	a.name = NULL;
	assert_int_equal(nl_build_bridge(buf, sizeof(buf), &a, &nlh, &ext), -EINVAL);
	assert_string_equal(ext.msg, "an interface name is required");
	/* A veth peer cannot be enslaved or set up at creation (the kernel
	 * ignores the one and fails the other). */
	a.name = "p";
	a.master = 3;
	assert_int_equal(nl_build_veth(buf, sizeof(buf), &ok, &a, &nlh, &ext), -EINVAL);
	a.master = 0;
	a.up = true;
	assert_int_equal(nl_build_veth(buf, sizeof(buf), &ok, &a, &nlh, &ext), -EINVAL);
	assert_non_null(strstr(ext.msg, "cannot be set up at creation"));
}

static void test_macvlan_vlan(void **state)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nl_link_attrs a = { .name = "mv0", .netns_fd = 9 };
	const struct nlattr *info, *data, *attr;
	struct nlmsghdr *nlh;
	struct nl_link l;

	assert_int_equal(nl_build_macvlan(buf, sizeof(buf), 4, &a, &nlh, NULL), 0);
	assert_int_equal(nl_parse_link(nlh, &l), 0);
	assert_string_equal(l.kind, "macvlan");
	assert_int_equal(l.link, 4);
	info = find_attr(nlh, sizeof(struct ifinfomsg), IFLA_LINKINFO);
	data = find_nested(info, IFLA_INFO_DATA);
	attr = find_nested(data, IFLA_MACVLAN_MODE);
	assert_non_null(attr);
	assert_int_equal(mnl_attr_get_u32(attr), MACVLAN_MODE_BRIDGE);
	assert_int_equal(mnl_attr_get_u32(find_attr(nlh, sizeof(struct ifinfomsg),
						    IFLA_NET_NS_FD)), 9);
	assert_int_equal(nl_build_macvlan(buf, sizeof(buf), 0, &a, &nlh, NULL), -EINVAL);

	assert_int_equal(nl_build_vlan(buf, sizeof(buf), 4, 4094, &a, &nlh, NULL), 0);
	assert_int_equal(nl_parse_link(nlh, &l), 0);
	assert_string_equal(l.kind, "vlan");
	info = find_attr(nlh, sizeof(struct ifinfomsg), IFLA_LINKINFO);
	data = find_nested(info, IFLA_INFO_DATA);
	assert_int_equal(mnl_attr_get_u16(find_nested(data, IFLA_VLAN_ID)), 4094);
	assert_int_equal(nl_build_vlan(buf, sizeof(buf), 4, 0, &a, &nlh, NULL), -EINVAL);
	assert_int_equal(nl_build_vlan(buf, sizeof(buf), 4, 4095, &a, &nlh, NULL), -EINVAL);
}

static void test_link_change(void **state)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nl_link_change c = { .master = -1, .up = -1 };
	const struct ifinfomsg *ifi;
	struct nlmsghdr *nlh;
	struct nl_link l;

	assert_int_equal(nl_build_link_change(buf, sizeof(buf), 12, &c, &nlh, NULL), 0);
	ifi = mnl_nlmsg_get_payload(nlh);
	assert_int_equal(ifi->ifi_index, 12);
	assert_int_equal(ifi->ifi_change, IFF_UP);
	assert_int_equal(ifi->ifi_flags & IFF_UP, 0);
	assert_false(nlh->nlmsg_flags & NLM_F_CREATE);
	/* Release from the bridge: IFLA_MASTER 0. */
	assert_int_equal(mnl_attr_get_u32(find_attr(nlh, sizeof(*ifi), IFLA_MASTER)), 0);

	c = (struct nl_link_change){ .name = "eth0", .up = 1 };
	assert_int_equal(nl_build_link_change(buf, sizeof(buf), 12, &c, &nlh, NULL), 0);
	assert_int_equal(nl_parse_link(nlh, &l), 0);
	assert_string_equal(l.name, "eth0");
	assert_true(l.flags & IFF_UP);
	assert_null(find_attr(nlh, sizeof(*ifi), IFLA_MASTER));
	assert_null(find_attr(nlh, sizeof(*ifi), IFLA_MTU));
	assert_int_equal(nl_build_link_change(buf, sizeof(buf), 0, &c, &nlh, NULL), -EINVAL);
}

/* An alias goes as the kernel's ip(8) sends it: its bytes, no NUL (the
 * kernel keeps the payload's length); an empty one removes it; the kernel
 * answers with a NUL-terminated string, which the parser reads. */
static void test_link_alias(void **state)
{
	char buf[MNL_SOCKET_BUFFER_SIZE], rbuf[512], big[NL_ALIAS_SIZE + 1];
	struct nl_link_change c = { .alias = "sf:dep:1234" };
	struct nl_extack ext;
	const struct nlattr *a;
	struct nlmsghdr *nlh;
	struct nl_link l;

	assert_int_equal(nl_build_link_change(buf, sizeof(buf), 7, &c, &nlh, NULL), 0);
	a = find_attr(nlh, sizeof(struct ifinfomsg), IFLA_IFALIAS);
	assert_non_null(a);
	assert_int_equal(mnl_attr_get_payload_len(a), strlen("sf:dep:1234"));
	assert_memory_equal(mnl_attr_get_payload(a), "sf:dep:1234", strlen("sf:dep:1234"));
	c.alias = "";
	assert_int_equal(nl_build_link_change(buf, sizeof(buf), 7, &c, &nlh, NULL), 0);
	a = find_attr(nlh, sizeof(struct ifinfomsg), IFLA_IFALIAS);
	assert_non_null(a);
	assert_int_equal(mnl_attr_get_payload_len(a), 0);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	c.alias = big;
	assert_int_equal(nl_build_link_change(buf, sizeof(buf), 7, &c, &nlh, &ext), -EINVAL);
	assert_non_null(strstr(ext.msg, "alias"));
	c.alias = NULL;
	assert_int_equal(nl_build_link_change(buf, sizeof(buf), 7, &c, &nlh, NULL), 0);
	assert_null(find_attr(nlh, sizeof(struct ifinfomsg), IFLA_IFALIAS));

	memset(rbuf, 0, sizeof(rbuf));
	nlh = mnl_nlmsg_put_header(rbuf);
	nlh->nlmsg_type = RTM_NEWLINK;
	mnl_nlmsg_put_extra_header(nlh, sizeof(struct ifinfomsg));
	mnl_attr_put_strz(nlh, IFLA_IFNAME, "sfb1");
	assert_int_equal(nl_parse_link(nlh, &l), 0);
	assert_string_equal(l.alias, "");
	mnl_attr_put_strz(nlh, IFLA_IFALIAS, "sf:dep:1234");
	assert_int_equal(nl_parse_link(nlh, &l), 0);
	assert_string_equal(l.alias, "sf:dep:1234");
}

static void test_addr(void **state)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	union nl_ip ip = { 0 };
	const struct nlattr *brd;
	struct nlmsghdr *nlh;
	struct nl_addr a;
	struct in_addr want;

	assert_int_equal(inet_pton(AF_INET6, "fd00::2", &ip.v6), 1);
	assert_int_equal(nl_build_addr_add(buf, sizeof(buf), 3, AF_INET6, &ip, 64, &nlh, NULL), 0);
	assert_int_equal(nl_parse_addr(nlh, &a), 0);
	assert_int_equal(a.family, AF_INET6);
	assert_int_equal(a.ifindex, 3);
	assert_int_equal(a.prefixlen, 64);
	assert_memory_equal(&a.ip.v6, &ip.v6, 16);
	/* No DAD, in the 8-bit field and in IFA_FLAGS. */
	assert_true(a.flags & IFA_F_NODAD);
	assert_true(((const struct ifaddrmsg *)mnl_nlmsg_get_payload(nlh))->ifa_flags & IFA_F_NODAD);

	assert_int_equal(inet_pton(AF_INET, "198.18.5.2", &ip.v4), 1);
	assert_int_equal(nl_build_addr_add(buf, sizeof(buf), 3, AF_INET, &ip, 24, &nlh, NULL), 0);
	assert_int_equal(nl_parse_addr(nlh, &a), 0);
	assert_int_equal(a.family, AF_INET);
	assert_int_equal(a.ip.v4.s_addr, ip.v4.s_addr);
	assert_false(a.flags & IFA_F_NODAD);
	brd = find_attr(nlh, sizeof(struct ifaddrmsg), IFA_BROADCAST);
	assert_non_null(brd);
	assert_int_equal(inet_pton(AF_INET, "198.18.5.255", &want), 1);
	assert_memory_equal(mnl_attr_get_payload(brd), &want, 4);

	/* A /31 or /32 has no broadcast address. */
	assert_int_equal(nl_build_addr_add(buf, sizeof(buf), 3, AF_INET, &ip, 32, &nlh, NULL), 0);
	assert_null(find_attr(nlh, sizeof(struct ifaddrmsg), IFA_BROADCAST));

	assert_int_equal(nl_build_addr_add(buf, sizeof(buf), 3, AF_INET, &ip, 33, &nlh, NULL),
			 -EINVAL);
	assert_int_equal(nl_build_addr_add(buf, sizeof(buf), 3, AF_INET6, &ip, 129, &nlh, NULL),
			 -EINVAL);
	assert_int_equal(nl_build_addr_add(buf, sizeof(buf), 3, AF_UNIX, &ip, 8, &nlh, NULL),
			 -EAFNOSUPPORT);
}

static void test_route(void **state)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nl_route r = { .family = AF_INET, .has_gw = true, .oif = 4 }, back;
	const struct rtmsg *rtm;
	struct nlmsghdr *nlh;

	/* The default route via a gateway. */
	assert_int_equal(inet_pton(AF_INET, "198.18.5.1", &r.gw.v4), 1);
	assert_int_equal(nl_build_route_add(buf, sizeof(buf), &r, &nlh, NULL), 0);
	rtm = mnl_nlmsg_get_payload(nlh);
	assert_int_equal(rtm->rtm_table, RT_TABLE_MAIN);
	assert_int_equal(rtm->rtm_scope, RT_SCOPE_UNIVERSE);
	assert_int_equal(rtm->rtm_type, RTN_UNICAST);
	assert_null(find_attr(nlh, sizeof(*rtm), RTA_DST));
	assert_int_equal(nl_parse_route(nlh, &back), 0);
	assert_int_equal(back.dst_len, 0);
	assert_true(back.has_gw);
	assert_int_equal(back.gw.v4.s_addr, r.gw.v4.s_addr);
	assert_int_equal(back.oif, 4);
	assert_false(back.onlink);

	/* An on-link route: no gateway, scope link. */
	r = (struct nl_route){ .family = AF_INET, .dst_len = 24, .oif = 4 };
	assert_int_equal(inet_pton(AF_INET, "198.18.9.0", &r.dst.v4), 1);
	assert_int_equal(nl_build_route_add(buf, sizeof(buf), &r, &nlh, NULL), 0);
	rtm = mnl_nlmsg_get_payload(nlh);
	assert_int_equal(rtm->rtm_scope, RT_SCOPE_LINK);
	assert_int_equal(nl_parse_route(nlh, &back), 0);
	assert_false(back.has_gw);
	assert_int_equal(back.dst_len, 24);
	assert_int_equal(back.dst.v4.s_addr, r.dst.v4.s_addr);

	/* A gateway outside the link's subnets, flagged on-link; a big table. */
	r = (struct nl_route){ .family = AF_INET6, .has_gw = true, .onlink = true, .oif = 4,
			       .table = 1000 };
	assert_int_equal(inet_pton(AF_INET6, "fe80::1", &r.gw.v6), 1);
	assert_int_equal(nl_build_route_add(buf, sizeof(buf), &r, &nlh, NULL), 0);
	assert_int_equal(nl_parse_route(nlh, &back), 0);
	assert_true(back.onlink);
	assert_int_equal(back.table, 1000);

	r.oif = 0;
	assert_int_equal(nl_build_route_add(buf, sizeof(buf), &r, &nlh, NULL), -EINVAL);

	/* Unreachable: no interface, no gateway. */
	r = (struct nl_route){ .family = AF_INET, .unreachable = true, .table = 5000,
			       .priority = 0xffffffff };
	assert_int_equal(nl_build_route_add(buf, sizeof(buf), &r, &nlh, NULL), 0);
	rtm = mnl_nlmsg_get_payload(nlh);
	assert_int_equal(rtm->rtm_type, RTN_UNREACHABLE);
	assert_int_equal(rtm->rtm_scope, RT_SCOPE_UNIVERSE);
	assert_null(find_attr(nlh, sizeof(*rtm), RTA_OIF));
	r.oif = 3;
	assert_int_equal(nl_build_route_add(buf, sizeof(buf), &r, &nlh, NULL), -EINVAL);
}

static void test_rule(void **state)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nl_rule r = { .family = AF_INET, .src_len = 32, .table = 0xc6130005,
			     .priority = 1000 };
	const struct fib_rule_hdr *frh;
	const struct nlattr *a;
	struct nlmsghdr *nlh;

	(void)state;
	assert_int_equal(inet_pton(AF_INET, "198.19.0.5", &r.src.v4), 1);
	assert_int_equal(nl_build_rule(buf, sizeof(buf), true, &r, &nlh, NULL), 0);
	assert_int_equal(nlh->nlmsg_type, RTM_NEWRULE);
	assert_true(nlh->nlmsg_flags & NLM_F_EXCL);
	frh = mnl_nlmsg_get_payload(nlh);
	assert_int_equal(frh->family, AF_INET);
	assert_int_equal(frh->src_len, 32);
	assert_int_equal(frh->action, FR_ACT_TO_TBL);
	assert_int_equal(frh->table, RT_TABLE_UNSPEC);        /* > 255: in FRA_TABLE */
	a = find_attr(nlh, sizeof(*frh), FRA_TABLE);
	assert_non_null(a);
	assert_int_equal(mnl_attr_get_u32(a), 0xc6130005);
	a = find_attr(nlh, sizeof(*frh), FRA_SRC);
	assert_non_null(a);
	assert_memory_equal(mnl_attr_get_payload(a), &r.src.v4, 4);
	a = find_attr(nlh, sizeof(*frh), FRA_PRIORITY);
	assert_non_null(a);
	assert_int_equal(mnl_attr_get_u32(a), 1000);

	assert_int_equal(nl_build_rule(buf, sizeof(buf), false, &r, &nlh, NULL), 0);
	assert_int_equal(nlh->nlmsg_type, RTM_DELRULE);
	assert_false(nlh->nlmsg_flags & NLM_F_CREATE);

	r.table = 0;
	assert_int_equal(nl_build_rule(buf, sizeof(buf), true, &r, &nlh, NULL), -EINVAL);
	r.table = 5;
	r.src_len = 33;
	assert_int_equal(nl_build_rule(buf, sizeof(buf), true, &r, &nlh, NULL), -EINVAL);
}

/* An NLMSG_ERROR as the kernel sends it, with `payload` bytes of the
 * request echoed (unless capped) and an optional message TLV. */
static struct nlmsghdr *make_error(char *buf, int error, bool capped, size_t payload,
				   const char *msg, size_t msg_len)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nlmsgerr *e;

	nlh->nlmsg_type = NLMSG_ERROR;
	e = mnl_nlmsg_put_extra_header(nlh, sizeof(*e));
	e->error = error;
	e->msg.nlmsg_len = (uint32_t)(sizeof(struct nlmsghdr) + payload);
	e->msg.nlmsg_type = RTM_NEWLINK;
	if (capped)
		nlh->nlmsg_flags |= NLM_F_CAPPED;
	else
		memset(mnl_nlmsg_put_extra_header(nlh, payload), 0x5A, payload);
	if (msg) {
		nlh->nlmsg_flags |= NLM_F_ACK_TLVS;
		mnl_attr_put(nlh, NLMSGERR_ATTR_MSG, msg_len, msg);
	}
	return nlh;
}

static void test_error_extack(void **state)
{
	char buf[1024];
	struct nl_extack ext;
	struct nlmsghdr *nlh;

	memset(buf, 0, sizeof(buf));
	nlh = make_error(buf, -EOPNOTSUPP, true, 0, "Unknown device type", 20);
	assert_int_equal(nl_parse_error(nlh, &ext), -EOPNOTSUPP);
	assert_string_equal(ext.msg, "Unknown device type");

	/* Not capped: the request comes back first (here 37 bytes, unaligned). */
	memset(buf, 0, sizeof(buf));
	nlh = make_error(buf, -EEXIST, false, 37, "File exists here", 17);
	assert_int_equal(nl_parse_error(nlh, &ext), -EEXIST);
	assert_string_equal(ext.msg, "File exists here");

	/* A message that is not NUL-terminated is ignored, not overread. */
	memset(buf, 0, sizeof(buf));
	nlh = make_error(buf, -EINVAL, true, 0, "abcd", 4);
	strcpy(ext.msg, "");
	assert_int_equal(nl_parse_error(nlh, &ext), -EINVAL);
	assert_string_equal(ext.msg, "");

	/* An ACK is 0 and leaves the message alone. */
	memset(buf, 0, sizeof(buf));
	nlh = make_error(buf, 0, true, 0, NULL, 0);
	assert_int_equal(nl_parse_error(nlh, &ext), 0);

	/* Truncated, or a claimed request longer than the message. */
	nlh->nlmsg_len = MNL_NLMSG_HDRLEN + 2;
	assert_int_equal(nl_parse_error(nlh, &ext), -EPROTO);
	memset(buf, 0, sizeof(buf));
	nlh = make_error(buf, -EPERM, false, 8, "x", 2);
	((struct nlmsgerr *)mnl_nlmsg_get_payload(nlh))->msg.nlmsg_len = 4000;
	assert_int_equal(nl_parse_error(nlh, &ext), -EPERM);
	assert_int_equal(nl_parse_error(make_error(buf, 5, true, 0, NULL, 0), &ext), -EPROTO);
}

static void test_parse_rejects(void **state)
{
	char buf[256];
	struct nlmsghdr *nlh;
	struct nl_link l;
	struct nl_addr a;

	memset(buf, 0, sizeof(buf));
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_NEWLINK;
	/* Shorter than an ifinfomsg. */
	assert_int_equal(nl_parse_link(nlh, &l), -EPROTO);
	mnl_nlmsg_put_extra_header(nlh, sizeof(struct ifinfomsg));
	/* An IFLA_MTU of 2 bytes. */
	mnl_attr_put_u16(nlh, IFLA_MTU, 1500);
	assert_int_equal(nl_parse_link(nlh, &l), -EPROTO);
	nlh->nlmsg_type = RTM_NEWADDR;
	assert_int_equal(nl_parse_addr(nlh, &a), -EPROTO);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_veth_round_trip),
		cmocka_unit_test(test_veth_minimal),
		cmocka_unit_test(test_never_overruns),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_macvlan_vlan),
		cmocka_unit_test(test_link_change),
		cmocka_unit_test(test_link_alias),
		cmocka_unit_test(test_addr),
		cmocka_unit_test(test_route),
		cmocka_unit_test(test_rule),
		cmocka_unit_test(test_error_extack),
		cmocka_unit_test(test_parse_rejects),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

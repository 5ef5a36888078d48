/* Addresses: add one, delete one, list them. */
#include "netlink/msg.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* RTM_NEWADDR (create, exclusive) or RTM_DELADDR: the same message. */
static int build_addr(void *buf, size_t size, uint16_t type, int ifindex, int family,
		      const union nl_ip *ip, unsigned prefixlen, struct nlmsghdr **ret,
		      struct nl_extack *extack)
{
	size_t len = nl_ip_len(family);
	struct ifaddrmsg *ifa;
	struct nlmsghdr *nlh;

	if (!len)
		return nl_extack_set(extack, -EAFNOSUPPORT, "address family %d is not IPv4 or IPv6",
				     family);
	if (prefixlen > len * 8)
		return nl_extack_set(extack, -EINVAL, "prefix length %u is too long for %s",
				     prefixlen, family == AF_INET ? "IPv4" : "IPv6");
	if (ifindex <= 0)
		return nl_extack_set(extack, -EINVAL, "no interface index");
	if (size < MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(*ifa)))
		goto toobig;
	memset(buf, 0, size);   /* attribute padding: see link_msg.c */
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	if (type == RTM_NEWADDR)
		nlh->nlmsg_flags |= NLM_F_CREATE | NLM_F_EXCL;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = (uint8_t)family;
	ifa->ifa_prefixlen = (uint8_t)prefixlen;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = (uint32_t)ifindex;
	if (family == AF_INET) {
		uint32_t mask = prefixlen ? htonl(~0u << (32 - prefixlen)) : 0;
		uint32_t brd = ip->v4.s_addr | ~mask;

		if (!mnl_attr_put_check(nlh, size, IFA_LOCAL, len, ip) ||
		    !mnl_attr_put_check(nlh, size, IFA_ADDRESS, len, ip) ||
		    (prefixlen < 31 && !mnl_attr_put_check(nlh, size, IFA_BROADCAST, len, &brd)))
			goto toobig;
	} else {
		/* No duplicate address detection: the address is usable now,
		 * not after a second or more of "tentative". */
		ifa->ifa_flags = IFA_F_NODAD;
		if (!mnl_attr_put_check(nlh, size, IFA_ADDRESS, len, ip) ||
		    !mnl_attr_put_u32_check(nlh, size, IFA_FLAGS, IFA_F_NODAD))
			goto toobig;
	}
	*ret = nlh;
	return 0;
toobig:
	return nl_extack_set(extack, -EMSGSIZE, "request does not fit in its buffer");
}

int nl_build_addr_add(void *buf, size_t size, int ifindex, int family, const union nl_ip *ip,
		      unsigned prefixlen, struct nlmsghdr **ret, struct nl_extack *extack)
{
	return build_addr(buf, size, RTM_NEWADDR, ifindex, family, ip, prefixlen, ret, extack);
}

int nl_build_addr_del(void *buf, size_t size, int ifindex, int family, const union nl_ip *ip,
		      unsigned prefixlen, struct nlmsghdr **ret, struct nl_extack *extack)
{
	return build_addr(buf, size, RTM_DELADDR, ifindex, family, ip, prefixlen, ret, extack);
}

int nl_addr_add(struct nl_sock *s, int ifindex, int family, const union nl_ip *ip,
		unsigned prefixlen, struct nl_extack *extack)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	int r = nl_build_addr_add(buf, sizeof(buf), ifindex, family, ip, prefixlen, &nlh, extack);

	return r < 0 ? r : nl_talk(s, nlh, NULL, NULL, extack);
}

int nl_addr_del(struct nl_sock *s, int ifindex, int family, const union nl_ip *ip,
		unsigned prefixlen, struct nl_extack *extack)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	int r = nl_build_addr_del(buf, sizeof(buf), ifindex, family, ip, prefixlen, &nlh, extack);

	return r < 0 ? r : nl_talk(s, nlh, NULL, NULL, extack);
}

static int addr_attr_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;
	uint16_t type = mnl_attr_get_type(attr);

	switch (type) {
	case IFA_ADDRESS:
	case IFA_LOCAL:
		break;
	case IFA_FLAGS:
		if (mnl_attr_validate(attr, MNL_TYPE_U32) < 0)
			return MNL_CB_ERROR;
		break;
	default:
		return MNL_CB_OK;
	}
	tb[type] = attr;
	return MNL_CB_OK;
}

int nl_parse_addr(const struct nlmsghdr *nlh, struct nl_addr *ret)
{
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[IFA_MAX + 1] = { 0 }, *a;
	struct nl_addr out = { 0 };
	size_t len;

	if (nlh->nlmsg_type != RTM_NEWADDR || mnl_nlmsg_get_payload_len(nlh) < sizeof(*ifa))
		return -EPROTO;
	if (mnl_attr_parse(nlh, sizeof(*ifa), addr_attr_cb, tb) < 0)
		return -EPROTO;
	len = nl_ip_len(ifa->ifa_family);
	a = tb[IFA_LOCAL] ? tb[IFA_LOCAL] : tb[IFA_ADDRESS];
	if (!len || !a || mnl_attr_get_payload_len(a) != len)
		return -EPROTO;
	out.ifindex = (int)ifa->ifa_index;
	out.family = ifa->ifa_family;
	memcpy(out.ip.bytes, mnl_attr_get_payload(a), len);
	out.prefixlen = ifa->ifa_prefixlen;
	out.flags = tb[IFA_FLAGS] ? mnl_attr_get_u32(tb[IFA_FLAGS]) : ifa->ifa_flags;
	out.scope = ifa->ifa_scope;
	*ret = out;
	return 0;
}

struct addr_filter {
	struct nl_list list;
	int ifindex;
	int family;
};

static int list_addr_cb(const struct nlmsghdr *nlh, void *data)
{
	struct addr_filter *f = data;
	struct nl_addr a, *slot;
	int r = nl_parse_addr(nlh, &a);

	if (r < 0)
		return r;
	if ((f->ifindex && a.ifindex != f->ifindex) || (f->family && a.family != f->family))
		return 0;
	slot = nl_list_add(&f->list);
	if (!slot)
		return -E2BIG;
	*slot = a;
	return 0;
}

static void addr_reset(void *data)
{
	struct addr_filter *f = data;

	f->list.n = 0;
}

int nl_addr_list(struct nl_sock *s, int ifindex, int family, struct nl_addr **ret,
		 size_t *ret_n)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct addr_filter f = {
		.list = { .item_size = sizeof(struct nl_addr) },
		.ifindex = ifindex,
		.family = family,
	};
	struct ifaddrmsg *ifa;
	struct nlmsghdr *nlh;
	int r;

	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETADDR;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = (uint8_t)family;
	r = nl_dump(s, nlh, list_addr_cb, addr_reset, &f);
	if (r < 0)
		goto out;
	*ret = f.list.items;
	*ret_n = f.list.n;
	f.list.items = NULL;
out:
	free(f.list.items);
	return r;
}

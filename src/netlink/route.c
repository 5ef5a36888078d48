/* Routes: add one, list the main table. */
#include "netlink/msg.h"

#include <errno.h>
#include <linux/rtnetlink.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

int nl_build_route_add(void *buf, size_t size, const struct nl_route *r, struct nlmsghdr **ret,
		       struct nl_extack *extack)
{
	size_t len = nl_ip_len(r->family);
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;
	uint32_t table = r->table ? r->table : RT_TABLE_MAIN;

	if (!len)
		return nl_extack_set(extack, -EAFNOSUPPORT, "address family %d is not IPv4 or IPv6",
				     r->family);
	if (r->dst_len > len * 8)
		return nl_extack_set(extack, -EINVAL, "prefix length %u is too long", r->dst_len);
	if (r->oif <= 0 && !r->unreachable)
		return nl_extack_set(extack, -EINVAL, "a route needs an output interface");
	if (r->unreachable && (r->oif > 0 || r->has_gw))
		return nl_extack_set(extack, -EINVAL, "an unreachable route has no interface");
	if (size < MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(*rtm)))
		goto toobig;
	memset(buf, 0, size);   /* attribute padding: see link_msg.c */
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_NEWROUTE;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = (uint8_t)r->family;
	rtm->rtm_dst_len = (uint8_t)r->dst_len;
	rtm->rtm_table = table < 256 ? (uint8_t)table : RT_TABLE_UNSPEC;
	rtm->rtm_protocol = RTPROT_BOOT;
	rtm->rtm_type = r->unreachable ? RTN_UNREACHABLE : RTN_UNICAST;
	/* As `ip route` does: IPv4 routes without a gateway are on the link;
	 * IPv6 has no use for the scope. */
	rtm->rtm_scope = r->family == AF_INET && !r->has_gw && !r->unreachable ? RT_SCOPE_LINK
										: RT_SCOPE_UNIVERSE;
	if (r->onlink)
		rtm->rtm_flags |= RTNH_F_ONLINK;
	if ((r->dst_len && !mnl_attr_put_check(nlh, size, RTA_DST, len, &r->dst)) ||
	    (r->has_gw && !mnl_attr_put_check(nlh, size, RTA_GATEWAY, len, &r->gw)) ||
	    (r->oif > 0 && !mnl_attr_put_u32_check(nlh, size, RTA_OIF, (uint32_t)r->oif)) ||
	    (table >= 256 && !mnl_attr_put_u32_check(nlh, size, RTA_TABLE, table)) ||
	    (r->priority && !mnl_attr_put_u32_check(nlh, size, RTA_PRIORITY, r->priority)))
		goto toobig;
	*ret = nlh;
	return 0;
toobig:
	return nl_extack_set(extack, -EMSGSIZE, "request does not fit in its buffer");
}

int nl_route_add(struct nl_sock *s, const struct nl_route *route, struct nl_extack *extack)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	int r = nl_build_route_add(buf, sizeof(buf), route, &nlh, extack);

	return r < 0 ? r : nl_talk(s, nlh, NULL, NULL, extack);
}

static int route_attr_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;
	uint16_t type = mnl_attr_get_type(attr);

	switch (type) {
	case RTA_DST:
	case RTA_GATEWAY:
		break;
	case RTA_OIF:
	case RTA_TABLE:
	case RTA_PRIORITY:
		if (mnl_attr_validate(attr, MNL_TYPE_U32) < 0)
			return MNL_CB_ERROR;
		break;
	default:
		return MNL_CB_OK;
	}
	tb[type] = attr;
	return MNL_CB_OK;
}

int nl_parse_route(const struct nlmsghdr *nlh, struct nl_route *ret)
{
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[RTA_MAX + 1] = { 0 };
	struct nl_route out = { 0 };
	size_t len;

	if (nlh->nlmsg_type != RTM_NEWROUTE || mnl_nlmsg_get_payload_len(nlh) < sizeof(*rtm))
		return -EPROTO;
	if (mnl_attr_parse(nlh, sizeof(*rtm), route_attr_cb, tb) < 0)
		return -EPROTO;
	len = nl_ip_len(rtm->rtm_family);
	if (!len)
		return -EPROTO;
	out.family = rtm->rtm_family;
	out.dst_len = rtm->rtm_dst_len;
	if (tb[RTA_DST]) {
		if (mnl_attr_get_payload_len(tb[RTA_DST]) != len)
			return -EPROTO;
		memcpy(out.dst.bytes, mnl_attr_get_payload(tb[RTA_DST]), len);
	}
	if (tb[RTA_GATEWAY]) {
		if (mnl_attr_get_payload_len(tb[RTA_GATEWAY]) != len)
			return -EPROTO;
		memcpy(out.gw.bytes, mnl_attr_get_payload(tb[RTA_GATEWAY]), len);
		out.has_gw = true;
	}
	out.onlink = rtm->rtm_flags & RTNH_F_ONLINK;
	out.oif = tb[RTA_OIF] ? (int)mnl_attr_get_u32(tb[RTA_OIF]) : 0;
	out.table = tb[RTA_TABLE] ? mnl_attr_get_u32(tb[RTA_TABLE]) : rtm->rtm_table;
	out.priority = tb[RTA_PRIORITY] ? mnl_attr_get_u32(tb[RTA_PRIORITY]) : 0;
	out.scope = rtm->rtm_scope;
	out.protocol = rtm->rtm_protocol;
	*ret = out;
	return 0;
}

static int list_route_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nl_route rt, *slot;
	int r = nl_parse_route(nlh, &rt);

	if (r < 0)
		return r;
	if (rt.table != RT_TABLE_MAIN)
		return 0;
	slot = nl_list_add(data);
	if (!slot)
		return -E2BIG;
	*slot = rt;
	return 0;
}

int nl_route_list(struct nl_sock *s, int family, struct nl_route **ret, size_t *ret_n)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nl_list list = { .item_size = sizeof(struct nl_route) };
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;
	int r;

	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETROUTE;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = (uint8_t)family;
	r = nl_dump(s, nlh, list_route_cb, nl_list_reset, &list);
	if (r < 0)
		goto out;
	*ret = list.items;
	*ret_n = list.n;
	list.items = NULL;
out:
	free(list.items);
	return r;
}

/* Link requests and replies, built and read without a socket. */
#include "netlink/msg.h"

#include <ctype.h>
#include <errno.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <string.h>
#include <sys/socket.h>

static int toobig(struct nl_extack *extack)
{
	return nl_extack_set(extack, -EMSGSIZE, "request does not fit in its buffer");
}

int nl_ifname_check(const char *name, struct nl_extack *extack)
{
	size_t n = name ? strlen(name) : 0;

	if (n == 0)
		return nl_extack_set(extack, -EINVAL, "an interface name is required");
	if (n >= IFNAMSIZ)
		return nl_extack_set(extack, -EINVAL,
				     "interface name '%s' is longer than %d characters", name,
				     IFNAMSIZ - 1);
	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return nl_extack_set(extack, -EINVAL, "'%s' is not a valid interface name", name);
	for (const char *p = name; *p; p++)
		if (*p == '/' || *p == ':' || isspace((unsigned char)*p))
			return nl_extack_set(extack, -EINVAL,
					     "interface name '%s' contains '/', ':' or a space",
					     name);
	return 0;
}

/* Header and ifinfomsg of a link request; NULL if `size` is too small. */
static struct nlmsghdr *begin(void *buf, size_t size, uint16_t type, uint16_t flags,
			      int ifindex, struct ifinfomsg **ret_ifi)
{
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi;

	if (size < MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(*ifi)))
		return NULL;
	/* libmnl (1.0.4) leaves an attribute's padding unset: without this,
	 * stack bytes after a name or a MAC reach the kernel (valgrind). */
	memset(buf, 0, size);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	*ret_ifi = ifi;
	return nlh;
}

/* The attributes of one link end, after its ifinfomsg. */
static int put_link_attrs(struct nlmsghdr *nlh, size_t size, struct ifinfomsg *ifi,
			  const struct nl_link_attrs *a, struct nl_extack *extack)
{
	int r = nl_ifname_check(a->name, extack);

	if (r < 0)
		return r;
	if (!mnl_attr_put_strz_check(nlh, size, IFLA_IFNAME, a->name) ||
	    (a->mac && !mnl_attr_put_check(nlh, size, IFLA_ADDRESS, NL_MAC_LEN, a->mac)) ||
	    (a->mtu && !mnl_attr_put_u32_check(nlh, size, IFLA_MTU, a->mtu)) ||
	    (a->netns_fd > 0 &&
	     !mnl_attr_put_u32_check(nlh, size, IFLA_NET_NS_FD, (uint32_t)a->netns_fd)) ||
	    (a->master > 0 && !mnl_attr_put_u32_check(nlh, size, IFLA_MASTER, (uint32_t)a->master)))
		return toobig(extack);
	if (a->up) {
		ifi->ifi_flags |= IFF_UP;
		ifi->ifi_change |= IFF_UP;
	}
	return 0;
}

/* A new link of `kind`: its own attributes, IFLA_LINK `parent` if > 0, and
 * IFLA_LINKINFO with the kind; *ret_data is the open IFLA_INFO_DATA nest
 * for the caller to fill and close, after which it closes *ret_info. */
static int begin_new_link(void *buf, size_t size, const char *kind, int parent,
			  const struct nl_link_attrs *a, struct nlmsghdr **ret,
			  struct nlattr **ret_info, struct nlattr **ret_data,
			  struct nl_extack *extack)
{
	struct nlattr *info, *data;
	struct ifinfomsg *ifi;
	struct nlmsghdr *nlh;
	int r;

	nlh = begin(buf, size, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, 0, &ifi);
	if (!nlh)
		return toobig(extack);
	r = put_link_attrs(nlh, size, ifi, a, extack);
	if (r < 0)
		return r;
	if (parent > 0 && !mnl_attr_put_u32_check(nlh, size, IFLA_LINK, (uint32_t)parent))
		return toobig(extack);
	info = mnl_attr_nest_start_check(nlh, size, IFLA_LINKINFO);
	if (!info || !mnl_attr_put_strz_check(nlh, size, IFLA_INFO_KIND, kind))
		return toobig(extack);
	data = mnl_attr_nest_start_check(nlh, size, IFLA_INFO_DATA);
	if (!data)
		return toobig(extack);
	*ret = nlh;
	*ret_info = info;
	*ret_data = data;
	return 0;
}

static void end_new_link(struct nlmsghdr *nlh, struct nlattr *info, struct nlattr *data)
{
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, info);
}

int nl_build_veth(void *buf, size_t size, const struct nl_link_attrs *local,
		  const struct nl_link_attrs *peer, struct nlmsghdr **ret,
		  struct nl_extack *extack)
{
	struct nlattr *info, *data, *nest;
	struct ifinfomsg *pifi;
	struct nlmsghdr *nlh;
	int r;

	/* The kernel opens the peer before pairing it with the local end, so
	 * it would fail with ENOTCONN; and it ignores a peer's master. */
	if (peer->up)
		return nl_extack_set(extack, -EINVAL, "a veth peer cannot be set up at creation "
				     "(set it up from its own namespace)");
	if (peer->master > 0)
		return nl_extack_set(extack, -EINVAL,
				     "a veth peer cannot join a bridge at creation");
	r = begin_new_link(buf, size, "veth", 0, local, &nlh, &info, &data, extack);
	if (r < 0)
		return r;
	/* VETH_INFO_PEER holds a whole ifinfomsg and the peer's attributes. */
	nest = mnl_attr_nest_start_check(nlh, size, VETH_INFO_PEER);
	if (!nest || nlh->nlmsg_len + MNL_ALIGN(sizeof(*pifi)) > size)
		return toobig(extack);
	pifi = mnl_nlmsg_get_payload_tail(nlh);
	memset(pifi, 0, MNL_ALIGN(sizeof(*pifi)));
	pifi->ifi_family = AF_UNSPEC;
	nlh->nlmsg_len += MNL_ALIGN(sizeof(*pifi));
	r = put_link_attrs(nlh, size, pifi, peer, extack);
	if (r < 0)
		return r;
	mnl_attr_nest_end(nlh, nest);
	end_new_link(nlh, info, data);
	*ret = nlh;
	return 0;
}

int nl_build_macvlan(void *buf, size_t size, int parent, const struct nl_link_attrs *attrs,
		     struct nlmsghdr **ret, struct nl_extack *extack)
{
	struct nlattr *info, *data;
	struct nlmsghdr *nlh;
	int r;

	if (parent <= 0)
		return nl_extack_set(extack, -EINVAL, "a macvlan needs a parent link");
	r = begin_new_link(buf, size, "macvlan", parent, attrs, &nlh, &info, &data, extack);
	if (r < 0)
		return r;
	if (!mnl_attr_put_u32_check(nlh, size, IFLA_MACVLAN_MODE, MACVLAN_MODE_BRIDGE))
		return toobig(extack);
	end_new_link(nlh, info, data);
	*ret = nlh;
	return 0;
}

int nl_build_vlan(void *buf, size_t size, int parent, uint16_t vlan_id,
		  const struct nl_link_attrs *attrs, struct nlmsghdr **ret,
		  struct nl_extack *extack)
{
	struct nlattr *info, *data;
	struct nlmsghdr *nlh;
	int r;

	if (parent <= 0)
		return nl_extack_set(extack, -EINVAL, "a VLAN device needs a parent link");
	if (vlan_id < 1 || vlan_id > 4094)
		return nl_extack_set(extack, -EINVAL, "VLAN id %u is not within 1..4094",
				     (unsigned)vlan_id);
	r = begin_new_link(buf, size, "vlan", parent, attrs, &nlh, &info, &data, extack);
	if (r < 0)
		return r;
	if (!mnl_attr_put_u16_check(nlh, size, IFLA_VLAN_ID, vlan_id))
		return toobig(extack);
	end_new_link(nlh, info, data);
	*ret = nlh;
	return 0;
}

int nl_build_bridge(void *buf, size_t size, const struct nl_link_attrs *attrs,
		    struct nlmsghdr **ret, struct nl_extack *extack)
{
	struct nlattr *info, *data;
	struct nlmsghdr *nlh;
	int r;

	r = begin_new_link(buf, size, "bridge", 0, attrs, &nlh, &info, &data, extack);
	if (r < 0)
		return r;
	end_new_link(nlh, info, data);
	*ret = nlh;
	return 0;
}

int nl_build_link_change(void *buf, size_t size, int ifindex, const struct nl_link_change *c,
			 struct nlmsghdr **ret, struct nl_extack *extack)
{
	struct ifinfomsg *ifi;
	struct nlmsghdr *nlh;
	int r;

	if (ifindex <= 0)
		return nl_extack_set(extack, -EINVAL, "no interface index");
	nlh = begin(buf, size, RTM_NEWLINK, 0, ifindex, &ifi);
	if (!nlh)
		return toobig(extack);
	if (c->name) {
		r = nl_ifname_check(c->name, extack);
		if (r < 0)
			return r;
		if (!mnl_attr_put_strz_check(nlh, size, IFLA_IFNAME, c->name))
			return toobig(extack);
	}
	if ((c->mac && !mnl_attr_put_check(nlh, size, IFLA_ADDRESS, NL_MAC_LEN, c->mac)) ||
	    (c->mtu && !mnl_attr_put_u32_check(nlh, size, IFLA_MTU, c->mtu)) ||
	    (c->master && !mnl_attr_put_u32_check(nlh, size, IFLA_MASTER,
						  c->master > 0 ? (uint32_t)c->master : 0)))
		return toobig(extack);
	if (c->alias) {
		if (strlen(c->alias) >= NL_ALIAS_SIZE)
			return nl_extack_set(extack, -EINVAL, "an alias is at most %d characters",
					     NL_ALIAS_SIZE - 1);
		/* Not NUL-terminated: the kernel takes the payload's length, and
		 * an empty one removes the alias. */
		if (!mnl_attr_put_check(nlh, size, IFLA_IFALIAS, strlen(c->alias), c->alias))
			return toobig(extack);
	}
	if (c->up) {
		ifi->ifi_change = IFF_UP;
		ifi->ifi_flags = c->up > 0 ? IFF_UP : 0;
	}
	*ret = nlh;
	return 0;
}

int nl_build_link_delete(void *buf, size_t size, int ifindex, struct nlmsghdr **ret)
{
	struct ifinfomsg *ifi;
	struct nlmsghdr *nlh;

	if (ifindex <= 0)
		return -EINVAL;
	nlh = begin(buf, size, RTM_DELLINK, 0, ifindex, &ifi);
	if (!nlh)
		return -EMSGSIZE;
	*ret = nlh;
	return 0;
}

int nl_build_link_get(void *buf, size_t size, const char *name, int ifindex, bool dump,
		      struct nlmsghdr **ret, struct nl_extack *extack)
{
	struct ifinfomsg *ifi;
	struct nlmsghdr *nlh;
	int r;

	nlh = begin(buf, size, RTM_GETLINK, 0, name || dump ? 0 : ifindex, &ifi);
	if (!nlh)
		return toobig(extack);
	if (name && !dump) {
		r = nl_ifname_check(name, extack);
		if (r < 0)
			return r;
		if (!mnl_attr_put_strz_check(nlh, size, IFLA_IFNAME, name))
			return toobig(extack);
	}
	/* Statistics are most of a link message, and nobody here reads them. */
	if (!mnl_attr_put_u32_check(nlh, size, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS))
		return toobig(extack);
	*ret = nlh;
	return 0;
}

static int link_info_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;

	if (mnl_attr_get_type(attr) == IFLA_INFO_KIND) {
		if (mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) < 0)
			return MNL_CB_ERROR;
		tb[IFLA_INFO_KIND] = attr;
	}
	return MNL_CB_OK;
}

static int link_attr_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;
	uint16_t type = mnl_attr_get_type(attr);
	int ok = 0;

	switch (type) {
	case IFLA_IFNAME:
	case IFLA_IFALIAS:
		ok = mnl_attr_validate(attr, MNL_TYPE_NUL_STRING);
		break;
	case IFLA_MTU:
	case IFLA_MASTER:
	case IFLA_LINK:
		ok = mnl_attr_validate(attr, MNL_TYPE_U32);
		break;
	case IFLA_OPERSTATE:
		ok = mnl_attr_validate(attr, MNL_TYPE_U8);
		break;
	case IFLA_LINKINFO:
		ok = mnl_attr_validate(attr, MNL_TYPE_NESTED);
		break;
	case IFLA_ADDRESS:
		break;
	default:
		return MNL_CB_OK;
	}
	if (ok < 0)
		return MNL_CB_ERROR;
	tb[type] = attr;
	return MNL_CB_OK;
}

int nl_parse_link(const struct nlmsghdr *nlh, struct nl_link *ret)
{
	const struct nlattr *tb[IFLA_MAX + 1] = { 0 }, *info[IFLA_INFO_MAX + 1] = { 0 };
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
	struct nl_link l = { 0 };

	if (nlh->nlmsg_type != RTM_NEWLINK || mnl_nlmsg_get_payload_len(nlh) < sizeof(*ifi))
		return -EPROTO;
	if (mnl_attr_parse(nlh, sizeof(*ifi), link_attr_cb, tb) < 0)
		return -EPROTO;
	l.ifindex = ifi->ifi_index;
	l.flags = ifi->ifi_flags;
	if (tb[IFLA_IFNAME])
		(void)util_strlcpy(l.name, mnl_attr_get_str(tb[IFLA_IFNAME]), sizeof(l.name));
	if (tb[IFLA_ADDRESS] && mnl_attr_get_payload_len(tb[IFLA_ADDRESS]) == NL_MAC_LEN) {
		memcpy(l.mac, mnl_attr_get_payload(tb[IFLA_ADDRESS]), NL_MAC_LEN);
		l.has_mac = true;
	}
	if (tb[IFLA_MTU])
		l.mtu = mnl_attr_get_u32(tb[IFLA_MTU]);
	if (tb[IFLA_MASTER])
		l.master = (int)mnl_attr_get_u32(tb[IFLA_MASTER]);
	if (tb[IFLA_LINK])
		l.link = (int)mnl_attr_get_u32(tb[IFLA_LINK]);
	if (tb[IFLA_OPERSTATE])
		l.operstate = mnl_attr_get_u8(tb[IFLA_OPERSTATE]);
	if (tb[IFLA_IFALIAS])
		(void)util_strlcpy(l.alias, mnl_attr_get_str(tb[IFLA_IFALIAS]), sizeof(l.alias));
	if (tb[IFLA_LINKINFO]) {
		if (mnl_attr_parse_nested(tb[IFLA_LINKINFO], link_info_cb, info) < 0)
			return -EPROTO;
		if (info[IFLA_INFO_KIND])
			(void)util_strlcpy(l.kind, mnl_attr_get_str(info[IFLA_INFO_KIND]),
					   sizeof(l.kind));
	}
	*ret = l;
	return 0;
}

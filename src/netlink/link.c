/* Link operations: one request each, built in a stack buffer. */
#include "netlink/msg.h"

#include <errno.h>
#include <linux/rtnetlink.h>
#include <stdlib.h>

int nl_veth_create(struct nl_sock *s, const struct nl_link_attrs *local,
		   const struct nl_link_attrs *peer, struct nl_extack *extack)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	int r = nl_build_veth(buf, sizeof(buf), local, peer, &nlh, extack);

	return r < 0 ? r : nl_talk(s, nlh, NULL, NULL, extack);
}

int nl_macvlan_create(struct nl_sock *s, int parent, const struct nl_link_attrs *attrs,
		      struct nl_extack *extack)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	int r = nl_build_macvlan(buf, sizeof(buf), parent, attrs, &nlh, extack);

	return r < 0 ? r : nl_talk(s, nlh, NULL, NULL, extack);
}

int nl_vlan_create(struct nl_sock *s, int parent, uint16_t vlan_id,
		   const struct nl_link_attrs *attrs, struct nl_extack *extack)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	int r = nl_build_vlan(buf, sizeof(buf), parent, vlan_id, attrs, &nlh, extack);

	return r < 0 ? r : nl_talk(s, nlh, NULL, NULL, extack);
}

int nl_bridge_create(struct nl_sock *s, const struct nl_link_attrs *attrs,
		     struct nl_extack *extack)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	int r = nl_build_bridge(buf, sizeof(buf), attrs, &nlh, extack);

	return r < 0 ? r : nl_talk(s, nlh, NULL, NULL, extack);
}

int nl_link_change(struct nl_sock *s, int ifindex, const struct nl_link_change *c,
		   struct nl_extack *extack)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	int r = nl_build_link_change(buf, sizeof(buf), ifindex, c, &nlh, extack);

	return r < 0 ? r : nl_talk(s, nlh, NULL, NULL, extack);
}

int nl_link_set_master(struct nl_sock *s, int ifindex, int master, struct nl_extack *extack)
{
	struct nl_link_change c = { .master = master > 0 ? master : -1 };

	return nl_link_change(s, ifindex, &c, extack);
}

int nl_link_set_up(struct nl_sock *s, int ifindex, bool up, struct nl_extack *extack)
{
	struct nl_link_change c = { .up = up ? 1 : -1 };

	return nl_link_change(s, ifindex, &c, extack);
}

int nl_link_set_mac(struct nl_sock *s, int ifindex, const uint8_t *mac, struct nl_extack *extack)
{
	struct nl_link_change c = { .mac = mac };

	if (!mac)
		return nl_extack_set(extack, -EINVAL, "no MAC address given");
	return nl_link_change(s, ifindex, &c, extack);
}

int nl_link_set_mtu(struct nl_sock *s, int ifindex, uint32_t mtu, struct nl_extack *extack)
{
	struct nl_link_change c = { .mtu = mtu };

	if (!mtu)
		return nl_extack_set(extack, -EINVAL, "MTU 0 is not valid");
	return nl_link_change(s, ifindex, &c, extack);
}

int nl_link_set_name(struct nl_sock *s, int ifindex, const char *name, struct nl_extack *extack)
{
	struct nl_link_change c = { .name = name };

	if (!name)
		return nl_extack_set(extack, -EINVAL, "no name given");
	return nl_link_change(s, ifindex, &c, extack);
}

int nl_link_set_alias(struct nl_sock *s, int ifindex, const char *alias,
		      struct nl_extack *extack)
{
	struct nl_link_change c = { .alias = alias };

	if (!alias)
		return nl_extack_set(extack, -EINVAL, "no alias given");
	return nl_link_change(s, ifindex, &c, extack);
}

int nl_link_delete(struct nl_sock *s, int ifindex, struct nl_extack *extack)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	int r = nl_build_link_delete(buf, sizeof(buf), ifindex, &nlh);

	if (r < 0)
		return nl_extack_set(extack, r, "no interface index");
	return nl_talk(s, nlh, NULL, NULL, extack);
}

struct one_link {
	struct nl_link link;
	bool found;
};

static int one_link_cb(const struct nlmsghdr *nlh, void *data)
{
	struct one_link *o = data;

	if (o->found)
		return -EPROTO;  /* one answer was asked for */
	o->found = true;
	return nl_parse_link(nlh, &o->link);
}

static int link_get(struct nl_sock *s, const char *name, int ifindex, struct nl_link *ret)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct one_link o = { .found = false };
	struct nlmsghdr *nlh;
	int r;

	r = nl_build_link_get(buf, sizeof(buf), name, ifindex, false, &nlh, NULL);
	if (r < 0)
		return r;
	r = nl_talk(s, nlh, one_link_cb, &o, NULL);
	if (r < 0)
		return r;
	if (!o.found)
		return -ENODEV;
	*ret = o.link;
	return 0;
}

int nl_link_get_by_name(struct nl_sock *s, const char *name, struct nl_link *ret)
{
	return link_get(s, name, 0, ret);
}

int nl_link_get_by_index(struct nl_sock *s, int ifindex, struct nl_link *ret)
{
	if (ifindex <= 0)
		return -EINVAL;
	return link_get(s, NULL, ifindex, ret);
}

int nl_link_index(struct nl_sock *s, const char *name, int *ret_ifindex)
{
	struct nl_link l;
	int r = nl_link_get_by_name(s, name, &l);

	if (r < 0)
		return r;
	*ret_ifindex = l.ifindex;
	return 0;
}

static int list_link_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nl_link *l = nl_list_add(data);

	if (!l)
		return -E2BIG;
	return nl_parse_link(nlh, l);
}

int nl_link_list(struct nl_sock *s, struct nl_link **ret, size_t *ret_n)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nl_list list = { .item_size = sizeof(struct nl_link) };
	struct nlmsghdr *nlh;
	int r;

	r = nl_build_link_get(buf, sizeof(buf), NULL, 0, true, &nlh, NULL);
	if (r < 0)
		goto out;
	r = nl_dump(s, nlh, list_link_cb, nl_list_reset, &list);
	if (r < 0)
		goto out;
	*ret = list.items;
	*ret_n = list.n;
	list.items = NULL;
out:
	free(list.items);
	return r;
}

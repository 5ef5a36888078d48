/* Internal to src/netlink and its unit tests: requests built into caller
 * buffers and replies read back, without a socket.
 *
 * Builders write one complete request into `buf` (at most `size` bytes,
 * never more) and set *ret to it; they return -EMSGSIZE when it does not
 * fit and -EINVAL, with the reason in `extack` (may be NULL), for invalid
 * input.  The sequence number is left for nl_talk to set. */
#ifndef SF_NETLINK_MSG_H
#define SF_NETLINK_MSG_H

#include <libmnl/libmnl.h>
#include <sys/socket.h>

#include "netlink/nl.h"

/* The size of an address of `family`, 0 if neither IPv4 nor IPv6. */
static inline size_t nl_ip_len(int family)
{
	return family == AF_INET ? sizeof(struct in_addr) :
	       family == AF_INET6 ? sizeof(struct in6_addr) : 0;
}

/* Whether a received message, its padding included, fits in the `len`
 * bytes left.  mnl_nlmsg_ok() falls short twice: it compares nlmsg_len as
 * an int, so that a length of 2 GiB or more passes as negative, and it lets
 * the last message's padding lie past the end, where libmnl's attribute
 * walk (up to mnl_nlmsg_get_payload_tail) still reads. */
static inline bool nl_msg_ok(const struct nlmsghdr *nlh, int len)
{
	return mnl_nlmsg_ok(nlh, len) && nlh->nlmsg_len <= (unsigned)len &&
	       MNL_ALIGN(nlh->nlmsg_len) <= (unsigned)len;
}

/* How many times an interrupted dump is redone. */
#define NL_DUMP_ATTEMPTS 5

int nl_build_veth(void *buf, size_t size, const struct nl_link_attrs *local,
		  const struct nl_link_attrs *peer, struct nlmsghdr **ret,
		  struct nl_extack *extack) MUST_CHECK;
int nl_build_macvlan(void *buf, size_t size, int parent, const struct nl_link_attrs *attrs,
		     struct nlmsghdr **ret, struct nl_extack *extack) MUST_CHECK;
int nl_build_vlan(void *buf, size_t size, int parent, uint16_t vlan_id,
		  const struct nl_link_attrs *attrs, struct nlmsghdr **ret,
		  struct nl_extack *extack) MUST_CHECK;
int nl_build_bridge(void *buf, size_t size, const struct nl_link_attrs *attrs,
		    struct nlmsghdr **ret, struct nl_extack *extack) MUST_CHECK;
int nl_build_link_change(void *buf, size_t size, int ifindex, const struct nl_link_change *c,
			 struct nlmsghdr **ret, struct nl_extack *extack) MUST_CHECK;
int nl_build_link_delete(void *buf, size_t size, int ifindex, struct nlmsghdr **ret) MUST_CHECK;
/* RTM_GETLINK for `name` (if not NULL) or `ifindex`, or a dump of all. */
int nl_build_link_get(void *buf, size_t size, const char *name, int ifindex, bool dump,
		      struct nlmsghdr **ret, struct nl_extack *extack) MUST_CHECK;
int nl_build_addr_add(void *buf, size_t size, int ifindex, int family, const union nl_ip *ip,
		      unsigned prefixlen, struct nlmsghdr **ret, struct nl_extack *extack) MUST_CHECK;
int nl_build_addr_del(void *buf, size_t size, int ifindex, int family, const union nl_ip *ip,
		      unsigned prefixlen, struct nlmsghdr **ret, struct nl_extack *extack) MUST_CHECK;
/* RTM_NEWRULE (add) or RTM_DELRULE. */
int nl_build_rule(void *buf, size_t size, bool add, const struct nl_rule *rule,
		  struct nlmsghdr **ret, struct nl_extack *extack) MUST_CHECK;
int nl_build_route_add(void *buf, size_t size, const struct nl_route *r, struct nlmsghdr **ret,
		       struct nl_extack *extack) MUST_CHECK;

/* Checks a link name the way the kernel will (dev_valid_name): 0 or
 * -EINVAL with the reason in extack. */
int nl_ifname_check(const char *name, struct nl_extack *extack) MUST_CHECK;

/* Reply readers: 0, or -EPROTO for a malformed or unexpected message. */
int nl_parse_link(const struct nlmsghdr *nlh, struct nl_link *ret) MUST_CHECK;
int nl_parse_addr(const struct nlmsghdr *nlh, struct nl_addr *ret) MUST_CHECK;
int nl_parse_route(const struct nlmsghdr *nlh, struct nl_route *ret) MUST_CHECK;
/* An NLMSG_ERROR message: returns its error (0 for an ACK, -errno, or
 * -EPROTO if malformed) and copies the extended-ack message to extack. */
int nl_parse_error(const struct nlmsghdr *nlh, struct nl_extack *extack);

/* Sets extack->msg (if extack) and returns r. */
int nl_extack_set(struct nl_extack *extack, int r, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* A growing array of fixed-size items for dumps, capped: beyond
 * NL_LIST_MAX items the dump fails with -E2BIG. */
#define NL_LIST_MAX 65536
struct nl_list {
	void *items;
	size_t n, cap, item_size;
};
/* A new zeroed slot, or NULL when full or out of memory. */
void *nl_list_add(struct nl_list *l);
void nl_list_reset(void *l);

#endif

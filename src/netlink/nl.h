/* The rtnetlink library: every interface, address and route the daemon
 * makes goes through here, over libmnl.
 *
 * A struct nl_sock is a NETLINK_ROUTE socket that lives in the network
 * namespace it was opened in (netns_nl_open opens one in another namespace)
 * and acts there.  It is not thread-safe: one socket per thread.
 *
 * Every call is one request and returns 0 or a negative errno.  Mutating
 * requests carry NLM_F_ACK and wait for the kernel's answer.  When `extack`
 * is not NULL it is emptied on entry and, on failure, holds the kernel's
 * extended-ack message ("" if the kernel gave none), or our own reason when
 * the request was refused before it was sent (an invalid name, say). */
#ifndef SF_NETLINK_NL_H
#define SF_NETLINK_NL_H

#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/util.h"

#define NL_EXTACK_SIZE 256
#define NL_MAC_LEN 6
#define NL_ALIAS_SIZE 256         /* IFALIASZ: an alias of up to 255 characters */

struct nl_extack {
	char msg[NL_EXTACK_SIZE];
};

struct nl_sock;

/* Opens a socket in the calling thread's network namespace. */
int nl_sock_new(struct nl_sock **ret) MUST_CHECK;
void nl_sock_free(struct nl_sock *s);

/* Low level, for requests this header has no function for.  `req` is a
 * complete request in a caller buffer; these set its sequence number and
 * NLM_F_REQUEST | NLM_F_ACK (nl_dump: NLM_F_DUMP instead of NLM_F_ACK).
 * `cb` (may be NULL) sees every reply message but the final ACK or DONE;
 * a negative return from it becomes the call's result (the replies are
 * still drained, so the socket stays in step). */
struct nlmsghdr;
typedef int (*nl_msg_cb)(const struct nlmsghdr *nlh, void *data);
int nl_talk(struct nl_sock *s, struct nlmsghdr *req, nl_msg_cb cb, void *data,
	    struct nl_extack *extack) MUST_CHECK;
/* A dump; if the kernel flags it interrupted (NLM_F_DUMP_INTR), `reset`
 * (may be NULL) is called and the dump is redone, up to 5 times, then
 * -EAGAIN. */
int nl_dump(struct nl_sock *s, struct nlmsghdr *req, nl_msg_cb cb, void (*reset)(void *data),
	    void *data) MUST_CHECK;

/* An address of either family: `family` says which member is meant. */
union nl_ip {
	struct in_addr v4;
	struct in6_addr v6;
	uint8_t bytes[16];
};

/* What to give a link when creating it.  Zero means "not set" for every
 * field, so `{ .name = "x" }` is a plain link: netns_fd 0 is never a
 * namespace (fd 0 is stdin). */
struct nl_link_attrs {
	const char *name;         /* required; at most IFNAMSIZ - 1 characters */
	const uint8_t *mac;       /* NL_MAC_LEN bytes; NULL: the kernel picks */
	uint32_t mtu;             /* 0: the kernel's default */
	int netns_fd;             /* > 0: create the link in that namespace */
	int master;               /* > 0: join this bridge (ifindex) at creation */
	bool up;                  /* set IFF_UP at creation */
};

/* A veth pair: `local` in the socket's namespace (or local->netns_fd), its
 * `peer` created directly where peer->netns_fd says (relative to the
 * socket's namespace), so nothing is ever moved.  One request: the name,
 * MAC and MTU of both ends, the local end's master and up state included.
 * The peer can neither join a bridge nor be set up at creation (the kernel
 * opens it before it is paired, which fails with ENOTCONN): peer->master
 * and peer->up are refused with -EINVAL; set the peer up from a socket in
 * its namespace, with its addresses. */
int nl_veth_create(struct nl_sock *s, const struct nl_link_attrs *local,
		   const struct nl_link_attrs *peer, struct nl_extack *extack) MUST_CHECK;
/* A macvlan in bridge mode on `parent` (an ifindex in the socket's
 * namespace), created where attrs->netns_fd says. */
int nl_macvlan_create(struct nl_sock *s, int parent, const struct nl_link_attrs *attrs,
		      struct nl_extack *extack) MUST_CHECK;
/* An 802.1Q device with id `vlan_id` (1..4094) on `parent`.  -EOPNOTSUPP
 * when the kernel has no 802.1Q support. */
int nl_vlan_create(struct nl_sock *s, int parent, uint16_t vlan_id,
		   const struct nl_link_attrs *attrs, struct nl_extack *extack) MUST_CHECK;
/* A Linux bridge. */
int nl_bridge_create(struct nl_sock *s, const struct nl_link_attrs *attrs,
		     struct nl_extack *extack) MUST_CHECK;

/* Changes to an existing link, all in one request.  Fields left zero (or
 * NULL) are not changed; master -1 leaves the bridge, up -1 sets down. */
struct nl_link_change {
	const char *name;         /* rename */
	const uint8_t *mac;
	uint32_t mtu;
	int master;               /* > 0 enslave, -1 release, 0 unchanged */
	int up;                   /* 1 up, -1 down, 0 unchanged */
	const char *alias;        /* IFLA_IFALIAS; "" removes it */
};
int nl_link_change(struct nl_sock *s, int ifindex, const struct nl_link_change *c,
		   struct nl_extack *extack) MUST_CHECK;
int nl_link_set_master(struct nl_sock *s, int ifindex, int master,
		       struct nl_extack *extack) MUST_CHECK;
int nl_link_set_up(struct nl_sock *s, int ifindex, bool up, struct nl_extack *extack) MUST_CHECK;
int nl_link_set_mac(struct nl_sock *s, int ifindex, const uint8_t *mac,
		    struct nl_extack *extack) MUST_CHECK;
int nl_link_set_mtu(struct nl_sock *s, int ifindex, uint32_t mtu,
		    struct nl_extack *extack) MUST_CHECK;
int nl_link_set_name(struct nl_sock *s, int ifindex, const char *name,
		     struct nl_extack *extack) MUST_CHECK;
/* The kernel ignores IFLA_IFALIAS in a create: an alias is set afterwards. */
int nl_link_set_alias(struct nl_sock *s, int ifindex, const char *alias,
		      struct nl_extack *extack) MUST_CHECK;
/* Transmit checksums, TSO and GSO off on `ifname` (in the caller's
 * namespace): what leaves through it is checksummed and segmented in
 * software first, for a reader that passes frames on as it finds them
 * (Open vSwitch's userspace datapath reading a veth with AF_PACKET).
 * -ENODEV when there is no such link. */
int nl_link_offloads_off(const char *ifname) MUST_CHECK;
/* Deleting a veth deletes its peer too.  -ENODEV when there is no such link. */
int nl_link_delete(struct nl_sock *s, int ifindex, struct nl_extack *extack) MUST_CHECK;

/* What the kernel says about a link. */
struct nl_link {
	int ifindex;
	char name[IFNAMSIZ];
	char kind[32];            /* "veth", "bridge", ...; "" for none (lo, ...) */
	uint8_t mac[NL_MAC_LEN];
	bool has_mac;
	uint32_t mtu;
	unsigned flags;           /* IFF_UP, IFF_LOWER_UP, ... */
	int master;               /* 0: none */
	int link;                 /* IFLA_LINK: parent or veth peer ifindex; 0: none */
	int operstate;            /* IF_OPER_* */
	char alias[NL_ALIAS_SIZE];   /* IFLA_IFALIAS; "" for none */
};

/* -ENODEV when there is no link of that name (or index). */
int nl_link_get_by_name(struct nl_sock *s, const char *name, struct nl_link *ret) MUST_CHECK;
int nl_link_get_by_index(struct nl_sock *s, int ifindex, struct nl_link *ret) MUST_CHECK;
int nl_link_index(struct nl_sock *s, const char *name, int *ret_ifindex) MUST_CHECK;
/* All links of the namespace; *ret is an array of *ret_n links (free()).
 * A dump that the kernel flags as interrupted (the set of links changed
 * meanwhile) is retried, up to 5 times, then -EAGAIN. */
int nl_link_list(struct nl_sock *s, struct nl_link **ret, size_t *ret_n) MUST_CHECK;

/* Adds `ip`/`prefixlen` on `ifindex`.  IPv6 addresses get IFA_F_NODAD: they
 * are usable at once, with no duplicate address detection wait.  IPv4
 * addresses get the broadcast address of their prefix. */
int nl_addr_add(struct nl_sock *s, int ifindex, int family, const union nl_ip *ip,
		unsigned prefixlen, struct nl_extack *extack) MUST_CHECK;

/* Removes `ip`/`prefixlen` from `ifindex`; -EADDRNOTAVAIL when it is not there. */
int nl_addr_del(struct nl_sock *s, int ifindex, int family, const union nl_ip *ip,
		unsigned prefixlen, struct nl_extack *extack) MUST_CHECK;
struct nl_addr {
	int ifindex;
	int family;
	union nl_ip ip;           /* IFA_LOCAL for IPv4 if present, else IFA_ADDRESS */
	unsigned prefixlen;
	uint32_t flags;           /* IFA_F_*: IFA_F_TENTATIVE, IFA_F_NODAD, ... */
	unsigned scope;
};
/* Addresses of `family` (AF_UNSPEC: both) on `ifindex` (0: all links);
 * *ret is an array of *ret_n (free()).  Retried like nl_link_list. */
int nl_addr_list(struct nl_sock *s, int ifindex, int family, struct nl_addr **ret,
		 size_t *ret_n) MUST_CHECK;

/* A route; the same struct for adding and listing. */
struct nl_route {
	int family;               /* AF_INET or AF_INET6 */
	union nl_ip dst;
	unsigned dst_len;         /* 0: the default route */
	union nl_ip gw;
	bool has_gw;              /* false: an on-link route (scope link) */
	bool onlink;              /* RTNH_F_ONLINK: gateway on the link, subnet or not */
	int oif;                  /* output ifindex; required for adding */
	uint32_t table;           /* 0: main */
	uint32_t priority;        /* metric; 0: none */
	bool unreachable;         /* adding: RTN_UNREACHABLE, no gateway, no oif */
	unsigned scope;           /* listing only */
	unsigned protocol;        /* listing only */
};
int nl_route_add(struct nl_sock *s, const struct nl_route *r, struct nl_extack *extack) MUST_CHECK;
/* A policy routing rule: what comes from src/src_len looks up `table`
 * first (as `ip rule add from SRC lookup TABLE priority PRIORITY`). */
struct nl_rule {
	int family;
	union nl_ip src;
	unsigned src_len;         /* 0: from anywhere */
	uint32_t table;           /* required */
	uint32_t priority;        /* required: below 32766, main's */
};
/* Idempotent: 0 when the same rule is there already (add) or gone (del). */
int nl_rule_add(struct nl_sock *s, const struct nl_rule *rule, struct nl_extack *extack) MUST_CHECK;
int nl_rule_del(struct nl_sock *s, const struct nl_rule *rule, struct nl_extack *extack) MUST_CHECK;
/* Routes of `family` in the main table; *ret is an array (free()). */
int nl_route_list(struct nl_sock *s, int family, struct nl_route **ret, size_t *ret_n) MUST_CHECK;

#endif

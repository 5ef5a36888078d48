/* Netlink steps that fail the cmocka test on error, for tests that build
 * links in namespaces of their own (tests/integration/it_netlink.c,
 * tests/guest/vlan_dataplane.c).  The kernel's extended ack is in the
 * failure message. */
#ifndef SF_TESTS_LIB_NL_ASSERT_H
#define SF_TESTS_LIB_NL_ASSERT_H

#include "netlink/nl.h"

/* Fails the test with `what`, errno's text and the kernel's words when
 * r < 0. */
void nlt_must(int r, const struct nl_extack *ext, const char *what);
/* The ifindex of `name`; fails the test when there is none. */
int nlt_index_of(struct nl_sock *s, const char *name);
/* `text` parsed as an address of `family`; fails the test when it is not. */
union nl_ip nlt_ip_of(int family, const char *text);
/* Adds the IPv4 address `text`/`len` to `ifindex`. */
void nlt_add_ip4(struct nl_sock *s, int ifindex, const char *text, unsigned len);
/* Sets `name` up. */
void nlt_up(struct nl_sock *s, const char *name);

#endif

/* Netlink steps that fail the test (nl_assert.h). */
#include "nl_assert.h"

#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

void nlt_must(int r, const struct nl_extack *ext, const char *what)
{
	if (r < 0)
		fail_msg("%s: %s (kernel: '%s')", what, strerror(-r), ext ? ext->msg : "");
}

int nlt_index_of(struct nl_sock *s, const char *name)
{
	int ifindex = 0;

	nlt_must(nl_link_index(s, name, &ifindex), NULL, name);
	return ifindex;
}

union nl_ip nlt_ip_of(int family, const char *text)
{
	union nl_ip ip = { .bytes = { 0 } };

	assert_int_equal(inet_pton(family, text, &ip), 1);
	return ip;
}

void nlt_add_ip4(struct nl_sock *s, int ifindex, const char *text, unsigned len)
{
	union nl_ip ip = nlt_ip_of(AF_INET, text);
	struct nl_extack ext;

	nlt_must(nl_addr_add(s, ifindex, AF_INET, &ip, len, &ext), &ext, text);
}

void nlt_up(struct nl_sock *s, const char *name)
{
	struct nl_extack ext;

	nlt_must(nl_link_set_up(s, nlt_index_of(s, name), true, &ext), &ext, name);
}

/* The rtnetlink reply readers (src/netlink/msg.h) and the receive loop that
 * feeds them (nl.c: read_replies), on replies that the input makes up.
 *
 * The input is one byte choosing the request, then the datagrams the
 * "kernel" answers with, each as a 16-bit little-endian length and that
 * many bytes.  The libmnl stub of tests/lib/mnl_stub.h hands them out,
 * so that nl_link_list() and friends run unchanged: a message's sequence
 * number in the input is XORed with the request's (0 means "the reply to
 * this request", anything else a stale one), and the part of the receive
 * buffer past a datagram is poisoned, so that ASan sees a read past the
 * datagram as it would past a short buffer.
 *
 * Every message of every datagram (walked with nl_msg_ok, as the receive
 * loop does) is also given to each reader alone, in a block of exactly its
 * length and padding (libmnl reads a message up to its aligned end). */
#include "fuzz.h"

#include <linux/rtnetlink.h>

#include "mnl_stub.h"

#include "netlink/msg.h"

static void check_errno(int r)
{
	FUZZ_CHECK(r <= 0 && r >= -4095);
}

/* Each reader on each message, alone in a block of its exact length. */
static void parse_each(const uint8_t *data, size_t size)
{
	const uint8_t *dgram;
	size_t len;

	while (mnl_stub_next_datagram(&data, &size, &dgram, &len)) {
		const struct nlmsghdr *nlh = (const void *)dgram;
		uint8_t *aligned = malloc(len ? len : 1);
		int left = (int)len;

		/* The receive buffer is aligned; the input need not be. */
		FUZZ_CHECK(aligned);
		memcpy(aligned, dgram, len);
		for (nlh = (const void *)aligned; nl_msg_ok(nlh, left);
		     nlh = mnl_nlmsg_next(nlh, &left)) {
			size_t n = MNL_ALIGN(nlh->nlmsg_len);
			struct nlmsghdr *copy = malloc(n);
			struct nl_extack extack = { .msg = "" };
			struct nl_link link;
			struct nl_addr addr;
			struct nl_route route;

			FUZZ_CHECK(copy);
			memcpy(copy, nlh, n);
			if (nl_parse_link(copy, &link) == 0)
				FUZZ_CHECK(memchr(link.name, '\0', sizeof(link.name)) &&
					   memchr(link.kind, '\0', sizeof(link.kind)));
			if (nl_parse_addr(copy, &addr) == 0)
				FUZZ_CHECK(addr.family == AF_INET || addr.family == AF_INET6);
			if (nl_parse_route(copy, &route) == 0)
				FUZZ_CHECK(route.family == AF_INET || route.family == AF_INET6);
			check_errno(nl_parse_error(copy, &extack));
			FUZZ_CHECK(memchr(extack.msg, '\0', sizeof(extack.msg)));
			free(copy);
		}
		free(aligned);
	}
}

/* One request over the fake socket, answered by the input's datagrams. */
static void talk(uint8_t op)
{
	struct nl_extack extack = { .msg = "" };
	struct nl_sock *s = NULL;
	struct nl_link *links = NULL, link;
	struct nl_addr *addrs = NULL;
	struct nl_route *routes = NULL;
	size_t n = 0;
	int r;

	FUZZ_CHECK(nl_sock_new(&s) == 0);
	switch (op % 6) {
	case 0:
		r = nl_link_list(s, &links, &n);
		break;
	case 1:
		r = nl_addr_list(s, 0, AF_UNSPEC, &addrs, &n);
		break;
	case 2:
		r = nl_route_list(s, AF_INET, &routes, &n);
		if (r == 0)
			for (size_t i = 0; i < n; i++)
				FUZZ_CHECK(routes[i].table == RT_TABLE_MAIN);
		break;
	case 3:
		r = nl_link_get_by_index(s, 1, &link);
		break;
	case 4:
		r = nl_link_set_up(s, 1, true, &extack);
		FUZZ_CHECK(memchr(extack.msg, '\0', sizeof(extack.msg)));
		break;
	default:
		r = nl_link_get_by_name(s, "eth0", &link);
		break;
	}
	check_errno(r);
	FUZZ_CHECK(r == 0 || (!links && !addrs && !routes));
	free(links);
	free(addrs);
	free(routes);
	nl_sock_free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	mnl_stub_reset();
	mnl_stub_feed(data + 1, size - 1);
	talk(data[0]);
	parse_each(data + 1, size - 1);
	return 0;
}

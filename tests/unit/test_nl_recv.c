/* The netlink receive loop (nl.c) on replies made up here, over the libmnl
 * stub of tests/lib/mnl_stub.h: a request goes nowhere and the "kernel"
 * answers with the datagrams a test queues, a read past a datagram is an
 * error under ASan (make SAN=1) even within the receive buffer. */
#include <errno.h>
#include <linux/rtnetlink.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mnl_stub.h"

#include "netlink/msg.h"

static int setup(void **state)
{
	mnl_stub_reset();
	return 0;
}

static void test_ack_and_error(void **state)
{
	struct nl_extack extack;
	struct nl_sock *s;

	assert_int_equal(nl_sock_new(&s), 0);
	mnl_stub_queue_ack(0);
	assert_int_equal(nl_link_set_up(s, 1, true, &extack), 0);
	mnl_stub_queue_ack(-EPERM);
	assert_int_equal(nl_link_set_up(s, 1, true, &extack), -EPERM);
	/* Nothing at all: the socket's timeout, not a hang. */
	assert_int_equal(nl_link_set_up(s, 1, true, &extack), -EAGAIN);
	nl_sock_free(s);
}

static void test_dump(void **state)
{
	struct ifinfomsg ifi = { .ifi_index = 3 };
	struct nl_link *links = NULL;
	struct nl_sock *s;
	size_t n = 0;
	int zero = 0;

	assert_int_equal(nl_sock_new(&s), 0);
	mnl_stub_queue(RTM_NEWLINK, NLM_F_MULTI, &ifi, sizeof(ifi));
	mnl_stub_queue(NLMSG_DONE, NLM_F_MULTI, &zero, sizeof(zero));
	assert_int_equal(nl_link_list(s, &links, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(links[0].ifindex, 3);
	free(links);
	nl_sock_free(s);
}

/* Found by fuzz/fuzz_netlink: libmnl's mnl_nlmsg_ok() reads nlmsg_len as
 * an int, so a message claiming 2 GiB or more passed as fitting and the
 * loop read (and, with 0xffffffff, spun) past the datagram.  Such a reply
 * is malformed: -EPROTO. */
static void test_huge_nlmsg_len(void **state)
{
	static const uint32_t lens[] = { 0xffffffffu, 0xffff0038u, 0x80000000u };
	struct ifinfomsg ifi = { .ifi_index = 3 };
	struct nl_link *links = NULL;
	struct nl_extack extack;
	struct nlmsghdr *nlh;
	struct nl_sock *s;
	size_t n = 0;

	assert_int_equal(nl_sock_new(&s), 0);
	for (size_t i = 0; i < ARRAY_SIZE(lens); i++) {
		mnl_stub_reset();
		nlh = mnl_stub_queue(RTM_NEWLINK, NLM_F_MULTI, &ifi, sizeof(ifi));
		nlh->nlmsg_len = lens[i];
		assert_true(mnl_nlmsg_ok(nlh, (int)sizeof(*nlh) + (int)sizeof(ifi)));
		assert_false(nl_msg_ok(nlh, (int)sizeof(*nlh) + (int)sizeof(ifi)));
		assert_int_equal(nl_link_list(s, &links, &n), -EPROTO);

		mnl_stub_reset();
		mnl_stub_queue_ack(0)->nlmsg_len = lens[i];
		assert_int_equal(nl_link_set_up(s, 1, true, &extack), -EPROTO);
	}
	nl_sock_free(s);
}

/* Found by fuzz/fuzz_netlink: a last message whose nlmsg_len is not a
 * multiple of 4 and whose padding is missing from the datagram passed
 * mnl_nlmsg_ok(), and libmnl's attribute walk, which goes to the aligned
 * end, read an attribute's payload past the datagram.  Such a reply is
 * malformed: -EPROTO, with nothing read past its end. */
static void test_missing_padding(void **state)
{
	struct {
		struct rtmsg rtm;
		struct nlattr dst;
		uint8_t ip[4];
	} __attribute__((packed)) msg = {
		.rtm = { .rtm_family = AF_INET, .rtm_dst_len = 24, .rtm_table = RT_TABLE_MAIN },
		.dst = { .nla_len = 8, .nla_type = RTA_DST },
		.ip = { 198, 18, 0, 0 },
	};
	struct nl_route *routes = NULL;
	struct nlmsghdr *nlh;
	struct nl_sock *s;
	size_t n = 0;

	assert_int_equal(nl_sock_new(&s), 0);
	nlh = mnl_stub_queue(RTM_NEWROUTE, NLM_F_MULTI, &msg, sizeof(msg));
	assert_int_equal(nlh->nlmsg_len, 36);
	/* The message ends one byte into the attribute's payload; the
	 * datagram ends with it. */
	nlh->nlmsg_len = 33;
	mnl_stub_set_len(nlh, 33);
	assert_true(mnl_nlmsg_ok(nlh, 33));
	assert_false(nl_msg_ok(nlh, 33));
	assert_true(nl_msg_ok(nlh, 36));
	assert_int_equal(nl_route_list(s, AF_INET, &routes, &n), -EPROTO);
	nl_sock_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_ack_and_error, setup),
		cmocka_unit_test_setup(test_dump, setup),
		cmocka_unit_test_setup(test_huge_nlmsg_len, setup),
		cmocka_unit_test_setup(test_missing_padding, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* The netlink receive loop (nl.c) on replies made up here: this program
 * defines libmnl's socket functions itself (the executable's definitions
 * win over the shared library's), so that a request goes nowhere and the
 * "kernel" answers with the datagrams a test queues.  A reply's sequence
 * number is filled in with the request's.  Under ASan (make SAN=1) the
 * receive buffer past a datagram is poisoned, so that reading past the
 * datagram is an error even within the buffer. */
#include <errno.h>
#include <linux/rtnetlink.h>
#include <sanitizer/asan_interface.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "netlink/msg.h"

#define PORTID 4242u
#define MAX_DGRAMS 4

struct mnl_socket {
	int unused;
};

static struct {
	struct mnl_socket sock;
	uint32_t seq;
	struct {
		char buf[512];
		size_t len;
	} dgram[MAX_DGRAMS];
	size_t n, next;
} fake;

struct mnl_socket *mnl_socket_open2(int bus, int flags)
{
	return &fake.sock;
}

int mnl_socket_bind(struct mnl_socket *nl, unsigned int groups, pid_t pid)
{
	return 0;
}

int mnl_socket_close(struct mnl_socket *nl)
{
	return 0;
}

unsigned int mnl_socket_get_portid(const struct mnl_socket *nl)
{
	return PORTID;
}

int mnl_socket_setsockopt(const struct mnl_socket *nl, int type, void *buf, socklen_t len)
{
	return 0;
}

ssize_t mnl_socket_sendto(const struct mnl_socket *nl, const void *req, size_t siz)
{
	fake.seq = ((const struct nlmsghdr *)req)->nlmsg_seq;
	return (ssize_t)siz;
}

/* The next queued datagram; EAGAIN (a receive timeout) when none is left,
 * so that a loop that wants more than the kernel sent fails, not hangs. */
ssize_t mnl_socket_recvfrom(const struct mnl_socket *nl, void *buf, size_t siz)
{
	struct nlmsghdr *nlh = buf;
	size_t len;

	ASAN_UNPOISON_MEMORY_REGION(buf, siz);
	if (fake.next == fake.n) {
		errno = EAGAIN;
		return -1;
	}
	len = fake.dgram[fake.next].len;
	memcpy(buf, fake.dgram[fake.next++].buf, len);
	nlh->nlmsg_seq = fake.seq;
	ASAN_POISON_MEMORY_REGION((char *)buf + len, siz - len);
	return (ssize_t)len;
}

static int setup(void **state)
{
	memset(&fake, 0, sizeof(fake));
	return 0;
}

/* Queues one datagram holding one message of `type` with `payload`;
 * returns the message for a test to spoil. */
static struct nlmsghdr *queue(uint16_t type, uint16_t flags, const void *payload, size_t len)
{
	struct nlmsghdr *nlh;

	assert_true(fake.n < MAX_DGRAMS);
	nlh = mnl_nlmsg_put_header(fake.dgram[fake.n].buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	memcpy(mnl_nlmsg_put_extra_header(nlh, len), payload, len);
	fake.dgram[fake.n++].len = nlh->nlmsg_len;
	return nlh;
}

static struct nlmsghdr *queue_ack(int error)
{
	struct nlmsgerr e = { .error = error, .msg = { .nlmsg_len = sizeof(struct nlmsghdr) } };

	return queue(NLMSG_ERROR, NLM_F_CAPPED, &e, sizeof(e));
}

static void test_ack_and_error(void **state)
{
	struct nl_extack extack;
	struct nl_sock *s;

	assert_int_equal(nl_sock_new(&s), 0);
	queue_ack(0);
	assert_int_equal(nl_link_set_up(s, 1, true, &extack), 0);
	queue_ack(-EPERM);
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
	queue(RTM_NEWLINK, NLM_F_MULTI, &ifi, sizeof(ifi));
	queue(NLMSG_DONE, NLM_F_MULTI, &zero, sizeof(zero));
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
		fake.n = fake.next = 0;
		nlh = queue(RTM_NEWLINK, NLM_F_MULTI, &ifi, sizeof(ifi));
		nlh->nlmsg_len = lens[i];
		assert_true(mnl_nlmsg_ok(nlh, (int)sizeof(*nlh) + (int)sizeof(ifi)));
		assert_false(nl_msg_ok(nlh, (int)sizeof(*nlh) + (int)sizeof(ifi)));
		assert_int_equal(nl_link_list(s, &links, &n), -EPROTO);

		fake.n = fake.next = 0;
		queue_ack(0)->nlmsg_len = lens[i];
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
	nlh = queue(RTM_NEWROUTE, NLM_F_MULTI, &msg, sizeof(msg));
	assert_int_equal(nlh->nlmsg_len, 36);
	/* The message ends one byte into the attribute's payload; the
	 * datagram ends with it. */
	nlh->nlmsg_len = 33;
	fake.dgram[0].len = 33;
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

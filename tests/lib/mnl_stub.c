/* libmnl's socket functions over test datagrams (mnl_stub.h).  The
 * program's definitions win over the shared library's. */
#include "mnl_stub.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <sanitizer/asan_interface.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "netlink/msg.h"

#define QUEUE_MAX 8

/* libmnl declares the type but keeps it private: ours has nothing in it
 * that anyone reads. */
struct mnl_socket {
	int unused;
};

static struct {
	struct mnl_socket sock;
	uint32_t seq;                 /* of the last request sent */
	struct {
		_Alignas(8) uint8_t buf[MNL_STUB_DGRAM_MAX];
		size_t len;
	} q[QUEUE_MAX];
	size_t n, next;
	const uint8_t *data;          /* the fed stream left */
	size_t size;
} stub;

void mnl_stub_reset(void)
{
	memset(&stub, 0, sizeof(stub));
}

struct nlmsghdr *mnl_stub_queue(uint16_t type, uint16_t flags, const void *payload, size_t len)
{
	struct nlmsghdr *nlh;

	if (stub.n == QUEUE_MAX || MNL_NLMSG_HDRLEN + MNL_ALIGN(len) > MNL_STUB_DGRAM_MAX)
		abort();
	nlh = mnl_nlmsg_put_header(stub.q[stub.n].buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	memcpy(mnl_nlmsg_put_extra_header(nlh, len), payload, len);
	stub.q[stub.n++].len = nlh->nlmsg_len;
	return nlh;
}

void mnl_stub_set_len(struct nlmsghdr *nlh, size_t len)
{
	for (size_t i = 0; i < stub.n; i++)
		if ((void *)stub.q[i].buf == (void *)nlh && len <= MNL_STUB_DGRAM_MAX) {
			stub.q[i].len = len;
			return;
		}
	abort();
}

struct nlmsghdr *mnl_stub_queue_ack(int error)
{
	struct nlmsgerr e = { .error = error, .msg = { .nlmsg_len = sizeof(struct nlmsghdr) } };

	return mnl_stub_queue(NLMSG_ERROR, NLM_F_CAPPED, &e, sizeof(e));
}

void mnl_stub_feed(const uint8_t *data, size_t size)
{
	stub.data = data;
	stub.size = size;
}

bool mnl_stub_next_datagram(const uint8_t **data, size_t *size, const uint8_t **ret,
			    size_t *ret_len)
{
	size_t len;

	if (*size < 2)
		return false;
	len = (size_t)(*data)[0] | (size_t)(*data)[1] << 8;
	*data += 2;
	*size -= 2;
	if (len > *size)
		len = *size;
	*ret = *data;
	*ret_len = len;
	*data += len;
	*size -= len;
	return true;
}

struct mnl_socket *mnl_socket_open2(int bus, int flags)
{
	return &stub.sock;
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
	return MNL_STUB_PORTID;
}

int mnl_socket_setsockopt(const struct mnl_socket *nl, int type, void *buf, socklen_t len)
{
	return 0;
}

ssize_t mnl_socket_sendto(const struct mnl_socket *nl, const void *req, size_t siz)
{
	const struct nlmsghdr *nlh = req;

	if (siz < sizeof(*nlh) || nlh->nlmsg_len != siz) {
		fprintf(stderr, "mnl_stub: a request of %zu bytes whose header says %u\n", siz,
			siz < sizeof(*nlh) ? 0 : nlh->nlmsg_len);
		abort();
	}
	stub.seq = nlh->nlmsg_seq;
	return (ssize_t)siz;
}

ssize_t mnl_socket_recvfrom(const struct mnl_socket *nl, void *buf, size_t siz)
{
	const uint8_t *dgram;
	struct nlmsghdr *nlh = buf;
	size_t len;
	int left;

	ASAN_UNPOISON_MEMORY_REGION(buf, siz);
	if (stub.next < stub.n) {
		dgram = stub.q[stub.next].buf;
		len = stub.q[stub.next++].len;
	} else if (!mnl_stub_next_datagram(&stub.data, &stub.size, &dgram, &len)) {
		errno = EAGAIN;
		return -1;
	}
	if (len > siz) {
		errno = ENOSPC;   /* libmnl's answer to MSG_TRUNC */
		return -1;
	}
	memcpy(buf, dgram, len);
	/* The first message's header even when its length is spoiled. */
	if (len >= sizeof(*nlh))
		nlh->nlmsg_seq ^= stub.seq;
	left = (int)len;
	if (nl_msg_ok(nlh, left))
		for (nlh = mnl_nlmsg_next(nlh, &left); nl_msg_ok(nlh, left);
		     nlh = mnl_nlmsg_next(nlh, &left))
			nlh->nlmsg_seq ^= stub.seq;
	ASAN_POISON_MEMORY_REGION((char *)buf + len, siz - len);
	return (ssize_t)len;
}

/* The socket: open, send a request, read its replies up to the ACK or DONE. */
#include "netlink/msg.h"

#include <errno.h>
#include <linux/netlink.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "common/log.h"

/* Replies are read into this much: a dump message can be larger than a
 * page, and a short buffer truncates it (MSG_TRUNC, -ENOSPC). */
#define NL_RECV_SIZE 32768

struct nl_sock {
	struct mnl_socket *mnl;
	uint32_t portid;
	uint32_t seq;
	char *rbuf;               /* NL_RECV_SIZE bytes */
};

int nl_sock_new(struct nl_sock **ret)
{
	struct nl_sock *s = xcalloc(1, sizeof(*s));
	struct timespec ts;
	int one = 1, r;

	s->mnl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (!s->mnl) {
		r = -errno;
		goto out;
	}
	if (mnl_socket_bind(s->mnl, 0, MNL_SOCKET_AUTOPID) < 0) {
		r = -errno;
		goto out;
	}
	/* Older kernels lack these: we then get errors without a message, and
	 * with the request echoed back, which is harmless. */
	if (mnl_socket_setsockopt(s->mnl, NETLINK_EXT_ACK, &one, sizeof(one)) < 0)
		log_debug("netlink: NETLINK_EXT_ACK not supported, ignoring");
	if (mnl_socket_setsockopt(s->mnl, NETLINK_CAP_ACK, &one, sizeof(one)) < 0)
		log_debug("netlink: NETLINK_CAP_ACK not supported, ignoring");
	s->portid = mnl_socket_get_portid(s->mnl);
	/* Start from the clock, so that a reply left over from an earlier
	 * socket with the same port id is unlikely to match. */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	s->seq = (uint32_t)(ts.tv_sec ^ ts.tv_nsec);
	s->rbuf = xmalloc(NL_RECV_SIZE);
	*ret = s;
	s = NULL;
	r = 0;
out:
	nl_sock_free(s);
	return r;
}

void nl_sock_free(struct nl_sock *s)
{
	if (!s)
		return;
	if (s->mnl)
		mnl_socket_close(s->mnl);
	free(s->rbuf);
	free(s);
}

/* Sequence number 0 is what the kernel uses for notifications: never ours. */
static uint32_t next_seq(struct nl_sock *s)
{
	if (++s->seq == 0)
		s->seq = 1;
	return s->seq;
}

int nl_extack_set(struct nl_extack *extack, int r, const char *fmt, ...)
{
	va_list ap;

	if (!extack)
		return r;
	va_start(ap, fmt);
	vsnprintf(extack->msg, sizeof(extack->msg), fmt, ap);
	va_end(ap);
	return r;
}

static int extack_attr_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr **msg = data;

	if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG &&
	    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0)
		*msg = attr;
	return MNL_CB_OK;
}

/* The TLVs after `offset` bytes of payload of an error or done message:
 *   struct nlmsghdr | int error | [request header + payload] | TLVs
 * (the request is only its header when NLM_F_CAPPED is set). */
static void read_extack(const struct nlmsghdr *nlh, size_t offset, struct nl_extack *extack)
{
	const struct nlattr *msg = NULL;

	if (!extack || !(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	if (MNL_ALIGN(offset) > mnl_nlmsg_get_payload_len(nlh))
		return;
	if (mnl_attr_parse(nlh, (unsigned)offset, extack_attr_cb, &msg) < 0 || !msg)
		return;
	(void)util_strlcpy(extack->msg, mnl_attr_get_str(msg), sizeof(extack->msg));
}

int nl_parse_error(const struct nlmsghdr *nlh, struct nl_extack *extack)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	size_t offset = sizeof(*e);

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*e))
		return -EPROTO;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED)) {
		if (e->msg.nlmsg_len < sizeof(struct nlmsghdr))
			return -EPROTO;
		offset += e->msg.nlmsg_len - sizeof(struct nlmsghdr);
	}
	if (e->error > 0 || e->error < -4095)
		return -EPROTO;
	if (e->error)
		read_extack(nlh, offset, extack);
	return e->error;
}

/* The end of a dump may carry an error (and since Linux 4.20, TLVs). */
static int parse_done(const struct nlmsghdr *nlh, struct nl_extack *extack)
{
	int error;

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(int))
		return 0;
	memcpy(&error, mnl_nlmsg_get_payload(nlh), sizeof(error));
	if (error > 0 || error < -4095)
		return -EPROTO;
	if (error)
		read_extack(nlh, sizeof(int), extack);
	return error;
}

/* Reads replies to request `seq` until its ACK (or DONE for a dump).
 * Returns the kernel's error, else the first error of `cb`. */
static int read_replies(struct nl_sock *s, uint32_t seq, bool dump, nl_msg_cb cb, void *data,
			bool *ret_intr, struct nl_extack *extack)
{
	int cb_r = 0;
	bool intr = false;

	for (;;) {
		const struct nlmsghdr *nlh;
		ssize_t len;
		int len_left;

		len = mnl_socket_recvfrom(s->mnl, s->rbuf, NL_RECV_SIZE);
		if (len < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		len_left = (int)len;
		for (nlh = (const struct nlmsghdr *)s->rbuf; nl_msg_ok(nlh, len_left);
		     nlh = mnl_nlmsg_next(nlh, &len_left)) {
			int r;

			if (!mnl_nlmsg_portid_ok(nlh, s->portid))
				return -ESRCH;
			if (nlh->nlmsg_seq != seq) {
				/* Left over from a request we gave up on: skip it. */
				log_debug("netlink: skipping a reply to seq %u", nlh->nlmsg_seq);
				continue;
			}
			if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
				intr = true;
			switch (nlh->nlmsg_type) {
			case NLMSG_NOOP:
				continue;
			case NLMSG_OVERRUN:
				return -EIO;
			case NLMSG_ERROR:
				r = nl_parse_error(nlh, extack);
				if (r < 0 || !dump)
					return r < 0 ? r : cb_r;
				continue;  /* an ACK within a dump: odd, ignore */
			case NLMSG_DONE:
				if (!dump)
					continue;
				r = parse_done(nlh, extack);
				if (ret_intr)
					*ret_intr = intr;
				return r < 0 ? r : cb_r;
			default:
				if (cb && cb_r == 0)
					cb_r = cb(nlh, data);
				if (cb_r > 0)
					cb_r = 0;
			}
		}
		if (len_left != 0)
			return -EPROTO;  /* a truncated message */
	}
}

static int send_request(struct nl_sock *s, struct nlmsghdr *req)
{
	ssize_t n;

	do
		n = mnl_socket_sendto(s->mnl, req, req->nlmsg_len);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return (size_t)n == req->nlmsg_len ? 0 : -EIO;
}

int nl_talk(struct nl_sock *s, struct nlmsghdr *req, nl_msg_cb cb, void *data,
	    struct nl_extack *extack)
{
	int r;

	if (extack)
		extack->msg[0] = '\0';
	req->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	req->nlmsg_seq = next_seq(s);
	r = send_request(s, req);
	if (r < 0)
		return r;
	return read_replies(s, req->nlmsg_seq, false, cb, data, NULL, extack);
}

int nl_dump(struct nl_sock *s, struct nlmsghdr *req, nl_msg_cb cb, void (*reset)(void *data),
	    void *data)
{
	for (int attempt = 0; attempt < NL_DUMP_ATTEMPTS; attempt++) {
		bool intr = false;
		int r;

		if (attempt && reset)
			reset(data);
		req->nlmsg_flags |= NLM_F_REQUEST | NLM_F_DUMP;
		req->nlmsg_seq = next_seq(s);
		r = send_request(s, req);
		if (r < 0)
			return r;
		r = read_replies(s, req->nlmsg_seq, true, cb, data, &intr, NULL);
		if (r < 0 || !intr)
			return r;
		log_debug("netlink: dump interrupted, redoing it");
	}
	return -EAGAIN;
}

void *nl_list_add(struct nl_list *l)
{
	void *slot;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		void *items;

		if (cap > NL_LIST_MAX)
			cap = NL_LIST_MAX;
		if (l->n >= cap)
			return NULL;
		items = realloc(l->items, cap * l->item_size);
		if (!items)
			return NULL;
		l->items = items;
		l->cap = cap;
	}
	slot = (char *)l->items + l->n++ * l->item_size;
	memset(slot, 0, l->item_size);
	return slot;
}

void nl_list_reset(void *data)
{
	struct nl_list *l = data;

	l->n = 0;
}

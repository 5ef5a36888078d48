/* libmnl's socket functions, replaced: a program that links this (it uses
 * mnl_stub_*, which pulls the object in before -lmnl is searched) runs
 * src/netlink/ unchanged over a "socket" whose requests go nowhere and
 * whose kernel answers with datagrams the test gives it (test_nl_recv.c,
 * fuzz/fuzz_netlink.c, test_fault_parsers.c).
 *
 * A message's sequence number is XORed with the last request's as it is
 * received: 0 means "the reply to this request", anything else a stale
 * one.  Under ASan the receive buffer past a datagram is poisoned, so that
 * a read past the datagram is an error even within the buffer.  A request
 * whose length is not its header's aborts: nl.c must send whole messages.
 * When no datagram is left, a receive fails with EAGAIN, as a socket with a
 * receive timeout does, so a loop that wants more fails, not hangs. */
#ifndef SF_TESTS_LIB_MNL_STUB_H
#define SF_TESTS_LIB_MNL_STUB_H

#include <linux/netlink.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MNL_STUB_PORTID 4242u
#define MNL_STUB_DGRAM_MAX 512   /* bytes of a queued datagram */

/* Forgets every datagram queued or fed. */
void mnl_stub_reset(void);
/* Queues a datagram holding one message of `type` with `payload`, answered
 * before the fed stream; returns the message (valid until the reset) for a
 * test to spoil, and mnl_stub_set_len() sets the datagram's length. */
struct nlmsghdr *mnl_stub_queue(uint16_t type, uint16_t flags, const void *payload, size_t len);
void mnl_stub_set_len(struct nlmsghdr *nlh, size_t len);
/* An ack (error 0) or an error answer, queued. */
struct nlmsghdr *mnl_stub_queue_ack(int error);
/* After the queue, the datagrams of a stream (borrowed until the reset):
 * each a 16-bit little-endian length and that many bytes (a length past
 * the end is cut to it).  fuzz_netlink's input format. */
void mnl_stub_feed(const uint8_t *data, size_t size);
/* The next datagram of a stream in that format, advancing *data and *size;
 * false when none is left. */
bool mnl_stub_next_datagram(const uint8_t **data, size_t *size, const uint8_t **ret,
			    size_t *ret_len);

#endif

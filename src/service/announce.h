/* Telling the segment where an address lives now: gratuitous ARP for IPv4
 * (a request and a reply, sender = target = the address, as keepalived
 * sends them) and an unsolicited neighbour advertisement for IPv6 (override
 * set, to all nodes).  The packet socket is opened in the instance's
 * namespace by a short-lived thread and used from the caller's; frames
 * leave with the interface's own MAC, which the instance's Neutron port
 * allows, so a port that is not a member of the service cannot announce
 * the address (its port security drops the frame). */
#ifndef SF_SERVICE_ANNOUNCE_H
#define SF_SERVICE_ANNOUNCE_H

#include <stddef.h>
#include <stdint.h>

#include "common/util.h"
#include "netlink/nl.h"

#define SERVICE_FRAME_MAX 128

/* The frames, for the tests: an ARP of `op` (1 request, 2 reply) or an
 * unsolicited NA, into buf (at least SERVICE_FRAME_MAX bytes).  Return the
 * frame's length. */
size_t service_frame_garp(uint8_t *buf, const uint8_t mac[NL_MAC_LEN], const struct in_addr *ip,
			  uint16_t op);
/* QEMU's announcement after a live migration: a RARP reverse request
 * (ethertype 0x8035, op 3) from and for `mac`, no protocol addresses.
 * OVN's activation-strategy=rarp lets a port's traffic through on its
 * additional chassis once it sees this frame there. */
size_t service_frame_rarp(uint8_t *buf, const uint8_t mac[NL_MAC_LEN]);
size_t service_frame_unsolicited_na(uint8_t *buf, const uint8_t mac[NL_MAC_LEN],
				    const struct in6_addr *ip);

/* Announces `ip` from `ifname` in the namespace: `count` rounds,
 * interval_ms apart (the first at once).  -ENODEV when the interface is
 * not there. */
int service_announce(int netns_fd, const char *ifname, int family, const union nl_ip *ip,
		     unsigned count, unsigned interval_ms) MUST_CHECK;
/* The same with RARP frames (service_frame_rarp) from the interface's MAC. */
int service_announce_rarp(int netns_fd, const char *ifname, unsigned count,
			  unsigned interval_ms) MUST_CHECK;

#endif

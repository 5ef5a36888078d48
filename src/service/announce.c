/* Gratuitous ARP and unsolicited neighbour advertisements. */
#include "service/announce.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/icmp6.h>
#include <netinet/ip6.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "netns/netns.h"

static const uint8_t bcast[NL_MAC_LEN] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
/* ff02::1 and its multicast MAC 33:33:00:00:00:01 */
static const uint8_t all_nodes_mac[NL_MAC_LEN] = { 0x33, 0x33, 0, 0, 0, 1 };

static uint8_t *put(uint8_t *p, const void *src, size_t n)
{
	memcpy(p, src, n);
	return p + n;
}

static uint8_t *put16(uint8_t *p, uint16_t v)
{
	v = htons(v);
	return put(p, &v, 2);
}

/* An ARP-shaped frame's Ethernet header and ARP head, to the sender's
 * hardware address: broadcast, from mac, Ethernet/IPv4, `op`. */
static uint8_t *arp_head(uint8_t *p, const uint8_t mac[NL_MAC_LEN], uint16_t ethertype,
			 uint16_t op)
{
	p = put(p, bcast, NL_MAC_LEN);
	p = put(p, mac, NL_MAC_LEN);
	p = put16(p, ethertype);
	p = put16(p, 1);                /* hardware: Ethernet */
	p = put16(p, ETH_P_IP);
	*p++ = NL_MAC_LEN;
	*p++ = 4;
	p = put16(p, op);
	return put(p, mac, NL_MAC_LEN); /* sender */
}

size_t service_frame_garp(uint8_t *buf, const uint8_t mac[NL_MAC_LEN], const struct in_addr *ip,
			  uint16_t op)
{
	uint8_t *p = arp_head(buf, mac, ETH_P_ARP, op);

	p = put(p, ip, 4);
	/* A request asks nobody (target MAC zero); a reply "answers" everyone. */
	if (op == 1)
		memset(p, 0, NL_MAC_LEN);
	else
		memcpy(p, bcast, NL_MAC_LEN);
	p += NL_MAC_LEN;
	p = put(p, ip, 4);              /* target = sender: gratuitous */
	/* Pad to the 60-byte Ethernet minimum. */
	while (p - buf < 60)
		*p++ = 0;
	return (size_t)(p - buf);
}

#define ETH_P_RARP_ 0x8035
#define RARP_OP_REVERSE_REQUEST 3

size_t service_frame_rarp(uint8_t *buf, const uint8_t mac[NL_MAC_LEN])
{
	static const uint8_t none[4];
	uint8_t *p = arp_head(buf, mac, ETH_P_RARP_, RARP_OP_REVERSE_REQUEST);

	p = put(p, none, 4);
	p = put(p, mac, NL_MAC_LEN);    /* target: itself */
	p = put(p, none, 4);
	while (p - buf < 60)
		*p++ = 0;
	return (size_t)(p - buf);
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		sum += (uint32_t)(p[n - 1] << 8);
	return sum;
}

size_t service_frame_unsolicited_na(uint8_t *buf, const uint8_t mac[NL_MAC_LEN],
				    const struct in6_addr *ip)
{
	static const uint8_t all_nodes[16] = { 0xff, 0x02, [15] = 1 };
	const size_t icmp_len = 8 + 16 + 8;   /* header, target, target LL option */
	uint8_t *p = buf, *ip6, *icmp;
	uint32_t sum;
	uint16_t c;

	p = put(p, all_nodes_mac, NL_MAC_LEN);
	p = put(p, mac, NL_MAC_LEN);
	p = put16(p, ETH_P_IPV6);
	ip6 = p;
	*p++ = 0x60;                      /* version 6, no traffic class, no flow */
	*p++ = 0;
	*p++ = 0;
	*p++ = 0;
	p = put16(p, (uint16_t)icmp_len);
	*p++ = IPPROTO_ICMPV6;
	*p++ = 255;                       /* hop limit: ND insists */
	p = put(p, ip, 16);               /* source: the address itself */
	p = put(p, all_nodes, 16);
	icmp = p;
	*p++ = ND_NEIGHBOR_ADVERT;
	*p++ = 0;
	p = put16(p, 0);                  /* checksum, below */
	*p++ = 0x20;                      /* override; not solicited, not router */
	*p++ = 0;
	*p++ = 0;
	*p++ = 0;
	p = put(p, ip, 16);               /* target */
	*p++ = ND_OPT_TARGET_LINKADDR;
	*p++ = 1;                         /* length in units of 8 bytes */
	p = put(p, mac, NL_MAC_LEN);
	/* Pseudo-header: source, destination, length, next header. */
	sum = csum_add(0, ip6 + 8, 32);
	sum += (uint32_t)icmp_len + IPPROTO_ICMPV6;
	sum = csum_add(sum, icmp, icmp_len);
	c = csum_fold(sum);
	icmp[2] = (uint8_t)(c >> 8);
	icmp[3] = (uint8_t)c;
	return (size_t)(p - buf);
}

struct pkt_job {
	const char *ifname;
	int fd;                       /* out */
	int ifindex;                  /* out */
	uint8_t mac[NL_MAC_LEN];      /* out */
};

static int open_pkt_in_ns(void *arg)
{
	struct pkt_job *j = arg;
	struct ifreq ifr = { 0 };
	int fd, r;

	if (util_strlcpy(ifr.ifr_name, j->ifname, sizeof(ifr.ifr_name)) < 0)
		return -EINVAL;
	/* Protocol 0: it sends, it never receives. */
	fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (ioctl(fd, SIOCGIFINDEX, &ifr) < 0) {
		r = errno == ENODEV ? -ENODEV : -errno;
		goto fail;
	}
	j->ifindex = ifr.ifr_ifindex;
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0) {
		r = -errno;
		goto fail;
	}
	memcpy(j->mac, ifr.ifr_hwaddr.sa_data, NL_MAC_LEN);
	j->fd = fd;
	return 0;
fail:
	close(fd);
	return r;
}

static int send_frame(int fd, int ifindex, const uint8_t *frame, size_t len)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_ifindex = ifindex,
				   .sll_halen = NL_MAC_LEN };

	memcpy(sll.sll_addr, frame, NL_MAC_LEN);
	if (sendto(fd, frame, len, 0, (struct sockaddr *)&sll, sizeof(sll)) < 0)
		return -errno;
	return 0;
}

/* Sends req (and rep, when rep_len) `count` times, interval_ms apart. */
static int send_rounds(const struct pkt_job *j, const uint8_t *req, size_t req_len,
		       const uint8_t *rep, size_t rep_len, unsigned count, unsigned interval_ms)
{
	int r = 0;

	for (unsigned i = 0; i < count; i++) {
		if (i)
			util_sleep_ms(interval_ms);
		r = send_frame(j->fd, j->ifindex, req, req_len);
		if (r == 0 && rep_len)
			r = send_frame(j->fd, j->ifindex, rep, rep_len);
		if (r < 0)
			break;
	}
	return r;
}

int service_announce(int netns_fd, const char *ifname, int family, const union nl_ip *ip,
		     unsigned count, unsigned interval_ms)
{
	struct pkt_job j = { .ifname = ifname, .fd = -1 };
	uint8_t req[SERVICE_FRAME_MAX], rep[SERVICE_FRAME_MAX];
	size_t req_len = 0, rep_len = 0;
	int r;

	if (family != AF_INET && family != AF_INET6)
		return -EAFNOSUPPORT;
	r = netns_run(netns_fd, open_pkt_in_ns, &j);
	if (r < 0)
		return r;
	if (family == AF_INET) {
		req_len = service_frame_garp(req, j.mac, &ip->v4, 1);
		rep_len = service_frame_garp(rep, j.mac, &ip->v4, 2);
	} else {
		req_len = service_frame_unsolicited_na(req, j.mac, &ip->v6);
	}
	r = send_rounds(&j, req, req_len, rep, rep_len, count, interval_ms);
	close(j.fd);
	return r;
}

int service_announce_rarp(int netns_fd, const char *ifname, unsigned count, unsigned interval_ms)
{
	struct pkt_job j = { .ifname = ifname, .fd = -1 };
	uint8_t f[SERVICE_FRAME_MAX];
	size_t len;
	int r = netns_run(netns_fd, open_pkt_in_ns, &j);

	if (r < 0)
		return r;
	len = service_frame_rarp(f, j.mac);
	r = send_rounds(&j, f, len, NULL, 0, count, interval_ms);
	close(j.fd);
	return r;
}

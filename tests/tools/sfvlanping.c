/* sfvlanping: what a VLAN-mode container would do on a kernel without
 * 802.1Q devices.  From a packet socket on IFACE (the VM's NIC) it sends
 * ICMP echo requests tagged VID, from SRC_MAC/SRC_IP (the subport's) to
 * DST_MAC/DST_IP, one a second; answers ARP requests for SRC_IP that arrive
 * tagged VID (with a reply tagged VID); and counts the echo replies to it.
 *
 *   sfvlanping IFACE VID SRC_MAC SRC_IP DST_MAC DST_IP [COUNT]
 *                                   VID 1-4094, COUNT 1-3600 (default 3);
 *                                   run it in the namespace of IFACE
 *
 * It listens for COUNT + 1.5 s, then prints "sent N replies M untagged U":
 * M replies came tagged VID, U came untagged or tagged with another id (the
 * kernel strips a received tag into the packet's auxdata; a tag left in the
 * frame counts too).  Exits 0 when M > 0 and U == 0, 1 otherwise, 2 on a
 * usage or system error (then it prints no figures).
 * Used by tests/integration/ovn_nested.sh (the VLAN data plane on OVN). */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define VLAN_HLEN 4
#define ICMP_ECHO_REPLY 0
#define ICMP_ECHO_REQUEST 8
#define IPPROTO_ICMP_NUM 1
#define ARP_OP_REQUEST 1
#define ARP_OP_REPLY 2
#define ARP_LEN 28
#define PAYLOAD "superfluidsuperfluidsuperfluidsuperfluidsuperfluid"
#define PAYLOAD_LEN (sizeof(PAYLOAD) - 1)
#define ICMP_LEN (8 + PAYLOAD_LEN)
#define IP_LEN (20 + ICMP_LEN)
#define RECV_BUF 2048

struct args {
	const char *ifname;
	unsigned vid;
	unsigned char smac[ETH_ALEN], dmac[ETH_ALEN];
	struct in_addr sip, dip;
	unsigned long count;
};

struct tally {
	unsigned long sent, replies, untagged;
};

static int parse_ulong(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || *s == '-' || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Exactly aa:bb:cc:dd:ee:ff (either case). */
static int parse_mac(const char *s, unsigned char mac[ETH_ALEN])
{
	unsigned char m[ETH_ALEN];

	if (strlen(s) != 3 * ETH_ALEN - 1)
		return -EINVAL;
	for (int i = 0; i < ETH_ALEN; i++) {
		int hi = hex_digit(s[3 * i]), lo = hex_digit(s[3 * i + 1]);

		if (hi < 0 || lo < 0 || (i < ETH_ALEN - 1 && s[3 * i + 2] != ':'))
			return -EINVAL;
		m[i] = (unsigned char)(hi << 4 | lo);
	}
	memcpy(mac, m, ETH_ALEN);
	return 0;
}

/* One end's MAC and IPv4 address; which: "source" or "destination". */
static int parse_end(const char *which, const char *mac_s, const char *ip_s,
		     unsigned char mac[ETH_ALEN], struct in_addr *ip)
{
	if (parse_mac(mac_s, mac)) {
		fprintf(stderr, "sfvlanping: bad %s MAC '%s'\n", which, mac_s);
		return -EINVAL;
	}
	if (inet_pton(AF_INET, ip_s, ip) != 1) {
		fprintf(stderr, "sfvlanping: bad %s IPv4 address '%s'\n", which, ip_s);
		return -EINVAL;
	}
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: sfvlanping IFACE VID SRC_MAC SRC_IP DST_MAC DST_IP [COUNT]\n"
			"  VID 1-4094, MACs aa:bb:cc:dd:ee:ff, IPv4 addresses, COUNT 1-3600 "
			"(default 3)\n");
}

/* Says what is wrong with which argument; 0 when all are good. */
static int parse_args(int argc, char **argv, struct args *a)
{
	unsigned long vid;

	if (argc < 7 || argc > 8) {
		usage();
		return -EINVAL;
	}
	a->ifname = argv[1];
	if (!*argv[1] || strlen(argv[1]) >= IFNAMSIZ) {
		fprintf(stderr, "sfvlanping: bad interface name '%s'\n", argv[1]);
		return -EINVAL;
	}
	if (parse_ulong(argv[2], 1, 4094, &vid)) {
		fprintf(stderr, "sfvlanping: bad VLAN id '%s' (1-4094)\n", argv[2]);
		return -EINVAL;
	}
	a->vid = (unsigned)vid;
	if (parse_end("source", argv[3], argv[4], a->smac, &a->sip) ||
	    parse_end("destination", argv[5], argv[6], a->dmac, &a->dip))
		return -EINVAL;
	a->count = 3;
	if (argc == 8 && parse_ulong(argv[7], 1, 3600, &a->count)) {
		fprintf(stderr, "sfvlanping: bad count '%s' (1-3600)\n", argv[7]);
		return -EINVAL;
	}
	return 0;
}

static uint16_t get16(const unsigned char *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void put16(unsigned char *p, uint16_t v)
{
	p[0] = (unsigned char)(v >> 8);
	p[1] = (unsigned char)v;
}

/* The Internet checksum (RFC 1071), in network byte order once put16'd. */
static uint16_t csum(const unsigned char *p, size_t len)
{
	uint32_t s = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		s += get16(p + i);
	if (len & 1)
		s += (uint32_t)p[len - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Ethernet + 802.1Q header into f; returns where the payload goes. */
static unsigned char *put_tagged(unsigned char *f, const unsigned char *dst,
				 const unsigned char *src, unsigned vid, uint16_t etype)
{
	memcpy(f, dst, ETH_ALEN);
	memcpy(f + ETH_ALEN, src, ETH_ALEN);
	put16(f + 12, ETH_P_8021Q);
	put16(f + 14, (uint16_t)vid);
	put16(f + 16, etype);
	return f + ETH_HLEN + VLAN_HLEN;
}

static int send_frame(int fd, const struct args *a, const unsigned char *f, size_t len)
{
	if (send(fd, f, len, 0) != (ssize_t)len) {
		fprintf(stderr, "sfvlanping: sending on %s: %s\n", a->ifname, strerror(errno));
		return -EIO;
	}
	return 0;
}

static int send_echo(int fd, const struct args *a, uint16_t ident, uint16_t seq)
{
	unsigned char f[ETH_HLEN + VLAN_HLEN + IP_LEN] = { 0 };
	unsigned char *ip = put_tagged(f, a->dmac, a->smac, a->vid, ETH_P_IP), *icmp = ip + 20;

	ip[0] = 0x45;
	put16(ip + 2, IP_LEN);
	put16(ip + 4, seq);
	put16(ip + 6, 0x4000);                      /* don't fragment */
	ip[8] = 64;
	ip[9] = IPPROTO_ICMP_NUM;
	memcpy(ip + 12, &a->sip, 4);
	memcpy(ip + 16, &a->dip, 4);
	put16(ip + 10, csum(ip, 20));
	icmp[0] = ICMP_ECHO_REQUEST;
	put16(icmp + 4, ident);
	put16(icmp + 6, seq);
	memcpy(icmp + 8, PAYLOAD, PAYLOAD_LEN);
	put16(icmp + 2, csum(icmp, ICMP_LEN));
	return send_frame(fd, a, f, sizeof(f));
}

/* arp: the request's ARP body; src: the requester's MAC (the frame's source). */
static int send_arp_reply(int fd, const struct args *a, const unsigned char *arp,
			  const unsigned char *src)
{
	unsigned char f[ETH_HLEN + VLAN_HLEN + ARP_LEN] = { 0 };
	unsigned char *p = put_tagged(f, src, a->smac, a->vid, ETH_P_ARP);

	put16(p, 1);                                /* hardware: Ethernet */
	put16(p + 2, ETH_P_IP);
	p[4] = ETH_ALEN, p[5] = 4;
	put16(p + 6, ARP_OP_REPLY);
	memcpy(p + 8, a->smac, ETH_ALEN);
	memcpy(p + 14, &a->sip, 4);
	memcpy(p + 18, arp + 8, ETH_ALEN + 4);      /* target: the request's sender */
	return send_frame(fd, a, f, sizeof(f));
}

/* One received frame: tci is the tag's TCI (from the auxdata), -1 for none. */
static int handle_frame(int fd, const struct args *a, uint16_t ident, const unsigned char *f,
			size_t len, int tci, struct tally *t)
{
	const unsigned char *body = f + ETH_HLEN;
	size_t blen;
	uint16_t etype;
	int ours;

	if (len < ETH_HLEN)
		return 0;
	etype = get16(f + 12);
	blen = len - ETH_HLEN;
	if (etype == ETH_P_8021Q) {                 /* the tag left in the frame */
		if (blen < VLAN_HLEN)
			return 0;
		tci = get16(body);
		etype = get16(body + 2);
		body += VLAN_HLEN, blen -= VLAN_HLEN;
	}
	ours = tci >= 0 && (unsigned)(tci & 0xfff) == a->vid;
	if (etype == ETH_P_ARP && blen >= ARP_LEN && get16(body + 6) == ARP_OP_REQUEST &&
	    !memcmp(body + 24, &a->sip, 4))
		return ours ? send_arp_reply(fd, a, body, f + ETH_ALEN) : 0;
	if (etype == ETH_P_IP && blen >= 20 && body[9] == IPPROTO_ICMP_NUM &&
	    !memcmp(body + 12, &a->dip, 4) && !memcmp(body + 16, &a->sip, 4)) {
		size_t ihl = (size_t)(body[0] & 0xf) * 4;

		if (ihl < 20 || blen < ihl + 8 || body[ihl] != ICMP_ECHO_REPLY ||
		    get16(body + ihl + 4) != ident)
			return 0;
		if (ours)
			t->replies++;
		else
			t->untagged++;
	}
	return 0;
}

/* Reads one frame off fd (it is readable) and handles it. */
static int receive(int fd, const struct args *a, uint16_t ident, struct tally *t)
{
	unsigned char buf[RECV_BUF];
	union {
		char buf[CMSG_SPACE(sizeof(struct tpacket_auxdata))];
		struct cmsghdr align;
	} ctl;
	struct sockaddr_ll from;
	struct iovec iov = { buf, sizeof(buf) };
	struct msghdr msg = { .msg_name = &from, .msg_namelen = sizeof(from),
			      .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf) };
	ssize_t n;
	int tci = -1;

	n = recvmsg(fd, &msg, MSG_DONTWAIT);
	if (n < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return 0;
		fprintf(stderr, "sfvlanping: receiving on %s: %s\n", a->ifname, strerror(errno));
		return -errno;
	}
	if (from.sll_pkttype == PACKET_OUTGOING || (msg.msg_flags & MSG_TRUNC))
		return 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
		struct tpacket_auxdata aux;

		if (c->cmsg_level != SOL_PACKET || c->cmsg_type != PACKET_AUXDATA ||
		    c->cmsg_len < CMSG_LEN(sizeof(aux)))
			continue;
		memcpy(&aux, CMSG_DATA(c), sizeof(aux));
		if (aux.tp_status & TP_STATUS_VLAN_VALID)
			tci = aux.tp_vlan_tci;
	}
	return handle_frame(fd, a, ident, buf, (size_t)n, tci, t);
}

/* The socket, bound to IFACE, every frame, with the auxdata: fd or -errno. */
static int open_socket(const char *ifname)
{
	struct sockaddr_ll sll = { 0 };
	struct ifreq ifr = { 0 };
	int fd, one = 1, err;

	fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
	if (fd < 0) {
		err = -errno;
		perror("sfvlanping: socket(AF_PACKET)");
		return err;
	}
	memcpy(ifr.ifr_name, ifname, strlen(ifname));
	if (ioctl(fd, SIOCGIFINDEX, &ifr) < 0) {
		err = -errno;
		fprintf(stderr, "sfvlanping: %s: %s\n", ifname, strerror(errno));
		goto fail;
	}
	if (setsockopt(fd, SOL_PACKET, PACKET_AUXDATA, &one, sizeof(one)) < 0) {
		err = -errno;
		perror("sfvlanping: PACKET_AUXDATA");
		goto fail;
	}
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_ALL);
	sll.sll_ifindex = ifr.ifr_ifindex;
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		err = -errno;
		fprintf(stderr, "sfvlanping: binding to %s: %s\n", ifname, strerror(errno));
		goto fail;
	}
	return fd;
fail:
	close(fd);
	return err;
}

int main(int argc, char **argv)
{
	struct args a;
	struct tally t = { 0 };
	int64_t end, next;
	uint16_t ident;
	int fd, err = 0;

	if (parse_args(argc, argv, &a))
		return 2;
	fd = open_socket(a.ifname);
	if (fd < 0)
		return 2;
	/* Per VID: two runs side by side on one NIC count only their own replies. */
	ident = (uint16_t)(0x5f00 | (a.vid & 0xff));
	next = now_ms();
	end = next + (int64_t)a.count * 1000 + 1500;
	while (!err) {
		struct pollfd pfd = { fd, POLLIN, 0 };
		int64_t now = now_ms(), wait_ms;

		if (now >= end)
			break;
		if (t.sent < a.count && now >= next) {
			t.sent++;
			err = send_echo(fd, &a, ident, (uint16_t)t.sent);
			next += 1000;
			continue;
		}
		wait_ms = end - now;
		if (t.sent < a.count && next - now < wait_ms)
			wait_ms = next - now;
		if (poll(&pfd, 1, (int)wait_ms) < 0) {
			if (errno == EINTR)
				continue;
			perror("sfvlanping: poll");
			err = -errno;
		} else if (pfd.revents & POLLIN) {
			err = receive(fd, &a, ident, &t);
		} else if (pfd.revents & (POLLERR | POLLHUP | POLLNVAL)) {
			fprintf(stderr, "sfvlanping: %s: socket error\n", a.ifname);
			err = -EIO;
		}
	}
	close(fd);
	if (err)
		return 2;
	printf("sent %lu replies %lu untagged %lu\n", t.sent, t.replies, t.untagged);
	return t.replies > 0 && t.untagged == 0 ? 0 : 1;
}

/* sfrarp: the announcement QEMU makes for a guest after a live migration
 * (qemu_announce_self): a RARP "reverse request" (ethertype 0x8035, op 3)
 * from the interface's own MAC to the broadcast address, sender and target
 * hardware address both that MAC, no protocol addresses.  OVN's
 * activation-strategy=rarp waits for exactly this frame on the additional
 * chassis before it lets the port's traffic through there.
 *
 *   sfrarp IFACE [COUNT [INTERVAL_MS]]     default 1 frame; run it in the
 *                                          namespace of IFACE
 *
 * Exits 0 once every frame is sent, 1 with a message otherwise. */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define RARP_ETHERTYPE 0x8035
#define RARP_OP_REQUEST_REVERSE 3

static int parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

int main(int argc, char **argv)
{
	unsigned long count = 1, interval_ms = 100;
	struct sockaddr_ll sll = { 0 };
	unsigned char frame[60] = { 0 }; /* padded to Ethernet's minimum */
	struct ifreq ifr = { 0 };
	unsigned char mac[ETH_ALEN], *p = frame;
	int fd, ifindex;

	if (argc < 2 || argc > 4 || strlen(argv[1]) >= IFNAMSIZ ||
	    (argc > 2 && parse_uint(argv[2], 1000, &count)) ||
	    (argc > 3 && parse_uint(argv[3], 60000, &interval_ms))) {
		fprintf(stderr, "usage: sfrarp IFACE [COUNT [INTERVAL_MS]]\n");
		return 1;
	}
	fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(RARP_ETHERTYPE));
	if (fd < 0) {
		perror("sfrarp: socket(AF_PACKET)");
		return 1;
	}
	memcpy(ifr.ifr_name, argv[1], strlen(argv[1]));
	/* One ioctl at a time: ifr's union holds either answer, not both. */
	if (ioctl(fd, SIOCGIFINDEX, &ifr) < 0) {
		fprintf(stderr, "sfrarp: %s: %s\n", argv[1], strerror(errno));
		close(fd);
		return 1;
	}
	ifindex = ifr.ifr_ifindex;
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0) {
		fprintf(stderr, "sfrarp: %s: %s\n", argv[1], strerror(errno));
		close(fd);
		return 1;
	}
	memcpy(mac, ifr.ifr_hwaddr.sa_data, ETH_ALEN);

	memset(p, 0xff, ETH_ALEN);                  /* destination: broadcast */
	memcpy(p + ETH_ALEN, mac, ETH_ALEN);        /* source */
	p[12] = RARP_ETHERTYPE >> 8, p[13] = RARP_ETHERTYPE & 0xff;
	p += ETH_HLEN;
	p[0] = 0, p[1] = 1;                         /* hardware: Ethernet */
	p[2] = 0x08, p[3] = 0x00;                   /* protocol: IPv4 */
	p[4] = ETH_ALEN, p[5] = 4;
	p[6] = 0, p[7] = RARP_OP_REQUEST_REVERSE;
	memcpy(p + 8, mac, ETH_ALEN);               /* sender MAC; sender IP 0 */
	memcpy(p + 18, mac, ETH_ALEN);              /* target MAC; target IP 0 */

	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(RARP_ETHERTYPE);
	sll.sll_ifindex = ifindex;
	sll.sll_halen = ETH_ALEN;
	memset(sll.sll_addr, 0xff, ETH_ALEN);
	for (unsigned long i = 0; i < count; i++) {
		if (i) {
			struct timespec ts = { (time_t)(interval_ms / 1000),
					       (long)(interval_ms % 1000) * 1000000L };
			nanosleep(&ts, NULL);
		}
		if (sendto(fd, frame, sizeof(frame), 0, (struct sockaddr *)&sll, sizeof(sll)) !=
		    (ssize_t)sizeof(frame)) {
			fprintf(stderr, "sfrarp: sending on %s: %s\n", argv[1], strerror(errno));
			close(fd);
			return 1;
		}
	}
	close(fd);
	return 0;
}

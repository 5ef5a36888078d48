/* Offloads finished in software on one link (nl.h, nl_link_offloads_off).
 *
 * Through the ethtool ioctl, not ethtool's generic netlink family: three
 * legacy commands that every kernel since 2.6 keeps, against a family id
 * to resolve and feature bitsets to build by name for the same effect.
 * The ioctl answers at once and carries no request to acknowledge. */
#include <errno.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "netlink/nl.h"

int nl_link_offloads_off(const char *ifname)
{
	static const unsigned cmds[] = { ETHTOOL_STXCSUM, ETHTOOL_STSO, ETHTOOL_SGSO };
	struct ethtool_value v;
	struct ifreq ifr;
	int fd, r = 0;

	if (strlen(ifname) >= sizeof(ifr.ifr_name))
		return -EINVAL;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	for (size_t i = 0; i < ARRAY_SIZE(cmds) && r == 0; i++) {
		memset(&ifr, 0, sizeof(ifr));
		memcpy(ifr.ifr_name, ifname, strlen(ifname));
		v = (struct ethtool_value){ .cmd = cmds[i], .data = 0 };
		ifr.ifr_data = (void *)&v;
		if (ioctl(fd, SIOCETHTOOL, &ifr) < 0)
			r = -errno;
	}
	close(fd);
	return r;
}

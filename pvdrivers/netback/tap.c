/*
 * TAP devices and bridges for mica-netback: a TAP per interface, opened
 * with a virtio-net header on every frame (IFF_VNET_HDR) so checksum
 * offload and GSO cross it, and joined to a Linux bridge that is created
 * when missing. A TAP that is not persistent goes away with its last file
 * descriptor, so closing it is the whole teardown.
 */
#include "netback.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/sockios.h>
#include <net/if_arp.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

static int say(char *why, size_t whysz, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int say(char *why, size_t whysz, const char *fmt, ...)
{
	int rc = -errno;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, whysz, fmt, ap);
	va_end(ap);
	return rc ? rc : -EIO;
}

static int ctl_socket(void)
{
	return socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
}

static int if_up(int s, const char *ifname)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(s, SIOCGIFFLAGS, &ifr))
		return -errno;
	ifr.ifr_flags |= IFF_UP;
	return ioctl(s, SIOCSIFFLAGS, &ifr) ? -errno : 0;
}

int tap_create(const char *ifname, unsigned int offloads, char *why, size_t whysz)
{
	struct ifreq ifr;
	int fd, s, rc;

	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return say(why, whysz, "cannot open /dev/net/tun (%s): dom0's kernel needs CONFIG_TUN",
			   strerror(errno));
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	if (ioctl(fd, TUNSETIFF, &ifr)) {
		rc = say(why, whysz, "cannot create TAP device %s: %s", ifname, strerror(errno));
		goto fail;
	}
	if (ioctl(fd, TUNSETOFFLOAD, offloads)) {
		rc = say(why, whysz, "TAP device %s refuses offloads %#x: %s", ifname, offloads,
			 strerror(errno));
		goto fail;
	}
	s = ctl_socket();
	if (s < 0) {
		rc = say(why, whysz, "no socket for interface control: %s", strerror(errno));
		goto fail;
	}
	/* Xen's vifs carry fe:ff:ff:ff:ff:ff, so a bridge never takes their address as its own. */
	memset(&ifr.ifr_hwaddr, 0, sizeof(ifr.ifr_hwaddr));
	ifr.ifr_hwaddr.sa_family = ARPHRD_ETHER;
	memcpy(ifr.ifr_hwaddr.sa_data, "\xfe\xff\xff\xff\xff\xff", 6);
	rc = ioctl(s, SIOCSIFHWADDR, &ifr) ? -errno : 0;
	if (!rc)
		rc = if_up(s, ifname);
	close(s);
	if (rc) {
		errno = -rc;
		rc = say(why, whysz, "cannot set up TAP device %s: %s", ifname, strerror(-rc));
		goto fail;
	}
	return fd;
fail:
	close(fd);
	return rc;
}

int bridge_ensure(const char *bridge, char *why, size_t whysz)
{
	int s = ctl_socket(), rc;

	if (s < 0)
		return say(why, whysz, "no socket for interface control: %s", strerror(errno));
	rc = ioctl(s, SIOCBRADDBR, bridge) && errno != EEXIST ? -errno : 0;
	if (rc) {
		errno = -rc;
		rc = say(why, whysz, "cannot create bridge %s: %s (dom0's kernel needs CONFIG_BRIDGE)",
			 bridge, strerror(-rc));
	} else if ((rc = if_up(s, bridge))) {
		errno = -rc;
		rc = say(why, whysz, "cannot bring bridge %s up: %s", bridge, strerror(-rc));
	}
	close(s);
	return rc;
}

int bridge_add(const char *bridge, const char *ifname, char *why, size_t whysz)
{
	struct ifreq ifr;
	int s, rc;

	rc = bridge_ensure(bridge, why, whysz);
	if (rc)
		return rc;
	s = ctl_socket();
	if (s < 0)
		return say(why, whysz, "no socket for interface control: %s", strerror(errno));
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", bridge);
	ifr.ifr_ifindex = (int)if_nametoindex(ifname);
	rc = ifr.ifr_ifindex && !ioctl(s, SIOCBRADDIF, &ifr) ? 0 : -errno;
	if (rc) {
		errno = -rc;
		rc = say(why, whysz, "cannot add %s to bridge %s: %s", ifname, bridge, strerror(-rc));
	}
	close(s);
	return rc;
}

/* tun.c: the datapath's TUN device (tun.h). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/if_tun.h>

#include "tun.h"

#define TUN_DEFAULT_NAME "spigrp0"

/* Write @value to /proc/sys/net/@family/conf/@dev/@key.  -ENOENT when the
 * key does not exist on this kernel (or IPv6 is off). */
static int conf_write(const char *family, const char *dev, const char *key, const char *value)
{
	char path[128];
	ssize_t n;
	int fd, ret = 0;

	snprintf(path, sizeof(path), "/proc/sys/net/%s/conf/%s/%s", family, dev, key);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, value, strlen(value));
	if (n < 0)
		ret = -errno;
	else if ((size_t)n != strlen(value))
		ret = -EIO;
	close(fd);
	return ret;
}

/* The settings tun.h names; the IPv6 ones may be missing (IPv6 off, an
 * older kernel without IPv6 disable_policy). */
static int tun_conf(const struct dp_tun *t, struct reason *why)
{
	static const struct {
		const char *family, *key, *value;
		bool optional;
	} conf[] = {
		{ "ipv6", "addr_gen_mode", "1", true },
		{ "ipv6", "disable_policy", "1", true },
		{ "ipv4", "disable_policy", "1", false },
		{ "ipv4", "disable_xfrm", "1", false },
	};

	for (size_t i = 0; i < sizeof(conf) / sizeof(conf[0]); i++) {
		int ret = conf_write(conf[i].family, t->name, conf[i].key, conf[i].value);

		if (ret == -ENOENT && conf[i].optional)
			continue;
		if (ret) {
			reason_set(why, "%s: cannot set net.%s.conf.%s.%s: %s", t->name,
				   conf[i].family, t->name, conf[i].key, strerror(-ret));
			return ret;
		}
	}
	return 0;
}

static int tun_up(const struct dp_tun *t, struct reason *why)
{
	struct ifreq ifr;
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int ret = 0;

	if (s < 0) {
		ret = -errno;
		reason_set(why, "socket: %s", strerror(errno));
		return ret;
	}
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, t->name, sizeof(ifr.ifr_name));
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0 ||
	    (ifr.ifr_flags |= IFF_UP, ioctl(s, SIOCSIFFLAGS, &ifr) < 0)) {
		ret = -errno;
		reason_set(why, "%s: cannot bring it up: %s", t->name, strerror(errno));
	}
	close(s);
	return ret;
}

int tun_open(struct dp_tun *t, const char *name, struct reason *why)
{
	struct ifreq ifr;
	int ret;

	t->fd = -1;
	if (!name || !*name)
		name = TUN_DEFAULT_NAME;
	if (strlen(name) >= IF_NAMESIZE) {
		reason_set(why, "TUN device name \"%.*s...\" longer than %d bytes", 16, name,
			   IF_NAMESIZE - 1);
		return -EINVAL;
	}
	if (if_nametoindex(name)) {
		reason_set(why, "%s: a network device of that name exists already", name);
		return -EBUSY;
	}
	t->fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (t->fd < 0) {
		ret = -errno;
		reason_set(why, "/dev/net/tun: %s", strerror(errno));
		return ret;
	}
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(t->fd, TUNSETIFF, &ifr) < 0) {
		ret = -errno;
		reason_set(why, "%s: TUNSETIFF: %s", name, strerror(errno));
		goto fail;
	}
	snprintf(t->name, sizeof(t->name), "%s", ifr.ifr_name);
	t->ifindex = (int)if_nametoindex(t->name);
	if (!t->ifindex) {
		ret = -errno;
		reason_set(why, "%s: no ifindex: %s", t->name, strerror(errno));
		goto fail;
	}
	ret = tun_conf(t, why);
	if (!ret)
		ret = tun_up(t, why);
	if (ret)
		goto fail;
	return 0;
fail:
	tun_close(t);
	return ret;
}

void tun_close(struct dp_tun *t)
{
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
}

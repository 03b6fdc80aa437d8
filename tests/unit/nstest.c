/* nstest.c: see nstest.h. */
#define _GNU_SOURCE
#include "config.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "nstest.h"

int nstest_enter(void)
{
	int flags = CLONE_NEWNET | (geteuid() ? CLONE_NEWUSER : 0);

	return unshare(flags) < 0 ? -errno : 0;
}

static int ifreq_ioctl(unsigned long req, struct ifreq *ifr)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), r = 0;

	if (fd < 0)
		return -errno;
	if (ioctl(fd, req, ifr) < 0)
		r = -errno;
	close(fd);
	return r;
}

int nstest_link(const char *ifname, bool up)
{
	struct ifreq ifr;
	int r;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	r = ifreq_ioctl(SIOCGIFFLAGS, &ifr);
	if (r)
		return r;
	if (up)
		ifr.ifr_flags |= IFF_UP;
	else
		ifr.ifr_flags &= ~IFF_UP;
	return ifreq_ioctl(SIOCSIFFLAGS, &ifr);
}

static void set_sin(struct sockaddr *sa, in_addr_t a)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = a };

	memcpy(sa, &sin, sizeof(sin));
}

int nstest_addr4(const char *label, const char *addr, unsigned plen)
{
	struct ifreq ifr;
	struct in_addr a;
	int r;

	if (!addr)
		return nstest_link(label, false); /* an alias goes when set down */
	if (inet_pton(AF_INET, addr, &a) != 1 || plen > 32)
		return -EINVAL;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", label);
	set_sin(&ifr.ifr_addr, a.s_addr);
	r = ifreq_ioctl(SIOCSIFADDR, &ifr);
	if (r)
		return r;
	set_sin(&ifr.ifr_netmask, plen ? htonl(~0u << (32 - plen)) : 0);
	return ifreq_ioctl(SIOCSIFNETMASK, &ifr);
}

void nstest_skip(const char *test, int err)
{
	fprintf(stderr, "%s: SKIPPED: no private network namespace: %s\n", test, strerror(-err));
}

/* tun.h: the datapath's TUN device.
 *
 * A layer-3 TUN (IFF_TUN | IFF_NO_PI: each read or write is one bare IPv4
 * or IPv6 packet), non-blocking, set up through ioctl and procfs only (no
 * netlink): IPv6 addr_gen_mode none (no link-local address, so the
 * device sends nothing of its own), IPv4 disable_policy and disable_xfrm
 * and IPv6 disable_policy (Linux 6.1 has no IPv6 disable_xfrm: there the
 * kernel's out policies are kept off the routes into the device by the
 * daemon's placement rule, see dp.h), then up.  disable_policy keeps the
 * kernel's in/fwd policies from re-checking the packets we write into the
 * device (they were checked by our datapath); disable_xfrm keeps its out
 * policies from taking IPv4 packets routed into it.  The device lives as
 * long as the file descriptor: tun_close() (or the process ending)
 * deletes it.  The routes into it are the daemon's.
 */
#ifndef SPIGRP_DP_TUN_H
#define SPIGRP_DP_TUN_H

#include <net/if.h>

#include "reason.h"

struct dp_tun {
	int fd;                 /* -1 when closed */
	int ifindex;
	char name[IF_NAMESIZE];
};

/**
 * tun_open() - create the device @name (NULL or "": "spigrp0") and set it
 * up as above.  A device of that name that exists already is refused
 * (-EBUSY: another spigrpd, or someone else's).
 * Return: 0 with @t filled, or -errno with @why (nothing left behind).
 */
int tun_open(struct dp_tun *t, const char *name, struct reason *why);

/* Close the device (it goes away with its last descriptor).  Safe on a
 * closed or zeroed-and-fd=-1 @t. */
void tun_close(struct dp_tun *t);

#endif

/* nstest.h: a private network namespace for unit tests of the netlink
 * modules, and ways to change its addresses without iproute2 (ioctls).
 * Needs root or unprivileged user namespaces; call it inside a Check test
 * (forked: the namespace goes with the test's process). */
#ifndef SPIGRP_NSTEST_H
#define SPIGRP_NSTEST_H

#include <stdbool.h>

/* Enter a new network namespace (and a user namespace when not root).
 * Return: 0, or -errno (the caller skips the test and says why). */
int nstest_enter(void);

/* Bring interface @ifname up or down.  Return: 0 or -errno. */
int nstest_link(const char *ifname, bool up);

/* Add IPv4 address @addr/@plen on @label (an alias of lo such as "lo:1",
 * one address per label), or remove it (@addr NULL).  0 or -errno. */
int nstest_addr4(const char *label, const char *addr, unsigned plen);

/* Print why a test is skipped, once per test. */
void nstest_skip(const char *test, int err);

#endif

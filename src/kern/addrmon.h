/* addrmon.h: the address monitor, the daemon's one view of which addresses
 * are local.  It owns the one rtnetlink socket that listens for address
 * changes (RTNLGRP_IPV4_IFADDR and RTNLGRP_IPV6_IFADDR) and the cache of
 * the network namespace's IPv4 and IPv6 addresses, which it dumps anew
 * (RTM_GETADDR) when events say something changed.  Raw netlink, no libnl.
 *
 * A local address is any IFA_LOCAL of an IPv4 address and IFA_LOCAL, else
 * IFA_ADDRESS, of an IPv6 one, on any interface, whatever its state (up,
 * down, tentative): what the kernel would accept as a source.  Main thread
 * only.  Never logs: failures come back as -errno for the caller to log.
 */
#ifndef SPIGRP_ADDRMON_H
#define SPIGRP_ADDRMON_H

#include <stdbool.h>
#include "said.h"

struct addrmon;

/**
 * addrmon_open() - open the event socket in the caller's network namespace
 * and dump the addresses once.  Needs no privilege.
 * Return: 0 and *@out, or -errno (socket, bind or dump failed; -ENOMEM).
 */
int addrmon_open(struct addrmon **out);
void addrmon_close(struct addrmon *am); /* NULL is a no-op */

/* The event socket, for poll() (POLLIN: call addrmon_process()). */
int addrmon_fd(const struct addrmon *am);

/**
 * addrmon_process() - read the pending address events; when there were any
 * (or the kernel dropped some: ENOBUFS), dump the addresses anew.
 * Return: 1 if the set of local addresses changed, 0 if not (no event, or
 * events that left the set as it was: a flag change, an address removed and
 * added back), -errno if the dump failed (the old set is kept: call again).
 */
int addrmon_process(struct addrmon *am);

/**
 * addrmon_is_local() - is @a (IPv4 or IPv6) one of the cached local
 * addresses?  A sadb_is_local_fn: @am is the struct addrmon (NULL: no
 * address is local).  O(log n) in the number of addresses.
 */
bool addrmon_is_local(const struct ip_addr *a, void *am);

/* The first cached local address inside @p (in address order), or NULL.
 * Borrowed: valid until the next addrmon_process() or addrmon_close(). */
const struct ip_addr *addrmon_local_in(const struct addrmon *am, const struct ip_prefix *p);

/* Number of cached local addresses (for tests and status). */
size_t addrmon_count(const struct addrmon *am);

#endif

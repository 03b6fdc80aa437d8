/* kernops.h: the real kernel backend of the reconciler (reconcile.h's ops
 * table over kern/: XFRM states and policies, routes, the address-event
 * socket).  Tests use a fake table instead. */
#ifndef SPIGRP_KERNOPS_H
#define SPIGRP_KERNOPS_H

#include "reason.h"

struct kern_ops;

extern const struct kern_ops kernops_real;

struct cfg;

/**
 * kernops_open() - open what the daemon needs of the kernel, for
 * kernops_real: the address monitor (local addresses and their events), the
 * XFRM netlink sockets (shunt record in @c's state-dir) and, with
 * install-routes, the route handle for @c's route table.
 * Return: 0 with *@out set, or -errno with @why (nothing stays open).
 */
int kernops_open(void **out, const struct cfg *c, struct reason *why);

/* Only the address monitor, for `spigrpd -n` (is_local is all it may use).
 * 0 or -errno with @why. */
int kernops_open_local(void **out, struct reason *why);
void kernops_close(void *k); /* NULL is a no-op */

#endif

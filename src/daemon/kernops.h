/* kernops.h: the real kernel backend of the reconciler (reconcile.h's ops
 * table over kern/: XFRM states and policies, routes, the address-event
 * socket).  Tests use a fake table instead. */
#ifndef SPIGRP_KERNOPS_H
#define SPIGRP_KERNOPS_H

#include "reason.h"

struct kern_ops;

extern const struct kern_ops kernops_real;

/**
 * kernops_open() - open the XFRM netlink sockets (shunt record in
 * @state_dir) and the address-event socket (its failure is only logged:
 * directions then follow the addresses at start only).
 * Return: 0 with *@out set (the handle for kernops_real), or -errno with
 * @why.
 */
int kernops_open(void **out, const char *state_dir, struct reason *why);
void kernops_close(void *k); /* NULL is a no-op */

#endif

/* dpops.h: the real userspace datapath of the reconciler (reconcile.h's
 * struct dp_ops over the engine, dp.h).  Tests use a fake table instead. */
#ifndef SPIGRP_DPOPS_H
#define SPIGRP_DPOPS_H

#include "reason.h"

struct cfg;
struct dp_ops;
struct seqstore;

extern const struct dp_ops dpops_real;

/**
 * dpops_open() - start the engine for dpops_real as @c says (tun-device,
 * fwmark, dp-batch), with @seq (borrowed; it outlives the engine) for
 * the outbound sequence numbers.
 * Return: 0 and *@out (a struct dp), or -errno with @why.
 */
int dpops_open(void **out, const struct cfg *c, struct seqstore *seq, struct reason *why);
void dpops_close(void *dp); /* NULL: no-op */

#endif

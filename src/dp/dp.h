/* dp.h: the userspace datapath engine: one TUN device, the raw sockets,
 * two run-to-completion worker threads (TUN -> network, network -> TUN)
 * and the tables they read.
 *
 * The main thread stages changes (dp_group_add(), dp_group_del()) and
 * publishes them with dp_commit(): it builds new lookup tables (outbound:
 * the inner destination, then source, protocol and ports, to a group;
 * inbound: SPI/CPI, outer destination and protocol to a group and SA),
 * swaps a pointer, and frees the old tables once both workers have moved
 * on (each worker takes the current table once per batch).  Packets of
 * unchanged groups are never dropped by a commit.  No queues between
 * threads: a worker reads a batch, transforms it in place (xform.h),
 * sends it, and reads again, so memory stays what dp_open() set up.
 *
 * Outbound sequence numbers: each SA's limit is reserved in seqstore.h's
 * file by the main thread (dp_seq_tick(), when dp_seq_fd() is readable
 * or on a timer) well before the worker reaches it.
 *
 * The engine owns its device, sockets, threads, buffers and tables; the
 * daemon owns the engine.  Errors come back as -errno with a reason;
 * nothing here logs (workers count, the daemon logs).  No libnl.
 */
#ifndef SPIGRP_DP_H
#define SPIGRP_DP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "reason.h"
#include "salive.h"

struct dp;
struct snap;
struct seqstore;

struct dp_config {
	const char *tun_name;   /* TUN device name ([daemon] tun-device, default "spigrp0") */
	uint32_t fwmark, fwmask; /* SO_MARK of every datapath socket; the
				    daemon's rule into its table is
				    "not fwmark fwmark/fwmask" */
	struct seqstore *seq;   /* borrowed; outlives the engine */
	unsigned batch;         /* packets per recvmmsg/sendmmsg, 1..64 (0: 64) */
	int sndbuf, rcvbuf;     /* socket buffers, bytes (0: 4 MiB) */
};

/**
 * dp_open() - create the TUN device (IFF_TUN | IFF_NO_PI, addr_gen_mode
 * none, disable_policy and disable_xfrm set, up), the raw sockets (marked,
 * with per-socket XFRM bypass policies both ways) and start both workers
 * with empty tables.  Return: 0 and *@out, or -errno with @why (nothing
 * left behind).
 */
int dp_open(struct dp **out, const struct dp_config *c, struct reason *why);

/* Stop the workers, close everything, delete the device; tables freed.
 * NULL: no-op. */
void dp_close(struct dp *d);

/* The TUN device's ifindex (for routes into it). */
int dp_ifindex(const struct dp *d);

/**
 * dp_group_add() - stage @snap (a dpsnap.h snapshot; one reference taken)
 * with @live[k] the live object of its SA k (references taken; each gets
 * its transform context now: xf_sa_setup()) and @mtu its inner MTU.  A
 * group of the same name staged or published before is replaced.
 * Return: 0, or -errno with @why (nothing staged).
 */
int dp_group_add(struct dp *d, struct snap *snap, struct sa_live *const *live, uint32_t mtu,
		 struct reason *why);

/* Stage the removal of the group named @name (absent: no-op). */
void dp_group_del(struct dp *d, const char *name);

/**
 * dp_commit() - publish what was staged: new tables to both workers.
 * Reserves first sequence blocks for new outbound SAs (seqstore).
 * Return: 0, or -errno with @why (the published tables stay as they were;
 * the staged changes stay staged).
 */
int dp_commit(struct dp *d, struct reason *why);

/* Readable when a worker needs more sequence numbers (an eventfd); -1
 * before dp_open(). */
int dp_seq_fd(const struct dp *d);

/**
 * dp_seq_tick() - reserve the next block for every published outbound SA
 * past half of its current one (fsync'd before seq_limit moves).
 * Return: 0, or the first -errno with @why (those SAs stop at their limit
 * and count DP_DROP_SEQ until a later tick succeeds).
 */
int dp_seq_tick(struct dp *d, struct reason *why);

/* Per-socket counters: packets received that no table entry claims
 * ("not ours": another host's SPI, a kernel group's) and malformed ones. */
struct dp_stats {
	uint64_t rx_not_ours, rx_malformed, rx_packets, tx_packets, tun_no_group;
};
void dp_stats(const struct dp *d, struct dp_stats *st);

#endif

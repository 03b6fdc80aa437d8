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
 * Devices and sockets: tun.h (the TUN and its settings) and sock.h (the
 * raw sockets; IPv6 is received through AF_PACKET with a BPF filter,
 * because an IPv6 raw socket does not give the headers AH covers).  The
 * routes into the TUN, the rule with "not fwmark", the nftables table and
 * the process-wide settings (not dumpable) are the daemon's.
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
 * its transform context now: xf_sa_setup()) and @mtu its inner MTU, bytes
 * (a packet from the TUN longer than that gets "fragmentation needed" /
 * "packet too big" back and counts DP_DROP_MTU on the innermost SA; 0:
 * xf_inner_mtu() over a 1500-byte path).  A group of the same name staged
 * or published before is replaced (an SA that stays keeps its live object,
 * so its counters, sequence number and window).  Shunt groups are the
 * kernel's (-EINVAL).
 * Return: 0, or -errno with @why (nothing staged).
 */
int dp_group_add(struct dp *d, struct snap *snap, struct sa_live *const *live, uint32_t mtu,
		 struct reason *why);

/* Stage the removal of the group named @name (absent: no-op). */
void dp_group_del(struct dp *d, const char *name);

/**
 * dp_commit() - publish what was staged: new tables to both workers.
 * Reserves first sequence blocks for new outbound ESP and AH SAs
 * (seqstore: seq_next = seqstore_first(), seq_limit past one block; tun
 * and IPComp SAs carry no sequence number and get no limit).  Returns
 * once neither worker can still use the old tables, which it frees (their
 * groups' snapshot and live references with them).
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

/* Counters of the engine as a whole, and per inbound socket (sock.h:
 * "esp4", "ah4", "comp4", "ipip4", "ip6in4", "ip6").  Per-SA counters are
 * in the SAs' sa_live objects. */
struct dp_sock_stats {
	const char *name;       /* static */
	uint64_t packets;       /* datagrams read */
	uint64_t not_ours;      /* no table entry claims them: another host's
				   SPI, a kernel group's, an unknown protocol */
	uint64_t malformed;     /* headers cut short or bad before the lookup */
};
#define DP_NSOCK 6
struct dp_stats {
	struct dp_sock_stats sock[DP_NSOCK];
	uint64_t rx_packets, rx_not_ours, rx_malformed; /* sums over sock[] */
	uint64_t tun_packets;      /* packets read from the TUN */
	uint64_t tun_malformed;    /* ... that were not IPv4/IPv6 */
	uint64_t tun_no_group;     /* ... that no outbound group's selectors match */
	uint64_t tun_write_errors; /* inner packets (or ICMP errors) the TUN refused */
	uint64_t tx_packets;       /* datagrams sent */
	uint64_t tx_errors;        /* datagrams the kernel refused (sendmmsg) */
	uint64_t tun_tx_dropped;   /* the TUN device's own tx_dropped: packets the
				      kernel dropped before we read them (its
				      queue into the TUN full); not set by
				      dp_stats() (0): the daemon reads it */
};
void dp_stats(const struct dp *d, struct dp_stats *st);

#endif

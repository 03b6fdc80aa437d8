/* worker.h: the datapath's two run-to-completion threads and what they
 * share with the main thread (struct dp_core).
 *
 * The send worker reads the TUN until EAGAIN in batches of up to 64
 * packets, looks each flow up once per batch (a small flow cache in front
 * of spd_out_lookup()), applies the group's transforms in place
 * (xf_encap()) and sends the batch with one sendmmsg() per family.  The
 * receive worker reads each ready socket with recvmmsg(), looks the
 * outermost SA up (the last key cached), applies xf_decap() in place and
 * writes each inner packet into the TUN.  No queue between them; each
 * owns its preallocated buffers (batch x PKT_BUF_SIZE) and its xf_scratch,
 * so nothing is allocated per packet.
 *
 * Tables: the main thread publishes a new struct spd by pointer and then
 * waits (core_synchronize()) until each worker has passed a quiescent
 * point (between batches) or is offline (blocked in poll(), holding no
 * table): only then are the old tables freed.  Each worker loads the
 * pointer once per batch.
 */
#ifndef SPIGRP_DP_WORKER_H
#define SPIGRP_DP_WORKER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include "pkt.h"
#include "reason.h"
#include "sock.h"
#include "spd.h"

#define DP_BATCH_MAX 64u

struct dp_rx_count {
	atomic_uint_fast64_t packets, not_ours, malformed;
};

/* What the workers read and count; the main thread owns it (dp.c). */
struct dp_core {
	int tun_fd;
	struct dp_socks socks;
	int stop_fd;                        /* eventfd: readable = stop */
	int seq_fd;                         /* eventfd: a worker wants sequence numbers */
	_Atomic(const struct spd *) spd;    /* the published tables */
	atomic_uint_fast64_t gen;           /* bumped after each publication */
	unsigned batch;                     /* 1..DP_BATCH_MAX */
	struct dp_rx_count rx[DP_RX_NR];
	atomic_uint_fast64_t tx_packets, tx_errors, tun_packets, tun_malformed,
		tun_no_group, tun_write_errors;
};

struct xf_scratch;

union dp_sockaddr {
	struct sockaddr sa;
	struct sockaddr_in in;
	struct sockaddr_in6 in6;
	uint8_t ll[32];                     /* struct sockaddr_ll */
};

struct worker {
	pthread_t thread;
	bool started, tx;
	struct dp_core *core;
	atomic_uint_fast64_t qs;            /* gen seen at the last quiescent
					       point, or WORKER_OFFLINE */
	uint8_t *buf;                       /* (batch + 1) x PKT_BUF_SIZE */
	size_t buf_len;
	struct pkt pkt[DP_BATCH_MAX], spare;
	struct mmsghdr msg[DP_BATCH_MAX];
	struct iovec iov[DP_BATCH_MAX];
	union dp_sockaddr addr[DP_BATCH_MAX];
	struct xf_scratch *xs;
};

/**
 * worker_start() - set up @w's buffers and scratch and start its thread
 * over @core (@tx: the send worker, else the receive worker).
 * Return: 0, or -errno with @why (nothing left allocated).
 */
int worker_start(struct worker *w, struct dp_core *core, bool tx, struct reason *why);

/* Join @w (after core->stop_fd was made readable) and free its buffers.
 * No-op on a worker that never started. */
void worker_stop(struct worker *w);

/**
 * core_synchronize() - after a new table was published in @c: wait until
 * each of the @n workers has passed a quiescent point or is offline, so
 * that nothing published before is still in use.  Main thread.
 */
void core_synchronize(struct dp_core *c, struct worker *const *w, unsigned n);

#endif

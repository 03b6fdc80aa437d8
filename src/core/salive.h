/* salive.h: what the datapath changes for one SA while it runs: counters,
 * the outbound sequence number and its persisted limit, the inbound
 * anti-replay window, and the datapath's own per-SA context (cipher
 * contexts, set up once by the main thread before the SA is first
 * published).
 *
 * A runtime SA (runtime.h, struct rt_sa) owns one reference; every
 * datapath table that lists the SA holds another, so a reload that drops
 * the SA frees nothing a worker still uses, and an SA that survives a
 * reload keeps its counters, sequence number and window.  The refcount and
 * the counters are atomics: the worker of the SA's direction writes them
 * (relaxed), the main thread reads them for the status.  seq_next is
 * written by the outbound worker only; replay only by the inbound worker.
 * No locks, no I/O.
 */
#ifndef SPIGRP_SALIVE_H
#define SPIGRP_SALIVE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "replay.h"

/* Why the datapath dropped a packet of an SA (spigrp --status names them
 * as in dp_drop_name()).  The reasons start at 1, so that a transform's
 * return value -reason is never 0 (success); drop[0] stays unused. */
enum dp_drop {
	DP_DROP_ICV = 1,    /* ICV did not verify (or AEAD tag) */
	DP_DROP_REPLAY,     /* outside the window or seen before */
	DP_DROP_POLICY,     /* transforms applied do not match the group */
	DP_DROP_SELECTOR,   /* inner packet outside the group's selectors */
	DP_DROP_MALFORMED,  /* short, bad padding, bad headers */
	DP_DROP_INFLATE,    /* IPComp: inflates past 64 KiB, flags, zlib error */
	DP_DROP_MTU,        /* too big after encapsulation */
	DP_DROP_SEQ,        /* outbound: no sequence number reserved (or 32-bit
			       space used up without ESN) */
	DP_DROP_NR
};

/* "icv", "replay", "policy", "selector", "malformed", "inflate", "mtu",
 * "seq"; NULL out of range (0 included: loops run from DP_DROP_ICV). */
const char *dp_drop_name(enum dp_drop r);

struct sa_live {
	atomic_uint refs;
	/* counters: packets and bytes that passed (bytes of the packet as the
	 * SA's transform saw it: inner for outbound, as received for inbound,
	 * as the kernel counts its SAs' bytes), drops by reason */
	atomic_uint_fast64_t packets, bytes;
	atomic_uint_fast64_t drop[DP_DROP_NR];
	/* outbound: next sequence number to send (starts at 1) and the limit
	 * reserved on disk (seqstore.h): numbers >= seq_limit are not sent */
	atomic_uint_fast64_t seq_next, seq_limit;
	/* inbound: the anti-replay window */
	struct replay_window replay;
	/* the datapath's per-SA context and how to free it (set once, by the
	 * main thread, before the first table holding the SA is published) */
	void *ctx;
	void (*ctx_free)(void *ctx);
};

/* A new live object with one reference: counters 0, seq_next 1,
 * seq_limit 0 (nothing reserved yet), window empty of @replay_window
 * packets.  NULL when out of memory. */
struct sa_live *sa_live_new(uint32_t replay_window, bool esn);
/* One more reference (NULL stays NULL). */
struct sa_live *sa_live_get(struct sa_live *l);
/* Drop one; the last frees the object and its ctx (ctx_free).  NULL: no-op. */
void sa_live_put(struct sa_live *l);

#endif

/* replay.h: the inbound anti-replay window of one SA (RFC 4303 section
 * 3.4.3 and Appendix A, RFC 4302 section 3.4.3), with extended sequence
 * numbers (ESN, RFC 4303 section 2.2.1).
 *
 * Two steps, as the RFC orders them: replay_check() before the ICV is
 * verified (cheap, changes nothing; with ESN it also infers the high 32
 * bits that the ICV covers), replay_update() only after the ICV verified.
 * A bad-ICV packet therefore never moves the window.  Window sizes 0
 * (no check, as the kernel's replay-window 0) up to REPLAY_MAX packets.
 * Owned and used by one thread (the datapath's inbound worker); pure: no
 * I/O, no allocation.
 */
#ifndef SPIGRP_REPLAY_H
#define SPIGRP_REPLAY_H

#include <stdbool.h>
#include <stdint.h>

#define REPLAY_MAX 4096u

struct replay_window {
	uint32_t size;        /* packets; 0 = no anti-replay check */
	bool esn;             /* 64-bit sequence numbers, 32 low bits on the wire */
	uint64_t top;         /* highest sequence number accepted; 0 = none yet
				 (stored with a relaxed atomic store, so that
				 another thread may read it atomically) */
	uint64_t bits[REPLAY_MAX / 64]; /* bit (seq % REPLAY_MAX): seen */
};

/* An empty window of @size packets (0..REPLAY_MAX; larger is cut). */
void replay_init(struct replay_window *w, uint32_t size, bool esn);

/**
 * replay_check() - may a packet with wire sequence number @seq32 (host
 * order) be accepted?  Sequence number 0 never is (RFC 4303: the first
 * packet sent has 1) unless ESN wraps the low half.  With ESN, the high
 * half is inferred as in RFC 4303 Appendix A2.2.
 * Return: true with the full 64-bit sequence number in *@seq (the one the
 * ICV covers), or false (too old or already seen: count as replay).
 */
bool replay_check(const struct replay_window *w, uint32_t seq32, uint64_t *seq);

/* Record @seq (from replay_check()) as seen, after its ICV verified. */
void replay_update(struct replay_window *w, uint64_t seq);

#endif

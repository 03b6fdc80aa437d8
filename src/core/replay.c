/* replay.c: the anti-replay window of one inbound SA (replay.h).
 *
 * One bitmap of REPLAY_MAX bits, whatever the window's size: the bit of
 * sequence number s is (s % REPLAY_MAX), valid for the REPLAY_MAX numbers
 * up to the highest accepted one (top).  When top moves forward, the bits
 * of the numbers it passes are cleared first, so a bit never speaks for a
 * number REPLAY_MAX older.  A window of W packets accepts s when
 * s > top, or top - s < W and its bit is clear (RFC 4303 Appendix A).
 */
#include "config.h"

#include <string.h>

#include "replay.h"

#define WORD_BITS 64u

void replay_init(struct replay_window *w, uint32_t size, bool esn)
{
	memset(w, 0, sizeof(*w));
	w->size = size > REPLAY_MAX ? REPLAY_MAX : size;
	w->esn = esn;
}

/* The high half of the sequence number whose low half is @lo, as RFC 4303
 * Appendix A2.2 infers it from the top of a window of @win packets: the
 * candidate (top's high half, or the one after or before it) that puts
 * the number inside the window or above it.  A high half below 0 is
 * impossible (the first packets of the SA): 0 then. */
static uint64_t infer_hi(uint64_t top, uint32_t win, uint32_t lo)
{
	uint32_t th = (uint32_t)(top >> 32), tl = (uint32_t)top;
	uint32_t bottom = tl - win + 1; /* mod 2^32 */

	if (tl >= win - 1) /* the window lies inside one subspace */
		return lo >= bottom ? th : (uint64_t)th + 1;
	/* it spans the end of the previous subspace and the start of this */
	if (lo >= bottom)
		return th ? th - 1 : th;
	return th;
}

static bool seen(const struct replay_window *w, uint64_t seq)
{
	uint32_t bit = (uint32_t)(seq % REPLAY_MAX);

	return w->bits[bit / WORD_BITS] >> (bit % WORD_BITS) & 1;
}

bool replay_check(const struct replay_window *w, uint32_t seq32, uint64_t *seq)
{
	uint64_t s = seq32;

	if (w->esn) {
		/* No window: the high half that puts the number nearest to
		 * the top (half the space either way), so that reordering,
		 * which nothing rejects, does not break the ICV either. */
		uint64_t hi = infer_hi(w->top, w->size ? w->size : 1u << 31, seq32);

		if (hi > UINT32_MAX)
			return false; /* past the last number of the SA */
		s |= hi << 32;
	}
	*seq = s;
	if (s == 0)
		return false;
	if (!w->size || s > w->top)
		return true;
	if (w->top - s >= w->size)
		return false;
	return !seen(w, s);
}

/* Clear the bits of the numbers after top up to and including @seq. */
static void advance(struct replay_window *w, uint64_t seq)
{
	uint64_t s;

	if (seq - w->top >= REPLAY_MAX) {
		memset(w->bits, 0, sizeof(w->bits));
		return;
	}
	for (s = w->top + 1; s <= seq;) {
		uint32_t bit = (uint32_t)(s % REPLAY_MAX);

		if (bit % WORD_BITS == 0 && seq - s >= WORD_BITS - 1) {
			w->bits[bit / WORD_BITS] = 0;
			s += WORD_BITS;
		} else {
			w->bits[bit / WORD_BITS] &= ~(UINT64_C(1) << (bit % WORD_BITS));
			s++;
		}
	}
}

void replay_update(struct replay_window *w, uint64_t seq)
{
	uint32_t bit;

	if (seq > w->top) {
		advance(w, seq);
		/* atomic: the view reads top from another thread (kview_own.c) */
		__atomic_store_n(&w->top, seq, __ATOMIC_RELAXED);
	} else if (w->top - seq >= REPLAY_MAX) {
		return; /* no bit speaks for it (only with a window of 0) */
	}
	bit = (uint32_t)(seq % REPLAY_MAX);
	w->bits[bit / WORD_BITS] |= UINT64_C(1) << (bit % WORD_BITS);
}

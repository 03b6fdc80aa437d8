/* pkt.h: one packet in a preallocated buffer, with headroom for the
 * headers the datapath adds and tailroom for ESP's trailer and ICVs.
 *
 * The datapath never allocates per packet: each worker owns an array of
 * these, set up once (pkt_init()) over one large buffer, and every
 * transform works in place, moving p->off back to push a header and
 * p->len up to append a trailer.  Inline helpers only; no I/O.
 */
#ifndef SPIGRP_PKT_H
#define SPIGRP_PKT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Room kept in front of a packet read from the TUN or a socket: an outer
 * IPv6 header (40), AH with a 256-bit ICV padded to 8 bytes (48), ESP's
 * header and a 16-byte IV (24), IPComp's header (4), with margin. */
#define PKT_HEADROOM 256u
/* Room behind it: ESP padding (at most 255), pad length and next header
 * (2), an ICV of up to 32 bytes, with margin. */
#define PKT_TAILROOM 320u
/* Largest IP datagram (IPv4 total length; IPv6 without jumbograms). */
#define PKT_MAX_IP 65535u
/* Bytes of buffer per packet. */
#define PKT_BUF_SIZE (PKT_HEADROOM + PKT_MAX_IP + PKT_TAILROOM)

struct pkt {
	uint8_t *base;  /* buffer start (owned by the worker, not the pkt) */
	size_t cap;     /* buffer size, bytes */
	size_t off;     /* first byte of the packet: base + off */
	size_t len;     /* packet length, bytes */
};

/* Point @p at the @cap-byte buffer @base, empty, with PKT_HEADROOM in
 * front (reads go to pkt_data(p), at most pkt_tailroom(p) bytes). */
static inline void pkt_init(struct pkt *p, uint8_t *base, size_t cap)
{
	p->base = base;
	p->cap = cap;
	p->off = PKT_HEADROOM < cap ? PKT_HEADROOM : cap;
	p->len = 0;
}

/* Empty again, headroom restored (before the next read into it). */
static inline void pkt_reset(struct pkt *p)
{
	p->off = PKT_HEADROOM < p->cap ? PKT_HEADROOM : p->cap;
	p->len = 0;
}

static inline uint8_t *pkt_data(const struct pkt *p) { return p->base + p->off; }
static inline size_t pkt_headroom(const struct pkt *p) { return p->off; }
static inline size_t pkt_tailroom(const struct pkt *p) { return p->cap - p->off - p->len; }

/* Grow the packet by @n bytes at the front; return its new start, or NULL
 * (nothing changed) when the headroom is short. */
static inline uint8_t *pkt_push(struct pkt *p, size_t n)
{
	if (n > p->off)
		return NULL;
	p->off -= n;
	p->len += n;
	return p->base + p->off;
}

/* Grow the packet by @n bytes at the end; return the first new byte, or
 * NULL (nothing changed) when the tailroom is short. */
static inline uint8_t *pkt_put(struct pkt *p, size_t n)
{
	uint8_t *at;

	if (n > pkt_tailroom(p))
		return NULL;
	at = p->base + p->off + p->len;
	p->len += n;
	return at;
}

/* Drop @n bytes at the front.  0, or -1 (nothing changed) when shorter. */
static inline int pkt_pull(struct pkt *p, size_t n)
{
	if (n > p->len)
		return -1;
	p->off += n;
	p->len -= n;
	return 0;
}

/* Cut the packet to @len bytes.  0, or -1 when it is shorter already. */
static inline int pkt_trim(struct pkt *p, size_t len)
{
	if (len > p->len)
		return -1;
	p->len = len;
	return 0;
}

/* Open a gap of @n bytes after the first @hlen bytes (an IP header that
 * stays in front), moving those bytes back into the headroom.  Return the
 * gap, or NULL (nothing changed). */
static inline uint8_t *pkt_insert(struct pkt *p, size_t hlen, size_t n)
{
	uint8_t *old = pkt_data(p);

	if (hlen > p->len || !pkt_push(p, n))
		return NULL;
	memmove(pkt_data(p), old, hlen);
	return pkt_data(p) + hlen;
}

/* Close the @n-byte gap after the first @hlen bytes (the reverse of
 * pkt_insert()).  0, or -1 (nothing changed). */
static inline int pkt_remove(struct pkt *p, size_t hlen, size_t n)
{
	uint8_t *old = pkt_data(p);

	if (hlen + n > p->len)
		return -1;
	memmove(old + n, old, hlen);
	return pkt_pull(p, n);
}

#endif

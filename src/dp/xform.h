/* xform.h: a group's transforms applied to one packet, each way, as the
 * kernel's XFRM would apply the same group (byte-compatible on the wire).
 *
 * The packet is a whole IP datagram at every step.  Outbound, the SAs run
 * inside -> outside: a tun SA adds an outer IPv4/IPv6 header (protocol
 * 4 or 41; TTL 64, DSCP copied, ECN per RFC 6040 normal mode, DF copied
 * from an IPv4 inner header), and every other SA inserts its header after
 * the current outermost IP header (ipx.h: IPv4 options and the IPv6
 * extension headers the kernel keeps in front): IPComp (ipcomp.h, skipped
 * under the kernel's rules, so an uncompressed packet of `tun comp esp`
 * leaves as ESP carrying IPIP), ESP (esp.h), AH (ah.h, last: its ICV
 * covers the outer header).  Inbound, the reverse, outer -> inner, and the
 * kernel's inbound policy check: the transforms found must be the group's,
 * in order (IPComp optional, as the kernel's `level use`), and the inner
 * packet must match the group's selectors (RFC 4301 section 5.2).
 *
 * Counters (salive.h) are updated here, on the SA concerned.  Per-SA
 * contexts (cipher, MAC) are made once by xf_sa_setup() on the main
 * thread and kept in the SA's sa_live; per-worker state (zlib streams, a
 * spare buffer for inflating) in struct xf_scratch.  No I/O, no
 * allocation per packet.
 */
#ifndef SPIGRP_XFORM_H
#define SPIGRP_XFORM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dpsnap.h"
#include "pkt.h"
#include "reason.h"
#include "salive.h"

/* A group as a datapath table holds it. */
struct xf_group {
	struct snap *snap;                 /* its dpsnap (one reference held) */
	const struct dpsnap_group *g;      /* dpsnap_group(snap) */
	struct sa_live *live[CFG_MAX_GROUP_SAS + 1]; /* live[k] for g->sa[k], one
						       reference held; a tun SA's
						       too (counters) */
	uint32_t mtu;                      /* largest inner packet sent whole,
					      bytes (xf_inner_mtu()) */
};

/* Per-worker state, set up once: zlib deflate and inflate streams, a
 * spare PKT_BUF_SIZE buffer.  0 or -ENOMEM. */
struct xf_scratch;
int xf_scratch_new(struct xf_scratch **out);
void xf_scratch_free(struct xf_scratch *s);
/* Test only: the IPv4 identification of the next tun header (to reproduce
 * kernel captures; see ipip.h). */
void xf_scratch_test_ip_id(struct xf_scratch *s, uint16_t id);

/**
 * xf_sa_setup() - give @l (the live object of @sa) its transform context
 * (l->ctx, l->ctx_free) unless it has one: cipher and MAC contexts for
 * ESP/AH, set up with the keys now.  Main thread, before the SA is
 * published to a worker.  Return: 0, or -errno with @why.
 */
int xf_sa_setup(struct sa_live *l, const struct dpsnap_sa *sa, struct reason *why);

/* Where an inbound packet's outermost transform points: the lookup key of
 * the datapath's inbound table. */
struct xf_key {
	uint8_t family;        /* AF_INET or AF_INET6 */
	uint8_t proto;         /* 50 ESP, 51 AH, 108 IPComp, 4/41 IPIP */
	uint32_t spi;          /* ESP/AH SPI, IPComp CPI (host order); 0 for IPIP */
	struct ip_addr dst;    /* outer destination */
	struct ip_addr src;    /* outer source (IPIP is looked up by it) */
};

/**
 * xf_peek() - the key of the IP packet in @p (whole datagram as received).
 * Return: 0; -DP_DROP_MALFORMED when the headers are cut short or bad;
 * -EPROTONOSUPPORT when the payload is none of the protocols above.
 */
int xf_peek(const struct pkt *p, struct xf_key *key);

/**
 * xf_encap() - send-side: @p holds an IP packet from the TUN, matched to
 * @g (outbound).  A packet longer than @g->mtu (when not 0) is refused
 * first (-DP_DROP_MTU, counted on the innermost SA: the caller sends
 * xf_icmp_too_big()).  Each SA takes the next sequence number from its
 * live object (none reserved: -DP_DROP_SEQ).  On success @p holds the
 * outer datagram, lengths and IPv4 checksum fixed, ready for a raw socket;
 * each SA counted the packet and the bytes it was given.
 * Return: 0, or -enum dp_drop (counted on the SA concerned).
 */
int xf_encap(const struct xf_group *g, struct pkt *p, struct xf_scratch *s);

/**
 * xf_decap() - receive-side: @p holds a datagram whose outermost transform
 * is @g's SA number @k (found by xf_peek() and the inbound table).  For
 * each SA from there inwards: anti-replay check, ICV, replay update,
 * decrypt/decompress/strip, then the policy check and the selector check
 * of the inner packet.  On success @p holds the inner packet (TFC padding
 * trimmed), ready for the TUN.
 * Policy (the kernel's template check, XfrmInTmplMismatch): entering at
 * SA @k when an SA outside it is not IPComp, or finding at some step a
 * header other than the next SA's (another protocol, another SPI/CPI), is
 * -DP_DROP_POLICY; an IPComp SA the packet skipped (sent uncompressed) is
 * fine.  Policy and selector drops of a whole packet count on SA @k, a
 * step's drop on that step's SA; packets and bytes count on every SA the
 * packet went through, once it passed every check.
 * Anti-replay: replay_check() before the ICV, replay_update() after it
 * verified; for encryption-only ESP after decryption with good padding,
 * as the kernel's xfrm_input() advances the window once the transform's
 * input succeeded (RFC 4303 section 3.4.3 advises against anti-replay
 * without integrity; the kernel does it when a window is set, and so do
 * we: a forged packet can move such a window).
 * Return: 0; 1 for a packet to drop silently (ESP next header 59);
 * -enum dp_drop (counted on the SA concerned).
 */
int xf_decap(const struct xf_group *g, unsigned k, struct pkt *p, struct xf_scratch *s);

/**
 * xf_inner_mtu() - the largest inner packet that @g sends whole when the
 * path to its outer destination has @path_mtu bytes (worst case over
 * padding, IPComp expansion and AH alignment).
 */
uint32_t xf_inner_mtu(const struct dpsnap_group *g, uint32_t path_mtu);

/**
 * xf_icmp_too_big() - into @out, the ICMP "fragmentation needed" (IPv4,
 * RFC 1191) or ICMPv6 "packet too big" (RFC 4443) that tells the sender
 * of the packet in @in to use @mtu, from the inner destination, as much of
 * @in quoted as the RFCs allow.  Return: 0, or -1 when none is due (an
 * ICMP error itself, IPv4 without DF...).
 */
int xf_icmp_too_big(const struct pkt *in, uint32_t mtu, struct pkt *out);

#endif

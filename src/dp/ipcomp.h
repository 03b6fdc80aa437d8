/* ipcomp.h: IPComp (RFC 3173) with the DEFLATE algorithm (RFC 2394)
 * through zlib, in place, with the kernel's rules.
 *
 * Outbound (net/xfrm/xfrm_ipcomp.c ipcomp_output()): a payload shorter
 * than IPCOMP_THRESHOLD bytes, or one whose compressed form plus the
 * 4-byte header is not smaller, leaves uncompressed and without IPComp
 * header.  The compressor is zlib's raw deflate with the parameters of the
 * kernel's "deflate" crypto algorithm (crypto/deflate.c: default level,
 * a 2^11-byte window, memory level 8, one Z_FINISH per packet), so its
 * output can equal the kernel's; any RFC 1951 inflater reads it.
 * Inbound: the header's flags must be zero (RFC 3173 section 2.2; the
 * kernel does not look), the payload must inflate (window up to 2^15) to
 * a complete stream of at most IPCOMP_MAX_OUT bytes (the kernel stops at
 * its 65400-byte scratch buffer); otherwise -DP_DROP_INFLATE.
 *
 * One struct ipcomp_z per worker, made once (zlib's state and a buffer of
 * PKT_BUF_SIZE bytes); each packet resets the streams.  No allocation per
 * packet, no I/O.  The CPI check (16 bits in the header) is the caller's.
 */
#ifndef SPIGRP_IPCOMP_H
#define SPIGRP_IPCOMP_H

#include <stddef.h>
#include <stdint.h>

#include "pkt.h"

#define IPCOMP_HDR_LEN 4u
#define IPCOMP_THRESHOLD 90u     /* deflate's in the kernel's algorithm table */
#define IPCOMP_MAX_OUT 65536u    /* bytes one packet may inflate to */

struct ipcomp_z;

/* zlib's deflate and inflate streams and a scratch buffer.  0 and *@out,
 * or -ENOMEM. */
int ipcomp_z_new(struct ipcomp_z **out);
void ipcomp_z_free(struct ipcomp_z *z); /* NULL: no-op */

/**
 * ipcomp_encap() - compress the payload of the IP packet in @p: the bytes
 * after its first @hlen (the headers that stay in front).  When that pays,
 * inserts the IPComp header (next header from the byte at @nh_off, flags
 * 0, @cpi in network order) and sets that byte to 108.  Lengths and the
 * IPv4 checksum are the caller's.
 * Return: 0 compressed; 1 left as it was (too short, or it did not shrink,
 * or zlib failed: the kernel sends those uncompressed too).
 */
int ipcomp_encap(struct ipcomp_z *z, struct pkt *p, size_t hlen, size_t nh_off, uint16_t cpi);

/**
 * ipcomp_decap() - the IPComp header at @hlen in @p: check its flags,
 * inflate the payload in its place, write its next header at @nh_off.
 * The datagram may grow to at most PKT_MAX_IP bytes.
 * Return: 0; -DP_DROP_MALFORMED (shorter than the header);
 * -DP_DROP_INFLATE (flags set, not a complete deflate stream, more than
 * IPCOMP_MAX_OUT bytes or more than the datagram can hold).  @p is
 * unchanged on failure.
 */
int ipcomp_decap(struct ipcomp_z *z, struct pkt *p, size_t hlen, size_t nh_off);

#endif

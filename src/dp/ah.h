/* ah.h: AH (RFC 4302) on one SA, in place, HMAC through OpenSSL's EVP_MAC.
 *
 * The ICV covers the IP header and the extension headers in front of AH,
 * AH with its ICV field zero, the payload, and with ESN the high 32 bits of
 * the sequence number (section 3.3.3.2.1: appended, never sent).  Mutable
 * fields count as zero, as the kernel's ah4.c/ah6.c zero them:
 *  - IPv4: TOS, flags and fragment offset, TTL, header checksum, and every
 *    option but End, No Operation, Security (130), Extended Security
 *    (133), Commercial Security (134), Router Alert (148) and SDMDD (149)
 *    (section 3.3.3.1.1.1), whole (type and length too).  Outbound, a
 *    loose or strict source route puts its last address in the place of
 *    the destination (the final destination), as ip_clear_mutable_options()
 *    does.
 *  - IPv6: traffic class, flow label and hop limit; in hop-by-hop and
 *    destination options headers the data of every option whose type has
 *    the "may change en route" bit (0x20); routing headers as the kernel
 *    treats them (ipv6_clear_mutable_options()): outbound with segments
 *    left, as they will arrive (segments left 0, the final destination in
 *    the destination field, the current destination in the address list:
 *    ipv6_rearrange_rthdr()); inbound as received.
 * AH's length is the 12-byte header plus the ICV, padded to 4 bytes for
 * an IPv4 SA with ah-align 32 (XFRM_STATE_ALIGN4), else to 8 (RFC 4302
 * section 2.2); padding is sent as zero.  Inbound, the length with the
 * truncated or the full MAC is accepted (as the kernel), the first
 * icv-bits of the ICV field are compared in constant time (CRYPTO_memcmp),
 * and only then is anything changed.
 *
 * One ah_sa is used by one thread; its HMAC context holds the key, set up
 * once by ah_sa_new() and restarted per packet from the keyed state.  No
 * I/O, no allocation after ah_sa_new().
 */
#ifndef SPIGRP_AH_H
#define SPIGRP_AH_H

#include <stddef.h>
#include <stdint.h>

#include "dpsnap.h"
#include "pkt.h"
#include "reason.h"

#define AH_FIXED_LEN 12u  /* next header, length, reserved, SPI, sequence */

struct ah_sa;

/**
 * ah_sa_new() - the HMAC context of @sa (an AH SA; the key is copied into
 * OpenSSL's context).  Return: 0 and *@out, or -errno with @why (-ENOSYS:
 * OpenSSL lacks the digest; -EINVAL: not an AH SA with an auth algorithm;
 * -ENOMEM).
 */
int ah_sa_new(struct ah_sa **out, const struct dpsnap_sa *sa, struct reason *why);
void ah_sa_free(struct ah_sa *a); /* NULL: no-op */

/* The AH header length of @a as sent (fixed part, ICV, padding), bytes. */
size_t ah_hdr_len(const struct ah_sa *a);
/* The same for @sa without a context: for MTU sums. */
size_t ah_overhead(const struct dpsnap_sa *sa);

/**
 * ah_encap() - insert AH after the first @hlen bytes of the IP datagram in
 * @p (the headers that stay in front: ipx.h, IPX_OUT), with the low 32
 * bits of @seq, the next header taken from the byte at @nh_off (which
 * becomes 51); set the datagram's length field; compute the ICV.  The
 * IPv4 checksum is the caller's (it is not covered).
 * Return: 0, or -DP_DROP_MALFORMED (no room, a malformed option or
 * extension header; @p unchanged but for a bad header found late).
 */
int ah_encap(struct ah_sa *a, struct pkt *p, size_t hlen, size_t nh_off, uint64_t seq);

/**
 * ah_decap() - verify the AH header at @hlen in the datagram in @p (whose
 * length field is right) with @seq the full sequence number from
 * replay_check(); on success remove AH and write its next header at
 * @nh_off (the length field is the caller's).
 * Return: 0; -DP_DROP_ICV; -DP_DROP_MALFORMED (short, a length that fits
 * neither ICV size, bad options).  @p is unchanged on failure.
 */
int ah_decap(struct ah_sa *a, struct pkt *p, size_t hlen, size_t nh_off, uint64_t seq);

#endif

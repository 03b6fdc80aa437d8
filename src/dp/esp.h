/* esp.h: ESP (RFC 4303) on one SA, in place, through OpenSSL's EVP.
 *
 * Every algorithm of alg.h's table: AES-CBC (RFC 3602) and 3DES-CBC with
 * HMAC-SHA1-96 (RFC 2404), HMAC-SHA2-256-128, -384-192, -512-256 (RFC
 * 4868); AES-GCM with a 16-byte ICV (RFC 4106); ChaCha20-Poly1305 (RFC
 * 7634); NULL encryption with authentication (RFC 2410); encryption
 * without authentication.  ESN (section 2.2.1): the high 32 bits of the
 * sequence number are covered by the ICV (appended for HMAC, in the AAD
 * for AEAD) but never sent.
 *
 * IVs never repeat with one key, across restarts too: AEAD IVs are the
 * 64-bit sequence number XOR a random per-SA value (the kernel's seqiv);
 * CBC IVs are that sequence number encrypted under a random per-SA IV key
 * (unpredictable, as RFC 3602 section 2 asks).  Sequence numbers
 * themselves never repeat: seqstore.h.
 *
 * One esp_sa is used by one thread (the worker of its direction); its
 * cipher and MAC contexts are set up once by esp_sa_new(), never per
 * packet.  Keys are copied into OpenSSL's contexts; esp_sa_free() frees
 * them (OpenSSL cleanses its key schedules).  No I/O, no allocation after
 * esp_sa_new() by this module; inside OpenSSL 3.0, AEAD and CBC allocate
 * nothing per packet, but HMAC's restart from its keyed state
 * (EVP_MAC_init() without a key) copies two digest contexts, two
 * allocations per ICV (check_esp pins both figures).
 */
#ifndef SPIGRP_ESP_H
#define SPIGRP_ESP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dpsnap.h"
#include "pkt.h"
#include "reason.h"

#define ESP_HDR_LEN 8u /* SPI + sequence number */

struct esp_sa;

/**
 * esp_sa_new() - contexts for @sa (borrowed: keys are copied) sending
 * (@outbound) or receiving.  Return: 0 and *@out, or -errno with @why
 * (-ENOSYS: OpenSSL lacks the algorithm; -EINVAL: key length; -ENOMEM).
 */
int esp_sa_new(struct esp_sa **out, const struct dpsnap_sa *sa, bool outbound,
	       struct reason *why);
void esp_sa_free(struct esp_sa *e); /* NULL: no-op */

/* Test only: use @iv (the algorithm's IV length) for the next packet
 * instead of the derived one, to reproduce published vectors and kernel
 * captures. */
void esp_sa_test_iv(struct esp_sa *e, const uint8_t *iv, size_t len);

/**
 * esp_test_icv() - test only: the untruncated HMAC with @auth's digest
 * under @key (any length: the RFC 2202 and RFC 4868 vectors use others
 * than the SA's) over @len bytes at @data, through the same contexts and
 * calls that compute an SA's ICV.  Return: its length (at most @outlen
 * bytes written to @out), or -errno.
 */
int esp_test_icv(const struct alg_desc *auth, const uint8_t *key, size_t keylen, const uint8_t *data,
		 size_t len, uint8_t *out, size_t outlen);

/**
 * esp_encap() - protect the payload of the IP packet in @p.
 * The first @hlen bytes of @p (the IP header and the extension headers
 * that stay in front) are kept; the byte at @nh_off (inside them: the
 * protocol or next-header field that names the payload) goes into the ESP
 * trailer and becomes 50.  Inserts the ESP header (SPI, low 32 bits of
 * @seq) and IV after @hlen, pads to the cipher's block (at least 4 bytes;
 * padding bytes 1, 2, 3, ...), encrypts, appends the ICV.  Lengths and
 * the IPv4 checksum are the caller's (xform.c fixes them once).
 * Return: 0, or -DP_DROP_MALFORMED (no room, or a packet past
 * PKT_MAX_IP: @p unchanged; an OpenSSL failure: @p undefined).
 */
int esp_encap(struct esp_sa *e, struct pkt *p, size_t hlen, size_t nh_off, uint64_t seq);

/**
 * esp_decap() - verify and decrypt the ESP packet in @p, whose ESP header
 * starts at @hlen, with @seq the full sequence number from replay_check().
 * The ICV is checked first, in constant time (AEAD: the tag); then the
 * payload is decrypted, the pad length checked, the ESP header, IV,
 * trailer and ICV removed, and the trailer's next header written at
 * @nh_off.
 * Return: 0; 1 when the next header is 59 (a dummy packet, RFC 4303
 * section 2.6: authentic, so the caller updates the window, then drops it
 * silently); -DP_DROP_ICV; -DP_DROP_MALFORMED (too short, not a whole
 * number of blocks, pad length past the payload, no payload left: the
 * kernel's esp_remove_trailer() rule).  Padding contents are not checked,
 * as the kernel does not.  Encryption-only ESP has no ICV: the pad-length
 * check is its only gate, and the caller updates the anti-replay window
 * after it as after an ICV (what the kernel does: xfrm_input() advances
 * the window once the transform returned).  @p is undefined after a
 * failure.
 */
int esp_decap(struct esp_sa *e, struct pkt *p, size_t hlen, size_t nh_off, uint64_t seq);

/* Bytes ESP adds to a payload of @len bytes with @sa's algorithms (header,
 * IV, padding, trailer, ICV): for MTU sums. */
size_t esp_overhead(const struct dpsnap_sa *sa, size_t len);

#endif

/* dp_test.h: what the datapath's unit tests share (dp_test.c): the
 * kernel captures of tests/data/dp/ (classic pcap, Ethernet), packet
 * buffers, and the groups of a config file as a datapath holds them. */
#ifndef SPIGRP_DP_TEST_H
#define SPIGRP_DP_TEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dpsnap.h"
#include "pkt.h"
#include "sadb.h"

/* One captured IP datagram (Ethernet header removed). */
struct cap_pkt {
	uint8_t *ip;
	size_t len;
};

/* The IPv4/IPv6 datagrams of tests/data/dp/@name (below $top_srcdir), in
 * capture order; *@n of them.  Asserts that the file reads. */
struct cap_pkt *cap_read(const char *name, size_t *n);
void cap_free(struct cap_pkt *c, size_t n);

/* The datagrams of @c[0..@n) with IP protocol (outermost next header,
 * extension headers walked) @proto, outer source @src and destination
 * @dst (text; NULL: any), into @out (at most @max); their count. */
size_t cap_select(const struct cap_pkt *c, size_t n, uint8_t proto, const char *src,
		  const char *dst, const struct cap_pkt **out, size_t max);

/* The value of @key in the text capture tests/data/@name (below
 * $top_srcdir; lines "KEY VALUE", '#' starts a comment), as written by
 * tests/tools/record-esp.sh: malloc'd, NULL if the file has no such line.
 * Asserts that the file reads. */
char *cap_text(const char *name, const char *key);

/* A packet buffer of PKT_BUF_SIZE bytes holding @len bytes of @data
 * after the headroom.  pkt_buf_free() releases it. */
void pkt_buf(struct pkt *p, const uint8_t *data, size_t len);
void pkt_buf_free(struct pkt *p);

/* The address in @text (asserted to parse). */
struct ip_addr addr(const char *text);

/* contrib/seed.conf (or @path below $top_srcdir) as the host with the
 * addresses @locals (NULL-terminated text list) builds it; @cfg_out gets
 * the cfg to free after the sadb. */
struct sadb *seed_sadb(const char *path, const char *const *locals, struct cfg **cfg_out);

/* Hex text (no separators) to bytes: returns a malloc'd buffer, length in
 * *@n. */
uint8_t *unhex(const char *hex, size_t *n);

/* Run the suite @s (Check's default mode): the exit status for main(). */
struct Suite;
int dp_test_run(struct Suite *s);

#endif

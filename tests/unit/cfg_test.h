/* cfg_test.h: what the config parser's unit tests share (cfg_test.c). */
#ifndef SPIGRP_CFG_TEST_H
#define SPIGRP_CFG_TEST_H

#include <stddef.h>
#include <stdint.h>

#include "cfg.h"

/* Keys: H4 is 4 bytes of hex. */
#define H4 "01234567"
#define H16 H4 H4 H4 H4
#define K15 "0x" H4 H4 H4 "abcdef"
#define K16 "0x" H16
#define K20 "0x" H16 H4
#define K32 "0x" H16 H16
#define K36 "0x" H16 H16 H4
#define K64 "0x" H16 H16 H16 H16

/* 103 + "/run/" = 108 bytes: one more than a unix socket path holds */
#define X10 "xxxxxxxxxx"
#define X103 X10 X10 X10 X10 X10 X10 X10 X10 X10 X10 "xxx"

#define ESP_HDR "[sa esp.100@192.0.2.1]\nsrc = 192.0.2.2\n" /* lines 1-2 */
#define AUTH_OK "auth = sha1\nauthkey = " K20 "\n"        /* 2 lines */

/* Feed @text (lines split at '\n') to a parser named "t.conf"; the cfg or NULL. */
struct cfg *parse_text(const char *text, struct cfg_errors *e);
/* @text parses without an error (asserted). */
struct cfg *parse_ok(const char *text);
/* Print the errors of @e to stderr ("  got: ..."). */
void dump_errors(const struct cfg_errors *e);
/* The bytes of the keys the K macros write: 01 23 45 67 repeated. */
extern const uint8_t h4[4];
/* @k holds @len bytes of h4 repeated (asserted). */
void check_key(const struct cfg_key *k, size_t len);

#endif

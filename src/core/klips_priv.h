/* klips_priv.h: what klips_args.c shares with klips_spi.c and
 * klips_eroute.c (the parse state and its helpers); not for other modules. */
#ifndef SPIGRP_KLIPS_PRIV_H
#define SPIGRP_KLIPS_PRIV_H

#include "klips_args.h"

/* The parse in progress. */
struct kp {
	struct klips_req *req;
	struct klips_msg *msg;
	int argc;
	char **argv;
	klips_read_key_fn read_key;
	void *ctx;
};

/* An option of spi or eroute: "--name" [VALUE]. */
struct opt {
	const char *name; /* without "--" */
	bool arg;
	int id;
};

/* Append to the stdout text. */
void __attribute__((format(printf, 2, 3))) kp_out(struct kp *p, const char *fmt, ...);
/* "<prog>: <text>\n" to the stderr text, exit code 1.  Return: 0. */
int __attribute__((format(printf, 2, 3))) kp_fail(struct kp *p, const char *fmt, ...);
/* strtoul(…, 0) strictly, at most @max: NULL or the reason. */
const char *kp_parse_num(const char *s, uint64_t max, uint64_t *out);
/* --enckey/--authkey VALUE (or "-": standard input) into @k.  1, or 0 after kp_fail(). */
int kp_key_opt(struct kp *p, const char *val, const char *what, struct klips_key *k);
int kp_af_word(const char *s);         /* inet, inet6 -> AF_*; else 0 */
uint8_t kp_proto_word(const char *s);  /* ah esp tun comp -> proto; else 0 */
const char *kp_reason_of(const char *err); /* said.c message without its "bad X \"..\": " */
/* A SAID naming an SA (no shunt).  1, or 0 after kp_fail(). */
int kp_said_arg(struct kp *p, const char *s, const char *where, struct said *out);
/* The next option of @tab at argv[*@i].  1, or 0 after kp_fail(). */
int kp_next_opt(struct kp *p, const struct opt *tab, int *i, int *id, const char **val);
void kp_set_label(struct kp *p, const char *label);
int kp_version(struct kp *p);          /* "<prog>, spigrpd VERSION" on stderr, exit 1 */

int kp_spi_main(struct kp *p);         /* klips_spi.c */
int kp_eroute_main(struct kp *p);      /* klips_eroute.c */

#endif

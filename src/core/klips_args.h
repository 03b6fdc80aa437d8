/* klips_args.h: the command lines of KLIPS's `ipsec spi`, `ipsec spigrp`
 * and `ipsec eroute`, parsed into plain requests.
 *
 * Pure: no I/O but the caller's callback for `--enckey -` / `--authkey -`
 * (a key on standard input), no DNS, no allocation.  It lives in src/core
 * because both ends use it: the commands parse here to answer syntax
 * errors with KLIPS's messages without asking the daemon, and the daemon
 * parses the same words again from its control socket (it trusts no client
 * to have checked them).  What the request means for the model (does the
 * SA exist, may it be grouped) is the daemon's business, not this module's.
 *
 * Messages and exit codes are KLIPS's where a script could test them
 * (spec/klips-formats.md §3.2-3.4, §3.7; programs/spi, programs/eroute),
 * with the unclear ones fixed (a 5th SA, a bad SAID name the bad part).
 * Keys are held in the request until klips_req_wipe() and never appear in
 * a message.
 */
#ifndef SPIGRP_KLIPS_ARGS_H
#define SPIGRP_KLIPS_ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "alg.h"
#include "said.h"

enum klips_cmd { KLIPS_SPI, KLIPS_SPIGRP, KLIPS_EROUTE };

/* What the command asks for.  LIST: no arguments (print the view). */
enum klips_op {
	KLIPS_LIST = 1,
	KLIPS_ADD,     /* spi: install an SA; eroute --add */
	KLIPS_DEL,     /* spi --del, eroute --del */
	KLIPS_CLEAR,   /* spi --clear, eroute --clear: our runtime objects only */
	KLIPS_REPLACE, /* eroute --replace (adds a missing eroute, as KLIPS) */
	KLIPS_GROUP,   /* spigrp with 2..4 SAs, inner to outer */
	KLIPS_UNGROUP, /* spigrp with 1 SA */
};

/* The SA kind `spi` installs (--ah, --esp, --comp, --ip4, --ip6). */
enum klips_xform { KLIPS_XF_NONE, KLIPS_XF_AH, KLIPS_XF_ESP, KLIPS_XF_COMP, KLIPS_XF_IP4, KLIPS_XF_IP6 };

#define KLIPS_MAX_SAS 4    /* KLIPS spigrp's array; more is refused */
#define KLIPS_KEY_MAX 128  /* bytes; the longest key of the table is 64 */
#define KLIPS_MSG_MAX 4096 /* the usage text with a long program path fits */
#define KLIPS_PROG_MAX 256

/* A key as given (hex), in bytes.  Wiped by klips_req_wipe(). */
struct klips_key {
	uint8_t data[KLIPS_KEY_MAX];
	size_t len;
	bool set;
};

/* Lifetimes (--life soft-bytes=N,hard-addtime=S,...); 0 = none.  XFRM has
 * bytes, packets, add and use times; KLIPS's "allocations" is refused. */
struct klips_life {
	uint64_t bytes[2], packets[2], addtime[2], usetime[2]; /* [0] soft, [1] hard */
};

enum klips_natt { KLIPS_NATT_NONE, KLIPS_NATT_NONESP, KLIPS_NATT_NONIKE };

struct klips_spi {
	enum klips_xform xform;
	struct said said;                 /* the SA (ADD, DEL) */
	const struct alg_desc *enc, *auth, *comp; /* borrowed from alg_table */
	struct klips_key enckey, authkey;
	struct ip_addr src, dst;          /* --src (SA source; tun: outer src), --dst (tun: outer dst) */
	bool has_replay;
	uint32_t replay_window;           /* packets, 0..4096 */
	struct klips_life life;
	enum klips_natt natt;
	uint16_t sport, dport;            /* NAT-T UDP ports, host order */
};

struct klips_spigrp {
	unsigned n;                       /* 1..4 */
	struct said sa[KLIPS_MAX_SAS];    /* inner to outer, as given */
};

struct klips_eroute {
	struct ip_prefix src, dst;        /* --src, --dst (family: --eraf or theirs) */
	uint16_t sport, dport;            /* host order; 0 = any */
	uint8_t tproto;                   /* --transport-proto; 0 = any */
	struct said said;                 /* the group's first SA, or a shunt */
	bool has_said;
};

struct klips_req {
	enum klips_cmd cmd;
	enum klips_op op;
	bool debug;                       /* --debug */
	char prog[KLIPS_PROG_MAX];        /* name in messages: argv0 [--label L] */
	union {
		struct klips_spi spi;
		struct klips_spigrp grp;
		struct klips_eroute er;
	};
};

/* What the command prints before it acts or instead of acting. */
struct klips_msg {
	char out[KLIPS_MSG_MAX];          /* for stdout ("--debug" notice, usage) */
	char err[KLIPS_MSG_MAX];          /* for stderr: each line ends in '\n' */
	int exit_code;                    /* when klips_parse() returns 0 */
};

/*
 * Reads a key from standard input for `--enckey -`: at most @len - 1 bytes
 * of one line into @buf, NUL-terminated.  @what is "Encryption Key" or
 * "Authentication Key".  Return: bytes read, or -errno.  The parser wipes
 * @buf after use.
 */
typedef int (*klips_read_key_fn)(void *ctx, const char *what, char *buf, size_t len);

/**
 * klips_parse() - parse the command line of @cmd.
 * @argc/@argv: as main() got them; argv[0] names the program in messages
 *   (KLIPS printed the path the `ipsec` wrapper ran).
 * @read_key/@ctx: for `--enckey -` and `--authkey -`; NULL refuses them.
 * @req: filled; call klips_req_wipe() when done with it (keys).
 * @msg: text to print; out may be set also when a request is returned.
 * Return: 1 when @req holds a request to carry out (KLIPS_LIST included),
 * 0 when the command is done: print @msg and exit with @msg->exit_code
 * (an error: 1; --help and --version: 1 too, as KLIPS).
 */
int klips_parse(enum klips_cmd cmd, int argc, char **argv, klips_read_key_fn read_key, void *ctx,
		struct klips_req *req, struct klips_msg *msg);

/* Wipe the keys of @req (OPENSSL_cleanse); safe to call twice. */
void klips_req_wipe(struct klips_req *req);

/**
 * klips_spi_parse() - strtoul(@s, &end, 0) as KLIPS's spigrp read an SPI:
 * "0x" hex, a leading 0 octal (0400 = 256), else decimal, the whole word,
 * at most 0xffffffff.  Signs and spaces, which strtoul skipped, are refused.
 * Return: 0, or -EINVAL.
 */
int klips_spi_parse(const char *s, uint32_t *spi);

#endif

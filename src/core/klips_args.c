/* klips_args.c: the KLIPS command lines of spi, spigrp and eroute
 * (klips_args.h).  Messages quote KLIPS's where scripts could test them;
 * the rest say what is wrong and with which word. */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "klips_args.h"
#include "klips_priv.h"


static void add_text(char *buf, const char *fmt, va_list ap)
{
	size_t used = strlen(buf);

	if (used < KLIPS_MSG_MAX - 1)
		vsnprintf(buf + used, KLIPS_MSG_MAX - used, fmt, ap);
}

void __attribute__((format(printf, 2, 3))) kp_out(struct kp *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	add_text(p->msg->out, fmt, ap);
	va_end(ap);
}

/* "<prog>: <text>\n" on stderr, exit 1.  Returns 0 (the command is done). */
int __attribute__((format(printf, 2, 3))) kp_fail(struct kp *p, const char *fmt, ...)
{
	va_list ap;
	size_t used = strlen(p->msg->err);

	snprintf(p->msg->err + used, KLIPS_MSG_MAX - used, "%s: ", p->req->prog);
	va_start(ap, fmt);
	add_text(p->msg->err, fmt, ap);
	va_end(ap);
	used = strlen(p->msg->err);
	if (used < KLIPS_MSG_MAX - 1)
		strcpy(p->msg->err + used, "\n");
	p->msg->exit_code = 1;
	return 0;
}

/* ---- numbers, keys, words ---- */

/* strtoul(…, 0) without its leniency: "0x" hex, leading 0 octal, else
 * decimal; the whole word; at most @max.  NULL, or why not. */
const char *kp_parse_num(const char *s, uint64_t max, uint64_t *out)
{
	unsigned base = 10;
	uint64_t v = 0;

	if (!*s)
		return "empty";
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
		if (!*s)
			return "no digits after 0x";
	} else if (s[0] == '0' && s[1]) {
		base = 8;
		s++;
	}
	for (; *s; s++) {
		int x = said_hex_digit(*s);
		unsigned d = (unsigned)x;

		if (x < 0)
			return "not a number";
		if (d >= base)
			return base == 8 ? "not an octal number (a leading 0 means octal)" : "not a number";
		if (v > (max - d) / base)
			return "too large";
		v = v * base + d;
	}
	*out = v;
	return NULL;
}

int klips_spi_parse(const char *s, uint32_t *spi)
{
	uint64_t v;

	if (kp_parse_num(s, 0xffffffffu, &v))
		return -EINVAL;
	*spi = (uint32_t)v;
	return 0;
}

/* "0x" then hex digits, '_' between them allowed (KLIPS ttodata) -> @k.
 * NULL or why not; the text is never quoted back. */
/* "0s" base64 (RFC 4648, with its padding) into @k, as KLIPS's ttodata()
 * read it.  NULL or the reason. */
static const char *parse_key_base64(const char *s, struct klips_key *k)
{
	size_t n = strlen(s), pad = 0;
	uint8_t buf[KLIPS_KEY_MAX + 3];
	int got;

	if (!n || n % 4)
		return "base64 after 0s must come in groups of 4 characters";
	if (n / 4 * 3 > sizeof(buf))
		return "longer than 128 bytes";
	pad = (s[n - 1] == '=') + (n > 1 && s[n - 2] == '=');
	got = EVP_DecodeBlock(buf, (const unsigned char *)s, (int)n);
	if (got < 0 || (size_t)got < pad || strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
					      "0123456789+/") < n - pad) {
		OPENSSL_cleanse(buf, sizeof(buf));
		return "not base64 after 0s";
	}
	k->len = (size_t)got - pad;
	if (k->len > KLIPS_KEY_MAX) {
		OPENSSL_cleanse(buf, sizeof(buf));
		return "longer than 128 bytes";
	}
	memcpy(k->data, buf, k->len);
	OPENSSL_cleanse(buf, sizeof(buf));
	k->set = k->len > 0;
	return k->set ? NULL : "no key after 0s";
}

/* A key as KLIPS's spi took it: "0x" hex digits ('_' between them
 * allowed), "0s" base64, "0t" the text itself.  NULL or the reason. */
static const char *parse_key_text(const char *s, struct klips_key *k)
{
	int hi = -1, v;

	if (s[0] == '0' && (s[1] == 's' || s[1] == 'S'))
		return parse_key_base64(s + 2, k);
	if (s[0] == '0' && (s[1] == 't' || s[1] == 'T')) {
		k->len = strlen(s + 2);
		if (!k->len)
			return "no key after 0t";
		if (k->len > KLIPS_KEY_MAX)
			return "longer than 128 bytes";
		memcpy(k->data, s + 2, k->len);
		k->set = true;
		return NULL;
	}
	if (s[0] != '0' || (s[1] != 'x' && s[1] != 'X'))
		return "expected 0x followed by hex digits (or 0s base64, 0t text)";
	k->len = 0;
	for (s += 2; *s; s++) {
		if (*s == '_')
			continue;
		if ((v = said_hex_digit(*s)) < 0)
			return "expected 0x followed by hex digits (and '_' separators)";
		if (hi < 0) {
			hi = v;
			continue;
		}
		if (k->len == KLIPS_KEY_MAX)
			return "longer than 128 bytes";
		k->data[k->len++] = (uint8_t)(hi << 4 | v);
		hi = -1;
	}
	if (hi >= 0)
		return "odd number of hex digits";
	if (!k->len)
		return "no hex digits after 0x";
	k->set = true;
	return NULL;
}

/* --enckey / --authkey: a key, or "-" for one line of standard input. */
int kp_key_opt(struct kp *p, const char *val, const char *what, struct klips_key *k)
{
	char line[2 * KLIPS_KEY_MAX + 256];
	const char *why;
	int n;

	if (k->set)
		return kp_fail(p, "Error, %s given twice", what);
	if (strcmp(val, "-") != 0) {
		why = parse_key_text(val, k);
	} else if (!p->read_key) {
		why = "no standard input to read it from";
	} else {
		n = p->read_key(p->ctx, what, line, sizeof(line));
		if (n < 0) {
			OPENSSL_cleanse(line, sizeof(line));
			return kp_fail(p, "reading the %s from standard input: %s", what, strerror(-n));
		}
		line[n < (int)sizeof(line) ? n : (int)sizeof(line) - 1] = '\0';
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r' || line[n - 1] == ' ' ||
				 line[n - 1] == '\t'))
			line[--n] = '\0';
		why = parse_key_text(line, k);
		OPENSSL_cleanse(line, sizeof(line));
	}
	if (why) {
		OPENSSL_cleanse(k, sizeof(*k));
		return kp_fail(p, "malformed %s: %s", what, why);
	}
	return 1;
}

/* "inet" / "inet6" -> AF_*, else 0. */
int kp_af_word(const char *s)
{
	return !strcmp(s, "inet") ? AF_INET : !strcmp(s, "inet6") ? AF_INET6 : 0;
}

/* "ah" "esp" "tun" "comp", exact (KLIPS: case-sensitive), else 0. */
uint8_t kp_proto_word(const char *s)
{
	return !strcmp(s, "ah") ? SAID_PROTO_AH : !strcmp(s, "esp") ? SAID_PROTO_ESP
	       : !strcmp(s, "tun") ? SAID_PROTO_TUN : !strcmp(s, "comp") ? SAID_PROTO_COMP : 0;
}

/* The reason of said.c's "bad ... : REASON" message (the word itself is
 * quoted by our own message). */
const char *kp_reason_of(const char *err)
{
	const char *r = strstr(err, "\": ");

	return r ? r + 3 : err;
}

/* A SAID that names an SA (not a shunt); the message names the bad part. */
int kp_said_arg(struct kp *p, const char *s, const char *where, struct said *out)
{
	char err[256];

	if (said_parse(s, out, err, sizeof(err)) < 0)
		return kp_fail(p, "Error, %s converting %s argument:%s", err, where, s);
	if (said_is_magic(out))
		return kp_fail(p, "%s is a shunt, not an SA: it goes in an eroute (--said), not here", s);
	return 1;
}

/* ---- options of spi and eroute ---- */


/*
 * Option argv[*@i] of @tab: its id, its value in *@val (also "--opt=VALUE"),
 * *@i moved past what it took.  Returns 0 after printing why for an unknown
 * option, a missing value or a stray word.
 */
int kp_next_opt(struct kp *p, const struct opt *tab, int *i, int *id, const char **val)
{
	const char *a = p->argv[*i], *eq;
	size_t n;

	if (a[0] != '-' || a[1] != '-') {
		kp_fail(p, "unexpected argument '%s' (options start with --)", a);
		return 0;
	}
	eq = strchr(a, '=');
	n = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
	for (; tab->name; tab++) {
		if (strlen(tab->name) != n || strncmp(tab->name, a + 2, n) != 0)
			continue;
		*id = tab->id;
		*val = NULL;
		if (!tab->arg && eq)
			return kp_fail(p, "option '--%s' doesn't allow an argument", tab->name);
		if (tab->arg) {
			if (eq)
				*val = eq + 1;
			else if (*i + 1 < p->argc)
				*val = p->argv[++*i];
			else
				return kp_fail(p, "option '--%s' requires an argument", tab->name);
		}
		(*i)++;
		return 1;
	}
	return kp_fail(p, "unrecognized option '%s'", a);
}

/* --label L: messages name "argv0 --label L" from here on. */
void kp_set_label(struct kp *p, const char *label)
{
	snprintf(p->req->prog, sizeof(p->req->prog), "%s --label %s", p->argv[0], label);
}

int kp_version(struct kp *p)
{
	size_t used = strlen(p->msg->err);

	snprintf(p->msg->err + used, KLIPS_MSG_MAX - used, "%s, spigrpd %s\n", p->req->prog,
		 PACKAGE_VERSION);
	p->msg->exit_code = 1;
	return 0;
}


/* ---- spigrp (spec/klips-formats.md section 3) ---- */

static void spigrp_usage(struct kp *p)
{
	const char *n = p->req->prog;

	kp_out(p, "usage: options and arguments must come in this order.\n"
	       "usage: %s [--debug] [--label LABEL] AF DST SPI PROTO [AF DST SPI PROTO ...]\n"
	       "usage:     AF inet or inet6, DST numeric, SPI 0x hex, 0 octal or decimal,\n"
	       "usage:     PROTO ah, esp, tun or comp; at most 4 SAs, inner to outer\n"
	       "usage: %s [--debug] [--label LABEL] --said SAID [SAID ...]\n"
	       "usage: %s [--debug] [--label LABEL] SA      one SA: ungroup its group\n"
	       "usage: %s                                   list the groups\n"
	       "usage: %s --help | --version\n",
	       n, n, n, n, n);
}

/* One quadruple "AF DST SPI PROTO" at argv[@i], the @j-th SA (0-based). */
static int spigrp_quad(struct kp *p, int i, unsigned j, struct said *sa)
{
	char **w = p->argv + i;
	char err[256];
	int af;

	if (!(sa->proto = kp_proto_word(w[3])))
		return kp_fail(p, "Badly formed proto: %s", w[3]);
	if (klips_spi_parse(w[2], &sa->spi) < 0)
		return kp_fail(p, "Badly formed spi: %s", w[2]);
	if (sa->proto == SAID_PROTO_COMP && sa->spi > 0xffff)
		return kp_fail(p, "Badly formed spi: %s (a comp SA's CPI has 16 bits)", w[2]);
	if (!(af = kp_af_word(w[0])))
		return kp_fail(p, "Address family %s not supported", w[0]);
	if (ip_addr_parse(w[1], &sa->dst, err, sizeof(err)) < 0)
		return kp_fail(p, "Error, %s converting %uth address argument:%s", kp_reason_of(err), j, w[1]);
	if (sa->dst.family != af)
		return kp_fail(p, "Error, %s is not an %s address converting %uth address argument:%s",
			    w[1], w[0], j, w[1]);
	return 1;
}

static int spigrp_parse(struct kp *p, int i)
{
	struct klips_spigrp *g = &p->req->grp;
	int kargc = p->argc - i + 1; /* KLIPS's argc: argv[0] and the form */
	bool said = i < p->argc && !strcmp(p->argv[i], "--said");
	unsigned j, k;

	if (said && kargc < 3)
		return kp_fail(p, "expecting 3 or more args with --said, got %d.", kargc), spigrp_usage(p), 0;
	if (!said && (kargc < 5 || kargc % 4 != 1))
		return kp_fail(p, "expecting 5 or more args without --said, got %d.", kargc), spigrp_usage(p),
		       0;
	g->n = said ? (unsigned)(kargc - 2) : (unsigned)(kargc / 4);
	if (g->n > KLIPS_MAX_SAS)
		return kp_fail(p, "at most %d SAs in a group, got %u", KLIPS_MAX_SAS, g->n);
	for (j = 0; j < g->n; j++) {
		if (said ? !kp_said_arg(p, p->argv[i + 1 + (int)j], "--sa", &g->sa[j])
			 : !spigrp_quad(p, i + 4 * (int)j, j, &g->sa[j]))
			return 0;
		for (k = 0; k < j; k++) {
			char t[SAID_BUF];

			if (said_equal(&g->sa[k], &g->sa[j])) {
				said_format(&g->sa[j], 'x', t, sizeof(t));
				return kp_fail(p, "%s is named twice: a group is a chain of different SAs", t);
			}
		}
	}
	p->req->op = g->n == 1 ? KLIPS_UNGROUP : KLIPS_GROUP;
	return 1;
}

static int spigrp_main(struct kp *p)
{
	int i = 1;

	if (i < p->argc && !strcmp(p->argv[i], "--debug")) {
		p->req->debug = true;
		kp_out(p, "\"--debug\" option requested.\n");
		i++;
	}
	if (i < p->argc && !strcmp(p->argv[i], "--label")) {
		if (i + 1 == p->argc)
			return kp_fail(p, "--label option requires an argument.");
		kp_set_label(p, p->argv[i + 1]);
		i += 2;
	}
	if (i == p->argc) {
		p->req->op = KLIPS_LIST;
		return 1;
	}
	if (!strcmp(p->argv[i], "--help")) {
		spigrp_usage(p);
		p->msg->exit_code = 1;
		return 0;
	}
	if (!strcmp(p->argv[i], "--version"))
		return kp_version(p);
	return spigrp_parse(p, i);
}

/* ---- entry points ---- */

int klips_parse(enum klips_cmd cmd, int argc, char **argv, klips_read_key_fn read_key, void *ctx,
		struct klips_req *req, struct klips_msg *msg)
{
	struct kp p = { req, msg, argc, argv, read_key, ctx };
	int r;

	memset(req, 0, sizeof(*req));
	memset(msg, 0, sizeof(*msg));
	req->cmd = cmd;
	snprintf(req->prog, sizeof(req->prog), "%s",
		 argc > 0 && argv[0] ? argv[0] : cmd == KLIPS_SPI ? "spi" : cmd == KLIPS_EROUTE ? "eroute"
											: "spigrp");
	if (argc < 1) {
		p.argc = 1;
		p.argv = (char *[]){ req->prog, NULL };
	}
	r = cmd == KLIPS_SPI ? kp_spi_main(&p) : cmd == KLIPS_EROUTE ? kp_eroute_main(&p) : spigrp_main(&p);
	if (r <= 0) {
		klips_req_wipe(req);
		return 0;
	}
	return 1;
}

void klips_req_wipe(struct klips_req *req)
{
	if (req->cmd == KLIPS_SPI) {
		OPENSSL_cleanse(&req->spi.enckey, sizeof(req->spi.enckey));
		OPENSSL_cleanse(&req->spi.authkey, sizeof(req->spi.authkey));
	}
}

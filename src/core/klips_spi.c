/* klips_spi.c: the command line of KLIPS's `ipsec spi` (klips_args.h). */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <openssl/crypto.h>

#include "klips_priv.h"

enum {
	O_AH, O_ESP, O_COMP, O_IP4, O_IP6, O_DEL, O_CLEAR, O_AUTHKEY, O_ENCKEY, O_EDST, O_SPI,
	O_PROTO, O_AF, O_REPLAY, O_IV, O_DST, O_SRC, O_NATT, O_SPORT, O_DPORT, O_SAID, O_HELP,
	O_VERSION, O_LABEL, O_DEBUG, O_LIFE,
};

static const struct opt spi_opts[] = {
	{ "ah", true, O_AH },         { "esp", true, O_ESP },         { "comp", true, O_COMP },
	{ "ip4", false, O_IP4 },      { "ip6", false, O_IP6 },        { "del", false, O_DEL },
	{ "clear", false, O_CLEAR },  { "authkey", true, O_AUTHKEY }, { "enckey", true, O_ENCKEY },
	{ "edst", true, O_EDST },     { "spi", true, O_SPI },         { "proto", true, O_PROTO },
	{ "af", true, O_AF },         { "replay_window", true, O_REPLAY }, { "iv", true, O_IV },
	{ "dst", true, O_DST },       { "src", true, O_SRC },         { "natt", true, O_NATT },
	{ "sport", true, O_SPORT },   { "dport", true, O_DPORT },     { "said", true, O_SAID },
	{ "help", false, O_HELP },    { "version", false, O_VERSION }, { "label", true, O_LABEL },
	{ "debug", false, O_DEBUG },  { "life", true, O_LIFE },
	{ NULL, false, 0 },
};

/* The words given for the SA, to check them once all are read. */
struct spi_words {
	const char *said, *edst, *spi, *proto, *af, *src, *dst;
	int af_val;
	uint32_t spi_val;
	uint8_t proto_val;
	struct ip_addr edst_val;
	bool any; /* any option but --debug and --label */
};

static void spi_usage(struct kp *p)
{
	const char *n = p->req->prog;

	kp_out(p, "usage: SA is --af inet|inet6 --edst DST --spi SPI --proto ah|esp|tun|comp\n"
		  "usage:    or --said SAID (esp.187a101b@192.0.2.1, esp0x187a101b@192.0.2.1)\n"
		  "usage: %s                         list the SAs\n"
		  "usage: %s --clear                 remove the SAs made with spi\n"
		  "usage: %s --del SA\n"
		  "usage: %s --ip4|--ip6 SA --src OUTER-SRC --dst OUTER-DST\n"
		  "usage: %s --ah hmac-md5-96|hmac-sha1-96|AUTH SA --src SRC --authkey KEY\n"
		  "usage:        [--replay_window N] [--life L]\n"
		  "usage: %s --esp 3des-md5-96|3des-sha1-96|ENC[-AUTH[-96]] SA --src SRC --enckey KEY\n"
		  "usage:        [--authkey KEY] [--replay_window N] [--life L]\n"
		  "usage: %s --comp deflate SA --src SRC\n"
		  "usage: KEY is 0x and hex digits ('_' between them allowed), 0s base64, 0t text, or -\n"
		  "usage:    to read it from standard input; L is soft|hard-bytes|packets|addtime=N[,...]\n"
		  "usage: SRC, the SA's source, tells spigrpd which SAs are inbound; --natt and usetime\n"
		  "usage:    lifetimes are refused; the daemon's socket: $SPIGRPD_CONTROL\n"
		  "usage: [--debug] and [--label LABEL] go with any form\n",
	       n, n, n, n, n, n, n);
}

/* One action only, as KLIPS. */
static int set_xform(struct kp *p, enum klips_xform xf, enum klips_op op)
{
	if (p->req->op)
		return kp_fail(p, "Only one of '--ah', '--esp', '--comp', '--ip4', '--ip6', '--del' or "
				  "'--clear'  options permitted.");
	p->req->spi.xform = xf;
	p->req->op = op;
	return 1;
}

static int alg_opt(struct kp *p, int id, const char *v)
{
	struct klips_spi *s = &p->req->spi;

	if (!set_xform(p, id == O_AH ? KLIPS_XF_AH : id == O_ESP ? KLIPS_XF_ESP : KLIPS_XF_COMP,
		       KLIPS_ADD))
		return 0;
	if (id == O_AH) {
		if (!(s->auth = alg_find(v, ALG_AUTH)))
			return kp_fail(p, "Unknown authentication algorithm '%s' follows '--ah' option.", v);
	} else if (id == O_COMP) {
		if (!(s->comp = alg_find(v, ALG_COMP)))
			return kp_fail(p, "Unknown compression algorithm '%s' follows '--comp' option.%s", v,
				       !strcmp(v, "lzs") ? " (Linux has no LZS)" : "");
	} else if (alg_find_esp(v, &s->enc, &s->auth) < 0) {
		return kp_fail(p, "Invalid encryption algorithm '%s' follows '--esp' option: known are "
				  "ENC-AUTH[-96] (3des-md5-96, 3des-sha1-96, des-md5-96, aes128-sha1-96, "
				  "3des-sha1, ...) and the names of spigrpd.conf(5)", v);
	}
	return 1;
}

/* --life soft|hard-TYPE=N[,...] */
static int life_opt(struct kp *p, const char *v)
{
	struct klips_life *l = &p->req->spi.life;
	const char *c = v;

	for (;;) {
		static const char *const types[] = { "bytes", "packets", "addtime", "usetime", NULL };
		uint64_t *slot[] = { l->bytes, l->packets, l->addtime, l->usetime };
		const char *item = c, *why;
		char num[32];
		size_t n;
		int sev, t;

		if (!strncmp(c, "soft", 4))
			sev = 0;
		else if (!strncmp(c, "hard", 4))
			sev = 1;
		else
			return kp_fail(p, "missing lifetime severity in %s", item);
		c += 4;
		if (*c++ != '-')
			return kp_fail(p, "expected '-' after severity of lifetime parameter to --life option.");
		if (!strncmp(c, "allocations", 11))
			return kp_fail(p, "lifetime %.*s: XFRM has no allocations lifetime",
				       (int)strcspn(item, "=,"), item);
		for (t = 0; types[t]; t++)
			if (!strncmp(c, types[t], strlen(types[t])))
				break;
		if (!types[t])
			return kp_fail(p, "missing lifetime type after '-' in %s", item);
		c += strlen(types[t]);
		if (*c++ != '=')
			return kp_fail(p, "expected '=' after type of lifetime parameter to --life option.");
		n = strcspn(c, ",");
		snprintf(num, sizeof(num), "%.*s", (int)(n < sizeof(num) ? n : sizeof(num) - 1), c);
		if (n >= sizeof(num) || (why = kp_parse_num(num, UINT64_MAX, &slot[t][sev])))
			return kp_fail(p, "Invalid number for lifetime option parameter %s in parameter string "
					  "\"%s\"", v, num);
		c += n;
		if (!*c)
			return 1;
		c++;
	}
}

static int addr_opt(struct kp *p, const char *opt, const char *v, int af, struct ip_addr *a)
{
	char err[256];

	if (ip_addr_parse(v, a, err, sizeof(err)) < 0)
		return kp_fail(p, "Error, %s converting --%s argument:%s", kp_reason_of(err), opt, v);
	if (af && a->family != af)
		return kp_fail(p, "Error, %s is not an %s address converting --%s argument:%s", v,
			       af == AF_INET ? "inet" : "inet6", opt, v);
	return 1;
}

static int port_opt(struct kp *p, const char *what, const char *v, uint16_t *port)
{
	uint64_t u;
	const char *why = kp_parse_num(v, 0xffff, &u);

	if (why)
		return kp_fail(p, "Invalid %s port parameter \"%s\": %s", what, v, why);
	*port = (uint16_t)u;
	return 1;
}

/* An SA part (--said, --edst, --spi, --proto, --af), with KLIPS's
 * "redefined" checks. */
static int sa_part(struct kp *p, int id, const char *v, struct spi_words *w)
{
	static const char *const names[] = { "EDST", "SPI", "PROTO", "ADDRESS FAMILY" };
	const char **slot = id == O_EDST ? &w->edst : id == O_SPI ? &w->spi : id == O_PROTO ? &w->proto
										    : &w->af;
	const char *name = names[id == O_EDST ? 0 : id == O_SPI ? 1 : id == O_PROTO ? 2 : 3];
	uint64_t u;
	const char *why;

	if (w->said)
		return kp_fail(p, "Error, %s parameter redefined:%s, already defined in SA:%s", name, v,
			       w->said);
	if (*slot)
		return kp_fail(p, "Error, %s parameter redefined:%s, already defined as:%s", name, v, *slot);
	*slot = v;
	switch (id) {
	case O_EDST:
		return addr_opt(p, "edst", v, w->af_val, &w->edst_val);
	case O_SPI:
		why = kp_parse_num(v, 0xffffffffu, &u);
		if (!why && u < 0x100)
			why = "0 - 0xFF are reserved";
		if (why)
			return kp_fail(p, "Invalid SPI parameter \"%s\": %s", v, why);
		w->spi_val = (uint32_t)u;
		return 1;
	case O_PROTO:
		if (!(w->proto_val = kp_proto_word(v)))
			return kp_fail(p, "Invalid PROTO parameter: %s", v);
		return 1;
	default:
		if (!(w->af_val = kp_af_word(v)))
			return kp_fail(p, "Invalid ADDRESS FAMILY parameter: %s.", v);
		return 1;
	}
}

static int said_opt(struct kp *p, const char *v, struct spi_words *w)
{
	if (w->said)
		return kp_fail(p, "Error, SAID parameter redefined:%s, already defined in SA:%s", v, w->said);
	if (w->proto || w->edst || w->spi)
		return kp_fail(p, "Error, %s parameter redefined in SA:%s, already defined as:%s",
			       w->proto ? "PROTO" : w->edst ? "EDST" : "SPI", v,
			       w->proto ? w->proto : w->edst ? w->edst : w->spi);
	w->said = v;
	if (!kp_said_arg(p, v, "--sa", &p->req->spi.said))
		return 0;
	if (w->af_val && p->req->spi.said.dst.family != w->af_val)
		return kp_fail(p, "Error, specified address family (%s) is different that of SAID: %s",
			       w->af, v);
	return 1;
}

/* One option of spi.  1, or 0 after kp_fail(). */
static int spi_opt(struct kp *p, int id, const char *v, struct spi_words *w)
{
	struct klips_spi *s = &p->req->spi;
	struct klips_key iv = { .len = 0 };
	int r;

	w->any |= id != O_DEBUG && id != O_LABEL;
	switch (id) {
	case O_AH: case O_ESP: case O_COMP:
		return alg_opt(p, id, v);
	case O_IP4: case O_IP6:
		return set_xform(p, id == O_IP4 ? KLIPS_XF_IP4 : KLIPS_XF_IP6, KLIPS_ADD);
	case O_DEL: case O_CLEAR:
		return set_xform(p, KLIPS_XF_NONE, id == O_DEL ? KLIPS_DEL : KLIPS_CLEAR);
	case O_AUTHKEY:
		return kp_key_opt(p, v, "Authentication Key", &s->authkey);
	case O_ENCKEY:
		return kp_key_opt(p, v, "Encryption Key", &s->enckey);
	case O_IV: /* XFRM makes its own IVs: checked, then forgotten */
		r = kp_key_opt(p, v, "IV", &iv);
		OPENSSL_cleanse(&iv, sizeof(iv));
		return r;
	case O_EDST: case O_SPI: case O_PROTO: case O_AF:
		return sa_part(p, id, v, w);
	case O_SAID:
		return said_opt(p, v, w);
	case O_SRC: case O_DST:
		if (id == O_SRC ? w->src : w->dst)
			return kp_fail(p, "Error, %s parameter redefined:%s, already defined as:%s",
				       id == O_SRC ? "SRC" : "DST", v, id == O_SRC ? w->src : w->dst);
		*(id == O_SRC ? &w->src : &w->dst) = v;
		return addr_opt(p, id == O_SRC ? "src" : "dst", v, w->af_val, id == O_SRC ? &s->src : &s->dst);
	case O_REPLAY: {
		uint64_t u;
		const char *why = kp_parse_num(v, UINT32_MAX, &u);

		if (why)
			return kp_fail(p, "Invalid replay_window parameter: %s", why);
		if (u > 4096)
			return kp_fail(p, "Failed -- Illegal window size: arg=%s, replay_window=%llu, must be "
					  "0 <= size <= 4096.", v, (unsigned long long)u);
		s->replay_window = (uint32_t)u;
		s->has_replay = true;
		return 1;
	}
	case O_NATT:
		if (!strcasecmp(v, "nonesp") || !strcmp(v, "1"))
			s->natt = KLIPS_NATT_NONESP;
		else if (!strcasecmp(v, "nonike") || !strcmp(v, "2"))
			s->natt = KLIPS_NATT_NONIKE;
		else if (!strcasecmp(v, "none") || !strcmp(v, "0"))
			s->natt = KLIPS_NATT_NONE;
		else
			return kp_fail(p, "Invalid character in natt parameter \"%s\": expected nonesp, "
					  "nonike or none", v);
		return 1;
	case O_SPORT: case O_DPORT:
		return port_opt(p, id == O_SPORT ? "source" : "destination", v,
				id == O_SPORT ? &s->sport : &s->dport);
	case O_LIFE:
		return life_opt(p, v);
	case O_LABEL:
		kp_set_label(p, v);
		return 1;
	case O_DEBUG:
		p->req->debug = true;
		return 1;
	case O_HELP:
		spi_usage(p);
		p->msg->exit_code = 1;
		return 0;
	default:
		return kp_version(p);
	}
}

/* The SA of --del and the adds, from --said or its four parts. */
static int spi_said(struct kp *p, struct spi_words *w)
{
	struct said *sa = &p->req->spi.said;

	if (!w->said) {
		if (!w->edst)
			return kp_fail(p, "SA destination not specified.");
		if (!w->spi)
			return kp_fail(p, "SA SPI not specified.");
		if (!w->proto)
			return kp_fail(p, "SA PROTO not specified.");
		sa->proto = w->proto_val;
		sa->spi = w->spi_val;
		sa->dst = w->edst_val;
	}
	if (w->af_val && w->af_val != sa->dst.family)
		return kp_fail(p, "Defined address family and address family of SA mismatch.");
	if (sa->proto == SAID_PROTO_COMP && sa->spi > 0xffff)
		return kp_fail(p, "a comp SA's SPI is its 16-bit CPI: 0x%x is too large", sa->spi);
	return 1;
}

/* What each kind of SA needs and takes. */
static int spi_check(struct kp *p, struct spi_words *w)
{
	struct klips_spi *s = &p->req->spi;
	static const uint8_t want[] = { [KLIPS_XF_AH] = SAID_PROTO_AH, [KLIPS_XF_ESP] = SAID_PROTO_ESP,
					[KLIPS_XF_COMP] = SAID_PROTO_COMP, [KLIPS_XF_IP4] = SAID_PROTO_TUN,
					[KLIPS_XF_IP6] = SAID_PROTO_TUN };
	static const char *const opt[] = { "", "--ah", "--esp", "--comp", "--ip4", "--ip6" };
	char t[SAID_BUF];

	said_format(&s->said, 'x', t, sizeof(t));
	if (s->said.proto != want[s->xform])
		return kp_fail(p, "%s makes %s SA, not %s", opt[s->xform],
			       s->xform == KLIPS_XF_AH ? "an ah" : s->xform == KLIPS_XF_ESP ? "an esp"
			       : s->xform == KLIPS_XF_COMP ? "a comp" : "a tun", t);
	if (s->xform == KLIPS_XF_IP4 || s->xform == KLIPS_XF_IP6) {
		int af = s->xform == KLIPS_XF_IP4 ? AF_INET : AF_INET6;

		if (!w->src || !w->dst)
			return kp_fail(p, "%s needs --src and --dst: the tunnel's outer addresses", opt[s->xform]);
		if (s->src.family != af || s->dst.family != af)
			return kp_fail(p, "%s needs %s outer addresses (--src %s --dst %s)", opt[s->xform],
				       af == AF_INET ? "IPv4" : "IPv6", w->src, w->dst);
	}
	if (s->enc && s->enc->kind != ALG_AEAD && !strcmp(s->enc->name, "null") && !s->auth)
		return kp_fail(p, "--esp null needs an integrity algorithm (ESP without integrity is refused)");
	if ((s->enc && !s->enckey.set && s->enc->key_bytes) || (s->auth && !s->authkey.set))
		return s->enc && !s->enckey.set
			       ? kp_fail(p, "%s needs --enckey for its encryption algorithm %s",
					 opt[s->xform], s->enc->name)
			       : kp_fail(p, "%s needs --authkey for its integrity algorithm %s",
					 opt[s->xform], s->auth->name);
	if (s->enckey.set && (!s->enc || s->enckey.len != s->enc->key_bytes))
		return s->enc ? kp_fail(p, "invalid encryption keylen=%zu, required %u by encrypt algo "
					   "string=\"%s\"", 8 * s->enckey.len, 8 * s->enc->key_bytes,
					s->enc->name)
			      : kp_fail(p, "--enckey given, but %s SA takes no encryption key", t);
	if (s->authkey.set && (!s->auth || s->authkey.len != s->auth->key_bytes))
		return s->auth ? kp_fail(p, "invalid auth keylen=%zu, must be between %u and %u bits",
					 8 * s->authkey.len, 8 * s->auth->key_bytes, 8 * s->auth->key_bytes)
			       : kp_fail(p, "--authkey given, but %s SA takes no authentication key", t);
	if (s->has_replay && s->xform != KLIPS_XF_AH && s->xform != KLIPS_XF_ESP)
		return kp_fail(p, "--replay_window is for ah and esp SAs");
	if ((s->natt || s->sport || s->dport) && s->xform != KLIPS_XF_ESP)
		return kp_fail(p, "--natt, --sport and --dport are for esp SAs");
	return 1;
}

int kp_spi_main(struct kp *p)
{
	struct spi_words w = { .said = NULL };
	int i = 1, id;
	const char *v;

	while (i < p->argc) {
		id = -1;
		if (!kp_next_opt(p, spi_opts, &i, &id, &v) || !spi_opt(p, id, v, &w)) {
			if (id == O_HELP && !p->msg->err[0])
				return 0;
			if (strstr(p->msg->err, "option '"))
				spi_usage(p);
			return 0;
		}
	}
	if (!w.any) {
		p->req->op = KLIPS_LIST;
		return 1;
	}
	if (!p->req->op)
		return kp_fail(p, "No action chosen.  See '%s --help' for usage.", p->req->prog);
	if (p->req->op == KLIPS_CLEAR)
		return 1;
	if (!spi_said(p, &w))
		return 0;
	return p->req->op == KLIPS_DEL ? 1 : spi_check(p, &w);
}

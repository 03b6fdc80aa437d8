/* klips_eroute.c: the command line of KLIPS's `ipsec eroute` (klips_args.h). */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "klips_priv.h"

enum {
	E_DST, E_SRC, E_ERAF, E_ADD, E_ADDIN, E_REPLACE, E_REPLACEIN, E_CLEAR, E_DEL, E_AF, E_EDST,
	E_PROTO, E_TPROTO, E_SPORT, E_DPORT, E_HELP, E_SPI, E_SAID, E_VERSION, E_LABEL, E_DEBUG,
};

static const struct opt eroute_opts[] = {
	{ "dst", true, E_DST },         { "src", true, E_SRC },
	{ "eraf", true, E_ERAF },       { "add", false, E_ADD },
	{ "addin", false, E_ADDIN },    { "replace", false, E_REPLACE },
	{ "replacein", false, E_REPLACEIN }, { "clear", false, E_CLEAR },
	{ "del", false, E_DEL },        { "af", true, E_AF },
	{ "edst", true, E_EDST },       { "proto", true, E_PROTO },
	{ "transport-proto", true, E_TPROTO }, { "src-port", true, E_SPORT },
	{ "dst-port", true, E_DPORT },  { "help", false, E_HELP },
	{ "spi", true, E_SPI },         { "said", true, E_SAID },
	{ "version", false, E_VERSION }, { "label", true, E_LABEL },
	{ "debug", false, E_DEBUG },
	{ NULL, false, 0 },
};

/* IP protocols by name (no /etc/protocols: the parser is pure). */
static const struct {
	const char *name;
	uint8_t num;
} tprotos[] = {
	{ "icmp", 1 }, { "tcp", 6 }, { "udp", 17 }, { "gre", 47 }, { "ipv6-icmp", 58 },
	{ "icmpv6", 58 }, { "sctp", 132 }, { "udplite", 136 },
};

struct er_words {
	const char *src, *dst, *eraf, *af, *edst, *spi, *proto, *said, *tproto, *sport, *dport;
	int eraf_val, af_val;
	bool any;
};

static void eroute_usage(struct kp *p)
{
	const char *n = p->req->prog;

	kp_out(p, "usage: %s --add|--replace [--eraf inet|inet6] --src NET[/LEN][:PORT] --dst NET[/LEN][:PORT]\n"
		  "usage:        [--transport-proto PROTO] [--src-port N] [--dst-port N] SA\n"
		  "usage:    SA is --af inet|inet6 --edst DST --spi SPI --proto ah|esp|tun|comp,\n"
		  "usage:    or --said SAID (the group's first SA), or --said %%pass|%%drop|%%reject\n"
		  "usage:    IPv6 with a port: --src [2001:db8::/64]:80\n"
		  "usage: %s --del [--eraf inet|inet6] --src NET --dst NET\n"
		  "usage: %s --clear                 remove the eroutes made with eroute\n"
		  "usage: %s                         list the eroutes\n"
		  "usage: %s --help | --version; [--debug] and [--label LABEL] go with any form\n",
	       n, n, n, n, n);
}

/* "NET[/LEN]" with an optional ":PORT" ("[V6NET/LEN]:PORT" for IPv6). */
static int subnet_opt(struct kp *p, const char *opt, const char *v, struct ip_prefix *pfx, uint16_t *port)
{
	char buf[IP_PREFIX_BUF + 16], err[256];
	const char *colon = NULL, *why;
	uint64_t u;
	size_t n = strlen(v);

	if (v[0] == '[') {
		const char *close = strchr(v, ']');

		if (!close || (close[1] && close[1] != ':'))
			return kp_fail(p, "Error, expected [IPV6/LEN] or [IPV6/LEN]:PORT converting --%s argument: %s",
				       opt, v);
		colon = close[1] ? close + 1 : NULL;
		v++;
		n = (size_t)(close - v);
	} else if (strchr(v, ':') == strrchr(v, ':')) {
		colon = strchr(v, ':'); /* IPv4 with a port: one colon */
		if (colon)
			n = (size_t)(colon - v);
	}
	if (n >= sizeof(buf))
		return kp_fail(p, "Error, too long converting --%s argument: %s", opt, v);
	memcpy(buf, v, n);
	buf[n] = '\0';
	if (ip_prefix_parse(buf, pfx, err, sizeof(err)) < 0)
		return kp_fail(p, "Error, %s converting --%s argument: %s", kp_reason_of(err), opt, buf);
	if (colon) {
		if ((why = kp_parse_num(colon + 1, 0xffff, &u)))
			return kp_fail(p, "Invalid --%s port \"%s\": %s", opt, colon + 1, why);
		*port = (uint16_t)u;
	}
	return 1;
}

static int action(struct kp *p, enum klips_op op)
{
	if (p->req->op)
		return kp_fail(p, "Only one of '--add', '--addin', '--replace', '--replacein', '--clear', "
				  "or '--del' options permitted.");
	p->req->op = op;
	return 1;
}

/* A "redefined" check of KLIPS: true (after kp_fail()) when --said or
 * @slot already gave this part; else @slot takes @v. */
static bool redefined(struct kp *p, const char *name, const char *v, const char **slot, const char *said)
{
	if (said)
		return !kp_fail(p, "Error, %s parameter redefined:%s, already defined in SA:%s", name, v, said);
	if (*slot)
		return !kp_fail(p, "Error, %s parameter redefined:%s, already defined as:%s", name, v, *slot);
	*slot = v;
	return 0;
}

static int sa_word(struct kp *p, int id, const char *v, struct er_words *w)
{
	struct said *sa = &p->req->er.said;
	char err[256];
	uint64_t u;
	const char *why;

	switch (id) {
	case E_EDST:
		if (redefined(p, "EDST", v, &w->edst, w->said))
			return 0;
		if (ip_addr_parse(v, &sa->dst, err, sizeof(err)) < 0)
			return kp_fail(p, "Error, %s converting --edst argument:%s", kp_reason_of(err), v);
		return 1;
	case E_SPI:
		if (redefined(p, "SPI", v, &w->spi, w->said))
			return 0;
		why = kp_parse_num(v, 0xffffffffu, &u);
		if (!why && u < 0x100)
			why = "values less than 0x100 are reserved";
		if (why)
			return kp_fail(p, "Invalid SPI parameter \"%s\": %s", v, why);
		sa->spi = (uint32_t)u;
		return 1;
	case E_PROTO:
		if (redefined(p, "PROTO", v, &w->proto, w->said))
			return 0;
		if (!(sa->proto = kp_proto_word(v)))
			return kp_fail(p, "Invalid PROTO parameter: %s", v);
		return 1;
	default: /* E_AF */
		if (w->af)
			return kp_fail(p, "Error, address family of SAID redefined:%s, already defined as:%s", v,
				       w->af);
		w->af = v;
		if (!(w->af_val = kp_af_word(v)))
			return kp_fail(p, "Invalid address family parameter for SAID: %s", v);
		return 1;
	}
}

/* --said: an SA, or a shunt we can do (%pass, %drop, %reject, %passthrough). */
static int said_word(struct kp *p, const char *v, struct er_words *w)
{
	struct said *sa = &p->req->er.said;
	char err[256];

	if (w->said)
		return kp_fail(p, "Error, SAID parameter redefined:%s, already defined in SA:%s", v, w->said);
	if (w->proto || w->edst || w->spi || w->af)
		return kp_fail(p, "Error, %s parameter redefined in SA:%s, already defined as:%s",
			       w->proto ? "PROTO" : w->edst ? "EDST" : w->spi ? "SPI" : "address family", v,
			       w->proto ? w->proto : w->edst ? w->edst : w->spi ? w->spi : w->af);
	w->said = v;
	if (said_parse(v, sa, err, sizeof(err)) < 0)
		return kp_fail(p, "Error, %s converting --sa argument:%s", err, v);
	if (sa->proto == SAID_PROTO_INT &&
	    (sa->spi == SAID_SPI_HOLD || sa->spi == SAID_SPI_TRAP || sa->spi == SAID_SPI_TRAPSUBNET))
		return kp_fail(p, "%s is not supported: it hands packets to an IKE daemon to negotiate an "
				  "SA, and spigrpd keys manually (use %%pass, %%drop or %%reject)", v);
	if (sa->proto == SAID_PROTO_INT && !said_is_magic(sa))
		return kp_fail(p, "%s is not a shunt: the shunts are %%pass, %%drop and %%reject", v);
	if (!said_is_magic(sa) && sa->spi < 0x100)
		return kp_fail(p, "Illegal reserved spi: %s => 0x%x Must be larger than or equal to 0x100.", v,
			       sa->spi);
	return 1;
}

static int er_opt(struct kp *p, int id, const char *v, struct er_words *w)
{
	struct klips_eroute *e = &p->req->er;

	w->any |= id != E_DEBUG && id != E_LABEL;
	switch (id) {
	case E_ADD: case E_REPLACE: case E_CLEAR: case E_DEL:
		return action(p, id == E_ADD ? KLIPS_ADD : id == E_REPLACE ? KLIPS_REPLACE
				 : id == E_CLEAR ? KLIPS_CLEAR : KLIPS_DEL);
	case E_ADDIN: case E_REPLACEIN:
		return kp_fail(p, "--%s is not supported: the inbound group of a link gets its in and fwd "
				  "policies from the eroute of the outbound group it pairs with",
			       id == E_ADDIN ? "addin" : "replacein");
	case E_SRC: case E_DST:
		if (id == E_SRC ? w->src : w->dst)
			return kp_fail(p, "Error, --%s parameter redefined:%s, already defined as:%s",
				       id == E_SRC ? "src" : "dst", v, id == E_SRC ? w->src : w->dst);
		*(id == E_SRC ? &w->src : &w->dst) = v;
		return subnet_opt(p, id == E_SRC ? "src" : "dst", v, id == E_SRC ? &e->src : &e->dst,
				  id == E_SRC ? &e->sport : &e->dport);
	case E_ERAF:
		if (w->eraf)
			return kp_fail(p, "Error, address family of eroute redefined:%s, already defined as:%s",
				       v, w->eraf);
		w->eraf = v;
		if (!(w->eraf_val = kp_af_word(v)))
			return kp_fail(p, "Invalid address family parameter for eroute: %s", v);
		return 1;
	case E_EDST: case E_SPI: case E_PROTO: case E_AF:
		return sa_word(p, id, v, w);
	case E_SAID:
		return said_word(p, v, w);
	case E_TPROTO: case E_SPORT: case E_DPORT: {
		const char **slot = id == E_TPROTO ? &w->tproto : id == E_SPORT ? &w->sport : &w->dport;

		if (*slot)
			return kp_fail(p, "Error, --%s parameter redefined:%s, already defined as:%s",
				       id == E_TPROTO ? "transport-proto" : id == E_SPORT ? "src-port"
											: "dst-port",
				       v, *slot);
		*slot = v;
		return 1;
	}
	case E_LABEL:
		kp_set_label(p, v);
		return 1;
	case E_DEBUG:
		p->req->debug = true;
		return 1;
	case E_HELP:
		eroute_usage(p);
		p->msg->exit_code = 1;
		return 0;
	default:
		return kp_version(p);
	}
}

/* --transport-proto and the ports, once all options are read. */
static int er_ports(struct kp *p, struct er_words *w)
{
	struct klips_eroute *e = &p->req->er;
	uint64_t u;
	const char *why;
	size_t i;

	if (w->tproto) {
		for (i = 0; i < sizeof(tprotos) / sizeof(tprotos[0]); i++)
			if (!strcmp(tprotos[i].name, w->tproto))
				break;
		if (i < sizeof(tprotos) / sizeof(tprotos[0]))
			e->tproto = tprotos[i].num;
		else if ((why = kp_parse_num(w->tproto, 255, &u)))
			return kp_fail(p, "Invalid --transport-proto parameter \"%s\": %s", w->tproto, why);
		else
			e->tproto = (uint8_t)u;
	}
	if (w->sport && (why = kp_parse_num(w->sport, 0xffff, &u)))
		return kp_fail(p, "Invalid --src-port parameter \"%s\": %s", w->sport, why);
	if (w->sport && e->sport && e->sport != u)
		return kp_fail(p, "Error, --src-port %s and the port of --src %s differ", w->sport, w->src);
	if (w->sport)
		e->sport = (uint16_t)u;
	if (w->dport && (why = kp_parse_num(w->dport, 0xffff, &u)))
		return kp_fail(p, "Invalid --dst-port parameter \"%s\": %s", w->dport, why);
	if (w->dport && e->dport && e->dport != u)
		return kp_fail(p, "Error, --dst-port %s and the port of --dst %s differ", w->dport, w->dst);
	if (w->dport)
		e->dport = (uint16_t)u;
	if ((e->sport || e->dport) && e->tproto != 6 && e->tproto != 17)
		return kp_fail(p, "--transport-proto with either UDP or TCP must be specified if --src-port "
				  "or --dst-port is used");
	return 1;
}

/* Families: --eraf, the selectors and the SA's destination agree. */
static int er_families(struct kp *p, struct er_words *w)
{
	struct klips_eroute *e = &p->req->er;

	if (w->eraf_val && e->src.addr.family != w->eraf_val)
		return kp_fail(p, "Error, --src %s is not an --eraf %s subnet", w->src, w->eraf);
	if (w->eraf_val && e->dst.addr.family != w->eraf_val)
		return kp_fail(p, "Error, --dst %s is not an --eraf %s subnet", w->dst, w->eraf);
	if (e->src.addr.family != e->dst.addr.family)
		return kp_fail(p, "Error, --src %s and --dst %s are of different address families", w->src,
			       w->dst);
	if (!e->has_said || said_is_magic(&e->said))
		return 1;
	if (w->af_val && e->said.dst.family != w->af_val)
		return kp_fail(p, "Error, --edst %s is not an --af %s address", w->edst, w->af);
	return 1;
}

int kp_eroute_main(struct kp *p)
{
	struct er_words w = { .src = NULL };
	struct klips_eroute *e = &p->req->er;
	enum klips_op op;
	int i = 1, id = -1;
	const char *v;

	while (i < p->argc) {
		id = -1;
		if (!kp_next_opt(p, eroute_opts, &i, &id, &v) || !er_opt(p, id, v, &w)) {
			if (strstr(p->msg->err, "option '"))
				eroute_usage(p);
			return 0;
		}
	}
	if (!w.any) {
		p->req->op = KLIPS_LIST;
		return 1;
	}
	if (!er_ports(p, &w))
		return 0;
	op = p->req->op;
	if (op == KLIPS_ADD || op == KLIPS_REPLACE) {
		if (!w.said && (!w.af || !w.edst || !w.spi || !w.proto))
			return kp_fail(p, "add and addin options must have SA specified.");
		e->has_said = true;
	}
	if (op == KLIPS_ADD || op == KLIPS_REPLACE || op == KLIPS_DEL) {
		if (!w.src)
			return kp_fail(p, "Error -- %s option '--src' is required.", op == KLIPS_DEL ? "del" : "add");
		if (!w.dst)
			return kp_fail(p, "Error -- %s option '--dst' is required.", op == KLIPS_DEL ? "del" : "add");
		return er_families(p, &w);
	}
	if (op == KLIPS_CLEAR)
		return 1;
	return kp_fail(p, "exactly one of '--add', '--addin', '--replace', '--del' or '--clear' options "
			  "must be specified.\nTry '%s --help' for usage information.", p->req->prog);
}

/* said.c: SAIDs and IP addresses as text, the way KLIPS wrote and read them.
 *
 * Parsing follows ttosa()/ttoaddr() with numeric addresses only; printing
 * follows satot()/addrtot() (see spec/klips-formats.md section 2).  Where we
 * deliberately differ from KLIPS:
 *  - an SPI that does not fit 32 bits is an error (ttosa truncated it);
 *  - DNS names are refused with an error that says so;
 *  - short IPv4 forms ("1.2.3" meaning 1.2.3.0) are refused: in a config
 *    file they are far more likely a typo than intended;
 *  - an `int` SA prints by name only when it is one of the six magic SPIs
 *    and its destination is 0.0.0.0 (FreeS/WAN's satot rule).  Openswan and
 *    libreswan printed every int SA by name and unknown ones as a truncated
 *    "%unk-N"; that text cannot be read back, the FreeS/WAN form can, so
 *    every SAID we print parses back to the same SAID.
 * Dotted IPv4 numbers with leading zeros are decimal (ttoaddr's rule, not
 * inet_aton's octal) and "0x" plus 8 hex digits is an IPv4 address in
 * network order, as ttoaddr accepted.  IPv6 never takes the dotted
 * IPv4-in-IPv6 form, in or out.
 *
 * The printing functions build text by hand (no snprintf per field): the
 * view prints hundreds of thousands of SAIDs per read.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "said.h"

static const char hexdigits[] = "0123456789abcdef";

/* Write a formatted error message, if the caller wants one. */
static void seterr(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* Copy @n bytes of @src into @buf with snprintf semantics. */
static size_t put_text(const char *src, size_t n, char *buf, size_t len)
{
	if (len > 0) {
		size_t c = n < len - 1 ? n : len - 1;

		memcpy(buf, src, c);
		buf[c] = '\0';
	}
	return n;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

int said_hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* ---- addresses ---- */

size_t ip_addr_len(const struct ip_addr *a)
{
	if (a->family == AF_INET)
		return 4;
	if (a->family == AF_INET6)
		return 16;
	return 0;
}

bool ip_addr_equal(const struct ip_addr *a, const struct ip_addr *b)
{
	return a->family == b->family && memcmp(a->b, b->b, ip_addr_len(a)) == 0;
}

bool ip_addr_is_any(const struct ip_addr *a)
{
	size_t i, n = ip_addr_len(a);

	if (n == 0)
		return false;
	for (i = 0; i < n; i++)
		if (a->b[i])
			return false;
	return true;
}

/*
 * Does @s look like a host name rather than a mistyped number?  Only name
 * characters, at least one letter, and the last label starts with a letter
 * (top-level domains are alphabetic), so "gw2" and "east.example" are names
 * but "1.2.3.4a" and "1.0x2.3.4" are broken addresses.
 */
static bool looks_like_name(const char *s, size_t n)
{
	size_t i, last = 0;
	bool letter = false;

	for (i = 0; i < n; i++) {
		char c = s[i];

		if (is_alpha(c))
			letter = true;
		else if (!is_digit(c) && c != '-' && c != '_' && c != '.')
			return false;
		if (c == '.' && i + 1 < n)
			last = i + 1;
	}
	return letter && is_alpha(s[last]);
}

/* "0x" + 8 hex digits: an IPv4 address in network order (ttoaddr). */
static const char *parse_hex4(const char *s, size_t n, struct ip_addr *out)
{
	size_t i;
	uint32_t v = 0;

	if (n != 10)
		return "a hex IPv4 address needs exactly 8 hex digits after 0x";
	for (i = 2; i < n; i++) {
		int d = said_hex_digit(s[i]);

		if (d < 0)
			return "a hex IPv4 address needs exactly 8 hex digits after 0x";
		v = v << 4 | (uint32_t)d;
	}
	memset(out, 0, sizeof(*out));
	out->family = AF_INET;
	out->b[0] = v >> 24;
	out->b[1] = v >> 16;
	out->b[2] = v >> 8;
	out->b[3] = v;
	return NULL;
}

/* Dotted decimal, exactly four numbers 0..255 (leading zeros are decimal). */
static const char *parse_dotted(const char *s, size_t n, struct ip_addr *out,
				char *why, size_t whylen)
{
	uint8_t b[4];
	size_t i = 0, count = 0;

	while (i <= n) {
		size_t start = i, digits;
		unsigned v = 0;

		while (i < n && s[i] != '.')
			i++;
		digits = i - start;
		if (digits == 0)
			return n == 0 ? "empty" : "empty number in dotted address";
		if (count == 4)
			return "more than four numbers in dotted address";
		for (size_t k = start; k < i; k++) {
			if (!is_digit(s[k])) {
				if (count == 0 && i == n)
					return "not a numeric address";
				snprintf(why, whylen, "\"%.*s\" is not a decimal number",
					 (int)digits, s + start);
				return why;
			}
			if (v <= 255)
				v = v * 10 + (unsigned)(s[k] - '0');
		}
		if (v > 255) {
			snprintf(why, whylen, "\"%.*s\" is over 255", (int)digits, s + start);
			return why;
		}
		b[count++] = v;
		i++; /* past the dot, or past the end */
	}
	if (count < 4)
		return "fewer than four numbers (short forms are not accepted)";
	memset(out, 0, sizeof(*out));
	out->family = AF_INET;
	memcpy(out->b, b, 4);
	return NULL;
}

/* Parse the colon-separated groups of one side of "::" into g[], counting
 * them in *ng (at most 9, so callers can tell "too many").  @at_start and
 * @at_end say whether the side touches the start/end of the whole text. */
static const char *parse_groups6(const char *s, size_t n, bool at_start, bool at_end,
				 uint16_t *g, unsigned *ng, char *why, size_t whylen)
{
	size_t i = 0;

	*ng = 0;
	if (n == 0)
		return NULL;
	while (i <= n) {
		size_t start = i, digits;
		unsigned v = 0;

		while (i < n && s[i] != ':')
			i++;
		digits = i - start;
		if (digits == 0) {
			if (start == 0 && at_start)
				return "starts with a single \":\"";
			if (at_end)
				return "ends with a single \":\"";
			return "empty group";
		}
		for (size_t k = start; k < i; k++) {
			int d = said_hex_digit(s[k]);

			if (d < 0) {
				snprintf(why, whylen, "group \"%.*s\" is not hex",
					 (int)digits, s + start);
				return why;
			}
			v = v << 4 | (unsigned)d;
			if (k - start >= 4) {
				snprintf(why, whylen,
					 "group \"%.*s\" has more than 4 hex digits",
					 (int)digits, s + start);
				return why;
			}
		}
		if (*ng == 9)
			return "more than 8 groups";
		g[(*ng)++] = v;
		i++;
	}
	return NULL;
}

static const char *parse_ipv6(const char *s, size_t n, struct ip_addr *out,
			      char *why, size_t whylen)
{
	uint16_t left[9], right[9];
	unsigned nl = 0, nr = 0, i;
	const char *gap = NULL, *e;

	if (memchr(s, '.', n))
		return "the dotted IPv4-in-IPv6 form is not accepted";
	for (i = 0; i + 1 < n; i++) {
		if (s[i] == ':' && s[i + 1] == ':') {
			if (gap)
				return "more than one \"::\"";
			gap = s + i;
			i++;
			if (i + 1 < n && s[i + 1] == ':')
				return "\":::\" is not valid";
		}
	}
	if (gap) {
		size_t ln = (size_t)(gap - s);

		e = parse_groups6(s, ln, true, false, left, &nl, why, whylen);
		if (!e)
			e = parse_groups6(gap + 2, n - ln - 2, false, true, right, &nr,
					  why, whylen);
		if (e)
			return e;
		if (nl + nr > 8)
			return "more than 8 groups";
		if (nl + nr == 8)
			return "\"::\" with 8 groups stands for nothing";
	} else {
		e = parse_groups6(s, n, true, true, left, &nl, why, whylen);
		if (e)
			return e;
		if (nl > 8)
			return "more than 8 groups";
		if (nl < 8)
			return "fewer than 8 groups and no \"::\"";
	}
	memset(out, 0, sizeof(*out));
	out->family = AF_INET6;
	for (i = 0; i < nl; i++) {
		out->b[2 * i] = left[i] >> 8;
		out->b[2 * i + 1] = left[i] & 0xff;
	}
	for (i = 0; i < nr; i++) {
		unsigned j = 8 - nr + i;

		out->b[2 * j] = right[i] >> 8;
		out->b[2 * j + 1] = right[i] & 0xff;
	}
	return NULL;
}

/*
 * Parse the first @n bytes of @s as an address.  Returns NULL, or the reason
 * it is not one (a literal, or a text written into @why).
 */
static const char *parse_addr(const char *s, size_t n, struct ip_addr *out,
			      char *why, size_t whylen)
{
	if (n == 0)
		return "empty";
	if (memchr(s, ':', n))
		return parse_ipv6(s, n, out, why, whylen);
	if (n >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		return parse_hex4(s, n, out);
	if (looks_like_name(s, n))
		return "DNS names are not accepted, use a numeric address";
	return parse_dotted(s, n, out, why, whylen);
}

int ip_addr_parse(const char *text, struct ip_addr *out, char *err, size_t errlen)
{
	char why[96];
	const char *e;
	struct ip_addr a;

	if (!text)
		text = "";
	e = parse_addr(text, strlen(text), &a, why, sizeof(why));
	if (e) {
		seterr(err, errlen, "bad address \"%s\": %s", text, e);
		return -EINVAL;
	}
	*out = a;
	return 0;
}

/* addrtot format 0, without the NUL; @p has room for IP_ADDR_BUF bytes. */
static size_t format_addr(const struct ip_addr *a, char *p)
{
	char *start = p;

	if (a->family == AF_INET) {
		for (int i = 0; i < 4; i++) {
			unsigned v = a->b[i];

			if (i)
				*p++ = '.';
			if (v >= 100)
				*p++ = (char)('0' + v / 100);
			if (v >= 10)
				*p++ = (char)('0' + v / 10 % 10);
			*p++ = (char)('0' + v % 10);
		}
	} else if (a->family == AF_INET6) {
		unsigned g[8];
		int i, zs = -1, ze = -1;

		for (i = 0; i < 8; i++)
			g[i] = (unsigned)a->b[2 * i] << 8 | a->b[2 * i + 1];
		/* KLIPS squashes the FIRST run of two or more zero groups,
		 * not the longest one (RFC 5952 would pick the longest). */
		for (i = 0; i < 7; i++) {
			if (g[i] == 0 && g[i + 1] == 0) {
				zs = i;
				for (ze = i; ze < 8 && g[ze] == 0; ze++)
					;
				break;
			}
		}
		for (i = 0; i < 8; i++) {
			if (i == zs) {
				*p++ = ':';
				*p++ = ':';
				i = ze - 1;
				continue;
			}
			if (i > 0 && i != ze)
				*p++ = ':';
			if (g[i] >= 0x1000)
				*p++ = hexdigits[g[i] >> 12];
			if (g[i] >= 0x100)
				*p++ = hexdigits[g[i] >> 8 & 0xf];
			if (g[i] >= 0x10)
				*p++ = hexdigits[g[i] >> 4 & 0xf];
			*p++ = hexdigits[g[i] & 0xf];
		}
	} else {
		memcpy(p, "<invalid>", 9);
		p += 9;
	}
	return (size_t)(p - start);
}

size_t ip_addr_format(const struct ip_addr *a, char *buf, size_t len)
{
	char tmp[IP_ADDR_BUF];
	size_t n = format_addr(a, tmp);

	return put_text(tmp, n, buf, len);
}

/* ---- prefixes ---- */

static unsigned addr_bits(const struct ip_addr *a)
{
	return (unsigned)ip_addr_len(a) * 8;
}

/* Are all bits of @a after the first @len zero? */
static bool host_bits_zero(const struct ip_addr *a, unsigned len)
{
	unsigned i, n = (unsigned)ip_addr_len(a);

	for (i = len / 8; i < n; i++) {
		uint8_t mask = i == len / 8 ? (uint8_t)(0xff >> (len % 8)) : 0xff;

		if (a->b[i] & mask)
			return false;
	}
	return true;
}

int ip_prefix_parse(const char *text, struct ip_prefix *out, char *err, size_t errlen)
{
	char why[96];
	const char *e, *slash;
	struct ip_prefix p;
	size_t alen;
	unsigned len = 0, max;

	if (!text)
		text = "";
	if (!*text) {
		seterr(err, errlen, "bad prefix \"\": empty");
		return -EINVAL;
	}
	slash = strchr(text, '/');
	alen = slash ? (size_t)(slash - text) : strlen(text);
	e = parse_addr(text, alen, &p.addr, why, sizeof(why));
	if (e) {
		seterr(err, errlen, "bad address \"%.*s\" in \"%s\": %s", (int)alen, text,
		       text, e);
		return -EINVAL;
	}
	max = addr_bits(&p.addr);
	if (!slash) {
		len = max;
	} else {
		const char *l = slash + 1;
		size_t i;

		if (!*l) {
			seterr(err, errlen, "bad prefix length \"\" in \"%s\": empty", text);
			return -EINVAL;
		}
		for (i = 0; l[i]; i++) {
			if (!is_digit(l[i])) {
				seterr(err, errlen,
				       "bad prefix length \"%s\" in \"%s\": not a number", l,
				       text);
				return -EINVAL;
			}
			if (len <= max)
				len = len * 10 + (unsigned)(l[i] - '0');
		}
		if (len > max) {
			seterr(err, errlen,
			       "bad prefix length \"%s\" in \"%s\": over %u for %s", l, text,
			       max, max == 32 ? "IPv4" : "IPv6");
			return -EINVAL;
		}
	}
	p.len = (uint8_t)len;
	if (!host_bits_zero(&p.addr, len)) {
		struct ip_prefix net = p;
		char nb[IP_PREFIX_BUF];
		unsigned i;

		for (i = len / 8; i < ip_addr_len(&net.addr); i++)
			net.addr.b[i] &= i == len / 8 ? (uint8_t)(0xff << (8 - len % 8)) : 0;
		ip_prefix_format(&net, nb, sizeof(nb));
		seterr(err, errlen, "bad prefix \"%s\": host bits are set (the network is %s)",
		       text, nb);
		return -EINVAL;
	}
	*out = p;
	return 0;
}

size_t ip_prefix_format(const struct ip_prefix *p, char *buf, size_t len)
{
	char tmp[IP_PREFIX_BUF];
	size_t n = format_addr(&p->addr, tmp);
	unsigned l = p->len;

	tmp[n++] = '/';
	if (l >= 100)
		tmp[n++] = (char)('0' + l / 100);
	if (l >= 10)
		tmp[n++] = (char)('0' + l / 10 % 10);
	tmp[n++] = (char)('0' + l % 10);
	return put_text(tmp, n, buf, len);
}

bool ip_prefix_contains(const struct ip_prefix *p, const struct ip_addr *a)
{
	unsigned full, rest;

	if (p->addr.family != a->family || p->addr.family == 0)
		return false;
	if (p->len > addr_bits(a))
		return false;
	full = p->len / 8;
	rest = p->len % 8;
	if (memcmp(p->addr.b, a->b, full) != 0)
		return false;
	if (rest) {
		uint8_t mask = (uint8_t)(0xff << (8 - rest));

		if ((p->addr.b[full] & mask) != (a->b[full] & mask))
			return false;
	}
	return true;
}

/* ---- SAIDs ---- */

static const struct {
	const char *name;
	uint8_t proto;
} protos[] = {
	/* ttosa's order; no name is a prefix of another, so order is free */
	{ "ah", SAID_PROTO_AH },
	{ "esp", SAID_PROTO_ESP },
	{ "tun", SAID_PROTO_TUN },
	{ "comp", SAID_PROTO_COMP },
	{ "int", SAID_PROTO_INT },
};

static const struct {
	const char *name;
	uint8_t proto;
	uint32_t spi;
	uint8_t family;
} magics[] = {
	{ "%pass", SAID_PROTO_INT, SAID_SPI_PASS, AF_INET },
	{ "%drop", SAID_PROTO_INT, SAID_SPI_DROP, AF_INET },
	{ "%reject", SAID_PROTO_INT, SAID_SPI_REJECT, AF_INET },
	{ "%hold", SAID_PROTO_INT, SAID_SPI_HOLD, AF_INET },
	{ "%trap", SAID_PROTO_INT, SAID_SPI_TRAP, AF_INET },
	{ "%trapsubnet", SAID_PROTO_INT, SAID_SPI_TRAPSUBNET, AF_INET },
	{ "%passthrough", SAID_PROTO_TUN, 0, AF_INET },
	{ "%passthrough4", SAID_PROTO_TUN, 0, AF_INET },
	{ "%passthrough6", SAID_PROTO_TUN, 0, AF_INET6 },
};

const char *said_proto_name(uint8_t proto)
{
	for (size_t i = 0; i < sizeof(protos) / sizeof(protos[0]); i++)
		if (protos[i].proto == proto)
			return protos[i].name;
	return NULL;
}

bool said_equal(const struct said *a, const struct said *b)
{
	return a->proto == b->proto && a->spi == b->spi && ip_addr_equal(&a->dst, &b->dst);
}

/* The name a magic SAID prints as, or NULL (rules in the file comment). */
static const char *magic_name(const struct said *s)
{
	if (s->proto == SAID_PROTO_TUN && s->spi == 0 && ip_addr_is_any(&s->dst))
		return s->dst.family == AF_INET ? "%passthrough4" : "%passthrough6";
	if (s->proto == SAID_PROTO_INT && s->spi >= SAID_SPI_PASS &&
	    s->spi <= SAID_SPI_TRAPSUBNET && s->dst.family == AF_INET &&
	    ip_addr_is_any(&s->dst))
		return magics[s->spi - SAID_SPI_PASS].name;
	return NULL;
}

bool said_is_magic(const struct said *s)
{
	return magic_name(s) != NULL;
}

#define PROTO_LIST "expected ah, esp, tun, comp or int"

/* Parse the SPI text s[0..n) in @base (0 = auto as strtoul: 0x hex, 0 octal,
 * else decimal).  Returns NULL or the reason. */
static const char *parse_spi(const char *s, size_t n, int base, uint32_t *out)
{
	const char *what = "not a number";
	uint64_t v = 0;
	size_t i = 0;

	if (n == 0)
		return "empty";
	if (base == 0) {
		if (n >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
			base = 16;
			i = 2;
			if (n == 2)
				return "not a hex number";
		} else if (n >= 2 && s[0] == '0') {
			base = 8;
			i = 1;
		} else {
			base = 10;
		}
	}
	if (base == 16)
		what = "not a hex number";
	else if (base == 8)
		what = "not an octal number (it starts with 0)";
	for (; i < n; i++) {
		int d = said_hex_digit(s[i]);

		if (d < 0 || d >= base)
			return what;
		v = v * (unsigned)base + (unsigned)d;
		if (v > UINT32_MAX) {
			/* keep scanning: a bad digit later is the better message */
			for (i++; i < n; i++)
				if (said_hex_digit(s[i]) < 0 || said_hex_digit(s[i]) >= base)
					return what;
			return "does not fit in 32 bits";
		}
	}
	*out = (uint32_t)v;
	return NULL;
}

int said_parse(const char *text, struct said *out, char *err, size_t errlen)
{
	char why[96];
	const char *at, *p, *spi, *e;
	struct said s;
	size_t plen, i;
	int af = 0, base = 0;

	if (!text)
		text = "";
	if (!*text) {
		seterr(err, errlen, "bad SAID \"\": empty");
		return -EINVAL;
	}
	memset(&s, 0, sizeof(s));
	if (text[0] == '%') {
		for (i = 0; i < sizeof(magics) / sizeof(magics[0]); i++) {
			if (strcmp(text, magics[i].name) == 0) {
				s.proto = magics[i].proto;
				s.spi = magics[i].spi;
				s.dst.family = magics[i].family;
				*out = s;
				return 0;
			}
		}
		seterr(err, errlen,
		       "bad SAID \"%s\": unknown magic name (known: %%pass %%drop %%reject"
		       " %%hold %%trap %%trapsubnet %%passthrough %%passthrough4"
		       " %%passthrough6)", text);
		return -EINVAL;
	}
	at = strchr(text, '@');
	if (!at) {
		seterr(err, errlen, "bad SAID \"%s\": no \"@\" before the address", text);
		return -EINVAL;
	}

	/* protocol: everything up to the SPI's first character */
	for (p = text; p < at && !is_digit(*p) && *p != '.' && *p != ':'; p++)
		;
	plen = (size_t)(p - text);
	for (i = 0; i < sizeof(protos) / sizeof(protos[0]); i++) {
		if (strlen(protos[i].name) == plen && memcmp(protos[i].name, text, plen) == 0)
			break;
	}
	if (i == sizeof(protos) / sizeof(protos[0])) {
		seterr(err, errlen, "bad protocol \"%.*s\" in \"%s\": " PROTO_LIST,
		       (int)plen, text, text);
		return -EINVAL;
	}
	s.proto = protos[i].proto;

	/* address family character, then the SPI */
	spi = p;
	if (*p == '.') {
		af = AF_INET;
		base = 16;
		spi++;
	} else if (*p == ':') {
		af = AF_INET6;
		base = 16;
		spi++;
	}
	e = parse_spi(spi, (size_t)(at - spi), base, &s.spi);
	if (e) {
		seterr(err, errlen, "bad SPI \"%.*s\" in \"%s\": %s", (int)(at - spi), spi,
		       text, e);
		return -EINVAL;
	}

	/* destination */
	e = parse_addr(at + 1, strlen(at + 1), &s.dst, why, sizeof(why));
	if (!e && af == AF_INET && s.dst.family != AF_INET)
		e = "IPv6 address after \".\" (use \":\" for IPv6)";
	if (!e && af == AF_INET6 && s.dst.family != AF_INET6)
		e = "IPv4 address after \":\" (use \".\" for IPv4)";
	if (e) {
		seterr(err, errlen, "bad address \"%s\" in \"%s\": %s", at + 1, text, e);
		return -EINVAL;
	}
	*out = s;
	return 0;
}

/* Append the SPI in @base (16 or 10), at least @width digits. */
static char *put_num(char *p, uint32_t v, unsigned base, int width)
{
	char tmp[12];
	int n = 0;

	do {
		tmp[n++] = hexdigits[v % base];
		v /= base;
	} while (v);
	while (n < width)
		tmp[n++] = '0';
	while (n)
		*p++ = tmp[--n];
	return p;
}

size_t said_format(const struct said *s, char fmt, char *buf, size_t len)
{
	char tmp[SAID_BUF], *p = tmp;
	const char *name;
	size_t n;

	if (fmt != '0' && fmt != 'x' && fmt != 'f' && fmt != 'd') {
		put_text("", 0, buf, len);
		return 0;
	}
	name = magic_name(s);
	if (name)
		return put_text(name, strlen(name), buf, len);

	name = said_proto_name(s->proto);
	if (name) {
		n = strlen(name);
		memcpy(p, name, n);
		p += n;
	} else {
		memcpy(p, "unk", 3);
		p = put_num(p + 3, s->proto, 10, 1);
	}
	switch (fmt) {
	case '0':
	case 'f':
		*p++ = s->dst.family == AF_INET6 ? ':' : '.';
		p = put_num(p, s->spi, 16, fmt == 'f' ? 8 : 1);
		break;
	case 'x':
		*p++ = '0';
		*p++ = 'x';
		p = put_num(p, s->spi, 16, 1);
		break;
	default: /* 'd' */
		p = put_num(p, s->spi, 10, 1);
		break;
	}
	*p++ = '@';
	p += format_addr(&s->dst, p);
	return put_text(tmp, (size_t)(p - tmp), buf, len);
}

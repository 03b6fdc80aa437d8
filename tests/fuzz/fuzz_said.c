/* fuzz_said.c: libFuzzer harness for SAIDs, addresses and prefixes as text
 * (said.h).
 *
 * The input is tried three ways:
 *  - as text for said_parse(), ip_addr_parse() and ip_prefix_parse(): what
 *    parses must print (in every said_format() letter: 0, x, f, d) to text
 *    that parses back to the same value; what does not parse must say why;
 *  - as a raw SAID (protocol byte, SPI, family, address bytes, the first 22
 *    bytes of the input): every format letter must print it, and a SAID of a
 *    protocol with a name (esp, ah, comp, tun, int) must parse back to
 *    itself, magic names included;
 *  - every print is also made into buffers of boundary sizes (0, 1, 2,
 *    half, one byte short, exact): each must hold the NUL-terminated start,
 *    with the same length returned (snprintf semantics).
 * Any difference is an abort().
 */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "said.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char fmts[] = { '0', 'x', 'f', 'd' };

static void fail(const char *what, const char *text, const char *printed)
{
	fprintf(stderr, "fuzz_said: %s\n", what);
	if (text)
		fprintf(stderr, "  input:   \"%s\"\n", text);
	if (printed)
		fprintf(stderr, "  printed: \"%s\"\n", printed);
	abort();
}

/* One kind of value said.h prints and parses. */
struct kind {
	const char *name;
	size_t (*format)(const void *v, char fmt, char *buf, size_t len);
	int (*parse)(const char *text, void *out, char *err, size_t errlen);
	bool (*equal)(const void *a, const void *b); /* family and all bytes */
};

static size_t said_fmt(const void *v, char fmt, char *buf, size_t len)
{
	return said_format(v, fmt, buf, len);
}

static int said_prs(const char *text, void *out, char *err, size_t errlen)
{
	return said_parse(text, out, err, errlen);
}

static bool said_eq(const void *a, const void *b)
{
	const struct said *x = a, *y = b;

	return said_equal(x, y) && x->dst.family == y->dst.family;
}

static size_t addr_fmt(const void *v, char fmt, char *buf, size_t len)
{
	return ip_addr_format(v, buf, len);
}

static int addr_prs(const char *text, void *out, char *err, size_t errlen)
{
	return ip_addr_parse(text, out, err, errlen);
}

static bool addr_eq(const void *a, const void *b)
{
	return ip_addr_equal(a, b) && memcmp(a, b, sizeof(struct ip_addr)) == 0;
}

static size_t prefix_fmt(const void *v, char fmt, char *buf, size_t len)
{
	return ip_prefix_format(v, buf, len);
}

static int prefix_prs(const char *text, void *out, char *err, size_t errlen)
{
	return ip_prefix_parse(text, out, err, errlen);
}

static bool prefix_eq(const void *a, const void *b)
{
	const struct ip_prefix *x = a, *y = b;

	return x->len == y->len && addr_eq(&x->addr, &y->addr);
}

static const struct kind said_kind = { "SAID", said_fmt, said_prs, said_eq };
static const struct kind addr_kind = { "address", addr_fmt, addr_prs, addr_eq };
static const struct kind prefix_kind = { "prefix", prefix_fmt, prefix_prs, prefix_eq };

static void fail_kind(const struct kind *k, const char *what, const char *input, const char *printed)
{
	fprintf(stderr, "fuzz_said: printing and parsing a %s\n", k->name);
	fail(what, input, printed);
}

/* @full (length @n, @v printed in @fmt) printed again into buffers of the
 * boundary sizes: none, 1, 2, half, one byte short (n) and just enough. */
static void check_truncation(const struct kind *k, const void *v, char fmt, const char *full,
			     size_t n)
{
	const size_t sizes[] = { 0, 1, 2, n / 2, n, n + 1 };
	char buf[SAID_BUF + 8];

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t len = sizes[i], keep = len && len - 1 < n ? len - 1 : n;

		memset(buf, 'Z', sizeof(buf));
		if (k->format(v, fmt, buf, len) != n)
			fail_kind(k, "a short buffer changes the returned length", NULL, full);
		if (len == 0) {
			if (buf[0] != 'Z')
				fail_kind(k, "a zero-length buffer was written", NULL, full);
			continue;
		}
		if (memcmp(buf, full, keep) != 0 || buf[keep] != '\0' || buf[keep + 1] != 'Z')
			fail_kind(k, "a short buffer does not hold the cut text", NULL, full);
	}
}

/* Print @v in @fmt: text shorter than SAID_BUF, which parses back to @v
 * (when @must_parse). */
static void roundtrip(const struct kind *k, const void *v, char fmt, const char *input,
		      bool must_parse)
{
	char buf[SAID_BUF], err[160];
	union {
		struct said s;
		struct ip_prefix p;
	} back;
	size_t n = k->format(v, fmt, buf, sizeof(buf));

	if (n == 0 || n >= sizeof(buf) || strlen(buf) != n)
		fail_kind(k, "no text, or more than SAID_BUF", input, buf);
	check_truncation(k, v, fmt, buf, n);
	if (!must_parse)
		return;
	if (k->parse(buf, &back, err, sizeof(err)) < 0) {
		fprintf(stderr, "format '%c': %s\n", fmt ? fmt : '-', err);
		fail_kind(k, "the printed text does not parse", input, buf);
	}
	if (!k->equal(v, &back)) {
		fprintf(stderr, "format '%c'\n", fmt ? fmt : '-');
		fail_kind(k, "the printed text parses to another value", input, buf);
	}
}

/* @s in every format letter; an unknown letter prints nothing. */
static void said_roundtrip(const struct said *s, const char *input, bool must_parse)
{
	char buf[SAID_BUF];

	for (size_t i = 0; i < sizeof(fmts); i++)
		roundtrip(&said_kind, s, fmts[i], input, must_parse);
	if (said_format(s, 'q', buf, sizeof(buf)) != 0 || buf[0] != '\0')
		fail("an unknown format letter printed something", input, buf);
	roundtrip(&addr_kind, &s->dst, 0, input, true);
}

static void try_text(const char *text)
{
	char err[160];
	struct said s;
	struct ip_addr a;
	struct ip_prefix p;

	err[0] = '\0';
	if (said_parse(text, &s, err, sizeof(err)) == 0)
		said_roundtrip(&s, text, true);
	else if (!err[0]) {
		fail("said_parse refused without a reason", text, NULL);
	}
	err[0] = '\0';
	if (ip_addr_parse(text, &a, err, sizeof(err)) == 0)
		roundtrip(&addr_kind, &a, 0, text, true);
	else if (!err[0])
		fail("ip_addr_parse refused without a reason", text, NULL);
	err[0] = '\0';
	if (ip_prefix_parse(text, &p, err, sizeof(err)) == 0) {
		roundtrip(&prefix_kind, &p, 0, text, true);
		if (!ip_prefix_contains(&p, &p.addr))
			fail("a prefix does not contain its own address", text, NULL);
	} else if (!err[0])
		fail("ip_prefix_parse refused without a reason", text, NULL);
}

/* A SAID from raw bytes: proto, SPI (4 bytes, big-endian), family (odd:
 * IPv6), address (16 bytes; an IPv4 one keeps only the first 4). */
static void try_raw(const uint8_t *data, size_t size)
{
	uint8_t raw[22] = { 0 };
	struct said s;

	memcpy(raw, data, size < sizeof(raw) ? size : sizeof(raw));
	memset(&s, 0, sizeof(s));
	s.proto = raw[0];
	s.spi = (uint32_t)raw[1] << 24 | (uint32_t)raw[2] << 16 | (uint32_t)raw[3] << 8 | raw[4];
	s.dst.family = raw[5] & 1 ? AF_INET6 : AF_INET;
	memcpy(s.dst.b, raw + 6, s.dst.family == AF_INET6 ? 16 : 4);
	said_roundtrip(&s, NULL, said_proto_name(s.proto) != NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text;

	if (size > 512) /* 5 times the longest SAID: enough for the error paths */
		return 0;
	text = malloc(size + 1);
	if (!text)
		abort();
	memcpy(text, data, size);
	text[size] = '\0';
	try_text(text);
	try_raw(data, size);
	free(text);
	return 0;
}

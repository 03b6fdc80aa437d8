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

/* @full (length @n) printed again by @redo into buffers of the boundary
 * sizes: none, 1, 2, half, one byte short (n) and just enough (n + 1). */
static void check_truncation(const char *full, size_t n,
			     size_t (*redo)(const void *v, char f, char *buf, size_t len),
			     const void *v, char f)
{
	const size_t sizes[] = { 0, 1, 2, n / 2, n, n + 1 };
	char buf[SAID_BUF + 8];

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t len = sizes[i], keep = len && len - 1 < n ? len - 1 : n;

		memset(buf, 'Z', sizeof(buf));
		if (redo(v, f, buf, len) != n)
			fail("a short buffer changes the returned length", NULL, full);
		if (len == 0) {
			if (buf[0] != 'Z')
				fail("a zero-length buffer was written", NULL, full);
			continue;
		}
		if (memcmp(buf, full, keep) != 0 || buf[keep] != '\0' || buf[keep + 1] != 'Z')
			fail("a short buffer does not hold the cut text", NULL, full);
	}
}

static size_t redo_said(const void *v, char f, char *buf, size_t len)
{
	return said_format(v, f, buf, len);
}

static size_t redo_addr(const void *v, char f, char *buf, size_t len)
{
	return ip_addr_format(v, buf, len);
}

static size_t redo_prefix(const void *v, char f, char *buf, size_t len)
{
	return ip_prefix_format(v, buf, len);
}

/* Print @s in every format; each text must parse back to @s (when
 * @must_parse) and fit SAID_BUF. */
static void said_roundtrip(const struct said *s, const char *input, bool must_parse)
{
	char buf[SAID_BUF], err[128];
	struct said back;

	for (size_t i = 0; i < sizeof(fmts); i++) {
		size_t n = said_format(s, fmts[i], buf, sizeof(buf));

		if (n == 0 || n >= sizeof(buf) || strlen(buf) != n)
			fail("said_format gave no text, or more than SAID_BUF", input, buf);
		check_truncation(buf, n, redo_said, s, fmts[i]);
		if (!must_parse)
			continue;
		if (said_parse(buf, &back, err, sizeof(err)) < 0) {
			fprintf(stderr, "format '%c': %s\n", fmts[i], err);
			fail("a printed SAID does not parse", input, buf);
		}
		if (!said_equal(s, &back) || s->dst.family != back.dst.family) {
			fprintf(stderr, "format '%c'\n", fmts[i]);
			fail("a printed SAID parses to another SAID", input, buf);
		}
	}
	if (said_format(s, 'q', buf, sizeof(buf)) != 0 || buf[0] != '\0')
		fail("an unknown format letter printed something", input, buf);
}

static void addr_roundtrip(const struct ip_addr *a, const char *input)
{
	char buf[IP_ADDR_BUF], err[128];
	struct ip_addr back;
	size_t n = ip_addr_format(a, buf, sizeof(buf));

	if (n == 0 || n >= sizeof(buf) || strlen(buf) != n)
		fail("ip_addr_format gave no text, or more than IP_ADDR_BUF", input, buf);
	check_truncation(buf, n, redo_addr, a, 0);
	if (ip_addr_parse(buf, &back, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		fail("a printed address does not parse", input, buf);
	}
	if (!ip_addr_equal(a, &back) || memcmp(a, &back, sizeof(back)) != 0)
		fail("a printed address parses to another address", input, buf);
}

static void prefix_roundtrip(const struct ip_prefix *p, const char *input)
{
	char buf[IP_PREFIX_BUF], err[128];
	struct ip_prefix back;
	size_t n = ip_prefix_format(p, buf, sizeof(buf));

	if (n == 0 || n >= sizeof(buf) || strlen(buf) != n)
		fail("ip_prefix_format gave no text, or more than IP_PREFIX_BUF", input, buf);
	check_truncation(buf, n, redo_prefix, p, 0);
	if (ip_prefix_parse(buf, &back, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		fail("a printed prefix does not parse", input, buf);
	}
	if (back.len != p->len || memcmp(&back.addr, &p->addr, sizeof(back.addr)) != 0)
		fail("a printed prefix parses to another prefix", input, buf);
	if (!ip_prefix_contains(p, &p->addr))
		fail("a prefix does not contain its own address", input, buf);
}

static void try_text(const char *text)
{
	char err[160];
	struct said s;
	struct ip_addr a;
	struct ip_prefix p;

	err[0] = '\0';
	if (said_parse(text, &s, err, sizeof(err)) == 0) {
		said_roundtrip(&s, text, true);
		addr_roundtrip(&s.dst, text);
	} else if (!err[0]) {
		fail("said_parse refused without a reason", text, NULL);
	}
	err[0] = '\0';
	if (ip_addr_parse(text, &a, err, sizeof(err)) == 0)
		addr_roundtrip(&a, text);
	else if (!err[0])
		fail("ip_addr_parse refused without a reason", text, NULL);
	err[0] = '\0';
	if (ip_prefix_parse(text, &p, err, sizeof(err)) == 0)
		prefix_roundtrip(&p, text);
	else if (!err[0])
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
	addr_roundtrip(&s.dst, NULL);
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

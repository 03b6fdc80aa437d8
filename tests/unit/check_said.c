/* check_said.c: SAID and address text, parsing and printing.
 *
 * Vectors: spec/klips-formats.md section 2.3 (ttosa's regression table, its
 * must-fail list and the FreeS/WAN build extras), the seed, and our own
 * error texts, IPv6 squashing cases and round trips.
 */
#include "config.h"

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "said.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ---- SAIDs that parse: input -> format '0' and format 'x' ---- */

static const struct {
	const char *in, *out0, *outx;
} said_ok[] = {
	/* ttosa regression table (lib/libopenswan/ttosa.c @ 2.4.4) */
	{ "esp257@1.2.3.0", "esp.101@1.2.3.0", "esp0x101@1.2.3.0" },
	{ "ah0x20@1.2.3.4", "ah.20@1.2.3.4", "ah0x20@1.2.3.4" },
	{ "tun20@1.2.3.4", "tun.14@1.2.3.4", "tun0x14@1.2.3.4" },
	{ "comp20@1.2.3.4", "comp.14@1.2.3.4", "comp0x14@1.2.3.4" },
	{ "esp257@::1", "esp:101@::1", "esp0x101@::1" },
	{ "esp257@0bc:12de::1", "esp:101@bc:12de::1", "esp0x101@bc:12de::1" },
	{ "esp78@1049:1::8007:2040", "esp:4e@1049:1::8007:2040", "esp0x4e@1049:1::8007:2040" },
	{ "ah78@1049:1::8007:2040", "ah:4e@1049:1::8007:2040", "ah0x4e@1049:1::8007:2040" },
	{ "tun78@1049:1::8007:2040", "tun:4e@1049:1::8007:2040", "tun0x4e@1049:1::8007:2040" },
	{ "esp0x78@1049:1::8007:2040", "esp:78@1049:1::8007:2040", "esp0x78@1049:1::8007:2040" },
	{ "ah0x78@1049:1::8007:2040", "ah:78@1049:1::8007:2040", "ah0x78@1049:1::8007:2040" },
	{ "tun0x78@1049:1::8007:2040", "tun:78@1049:1::8007:2040", "tun0x78@1049:1::8007:2040" },
	{ "esp9@1.2.3.4", "esp.9@1.2.3.4", "esp0x9@1.2.3.4" },
	{ "%passthrough", "%passthrough4", "%passthrough4" },
	{ "%passthrough4", "%passthrough4", "%passthrough4" },
	{ "%passthrough6", "%passthrough6", "%passthrough6" },
	{ "%pass", "%pass", "%pass" },
	{ "%drop", "%drop", "%drop" },
	{ "%reject", "%reject", "%reject" },
	{ "%hold", "%hold", "%hold" },
	{ "%trap", "%trap", "%trap" },
	{ "%trapsubnet", "%trapsubnet", "%trapsubnet" },
	{ "int256@0.0.0.0", "%pass", "%pass" },
	{ "int257@0.0.0.0", "%drop", "%drop" },
	{ "int258@0.0.0.0", "%reject", "%reject" },
	{ "int259@0.0.0.0", "%hold", "%hold" },
	{ "int260@0.0.0.0", "%trap", "%trap" },
	{ "int261@0.0.0.0", "%trapsubnet", "%trapsubnet" },
	/* our choice (FreeS/WAN satot): unknown int SPIs print generally */
	{ "int262@0.0.0.0", "int.106@0.0.0.0", "int0x106@0.0.0.0" },
	/* ... and so do magic SPIs that are not to 0.0.0.0 */
	{ "int256@1.2.3.4", "int.100@1.2.3.4", "int0x100@1.2.3.4" },
	{ "int:100@::", "int:100@::", "int0x100@::" },
	/* FreeS/WAN 2.x build extras (spec 2.3) */
	{ "esp.1234@1.2.3.4", "esp.1234@1.2.3.4", "esp0x1234@1.2.3.4" },
	{ "esp0xDEADBEEF@10.0.0.1", "esp.deadbeef@10.0.0.1", "esp0xdeadbeef@10.0.0.1" },
	{ "esp1234@1.2.3.4", "esp.4d2@1.2.3.4", "esp0x4d2@1.2.3.4" },
	{ "esp01234@1.2.3.4", "esp.29c@1.2.3.4", "esp0x29c@1.2.3.4" },
	{ "esp:1@3049:1::2", "esp:1@3049:1::2", "esp0x1@3049:1::2" },
	{ "tun:0@::", "%passthrough6", "%passthrough6" },
	{ "tun.0@0.0.0.0", "%passthrough4", "%passthrough4" },
	{ "esp0@0.0.0.0", "esp.0@0.0.0.0", "esp0x0@0.0.0.0" },
	{ "esp.FFFFFFFF@255.255.255.255", "esp.ffffffff@255.255.255.255",
	  "esp0xffffffff@255.255.255.255" },
	{ "esp0X1A@1.2.3.4", "esp.1a@1.2.3.4", "esp0x1a@1.2.3.4" },
	/* the seed and the issue */
	{ "tun.3d0@192.168.2.110", "tun.3d0@192.168.2.110", "tun0x3d0@192.168.2.110" },
	{ "comp.3d0@192.168.2.110", "comp.3d0@192.168.2.110", "comp0x3d0@192.168.2.110" },
	{ "esp.187a101b@192.168.2.110", "esp.187a101b@192.168.2.110",
	  "esp0x187a101b@192.168.2.110" },
	{ "ah.187a101a@192.168.2.110", "ah.187a101a@192.168.2.110",
	  "ah0x187a101a@192.168.2.110" },
	{ "tun:3d0@3049:1::2", "tun:3d0@3049:1::2", "tun0x3d0@3049:1::2" },
	{ "esp:187a101b@3049:1::2", "esp:187a101b@3049:1::2", "esp0x187a101b@3049:1::2" },
	{ "esp.187a101b@192.0.2.1", "esp.187a101b@192.0.2.1", "esp0x187a101b@192.0.2.1" },
	{ "esp:187a101b@2001:db8::1", "esp:187a101b@2001:db8::1", "esp0x187a101b@2001:db8::1" },
	{ "esp0x187a101b@192.0.2.1", "esp.187a101b@192.0.2.1", "esp0x187a101b@192.0.2.1" },
	{ "esp410652699@192.0.2.1", "esp.187a101b@192.0.2.1", "esp0x187a101b@192.0.2.1" },
	/* our own */
	{ "esp.000000a9@1.2.3.4", "esp.a9@1.2.3.4", "esp0xa9@1.2.3.4" },
	{ "esp:A9@2001:DB8::A", "esp:a9@2001:db8::a", "esp0xa9@2001:db8::a" },
	{ "ah00@1.2.3.4", "ah.0@1.2.3.4", "ah0x0@1.2.3.4" },
	{ "esp037777777777@1.2.3.4", "esp.ffffffff@1.2.3.4", "esp0xffffffff@1.2.3.4" },
	{ "esp4294967295@1.2.3.4", "esp.ffffffff@1.2.3.4", "esp0xffffffff@1.2.3.4" },
	{ "esp0x00000000ffffffff@1.2.3.4", "esp.ffffffff@1.2.3.4", "esp0xffffffff@1.2.3.4" },
	{ "comp.3d0@010.001.000.009", "comp.3d0@10.1.0.9", "comp0x3d0@10.1.0.9" },
	{ "esp.1@0x01020304", "esp.1@1.2.3.4", "esp0x1@1.2.3.4" },
	{ "esp:1@1:0:0:1:0:0:0:1", "esp:1@1::1:0:0:0:1", "esp0x1@1::1:0:0:0:1" },
	{ "esp:1@0:0:0:0:0:0:0:0", "esp:1@::", "esp0x1@::" },
	{ "esp:1@::ffff:102:304", "esp:1@::ffff:102:304", "esp0x1@::ffff:102:304" },
	{ "tun1@0.0.0.0", "tun.1@0.0.0.0", "tun0x1@0.0.0.0" },
	{ "tun0@1.2.3.4", "tun.0@1.2.3.4", "tun0x0@1.2.3.4" },
};

START_TEST(test_said_parse_ok)
{
	struct said s;
	char err[256] = "", buf[SAID_BUF];
	int r;

	r = said_parse(said_ok[_i].in, &s, err, sizeof(err));
	ck_assert_msg(r == 0, "%s: %s", said_ok[_i].in, err);
	ck_assert_uint_eq(said_format(&s, '0', buf, sizeof(buf)), strlen(said_ok[_i].out0));
	ck_assert_str_eq(buf, said_ok[_i].out0);
	ck_assert_uint_eq(said_format(&s, 'x', buf, sizeof(buf)), strlen(said_ok[_i].outx));
	ck_assert_str_eq(buf, said_ok[_i].outx);
}
END_TEST

/* Every format of every parsed SAID parses back to the same SAID. */
START_TEST(test_said_round_trip)
{
	static const char fmts[] = { '0', 'x', 'f', 'd' };
	struct said s, t;
	char err[256] = "", buf[SAID_BUF];

	ck_assert_int_eq(said_parse(said_ok[_i].in, &s, err, sizeof(err)), 0);
	for (size_t f = 0; f < sizeof(fmts); f++) {
		said_format(&s, fmts[f], buf, sizeof(buf));
		ck_assert_msg(said_parse(buf, &t, err, sizeof(err)) == 0, "%s (%c): %s", buf,
			      fmts[f], err);
		ck_assert_msg(said_equal(&s, &t), "%s -> %s (%c) differs", said_ok[_i].in,
			      buf, fmts[f]);
	}
}
END_TEST

/* ---- the exact value parsed ---- */

static const struct {
	const char *in;
	uint8_t proto;
	uint32_t spi;
	uint8_t family;
	const char *addr; /* inet_pton input for the expected bytes */
} said_val[] = {
	{ "esp.187a101b@192.0.2.1", SAID_PROTO_ESP, 0x187a101b, AF_INET, "192.0.2.1" },
	{ "esp:187a101b@2001:db8::1", SAID_PROTO_ESP, 0x187a101b, AF_INET6, "2001:db8::1" },
	{ "comp.3d0@192.168.2.110", SAID_PROTO_COMP, 0x3d0, AF_INET, "192.168.2.110" },
	{ "ah0xA9123456@192.1.2.45", SAID_PROTO_AH, 0xa9123456, AF_INET, "192.1.2.45" },
	{ "tun01234@1.2.3.4", SAID_PROTO_TUN, 01234, AF_INET, "1.2.3.4" },
	{ "int99@1.2.3.4", SAID_PROTO_INT, 99, AF_INET, "1.2.3.4" },
	{ "%pass", SAID_PROTO_INT, SAID_SPI_PASS, AF_INET, "0.0.0.0" },
	{ "%drop", SAID_PROTO_INT, SAID_SPI_DROP, AF_INET, "0.0.0.0" },
	{ "%reject", SAID_PROTO_INT, SAID_SPI_REJECT, AF_INET, "0.0.0.0" },
	{ "%hold", SAID_PROTO_INT, SAID_SPI_HOLD, AF_INET, "0.0.0.0" },
	{ "%trap", SAID_PROTO_INT, SAID_SPI_TRAP, AF_INET, "0.0.0.0" },
	{ "%trapsubnet", SAID_PROTO_INT, SAID_SPI_TRAPSUBNET, AF_INET, "0.0.0.0" },
	{ "%passthrough", SAID_PROTO_TUN, 0, AF_INET, "0.0.0.0" },
	{ "%passthrough4", SAID_PROTO_TUN, 0, AF_INET, "0.0.0.0" },
	{ "%passthrough6", SAID_PROTO_TUN, 0, AF_INET6, "::" },
	{ "esp:1@fe80:0:0:0:0:0:0:0", SAID_PROTO_ESP, 1, AF_INET6, "fe80::" },
};

START_TEST(test_said_values)
{
	struct said s;
	struct ip_addr want;
	char err[256] = "";

	memset(&want, 0, sizeof(want));
	want.family = said_val[_i].family;
	ck_assert_int_eq(inet_pton(want.family, said_val[_i].addr, want.b), 1);
	memset(&s, 0xa5, sizeof(s)); /* every byte must be written */
	ck_assert_msg(said_parse(said_val[_i].in, &s, err, sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(s.proto, said_val[_i].proto);
	ck_assert_uint_eq(s.spi, said_val[_i].spi);
	ck_assert_uint_eq(s.dst.family, said_val[_i].family);
	ck_assert(memcmp(s.dst.b, want.b, 16) == 0); /* unused bytes are 0 too */
}
END_TEST

/* ---- SAIDs that must fail, with the exact message ---- */

#define PL "expected ah, esp, tun, comp or int"
#define MAGICS "unknown magic name (known: %pass %drop %reject %hold %trap" \
	" %trapsubnet %passthrough %passthrough4 %passthrough6)"

static const struct {
	const char *in, *err;
} said_bad[] = {
	/* ttosa's must-fail list */
	{ "duk99@3ffe:370:400:ff::9001:3001",
	  "bad protocol \"duk\" in \"duk99@3ffe:370:400:ff::9001:3001\": " PL },
	{ "esp78x@1049:1::8007:2040",
	  "bad SPI \"78x\" in \"esp78x@1049:1::8007:2040\": not a number" },
	{ "esp0x78@1049:1:0xfff::8007:2040",
	  "bad address \"1049:1:0xfff::8007:2040\" in \"esp0x78@1049:1:0xfff::8007:2040\":"
	  " group \"0xfff\" is not hex" },
	{ "es78@1049:1::8007:2040", "bad protocol \"es\" in \"es78@1049:1::8007:2040\": " PL },
	{ "", "bad SAID \"\": empty" },
	{ "_", "bad SAID \"_\": no \"@\" before the address" },
	{ "ah2.2", "bad SAID \"ah2.2\": no \"@\" before the address" },
	{ "goo2@1.2.3.4", "bad protocol \"goo\" in \"goo2@1.2.3.4\": " PL },
	{ "espp9@1.2.3.4", "bad protocol \"espp\" in \"espp9@1.2.3.4\": " PL },
	{ "es9@1.2.3.4", "bad protocol \"es\" in \"es9@1.2.3.4\": " PL },
	{ "ah@1.2.3.4", "bad SPI \"\" in \"ah@1.2.3.4\": empty" },
	{ "esp7x7@1.2.3.4", "bad SPI \"7x7\" in \"esp7x7@1.2.3.4\": not a number" },
	{ "esp77@1.0x2.3.4",
	  "bad address \"1.0x2.3.4\" in \"esp77@1.0x2.3.4\": \"0x2\" is not a decimal number" },
	/* FreeS/WAN build extras */
	{ "esp09@1.2.3.4",
	  "bad SPI \"09\" in \"esp09@1.2.3.4\": not an octal number (it starts with 0)" },
	{ "ESP.1@1.2.3.4", "bad protocol \"ESP\" in \"ESP.1@1.2.3.4\": " PL },
	{ "%foo", "bad SAID \"%foo\": " MAGICS },
	/* our own: SPI */
	{ "esp.123456789@1.2.3.4",
	  "bad SPI \"123456789\" in \"esp.123456789@1.2.3.4\": does not fit in 32 bits" },
	{ "esp0x100000000@1.2.3.4",
	  "bad SPI \"0x100000000\" in \"esp0x100000000@1.2.3.4\": does not fit in 32 bits" },
	{ "esp4294967296@1.2.3.4",
	  "bad SPI \"4294967296\" in \"esp4294967296@1.2.3.4\": does not fit in 32 bits" },
	{ "esp040000000000@1.2.3.4",
	  "bad SPI \"040000000000\" in \"esp040000000000@1.2.3.4\": does not fit in 32 bits" },
	{ "esp99999999999x@1.2.3.4",
	  "bad SPI \"99999999999x\" in \"esp99999999999x@1.2.3.4\": not a number" },
	{ "esp.0x1a@1.2.3.4", "bad SPI \"0x1a\" in \"esp.0x1a@1.2.3.4\": not a hex number" },
	{ "esp.@1.2.3.4", "bad SPI \"\" in \"esp.@1.2.3.4\": empty" },
	{ "esp:@::1", "bad SPI \"\" in \"esp:@::1\": empty" },
	{ "esp0x@1.2.3.4", "bad SPI \"0x\" in \"esp0x@1.2.3.4\": not a hex number" },
	{ "esp0xg@1.2.3.4", "bad SPI \"0xg\" in \"esp0xg@1.2.3.4\": not a hex number" },
	{ "esp.-1@1.2.3.4", "bad SPI \"-1\" in \"esp.-1@1.2.3.4\": not a hex number" },
	{ "esp.1.2@1.2.3.4", "bad SPI \"1.2\" in \"esp.1.2@1.2.3.4\": not a hex number" },
	{ "esp1a@1.2.3.4", "bad SPI \"1a\" in \"esp1a@1.2.3.4\": not a number" },
	/* our own: protocol */
	{ "9@1.2.3.4", "bad protocol \"\" in \"9@1.2.3.4\": " PL },
	{ "@1.2.3.4", "bad protocol \"\" in \"@1.2.3.4\": " PL },
	{ "esp-1@1.2.3.4", "bad protocol \"esp-\" in \"esp-1@1.2.3.4\": " PL },
	{ "Esp.1@1.2.3.4", "bad protocol \"Esp\" in \"Esp.1@1.2.3.4\": " PL },
	{ " esp.1@1.2.3.4", "bad protocol \" esp\" in \" esp.1@1.2.3.4\": " PL },
	/* our own: magic names are exact */
	{ "%PASS", "bad SAID \"%PASS\": " MAGICS },
	{ "%pass ", "bad SAID \"%pass \": " MAGICS },
	{ "%passthrough5", "bad SAID \"%passthrough5\": " MAGICS },
	{ "%", "bad SAID \"%\": " MAGICS },
	/* our own: family and address */
	{ "esp.1@3049:1::2",
	  "bad address \"3049:1::2\" in \"esp.1@3049:1::2\": IPv6 address after \".\""
	  " (use \":\" for IPv6)" },
	{ "esp:1@1.2.3.4",
	  "bad address \"1.2.3.4\" in \"esp:1@1.2.3.4\": IPv4 address after \":\""
	  " (use \".\" for IPv4)" },
	{ "esp.1@gw2",
	  "bad address \"gw2\" in \"esp.1@gw2\": DNS names are not accepted, use a numeric address" },
	{ "esp:1@east.example.com",
	  "bad address \"east.example.com\" in \"esp:1@east.example.com\": DNS names are not"
	  " accepted, use a numeric address" },
	{ "tun.113@gw2.", "bad address \"gw2.\" in \"tun.113@gw2.\": DNS names are not accepted,"
	  " use a numeric address" },
	{ "esp1@", "bad address \"\" in \"esp1@\": empty" },
	{ "esp.1@1.2.3.256", "bad address \"1.2.3.256\" in \"esp.1@1.2.3.256\": \"256\" is over 255" },
	{ "esp.1@1.2.3.0256",
	  "bad address \"1.2.3.0256\" in \"esp.1@1.2.3.0256\": \"0256\" is over 255" },
	{ "esp.1@1.2.3",
	  "bad address \"1.2.3\" in \"esp.1@1.2.3\": fewer than four numbers (short forms are"
	  " not accepted)" },
	{ "esp.1@1.2.3.4.5",
	  "bad address \"1.2.3.4.5\" in \"esp.1@1.2.3.4.5\": more than four numbers in dotted"
	  " address" },
	{ "esp.1@1..3.4", "bad address \"1..3.4\" in \"esp.1@1..3.4\": empty number in dotted address" },
	{ "esp.1@1.2.3.", "bad address \"1.2.3.\" in \"esp.1@1.2.3.\": empty number in dotted address" },
	{ "esp.1@1.2.3.4 ", "bad address \"1.2.3.4 \" in \"esp.1@1.2.3.4 \": \"4 \" is not a decimal number" },
	{ "esp.1@1.2.3.4@5", "bad address \"1.2.3.4@5\" in \"esp.1@1.2.3.4@5\": \"4@5\" is not a decimal number" },
	{ "esp.1@1.2.3.4a", "bad address \"1.2.3.4a\" in \"esp.1@1.2.3.4a\": \"4a\" is not a decimal number" },
	{ "esp.1@*", "bad address \"*\" in \"esp.1@*\": not a numeric address" },
	{ "esp.1@0x0102030",
	  "bad address \"0x0102030\" in \"esp.1@0x0102030\": a hex IPv4 address needs exactly 8"
	  " hex digits after 0x" },
	{ "esp.1@0x0102030g",
	  "bad address \"0x0102030g\" in \"esp.1@0x0102030g\": a hex IPv4 address needs exactly 8"
	  " hex digits after 0x" },
	{ "esp:1@1::2::3", "bad address \"1::2::3\" in \"esp:1@1::2::3\": more than one \"::\"" },
	{ "esp:1@1:::2", "bad address \"1:::2\" in \"esp:1@1:::2\": \":::\" is not valid" },
	{ "esp:1@1:2:3:4:5:6:7",
	  "bad address \"1:2:3:4:5:6:7\" in \"esp:1@1:2:3:4:5:6:7\": fewer than 8 groups and no \"::\"" },
	{ "esp:1@1:2:3:4:5:6:7:8:9",
	  "bad address \"1:2:3:4:5:6:7:8:9\" in \"esp:1@1:2:3:4:5:6:7:8:9\": more than 8 groups" },
	{ "esp:1@1:2:3:4:5::6:7:8:9",
	  "bad address \"1:2:3:4:5::6:7:8:9\" in \"esp:1@1:2:3:4:5::6:7:8:9\": more than 8 groups" },
	{ "esp:1@1:2:3:4::5:6:7:8",
	  "bad address \"1:2:3:4::5:6:7:8\" in \"esp:1@1:2:3:4::5:6:7:8\": \"::\" with 8 groups"
	  " stands for nothing" },
	{ "esp:1@12345::1",
	  "bad address \"12345::1\" in \"esp:1@12345::1\": group \"12345\" has more than 4 hex digits" },
	{ "esp:1@::ffff:1.2.3.4",
	  "bad address \"::ffff:1.2.3.4\" in \"esp:1@::ffff:1.2.3.4\": the dotted IPv4-in-IPv6"
	  " form is not accepted" },
	{ "esp:1@:1:2:3:4:5:6:7",
	  "bad address \":1:2:3:4:5:6:7\" in \"esp:1@:1:2:3:4:5:6:7\": starts with a single \":\"" },
	{ "esp:1@1:2:3:4:5:6:7:",
	  "bad address \"1:2:3:4:5:6:7:\" in \"esp:1@1:2:3:4:5:6:7:\": ends with a single \":\"" },
	{ "esp:1@:1::2", "bad address \":1::2\" in \"esp:1@:1::2\": starts with a single \":\"" },
	{ "esp:1@1::2:", "bad address \"1::2:\" in \"esp:1@1::2:\": ends with a single \":\"" },
	{ "esp:1@:", "bad address \":\" in \"esp:1@:\": starts with a single \":\"" },
	{ "esp:1@fe80::1%eth0",
	  "bad address \"fe80::1%eth0\" in \"esp:1@fe80::1%eth0\": group \"1%eth0\" is not hex" },
	{ "esp:1@[::1]", "bad address \"[::1]\" in \"esp:1@[::1]\": group \"[\" is not hex" },
};

START_TEST(test_said_parse_bad)
{
	struct said s, orig;
	char err[512];

	memset(&s, 0x5a, sizeof(s));
	orig = s;
	strcpy(err, "untouched");
	ck_assert_int_eq(said_parse(said_bad[_i].in, &s, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, said_bad[_i].err);
	ck_assert(memcmp(&s, &orig, sizeof(s)) == 0); /* out untouched on error */
	/* no error buffer, and a tiny one: no crash, truncated text */
	ck_assert_int_eq(said_parse(said_bad[_i].in, &s, NULL, 0), -EINVAL);
	ck_assert_int_eq(said_parse(said_bad[_i].in, &s, err, 8), -EINVAL);
	ck_assert_uint_eq(strlen(err), 7);
	ck_assert(strncmp(err, said_bad[_i].err, 7) == 0);
}
END_TEST

START_TEST(test_said_null)
{
	struct said s;
	char err[64];

	ck_assert_int_eq(said_parse(NULL, &s, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "bad SAID \"\": empty");
}
END_TEST

/* ---- formats 'f' and 'd', unknown protocols, unknown format letters ---- */

static const struct {
	const char *in;
	uint8_t proto; /* 0: as parsed */
	char fmt;
	const char *out;
} said_fmt[] = {
	{ "esp0xa9@1.2.3.4", 0, 'f', "esp.000000a9@1.2.3.4" },
	{ "esp0xa9@1.2.3.4", 0, 'd', "esp169@1.2.3.4" },
	{ "esp0xa9@::1", 0, 'f', "esp:000000a9@::1" },
	{ "esp0xa9@::1", 0, 'd', "esp169@::1" },
	{ "esp.187a101b@192.0.2.1", 0, 'f', "esp.187a101b@192.0.2.1" },
	{ "esp.187a101b@192.0.2.1", 0, 'd', "esp410652699@192.0.2.1" },
	{ "esp.ffffffff@1.2.3.4", 0, 'd', "esp4294967295@1.2.3.4" },
	{ "ah.0@1.2.3.4", 0, 'f', "ah.00000000@1.2.3.4" },
	{ "ah.0@1.2.3.4", 0, 'd', "ah0@1.2.3.4" },
	{ "comp:3d0@3049:1::2", 0, 'f', "comp:000003d0@3049:1::2" },
	{ "%pass", 0, 'f', "%pass" },
	{ "%drop", 0, 'd', "%drop" },
	{ "%trap", 0, 'x', "%trap" },
	{ "%passthrough6", 0, 'f', "%passthrough6" },
	{ "%passthrough4", 0, 'd', "%passthrough4" },
	{ "esp9@1.2.3.4", 77, '0', "unk77.9@1.2.3.4" },
	{ "esp9@1.2.3.4", 77, 'x', "unk770x9@1.2.3.4" },
	{ "esp9@::1", 255, '0', "unk255:9@::1" },
	{ "esp9@::1", 1, 'd', "unk19@::1" },
};

START_TEST(test_said_formats)
{
	struct said s;
	char err[256] = "", buf[SAID_BUF];

	ck_assert_msg(said_parse(said_fmt[_i].in, &s, err, sizeof(err)) == 0, "%s", err);
	if (said_fmt[_i].proto)
		s.proto = said_fmt[_i].proto;
	ck_assert_uint_eq(said_format(&s, said_fmt[_i].fmt, buf, sizeof(buf)),
			  strlen(said_fmt[_i].out));
	ck_assert_str_eq(buf, said_fmt[_i].out);
}
END_TEST

START_TEST(test_said_format_edges)
{
	struct said s;
	char buf[SAID_BUF];
	char longest[SAID_BUF];

	ck_assert_int_eq(said_parse("esp.187a101b@192.0.2.1", &s, NULL, 0), 0);
	/* unknown format letters: 0 and an empty string */
	strcpy(buf, "junk");
	ck_assert_uint_eq(said_format(&s, 'q', buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "");
	ck_assert_uint_eq(said_format(&s, 0, buf, sizeof(buf)), 0);
	ck_assert_uint_eq(said_format(&s, 'X', buf, sizeof(buf)), 0);
	/* snprintf semantics: full length returned, output cut and terminated */
	memset(buf, 'Z', sizeof(buf));
	ck_assert_uint_eq(said_format(&s, '0', buf, 5), 22);
	ck_assert_str_eq(buf, "esp.");
	ck_assert_int_eq(buf[5], 'Z');
	memset(buf, 'Z', sizeof(buf));
	ck_assert_uint_eq(said_format(&s, '0', buf, 0), 22);
	ck_assert_int_eq(buf[0], 'Z');
	ck_assert_uint_eq(said_format(&s, '0', NULL, 0), 22);
	ck_assert_uint_eq(said_format(&s, '0', buf, 23), 22);
	ck_assert_str_eq(buf, "esp.187a101b@192.0.2.1");
	ck_assert_uint_eq(said_format(&s, '0', buf, 22), 22);
	ck_assert_str_eq(buf, "esp.187a101b@192.0.2.");
	ck_assert_uint_eq(said_format(&s, '0', buf, 3), 22);
	ck_assert_str_eq(buf, "es");
	/* a magic name cut short */
	ck_assert_int_eq(said_parse("%trapsubnet", &s, NULL, 0), 0);
	ck_assert_uint_eq(said_format(&s, 'x', buf, 4), 11);
	ck_assert_str_eq(buf, "%tr");
	/* the longest text fits SAID_BUF */
	memset(&s, 0, sizeof(s));
	s.proto = 200;
	s.spi = 0xffffffff;
	s.dst.family = AF_INET6;
	memset(s.dst.b, 0xff, 16);
	ck_assert_uint_eq(said_format(&s, 'd', longest, sizeof(longest)),
			  strlen("unk2004294967295@ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));
	ck_assert_str_eq(longest, "unk2004294967295@ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
	ck_assert_uint_eq(said_format(&s, 'f', longest, sizeof(longest)),
			  strlen("unk200:ffffffff@ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));
	ck_assert_str_eq(longest, "unk200:ffffffff@ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
	/* an address with no family */
	s.proto = SAID_PROTO_ESP;
	s.spi = 1;
	s.dst.family = 0;
	ck_assert_uint_eq(said_format(&s, 'x', longest, sizeof(longest)), 16);
	ck_assert_str_eq(longest, "esp0x1@<invalid>");
}
END_TEST

START_TEST(test_said_helpers)
{
	struct said a, b, c;

	ck_assert_str_eq(said_proto_name(SAID_PROTO_ESP), "esp");
	ck_assert_str_eq(said_proto_name(SAID_PROTO_AH), "ah");
	ck_assert_str_eq(said_proto_name(SAID_PROTO_TUN), "tun");
	ck_assert_str_eq(said_proto_name(SAID_PROTO_COMP), "comp");
	ck_assert_str_eq(said_proto_name(SAID_PROTO_INT), "int");
	ck_assert_ptr_null(said_proto_name(77));
	ck_assert_ptr_null(said_proto_name(0));

	/* the same SA in three spellings */
	ck_assert_int_eq(said_parse("esp.187a101b@192.0.2.1", &a, NULL, 0), 0);
	ck_assert_int_eq(said_parse("esp0x187A101B@192.0.2.1", &b, NULL, 0), 0);
	ck_assert_int_eq(said_parse("esp410652699@192.000.002.001", &c, NULL, 0), 0);
	ck_assert(said_equal(&a, &b));
	ck_assert(said_equal(&a, &c));
	ck_assert_int_eq(said_parse("ah.187a101b@192.0.2.1", &b, NULL, 0), 0);
	ck_assert(!said_equal(&a, &b));
	ck_assert_int_eq(said_parse("esp.187a101c@192.0.2.1", &b, NULL, 0), 0);
	ck_assert(!said_equal(&a, &b));
	ck_assert_int_eq(said_parse("esp.187a101b@192.0.2.2", &b, NULL, 0), 0);
	ck_assert(!said_equal(&a, &b));
	ck_assert_int_eq(said_parse("esp0@::", &a, NULL, 0), 0);
	ck_assert_int_eq(said_parse("esp0@0.0.0.0", &b, NULL, 0), 0);
	ck_assert(!said_equal(&a, &b)); /* family differs, bytes do not */

	/* magic */
	ck_assert_int_eq(said_parse("%pass", &a, NULL, 0), 0);
	ck_assert(said_is_magic(&a));
	ck_assert_int_eq(said_parse("%passthrough6", &a, NULL, 0), 0);
	ck_assert(said_is_magic(&a));
	ck_assert_int_eq(said_parse("tun0@0.0.0.0", &a, NULL, 0), 0);
	ck_assert(said_is_magic(&a));
	ck_assert_int_eq(said_parse("int261@0.0.0.0", &a, NULL, 0), 0);
	ck_assert(said_is_magic(&a));
	ck_assert_int_eq(said_parse("int262@0.0.0.0", &a, NULL, 0), 0);
	ck_assert(!said_is_magic(&a));
	ck_assert_int_eq(said_parse("int255@0.0.0.0", &a, NULL, 0), 0);
	ck_assert(!said_is_magic(&a));
	ck_assert_int_eq(said_parse("int256@1.2.3.4", &a, NULL, 0), 0);
	ck_assert(!said_is_magic(&a));
	ck_assert_int_eq(said_parse("tun1@0.0.0.0", &a, NULL, 0), 0);
	ck_assert(!said_is_magic(&a));
	ck_assert_int_eq(said_parse("tun0@::1", &a, NULL, 0), 0);
	ck_assert(!said_is_magic(&a));
	ck_assert_int_eq(said_parse("esp0@0.0.0.0", &a, NULL, 0), 0);
	ck_assert(!said_is_magic(&a));
}
END_TEST

/* ---- addresses ---- */

static const struct {
	const char *in, *out;
	bool pton; /* inet_pton takes @in too and must agree */
} addr_ok[] = {
	{ "192.168.2.110", "192.168.2.110", true },
	{ "0.0.0.0", "0.0.0.0", true },
	{ "255.255.255.255", "255.255.255.255", true },
	{ "10.0.0.1", "10.0.0.1", true },
	{ "010.001.000.009", "10.1.0.9", false }, /* decimal, as ttoaddr */
	{ "0x01020304", "1.2.3.4", false },
	{ "0XC0A8026E", "192.168.2.110", false },
	/* KLIPS squashing: the first run of >= 2 zero groups */
	{ "1:0:0:1:0:0:0:1", "1::1:0:0:0:1", true },
	{ "0:0:0:0:0:0:0:0", "::", true },
	{ "1:0:0:2:0:0:0:3", "1::2:0:0:0:3", true },
	{ "0:0:1:0:0:0:0:0", "::1:0:0:0:0:0", true },
	{ "1:0:2:3:4:5:6:7", "1:0:2:3:4:5:6:7", true },
	{ "2001:DB8::A", "2001:db8::a", true },
	{ "fe80:0:0:0:0:0:0:0", "fe80::", true },
	{ "1:2:3:4:5:6:7:0", "1:2:3:4:5:6:7:0", true },
	{ "0:1:2:3:4:5:6:7", "0:1:2:3:4:5:6:7", true },
	{ "1:2:3:4:5:6:0:0", "1:2:3:4:5:6::", true },
	{ "0:0:1:2:3:4:5:6", "::1:2:3:4:5:6", true },
	{ "1:0:1:0:1:0:1:0", "1:0:1:0:1:0:1:0", true },
	{ "0:1:0:1:0:1:0:1", "0:1:0:1:0:1:0:1", true },
	{ "1:0:0:0:0:0:0:1", "1::1", true },
	{ "0:0:0:0:0:0:0:1", "::1", true },
	{ "1:0:0:0:0:0:0:0", "1::", true },
	{ "1:2:0:0:3:0:0:0", "1:2::3:0:0:0", true },
	{ "1:0:0:0:0:1:0:0", "1::1:0:0", true },
	{ "0000:0000::0001", "::1", true },
	{ "::", "::", true },
	{ "::1", "::1", true },
	{ "1::", "1::", true },
	{ "3049:1::2", "3049:1::2", true },
	{ "2001:db8:1:2::23", "2001:db8:1:2::23", true },
	{ "1049:1::8007:2040", "1049:1::8007:2040", true },
	{ "0bc:12de::1", "bc:12de::1", true },
	{ "::ffff:102:304", "::ffff:102:304", true }, /* never dotted on output */
	{ "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", true },
	{ "1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0", true }, /* "::" for one group is read */
	{ "::2:3:4:5:6:7:8", "0:2:3:4:5:6:7:8", true },
	{ "00f0:0F00:000f:f000:0:0:0:1", "f0:f00:f:f000::1", true },
};

START_TEST(test_addr_ok)
{
	struct ip_addr a, b;
	char err[256] = "", buf[IP_ADDR_BUF];

	ck_assert_msg(ip_addr_parse(addr_ok[_i].in, &a, err, sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(ip_addr_format(&a, buf, sizeof(buf)), strlen(addr_ok[_i].out));
	ck_assert_str_eq(buf, addr_ok[_i].out);
	ck_assert_uint_eq(ip_addr_len(&a), a.family == AF_INET ? 4 : 16);
	if (addr_ok[_i].pton) {
		uint8_t want[16] = { 0 };

		ck_assert_int_eq(inet_pton(a.family, addr_ok[_i].in, want), 1);
		ck_assert(memcmp(a.b, want, 16) == 0);
	}
	/* our output parses back, and inet_pton reads it the same */
	ck_assert_int_eq(ip_addr_parse(buf, &b, err, sizeof(err)), 0);
	ck_assert(ip_addr_equal(&a, &b));
	{
		uint8_t back[16] = { 0 };

		ck_assert_int_eq(inet_pton(a.family, buf, back), 1);
		ck_assert(memcmp(a.b, back, 16) == 0);
	}
}
END_TEST

static const struct {
	const char *in, *err;
} addr_bad[] = {
	{ "", "bad address \"\": empty" },
	{ "gw2", "bad address \"gw2\": DNS names are not accepted, use a numeric address" },
	{ "localhost", "bad address \"localhost\": DNS names are not accepted, use a numeric address" },
	{ "dead", "bad address \"dead\": DNS names are not accepted, use a numeric address" },
	{ "1.2.3.999", "bad address \"1.2.3.999\": \"999\" is over 255" },
	{ "1.2.3.99999999999999999999", "bad address \"1.2.3.99999999999999999999\":"
	  " \"99999999999999999999\" is over 255" },
	{ "1", "bad address \"1\": fewer than four numbers (short forms are not accepted)" },
	{ "::ffff:1.2.3.4", "bad address \"::ffff:1.2.3.4\": the dotted IPv4-in-IPv6 form is not accepted" },
	{ ":::", "bad address \":::\": \":::\" is not valid" },
	{ "1:2:3:4:5:6:7:8::", "bad address \"1:2:3:4:5:6:7:8::\": \"::\" with 8 groups stands for nothing" },
	{ "::1:2:3:4:5:6:7:8", "bad address \"::1:2:3:4:5:6:7:8\": \"::\" with 8 groups stands for nothing" },
	{ "1:2:3:4:5:6:7:8:9:10", "bad address \"1:2:3:4:5:6:7:8:9:10\": more than 8 groups" },
	{ "g::", "bad address \"g::\": group \"g\" is not hex" },
	{ "10000::", "bad address \"10000::\": group \"10000\" has more than 4 hex digits" },
};

START_TEST(test_addr_bad)
{
	struct ip_addr a;
	char err[256] = "";

	ck_assert_int_eq(ip_addr_parse(addr_bad[_i].in, &a, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, addr_bad[_i].err);
	ck_assert_int_eq(ip_addr_parse(addr_bad[_i].in, &a, NULL, 0), -EINVAL);
}
END_TEST

/* A small deterministic generator, so failures reproduce. */
static uint32_t rng_next(uint32_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x;
}

/*
 * Random IPv6 addresses rich in zero groups: the text parses back, glibc
 * reads it as the same address, and "::" sits exactly at the first run of
 * two or more zero groups (or is absent when there is none).
 */
START_TEST(test_addr6_random)
{
	uint32_t x = 0x2545f491;

	for (int n = 0; n < 20000; n++) {
		struct ip_addr a, b;
		char buf[IP_ADDR_BUF], err[256] = "";
		uint8_t back[16];
		int first = -1, colons_before = 0;
		const char *gap;

		memset(&a, 0, sizeof(a));
		a.family = AF_INET6;
		for (int g = 0; g < 8; g++) {
			uint32_t r = rng_next(&x);

			if (r % 3) /* two thirds zero groups */
				continue;
			r = rng_next(&x);
			a.b[2 * g] = (r & 1) ? (uint8_t)(r >> 8) : 0;
			a.b[2 * g + 1] = (uint8_t)(r >> 16) | 1;
		}
		ip_addr_format(&a, buf, sizeof(buf));
		ck_assert_msg(ip_addr_parse(buf, &b, err, sizeof(err)) == 0, "%s", err);
		ck_assert_msg(ip_addr_equal(&a, &b), "%s", buf);
		ck_assert_int_eq(inet_pton(AF_INET6, buf, back), 1);
		ck_assert(memcmp(back, a.b, 16) == 0);

		for (int g = 0; g < 7; g++) {
			if (!a.b[2 * g] && !a.b[2 * g + 1] && !a.b[2 * g + 2] && !a.b[2 * g + 3]) {
				first = g;
				break;
			}
		}
		gap = strstr(buf, "::");
		if (first < 0) {
			ck_assert_msg(gap == NULL, "%s", buf);
			continue;
		}
		ck_assert_msg(gap != NULL, "%s", buf);
		for (const char *p = buf; p < gap; p++)
			colons_before += *p == ':';
		/* groups before the gap = first; they are joined by first-1 colons */
		ck_assert_msg(colons_before == (first ? first - 1 : 0) && (first > 0) == (gap > buf),
			      "%s: first zero run at group %d", buf, first);
	}
}
END_TEST

START_TEST(test_addr_helpers)
{
	struct ip_addr a, b;
	char buf[IP_ADDR_BUF];

	memset(&a, 0, sizeof(a));
	ck_assert_uint_eq(ip_addr_len(&a), 0);
	ck_assert(!ip_addr_is_any(&a)); /* unset is not "any" */
	ck_assert_uint_eq(ip_addr_format(&a, buf, sizeof(buf)), 9);
	ck_assert_str_eq(buf, "<invalid>");
	ck_assert_int_eq(ip_addr_parse("0.0.0.0", &a, NULL, 0), 0);
	ck_assert(ip_addr_is_any(&a));
	ck_assert_int_eq(ip_addr_parse("::", &b, NULL, 0), 0);
	ck_assert(ip_addr_is_any(&b));
	ck_assert(!ip_addr_equal(&a, &b));
	ck_assert_int_eq(ip_addr_parse("0.0.0.1", &a, NULL, 0), 0);
	ck_assert(!ip_addr_is_any(&a));
	ck_assert_int_eq(ip_addr_parse("::100", &a, NULL, 0), 0);
	ck_assert(!ip_addr_is_any(&a));
	ck_assert_int_eq(ip_addr_parse("3049:1::2", &a, NULL, 0), 0);
	ck_assert_int_eq(ip_addr_parse("3049:1:0:0:0:0:0:2", &b, NULL, 0), 0);
	ck_assert(ip_addr_equal(&a, &b));
	ck_assert_uint_eq(ip_addr_format(&a, buf, 4), 9);
	ck_assert_str_eq(buf, "304");
	ck_assert_uint_eq(ip_addr_format(&a, NULL, 0), 9);
}
END_TEST

/* ---- prefixes ---- */

static const struct {
	const char *in, *out;
} prefix_ok[] = {
	{ "10.0.0.0/8", "10.0.0.0/8" },
	{ "192.168.2.110", "192.168.2.110/32" },
	{ "192.168.2.0/24", "192.168.2.0/24" },
	{ "0.0.0.0/0", "0.0.0.0/0" },
	{ "10.0.0.128/25", "10.0.0.128/25" },
	{ "10.1.2.0/024", "10.1.2.0/24" },
	{ "255.255.255.255/32", "255.255.255.255/32" },
	{ "3049:1::2", "3049:1::2/128" },
	{ "2001:db8::/32", "2001:db8::/32" },
	{ "::/0", "::/0" },
	{ "2001:DB8:0:0:8000::/65", "2001:db8::8000:0:0:0/65" },
	{ "fe80::/10", "fe80::/10" },
	{ "1:0:0:1::/64", "1::1:0:0:0:0/64" },
};

START_TEST(test_prefix_ok)
{
	struct ip_prefix p, q;
	char err[256] = "", buf[IP_PREFIX_BUF];

	ck_assert_msg(ip_prefix_parse(prefix_ok[_i].in, &p, err, sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(ip_prefix_format(&p, buf, sizeof(buf)), strlen(prefix_ok[_i].out));
	ck_assert_str_eq(buf, prefix_ok[_i].out);
	ck_assert_int_eq(ip_prefix_parse(buf, &q, err, sizeof(err)), 0);
	ck_assert(ip_addr_equal(&p.addr, &q.addr));
	ck_assert_uint_eq(p.len, q.len);
	ck_assert(ip_prefix_contains(&p, &p.addr));
}
END_TEST

static const struct {
	const char *in, *err;
} prefix_bad[] = {
	{ "", "bad prefix \"\": empty" },
	{ "10.0.0.1/24", "bad prefix \"10.0.0.1/24\": host bits are set (the network is 10.0.0.0/24)" },
	{ "10.0.0.64/25", "bad prefix \"10.0.0.64/25\": host bits are set (the network is 10.0.0.0/25)" },
	{ "10.0.0.1/0", "bad prefix \"10.0.0.1/0\": host bits are set (the network is 0.0.0.0/0)" },
	{ "10.0.0.1/31", "bad prefix \"10.0.0.1/31\": host bits are set (the network is 10.0.0.0/31)" },
	{ "2001:db8::1/64",
	  "bad prefix \"2001:db8::1/64\": host bits are set (the network is 2001:db8::/64)" },
	{ "2001:db8:ffff::/33",
	  "bad prefix \"2001:db8:ffff::/33\": host bits are set (the network is 2001:db8:8000::/33)" },
	{ "10.0.0.0/33", "bad prefix length \"33\" in \"10.0.0.0/33\": over 32 for IPv4" },
	{ "10.0.0.0/4294967296",
	  "bad prefix length \"4294967296\" in \"10.0.0.0/4294967296\": over 32 for IPv4" },
	{ "2001:db8::/129", "bad prefix length \"129\" in \"2001:db8::/129\": over 128 for IPv6" },
	{ "10.0.0.0/", "bad prefix length \"\" in \"10.0.0.0/\": empty" },
	{ "10.0.0.0/x", "bad prefix length \"x\" in \"10.0.0.0/x\": not a number" },
	{ "10.0.0.0/-1", "bad prefix length \"-1\" in \"10.0.0.0/-1\": not a number" },
	{ "10.0.0.0/+8", "bad prefix length \"+8\" in \"10.0.0.0/+8\": not a number" },
	{ "10.0.0.0/24/1", "bad prefix length \"24/1\" in \"10.0.0.0/24/1\": not a number" },
	{ "10.0.0.0/ 8", "bad prefix length \" 8\" in \"10.0.0.0/ 8\": not a number" },
	{ "/24", "bad address \"\" in \"/24\": empty" },
	{ "gw/24", "bad address \"gw\" in \"gw/24\": DNS names are not accepted, use a numeric address" },
	{ "10.0.0/24",
	  "bad address \"10.0.0\" in \"10.0.0/24\": fewer than four numbers (short forms are not"
	  " accepted)" },
	{ "::ffff:10.0.0.0/104",
	  "bad address \"::ffff:10.0.0.0\" in \"::ffff:10.0.0.0/104\": the dotted IPv4-in-IPv6"
	  " form is not accepted" },
};

START_TEST(test_prefix_bad)
{
	struct ip_prefix p;
	char err[256] = "";

	ck_assert_int_eq(ip_prefix_parse(prefix_bad[_i].in, &p, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, prefix_bad[_i].err);
	ck_assert_int_eq(ip_prefix_parse(prefix_bad[_i].in, &p, NULL, 0), -EINVAL);
}
END_TEST

static const struct {
	const char *prefix, *addr;
	bool in;
} contains[] = {
	{ "10.0.0.0/8", "10.1.2.3", true },
	{ "10.0.0.0/8", "11.0.0.0", false },
	{ "10.0.0.0/8", "9.255.255.255", false },
	{ "0.0.0.0/0", "255.255.255.255", true },
	{ "0.0.0.0/0", "::1", false },
	{ "::/0", "::1", true },
	{ "::/0", "1.2.3.4", false },
	{ "192.168.2.110", "192.168.2.110", true },
	{ "192.168.2.110", "192.168.2.111", false },
	{ "10.0.0.128/25", "10.0.0.200", true },
	{ "10.0.0.128/25", "10.0.0.127", false },
	{ "2001:db8::/33", "2001:db8:7fff::1", true },
	{ "2001:db8::/33", "2001:db8:8000::1", false },
	{ "3049:1::/64", "3049:1::2", true },
	{ "3049:1::/64", "3049:1:0:1::2", false },
	{ "3049:1::2", "3049:1::2", true },
	{ "3049:1::2", "3049:1::3", false },
};

START_TEST(test_prefix_contains)
{
	struct ip_prefix p;
	struct ip_addr a;

	ck_assert_int_eq(ip_prefix_parse(contains[_i].prefix, &p, NULL, 0), 0);
	ck_assert_int_eq(ip_addr_parse(contains[_i].addr, &a, NULL, 0), 0);
	ck_assert_msg(ip_prefix_contains(&p, &a) == contains[_i].in, "%s in %s",
		      contains[_i].addr, contains[_i].prefix);
}
END_TEST

START_TEST(test_prefix_format_edges)
{
	struct ip_prefix p;
	char buf[IP_PREFIX_BUF];

	ck_assert_int_eq(ip_prefix_parse("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", &p, NULL, 0), 0);
	ck_assert_uint_eq(ip_prefix_format(&p, buf, sizeof(buf)), 43);
	ck_assert_str_eq(buf, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128");
	ck_assert_uint_eq(ip_prefix_format(&p, buf, 10), 43);
	ck_assert_str_eq(buf, "ffff:ffff");
	memset(&p, 0, sizeof(p));
	ck_assert(!ip_prefix_contains(&p, &p.addr)); /* no family: contains nothing */
}
END_TEST

static Suite *said_suite(void)
{
	Suite *s = suite_create("said");
	TCase *tc;

	tc = tcase_create("said");
	tcase_add_loop_test(tc, test_said_parse_ok, 0, ARRAY_SIZE(said_ok));
	tcase_add_loop_test(tc, test_said_round_trip, 0, ARRAY_SIZE(said_ok));
	tcase_add_loop_test(tc, test_said_values, 0, ARRAY_SIZE(said_val));
	tcase_add_loop_test(tc, test_said_parse_bad, 0, ARRAY_SIZE(said_bad));
	tcase_add_test(tc, test_said_null);
	tcase_add_loop_test(tc, test_said_formats, 0, ARRAY_SIZE(said_fmt));
	tcase_add_test(tc, test_said_format_edges);
	tcase_add_test(tc, test_said_helpers);
	suite_add_tcase(s, tc);

	tc = tcase_create("addr");
	tcase_add_loop_test(tc, test_addr_ok, 0, ARRAY_SIZE(addr_ok));
	tcase_add_loop_test(tc, test_addr_bad, 0, ARRAY_SIZE(addr_bad));
	tcase_add_test(tc, test_addr6_random);
	tcase_add_test(tc, test_addr_helpers);
	suite_add_tcase(s, tc);

	tc = tcase_create("prefix");
	tcase_add_loop_test(tc, test_prefix_ok, 0, ARRAY_SIZE(prefix_ok));
	tcase_add_loop_test(tc, test_prefix_bad, 0, ARRAY_SIZE(prefix_bad));
	tcase_add_loop_test(tc, test_prefix_contains, 0, ARRAY_SIZE(contains));
	tcase_add_test(tc, test_prefix_format_edges);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(said_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

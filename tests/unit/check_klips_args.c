/* check_klips_args.c: unit tests of the KLIPS command lines (src/core/klips_args.c).
 *
 * One table of command lines of spi, spigrp and eroute, good and bad, each
 * with what the parse gives: the request, written out by describe() below,
 * or the exact stdout and stderr text and the exit code.  The command lines
 * of spec/klips-formats.md section 5 (and the 1.7 example) are among them.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "klips_args.h"

#define P "/usr/local/libexec/ipsec/"
#define K8 "0x0123456789abcdef"
#define K16 "0x0123456789abcdef0123456789abcdef"
#define K20 "0x0123456789abcdef0123456789abcdef01234567"
#define K24 "0x0123456789abcdef_0123456789abcdef_0123456789abcdef"

struct row {
	int line;
	enum klips_cmd cmd;
	const char *words; /* argv, split at spaces */
	int ret;           /* klips_parse() */
	const char *want;  /* ret 1: describe(); ret 0: stderr text */
	const char *out;   /* stdout text (NULL: empty) */
};

#define OK(cmd, words, want) { __LINE__, cmd, words, 1, want, NULL }
#define OKO(cmd, words, want, out) { __LINE__, cmd, words, 1, want, out }
#define ERR(cmd, words, err) { __LINE__, cmd, words, 0, err, NULL }
#define ERRO(cmd, words, err, out) { __LINE__, cmd, words, 0, err, out }
#define G KLIPS_SPIGRP
#define S KLIPS_SPI
#define E KLIPS_EROUTE

static const struct row rows[] = {
	/* ---- spigrp: section 1.7 and section 5 command lines ---- */
	OK(G, P "spigrp inet 192.1.2.45 0x12345678 tun inet 192.1.2.45 0x12345678 esp",
	   "group tun0x12345678@192.1.2.45 esp0x12345678@192.1.2.45"),
	OK(G, P "spigrp inet 192.0.1.1 0xabcdabcd esp inet 192.1.2.45 0x12345678 tun",
	   "group esp0xabcdabcd@192.0.1.1 tun0x12345678@192.1.2.45"),
	OK(G, P "spigrp inet 192.0.1.1 0xabcdabcd tun inet 192.0.1.1 0xabcdabcd esp",
	   "group tun0xabcdabcd@192.0.1.1 esp0xabcdabcd@192.0.1.1"),
	OK(G, P "spigrp inet 192.1.2.45 0x5678 comp inet 192.1.2.45 0x12345678 esp",
	   "group comp0x5678@192.1.2.45 esp0x12345678@192.1.2.45"),
	OK(G, P "spigrp inet 192.1.2.45 0x12345678 tun inet 192.1.2.45 0x5678 comp",
	   "group tun0x12345678@192.1.2.45 comp0x5678@192.1.2.45"),
	OK(G, P "spigrp inet 192.1.2.45 0xA9123456 tun inet 192.1.2.45 0xA9123456 ah",
	   "group tun0xa9123456@192.1.2.45 ah0xa9123456@192.1.2.45"),
	OK(G, "spigrp inet 192.1.2.45 0x1000583 tun inet 192.1.2.45 0x1000583 esp",
	   "group tun0x1000583@192.1.2.45 esp0x1000583@192.1.2.45"),
	/* the man page's forms, with numeric addresses */
	OK(G, "spigrp inet 192.0.2.2 0x113 tun inet 192.0.2.2 0x115 esp inet 192.0.2.2 0x116 ah",
	   "group tun0x113@192.0.2.2 esp0x115@192.0.2.2 ah0x116@192.0.2.2"),
	OK(G, "spigrp --said tun.113@192.0.2.2 esp.115@192.0.2.2 ah.116@192.0.2.2",
	   "group tun0x113@192.0.2.2 esp0x115@192.0.2.2 ah0x116@192.0.2.2"),
	OK(G, "spigrp --said tun:233@3049:1::1 esp:235@3049:1::1 ah:236@3049:1::1",
	   "group tun0x233@3049:1::1 esp0x235@3049:1::1 ah0x236@3049:1::1"),
	OK(G, "spigrp inet6 2001:db8:1:2::23 0x43952d72 esp inet6 2001:db8:1:2::23 0x100 tun",
	   "group esp0x43952d72@2001:db8:1:2::23 tun0x100@2001:db8:1:2::23"),
	/* four SAs, mixed families (KLIPS did not compare them) */
	OK(G, "spigrp --said tun0x1@192.0.2.1 comp0x2@192.0.2.1 esp0x3@2001:db8::1 ah0x4@192.0.2.1",
	   "group tun0x1@192.0.2.1 comp0x2@192.0.2.1 esp0x3@2001:db8::1 ah0x4@192.0.2.1"),
	/* SPIs as strtoul(..., 0): octal, decimal, hex */
	OK(G, "spigrp inet 192.0.2.1 0400 esp", "ungroup esp0x100@192.0.2.1"),
	OK(G, "spigrp inet 192.0.2.1 4096 esp", "ungroup esp0x1000@192.0.2.1"),
	OK(G, "spigrp inet 192.0.2.1 0X1aF esp", "ungroup esp0x1af@192.0.2.1"),
	OK(G, "spigrp inet 192.0.2.1 0xffffffff esp", "ungroup esp0xffffffff@192.0.2.1"),
	OK(G, "spigrp --said esp0x187a101b@192.0.2.1", "ungroup esp0x187a101b@192.0.2.1"),
	OK(G, "spigrp", "list"),
	OKO(G, "spigrp --debug", "debug list", "\"--debug\" option requested.\n"),
	OK(G, "spigrp --label west", "list"),
	OKO(G, "spigrp --debug --label west --said esp.1@192.0.2.1 tun.1@192.0.2.1",
	    "debug group esp0x1@192.0.2.1 tun0x1@192.0.2.1", "\"--debug\" option requested.\n"),
	/* the 5th SA and the argument counts */
	ERR(G, "spigrp --said esp.1@192.0.2.1 esp.2@192.0.2.1 esp.3@192.0.2.1 esp.4@192.0.2.1 esp.5@192.0.2.1",
	    "spigrp: at most 4 SAs in a group, got 5\n"),
	ERR(G, "spigrp inet 192.0.2.1 1 esp inet 192.0.2.1 2 esp inet 192.0.2.1 3 esp inet 192.0.2.1 4 esp inet 192.0.2.1 5 esp",
	    "spigrp: at most 4 SAs in a group, got 5\n"),
	ERRO(G, "spigrp --said", "spigrp: expecting 3 or more args with --said, got 2.\n", "usage:"),
	ERRO(G, "spigrp inet 192.0.2.1 0x100", "spigrp: expecting 5 or more args without --said, got 4.\n",
	     "usage:"),
	ERRO(G, "spigrp inet 192.0.2.1 0x100 esp inet", "spigrp: expecting 5 or more args without --said, got 6.\n",
	     "usage:"),
	ERR(G, "spigrp --label", "spigrp: --label option requires an argument.\n"),
	ERRO(G, "spigrp --help", "", "usage:"),
	ERR(G, "spigrp --version", "spigrp, spigrpd " PACKAGE_VERSION "\n"),
	/* quad form: KLIPS's checks and their order (proto, spi, af, address) */
	ERR(G, "spigrp inet 192.0.2.1 0x100 ESP", "spigrp: Badly formed proto: ESP\n"),
	ERR(G, "spigrp inet 192.0.2.1 0x100 int", "spigrp: Badly formed proto: int\n"),
	ERR(G, "spigrp inet6 bogus 0x10g esp", "spigrp: Badly formed spi: 0x10g\n"),
	ERR(G, "spigrp inet 192.0.2.1 09 esp", "spigrp: Badly formed spi: 09\n"),
	ERR(G, "spigrp inet 192.0.2.1 -1 esp", "spigrp: Badly formed spi: -1\n"),
	ERR(G, "spigrp inet 192.0.2.1 0x100000000 esp", "spigrp: Badly formed spi: 0x100000000\n"),
	ERR(G, "spigrp inet 192.0.2.1 0x10000 comp",
	    "spigrp: Badly formed spi: 0x10000 (a comp SA's CPI has 16 bits)\n"),
	ERR(G, "spigrp ipx 192.0.2.1 0x100 esp", "spigrp: Address family ipx not supported\n"),
	ERR(G, "spigrp inet 192.0.2.1 0x100 tun INET 192.0.2.1 0x100 esp",
	    "spigrp: Address family INET not supported\n"),
	ERR(G, "spigrp inet gw2 0x113 tun inet gw2 0x115 esp",
	    "spigrp: Error, DNS names are not accepted, use a numeric address converting 0th address argument:gw2\n"),
	ERR(G, "spigrp inet 192.0.2.1 0x113 tun inet 192.0.2.300 0x115 esp",
	    "spigrp: Error, \"300\" is over 255 converting 1th address argument:192.0.2.300\n"),
	ERR(G, "spigrp inet 2001:db8::1 0x100 esp",
	    "spigrp: Error, 2001:db8::1 is not an inet address converting 0th address argument:2001:db8::1\n"),
	ERR(G, "spigrp --label west inet 192.0.2.1 0x100 Esp", "spigrp --label west: Badly formed proto: Esp\n"),
	/* --said form: the bad part is named */
	ERR(G, "spigrp --said bogus",
	    "spigrp: Error, bad SAID \"bogus\": no \"@\" before the address converting --sa argument:bogus\n"),
	ERR(G, "spigrp --said esp.1@gw2 tun.1@192.0.2.1",
	    "spigrp: Error, bad address \"gw2\" in \"esp.1@gw2\": DNS names are not accepted, use a numeric address converting --sa argument:esp.1@gw2\n"),
	ERR(G, "spigrp --said ESP.1@192.0.2.1",
	    "spigrp: Error, bad protocol \"ESP\" in \"ESP.1@192.0.2.1\": expected ah, esp, tun, comp or int converting --sa argument:ESP.1@192.0.2.1\n"),
	ERR(G, "spigrp --said %pass", "spigrp: %pass is a shunt, not an SA: it goes in an eroute (--said), not here\n"),
	ERR(G, "spigrp --said esp.1@192.0.2.1 esp0x1@192.0.2.1",
	    "spigrp: esp0x1@192.0.2.1 is named twice: a group is a chain of different SAs\n"),

	/* ---- spi ---- */
	OK(S, "spi", "list"),
	OK(S, "spi --debug --label x", "debug list"),
	OK(S, "spi --clear", "clear"),
	OK(S, "spi --del --said esp.12345678@192.1.2.45", "del esp0x12345678@192.1.2.45"),
	OK(S, "spi --af inet --edst 192.1.2.45 --spi 0x12345678 --proto esp --del", "del esp0x12345678@192.1.2.45"),
	OK(S, "spi --said esp.12345678@192.1.2.45 --esp 3des-md5-96 --src 192.1.2.23 --enckey " K24 " --authkey " K16,
	   "add esp esp0x12345678@192.1.2.45 enc=3des ek=24:01 auth=md5 ak=16:01 src=192.1.2.23"),
	OK(S, "spi --said esp.1000@192.0.2.1 --esp aes128-md5-96 --enckey " K16 " --authkey " K16,
	   "add esp esp0x1000@192.0.2.1 enc=aes128 ek=16:01 auth=md5 ak=16:01"),
	OK(S, "spi --said esp.1000@192.0.2.1 --esp des-md5-96 --enckey " K8 " --authkey " K16,
	   "add esp esp0x1000@192.0.2.1 enc=des ek=8:01 auth=md5 ak=16:01"),
	OK(S, "spi --said esp.1000@192.0.2.1 --esp des-sha1-96 --enckey " K8 " --authkey " K20,
	   "add esp esp0x1000@192.0.2.1 enc=des ek=8:01 auth=sha1 ak=20:01"),
	OK(S, "spi --said esp.1000@192.0.2.1 --esp des --enckey " K8, "add esp esp0x1000@192.0.2.1 enc=des ek=8:01"),
	OK(S, "spi --said esp.1000@192.0.2.1 --esp null-md5-96 --authkey " K16,
	   "add esp esp0x1000@192.0.2.1 enc=null auth=md5 ak=16:01"),
	OK(S, "spi --said esp.1000@192.0.2.1 --esp aes256-sha1-96 --enckey " K16 "0123456789abcdef0123456789abcdef --authkey " K20,
	   "add esp esp0x1000@192.0.2.1 enc=aes256 ek=32:01 auth=sha1 ak=20:01"),
	ERR(S, "spi --said esp.1000@192.0.2.1 --esp 3des-md5-96 --enckey " K24 " --authkey " K20,
	    "spi: invalid auth keylen=160, must be between 128 and 128 bits\n"),
	OK(S, "spi --said esp.12345678@192.1.2.45 --esp 3des-sha1-96 --src 192.1.2.23 --enckey " K24 " --authkey " K20,
	   "add esp esp0x12345678@192.1.2.45 enc=3des ek=24:01 auth=sha1 ak=20:01 src=192.1.2.23"),
	OK(S, "spi --said esp.12345678@192.1.2.45 --esp 3des-sha1-96 --enckey " K24 " --authkey " K20,
	   "add esp esp0x12345678@192.1.2.45 enc=3des ek=24:01 auth=sha1 ak=20:01"),
	OK(S, "spi --said esp.12345678@192.1.2.45 --esp 3des-sha1 --enckey " K24 " --authkey " K20,
	   "add esp esp0x12345678@192.1.2.45 enc=3des ek=24:01 auth=sha1 ak=20:01"),
	OK(S, "spi --said esp.1000@192.0.2.1 --esp aes128-sha1-96 --enckey " K16 " --authkey " K20,
	   "add esp esp0x1000@192.0.2.1 enc=aes128 ek=16:01 auth=sha1 ak=20:01"),
	OK(S, "spi --said esp.1000@192.0.2.1 --esp 3des --enckey " K24, "add esp esp0x1000@192.0.2.1 enc=3des ek=24:01"),
	OK(S, "spi --said esp.1000@192.0.2.1 --esp aes128gcm16 --enckey " K20,
	   "add esp esp0x1000@192.0.2.1 enc=aes128gcm16 ek=20:01"),
	OK(S, "spi --said ah.1000@192.0.2.1 --ah hmac-md5-96 --authkey " K16,
	   "add ah ah0x1000@192.0.2.1 auth=md5 ak=16:01"),
	OK(S, "spi --said ah.1000@192.0.2.1 --ah md5 --authkey " K16, "add ah ah0x1000@192.0.2.1 auth=md5 ak=16:01"),
	ERR(S, "spi --said ah.1000@192.0.2.1 --ah 3des-md5-96 --authkey " K16,
	    "spi: Unknown authentication algorithm '3des-md5-96' follows '--ah' option.\n"),
	OK(S, "spi --said ah.1000@192.0.2.1 --ah hmac-sha1-96 --authkey " K20 " --replay_window 64",
	   "add ah ah0x1000@192.0.2.1 auth=sha1 ak=20:01 replay=64"),
	OK(S, "spi --said ah.1000@192.0.2.1 --ah sha256 --authkey=" K16 "0123456789abcdef0123456789abcdef",
	   "add ah ah0x1000@192.0.2.1 auth=sha256 ak=32:01"),
	OK(S, "spi --af inet --edst 192.0.2.1 --spi 0400 --proto esp --esp 3des --enckey " K24,
	   "add esp esp0x100@192.0.2.1 enc=3des ek=24:01"),
	OK(S, "spi --said tun.1000@192.1.2.45 --ip4 --src 192.1.2.23 --dst 192.1.2.45",
	   "add tun tun0x1000@192.1.2.45 src=192.1.2.23 dst=192.1.2.45"),
	OK(S, "spi --said tun:1000@2001:db8::45 --ip6 --src 2001:db8::23 --dst 2001:db8::45",
	   "add tun tun0x1000@2001:db8::45 src=2001:db8::23 dst=2001:db8::45"),
	OK(S, "spi --said comp.5678@192.1.2.45 --comp deflate", "add comp comp0x5678@192.1.2.45 comp=deflate"),
	OK(S, "spi --said esp.1000@192.0.2.1 --esp 3des-sha1-96 --enckey - --authkey " K20,
	   "add esp esp0x1000@192.0.2.1 enc=3des ek=24:aa auth=sha1 ak=20:01"),
	OK(S, "spi --said esp.1000@192.0.2.1 --esp 3des --enckey " K24 " --life soft-bytes=1000,hard-addtime=3600",
	   "add esp esp0x1000@192.0.2.1 enc=3des ek=24:01 life=bytes:1000/0,addtime:0/3600"),
	OK(S, "spi --said esp.1000@192.0.2.1 --esp 3des --enckey " K24 " --natt nonesp --sport 4500 --dport 4500",
	   "add esp esp0x1000@192.0.2.1 enc=3des ek=24:01 natt=1 sport=4500 dport=4500"),
	OK(S, "spi --said esp.1000@192.0.2.1 --esp 3des --enckey " K24 " --iv 0xDEADF00DDEADF00D",
	   "add esp esp0x1000@192.0.2.1 enc=3des ek=24:01"),
	ERR(S, "spi --esp 3des --ah hmac-md5-96",
	    "spi: Only one of '--ah', '--esp', '--comp', '--ip4', '--ip6', '--del' or '--clear'  options permitted.\n"),
	ERR(S, "spi --ah hmac-sha2 --said ah.1000@192.0.2.1",
	    "spi: Unknown authentication algorithm 'hmac-sha2' follows '--ah' option.\n"),
	ERR(S, "spi --esp 3DES-MD5-96",
	    "spi: Invalid encryption algorithm '3DES-MD5-96' follows '--esp' option: known are ENC-AUTH[-96] (3des-md5-96, 3des-sha1-96, des-md5-96, aes128-sha1-96, 3des-sha1, ...) and the names of spigrpd.conf(5)\n"),
	ERR(S, "spi --esp aes128-sha256-96",
	    "spi: Invalid encryption algorithm 'aes128-sha256-96' follows '--esp' option: known are ENC-AUTH[-96] (3des-md5-96, 3des-sha1-96, des-md5-96, aes128-sha1-96, 3des-sha1, ...) and the names of spigrpd.conf(5)\n"),
	ERR(S, "spi --comp lzs", "spi: Unknown compression algorithm 'lzs' follows '--comp' option. (Linux has no LZS)\n"),
	ERR(S, "spi --said esp.1000@192.0.2.1 --esp 3des --enckey 0x0123", "spi: invalid encryption keylen=16, required 192 by encrypt algo string=\"3des\"\n"),
	ERR(S, "spi --said ah.1000@192.0.2.1 --ah hmac-sha1-96 --authkey " K16, "spi: invalid auth keylen=128, must be between 160 and 160 bits\n"),
	ERR(S, "spi --said esp.1000@192.0.2.1 --esp 3des --enckey 0123456789abcdef", "spi: malformed Encryption Key: expected 0x followed by hex digits (or 0s base64, 0t text)\n"),
	/* KLIPS's other key forms: 0s base64, 0t text */
	OK(S, "spi --said ah.1000@192.0.2.1 --ah md5 --authkey 0sASNFZ4mrze8BI0VniavN7w==",
	   "add ah ah0x1000@192.0.2.1 auth=md5 ak=16:01"),
	OK(S, "spi --said ah.1000@192.0.2.1 --ah md5 --authkey 0t0123456789abcdef",
	   "add ah ah0x1000@192.0.2.1 auth=md5 ak=16:30"),
	ERR(S, "spi --said ah.1000@192.0.2.1 --ah md5 --authkey 0sASNFZ4mrze8BI0VniavN7w=",
	    "spi: malformed Authentication Key: base64 after 0s must come in groups of 4 characters\n"),
	ERR(S, "spi --said ah.1000@192.0.2.1 --ah md5 --authkey 0sASNF*4mrze8BI0VniavN7w==",
	    "spi: malformed Authentication Key: not base64 after 0s\n"),
	ERR(S, "spi --said esp.1000@192.0.2.1 --esp 3des --enckey 0x012", "spi: malformed Encryption Key: odd number of hex digits\n"),
	ERR(S, "spi --said esp.1000@192.0.2.1 --esp 3des --enckey 0x01zz23", "spi: malformed Encryption Key: expected 0x followed by hex digits (and '_' separators)\n"),
	ERR(S, "spi --said esp.1000@192.0.2.1 --esp 3des-sha1 --enckey " K24, "spi: --esp needs --authkey for its integrity algorithm sha1\n"),
	ERR(S, "spi --said esp.1000@192.0.2.1 --esp 3des-sha1 --authkey " K20, "spi: --esp needs --enckey for its encryption algorithm 3des\n"),
	ERR(S, "spi --said ah.1000@192.0.2.1 --ah sha1 --authkey " K20 " --enckey " K24, "spi: --enckey given, but ah0x1000@192.0.2.1 SA takes no encryption key\n"),
	ERR(S, "spi --said ah.1000@192.0.2.1 --esp 3des --enckey " K24, "spi: --esp makes an esp SA, not ah0x1000@192.0.2.1\n"),
	ERR(S, "spi --said tun.1000@192.0.2.1 --ip4 --src 192.0.2.2", "spi: --ip4 needs --src and --dst: the tunnel's outer addresses\n"),
	ERR(S, "spi --said tun.1000@192.0.2.1 --ip6 --src 192.0.2.2 --dst 192.0.2.1", "spi: --ip6 needs IPv6 outer addresses (--src 192.0.2.2 --dst 192.0.2.1)\n"),
	ERR(S, "spi --del --af inet --spi 0x1000 --proto esp", "spi: SA destination not specified.\n"),
	ERR(S, "spi --del --af inet --edst 192.0.2.1 --proto esp", "spi: SA SPI not specified.\n"),
	ERR(S, "spi --del --edst 192.0.2.1 --spi 0x1000", "spi: SA PROTO not specified.\n"),
	ERR(S, "spi --del --edst 192.0.2.1 --spi 0x10 --proto esp", "spi: Invalid SPI parameter \"0x10\": 0 - 0xFF are reserved\n"),
	ERR(S, "spi --del --edst 192.0.2.1 --spi 0x1000 --proto ESP", "spi: Invalid PROTO parameter: ESP\n"),
	ERR(S, "spi --del --af ipv4", "spi: Invalid ADDRESS FAMILY parameter: ipv4.\n"),
	ERR(S, "spi --del --edst west --spi 0x1000 --proto esp",
	    "spi: Error, DNS names are not accepted, use a numeric address converting --edst argument:west\n"),
	ERR(S, "spi --del --said esp.1000@192.0.2.1 --spi 0x1000",
	    "spi: Error, SPI parameter redefined:0x1000, already defined in SA:esp.1000@192.0.2.1\n"),
	ERR(S, "spi --del --spi 0x1000 --said esp.1000@192.0.2.1",
	    "spi: Error, SPI parameter redefined in SA:esp.1000@192.0.2.1, already defined as:0x1000\n"),
	ERR(S, "spi --del --af inet6 --said esp.1000@192.0.2.1",
	    "spi: Error, specified address family (inet6) is different that of SAID: esp.1000@192.0.2.1\n"),
	ERR(S, "spi --del --said %drop", "spi: %drop is a shunt, not an SA: it goes in an eroute (--said), not here\n"),
	ERR(S, "spi --said esp.1000@192.0.2.1", "spi: No action chosen.  See 'spi --help' for usage.\n"),
	ERRO(S, "spi --bogus", "spi: unrecognized option '--bogus'\n", "usage:"),
	ERRO(S, "spi --del --said", "spi: option '--said' requires an argument\n", "usage:"),
	ERR(S, "spi --del stray", "spi: unexpected argument 'stray' (options start with --)\n"),
	ERR(S, "spi --said esp.1000@192.0.2.1 --esp 3des --enckey " K24 " --replay_window 5000",
	    "spi: Failed -- Illegal window size: arg=5000, replay_window=5000, must be 0 <= size <= 4096.\n"),
	ERR(S, "spi --said esp.1000@192.0.2.1 --esp 3des --enckey " K24 " --life soft-allocations=1",
	    "spi: lifetime soft-allocations: XFRM has no allocations lifetime\n"),
	ERR(S, "spi --said esp.1000@192.0.2.1 --esp 3des --enckey " K24 " --life medium-bytes=1",
	    "spi: missing lifetime severity in medium-bytes=1\n"),
	ERR(S, "spi --said esp.1000@192.0.2.1 --esp 3des --enckey " K24 " --life soft-bytes=12x",
	    "spi: Invalid number for lifetime option parameter soft-bytes=12x in parameter string \"12x\"\n"),
	ERR(S, "spi --said esp.1000@192.0.2.1 --esp null --authkey " K16, "spi: --esp null needs an integrity algorithm (ESP without integrity is refused)\n"),
	ERR(S, "spi --label west --clear --del",
	    "spi --label west: Only one of '--ah', '--esp', '--comp', '--ip4', '--ip6', '--del' or '--clear'  options permitted.\n"),
	ERR(S, "spi --version", "spi, spigrpd " PACKAGE_VERSION "\n"),

	/* ---- eroute ---- */
	OK(E, "eroute", "list"),
	OK(E, "eroute --clear", "clear"),
	OK(E, "eroute --add --eraf inet --src 192.0.2.0/24 --dst 192.0.1.0/24 --said tun0x12345678@192.1.2.45",
	   "add 192.0.2.0/24 -> 192.0.1.0/24 => tun0x12345678@192.1.2.45"),
	OK(E, "eroute --add --src 192.0.2.1/32 --dst 192.0.1.1/32 --af inet --edst 192.0.1.1 --spi 0xabcdabcd --proto tun",
	   "add 192.0.2.1/32 -> 192.0.1.1/32 => tun0xabcdabcd@192.0.1.1"),
	OK(E, "eroute --replace --src 192.0.2.0/24 --dst 192.0.1.0/24 --said %pass", "replace 192.0.2.0/24 -> 192.0.1.0/24 => %pass"),
	OK(E, "eroute --add --src 192.0.2.0/24 --dst 0.0.0.0/0 --said %drop", "add 192.0.2.0/24 -> 0.0.0.0/0 => %drop"),
	OK(E, "eroute --add --src 192.0.2.0/24 --dst 192.0.1.0/24 --said %reject", "add 192.0.2.0/24 -> 192.0.1.0/24 => %reject"),
	OK(E, "eroute --add --src 192.0.2.0/24 --dst 192.0.1.0/24 --said %passthrough", "add 192.0.2.0/24 -> 192.0.1.0/24 => %passthrough4"),
	OK(E, "eroute --del --src 192.0.2.0/24 --dst 192.0.1.0/24", "del 192.0.2.0/24 -> 192.0.1.0/24"),
	OK(E, "eroute --add --src 192.0.2.0/24:1234 --dst 192.0.1.1:80 --transport-proto tcp --said esp.1000@192.0.1.1",
	   "add 192.0.2.0/24:1234 -> 192.0.1.1/32:80 proto 6 => esp0x1000@192.0.1.1"),
	OK(E, "eroute --add --src 192.0.2.0/24 --dst 192.0.1.0/24 --transport-proto 17 --src-port 500 --dst-port=500 --said esp.1000@192.0.1.1",
	   "add 192.0.2.0/24:500 -> 192.0.1.0/24:500 proto 17 => esp0x1000@192.0.1.1"),
	OK(E, "eroute --add --eraf inet6 --src 2001:db8:1:2::45/128 --dst 2001:db8:1:2::23/128 --said esp0x43952d72@2001:db8:1:2::23",
	   "add 2001:db8:1:2::45/128 -> 2001:db8:1:2::23/128 => esp0x43952d72@2001:db8:1:2::23"),
	OK(E, "eroute --add --src [2001:db8::/64]:443 --dst 2001:db8:1::/48 --transport-proto tcp --said esp:1000@2001:db8:1::1",
	   "add 2001:db8::/64:443 -> 2001:db8:1::/48 proto 6 => esp0x1000@2001:db8:1::1"),
	OK(E, "eroute --add --src 192.0.2.0/24 --dst 192.0.1.0/24 --transport-proto icmp --said %drop",
	   "add 192.0.2.0/24 -> 192.0.1.0/24 proto 1 => %drop"),
	ERR(E, "eroute --add --src 192.0.2.0/24 --dst 192.0.1.0/24 --said %trap",
	    "eroute: %trap is not supported: it hands packets to an IKE daemon to negotiate an SA, and spigrpd keys manually (use %pass, %drop or %reject)\n"),
	ERR(E, "eroute --add --src 192.0.2.0/24 --dst 192.0.1.0/24 --said %hold",
	    "eroute: %hold is not supported: it hands packets to an IKE daemon to negotiate an SA, and spigrpd keys manually (use %pass, %drop or %reject)\n"),
	ERR(E, "eroute --add --src 192.0.2.0/24 --dst 192.0.1.0/24 --said %trapsubnet",
	    "eroute: %trapsubnet is not supported: it hands packets to an IKE daemon to negotiate an SA, and spigrpd keys manually (use %pass, %drop or %reject)\n"),
	ERR(E, "eroute --add --src 192.0.2.0/24 --dst 192.0.1.0/24 --said esp.10@192.0.1.1",
	    "eroute: Illegal reserved spi: esp.10@192.0.1.1 => 0x10 Must be larger than or equal to 0x100.\n"),
	ERR(E, "eroute --add --src 192.0.2.0/24 --dst 192.0.1.0/24", "eroute: add and addin options must have SA specified.\n"),
	ERR(E, "eroute --add --src 192.0.2.0/24 --dst 192.0.1.0/24 --edst 192.0.1.1 --spi 0x1000 --proto esp",
	    "eroute: add and addin options must have SA specified.\n"),
	ERR(E, "eroute --del --dst 192.0.1.0/24", "eroute: Error -- del option '--src' is required.\n"),
	ERR(E, "eroute --add --src 192.0.2.0/24 --said %pass", "eroute: Error -- add option '--dst' is required.\n"),
	ERR(E, "eroute --add --del", "eroute: Only one of '--add', '--addin', '--replace', '--replacein', '--clear', or '--del' options permitted.\n"),
	ERR(E, "eroute --src 192.0.2.0/24 --dst 192.0.1.0/24",
	    "eroute: exactly one of '--add', '--addin', '--replace', '--del' or '--clear' options must be specified.\nTry 'eroute --help' for usage information.\n"),
	ERR(E, "eroute --addin", "eroute: --addin is not supported: the inbound group of a link gets its in and fwd policies from the eroute of the outbound group it pairs with\n"),
	ERR(E, "eroute --add --src 192.0.2.1/24 --dst 192.0.1.0/24 --said %pass",
	    "eroute: Error, host bits are set (the network is 192.0.2.0/24) converting --src argument: 192.0.2.1/24\n"),
	ERR(E, "eroute --add --src west/32 --dst 192.0.1.0/24 --said %pass",
	    "eroute: Error, DNS names are not accepted, use a numeric address converting --src argument: west/32\n"),
	ERR(E, "eroute --add --eraf inet6 --src 192.0.2.0/24 --dst 192.0.1.0/24 --said %pass",
	    "eroute: Error, --src 192.0.2.0/24 is not an --eraf inet6 subnet\n"),
	ERR(E, "eroute --add --src 192.0.2.0/24 --dst 2001:db8::/64 --said %pass",
	    "eroute: Error, --src 192.0.2.0/24 and --dst 2001:db8::/64 are of different address families\n"),
	ERR(E, "eroute --add --eraf ipv4", "eroute: Invalid address family parameter for eroute: ipv4\n"),
	ERR(E, "eroute --add --src 192.0.2.0/24:80 --dst 192.0.1.0/24 --said %pass",
	    "eroute: --transport-proto with either UDP or TCP must be specified if --src-port or --dst-port is used\n"),
	ERR(E, "eroute --add --src 192.0.2.0/24 --dst 192.0.1.0/24 --transport-proto bogus --said %pass",
	    "eroute: Invalid --transport-proto parameter \"bogus\": not a number\n"),
	ERR(E, "eroute --add --src 192.0.2.0/24:99999 --dst 192.0.1.0/24 --said %pass",
	    "eroute: Invalid --src port \"99999\": too large\n"),
	ERR(E, "eroute --add --src 192.0.2.0/24 --dst 192.0.1.0/24 --said bogus",
	    "eroute: Error, bad SAID \"bogus\": no \"@\" before the address converting --sa argument:bogus\n"),
	ERR(E, "eroute --add --said esp.1000@192.0.1.1 --proto esp",
	    "eroute: Error, PROTO parameter redefined:esp, already defined in SA:esp.1000@192.0.1.1\n"),
	ERR(E, "eroute --add --src 192.0.2.0/24 --dst 192.0.1.0/24 --af inet6 --edst 192.0.1.1 --spi 0x1000 --proto esp",
	    "eroute: Error, --edst 192.0.1.1 is not an --af inet6 address\n"),
	ERR(E, "eroute --label east --add --src 192.0.2.0/24 --dst 192.0.1.0/24 --said %pass --said %drop",
	    "eroute --label east: Error, SAID parameter redefined:%drop, already defined in SA:%pass\n"),
	ERRO(E, "eroute --help", "", "usage:"),
};

/* describe(): the request as one line, the test's own notation. */
static void said_txt(const struct said *s, char *buf, size_t len)
{
	said_format(s, 'x', buf, len);
}

static size_t key_txt(const char *name, const struct klips_key *k, char *buf, size_t len)
{
	return k->set ? (size_t)snprintf(buf, len, " %s=%zu:%02x", name, k->len, k->data[0]) : 0;
}

static void describe_spi(const struct klips_req *r, char *b, size_t len)
{
	static const char *const xf[] = { "", "ah", "esp", "comp", "tun", "tun" };
	const struct klips_spi *s = &r->spi;
	char t[SAID_BUF], a[IP_ADDR_BUF];
	size_t n;

	said_txt(&s->said, t, sizeof(t));
	if (r->op == KLIPS_DEL) {
		snprintf(b, len, "del %s", t);
		return;
	}
	n = (size_t)snprintf(b, len, "add %s %s", xf[s->xform], t);
	if (s->enc)
		n += (size_t)snprintf(b + n, len - n, " enc=%s", s->enc->name);
	n += key_txt("ek", &s->enckey, b + n, len - n);
	if (s->auth)
		n += (size_t)snprintf(b + n, len - n, " auth=%s", s->auth->name);
	n += key_txt("ak", &s->authkey, b + n, len - n);
	if (s->comp)
		n += (size_t)snprintf(b + n, len - n, " comp=%s", s->comp->name);
	if (s->src.family && ip_addr_format(&s->src, a, sizeof(a)))
		n += (size_t)snprintf(b + n, len - n, " src=%s", a);
	if (s->dst.family && ip_addr_format(&s->dst, a, sizeof(a)))
		n += (size_t)snprintf(b + n, len - n, " dst=%s", a);
	if (s->has_replay)
		n += (size_t)snprintf(b + n, len - n, " replay=%u", s->replay_window);
	if (s->life.bytes[0] || s->life.bytes[1] || s->life.addtime[0] || s->life.addtime[1])
		n += (size_t)snprintf(b + n, len - n, " life=bytes:%llu/%llu,addtime:%llu/%llu",
				      (unsigned long long)s->life.bytes[0], (unsigned long long)s->life.bytes[1],
				      (unsigned long long)s->life.addtime[0], (unsigned long long)s->life.addtime[1]);
	if (s->natt || s->sport || s->dport)
		snprintf(b + n, len - n, " natt=%d sport=%u dport=%u", (int)s->natt, s->sport, s->dport);
}

static void describe_er(const struct klips_req *r, char *b, size_t len)
{
	static const char *const ops[] = { [KLIPS_ADD] = "add", [KLIPS_DEL] = "del", [KLIPS_REPLACE] = "replace" };
	const struct klips_eroute *e = &r->er;
	char s[IP_PREFIX_BUF], d[IP_PREFIX_BUF], sp[8] = "", dp[8] = "", pr[16] = "", t[SAID_BUF] = "";

	ip_prefix_format(&e->src, s, sizeof(s));
	ip_prefix_format(&e->dst, d, sizeof(d));
	if (e->sport)
		snprintf(sp, sizeof(sp), ":%u", e->sport);
	if (e->dport)
		snprintf(dp, sizeof(dp), ":%u", e->dport);
	if (e->tproto)
		snprintf(pr, sizeof(pr), " proto %u", e->tproto);
	if (e->has_said)
		said_txt(&e->said, t, sizeof(t));
	snprintf(b, len, "%s %s%s -> %s%s%s%s%s", ops[r->op], s, sp, d, dp, pr, e->has_said ? " => " : "", t);
}

static void describe(const struct klips_req *r, char *b, size_t len)
{
	char t[SAID_BUF];
	size_t n = r->debug ? (size_t)snprintf(b, len, "debug ") : 0;
	unsigned i;

	if (r->op == KLIPS_LIST || r->op == KLIPS_CLEAR) {
		snprintf(b + n, len - n, "%s", r->op == KLIPS_LIST ? "list" : "clear");
	} else if (r->cmd == KLIPS_SPIGRP) {
		n += (size_t)snprintf(b + n, len - n, "%s", r->op == KLIPS_GROUP ? "group" : "ungroup");
		for (i = 0; i < r->grp.n; i++) {
			said_txt(&r->grp.sa[i], t, sizeof(t));
			n += (size_t)snprintf(b + n, len - n, " %s", t);
		}
	} else if (r->cmd == KLIPS_SPI) {
		describe_spi(r, b + n, len - n);
	} else {
		describe_er(r, b + n, len - n);
	}
}

/* The key on "standard input": 0xaa repeated (24 bytes), with a newline. */
static int stdin_key(void *ctx, const char *what, char *buf, size_t len)
{
	(void)what;
	(*(int *)ctx)++;
	return snprintf(buf, len, "0x%s\n", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
}

START_TEST(test_table)
{
	const struct row *t = &rows[_i];
	char words[1024], *argv[64], got[1024];
	struct klips_req req;
	struct klips_msg msg;
	int argc = 0, reads = 0, r;
	char *w;

	snprintf(words, sizeof(words), "%s", t->words);
	for (w = strtok(words, " "); w && argc < 63; w = strtok(NULL, " "))
		argv[argc++] = w;
	argv[argc] = NULL;
	r = klips_parse(t->cmd, argc, argv, stdin_key, &reads, &req, &msg);
	ck_assert_msg(r == t->ret, "line %d: returned %d, stderr %s", t->line, r, msg.err);
	if (r == 1) {
		describe(&req, got, sizeof(got));
		ck_assert_msg(!strcmp(got, t->want), "line %d: got \"%s\"", t->line, got);
		ck_assert_msg(!msg.err[0], "line %d: stderr %s", t->line, msg.err);
		klips_req_wipe(&req);
		if (req.cmd == KLIPS_SPI)
			ck_assert(!req.spi.enckey.set && !req.spi.enckey.data[0]);
	} else {
		ck_assert_msg(!strcmp(msg.err, t->want), "line %d: stderr \"%s\"", t->line, msg.err);
		ck_assert_msg(msg.exit_code == 1, "line %d: exit %d", t->line, msg.exit_code);
	}
	if (t->out)
		ck_assert_msg(!strncmp(msg.out, t->out, strlen(t->out)), "line %d: stdout \"%s\"", t->line, msg.out);
	else
		ck_assert_msg(!msg.out[0], "line %d: stdout \"%s\"", t->line, msg.out);
	ck_assert_int_eq(reads, strstr(t->words, " - ") ? 1 : 0);
}
END_TEST

/* No key is ever quoted back, and a failed parse leaves none behind. */
START_TEST(test_keys_not_shown)
{
	char *argv[] = { "spi", "--said", "esp.1000@192.0.2.1", "--esp", "3des-sha1-96", "--enckey",
			 "0x0123456789abcdef0123456789abcdef0123456789abcdef", "--authkey", "0xfeedfacefeedface",
			 NULL };
	struct klips_req req;
	struct klips_msg msg;

	ck_assert_int_eq(klips_parse(KLIPS_SPI, 9, argv, NULL, NULL, &req, &msg), 0);
	ck_assert_str_eq(msg.err, "spi: invalid auth keylen=64, must be between 160 and 160 bits\n");
	ck_assert(!strstr(msg.err, "feedface") && !strstr(msg.err, "0123456789"));
	ck_assert(!req.spi.enckey.set && !req.spi.authkey.set && !req.spi.enckey.data[0] &&
		  !req.spi.authkey.data[0]);
	/* "-" without a reader */
	argv[6] = "-";
	ck_assert_int_eq(klips_parse(KLIPS_SPI, 9, argv, NULL, NULL, &req, &msg), 0);
	ck_assert_str_eq(msg.err, "spi: malformed Encryption Key: no standard input to read it from\n");
}
END_TEST

START_TEST(test_spi_number)
{
	uint32_t v;

	ck_assert_int_eq(klips_spi_parse("0400", &v), 0);
	ck_assert_uint_eq(v, 256);
	ck_assert_int_eq(klips_spi_parse("0", &v), 0);
	ck_assert_uint_eq(v, 0);
	ck_assert_int_eq(klips_spi_parse("4294967295", &v), 0);
	ck_assert_uint_eq(v, 0xffffffffu);
	ck_assert_int_eq(klips_spi_parse("4294967296", &v), -EINVAL);
	ck_assert_int_eq(klips_spi_parse(" 1", &v), -EINVAL);
	ck_assert_int_eq(klips_spi_parse("+1", &v), -EINVAL);
	ck_assert_int_eq(klips_spi_parse("0x", &v), -EINVAL);
	ck_assert_int_eq(klips_spi_parse("", &v), -EINVAL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("klips_args");
	TCase *tc = tcase_create("table");
	SRunner *sr;
	int failed;

	if (sizeof(rows) / sizeof(rows[0]) < 80) {
		fprintf(stderr, "the table needs at least 80 command lines\n");
		return EXIT_FAILURE;
	}
	tcase_add_loop_test(tc, test_table, 0, (int)(sizeof(rows) / sizeof(rows[0])));
	tcase_add_test(tc, test_keys_not_shown);
	tcase_add_test(tc, test_spi_number);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* check_cfg.c: unit tests of the spigrpd.conf line parser (src/core/cfg.c,
 * cfg_path.c's rules as text).
 *
 * Table-driven: broken configs with the exact errors (file, line, text) they
 * must produce, good configs with the values they must parse into, and the
 * bounds of every message.  The file-level rules of cfg_load() are
 * check_cfg_load.c's.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg.h"
#include "said.h"

#include "cfg_test.h"

static void expect_errors(const char *text, const char *const *want, int tline)
{
	struct cfg_errors e = { 0 };
	struct cfg *c = parse_text(text, &e);
	size_t n = 0, i;

	while (want[n])
		n++;
	if (c || e.n != n) {
		fprintf(stderr, "case at check_cfg.c:%d\n", tline);
		dump_errors(&e);
	}
	ck_assert_msg(c == NULL, "case at line %d: parsed without error", tline);
	ck_assert_msg(e.n == n, "case at line %d: %zu errors, expected %zu", tline, e.n, n);
	for (i = 0; i < n; i++)
		ck_assert_msg(!strcmp(e.msg[i], want[i]), "case at line %d: error %zu is\n  \"%s\"\nexpected\n  \"%s\"",
			      tline, i, e.msg[i], want[i]);
	cfg_errors_free(&e);
}

struct bad_case {
	int tline;
	const char *text;
	const char *want[8];
};

#define BAD(text, ...) { __LINE__, text, { __VA_ARGS__, NULL } }

static const struct bad_case bad_cases[] = {
	/* syntax */
	BAD("[foo]\n", "t.conf:1: unknown section [foo]"),
	BAD("[foo bar]\nx = 1\n", "t.conf:1: unknown section [foo bar]"),
	BAD("src = 192.0.2.2\n", "t.conf:1: key \"src\" outside any section"),
	BAD("[daemon]\nmount /run/x\n",
	    "t.conf:2: malformed line (expected [section], key = value or a comment)"),
	BAD("[daemon]\nenc key = 0x00\n",
	    "t.conf:2: malformed line (expected [section], key = value or a comment)"),
	BAD("[daemon]\n = x\n",
	    "t.conf:2: malformed line (expected [section], key = value or a comment)"),
	BAD("[daemon\n", "t.conf:1: malformed section header (no closing ])"),
	BAD("[daemon]\nfoo = 1\n", "t.conf:2: unknown key \"foo\" in [daemon]"),
	BAD("[daemon]\nmount = /a\nmount = /b\n", "t.conf:3: duplicate key \"mount\" (first at line 2)"),
	BAD("[daemon]\n[daemon]\n", "t.conf:2: duplicate [daemon] (first at line 1)"),
	BAD("[daemon x]\n", "t.conf:1: [daemon] takes no argument"),
	BAD("[daemon]\ncontrol =\n", "t.conf:2: key \"control\" has no value"),
	/* [daemon] values */
	BAD("[daemon]\ndatapath = fast\n",
	    "t.conf:2: bad datapath \"fast\": expected auto, kernel or userspace"),
	BAD("[daemon]\nsaid-format = klips\n", "t.conf:2: bad said-format \"klips\": expected seed or x"),
	BAD("[daemon]\ntun-device = spigrp0123456789\n",
	    "t.conf:2: bad tun-device \"spigrp0123456789\": an interface name has at most 15 bytes"),
	BAD("[daemon]\ntun-device = spi/grp\n",
	    "t.conf:2: bad tun-device \"spi/grp\": use letters, digits, '_', '-' and '.'"),
	BAD("[daemon]\ntun-device = sp%d\n",
	    "t.conf:2: bad tun-device \"sp%d\": use letters, digits, '_', '-' and '.'"),
	BAD("[daemon]\ntun-device = ..\n", "t.conf:2: bad tun-device \"..\": not an interface name"),
	BAD("[daemon]\nfwmark = 0\n",
	    "t.conf:2: bad fwmark \"0\": the mark must not be 0 (unmarked packets carry 0)"),
	BAD("[daemon]\nfwmark = 0x10/0xf\n",
	    "t.conf:2: bad fwmark \"0x10/0xf\": the mark has bits outside the mask"),
	BAD("[daemon]\nfwmark = 0x100000000\n",
	    "t.conf:2: bad fwmark \"0x100000000\": expected VALUE or VALUE/MASK (32-bit numbers)"),
	BAD("[daemon]\nfwmark = 12/x\n",
	    "t.conf:2: bad fwmark \"12/x\": expected VALUE or VALUE/MASK (32-bit numbers)"),
	BAD("[daemon]\nfwmark = -1\n",
	    "t.conf:2: bad fwmark \"-1\": expected VALUE or VALUE/MASK (32-bit numbers)"),
	BAD("[daemon]\ndp-batch = 65\n",
	    "t.conf:2: bad dp-batch \"65\": expected a number of packets, 1..64"),
	BAD("[daemon]\ndp-batch = 0\n",
	    "t.conf:2: bad dp-batch \"0\": expected a number of packets, 1..64"),
	BAD("[daemon]\ninstall-routes = maybe\nkeep-on-exit = 1\n",
	    "t.conf:2: bad install-routes \"maybe\": expected yes or no",
	    "t.conf:3: bad keep-on-exit \"1\": expected yes or no"),
	BAD("[daemon]\nroute-table = 254\n",
	    "t.conf:2: bad route-table \"254\": 253, 254 and 255 are the kernel's default, main and local tables"),
	BAD("[daemon]\nroute-table = 0\n", "t.conf:2: bad route-table \"0\": expected a number 1..4294967294"),
	BAD("[daemon]\nroute-table = 0xffffffff\n",
	    "t.conf:2: bad route-table \"0xffffffff\": expected a number 1..4294967294"),
	BAD("[daemon]\nmount = run/x\n", "t.conf:2: bad mount \"run/x\": not an absolute path"),
	BAD("[group " "a123456789a123456789a123456789a123456789a123456789a123456789a1234567"
	    "89a123456789a123456789a123456789a123456789a123456789a123456789x]\n",
	    "t.conf:1: bad group name \"a123456789a123456789a123456789a123456789a123456789a123456789a123...\": "
	    "longer than 128 bytes"),
	/* a key typed where a key does not go is not quoted back */
	BAD("[sa esp.100@192.0.2.1]\nsrc = 192.0.2.2\nauth = sha1\nauthkey = " K20 "\n"
	    "enc = 0x5ec25ec25ec25ec25ec2\n",
	    "t.conf:5: unknown enc <not shown: it looks like a key> (known: aes128, aes192, aes256, "
	    "aes128gcm16, aes256gcm16, chacha20poly1305, 3des, des, null)"),
	BAD("[sa esp.100@192.0.2.1]\nsrc = 192.0.2.2\nenc = null\nauth = sha1\nauthkey = " K20 "\n"
	    "enckey0x5ec25ec25ec25ec25ec2 = 1\n",
	    "t.conf:6: unknown key <not shown: it looks like a key>"),
	BAD("[daemon]\ncontrol = /run/x\x1b[31m/ctl\n",
	    "t.conf:2: bad control \"/run/x\\x1b[31m/ctl\": it holds control bytes or characters "
	    "that hide or reorder text"),
	BAD("[daemon]\nmount = /run/\xe2\x80\xae" "abc\n",
	    "t.conf:2: bad mount \"/run/\\u{202e}abc\": it holds control bytes or characters "
	    "that hide or reorder text"),
	BAD("[daemon]\ncontrol = run/ctl\nstate-dir = var/lib/s\n",
	    "t.conf:2: bad control \"run/ctl\": not an absolute path",
	    "t.conf:3: bad state-dir \"var/lib/s\": not an absolute path"),
	BAD("[daemon]\nmount = /run/../proc\nstate-dir = /var/./lib\n",
	    "t.conf:2: bad mount \"/run/../proc\": \".\" and \"..\" components are not allowed",
	    "t.conf:3: bad state-dir \"/var/./lib\": \".\" and \"..\" components are not allowed"),
	/* [daemon] paths the daemon could not use */
	BAD("[daemon]\ncontrol = /run/" X103 "\n", /* quoted: its first 64 bytes */
	    "t.conf:2: bad control \"/run/" X10 X10 X10 X10 X10 "xxxxxxxxx...\": too long for a unix socket (108 bytes, at most 107)"),
	BAD("[daemon]\ncontrol = /\n", "t.conf:2: bad control \"/\": not a file name"),
	BAD("[daemon]\ncontrol = /proc/ctl\n",
	    "t.conf:2: bad control \"/proc/ctl\": /proc and /sys cannot hold a socket"),
	BAD("[daemon]\nmount = /\n", "t.conf:2: bad mount \"/\": the view cannot be mounted on /"),
	BAD("[daemon]\nmount = //\n", "t.conf:2: bad mount \"//\": the view cannot be mounted on /"),
	BAD("[daemon]\nmount = /proc\n",
	    "t.conf:2: bad mount \"/proc\": /proc, /sys and /dev belong to the kernel; mount the view elsewhere"),
	BAD("[daemon]\nmount = /sys/fs/spigrpd\n",
	    "t.conf:2: bad mount \"/sys/fs/spigrpd\": /proc, /sys and /dev belong to the kernel; mount the view elsewhere"),
	BAD("[daemon]\nmount = /dev/\n",
	    "t.conf:2: bad mount \"/dev/\": /proc, /sys and /dev belong to the kernel; mount the view elsewhere"),
	BAD("[daemon]\nmount = /run/x\ncontrol = /run//x/\n",
	    "t.conf:3: mount and control are the same path \"/run/x\""),
	BAD("[daemon]\nmount = /run/spigrpd/ctl\n",
	    "t.conf:2: mount and control are the same path \"/run/spigrpd/ctl\""),
	BAD("[daemon]\ncontrol = /run/spigrpd/net/ctl\n",
	    "t.conf:2: control \"/run/spigrpd/net/ctl\" is inside mount \"/run/spigrpd/net\": the view would hide the socket"),
	BAD("[daemon]\ncontrol = /srv/s\nmount = /srv/s/view\n",
	    "t.conf:3: mount \"/srv/s/view\" is inside control \"/srv/s\", which is a socket"),
	BAD("[daemon]\nmount = /var/lib/spigrpd-view\nstate-dir = /var/lib/spigrpd-view/state\n",
	    "t.conf:3: state-dir \"/var/lib/spigrpd-view/state\" is inside mount \"/var/lib/spigrpd-view\": the view would hide it"),
	/* system directories: no view on them, no state kept in them */
	BAD("[daemon]\nmount = /etc\n", "t.conf:2: bad mount \"/etc\": a system directory: the view would hide what it holds"),
	BAD("[daemon]\nmount = /usr//\n", "t.conf:2: bad mount \"/usr//\": a system directory: the view would hide what it holds"),
	BAD("[daemon]\nmount = /tmp\n", "t.conf:2: bad mount \"/tmp\": a system directory: the view would hide what it holds"),
	BAD("[daemon]\nmount = /var\n", "t.conf:2: bad mount \"/var\": a system directory: the view would hide what it holds"),
	BAD("[daemon]\nmount = /var/lib\n", "t.conf:2: bad mount \"/var/lib\": a system directory: the view would hide what it holds"),
	BAD("[daemon]\nmount = /home\n", "t.conf:2: bad mount \"/home\": a system directory: the view would hide what it holds"),
	BAD("[daemon]\nmount = " SYSCONFDIR "\n",
	    "t.conf:2: bad mount \"" SYSCONFDIR "\": a system directory: the view would hide what it holds"),
	BAD("[daemon]\nstate-dir = /\n",
	    "t.conf:2: bad state-dir \"/\": a system directory: keep the state in a directory of its own"),
	BAD("[daemon]\nstate-dir = /etc/\n",
	    "t.conf:2: bad state-dir \"/etc/\": a system directory: keep the state in a directory of its own"),
	BAD("[daemon]\nstate-dir = /var/lib\n",
	    "t.conf:2: bad state-dir \"/var/lib\": a system directory: keep the state in a directory of its own"),
	BAD("[daemon]\nstate-dir = /dev\n",
	    "t.conf:2: bad state-dir \"/dev\": /proc, /sys and /dev belong to the kernel; keep the state elsewhere"),
	BAD("[daemon]\nstate-dir = /dev/shm/spigrpd\n",
	    "t.conf:2: bad state-dir \"/dev/shm/spigrpd\": /proc, /sys and /dev belong to the kernel; keep the state elsewhere"),
	BAD("[daemon]\nstate-dir = /sys/fs/spigrpd\n",
	    "t.conf:2: bad state-dir \"/sys/fs/spigrpd\": /proc, /sys and /dev belong to the kernel; keep the state elsewhere"),
	BAD("[daemon]\nstate-dir = /proc\n",
	    "t.conf:2: bad state-dir \"/proc\": /proc, /sys and /dev belong to the kernel; keep the state elsewhere"),
	BAD("[daemon]\nstate-dir = /run/spigrpd/net/state\n",
	    "t.conf:2: state-dir \"/run/spigrpd/net/state\" is inside mount \"/run/spigrpd/net\": the view would hide it"),
	BAD("[daemon]\nstate-dir = /run/spigrpd/net\n",
	    "t.conf:2: state-dir and mount are the same path \"/run/spigrpd/net\": the view would hide the state files"),
	BAD("[daemon]\nstate-dir = /run/spigrpd/ctl\n",
	    "t.conf:2: state-dir and control are the same path \"/run/spigrpd/ctl\": one is a directory, the other a socket"),
	BAD("[daemon]\nstate-dir = /srv/s/state\ncontrol = /srv/s\n",
	    "t.conf:3: state-dir \"/srv/s/state\" is inside control \"/srv/s\", which is a socket"),
	BAD("[daemon]\nmount = /run/spigrpd/ctl.lock\n",
	    "t.conf:2: mount \"/run/spigrpd/ctl.lock\" is the control socket's lock file (control \"/run/spigrpd/ctl\" plus \".lock\")"),
	BAD("[daemon]\ncontrol = /srv/c\nmount = /srv/c.lock/view\n",
	    "t.conf:3: mount \"/srv/c.lock/view\" is inside \"/srv/c.lock\", the control socket's lock file"),
	BAD("[daemon]\nstate-dir = /run/spigrpd/ctl.lock\n",
	    "t.conf:2: state-dir \"/run/spigrpd/ctl.lock\" is the control socket's lock file (control \"/run/spigrpd/ctl\" plus \".lock\")"),
	/* raw bytes of the file are escaped in messages; printable UTF-8 is not */
	BAD("[daemon]\ndatapath = \033[2J\x07\x7f\n",
	    "t.conf:2: bad datapath \"\\x1b[2J\\x07\\x7f\": expected auto, kernel or userspace"),
	BAD("[daemon]\ndatapath = a\tb\r\n", "t.conf:2: bad datapath \"a\\x09b\": expected auto, kernel or userspace"),
	BAD("[daemon]\ndatapath = caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x91\n",
	    "t.conf:2: bad datapath \"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x91\": expected auto, kernel or userspace"),
	BAD("[daemon]\ndatapath = \xc2\x9b \xff \xc0\xaf \xed\xa0\x80 \xe2\x82\n",
	    "t.conf:2: bad datapath \"\\xc2\\x9b \\xff \\xc0\\xaf \\xed\\xa0\\x80 \\xe2\\x82\": expected auto, kernel or userspace"),
	/* [sa] syntax and values */
	BAD("[sa]\n", "t.conf:1: [sa] needs a SAID, as in [sa esp.100@192.0.2.1]"),
	BAD("[sa %pass]\nsrc = 192.0.2.2\n", "t.conf:1: [sa %pass]: a magic SAID cannot be configured as an SA"),
	BAD("[sa esp.100@192.0.2.1]\n" AUTH_OK, "t.conf:1: [sa esp.100@192.0.2.1]: src is mandatory"),
	BAD("[sa esp.100@192.0.2.1]\nsrc = 2001:db8::2\n" AUTH_OK,
	    "t.conf:2: src \"2001:db8::2\" is IPv6 but the SAID is IPv4"),
	BAD("[sa esp:100@2001:db8::1]\nsrc = 192.0.2.2\n" AUTH_OK,
	    "t.conf:2: src \"192.0.2.2\" is IPv4 but the SAID is IPv6"),
	BAD("[sa esp.100@192.0.2.1]\nsrc = 0.0.0.0\n" AUTH_OK,
	    "t.conf:2: bad src \"0.0.0.0\": the unspecified address"),
	BAD("[sa esp.100@0.0.0.0]\nsrc = 192.0.2.2\n" AUTH_OK,
	    "t.conf:1: [sa esp.100@0.0.0.0]: the destination is the unspecified address"),
	BAD(ESP_HDR AUTH_OK "dir = up\nmode = beet\n", "t.conf:5: bad dir \"up\": expected in or out",
	    "t.conf:6: bad mode \"beet\": expected tunnel or transport"),
	BAD(ESP_HDR AUTH_OK "cipher = aes128\n", "t.conf:5: unknown key \"cipher\" in [sa esp.100@192.0.2.1]"),
	BAD(ESP_HDR "enc = aes128\nenckey = " K16 "\n" AUTH_OK "enc = aes256\n",
	    "t.conf:7: duplicate key \"enc\" (first at line 3)"),
	BAD(ESP_HDR AUTH_OK "[sa esp0x100@192.0.2.1]\nsrc = 192.0.2.2\n" AUTH_OK,
	    "t.conf:5: duplicate [sa esp0x100@192.0.2.1] (first at line 1)"),
	BAD(ESP_HDR "enc = aes\n" AUTH_OK,
	    "t.conf:3: unknown enc \"aes\" (known: aes128, aes192, aes256, aes128gcm16, aes256gcm16, chacha20poly1305, 3des, des, null)"),
	BAD(ESP_HDR "auth = md4\n", "t.conf:3: unknown auth \"md4\" (known: sha1, sha256, sha384, sha512, md5)"),
	BAD(ESP_HDR "auth = HMAC-MD5-96\n",
	    "t.conf:3: unknown auth \"HMAC-MD5-96\" (known: sha1, sha256, sha384, sha512, md5)"),
	/* a KLIPS ESP transform in enc names auth too: no auth beside it */
	BAD(ESP_HDR "enc = 3des-sha1-96\nenckey = 0x" H16 H4 H4 "\nauthkey = " K20 "\nauth = sha1\n",
	    "t.conf:6: auth cannot be combined with the ESP transform of enc (line 3): it names the integrity algorithm too"),
	BAD(ESP_HDR "auth = md5\nauthkey = " K16 "\nenc = 3des-md5-96\n",
	    "t.conf:5: enc \"3des-md5-96\" names the integrity algorithm too: auth (line 3) cannot be combined with it"),
	BAD(ESP_HDR "enc = 3des-md5-96\nenckey = 0x" H16 H4 H4 "\nauthkey = " K20 "\n",
	    "t.conf:5: wrong authkey length for md5: expected 16 bytes, got 20"),
	BAD("[sa comp.3d0@192.0.2.1]\nsrc = 192.0.2.2\ncomp = lzs\n",
	    "t.conf:3: unknown comp \"lzs\" (known: deflate)"),
	/* refused combinations */
	BAD(ESP_HDR "enc = aes128gcm16\nenckey = " K20 "\n" AUTH_OK,
	    "t.conf:5: auth cannot be combined with AEAD enc aes128gcm16 (it has its own ICV)"),
	BAD(ESP_HDR "enc = aes128gcm16\nenckey = " K20 "\nauth = sha256\n",
	    "t.conf:5: auth cannot be combined with AEAD enc aes128gcm16 (it has its own ICV)"),
	BAD(ESP_HDR "enc = null\n", "t.conf:3: enc null needs auth (ESP without integrity is refused)"),
	BAD(ESP_HDR, "t.conf:1: [sa esp.100@192.0.2.1]: ESP needs enc, auth or both"),
	BAD("[sa ah.100@192.0.2.1]\nsrc = 192.0.2.2\n" AUTH_OK "enc = aes128\nenckey = " K16 "\n",
	    "t.conf:5: enc is not valid on an AH SA", "t.conf:6: enckey is not valid on an AH SA"),
	BAD("[sa ah.100@192.0.2.1]\nsrc = 192.0.2.2\n" AUTH_OK "comp = deflate\n",
	    "t.conf:5: comp is not valid on an AH SA"),
	BAD("[sa ah.100@192.0.2.1]\nsrc = 192.0.2.2\n", "t.conf:1: [sa ah.100@192.0.2.1]: AH needs auth"),
	BAD("[sa comp.3d0@192.0.2.1]\nsrc = 192.0.2.2\n",
	    "t.conf:1: [sa comp.3d0@192.0.2.1]: a comp SA needs comp = deflate"),
	BAD("[sa comp.3d0@192.0.2.1]\nsrc = 192.0.2.2\ncomp = deflate\nenc = aes128\nenckey = " K16 "\n",
	    "t.conf:4: enc is not valid on a comp SA", "t.conf:5: enckey is not valid on a comp SA"),
	BAD("[sa comp.3d0@192.0.2.1]\nsrc = 192.0.2.2\ncomp = deflate\n" AUTH_OK "replay-window = 64\n",
	    "t.conf:4: auth is not valid on a comp SA", "t.conf:5: authkey is not valid on a comp SA",
	    "t.conf:6: replay-window is not valid on a comp SA"),
	BAD("[sa tun.3d0@192.0.2.1]\nsrc = 192.0.2.2\nenc = aes128\nauth = sha1\ncomp = deflate\n",
	    "t.conf:3: enc is not valid on a tun SA", "t.conf:4: auth is not valid on a tun SA",
	    "t.conf:5: comp is not valid on a tun SA"),
	BAD("[sa tun.3d0@192.0.2.1]\nsrc = 192.0.2.2\nmode = transport\nlife-seconds = 60\n",
	    "t.conf:3: mode transport is not valid on a tun SA", "t.conf:4: life-seconds is not valid on a tun SA"),
	/* SPI / CPI ranges */
	BAD("[sa esp.ff@192.0.2.1]\nsrc = 192.0.2.2\n" AUTH_OK,
	    "t.conf:1: [sa esp.ff@192.0.2.1]: SPI 0xff is reserved (ESP and AH SPIs start at 0x100)"),
	BAD("[sa ah.0@192.0.2.1]\nsrc = 192.0.2.2\n" AUTH_OK,
	    "t.conf:1: [sa ah.0@192.0.2.1]: SPI 0x0 is reserved (ESP and AH SPIs start at 0x100)"),
	BAD("[sa comp.ff@192.0.2.1]\nsrc = 192.0.2.2\ncomp = deflate\n",
	    "t.conf:1: [sa comp.ff@192.0.2.1]: CPI 0xff is out of range (0x100..0xffff)"),
	/* keys */
	BAD(ESP_HDR AUTH_OK "enckey = " K16 "\n", "t.conf:5: enckey without enc"),
	BAD(ESP_HDR "enc = aes128\n" AUTH_OK, "t.conf:3: enc aes128 needs an enckey"),
	BAD(ESP_HDR "enc = aes128\nenckey = " K16 "\nauth = sha256\n", "t.conf:5: auth sha256 needs an authkey"),
	BAD(ESP_HDR "enc = aes128\nenckey = " K16 "\nauthkey = " K32 "\n", "t.conf:5: authkey without auth"),
	BAD(ESP_HDR "enc = aes128\nenckey = " K15 "\n" AUTH_OK,
	    "t.conf:4: wrong enckey length for aes128: expected 16 bytes, got 15"),
	BAD(ESP_HDR "enc = aes256gcm16\nenckey = " K32 "\n",
	    "t.conf:4: wrong enckey length for aes256gcm16: expected 36 bytes (32 key + 4 salt), got 32"),
	BAD(ESP_HDR "enc = chacha20poly1305\nenckey = " K16 "\n",
	    "t.conf:4: wrong enckey length for chacha20poly1305: expected 36 bytes (32 key + 4 salt), got 16"),
	BAD(ESP_HDR "auth = sha256\nauthkey = " K20 "\n",
	    "t.conf:4: wrong authkey length for sha256: expected 32 bytes, got 20"),
	BAD(ESP_HDR "enc = null\nenckey = 0x00\n" AUTH_OK,
	    "t.conf:4: wrong enckey length for null: expected 0 bytes, got 1"),
	BAD(ESP_HDR "enc = aes128\nenckey = 0xzz\n" AUTH_OK,
	    "t.conf:4: bad enckey: expected 0x followed by hex digits"),
	BAD(ESP_HDR "enc = aes128\nenckey = 0x123\n" AUTH_OK, "t.conf:4: bad enckey: odd number of hex digits"),
	BAD(ESP_HDR "auth = sha1\nauthkey = 00112233445566778899aabbccddeeff00112233\n",
	    "t.conf:4: bad authkey: expected 0x followed by hex digits"),
	/* other [sa] values */
	BAD(ESP_HDR AUTH_OK "replay-window = 5000\n",
	    "t.conf:5: bad replay-window \"5000\": expected 0..4096 packets"),
	BAD(ESP_HDR AUTH_OK "replay-window = 0\n",
	    "t.conf:5: replay-window 0 needs esn = no (ESN needs a replay window)"),
	BAD(ESP_HDR AUTH_OK "esn = maybe\n", "t.conf:5: bad esn \"maybe\": expected yes or no"),
	BAD(ESP_HDR AUTH_OK "ah-align = 32\n", "t.conf:5: ah-align is not valid on an ESP SA"),
	BAD("[sa ah.100@192.0.2.1]\nsrc = 192.0.2.2\n" AUTH_OK "ah-align = 16\n",
	    "t.conf:5: bad ah-align \"16\": expected 32 or 64"),
	BAD("[sa ah:100@2001:db8::1]\nsrc = 2001:db8::2\n" AUTH_OK "ah-align = 32\n",
	    "t.conf:5: ah-align 32 is for IPv4 only (IPv6 AH is 64-bit aligned, RFC 4302)"),
	BAD(ESP_HDR AUTH_OK "life-bytes = lots\nlife-packets = 100,50\nlife-seconds = 10,\n",
	    "t.conf:5: bad life-bytes \"lots\": expected HARD or SOFT,HARD",
	    "t.conf:6: bad life-packets \"100,50\": the soft limit must be below the hard limit",
	    "t.conf:7: bad life-seconds \"10,\": expected HARD or SOFT,HARD"),
	/* [group] */
	BAD("[group]\n", "t.conf:1: [group] needs a name, as in [group net1]"),
	BAD("[group a/b]\n", "t.conf:1: bad group name \"a/b\": use letters, digits, '.', '_' and '-'"),
	BAD("[group g]\nsaid = esp.100@192.0.2.1 esp.101@192.0.2.1 esp.102@192.0.2.1 esp.103@192.0.2.1 esp.104@192.0.2.1\n"
	    "src-ts = 10.0.1.0/24\ndst-ts = 10.0.2.0/24\n",
	    "t.conf:2: said lists 5 SAs, at most 4 allowed"),
	BAD("[group g]\nsaid = %hold\nsrc-ts = 10.0.1.0/24\ndst-ts = 10.0.2.0/24\n",
	    "t.conf:2: \"%hold\" cannot be used in a group (only %pass, %drop or %reject)"),
	BAD("[group g]\nsaid = %pass esp.100@192.0.2.1\nsrc-ts = 10.0.1.0/24\ndst-ts = 10.0.2.0/24\n",
	    "t.conf:2: \"%pass\" must be the only SAID of a group"),
	BAD("[group g]\nsaid = esp.100@192.0.2.1 esp0x100@192.0.2.1\nsrc-ts = 10.0.1.0/24\ndst-ts = 10.0.2.0/24\n",
	    "t.conf:2: \"esp0x100@192.0.2.1\" appears twice in said"),
	BAD("[group g]\nsaid = %drop\nsrc-ts = 10.0.1.0/24\ndst-ts = fd00:2::/64\n",
	    "t.conf:4: prefix \"fd00:2::/64\" is IPv6 but \"10.0.1.0/24\" is IPv4: a group's selectors must all be one family"),
	BAD("[group g]\nsaid = %drop\nsrc-ts = fd00:1::/64, 10.0.0.0/8\ndst-ts = fd00:2::/64\n",
	    "t.conf:3: prefix \"10.0.0.0/8\" is IPv4 but \"fd00:1::/64\" is IPv6: a group's selectors must all be one family"),
	BAD("[group g]\nsaid = %drop\nsrc-ts = 10.0.0.0/8,\ndst-ts = 10.0.2.0/24\n",
	    "t.conf:3: bad src-ts: empty prefix"),
	BAD("[group g]\nsaid = %drop\nsrc-ts = fd00:1::/64, fd00:3::/64, fd00:1::/64\n"
	    "dst-ts = fd00:2::/64 ,fd00:2:0::/64\n",
	    "t.conf:3: src-ts lists fd00:1::/64 twice: the kernel holds one policy per selector",
	    "t.conf:4: dst-ts lists fd00:2::/64 twice: the kernel holds one policy per selector"),
	BAD("[group g]\nsaid = %drop\nsrc-ts = 10.0.1.0/24\n"
	    "dst-ts = 10.1.0.0/16,10.2.0.0/16,10.3.0.0/16,10.4.0.0/16,10.5.0.0/16,10.6.0.0/16,10.7.0.0/16,10.8.0.0/16,10.9.0.0/16\n",
	    "t.conf:4: dst-ts lists 9 prefixes, at most 8 allowed"),
	BAD("[group g]\n\n[group h]\nsaid = %pass\n", "t.conf:1: [group g]: said is mandatory",
	    "t.conf:1: [group g]: src-ts is mandatory", "t.conf:1: [group g]: dst-ts is mandatory",
	    "t.conf:3: [group h]: src-ts is mandatory", "t.conf:3: [group h]: dst-ts is mandatory"),
	BAD("[group g]\nsaid = %drop\nsrc-ts = 10.0.1.0/24\ndst-ts = 10.0.2.0/24\nsport = 53\nproto = icmp\ndport = 1\n",
	    "t.conf:5: sport needs proto tcp, udp or sctp", "t.conf:7: dport needs proto tcp, udp or sctp"),
	BAD("[group g]\nsaid = %drop\nsrc-ts = 10.0.1.0/24\ndst-ts = 10.0.2.0/24\nsport = 0\ndport = http\n",
	    "t.conf:6: bad dport \"http\": expected 0..65535"),
	BAD("[group g]\nsaid = %drop\nsrc-ts = 10.0.1.0/24\ndst-ts = 10.0.2.0/24\nproto = gre\n",
	    "t.conf:5: bad proto \"gre\": expected tcp, udp, sctp, icmp, ipv6-icmp or 0..255"),
	BAD("[group g]\nsaid = %drop\nsrc-ts = 10.0.1.0/24\ndst-ts = 10.0.2.0/24\nproto = 256\n",
	    "t.conf:5: bad proto \"256\": expected tcp, udp, sctp, icmp, ipv6-icmp or 0..255"),
	BAD("[group g]\nsaid = %drop\nsrc-ts = 10.0.1.0/24\ndst-ts = 10.0.2.0/24\nproto = udp\ndport = 70000\n",
	    "t.conf:6: bad dport \"70000\": expected 0..65535"),
	BAD("[group g]\nsaid = %drop\nsrc-ts = 10.0.1.0/24\ndst-ts = 10.0.2.0/24\npriority = 5\ndatapath = both\n",
	    "t.conf:5: bad priority \"5\": expected 1000000..1999999",
	    "t.conf:6: bad datapath \"both\": expected auto, kernel or userspace"),
	BAD("[group g]\nsaid = %drop\nsrc-ts = 10.0.1.0/24\ndst-ts = 10.0.2.0/24\n"
	    "[group g]\nsaid = %pass\nsrc-ts = 10.0.1.0/24\ndst-ts = 10.0.2.0/24\n",
	    "t.conf:5: duplicate [group g] (first at line 1)"),
	/* several errors in one file: all reported, in file order */
	BAD("[daemon]\ndatapath = fast\n\n[sa esp.100@192.0.2.1]\nsrc = 192.0.2.2\nenc = aes128\n\n"
	    "[group g]\nsaid = esp.100@192.0.2.1\nsrc-ts = 10.0.1.0/24\ndst-ts = 10.0.2.0/24\nproto = udp\nsport = x\n",
	    "t.conf:2: bad datapath \"fast\": expected auto, kernel or userspace",
	    "t.conf:6: enc aes128 needs an enckey", "t.conf:13: bad sport \"x\": expected 0..65535"),
	BAD("[sa esp.100@192.0.2.1]\nauth = sha1\nfoo = 1\n[daemon]\nbar = 2\n",
	    "t.conf:1: [sa esp.100@192.0.2.1]: src is mandatory", "t.conf:2: auth sha1 needs an authkey",
	    "t.conf:3: unknown key \"foo\" in [sa esp.100@192.0.2.1]", "t.conf:5: unknown key \"bar\" in [daemon]"),
};

START_TEST(test_bad_configs)
{
	const struct bad_case *b = &bad_cases[_i];

	expect_errors(b->text, b->want, b->tline);
}
END_TEST

/* Three errors in three sections of one file. */
START_TEST(test_three_errors)
{
	static const char text[] = "[daemon]\n"
				   "  mount = /run/x\n"
				   "  said-format = klips\n"
				   "\n"
				   "[sa esp.100@192.0.2.1]\n"
				   "  src = 192.0.2.2\n"
				   "  enc = aes128\n"
				   "  enckey = " K15 "\n"
				   "  auth = sha1\n"
				   "  authkey = " K20 "\n"
				   "\n"
				   "[group g]\n"
				   "  said = esp.100@192.0.2.1\n"
				   "  src-ts = 10.0.1.0/24\n"
				   "  dst-ts = 10.0.2.0/24\n"
				   "  src-ts = 10.0.3.0/24\n";
	static const char *const want[] = {
		"t.conf:3: bad said-format \"klips\": expected seed or x",
		"t.conf:8: wrong enckey length for aes128: expected 16 bytes, got 15",
		"t.conf:16: duplicate key \"src-ts\" (first at line 14)",
		NULL,
	};

	expect_errors(text, want, __LINE__);
}
END_TEST

/* Messages that embed said.c's own wording: built from said.c's output. */
START_TEST(test_said_dependent_errors)
{
	struct cfg_errors e = { 0 };
	char err[256], want[512];
	struct said s;
	struct ip_prefix pfx;
	struct ip_addr a;
	struct cfg *c;

	/* bad SAID in a header */
	ck_assert_int_ne(said_parse("esp.zz@192.0.2.1", &s, err, sizeof(err)), 0);
	snprintf(want, sizeof(want), "t.conf:1: %s", err);
	c = parse_text("[sa esp.zz@192.0.2.1]\nsrc = 192.0.2.2\n", &e);
	ck_assert_ptr_null(c);
	ck_assert_uint_eq(e.n, 1);
	ck_assert_str_eq(e.msg[0], want);
	cfg_errors_free(&e);

	/* bad SAID in said = */
	ck_assert_int_ne(said_parse("esp.100@host.example", &s, err, sizeof(err)), 0);
	snprintf(want, sizeof(want), "t.conf:2: said: %s", err);
	c = parse_text("[group g]\nsaid = esp.100@host.example\nsrc-ts = 10.0.0.0/8\ndst-ts = 10.1.0.0/16\n", &e);
	ck_assert_ptr_null(c);
	ck_assert_uint_eq(e.n, 1);
	ck_assert_str_eq(e.msg[0], want);
	cfg_errors_free(&e);

	/* bad src */
	ck_assert_int_ne(ip_addr_parse("192.0.2.300", &a, err, sizeof(err)), 0);
	snprintf(want, sizeof(want), "t.conf:2: src: %s", err);
	c = parse_text("[sa esp.100@192.0.2.1]\nsrc = 192.0.2.300\n" AUTH_OK, &e);
	ck_assert_ptr_null(c);
	ck_assert_uint_eq(e.n, 1);
	ck_assert_str_eq(e.msg[0], want);
	cfg_errors_free(&e);

	/* bad prefixes: host bits set, length too long */
	ck_assert_int_ne(ip_prefix_parse("10.0.1.1/24", &pfx, err, sizeof(err)), 0);
	snprintf(want, sizeof(want), "t.conf:3: src-ts: %s", err);
	c = parse_text("[group g]\nsaid = %pass\nsrc-ts = 10.0.1.1/24\ndst-ts = 10.0.2.0/24\n", &e);
	ck_assert_ptr_null(c);
	ck_assert_uint_eq(e.n, 1);
	ck_assert_str_eq(e.msg[0], want);
	cfg_errors_free(&e);

	ck_assert_int_ne(ip_prefix_parse("fd00::/129", &pfx, err, sizeof(err)), 0);
	snprintf(want, sizeof(want), "t.conf:4: dst-ts: %s", err);
	c = parse_text("[group g]\nsaid = %pass\nsrc-ts = fd00:1::/64\ndst-ts = fd00::/129\n", &e);
	ck_assert_ptr_null(c);
	ck_assert_uint_eq(e.n, 1);
	ck_assert_str_eq(e.msg[0], want);
	cfg_errors_free(&e);

	/* CPI 0x10000: refused by said_parse or by the CPI range check */
	if (said_parse("comp.10000@192.0.2.1", &s, err, sizeof(err)))
		snprintf(want, sizeof(want), "t.conf:1: %s", err);
	else
		snprintf(want, sizeof(want),
			 "t.conf:1: [sa comp.10000@192.0.2.1]: CPI 0x10000 is out of range (0x100..0xffff)");
	c = parse_text("[sa comp.10000@192.0.2.1]\nsrc = 192.0.2.2\ncomp = deflate\n", &e);
	ck_assert_ptr_null(c);
	ck_assert_uint_eq(e.n, 1);
	ck_assert_str_eq(e.msg[0], want);
	cfg_errors_free(&e);

	/* an int SA that is not magic */
	if (said_parse("int.200@192.0.2.1", &s, err, sizeof(err)))
		snprintf(want, sizeof(want), "t.conf:1: %s", err);
	else
		snprintf(want, sizeof(want),
			 "t.conf:1: [sa int.200@192.0.2.1]: only esp, ah, comp and tun SAs can be configured");
	c = parse_text("[sa int.200@192.0.2.1]\nsrc = 192.0.2.2\n", &e);
	ck_assert_ptr_null(c);
	ck_assert_uint_eq(e.n, 1);
	ck_assert_str_eq(e.msg[0], want);
	cfg_errors_free(&e);
}
END_TEST

/* ---- good configs ---- */

static struct said said_of(const char *text)
{
	char err[256];
	struct said s;

	ck_assert_msg(said_parse(text, &s, err, sizeof(err)) == 0, "%s: %s", text, err);
	return s;
}

static struct ip_addr addr_of(const char *text)
{
	char err[256];
	struct ip_addr a;

	ck_assert_msg(ip_addr_parse(text, &a, err, sizeof(err)) == 0, "%s: %s", text, err);
	return a;
}

START_TEST(test_defaults)
{
	struct cfg *c = parse_ok("# nothing but a comment\n");

	ck_assert_str_eq(c->path, "t.conf");
	ck_assert_str_eq(c->mount, CFG_DEFAULT_MOUNT);
	ck_assert_str_eq(c->control, CFG_DEFAULT_CONTROL);
	ck_assert_str_eq(c->state_dir, CFG_DEFAULT_STATE_DIR);
	ck_assert_ptr_null(c->secrets);
	ck_assert_ptr_null(c->control_group);
	ck_assert_int_eq(c->datapath, CFG_DP_AUTO);
	ck_assert_int_eq(c->said_format, CFG_SAID_SEED);
	ck_assert(c->install_routes);
	ck_assert(!c->keep_on_exit);
	ck_assert_uint_eq(c->route_table, CFG_DEFAULT_ROUTE_TABLE);
	ck_assert_str_eq(c->tun_device, "spigrp0");
	ck_assert_uint_eq(c->fwmark, 0x53470000u);
	ck_assert_uint_eq(c->fwmask, 0xffff0000u);
	ck_assert_uint_eq(c->dp_batch, 64);
	ck_assert_uint_eq(c->nsa, 0);
	ck_assert_uint_eq(c->ngroup, 0);
	cfg_free(c);
}
END_TEST

START_TEST(test_daemon_values)
{
	struct cfg *c = parse_ok("[daemon]\n"
				 "mount = /srv/view\n"
				 "control = /srv/ctl\n"
				 "state-dir = /srv/state\n"
				 "datapath = userspace\n"
				 "said-format = x\n"
				 "install-routes = no\n"
				 "keep-on-exit = yes\n"
				 "control-group = ipsec\n"
				 "route-table = 0x1000\n"
				 "tun-device = ipsec-dp.1\n"
				 "fwmark = 0x42\n"
				 "dp-batch = 16\n");

	ck_assert_str_eq(c->mount, "/srv/view");
	ck_assert_str_eq(c->control, "/srv/ctl");
	ck_assert_str_eq(c->state_dir, "/srv/state");
	ck_assert_int_eq(c->datapath, CFG_DP_USERSPACE);
	ck_assert_int_eq(c->said_format, CFG_SAID_X);
	ck_assert(!c->install_routes);
	ck_assert(c->keep_on_exit);
	ck_assert_str_eq(c->control_group, "ipsec");
	ck_assert_uint_eq(c->route_table, 0x1000);
	ck_assert_str_eq(c->tun_device, "ipsec-dp.1");
	ck_assert_uint_eq(c->fwmark, 0x42);
	ck_assert_uint_eq(c->fwmask, 0xffffffffu);
	ck_assert_uint_eq(c->dp_batch, 16);
	cfg_free(c);
}
END_TEST

/* [daemon] paths: stored without repeated or trailing slashes; the limits
 * are exact (a prefix that is not a path component is no overlap). */
START_TEST(test_daemon_paths)
{
	struct cfg *c = parse_ok("[daemon]\n"
				 "mount = //run//x/\n"
				 "control = /run/xy\n"
				 "state-dir = /run/x2/\n");

	ck_assert_str_eq(c->mount, "/run/x");
	ck_assert_str_eq(c->control, "/run/xy");
	ck_assert_str_eq(c->state_dir, "/run/x2");
	cfg_free(c);
	c = parse_ok("[daemon]\nmount = /devices\ncontrol = /run/" X10 X10 X10 X10 X10 X10 X10 X10 X10 X10
		     "xx\nstate-dir = /procs\n");
	ck_assert_uint_eq(strlen(c->control), 107);
	ck_assert_str_eq(c->mount, "/devices");
	cfg_free(c);
	/* the view may sit next to the state, or the socket in /dev */
	c = parse_ok("[daemon]\nmount = /var/lib/spigrpd/view\ncontrol = /dev/spigrpd.ctl\n");
	ck_assert_str_eq(c->control, "/dev/spigrpd.ctl");
	cfg_free(c);
	/* /mnt is there for mounts; below a system directory is fine */
	c = parse_ok("[daemon]\nmount = /mnt\nstate-dir = /etc/spigrpd/state\n");
	ck_assert_str_eq(c->mount, "/mnt");
	ck_assert_str_eq(c->state_dir, "/etc/spigrpd/state");
	cfg_free(c);
}
END_TEST

/* Paths and secrets longer than a path can be: refused, quoted cut. */
START_TEST(test_path_max)
{
	size_t n = PATH_MAX + 10, i;
	char *text = malloc(n + 64), *p, want[256];
	const char *w[2] = { want, NULL };

	ck_assert_ptr_nonnull(text);
	p = text + sprintf(text, "[daemon]\nstate-dir = /");
	for (i = 0; i < n; i++)
		*p++ = i % 100 == 99 ? '/' : 's';
	strcpy(p, "\n");
	snprintf(want, sizeof(want), "t.conf:2: bad state-dir \"/%.63s...\": longer than a path can be",
		 text + strlen("[daemon]\nstate-dir = /"));
	expect_errors(text, w, __LINE__);
	p = text + sprintf(text, "[daemon]\nsecrets = ");
	memset(p, 'k', n);
	strcpy(p + n, "\n");
	snprintf(want, sizeof(want), "t.conf:2: bad secrets \"%.64s...\": longer than a path can be (%d bytes)",
		 p, PATH_MAX - 1);
	expect_errors(text, w, __LINE__);
	free(text);
}
END_TEST

/* A line of @n bytes: @head, then @fill repeated, then @tail. */
static char *long_line(const char *head, char fill, size_t n, const char *tail)
{
	size_t h = strlen(head), t = strlen(tail);
	char *s = malloc(h + n + t + 1);

	ck_assert_ptr_nonnull(s);
	memcpy(s, head, h);
	memset(s + h, fill, n);
	memcpy(s + h + n, tail, t + 1);
	return s;
}

/* Every quote of the input in a message is cut at CFG_QUOTE_MAX bytes:
 * a 1 MiB value gives a short line, not a 1 MiB one. */
START_TEST(test_quote_caps)
{
	const size_t big = 1 << 20;
	char x64[CFG_QUOTE_MAX + 1], want[8][512];
	const char *w[9];
	char *text, *lines[8];
	struct cfg_errors e = { 0 };
	struct cfg *c;
	size_t i;

	memset(x64, 'x', CFG_QUOTE_MAX);
	x64[CFG_QUOTE_MAX] = '\0';
	lines[0] = long_line("[daemon]\ndatapath = ", 'x', big, "\n");
	lines[1] = long_line("[daemon]\n", 'x', big, " = 1\n");
	lines[2] = long_line("[", 'x', big, "]\n");
	lines[3] = long_line("[group ", 'x', big, "]\n");
	lines[4] = long_line("[group g]\nsaid = %drop\nsrc-ts = 10.0.0.0/8, ", 'x', big, "\ndst-ts = 10.1.0.0/16\n");
	lines[5] = long_line(ESP_HDR AUTH_OK "life-bytes = ", 'x', big, "\n");
	lines[6] = long_line("[group g]\nsaid = %drop ", 'x', big, "\nsrc-ts = 10.0.0.0/8\ndst-ts = 10.1.0.0/16\n");
	snprintf(want[0], 512, "t.conf:2: bad datapath \"%s...\": expected auto, kernel or userspace", x64);
	snprintf(want[1], 512, "t.conf:2: unknown key \"%s...\" in [daemon]", x64);
	snprintf(want[2], 512, "t.conf:1: unknown section [%s...]", x64);
	snprintf(want[3], 512, "t.conf:1: bad group name \"%s...\": longer than 128 bytes", x64);
	for (i = 0; i < 7; i++) {
		c = parse_text(lines[i], &e);
		ck_assert_ptr_null(c);
		ck_assert_uint_ge(e.n, 1);
		if (i < 4)
			ck_assert_str_eq(e.msg[0], want[i]);
		for (size_t j = 0; j < e.n; j++) /* said.c's own messages included */
			ck_assert_msg(strlen(e.msg[j]) < 512, "case %zu: a line of %zu bytes", i,
				      strlen(e.msg[j]));
		cfg_errors_free(&e);
		free(lines[i]);
	}

	/* never half a UTF-8 character: 64 bytes of "é" are 32 of them */
	text = malloc(200 * 2 + 64);
	ck_assert_ptr_nonnull(text);
	strcpy(text, "[daemon]\nsaid-format = ");
	for (i = 0; i < 200; i++)
		strcat(text, "\xc3\xa9");
	strcpy(want[0], "t.conf:2: bad said-format \"");
	for (i = 0; i < 32; i++)
		strcat(want[0], "\xc3\xa9");
	strcat(want[0], "...\": expected seed or x");
	w[0] = want[0];
	w[1] = NULL;
	expect_errors(text, w, __LINE__);
	free(text);

	/* a quote that escaping makes longer: 64 input bytes, 4 bytes each */
	text = long_line("[daemon]\ninstall-routes = ", '\x01', 100, "\n");
	strcpy(want[0], "t.conf:2: bad install-routes \"");
	for (i = 0; i < 64; i++)
		strcat(want[0], "\\x01");
	strcat(want[0], "...\": expected yes or no");
	expect_errors(text, w, __LINE__);
	free(text);
}
END_TEST

/* cfg_errors_add() cuts what others hand it at CFG_ERROR_MAX bytes. */
START_TEST(test_errors_cap)
{
	struct cfg_errors e = { 0 };
	char *big = malloc(1 << 20);

	ck_assert_ptr_nonnull(big);
	memset(big, 'v', (1 << 20) - 1);
	big[(1 << 20) - 1] = '\0';
	cfg_errors_add(&e, "f.conf", 7, "group %s: no", big);
	ck_assert_uint_eq(e.n, 1);
	ck_assert_uint_eq(strlen(e.msg[0]), CFG_ERROR_MAX + 3);
	ck_assert(!strncmp(e.msg[0], "f.conf:7: group vvv", 19));
	ck_assert_str_eq(e.msg[0] + CFG_ERROR_MAX, "...");
	cfg_errors_free(&e);
	free(big);
}
END_TEST

/* dir_line / mode_line: where sadb's direction and mode errors point. */
START_TEST(test_key_lines)
{
	struct cfg *c = parse_ok("[sa comp.300@192.0.2.2]\n"
				 "src = 192.0.2.1\n"
				 "comp = deflate\n"
				 "mode = tunnel\n"
				 "dir = out\n"
				 "[sa comp.301@192.0.2.2]\n"
				 "src = 192.0.2.1\n"
				 "comp = deflate\n");

	ck_assert_uint_eq(c->sa[0].line, 1);
	ck_assert_uint_eq(c->sa[0].mode_line, 4);
	ck_assert_uint_eq(c->sa[0].dir_line, 5);
	ck_assert_uint_eq(c->sa[1].line, 6);
	ck_assert_uint_eq(c->sa[1].mode_line, 0);
	ck_assert_uint_eq(c->sa[1].dir_line, 0);
	cfg_free(c);
}
END_TEST

/* Indentation, tabs, CRLF, comments after white space, spaces around '='. */
START_TEST(test_indented)
{
	struct cfg *c = parse_ok("  # indented comment\r\n"
				 "\t; another\r\n"
				 "  [ sa   esp.100@192.0.2.1 ]  \r\n"
				 "\tsrc=192.0.2.2\r\n"
				 "    enc   =   aes128   \r\n"
				 "\t enckey =\t" K16 "\r\n"
				 "   auth = sha1\r\n"
				 "   authkey = " K20 "\r\n"
				 "\r\n"
				 " [group\tg-1.a_b]\r\n"
				 "     said = esp.100@192.0.2.1\r\n"
				 "     src-ts = 10.0.1.0/24 ,  10.0.3.0/24\r\n"
				 "     dst-ts = 10.0.2.0/24\r\n");
	const struct cfg_sa *sa;
	const struct cfg_group *g;

	ck_assert_uint_eq(c->nsa, 1);
	sa = &c->sa[0];
	ck_assert_uint_eq(sa->line, 3);
	ck_assert_uint_eq(sa->said.proto, SAID_PROTO_ESP);
	ck_assert_uint_eq(sa->said.spi, 0x100);
	ck_assert_ptr_eq(sa->enc, alg_find("aes128", ALG_ENC));
	ck_assert_ptr_eq(sa->auth, alg_find("sha1", ALG_AUTH));
	check_key(&sa->enckey, 16);
	check_key(&sa->authkey, 20);
	ck_assert_uint_eq(c->ngroup, 1);
	g = &c->group[0];
	ck_assert_str_eq(g->name, "g-1.a_b");
	ck_assert_uint_eq(g->line, 10);
	ck_assert_uint_eq(g->said_line, 11);
	ck_assert_uint_eq(g->nsaid, 1);
	ck_assert_uint_eq(g->nsrc_ts, 2);
	ck_assert_uint_eq(g->src_ts[1].len, 24);
	ck_assert_uint_eq(g->src_ts[1].addr.b[2], 3);
	ck_assert_uint_eq(g->ndst_ts, 1);
	cfg_free(c);
}
END_TEST

/* Every [sa] and [group] key, with the values they must give. */
static const char every_key_conf[] =
	"[sa esp:1000@2001:db8::1]\n"
	"src = 2001:db8::2\n"
	"dir = out\n"
	"mode = tunnel\n"
	"enc = aes256gcm16\n"
	"enckey = " K36 "\n"
	"replay-window = 4096\n"
	"esn = no\n"
	"life-bytes = 1000000000,2000000000\n"
	"life-packets = 5000\n"
	"life-seconds = 0x0e10 , 0x1c20\n"
	"[sa ah.187a101a@192.168.2.110]\n"
	"src = 192.168.2.100\n"
	"dir = in\n"
	"mode = transport\n"
	"auth = sha512\n"
	"authkey = " K64 "\n"
	"ah-align = 64\n"
	"replay-window = 0\n"
	"esn = no\n"
	"[sa ah:200@2001:db8::1]\n"
	"src = 2001:db8::2\n"
	"auth = sha384\n"
	"authkey = " K32 H16 "\n"
	"[sa esp.101@192.0.2.1]\n"
	"src = 192.0.2.2\n"
	"enc = null\n"
	"auth = sha256\n"
	"authkey = " K32 "\n"
	"[sa comp.3d0@192.0.2.1]\n"
	"src = 192.0.2.2\n"
	"comp = deflate\n"
	"life-seconds = 100\n"
	"[sa tun.3d0@192.0.2.1]\n"
	"src = 192.0.2.2\n"
	"dir = out\n"
	"[group web]\n"
	"said = esp.101@192.0.2.1 ah.187a101a@192.168.2.110\n"
	"src-ts = 10.0.1.0/24, 10.0.3.7\n"
	"dst-ts = 0.0.0.0/0\n"
	"proto = tcp\n"
	"sport = 1024\n"
	"dport = 443\n"
	"datapath = kernel\n"
	"priority = 1500000\n"
	"[group block]\n"
	"said = %reject\n"
	"src-ts = fd00:1::/64\n"
	"dst-ts = fd00:2::/64\n"
	"proto = ipv6-icmp\n"
	"[group num]\n"
	"said = %drop\n"
	"src-ts = 10.0.0.0/8\n"
	"dst-ts = 10.0.0.0/8\n"
	"proto = 47\n";

static void check_every_sa_key(const struct cfg *c)
{
	const struct cfg_sa *sa;
	struct ip_addr a6 = addr_of("2001:db8::2");

	ck_assert_uint_eq(c->nsa, 6);
	sa = &c->sa[0];
	ck_assert_uint_eq(sa->line, 1);
	ck_assert(ip_addr_equal(&sa->src, &a6));
	ck_assert_int_eq(sa->dir, CFG_DIR_OUT);
	ck_assert_int_eq(sa->mode, CFG_MODE_TUNNEL);
	ck_assert_str_eq(sa->enc->name, "aes256gcm16");
	ck_assert_int_eq(sa->enc->kind, ALG_AEAD);
	ck_assert_ptr_null(sa->auth);
	check_key(&sa->enckey, 36);
	ck_assert_uint_eq(sa->replay_window, 4096);
	ck_assert(!sa->esn);
	ck_assert(sa->esn_set);
	ck_assert_uint_eq(sa->ah_align, 0);
	ck_assert_uint_eq(sa->life.soft_bytes, 1000000000);
	ck_assert_uint_eq(sa->life.hard_bytes, 2000000000);
	ck_assert_uint_eq(sa->life.soft_packets, 0);
	ck_assert_uint_eq(sa->life.hard_packets, 5000);
	ck_assert_uint_eq(sa->life.soft_seconds, 3600);
	ck_assert_uint_eq(sa->life.hard_seconds, 7200);

	sa = &c->sa[1];
	ck_assert_uint_eq(sa->line, 12);
	ck_assert_uint_eq(sa->said.spi, 0x187a101a);
	ck_assert_int_eq(sa->dir, CFG_DIR_IN);
	ck_assert_int_eq(sa->mode, CFG_MODE_TRANSPORT);
	ck_assert_str_eq(sa->auth->kernel_name, "hmac(sha512)");
	check_key(&sa->authkey, 64);
	ck_assert_ptr_null(sa->enckey.data);
	ck_assert_uint_eq(sa->ah_align, 64);
	ck_assert_uint_eq(sa->replay_window, 0);
	ck_assert(!sa->esn);

	sa = &c->sa[2]; /* IPv6 AH: defaults */
	ck_assert_uint_eq(sa->ah_align, 64);
	ck_assert_uint_eq(sa->replay_window, 32);
	ck_assert(sa->esn);
	ck_assert(!sa->esn_set);
	ck_assert_int_eq(sa->dir, CFG_DIR_AUTO);
	ck_assert_int_eq(sa->mode, CFG_MODE_UNSET);
	check_key(&sa->authkey, 48);

	sa = &c->sa[3]; /* null enc + auth: no enckey needed */
	ck_assert_str_eq(sa->enc->kernel_name, "ecb(cipher_null)");
	ck_assert_uint_eq(sa->enckey.len, 0);
	ck_assert_uint_eq(sa->replay_window, 32);
	ck_assert(sa->esn);

	sa = &c->sa[4]; /* comp */
	ck_assert_str_eq(sa->comp->kernel_name, "deflate");
	ck_assert_uint_eq(sa->said.spi, 0x3d0);
	ck_assert_uint_eq(sa->replay_window, 0);
	ck_assert(!sa->esn);
	ck_assert_uint_eq(sa->life.hard_seconds, 100);

	sa = &c->sa[5]; /* tun */
	ck_assert_uint_eq(sa->said.proto, SAID_PROTO_TUN);
	ck_assert_ptr_null(sa->enc);
	ck_assert_ptr_null(sa->auth);
	ck_assert_ptr_null(sa->comp);
}

static void check_every_group_key(const struct cfg *c)
{
	const struct cfg_group *g;

	ck_assert_uint_eq(c->ngroup, 3);
	g = &c->group[0];
	ck_assert_str_eq(g->name, "web");
	ck_assert_uint_eq(g->line, 37);
	ck_assert_uint_eq(g->said_line, 38);
	ck_assert_uint_eq(g->nsaid, 2);
	ck_assert(said_equal(&g->said[0], &c->sa[3].said));
	ck_assert(said_equal(&g->said[1], &c->sa[1].said));
	ck_assert_uint_eq(g->nsrc_ts, 2);
	ck_assert_uint_eq(g->src_ts[0].len, 24);
	ck_assert_uint_eq(g->src_ts[1].len, 32);
	ck_assert_uint_eq(g->ndst_ts, 1);
	ck_assert_uint_eq(g->dst_ts[0].len, 0);
	ck_assert_uint_eq(g->proto, 6);
	ck_assert_uint_eq(g->sport, 1024);
	ck_assert_uint_eq(g->dport, 443);
	ck_assert_int_eq(g->datapath, CFG_DP_KERNEL);
	ck_assert_uint_eq(g->priority, 1500000);

	g = &c->group[1];
	ck_assert_uint_eq(g->nsaid, 1);
	ck_assert_uint_eq(g->said[0].proto, SAID_PROTO_INT);
	ck_assert_uint_eq(g->said[0].spi, SAID_SPI_REJECT);
	ck_assert_uint_eq(g->proto, 58);
	ck_assert_uint_eq(g->src_ts[0].addr.family, AF_INET6);
	ck_assert_int_eq(g->datapath, CFG_DP_AUTO);
	ck_assert_uint_eq(g->priority, 0);

	g = &c->group[2];
	ck_assert_uint_eq(g->said[0].spi, SAID_SPI_DROP);
	ck_assert_uint_eq(g->proto, 47);
}

START_TEST(test_sa_group_values)
{
	struct cfg *c = parse_ok(every_key_conf);

	check_every_sa_key(c);
	check_every_group_key(c);
	cfg_free(c);
}
END_TEST

/* KLIPS's algorithm names: an ESP transform in enc sets enc and auth (and
 * takes enckey and authkey); auth takes hmac-md5-96 and hmac-sha1-96. */
START_TEST(test_klips_alg_names)
{
	struct cfg *c = parse_ok(ESP_HDR "enc = 3des-md5-96\nenckey = 0x" H16 H4 H4 "\nauthkey = " K16 "\n"
				 "[sa esp.101@192.0.2.1]\nsrc = 192.0.2.2\nenc = null-sha1-96\nauthkey = " K20 "\n"
				 "[sa esp.102@192.0.2.1]\nsrc = 192.0.2.2\nenc = des\nenckey = 0x" H4 H4 "\n"
				 "auth = md5\nauthkey = " K16 "\n"
				 "[sa ah.103@192.0.2.1]\nsrc = 192.0.2.2\nauth = hmac-md5-96\nauthkey = " K16 "\n"
				 "[sa ah.104@192.0.2.1]\nsrc = 192.0.2.2\nauth = hmac-sha1-96\nauthkey = " K20 "\n");

	ck_assert_uint_eq(c->nsa, 5);
	ck_assert_str_eq(c->sa[0].enc->name, "3des");
	ck_assert_str_eq(c->sa[0].auth->kernel_name, "hmac(md5)");
	ck_assert_uint_eq(c->sa[0].auth->icv_bits, 96);
	ck_assert_uint_eq(c->sa[0].authkey.len, 16);
	ck_assert_str_eq(c->sa[1].enc->name, "null");
	ck_assert_str_eq(c->sa[1].auth->name, "sha1");
	ck_assert_str_eq(c->sa[2].enc->kernel_name, "cbc(des)");
	ck_assert_uint_eq(c->sa[2].enckey.len, 8);
	ck_assert_str_eq(c->sa[2].auth->name, "md5");
	ck_assert_str_eq(c->sa[3].auth->name, "md5");
	ck_assert_str_eq(c->sa[4].auth->name, "sha1");
	cfg_free(c);
}
END_TEST

/* No line length limit: a long said = line, a long comment. */
START_TEST(test_long_lines)
{
	size_t pad = 6000, n;
	char *text, *s;
	struct cfg *c;

	text = malloc(3 * pad + 1024);
	ck_assert_ptr_nonnull(text);
	s = text;
	s += sprintf(s, "#");
	memset(s, 'c', pad);
	s += pad;
	s += sprintf(s, "\n" ESP_HDR AUTH_OK "[sa esp.101@192.0.2.1]\nsrc = 192.0.2.2\n" AUTH_OK);
	s += sprintf(s, "[group long]\nsaid = esp.100@192.0.2.1");
	memset(s, ' ', pad);
	s += pad;
	s += sprintf(s, "esp.101@192.0.2.1\t");
	memset(s, '\t', pad);
	s += pad;
	s += sprintf(s, "\nsrc-ts = 10.0.1.0/24\ndst-ts = 10.0.2.0/24\n");
	n = strlen(text);
	ck_assert_uint_gt(n, 3 * 4096);
	c = parse_ok(text);
	ck_assert_uint_eq(c->ngroup, 1);
	ck_assert_uint_eq(c->group[0].nsaid, 2);
	ck_assert_uint_eq(c->group[0].said_line, 11);
	ck_assert_uint_eq(c->group[0].said[1].spi, 0x101);
	cfg_free(c);
	free(text);
}
END_TEST

START_TEST(test_find_sa)
{
	struct cfg *c = parse_ok(ESP_HDR AUTH_OK "[sa esp:100@2001:db8::1]\nsrc = 2001:db8::2\n" AUTH_OK);
	struct said s;

	s = said_of("esp0x100@192.0.2.1");
	ck_assert_ptr_eq(cfg_find_sa(c, &s), &c->sa[0]);
	s = said_of("esp256@192.0.2.1");
	ck_assert_ptr_eq(cfg_find_sa(c, &s), &c->sa[0]);
	s = said_of("esp:100@2001:db8:0::1");
	ck_assert_ptr_eq(cfg_find_sa(c, &s), &c->sa[1]);
	s = said_of("ah.100@192.0.2.1");
	ck_assert_ptr_null(cfg_find_sa(c, &s));
	s = said_of("esp.101@192.0.2.1");
	ck_assert_ptr_null(cfg_find_sa(c, &s));
	cfg_free(c);
}
END_TEST

/* Many SAs: the hash index finds each and flags a late duplicate. */
START_TEST(test_many_sas)
{
	struct cfg_parser *p;
	struct cfg_errors e = { 0 };
	char line[128];
	struct cfg *c;
	unsigned i;
	struct said s;

	p = cfg_parser_new("big.conf", &e);
	for (i = 0; i < 3000; i++) {
		snprintf(line, sizeof(line), "[sa esp.%x@10.%u.%u.1]", 0x1000 + i, i / 256, i % 256);
		cfg_parser_line(p, line);
		cfg_parser_line(p, "src = 192.0.2.2");
		cfg_parser_line(p, "auth = sha1");
		cfg_parser_line(p, "authkey = " K20);
	}
	c = cfg_parser_finish(p);
	ck_assert_ptr_nonnull(c);
	ck_assert_uint_eq(c->nsa, 3000);
	for (i = 0; i < 3000; i += 7) {
		snprintf(line, sizeof(line), "esp0x%x@10.%u.%u.1", 0x1000 + i, i / 256, i % 256);
		s = said_of(line);
		ck_assert_ptr_eq(cfg_find_sa(c, &s), &c->sa[i]);
	}
	cfg_free(c);

	p = cfg_parser_new("big.conf", &e);
	for (i = 0; i < 2000; i++) {
		snprintf(line, sizeof(line), "[sa esp.%x@192.0.2.1]", 0x1000 + (i == 1999 ? 17 : i));
		cfg_parser_line(p, line);
		cfg_parser_line(p, "src = 192.0.2.2");
		cfg_parser_line(p, "auth = sha1");
		cfg_parser_line(p, "authkey = " K20);
	}
	ck_assert_ptr_null(cfg_parser_finish(p));
	ck_assert_uint_eq(e.n, 1);
	ck_assert_str_eq(e.msg[0], "big.conf:7997: duplicate [sa esp.1011@192.0.2.1] (first at line 69)");
	cfg_errors_free(&e);
}
END_TEST

START_TEST(test_key_copy_clear)
{
	struct cfg_key a = { 0 }, b = { 0 };

	a.data = malloc(4);
	memcpy(a.data, h4, 4);
	a.len = 4;
	ck_assert_int_eq(cfg_key_copy(&b, &a), 0);
	ck_assert_ptr_ne(b.data, a.data);
	check_key(&b, 4);
	cfg_key_clear(&a);
	ck_assert_ptr_null(a.data);
	ck_assert_uint_eq(a.len, 0);
	check_key(&b, 4);
	cfg_key_clear(&b);
	ck_assert_int_eq(cfg_key_copy(&b, &a), 0);
	ck_assert_ptr_null(b.data);
	ck_assert_uint_eq(b.len, 0);
	cfg_key_clear(NULL);
}
END_TEST

START_TEST(test_errors_add)
{
	struct cfg_errors e = { 0 };

	cfg_errors_add(&e, "f.conf", 12, "duplicate key \"%s\" (first at line %u)", "enc", 9u);
	cfg_errors_add(&e, "f.conf", 0, "cannot open: %s", "gone");
	ck_assert_uint_eq(e.n, 2);
	ck_assert_str_eq(e.msg[0], "f.conf:12: duplicate key \"enc\" (first at line 9)");
	ck_assert_str_eq(e.msg[1], "f.conf: cannot open: gone");
	/* the file name and the text alike: no raw control byte gets through */
	cfg_errors_add(&e, "a\nb", 3, "bad \"%s\"", "\033]0;x\x07");
	ck_assert_uint_eq(e.n, 3);
	ck_assert_str_eq(e.msg[2], "a\\x0ab:3: bad \"\\x1b]0;x\\x07\"");
	cfg_errors_free(&e);
	ck_assert_uint_eq(e.n, 0);
	ck_assert_ptr_null(e.msg);
}
END_TEST

/* Errors already in the list stay; a new parse only adds its own. */
START_TEST(test_errors_accumulate)
{
	struct cfg_errors e = { 0 };
	struct cfg *c;

	cfg_errors_add(&e, "x", 1, "earlier");
	c = parse_text("[daemon]\n", &e);
	ck_assert_ptr_nonnull(c);
	ck_assert_uint_eq(e.n, 1);
	cfg_free(c);
	c = parse_text("[daemon]\nx = 1\n", &e);
	ck_assert_ptr_null(c);
	ck_assert_uint_eq(e.n, 2);
	ck_assert_str_eq(e.msg[0], "x:1: earlier");
	ck_assert_str_eq(e.msg[1], "t.conf:2: unknown key \"x\" in [daemon]");
	cfg_errors_free(&e);
}
END_TEST

/* The shipped example parses to the seed's two groups. */
START_TEST(test_seed_only_conf)
{
	const char *top = getenv("top_srcdir");
	char path[4096], *line = NULL;
	size_t cap = 0;
	ssize_t n;
	struct cfg_errors e = { 0 };
	struct cfg_parser *p;
	struct cfg *c;
	FILE *f;

	snprintf(path, sizeof(path), "%s/contrib/seed-only.conf", top ? top : ".");
	f = fopen(path, "r");
	ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
	p = cfg_parser_new(path, &e);
	while ((n = getline(&line, &cap, f)) >= 0) {
		if (n && line[n - 1] == '\n')
			line[n - 1] = '\0';
		cfg_parser_line(p, line);
	}
	free(line);
	fclose(f);
	c = cfg_parser_finish(p);
	if (!c)
		dump_errors(&e);
	ck_assert_ptr_nonnull(c);
	ck_assert_uint_eq(c->nsa, 7);
	ck_assert_uint_eq(c->ngroup, 2);
	ck_assert_str_eq(c->group[0].name, "seed4");
	ck_assert_uint_eq(c->group[0].nsaid, 3);
	ck_assert_uint_eq(c->group[0].said[0].proto, SAID_PROTO_COMP);
	ck_assert_uint_eq(c->group[0].said[0].spi, 0x3d0);
	ck_assert_uint_eq(c->group[0].said[2].spi, 0x187a101a);
	ck_assert_str_eq(c->group[1].name, "seed6");
	ck_assert_uint_eq(c->group[1].nsaid, 4);
	ck_assert_uint_eq(c->group[1].said[0].proto, SAID_PROTO_TUN);
	ck_assert_int_eq(c->sa[0].mode, CFG_MODE_TUNNEL);
	ck_assert_str_eq(c->sa[1].auth->name, "sha256");
	cfg_free(c);
}
END_TEST

static Suite *cfg_suite(void)
{
	Suite *s = suite_create("cfg");
	TCase *tc;

	tc = tcase_create("bad");
	tcase_add_loop_test(tc, test_bad_configs, 0, (int)(sizeof(bad_cases) / sizeof(bad_cases[0])));
	tcase_add_test(tc, test_three_errors);
	tcase_add_test(tc, test_said_dependent_errors);
	suite_add_tcase(s, tc);

	tc = tcase_create("good");
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_daemon_values);
	tcase_add_test(tc, test_daemon_paths);
	tcase_add_test(tc, test_path_max);
	tcase_add_test(tc, test_quote_caps);
	tcase_add_test(tc, test_errors_cap);
	tcase_add_test(tc, test_key_lines);
	tcase_add_test(tc, test_indented);
	tcase_add_test(tc, test_sa_group_values);
	tcase_add_test(tc, test_klips_alg_names);
	tcase_add_test(tc, test_long_lines);
	tcase_add_test(tc, test_find_sa);
	tcase_add_test(tc, test_many_sas);
	tcase_add_test(tc, test_key_copy_clear);
	tcase_add_test(tc, test_errors_add);
	tcase_add_test(tc, test_errors_accumulate);
	tcase_add_test(tc, test_seed_only_conf);
	suite_add_tcase(s, tc);

	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(cfg_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

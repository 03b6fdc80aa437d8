/* bench/esp_speed.c: the in-process cost of esp_encap() and esp_decap()
 * per packet, for the algorithms given (default aes128gcm16 and
 * aes128+sha256) at one payload size (default 1400 bytes), one thread.
 * bench/esp-speed.sh sets it beside `openssl speed` for the same
 * algorithms.  Not a test: nothing here passes or fails.
 *
 * usage: esp_speed [-s SECONDS] [-b BYTES] [ENC[+AUTH]]...
 * Output: one line per algorithm and direction:
 *   ENC[+AUTH] encap|decap BYTES ns/packet MB/s
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "alg.h"
#include "esp.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint8_t keybuf[2][64];

static int setup(const char *spec, struct dpsnap_sa *sa)
{
	char enc[64], *auth;
	unsigned i;

	snprintf(enc, sizeof(enc), "%s", spec);
	auth = strchr(enc, '+');
	if (auth)
		*auth++ = '\0';
	memset(sa, 0, sizeof(*sa));
	sa->said.proto = 50;
	sa->said.spi = 0x1000;
	sa->esn = true;
	sa->enc = alg_find(enc, ALG_ENC);
	sa->auth = auth ? alg_find(auth, ALG_AUTH) : NULL;
	if (!sa->enc || (auth && !sa->auth))
		return -1;
	for (i = 0; i < 64; i++) {
		keybuf[0][i] = (uint8_t)(i * 7);
		keybuf[1][i] = (uint8_t)(i * 11);
	}
	sa->enckey = keybuf[0];
	sa->enckey_len = sa->enc->key_bytes;
	if (sa->auth) {
		sa->authkey = keybuf[1];
		sa->authkey_len = sa->auth->key_bytes;
	}
	return 0;
}

/* A 20-byte IPv4 header and @bytes of payload in @p. */
static void fill(struct pkt *p, uint8_t *buf, size_t bytes)
{
	pkt_init(p, buf, PKT_BUF_SIZE);
	p->len = 20 + bytes;
	pkt_data(p)[9] = 4;
}

static int run(const char *spec, double secs, size_t bytes)
{
	static uint8_t buf[PKT_BUF_SIZE], enc[PKT_BUF_SIZE];
	struct dpsnap_sa sa;
	struct esp_sa *out, *in;
	struct reason why = { "" };
	struct pkt p;
	uint64_t n = 0, seq = 1;
	size_t enclen, encoff;
	double t0, t;

	if (setup(spec, &sa) || esp_sa_new(&out, &sa, true, &why) ||
	    esp_sa_new(&in, &sa, false, &why)) {
		fprintf(stderr, "esp_speed: %s: %s\n", spec, why.text[0] ? why.text : "unknown algorithm");
		return 1;
	}
	memset(buf, 0x5a, sizeof(buf));
	t0 = now();
	do {
		for (int i = 0; i < 256; i++, n++) {
			fill(&p, buf, bytes);
			if (esp_encap(out, &p, 20, 9, seq++))
				return 1;
		}
		t = now() - t0;
	} while (t < secs);
	printf("%s encap %zu %.0f %.1f\n", spec, bytes, t / (double)n * 1e9,
	       (double)n * (double)bytes / t / 1e6);

	/* one packet, decapsulated again and again (copied back each time:
	 * the copy is counted, about 1% at 1400 bytes) */
	fill(&p, buf, bytes);
	esp_encap(out, &p, 20, 9, 7);
	encoff = p.off;
	enclen = p.len;
	memcpy(enc, buf, sizeof(enc));
	n = 0;
	t0 = now();
	do {
		for (int i = 0; i < 256; i++, n++) {
			memcpy(buf + encoff, enc + encoff, enclen);
			p.off = encoff;
			p.len = enclen;
			if (esp_decap(in, &p, 20, 9, 7)) {
				fprintf(stderr, "esp_speed: %s: decap failed\n", spec);
				return 1;
			}
		}
		t = now() - t0;
	} while (t < secs);
	printf("%s decap %zu %.0f %.1f\n", spec, bytes, t / (double)n * 1e9,
	       (double)n * (double)bytes / t / 1e6);
	esp_sa_free(out);
	esp_sa_free(in);
	return 0;
}

int main(int argc, char **argv)
{
	static const char *const dflt[] = { "aes128gcm16", "aes128+sha256" };
	double secs = 2;
	size_t bytes = 1400;
	int c, i, ret = 0;

	while ((c = getopt(argc, argv, "s:b:")) != -1) {
		if (c == 's')
			secs = atof(optarg);
		else if (c == 'b')
			bytes = (size_t)atol(optarg);
		else
			return 2;
	}
	if (bytes > PKT_MAX_IP - 20 - 300)
		return 2;
	if (optind == argc)
		for (i = 0; i < 2; i++)
			ret |= run(dflt[i], secs, bytes);
	for (i = optind; i < argc; i++)
		ret |= run(argv[i], secs, bytes);
	return ret;
}

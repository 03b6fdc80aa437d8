/* check_alg.c: unit tests of the algorithm table (src/core/alg.c).
 *
 * The table is pinned row by row (spigrpd.conf(5) prints it), its lookups
 * follow the `enc =` / `auth =` / `comp =` rules, and every OpenSSL name
 * resolves in the libcrypto we link to a cipher or digest whose sizes agree
 * with the row: what a userspace datapath will rely on.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>

#include "alg.h"

static const struct {
	const char *name;
	enum alg_kind kind;
	const char *kernel;
	unsigned key, icv, salt;
	const char *openssl;
} rows[] = {
	{ "aes128", ALG_ENC, "cbc(aes)", 16, 0, 0, "AES-128-CBC" },
	{ "aes192", ALG_ENC, "cbc(aes)", 24, 0, 0, "AES-192-CBC" },
	{ "aes256", ALG_ENC, "cbc(aes)", 32, 0, 0, "AES-256-CBC" },
	{ "aes128gcm16", ALG_AEAD, "rfc4106(gcm(aes))", 20, 128, 4, "AES-128-GCM" },
	{ "aes256gcm16", ALG_AEAD, "rfc4106(gcm(aes))", 36, 128, 4, "AES-256-GCM" },
	{ "chacha20poly1305", ALG_AEAD, "rfc7539esp(chacha20,poly1305)", 36, 128, 4, "ChaCha20-Poly1305" },
	{ "3des", ALG_ENC, "cbc(des3_ede)", 24, 0, 0, "DES-EDE3-CBC" },
	{ "des", ALG_ENC, "cbc(des)", 8, 0, 0, "DES-CBC" },
	{ "null", ALG_ENC, "ecb(cipher_null)", 0, 0, 0, NULL },
	{ "sha1", ALG_AUTH, "hmac(sha1)", 20, 96, 0, "SHA1" },
	{ "sha256", ALG_AUTH, "hmac(sha256)", 32, 128, 0, "SHA256" },
	{ "sha384", ALG_AUTH, "hmac(sha384)", 48, 192, 0, "SHA384" },
	{ "sha512", ALG_AUTH, "hmac(sha512)", 64, 256, 0, "SHA512" },
	{ "md5", ALG_AUTH, "hmac(md5)", 16, 96, 0, "MD5" },
	{ "deflate", ALG_COMP, "deflate", 0, 0, 0, NULL },
};
#define NROWS (sizeof(rows) / sizeof(rows[0]))

static void str_or_null_eq(const char *got, const char *want)
{
	if (!want)
		ck_assert_ptr_null(got);
	else
		ck_assert_str_eq(got, want);
}

START_TEST(test_table_pinned)
{
	size_t n = 0;
	const struct alg_desc *a;

	while (alg_table[n].name)
		n++;
	ck_assert_uint_eq(n, NROWS);
	a = &alg_table[_i];
	ck_assert_str_eq(a->name, rows[_i].name);
	ck_assert_int_eq(a->kind, rows[_i].kind);
	ck_assert_str_eq(a->kernel_name, rows[_i].kernel);
	ck_assert_uint_eq(a->key_bytes, rows[_i].key);
	ck_assert_uint_eq(a->icv_bits, rows[_i].icv);
	ck_assert_uint_eq(a->salt_bytes, rows[_i].salt);
	str_or_null_eq(a->openssl_name, rows[_i].openssl);
	/* found under the kind a config writes it as */
	ck_assert_ptr_eq(alg_find(a->name, a->kind == ALG_AEAD ? ALG_ENC : a->kind), a);
}
END_TEST

START_TEST(test_find_rules)
{
	ck_assert_ptr_nonnull(alg_find("aes128gcm16", ALG_AEAD));
	ck_assert_ptr_eq(alg_find("aes128gcm16", ALG_ENC), alg_find("aes128gcm16", ALG_AEAD));
	ck_assert_ptr_null(alg_find("aes128", ALG_AEAD));
	ck_assert_ptr_null(alg_find("sha1", ALG_ENC));
	ck_assert_ptr_null(alg_find("aes128", ALG_AUTH));
	ck_assert_ptr_null(alg_find("deflate", ALG_ENC));
	ck_assert_ptr_null(alg_find("AES128", ALG_ENC));
	ck_assert_ptr_null(alg_find("", ALG_ENC));
	ck_assert_ptr_null(alg_find(NULL, ALG_ENC));
	/* KLIPS's names of one integrity algorithm, for auth only */
	ck_assert_ptr_eq(alg_find("hmac-md5-96", ALG_AUTH), alg_find("md5", ALG_AUTH));
	ck_assert_ptr_eq(alg_find("hmac-sha1-96", ALG_AUTH), alg_find("sha1", ALG_AUTH));
	ck_assert_ptr_null(alg_find("hmac-md5-96", ALG_ENC));
	ck_assert_ptr_null(alg_find("3des-md5-96", ALG_AUTH));
	ck_assert_ptr_null(alg_find("HMAC-MD5-96", ALG_AUTH));
}
END_TEST

/* KLIPS ESP transform names: two rows at once; "-96" only where the
 * table's ICV is 96 bits (md5, sha1). */
START_TEST(test_find_esp)
{
	static const struct {
		const char *name, *enc, *auth;
	} t[] = {
		{ "3des-sha1-96", "3des", "sha1" },
		{ "3des-sha1", "3des", "sha1" },     { "aes128-sha1-96", "aes128", "sha1" },
		{ "aes128-sha1", "aes128", "sha1" }, { "aes256", "aes256", NULL },
		{ "aes128gcm16", "aes128gcm16", NULL }, { "sha256", NULL, "sha256" },
		{ "hmac-sha1-96", NULL, "sha1" },
		{ "3des-md5-96", "3des", "md5" },    { "hmac-md5-96", NULL, "md5" },
		{ "md5", NULL, "md5" },              { "des", "des", NULL },
		{ "des-md5-96", "des", "md5" },      { "des-sha1-96", "des", "sha1" },
		{ "null-md5-96", "null", "md5" },    { "null-sha1-96", "null", "sha1" },
		{ "aes128-md5-96", "aes128", "md5" }, { "aes256-sha1-96", "aes256", "sha1" },
		{ "aes192-md5", "aes192", "md5" },   { "3des-md5", "3des", "md5" },
		{ "aes256-sha256", "aes256", "sha256" },
	};
	const struct alg_desc *enc, *auth;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		ck_assert_int_eq(alg_find_esp(t[i].name, &enc, &auth), 0);
		ck_assert_ptr_eq(enc, t[i].enc ? alg_find(t[i].enc, ALG_ENC) : NULL);
		ck_assert_ptr_eq(auth, t[i].auth ? alg_find(t[i].auth, ALG_AUTH) : NULL);
		if (auth)
			ck_assert_uint_eq(auth->icv_bits, !strcmp(t[i].auth, "sha256") ? 128 : 96);
	}
	/* not transforms: -96 after a longer ICV, an AEAD or auth first,
	 * junk around the names, another case */
	static const char *const bad[] = {
		"aes128-sha256-96", "aes128gcm16-sha1", "sha1-aes128", "3des-md5-128",
		"3des-md5-96-96", "3des-", "-md5", "3des-md5-", "3desmd5", "3des--md5",
		"3des-deflate", "deflate-md5", "3des-hmac-md5-96", "md5-96",
	};
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		enc = auth = alg_table;
		ck_assert_msg(alg_find_esp(bad[i], &enc, &auth) == -ENOENT, "%s", bad[i]);
		ck_assert(!enc && !auth);
	}
	ck_assert_int_eq(alg_find_esp("3DES-MD5-96", &enc, &auth), -ENOENT);
	ck_assert_int_eq(alg_find_esp("deflate", &enc, &auth), -ENOENT);
	ck_assert_int_eq(alg_find_esp(NULL, &enc, &auth), -ENOENT);
}
END_TEST

/* alg_esp_name(): the `spi --esp` name state-dir/runtime writes gives the
 * same pair back. */
START_TEST(test_esp_name)
{
	static const struct {
		const char *enc, *auth, *want;
	} v[] = {
		{ "3des", "md5", "3des-md5" },   { "3des", "sha1", "3des-sha1" },
		{ "des", "md5", "des-md5" },     { "aes128", "sha256", "aes128-sha256" },
		{ "null", "sha1", "null-sha1" }, { "aes128gcm16", NULL, "aes128gcm16" },
		{ "3des", NULL, "3des" },        { NULL, "md5", "md5" },
	};
	const struct alg_desc *e, *a;
	char buf[32];
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		e = v[i].enc ? alg_find(v[i].enc, ALG_ENC) : NULL;
		a = v[i].auth ? alg_find(v[i].auth, ALG_AUTH) : NULL;
		ck_assert_int_eq(alg_esp_name(e, a, buf, sizeof(buf)), 0);
		ck_assert_str_eq(buf, v[i].want);
	}
	/* an AEAD with an integrity algorithm has no name; nothing has none */
	ck_assert_int_eq(alg_esp_name(alg_find("aes128gcm16", ALG_ENC), alg_find("sha1", ALG_AUTH),
				      buf, sizeof(buf)), -ENOENT);
	ck_assert_int_eq(alg_esp_name(NULL, NULL, buf, sizeof(buf)), -ENOENT);
	ck_assert_int_eq(alg_esp_name(alg_find("3des", ALG_ENC), alg_find("md5", ALG_AUTH), buf, 5),
			 -ENOSPC);
}
END_TEST

START_TEST(test_names)
{
	char buf[256], small[8];
	size_t n;

	n = alg_names(ALG_ENC, buf, sizeof(buf));
	ck_assert_str_eq(buf, "aes128, aes192, aes256, aes128gcm16, aes256gcm16, chacha20poly1305, 3des, des, null");
	ck_assert_uint_eq(n, strlen(buf));
	alg_names(ALG_AUTH, buf, sizeof(buf));
	ck_assert_str_eq(buf, "sha1, sha256, sha384, sha512, md5");
	alg_names(ALG_COMP, buf, sizeof(buf));
	ck_assert_str_eq(buf, "deflate");
	alg_names(ALG_AEAD, buf, sizeof(buf));
	ck_assert_str_eq(buf, "aes128gcm16, aes256gcm16, chacha20poly1305");
	/* cut like snprintf: NUL-terminated, the whole length returned */
	n = alg_names(ALG_AUTH, small, sizeof(small));
	ck_assert_str_eq(small, "sha1, s");
	ck_assert_uint_eq(n, strlen("sha1, sha256, sha384, sha512, md5"));
	ck_assert_uint_eq(alg_names(ALG_COMP, NULL, 0), strlen("deflate"));
}
END_TEST

/* The OpenSSL names resolve, with the sizes of the row. */
START_TEST(test_openssl_names)
{
	const struct alg_desc *a = &alg_table[_i];
	const EVP_CIPHER *cipher;
	const EVP_MD *md;

	if (!a->openssl_name) {
		ck_assert(!strcmp(a->name, "null") || a->kind == ALG_COMP);
		return;
	}
	if (a->kind == ALG_AUTH) {
		md = EVP_get_digestbyname(a->openssl_name);
		ck_assert_msg(md != NULL, "%s: no digest %s", a->name, a->openssl_name);
		/* RFC 2104: the HMAC key of the row is the digest's length
		 * (RFC 2403, RFC 2404, RFC 4868); the ICV is half of it (MD5 and
		 * SHA-1: 96 bits) */
		ck_assert_int_eq(EVP_MD_get_size(md), (int)a->key_bytes);
		ck_assert_uint_le(a->icv_bits, 8u * a->key_bytes);
		return;
	}
	cipher = EVP_get_cipherbyname(a->openssl_name);
	ck_assert_msg(cipher != NULL, "%s: no cipher %s", a->name, a->openssl_name);
	ck_assert_int_eq(EVP_CIPHER_get_key_length(cipher), (int)(a->key_bytes - a->salt_bytes));
	if (a->kind == ALG_AEAD)
		ck_assert(EVP_CIPHER_get_flags(cipher) & EVP_CIPH_FLAG_AEAD_CIPHER);
	else
		ck_assert_int_eq(EVP_CIPHER_get_mode(cipher), EVP_CIPH_CBC_MODE);
}
END_TEST

static Suite *alg_suite(void)
{
	Suite *s = suite_create("alg");
	TCase *tc = tcase_create("table");

	tcase_add_loop_test(tc, test_table_pinned, 0, (int)NROWS);
	tcase_add_test(tc, test_find_rules);
	tcase_add_test(tc, test_find_esp);
	tcase_add_test(tc, test_names);
	tcase_add_test(tc, test_esp_name);
	tcase_add_loop_test(tc, test_openssl_names, 0, (int)NROWS);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(alg_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/*
 * amuddu password NAME ROLE: the [console] line of a named login, its
 * password hashed with PBKDF2-SHA256 and a random salt. The password is
 * read from standard input (asked for twice, unechoed, on a terminal), so
 * it is never in a command line, a shell history or the configuration.
 */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "gateway/cli/commands.h"
#include "gateway/config_api.h"
#include "gateway/util/domain.h"

/* One line from standard input without its newline; unechoed on a terminal. false at the end of input. */
static bool
password_read(const char *prompt, char *out, size_t len)
{
	struct termios old, quiet;
	bool tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &old) == 0;
	bool got;

	if (tty) {
		fprintf(stderr, "%s", prompt);
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	}
	got = fgets(out, (int)len, stdin) != NULL;
	if (tty) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
		fprintf(stderr, "\n");
	}
	/* A line the buffer could not hold whole is refused, never cut. */
	if (got && strchr(out, '\n') == NULL && strlen(out) == len - 1)
		return false;
	out[strcspn(out, "\r\n")] = '\0';
	return got;
}

int
cmd_password(const struct client *c, int argc, char **argv)
{
	char pw[256], again[256];
	unsigned char salt[16], hash[32];
	int rc = 1;

	(void)c;
	if (argc != 2 || role_from_name(argv[1]) < 0) {
		fprintf(stderr, "amuddu password: give a login name and its role (agent, monitoring or admin)\n");
		return 2;
	}
	if (!config_api_name_ok(argv[0])) {
		fprintf(stderr, "amuddu password: a login name is 1 to %d letters, digits, '-', '_' or '.'\n",
		    CONFIG_API_NAME_MAX - 1);
		return 2;
	}
	if (!password_read("password: ", pw, sizeof pw) || strlen(pw) < 10) {
		fprintf(stderr, "amuddu password: a password of 10 to 254 characters, on standard input\n");
		goto out;
	}
	if (isatty(STDIN_FILENO) && (!password_read("again: ", again, sizeof again) || strcmp(pw, again) != 0)) {
		fprintf(stderr, "amuddu password: the two passwords differ\n");
		goto out;
	}
	if (RAND_bytes(salt, sizeof salt) != 1 ||
	    PKCS5_PBKDF2_HMAC(
		pw, (int)strlen(pw), salt, sizeof salt, PASSWORD_ITERATIONS, EVP_sha256(), sizeof hash, hash) != 1) {
		fprintf(stderr, "amuddu password: cannot hash (no randomness?)\n");
		goto out;
	}
	printf("login.%s = %s pbkdf2-sha256:%d:", argv[0], argv[1], PASSWORD_ITERATIONS);
	for (size_t i = 0; i < sizeof salt; i++)
		printf("%02x", salt[i]);
	printf(":");
	for (size_t i = 0; i < sizeof hash; i++)
		printf("%02x", hash[i]);
	printf("\n");
	rc = 0;
out:
	OPENSSL_cleanse(pw, sizeof pw);
	OPENSSL_cleanse(again, sizeof again);
	return rc;
}

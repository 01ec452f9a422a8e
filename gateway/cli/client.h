/*
 * The amuddu tool's side of the /v1 API: one call at a time over libcurl,
 * to AMUDDU_URL with AMUDDU_TOKEN, and what an answer means for the exit
 * code. The caller owns struct client_answer and frees it with
 * client_answer_free().
 */
#ifndef AMUDDU_CLI_CLIENT_H
#define AMUDDU_CLI_CLIENT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Exit codes of amuddu (README.md, "The amuddu tool"). */
enum client_exit {
	CLIENT_OK = 0,
	CLIENT_REFUSED = 1,     /* the gateway refused the request (400, 404, 409, 413, 415, 422) */
	CLIENT_USAGE = 2,       /* the command line is wrong */
	CLIENT_DENIED = 3,      /* no valid token (401) or the token's role may not (403) */
	CLIENT_UNREACHABLE = 4, /* no gateway at AMUDDU_URL, or an answer that is not the API's */
};

struct client {
	const char *url;   /* AMUDDU_URL without a trailing slash */
	const char *token; /* AMUDDU_TOKEN */
	bool json;         /* --json: print the API's answers as they are */
};

struct client_answer {
	long status;
	json_t *json; /* the answer's JSON, or NULL */
};

/*
 * method path with body (len bytes of ctype, or NULL). Returns CLIENT_OK
 * with the answer for any HTTP status, or CLIENT_UNREACHABLE having said
 * why on stderr.
 */
enum client_exit client_call(const struct client *c, const char *method, const char *path, const char *ctype,
    const char *body, size_t len, struct client_answer *a);
/* The same with a JSON body (not taken); body NULL sends none. */
enum client_exit client_json(
    const struct client *c, const char *method, const char *path, const json_t *body, struct client_answer *a);
/*
 * POSTs the file at path as the body (ctype), streamed from disk, with a
 * progress bar on stderr when it is a terminal. CLIENT_USAGE when the file
 * cannot be read.
 */
enum client_exit client_upload(
    const struct client *c, const char *path_url, const char *file, const char *ctype, struct client_answer *a);
/*
 * The same for a CSV file of any size: in parts of at most part_bytes, cut
 * between rows, each with the header row, under one upload id (the
 * import's "upload", "part", "last" and "first_line"); query holds the
 * other options ("" or "mode=valid&..."). The answer is the last part's, or
 * the first refusal.
 */
enum client_exit client_upload_csv(
    const struct client *c, const char *query, const char *file, size_t part_bytes, struct client_answer *a);
/* GETs path and writes the body as it comes to out; the status in a->status (a->json only for an error). */
enum client_exit client_download(const struct client *c, const char *path, FILE *out, struct client_answer *a);
/* For an answer that is not 2xx: prints the API's error on stderr and returns the exit code it means. */
enum client_exit client_refused(const struct client_answer *a);
/*
 * client_json(), and an answer other than ok is refused: its error said on
 * stderr, the answer freed and its exit code returned. On CLIENT_OK the
 * caller has the answer (client_answer_free()).
 */
enum client_exit client_expect(
    const struct client *c, const char *method, const char *path, const json_t *body, long ok, struct client_answer *a);
/* Prints j as indented JSON on stdout (for --json). */
void client_print_json(const json_t *j);
void client_answer_free(struct client_answer *a);

#endif

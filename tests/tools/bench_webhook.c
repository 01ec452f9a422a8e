/*
 * bench_webhook: the webhook benchmark's load and stopwatch. Takes the
 * provider ids of messages the gateway has sent (from Redis), signs one
 * Twilio "delivered" status callback for each exactly as Twilio does,
 * posts them to the gateway over keep-alive connections, and waits until
 * the gateway has recorded every one (stats "delivered"). Prints the
 * timings as key=value pairs.
 */
#include <curl/curl.h>
#include <hiredis/hiredis.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

struct bench_call {
	CURL *e;
	struct curl_slist *headers;
	long next; /* index of the callback this handle carries */
};

static long long bench_now_us(void);
static long long bench_hget(redisContext *c, const char *key, const char *field);
static void bench_usage(void) __attribute__((noreturn));
static void bench_sign(const char *token, const char *url, const char *sid, char out[64]);
static void bench_start(CURLM *m, struct bench_call *c, long i, const char *url, char **bodies, char **sigs);

static long long
bench_now_us(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (long long)tv.tv_sec * 1000000 + tv.tv_usec;
}

static long long
bench_hget(redisContext *c, const char *key, const char *field)
{
	redisReply *r = redisCommand(c, "HGET %s %s", key, field);
	long long v = r != NULL && r->type == REDIS_REPLY_STRING ? atoll(r->str) : 0;

	if (r != NULL)
		freeReplyObject(r);
	return v;
}

static void
bench_usage(void)
{
	fprintf(stderr,
	    "usage: bench_webhook --socket PATH --port GATEWAY_PORT --token AUTH_TOKEN [--prefix P] "
	    "[--n N] [--connections C]\n");
	exit(2);
}

/* The parameters, sorted by name, are AccountSid, MessageSid, MessageStatus. */
static void
bench_sign(const char *token, const char *url, const char *sid, char out[64])
{
	char data[512];
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	int n = snprintf(data, sizeof data, "%sAccountSid%sMessageSid%sMessageStatusdelivered", url,
	    "AC00000000000000000000000000000000", sid);

	HMAC(EVP_sha1(), token, (int)strlen(token), (unsigned char *)data, (size_t)n, md, &mdlen);
	EVP_EncodeBlock((unsigned char *)out, md, (int)mdlen);
}

static size_t
bench_discard(char *p, size_t sz, size_t n, void *u)
{
	(void)p;
	(void)u;
	return sz * n;
}

static void
bench_start(CURLM *m, struct bench_call *c, long i, const char *url, char **bodies, char **sigs)
{
	char hdr[128];

	curl_slist_free_all(c->headers);
	c->headers = curl_slist_append(NULL, "Content-Type: application/x-www-form-urlencoded");
	c->headers = curl_slist_append(c->headers, "Expect:");
	snprintf(hdr, sizeof hdr, "X-Twilio-Signature: %s", sigs[i]);
	c->headers = curl_slist_append(c->headers, hdr);
	c->next = i;
	curl_easy_setopt(c->e, CURLOPT_URL, url);
	curl_easy_setopt(c->e, CURLOPT_POSTFIELDS, bodies[i]);
	curl_easy_setopt(c->e, CURLOPT_HTTPHEADER, c->headers);
	curl_easy_setopt(c->e, CURLOPT_WRITEFUNCTION, bench_discard);
	curl_easy_setopt(c->e, CURLOPT_PRIVATE, c);
	curl_easy_setopt(c->e, CURLOPT_NOSIGNAL, 1L);
	curl_multi_add_handle(m, c->e);
}

int
main(int argc, char **argv)
{
	const char *sock = NULL, *prefix = "amuddu:", *token = NULL;
	long n = 100000, conns = 32, port = 0, got = 0, ok = 0, bad = 0, next = 0;
	char stats[128], url[256], cursor[64] = "0", match[160];
	char **bodies, **sigs;
	struct bench_call *calls;
	long long t0, t1, t2, base;
	redisContext *r;
	CURLM *m;
	int running;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--socket") == 0 && i + 1 < argc)
			sock = argv[++i];
		else if (strcmp(argv[i], "--prefix") == 0 && i + 1 < argc)
			prefix = argv[++i];
		else if (strcmp(argv[i], "--token") == 0 && i + 1 < argc)
			token = argv[++i];
		else if (strcmp(argv[i], "--port") == 0 && i + 1 < argc)
			port = atol(argv[++i]);
		else if (strcmp(argv[i], "--n") == 0 && i + 1 < argc)
			n = atol(argv[++i]);
		else if (strcmp(argv[i], "--connections") == 0 && i + 1 < argc)
			conns = atol(argv[++i]);
		else
			bench_usage();
	}
	if (sock == NULL || token == NULL || port <= 0 || n <= 0 || conns <= 0)
		bench_usage();
	if ((r = redisConnectUnix(sock)) == NULL || r->err) {
		fprintf(stderr, "bench_webhook: cannot connect to redis\n");
		return 1;
	}
	snprintf(url, sizeof url, "http://127.0.0.1:%ld/webhooks/twilio/status", port);
	snprintf(match, sizeof match, "%spid:twilio:*", prefix);
	bodies = calloc((size_t)n, sizeof *bodies);
	sigs = calloc((size_t)n, sizeof *sigs);
	/* Provider ids of messages sent: one signed callback each. */
	do {
		redisReply *rep = redisCommand(r, "SCAN %s MATCH %s COUNT 10000", cursor, match);

		if (rep == NULL || rep->type != REDIS_REPLY_ARRAY || rep->elements != 2) {
			fprintf(stderr, "bench_webhook: SCAN failed\n");
			return 1;
		}
		snprintf(cursor, sizeof cursor, "%s", rep->element[0]->str);
		for (size_t i = 0; i < rep->element[1]->elements && got < n; i++) {
			const char *sid = rep->element[1]->element[i]->str + strlen(match) - 1;

			if (asprintf(&bodies[got],
				"AccountSid=AC00000000000000000000000000000000&MessageSid=%s&MessageStatus=delivered",
				sid) < 0)
				return 1;
			sigs[got] = malloc(64);
			bench_sign(token, url, sid, sigs[got]);
			got++;
		}
		freeReplyObject(rep);
	} while (strcmp(cursor, "0") != 0 && got < n);
	if (got < n) {
		fprintf(stderr, "bench_webhook: only %ld sent messages to report on\n", got);
		n = got;
	}
	snprintf(stats, sizeof stats, "%sstats", prefix);
	base = bench_hget(r, stats, "delivered");
	curl_global_init(CURL_GLOBAL_DEFAULT);
	m = curl_multi_init();
	calls = calloc((size_t)conns, sizeof *calls);
	t0 = bench_now_us();
	for (long i = 0; i < conns && next < n; i++) {
		calls[i].e = curl_easy_init();
		bench_start(m, &calls[i], next++, url, bodies, sigs);
	}
	do {
		CURLMsg *msg;
		int left;

		curl_multi_perform(m, &running);
		while ((msg = curl_multi_info_read(m, &left)) != NULL) {
			struct bench_call *c;
			long code = 0;

			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&c);
			curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &code);
			if (msg->data.result == CURLE_OK && code == 200)
				ok++;
			else
				bad++;
			curl_multi_remove_handle(m, c->e);
			if (next < n)
				bench_start(m, c, next++, url, bodies, sigs);
		}
		if (ok + bad < n)
			curl_multi_poll(m, NULL, 0, 100, NULL);
		/* A handle re-added in the loop above is not in running yet: count answers instead. */
	} while (ok + bad < n);
	t1 = bench_now_us();
	/* Answered 200 means recorded; check that Redis agrees. */
	while (bench_hget(r, stats, "delivered") - base < ok && bench_now_us() - t1 < 30000000)
		usleep(1000);
	t2 = bench_now_us();
	printf("callbacks=%ld ok=%ld refused=%ld seconds=%.3f per_second=%.0f recorded=%lld recorded_after_s=%.3f\n", n,
	    ok, bad, (double)(t1 - t0) / 1e6, (double)ok / ((double)(t2 - t0) / 1e6),
	    bench_hget(r, stats, "delivered") - base, (double)(t2 - t0) / 1e6);
	for (long i = 0; i < conns; i++) {
		if (calls[i].e != NULL)
			curl_easy_cleanup(calls[i].e);
		curl_slist_free_all(calls[i].headers);
	}
	for (long i = 0; i < n; i++) {
		free(bodies[i]);
		free(sigs[i]);
	}
	free(calls);
	free(bodies);
	free(sigs);
	curl_multi_cleanup(m);
	curl_global_cleanup();
	redisFree(r);
	return bad == 0 ? 0 : 1;
}

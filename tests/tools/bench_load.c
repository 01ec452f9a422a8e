/*
 * bench_load: the benchmark's producer and stopwatch. Pushes N messages
 * into an outbox lane with pipelined XADDs (each text carries its XADD
 * time as "@t=<µs>" so the sandbox can measure XADD-to-receipt latency),
 * then waits until the gateway has recorded an outcome for all of them and
 * prints the timings as key=value pairs.
 */
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static long long bench_now_us(void);
static long long bench_hget(redisContext *c, const char *key, const char *field);
static void bench_usage(void) __attribute__((noreturn));

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
	    "usage: bench_load --socket PATH [--prefix P] [--lane L] [--n N] [--tag T] [--no-wait] "
	    "[--timeout SECONDS] [--rate MSGS_PER_S]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	const char *sock = NULL, *prefix = "amuddu:", *lane = "bulk", *tag = "bench";
	long n = 100000, timeout_s = 600, rate = 0;
	int wait = 1;
	char key[128], stats[128], id[64], to[32], text[128];
	long long t0, t1, base_sent, base_failed, done = 0, last_ms = 0;
	redisContext *c;
	redisReply *r;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--socket") == 0 && i + 1 < argc)
			sock = argv[++i];
		else if (strcmp(argv[i], "--prefix") == 0 && i + 1 < argc)
			prefix = argv[++i];
		else if (strcmp(argv[i], "--lane") == 0 && i + 1 < argc)
			lane = argv[++i];
		else if (strcmp(argv[i], "--tag") == 0 && i + 1 < argc)
			tag = argv[++i];
		else if (strcmp(argv[i], "--n") == 0 && i + 1 < argc)
			n = atol(argv[++i]);
		else if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc)
			timeout_s = atol(argv[++i]);
		else if (strcmp(argv[i], "--rate") == 0 && i + 1 < argc)
			rate = atol(argv[++i]);
		else if (strcmp(argv[i], "--no-wait") == 0)
			wait = 0;
		else
			bench_usage();
	}
	if (sock == NULL || n <= 0)
		bench_usage();
	if ((c = redisConnectUnix(sock)) == NULL || c->err != 0) {
		fprintf(stderr, "bench_load: cannot connect to %s\n", sock);
		return 1;
	}
	snprintf(key, sizeof key, "%soutbox:%s", prefix, lane);
	snprintf(stats, sizeof stats, "%sstats", prefix);
	base_sent = bench_hget(c, stats, "sent");
	base_failed = bench_hget(c, stats, "failed");
	t0 = bench_now_us();
	for (long i = 0; i < n; i++) {
		snprintf(id, sizeof id, "%s-%ld", tag, i);
		snprintf(to, sizeof to, "+2126%08ld", i % 100000000);
		snprintf(text, sizeof text, "Formation ANAPEC a Rabat, message %ld @t=%lld", i, bench_now_us());
		redisAppendCommand(
		    c, "XADD %s * id %s to %s text %s campaign %s kind training_offer", key, id, to, text, tag);
		if (rate > 0 && (i + 1) % 100 == 0) {
			/* Paced: flush this batch, then wait until its time has come. */
			long long due = t0 + (long long)((double)(i + 1) * 1e6 / (double)rate);

			for (long j = 0; j < 100; j++) {
				if (redisGetReply(c, (void **)&r) != REDIS_OK || r == NULL) {
					fprintf(stderr, "bench_load: XADD failed\n");
					return 1;
				}
				freeReplyObject(r);
			}
			while (bench_now_us() < due)
				usleep(200);
			continue;
		}
		if (rate > 0 && i == n - 1) {
			for (long j = 0; j <= i % 100; j++) {
				if (redisGetReply(c, (void **)&r) != REDIS_OK || r == NULL) {
					fprintf(stderr, "bench_load: XADD failed\n");
					return 1;
				}
				freeReplyObject(r);
			}
			continue;
		}
		if (rate == 0 && ((i + 1) % 500 == 0 || i == n - 1)) {
			long k = i % 500 + 1;

			for (long j = 0; j < k; j++) {
				if (redisGetReply(c, (void **)&r) != REDIS_OK || r == NULL) {
					fprintf(stderr, "bench_load: XADD failed\n");
					return 1;
				}
				freeReplyObject(r);
			}
		}
	}
	t1 = bench_now_us();
	printf("pushed=%ld push_seconds=%.3f\n", n, (double)(t1 - t0) / 1e6);
	fflush(stdout);
	if (!wait) {
		redisFree(c);
		return 0;
	}
	for (;;) {
		done = bench_hget(c, stats, "sent") - base_sent + bench_hget(c, stats, "failed") - base_failed;
		if (done >= n)
			break;
		if (bench_now_us() - t0 > timeout_s * 1000000LL) {
			fprintf(stderr, "bench_load: timeout with %lld of %ld recorded\n", done, n);
			redisFree(c);
			return 1;
		}
		usleep(20000);
	}
	r = redisCommand(c, "XREVRANGE %slog + - COUNT 1", prefix);
	if (r != NULL && r->type == REDIS_REPLY_ARRAY && r->elements == 1)
		last_ms = atoll(r->element[0]->element[0]->str);
	if (r != NULL)
		freeReplyObject(r);
	printf("recorded=%lld first_xadd_us=%lld last_outcome_ms=%lld seconds=%.3f msgs_per_s=%.0f\n", done, t0,
	    last_ms, (double)(last_ms * 1000 - t0) / 1e6, (double)n / ((double)(last_ms * 1000 - t0) / 1e6));
	redisFree(c);
	return 0;
}

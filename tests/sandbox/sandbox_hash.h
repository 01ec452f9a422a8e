/*
 * The 64-bit hash the sandbox keys message bodies with, for the duplicate
 * set and the fault marker table. Not cryptographic; owns nothing.
 */
#ifndef AMUDDU_SANDBOX_HASH_H
#define AMUDDU_SANDBOX_HASH_H

#include <stddef.h>
#include <stdint.h>

/* Hashes data[0..len); never returns 0, so tables can use 0 as "empty". */
uint64_t sandbox_hash64(const void *data, size_t len);

/* A bijective 64-bit mixer (the splitmix64 finaliser). */
uint64_t sandbox_hash_mix(uint64_t x);

#endif

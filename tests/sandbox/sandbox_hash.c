/*
 * FNV-1a over the bytes, then a strong finaliser so that the low bits are
 * usable as a table index. Bodies are short, so byte-at-a-time is enough.
 */
#include "sandbox_hash.h"

uint64_t
sandbox_hash_mix(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

uint64_t
sandbox_hash64(const void *data, size_t len)
{
	const unsigned char *p = data;
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	h = sandbox_hash_mix(h ^ len);
	return h == 0 ? 1 : h;
}

/* Branch- and memory-heavy loop for make bench-controller (the second benchmark next to
 * bench_loop): binary search with data-dependent branches, pointer chasing through a shuffled
 * linked list (every load feeds the next address), a byte histogram (load, increment, store to
 * a data-dependent address) and an insertion step with short unpredictable loops. Prints a
 * checksum so a wrong execution is visible. */
#include "tfw_test.h"

#define KEYS 1024u
#define NODES 512u
static uint32_t keys[KEYS];
static uint16_t next_of[NODES];
static uint8_t bytes[2048];
static uint32_t hist[256];

static uint32_t rng = 0x2545f491u;
static uint32_t xorshift(void) {
  rng ^= rng << 13;
  rng ^= rng >> 17;
  rng ^= rng << 5;
  return rng;
}

static int32_t bsearch_u32(const uint32_t *v, uint32_t n, uint32_t key) {
  uint32_t lo = 0, hi = n;
  while (lo < hi) {
    uint32_t mid = (lo + hi) >> 1;
    if (v[mid] == key) return (int32_t)mid;
    if (v[mid] < key) lo = mid + 1;
    else hi = mid;
  }
  return -1;
}

int main(void) {
  for (uint32_t i = 0; i < KEYS; i++) keys[i] = i * 37u + (i & 7u);
  for (uint32_t i = 0; i < NODES; i++) next_of[i] = (uint16_t)i;
  for (uint32_t i = NODES - 1; i > 0; i--) { /* Fisher-Yates with a power-of-two modulus trick */
    uint32_t j = xorshift() & (NODES - 1u);
    if (j > i) j = i;
    uint16_t t = next_of[i];
    next_of[i] = next_of[j];
    next_of[j] = t;
  }
  for (uint32_t i = 0; i < sizeof bytes; i++) bytes[i] = (uint8_t)xorshift();

  uint32_t sum = 0;
  for (uint32_t rep = 0; rep < 60; rep++) {
    uint32_t found = 0;
    for (uint32_t q = 0; q < 600; q++) {
      int32_t at = bsearch_u32(keys, KEYS, xorshift() & 0x7fffu);
      if (at >= 0) found += (uint32_t)at;
    }
    uint32_t p = rep & (NODES - 1u), walk = 0;
    for (uint32_t s = 0; s < 4000; s++) {
      p = next_of[p];
      walk += p;
    }
    for (uint32_t i = 0; i < sizeof bytes; i++) hist[bytes[i]]++;
    uint32_t maxb = 0;
    for (uint32_t b = 0; b < 256; b++)
      if (hist[b] > hist[maxb]) maxb = b;
    bytes[rep * 31u % sizeof bytes] ^= (uint8_t)maxb;
    sum = (sum ^ found) * 31u + walk + maxb;
  }
  tfw_printf("branchy checksum 0x%08x\n", (unsigned)sum);
  return 0;
}

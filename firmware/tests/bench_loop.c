/* Compute-heavy loop for make bench-controller: CRC-32 (bitwise), an integer matrix product and a
 * sieve, repeated. Prints a checksum so a wrong execution is visible. */
#include "tfw_test.h"

#define N 16
static uint32_t a[N][N], b[N][N], c[N][N];
static uint8_t sieve[4096];

static uint32_t crc32(const uint8_t *p, uint32_t n, uint32_t crc) {
  crc = ~crc;
  while (n--) {
    crc ^= *p++;
    for (int k = 0; k < 8; k++) crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

int main(void) {
  uint32_t sum = 0;
  for (uint32_t i = 0; i < N; i++)
    for (uint32_t j = 0; j < N; j++) a[i][j] = i * 3 + j, b[i][j] = i ^ (j * 7);
  for (uint32_t rep = 0; rep < 300; rep++) {
    for (uint32_t i = 0; i < N; i++)
      for (uint32_t j = 0; j < N; j++) {
        uint32_t s = 0;
        for (uint32_t k = 0; k < N; k++) s += a[i][k] * b[k][j];
        c[i][j] = s + rep;
      }
    uint32_t primes = 0;
    for (uint32_t i = 2; i < sizeof sieve; i++) sieve[i] = 1;
    for (uint32_t i = 2; i < sizeof sieve; i++)
      if (sieve[i]) {
        primes++;
        for (uint32_t j = i * i; j < sizeof sieve; j += i) sieve[j] = 0;
      }
    sum = crc32((const uint8_t *)c, sizeof c, sum) + primes;
  }
  tfw_printf("bench checksum 0x%08x\n", (unsigned)sum);
  return 0;
}

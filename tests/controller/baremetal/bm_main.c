/* A bare-metal rv32im program that knows nothing of Tessera but the firmware ABI (console at
 * 0x2000_0000, exit at 0x2000_0004): its own start-up (start.S) and linker script (link.ld).
 * The same source also builds for the host (BM_HOST), where its output is the expected output:
 * tests/controller/baremetal.sh runs it on every backend and compares console and exit status.
 *
 * BM_LIBC: use picolibc (printf through a put hook, snprintf, memcpy, strlen, strcmp, qsort,
 * strtol); otherwise everything is written here (the compiler may still call memcpy/memset,
 * which bm_rt provides). */
#include <stddef.h>
#include <stdint.h>

#if defined(BM_HOST) || defined(BM_LIBC)
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#endif

#ifdef BM_HOST
#ifndef BM_LIBC
static void out_char(char c) { putchar(c); }
#endif
#else
/* The ABI's simulation-control registers, written by hand on purpose: this program is built
 * against nothing of Tessera's. */
#define BM_CONSOLE (*(volatile uint32_t *)0x20000000u)
static void out_char(char c) { BM_CONSOLE = (uint32_t)(unsigned char)c; }
#endif

#if defined(BM_LIBC) && !defined(BM_HOST)
/* picolibc's stdout: every character goes to the console register. */
static int put_hook(char c, FILE *f) {
  (void)f;
  out_char(c);
  return (unsigned char)c;
}
static FILE bm_stdout = FDEV_SETUP_STREAM(put_hook, NULL, NULL, _FDEV_SETUP_WRITE);
FILE *const stdout = &bm_stdout;
FILE *const stderr = &bm_stdout;
#endif

#ifndef BM_LIBC
/* ---- a tiny formatter of our own ------------------------------------------------------------ */
static void out_str(const char *s) {
  while (*s) out_char(*s++);
}
static void out_udec(uint64_t v) {
  char b[24];
  int n = 0;
  do {
    b[n++] = (char)('0' + (int)(v % 10u));
    v /= 10u;
  } while (v);
  while (n) out_char(b[--n]);
}
static void out_dec(int64_t v) {
  if (v < 0) {
    out_char('-');
    out_udec((uint64_t)0 - (uint64_t)v);
  } else {
    out_udec((uint64_t)v);
  }
}
static void out_hex(uint32_t v) {
  for (int i = 28; i >= 0; i -= 4) out_char("0123456789abcdef"[(v >> i) & 15u]);
}
/* "name dec hex\n" */
static void report(const char *name, int64_t v) {
  out_str(name);
  out_char(' ');
  out_dec(v);
  out_char(' ');
  out_hex((uint32_t)v);
  out_char('\n');
}
#else
static void report(const char *name, int64_t v) {
  char buf[96];
  int n = snprintf(buf, sizeof buf, "%s %lld %08x", name, (long long)v, (unsigned)(uint32_t)v);
  printf("%s (%d chars)\n", buf, n);
}
#endif

/* ---- the work ------------------------------------------------------------------------------- */

static uint32_t seed = 12345u; /* initialised data */
static int32_t table[96];      /* bss */

static uint32_t lcg(void) {
  seed = seed * 1103515245u + 12345u;
  return seed >> 7;
}

static uint32_t fib(uint32_t n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

/* A dense switch (a jump table in read-only data on most -O levels). */
static int32_t op(unsigned k, int32_t a, int32_t b) {
  switch (k % 9u) {
  case 0: return a + b;
  case 1: return a - b;
  case 2: return (int32_t)((uint32_t)a * (uint32_t)b);
  case 3: return b ? a / b : -1;
  case 4: return b ? a % b : -2;
  case 5: return a ^ b;
  case 6: return (int32_t)((uint32_t)a >> (b & 31));
  case 7: return a >> (b & 31);
  default: return (int32_t)((uint32_t)a << (b & 31));
  }
}

struct rec {
  int32_t key;
  uint16_t small;
  uint8_t tag[6];
};

static int32_t add3(int32_t a, int32_t b, int32_t c) { return a + b + c; }
static int32_t mix3(int32_t a, int32_t b, int32_t c) { return (a ^ b) - c; }
static int32_t (*const fns[2])(int32_t, int32_t, int32_t) = {add3, mix3};

#ifdef BM_LIBC
static int cmp_i32(const void *a, const void *b) {
  int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
  return (x > y) - (x < y);
}
#else
static void sort_i32(int32_t *v, int n) {
  for (int i = 1; i < n; i++) {
    int32_t x = v[i];
    int j = i - 1;
    while (j >= 0 && v[j] > x) {
      v[j + 1] = v[j];
      j--;
    }
    v[j + 1] = x;
  }
}
#endif

int main(void) {
  uint32_t check = 0;
  const int n = (int)(sizeof table / sizeof table[0]);
  for (int i = 0; i < n; i++) table[i] = (int32_t)lcg() - (1 << 23);
#ifdef BM_LIBC
  qsort(table, (size_t)n, sizeof table[0], cmp_i32);
#else
  sort_i32(table, n);
#endif
  int sorted = 1;
  for (int i = 1; i < n; i++) sorted &= table[i - 1] <= table[i];
  report("sorted", sorted);
  report("min", table[0]);
  report("max", table[n - 1]);

  uint64_t acc = 0;
  for (unsigned k = 0; k < 90; k++) {
    int32_t a = (int32_t)lcg() - (1 << 24), b = (int32_t)(lcg() & 0xffff) - 0x8000;
    int32_t r = op(k, a, b);
    acc = acc * 31u + (uint64_t)(int64_t)r;
    check ^= (uint32_t)r + k;
  }
  report("switch", (int64_t)(acc >> 1));

  int64_t big = (int64_t)0x123456789abcLL * -977;
  report("mul64", big);
  report("div64", big / 12345);
  report("rem64", big % 12345);
  report("udiv64", (int64_t)(0xfedcba9876543210ull / 1000003u));
  report("int_min/7", op(3, INT32_MIN, 7));
  report("-7%3", op(4, -7, 3));
  report("fib20", fib(20));

  struct rec r1 = {-5, 0xbeef, {1, 2, 3, 4, 5, 6}}, r2;
  r2 = r1; /* structure copy */
  r2.tag[5] = 60;
  report("struct", r2.key + r2.small + r2.tag[0] + r2.tag[5] + r1.tag[5]);
  report("fnptr", fns[check & 1u](7, -9, (int32_t)(check >> 28)));

  uint8_t bytes[37];
  for (unsigned i = 0; i < sizeof bytes; i++) bytes[i] = (uint8_t)(i * 7u + 3u);
  uint32_t h = 2166136261u;
  for (unsigned i = 0; i < sizeof bytes; i++) h = (h ^ bytes[i]) * 16777619u;
  report("fnv", h);

#ifdef BM_LIBC
  char s[64], t[64];
  memcpy(s, "bare metal on tessera", 22);
  size_t len = strlen(s);
  for (size_t i = 0; i < len; i++) t[len - 1 - i] = s[i];
  t[len] = '\0';
  printf("reversed '%s' len %u cmp %d\n", t, (unsigned)len, strcmp(s, t) > 0);
  printf("strtol %ld %ld\n", (long)strtol("-12345", NULL, 10), (long)strtol("7fff", NULL, 16));
  printf("padded [%-6s|%6d|%06x]\n", "ab", -42, 0xbeefu);
#endif
  report("check", check);
  return (int)(check % 200u) + 7;
}

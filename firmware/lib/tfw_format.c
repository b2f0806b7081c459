/* Minimal printf formatting (see tfw_format.h). Portable C, no library calls. */
#include "tfw_format.h"

#include <stdint.h>

struct spec {
  int left, zero;
  unsigned width;
};

static int emit(tfw_out_fn out, void *ctx, char c) {
  out(ctx, c);
  return 1;
}

static int pad(tfw_out_fn out, void *ctx, char c, unsigned n) {
  int k = 0;
  while (n--) k += emit(out, ctx, c);
  return k;
}

/* Emit the string s of length len (with an optional sign) padded to the spec's width. */
static int field(tfw_out_fn out, void *ctx, const struct spec *sp, char sign, const char *s, unsigned len) {
  unsigned total = len + (sign ? 1u : 0u);
  unsigned fill = sp->width > total ? sp->width - total : 0u;
  int k = 0;
  if (!sp->left && !sp->zero) k += pad(out, ctx, ' ', fill);
  if (sign) k += emit(out, ctx, sign);
  if (!sp->left && sp->zero) k += pad(out, ctx, '0', fill);
  for (unsigned i = 0; i < len; i++) k += emit(out, ctx, s[i]);
  if (sp->left) k += pad(out, ctx, ' ', fill);
  return k;
}

static int number(tfw_out_fn out, void *ctx, const struct spec *sp, uint64_t v, unsigned base, int upper,
                  char sign) {
  const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  char buf[24];
  unsigned n = sizeof buf;
  do {
    if (v >> 32) { /* 64-bit division is a libgcc call on rv32: only while the value needs it */
      buf[--n] = digits[v % base];
      v /= base;
    } else {
      uint32_t w = (uint32_t)v;
      buf[--n] = digits[w % base];
      v = w / base;
    }
  } while (v);
  return field(out, ctx, sp, sign, buf + n, (unsigned)sizeof buf - n);
}

int tfw_vformat(tfw_out_fn out, void *ctx, const char *fmt, va_list ap) {
  int k = 0;
  for (const char *p = fmt; *p; p++) {
    if (*p != '%') {
      k += emit(out, ctx, *p);
      continue;
    }
    const char *start = p++;
    struct spec sp = {0, 0, 0};
    for (;; p++) {
      if (*p == '-') sp.left = 1;
      else if (*p == '0') sp.zero = 1;
      else break;
    }
    if (sp.left) sp.zero = 0;
    while (*p >= '0' && *p <= '9') sp.width = sp.width * 10u + (unsigned)(*p++ - '0');
    int lng = 0;
    while (*p == 'l') lng++, p++;
    switch (*p) {
    case 'd':
    case 'i': {
      int64_t v = lng >= 2 ? va_arg(ap, long long) : lng ? va_arg(ap, long) : va_arg(ap, int);
      uint64_t m = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
      k += number(out, ctx, &sp, m, 10, 0, v < 0 ? '-' : 0);
      break;
    }
    case 'u':
    case 'x':
    case 'X': {
      uint64_t v = lng >= 2 ? va_arg(ap, unsigned long long) : lng ? va_arg(ap, unsigned long) : va_arg(ap, unsigned);
      k += number(out, ctx, &sp, v, *p == 'u' ? 10u : 16u, *p == 'X', 0);
      break;
    }
    case 'p': {
      uintptr_t v = (uintptr_t)va_arg(ap, void *);
      k += emit(out, ctx, '0') + emit(out, ctx, 'x');
      k += number(out, ctx, &sp, (uint64_t)v, 16, 0, 0);
      break;
    }
    case 'c': {
      char c = (char)va_arg(ap, int);
      sp.zero = 0;
      k += field(out, ctx, &sp, 0, &c, 1);
      break;
    }
    case 's': {
      const char *s = va_arg(ap, const char *);
      unsigned len = 0;
      if (!s) s = "(null)";
      while (s[len]) len++;
      sp.zero = 0;
      k += field(out, ctx, &sp, 0, s, len);
      break;
    }
    case '%': k += emit(out, ctx, '%'); break;
    default: /* unknown conversion (or a lone % at the end): print it as written */
      for (const char *q = start; q <= p && *q; q++) k += emit(out, ctx, *q);
      if (!*p) return k;
      break;
    }
  }
  return k;
}

struct sbuf {
  char *buf;
  size_t cap, len;
};

static void sbuf_put(void *ctx, char c) {
  struct sbuf *b = ctx;
  if (b->cap && b->len < b->cap - 1) b->buf[b->len] = c;
  b->len++;
}

int tfw_snprintf(char *buf, size_t cap, const char *fmt, ...) {
  struct sbuf b = {buf, cap, 0};
  va_list ap;
  va_start(ap, fmt);
  int n = tfw_vformat(sbuf_put, &b, fmt, ap);
  va_end(ap);
  if (cap) buf[b.len < cap ? b.len : cap - 1] = 0;
  return n;
}

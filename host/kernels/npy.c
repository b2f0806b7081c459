/* float32 .npy files (tessera/npy.h). */
#include "tessera/npy.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void put_f32_le(unsigned char *b, float f) {
  uint32_t u;
  memcpy(&u, &f, 4);
  b[0] = (unsigned char)u, b[1] = (unsigned char)(u >> 8), b[2] = (unsigned char)(u >> 16), b[3] = (unsigned char)(u >> 24);
}

int npy_write_f32(const char *path, const float *data, uint32_t rows, uint32_t cols) {
  char dict[128];
  int len = rows ? snprintf(dict, sizeof dict, "{'descr': '<f4', 'fortran_order': False, 'shape': (%u, %u), }", rows, cols)
                 : snprintf(dict, sizeof dict, "{'descr': '<f4', 'fortran_order': False, 'shape': (%u,), }", cols);
  /* Magic (6) + version (2) + length (2) + dict + padding + '\n' is a multiple of 64. */
  size_t hlen = (size_t)len + 1, total = 10 + hlen;
  hlen += (64 - total % 64) % 64;
  FILE *f = fopen(path, "wb");
  if (!f) return -1;
  unsigned char head[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (unsigned char)(hlen & 0xff), (unsigned char)(hlen >> 8)};
  int ok = fwrite(head, 1, 10, f) == 10 && fwrite(dict, 1, (size_t)len, f) == (size_t)len;
  for (size_t a = (size_t)len; ok && a + 1 < hlen; a++) ok = fputc(' ', f) != EOF;
  ok = ok && fputc('\n', f) != EOF;
  size_t count = (size_t)(rows ? rows : 1) * cols;
  unsigned char buf[4096];
  for (size_t a = 0; ok && a < count;) {
    size_t chunk = count - a < sizeof buf / 4 ? count - a : sizeof buf / 4;
    for (size_t b = 0; b < chunk; b++) put_f32_le(buf + 4 * b, data[a + b]);
    ok = fwrite(buf, 4, chunk, f) == chunk;
    a += chunk;
  }
  int saved = errno;
  if (fclose(f) != 0) ok = 0;
  errno = saved;
  return ok ? 0 : -1;
}

int npy_read_f32(const char *path, float **data, uint32_t *rows, uint32_t *cols, char *err, size_t errlen) {
  *data = NULL;
  FILE *f = fopen(path, "rb");
  if (!f) return snprintf(err, errlen, "%s: %s", path, strerror(errno)), -1;
  unsigned char head[12];
  char dict[1024];
  size_t hlen = 0;
  int rc = -1;
  if (fread(head, 1, 10, f) != 10 || memcmp(head, "\x93NUMPY", 6)) {
    snprintf(err, errlen, "%s: not a .npy file", path);
    goto out;
  }
  if (head[6] == 1) {
    hlen = head[8] | (size_t)head[9] << 8;
  } else if (head[6] == 2 && fread(head + 10, 1, 2, f) == 2) {
    hlen = head[8] | (size_t)head[9] << 8 | (size_t)head[10] << 16 | (size_t)head[11] << 24;
  } else {
    snprintf(err, errlen, "%s: unsupported .npy version %u", path, head[6]);
    goto out;
  }
  if (hlen >= sizeof dict || fread(dict, 1, hlen, f) != hlen) {
    snprintf(err, errlen, "%s: truncated or oversized .npy header", path);
    goto out;
  }
  dict[hlen] = 0;
  if (!strstr(dict, "'descr': '<f4'") || !strstr(dict, "'fortran_order': False")) {
    snprintf(err, errlen, "%s: only little-endian float32 C-order arrays are supported", path);
    goto out;
  }
  const char *sh = strstr(dict, "'shape': (");
  unsigned long a = 0, b = 0;
  int nd = sh ? sscanf(sh, "'shape': (%lu, %lu)", &a, &b) : 0;
  if (nd == 1) b = a, a = 1;
  if (nd < 1 || a > UINT32_MAX || b > UINT32_MAX || (a && b > SIZE_MAX / 4 / a)) {
    snprintf(err, errlen, "%s: shape must be 1-D or 2-D", path);
    goto out;
  }
  size_t count = (size_t)a * b;
  unsigned char *raw = malloc(count * 4 + 1);
  float *v = malloc(count * sizeof *v + 1);
  if (!raw || !v || fread(raw, 4, count, f) != count) {
    snprintf(err, errlen, "%s: %s", path, raw && v ? "data shorter than its shape" : "out of memory");
    free(raw), free(v);
    goto out;
  }
  for (size_t c = 0; c < count; c++) {
    uint32_t u = raw[4 * c] | (uint32_t)raw[4 * c + 1] << 8 | (uint32_t)raw[4 * c + 2] << 16 | (uint32_t)raw[4 * c + 3] << 24;
    memcpy(&v[c], &u, 4);
  }
  free(raw);
  *data = v, *rows = (uint32_t)a, *cols = (uint32_t)b;
  rc = 0;
out:
  fclose(f);
  return rc;
}

/* Built by tests/driver/pkgconfig.sh with nothing but `pkg-config --cflags --libs tessera`. */
#include <stdio.h>
#include <string.h>

#include "tessera/tdev.h"

int main(void) {
  tdev *d;
  struct tdev_buf b;
  char in[100], out[100];
  if (tdev_open(&d, NULL) != TDEV_OK) {
    fprintf(stderr, "tdev_open: %s\n", tdev_errmsg(NULL));
    return 1;
  }
  for (int i = 0; i < 100; i++) in[i] = (char)(i * 3 + 1);
  if (tdev_alloc(d, sizeof in, &b) != TDEV_OK || tdev_write(d, &b, 0, in, sizeof in) != TDEV_OK ||
      tdev_read(d, &b, 0, out, sizeof out) != TDEV_OK || memcmp(in, out, sizeof in) != 0) {
    fprintf(stderr, "buffer round trip: %s\n", tdev_errmsg(d));
    tdev_close(d);
    return 1;
  }
  printf("pkgconfig %s\n", strcmp(tdev_backend(d), "cmodel") == 0 ? "ok" : "wrong backend");
  tdev_close(d);
  return 0;
}

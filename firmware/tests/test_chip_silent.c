/* Driver test firmware (tests/driver): never reports ready, so tdev_boot runs out of its budget. */
#include "tfw.h"

int main(void) {
  for (;;) tfw_wfi();
}

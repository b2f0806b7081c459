/* The validator on the controller: rebuild each fuzz case of the generated proto_cases.h (made on
 * the host by tests/proto/test_proto.c built with PROTO_EMIT), validate it with the rv32im build of
 * firmware/sched/validate.c and compare the verdict (code, field offset, op, tensor) with the
 * host's. Prints the counts; exits 0 when every verdict matches. */
#include "tfw.h"
#include "tfw_validate.h"

#include "proto_cases.h"

int main(void);

static uint8_t cmd[sizeof(struct tproto_cmd)];
static struct tfw_alloc_table allocs;

int main(void) {
  allocs.count = PC_NALLOCS;
  for (uint32_t a = 0; a < PC_NALLOCS; a++) {
    allocs.entry[a].base = pc_alloc[a][0];
    allocs.entry[a].size = pc_alloc[a][1];
  }
  uint32_t patch = 0, bad = 0, valid = 0;
  for (uint32_t i = 0; i < PC_NCASES; i++) {
    const struct pc_case *k = &pc_case[i];
    for (uint32_t j = 0; j < sizeof cmd; j++) cmd[j] = 0;
    for (uint32_t j = pc_base_start[k->base]; j < pc_base_start[k->base + 1u]; j++) cmd[pc_base_off[j]] = pc_base_val[j];
    for (uint32_t j = 0; j < k->np; j++, patch++) cmd[pc_patch_off[patch]] = pc_patch_val[patch];
    struct tfw_verr e;
    int rc = tfw_validate_cmd(cmd, k->len, &allocs, &e);
    if (rc == 0) valid++;
    if (rc != k->code || e.offset != k->off || e.op != k->op || e.tensor != k->tensor) {
      if (bad < 10)
        tfw_printf("case %u: rv32 code %d offset %u op %u tensor %u; host code %u offset %u op %u tensor %u\n",
                   (unsigned)i, rc, (unsigned)e.offset, (unsigned)e.op, (unsigned)e.tensor, (unsigned)k->code,
                   (unsigned)k->off, (unsigned)k->op, (unsigned)k->tensor);
      bad++;
    }
  }
  tfw_printf("proto-fw: %u cases (%u valid), %u mismatches\n", (unsigned)PC_NCASES, (unsigned)valid, (unsigned)bad);
  return bad ? 1 : 0;
}

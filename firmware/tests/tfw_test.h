/* Helpers of the firmware instruction tests: run one instruction on register operands with inline
 * assembly (so the compiler cannot fold it) and check the result against a value worked out by
 * hand. */
#ifndef TFW_TEST_H
#define TFW_TEST_H

#include "tfw.h"

int main(void);

/* rd = op rs1, rs2 */
#define RR(op, a, b)                                                                      \
  ({                                                                                      \
    uint32_t r_;                                                                          \
    __asm__ volatile(op " %0, %1, %2" : "=r"(r_) : "r"((uint32_t)(a)), "r"((uint32_t)(b))); \
    r_;                                                                                   \
  })
/* rd = op rs1, imm */
#define RI(op, a, imm)                                                         \
  ({                                                                           \
    uint32_t r_;                                                               \
    __asm__ volatile(op " %0, %1, " #imm : "=r"(r_) : "r"((uint32_t)(a)));     \
    r_;                                                                        \
  })
/* 1 if the branch op rs1, rs2 is taken */
#define BR(op, a, b)                                                                          \
  ({                                                                                          \
    uint32_t t_;                                                                              \
    __asm__ volatile("li %0, 1\n\t" op " %1, %2, 1f\n\tli %0, 0\n1:"                          \
                     : "=&r"(t_)                                                              \
                     : "r"((uint32_t)(a)), "r"((uint32_t)(b)));                               \
    t_;                                                                                       \
  })
/* load: rd = op offset(base) */
#define LD(op, base, off)                                                             \
  ({                                                                                  \
    uint32_t r_;                                                                      \
    __asm__ volatile(op " %0, " #off "(%1)" : "=r"(r_) : "r"(base) : "memory");       \
    r_;                                                                               \
  })
#define ST(op, val, base, off) \
  __asm__ volatile(op " %0, " #off "(%1)" ::"r"((uint32_t)(val)), "r"(base) : "memory")

#define CHECK(what, got, want) tfw_check(what, (uint32_t)(got), (uint32_t)(want))

#endif /* TFW_TEST_H */

/* The sparse MLP training job on the device (mlp.h, docs/training.md). */
#include "mlp.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tessera/gen/hwcfg.h"
#include "tessera/numerics.h"
#include "tessera/proto.h"
#include "tvec_fn.h"

static uint32_t f2u(float f) {
  uint32_t u;
  memcpy(&u, &f, 4);
  return u;
}

void mlp_cfg_default(struct mlp_cfg *c) {
  memset(c, 0, sizeof *c);
  c->layers = 2;
  c->width = 256;
  c->tokens = 256;
  c->density = 0.25;
  c->pattern = MLP_PAT_UNSTRUCTURED;
  c->seed = 1;
  c->fuse = 1;
  c->lr = f2u(0.01f);
  c->beta1 = f2u(0.9f);
  c->beta2 = f2u(0.999f);
  c->eps = f2u(1e-8f);
  c->weight_decay = f2u(0.0f);
}

/* --- Deterministic host-side randomness (the masks' generator, Box-Muller in double) ------------- */
static double rng_unit(uint64_t *s) { return ((double)(tsp_rng_next(s) >> 11) + 0.5) * 0x1p-53; }
static double rng_normal(uint64_t *s) {
  double u = rng_unit(s), v = rng_unit(s);
  return sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v);
}
/* fp32 bits of a double rounded to bf16 (so the value is exactly what the tile multiplies). */
static uint32_t bf16_value(double x) {
  return tnum_bf16_to_f32(tnum_f32_to_bf16(f2u((float)x)));
}

#define FAIL(m, st, ...) (snprintf((m)->err, sizeof (m)->err, __VA_ARGS__), (st))

enum tdev_status mlp_init(struct mlp *m, const struct mlp_cfg *cfg) {
  memset(m, 0, sizeof *m);
  m->cfg = *cfg;
  m->p = TESSERA_CFG_NNZ_PER_CYCLE;
  const uint32_t D = cfg->width, T = cfg->tokens, P = m->p;
  if (cfg->layers < 1 || cfg->layers > MLP_MAX_LAYERS)
    return FAIL(m, TDEV_E_ARG, "--layers %u outside 1..%u", cfg->layers, MLP_MAX_LAYERS);
  if (D < 2 || D > 4096) return FAIL(m, TDEV_E_ARG, "--width %u outside 2..4096", D);
  if (T < 1 || T > 65536) return FAIL(m, TDEV_E_ARG, "--tokens %u outside 1..65536", T);
  if (!(cfg->density > 0.0 && cfg->density <= 1.0))
    return FAIL(m, TDEV_E_ARG, "--density %g outside (0, 1]", cfg->density);
  uint64_t rs = cfg->seed * 0x2545f4914f6cdd1dull + 7;

  m->x0 = calloc((size_t)T * D, 4);
  m->labels = calloc(T, 4);
  double *teach = calloc((size_t)D * D, sizeof(double));
  uint8_t *mask = calloc((size_t)D * D, 1);
  if (!m->x0 || !m->labels || !teach || !mask) {
    free(teach), free(mask);
    return FAIL(m, TDEV_E_NOMEM, "out of host memory");
  }
  /* Inputs N(0,1) in bf16; labels = argmax of a fixed random teacher: a learnable map. */
  for (size_t i = 0; i < (size_t)T * D; i++) m->x0[i] = bf16_value(rng_normal(&rs));
  for (size_t i = 0; i < (size_t)D * D; i++) teach[i] = rng_normal(&rs);
  for (uint32_t t = 0; t < T; t++) {
    double best = -INFINITY;
    for (uint32_t c = 0; c < D; c++) {
      double s = 0;
      for (uint32_t j = 0; j < D; j++) {
        float xv;
        memcpy(&xv, &m->x0[(size_t)t * D + j], 4);
        s += teach[(size_t)c * D + j] * xv;
      }
      if (s > best) best = s, m->labels[t] = c;
    }
  }
  free(teach);

  /* Layers: a static mask at the density, SµPar init (variance 1 / (fan_in * density)). */
  for (uint32_t l = 0; l < cfg->layers; l++) {
    struct mlp_layer *L = &m->layer[l];
    uint64_t ms = cfg->seed * 1000003u + l;
    tsp_status ts;
    switch (cfg->pattern) {
    case MLP_PAT_BLOCK: ts = tsp_mask_block(mask, D, D, P, cfg->density, ms); break;
    case MLP_PAT_NM24: ts = tsp_mask_nm(mask, D, D, 2, 4, ms); break;
    case MLP_PAT_DENSE: ts = tsp_mask_dense(mask, D, D); break;
    default: ts = tsp_mask_random(mask, D, D, cfg->density, ms); break;
    }
    if (ts == TSP_OK) ts = tsp_stream_build(&L->st, mask, D, D, P, TESSERA_CFG_SUB_BANKS, 1);
    if (ts != TSP_OK) {
      free(mask);
      return FAIL(m, ts == TSP_ERR_NOMEM ? TDEV_E_NOMEM : TDEV_E_ARG, "layer %u mask: %s", l, tsp_status_str(ts));
    }
    L->groups = L->st.ngroups;
    L->w = calloc((size_t)L->groups * P, 4);
    if (!L->w) {
      free(mask);
      return FAIL(m, TDEV_E_NOMEM, "out of host memory");
    }
    double dens = cfg->pattern == MLP_PAT_NM24 ? 0.5 : cfg->pattern == MLP_PAT_DENSE ? 1.0 : cfg->density;
    double sd = sqrt(1.0 / (D * dens));
    for (size_t s = 0; s < (size_t)L->groups * P; s++)
      L->w[s] = L->st.col[s] == TSP_EMPTY ? 0u : bf16_value(sd * rng_normal(&rs));
  }
  free(mask);
  return TDEV_OK;
}

void mlp_free(struct mlp *m) {
  for (uint32_t l = 0; l < MLP_MAX_LAYERS; l++) {
    if (m->layer[l].w) tsp_stream_free(&m->layer[l].st);
    free(m->layer[l].w);
  }
  free(m->x0);
  free(m->labels);
  memset(m, 0, sizeof *m);
}

/* --- Device buffers ------------------------------------------------------------------------------ */
static enum tdev_status alloc_up(struct mlp *m, struct tdev_buf *b, uint64_t bytes, const void *src) {
  enum tdev_status st = tdev_alloc(m->dev, bytes, b);
  if (st == TDEV_OK && src) st = tdev_write(m->dev, b, 0, src, bytes);
  if (st != TDEV_OK) snprintf(m->err, sizeof m->err, "device memory: %s", tdev_errmsg(m->dev));
  return st;
}

enum tdev_status mlp_attach(struct mlp *m, tdev *d) {
  const uint32_t D = m->cfg.width, T = m->cfg.tokens, P = m->p;
  const uint64_t act = (uint64_t)T * D * 4;
  enum tdev_status st;
  m->dev = d;
  if ((st = alloc_up(m, &m->X0, act, m->x0)) || (st = alloc_up(m, &m->LAB, (uint64_t)T * 4, m->labels)) ||
      (st = alloc_up(m, &m->LOSS, (uint64_t)T * 4, NULL)) || (st = alloc_up(m, &m->DLOGITS, act, NULL)))
    return st;
  for (uint32_t l = 0; l < m->cfg.layers; l++) {
    struct mlp_layer *L = &m->layer[l];
    const uint32_t G = L->groups, sb = TPROTO_STREAM_GROUP_BYTES(P);
    uint8_t *s = calloc(G, sb);
    uint16_t *wv = calloc((size_t)G * P, 2);
    if (!s || !wv) {
      free(s), free(wv);
      return FAIL(m, TDEV_E_NOMEM, "out of host memory");
    }
    for (uint32_t g = 0; g < G; g++) {
      uint8_t *e = s + (size_t)g * sb;
      e[0] = (uint8_t)L->st.row[g], e[1] = (uint8_t)(L->st.row[g] >> 8), e[2] = L->st.flags[g];
      for (uint32_t a = 0; a < P; a++) {
        uint16_t c = L->st.col[(size_t)g * P + a];
        e[4 + 2 * a] = (uint8_t)c, e[5 + 2 * a] = (uint8_t)(c >> 8);
        wv[(size_t)g * P + a] = tnum_f32_to_bf16(L->w[(size_t)g * P + a]);
      }
    }
    uint64_t gp = (uint64_t)G * P;
    st = alloc_up(m, &L->S, (uint64_t)G * sb, s);
    if (!st) st = alloc_up(m, &L->WV, gp * 2, wv);
    free(s), free(wv);
    if (st || (st = alloc_up(m, &L->W, gp * 4, L->w)) || (st = alloc_up(m, &L->M, gp * 4, NULL)) ||
        (st = alloc_up(m, &L->V, gp * 4, NULL)) || (st = alloc_up(m, &L->dW, gp * 4, NULL)) ||
        (st = alloc_up(m, &L->pre, act, NULL)) || (st = alloc_up(m, &L->h, act, NULL)) ||
        (st = alloc_up(m, &L->dh, act, NULL)) || (st = alloc_up(m, &L->dpre, act, NULL)))
      return st;
  }
  return TDEV_OK;
}

/* --- Op plans and command packing ---------------------------------------------------------------- */
#define MAX_PLAN 64
#define MAX_OPND TPROTO_MAX_OPERANDS

struct opnd {
  const struct tdev_buf *b;
  uint32_t dtype, rank, shape[2];
  int out;     /* written by the op */
  int scratch; /* may be transient when all its uses are inside one command */
};
struct plan_op {
  uint16_t opcode, flags;
  int cut;     /* fused: starts a new command */
  uint32_t n;
  struct opnd o[MAX_OPND];
  uint32_t iparam[TPROTO_MAX_IPARAMS], scalar[TPROTO_MAX_SCALARS];
};
struct plan {
  uint32_t n;
  struct plan_op op[MAX_PLAN];
};

static struct plan_op *plan_add(struct plan *p, uint16_t opcode, uint16_t flags) {
  if (p->n == MAX_PLAN) return NULL;
  struct plan_op *o = &p->op[p->n++];
  memset(o, 0, sizeof *o);
  o->opcode = opcode, o->flags = flags;
  return o;
}
static void opnd(struct plan_op *o, const struct tdev_buf *b, uint32_t dtype, uint32_t d0, uint32_t d1, int out,
                 int scratch) {
  struct opnd *x = &o->o[o->n++];
  x->b = b, x->dtype = dtype, x->rank = d1 ? 2 : 1, x->shape[0] = d0, x->shape[1] = d1;
  x->out = out, x->scratch = scratch;
}

/* Linear-layer operands: stream S [G, SB] and weights WV [G, P]. */
static void linear_params(struct plan_op *o, const struct mlp *m, const struct mlp_layer *L) {
  o->iparam[0] = m->cfg.width, o->iparam[1] = m->cfg.width, o->iparam[2] = L->st.nnz;
}
static void stream_opnds(struct plan_op *o, const struct mlp *m, const struct mlp_layer *L, int wv) {
  opnd(o, &L->S, TPROTO_DT_BLOB, L->groups, TPROTO_STREAM_GROUP_BYTES(m->p), 0, 0);
  if (wv) opnd(o, &L->WV, TPROTO_DT_BF16, L->groups, m->p, 0, 0);
}

/* The fused backward (plan_backward) is a pipeline of up to 4 stages per command (bwd_data, the GELU
 * pair, bwd_weight, the bottom layer's bwd_weight), one tile each: on a device with fewer tiles the
 * firmware runs its commands op by op, and recomputing h_l would only add traffic, so the job then
 * keeps h_l and uses the unfused order. */
#define MLP_BWD_STAGES 4u
static int fused_backward(const struct mlp *m) { return m->cfg.fuse && TESSERA_CFG_TILES >= MLP_BWD_STAGES; }

/* Forward, loss and dlogits. Fused: the logits are scratch, and h_l too with the fused backward. */
static void plan_forward(const struct mlp *m, struct plan *p) {
  const uint32_t D = m->cfg.width, T = m->cfg.tokens, NL = m->cfg.layers;
  const int fz = m->cfg.fuse, fb = fused_backward(m);
  for (uint32_t l = 0; l < NL; l++) {
    const struct mlp_layer *L = &m->layer[l];
    struct plan_op *o = plan_add(p, TPROTO_OP_LINEAR_FWD, 0);
    opnd(o, l ? &m->layer[l - 1].h : &m->X0, TPROTO_DT_FP32, T, D, 0, 0);
    stream_opnds(o, m, L, 1);
    opnd(o, &L->pre, TPROTO_DT_FP32, T, D, 1, l + 1 == NL && fz); /* pre_L = logits */
    linear_params(o, m, L);
    if (l + 1 < NL) {
      /* Fused, h_l stays on chip: the fused backward recomputes it from pre_l. Unfused, it is kept
       * for the backward's bwd_weight. */
      o = plan_add(p, TPROTO_OP_GELU_FWD, 0);
      opnd(o, &L->pre, TPROTO_DT_FP32, T, D, 0, 0);
      opnd(o, &L->h, TPROTO_DT_FP32, T, D, 1, fb);
    }
  }
  const struct tdev_buf *logits = &m->layer[NL - 1].pre;
  struct plan_op *o = plan_add(p, TPROTO_OP_XENT_FWD, 0);
  opnd(o, logits, TPROTO_DT_FP32, T, D, 0, 0);
  opnd(o, &m->LAB, TPROTO_DT_I32, T, 0, 0, 0);
  opnd(o, &m->LOSS, TPROTO_DT_FP32, T, 0, 1, 0);
  o = plan_add(p, TPROTO_OP_XENT_BWD, 0);
  opnd(o, logits, TPROTO_DT_FP32, T, D, 0, 0);
  opnd(o, &m->LAB, TPROTO_DT_I32, T, 0, 0, 0);
  opnd(o, &m->DLOGITS, TPROTO_DT_FP32, T, D, 1, 0);
  o->scalar[0] = tvec_recip_u32(T);
}

/* Backward: dpre_L = dlogits; per layer dW_l, and dh_{l-1}, dpre_{l-1} below it.
 * Unfused: per layer from the top bwd_weight (reading the stored h_{l-1}), bwd_data, gelu_bwd.
 * Fused: one command per layer from the top, bwd_data (dh_{l-1}), gelu_bwd (dpre_{l-1}), gelu_fwd
 * recomputing h_{l-1} from pre_{l-1}, bwd_weight; the bottom layer's bwd_weight joins the last
 * command. dh, h and dpre inside a command are scratch: the firmware's pipeline moves them from
 * tile to tile (and dpre_l from the bwd_data tile to the bwd_weight tile), so a layer's backward
 * reads dpre_l, pre_{l-1} and its input once from DRAM. Both orders give the same bits. With fewer
 * tiles than MLP_BWD_STAGES the fused job uses the unfused order in its commands. */
static void plan_backward(const struct mlp *m, struct plan *p) {
  const uint32_t D = m->cfg.width, T = m->cfg.tokens, NL = m->cfg.layers;
  const int fz = m->cfg.fuse, fb = fused_backward(m);
  for (uint32_t l = NL; l-- > 0;) {
    const struct mlp_layer *L = &m->layer[l];
    const struct tdev_buf *dpre = l + 1 == NL ? &m->DLOGITS : &L->dpre;
    const struct tdev_buf *hin = l ? &m->layer[l - 1].h : &m->X0;
    const struct mlp_layer *B = l ? &m->layer[l - 1] : NULL;
    struct plan_op *o;
    if (!fb || !l) {
      o = plan_add(p, TPROTO_OP_LINEAR_BWD_WEIGHT, 0);
      opnd(o, dpre, TPROTO_DT_FP32, T, D, 0, 0);
      opnd(o, hin, TPROTO_DT_FP32, T, D, 0, 0);
      stream_opnds(o, m, L, 0);
      opnd(o, &L->dW, TPROTO_DT_FP32, L->groups, m->p, 1, 0);
      linear_params(o, m, L);
    }
    if (!l) continue;
    o = plan_add(p, TPROTO_OP_LINEAR_BWD_DATA, 0);
    o->cut = fb && l + 1 < NL;
    opnd(o, dpre, TPROTO_DT_FP32, T, D, 0, 0);
    stream_opnds(o, m, L, 1);
    opnd(o, &B->dh, TPROTO_DT_FP32, T, D, 1, fz);
    linear_params(o, m, L);
    o = plan_add(p, TPROTO_OP_GELU_BWD, 0);
    opnd(o, &B->pre, TPROTO_DT_FP32, T, D, 0, 0);
    opnd(o, &B->dh, TPROTO_DT_FP32, T, D, 0, 0);
    opnd(o, &B->dpre, TPROTO_DT_FP32, T, D, 1, fz);
    if (!fb) continue;
    o = plan_add(p, TPROTO_OP_GELU_FWD, 0);
    opnd(o, &B->pre, TPROTO_DT_FP32, T, D, 0, 0);
    opnd(o, &B->h, TPROTO_DT_FP32, T, D, 1, 1);
    o = plan_add(p, TPROTO_OP_LINEAR_BWD_WEIGHT, 0);
    opnd(o, dpre, TPROTO_DT_FP32, T, D, 0, 0);
    opnd(o, &B->h, TPROTO_DT_FP32, T, D, 0, 0);
    stream_opnds(o, m, L, 0);
    opnd(o, &L->dW, TPROTO_DT_FP32, L->groups, m->p, 1, 0);
    linear_params(o, m, L);
  }
}

static void plan_update(const struct mlp *m, struct plan *p) {
  const struct mlp_cfg *c = &m->cfg;
  const uint32_t t = m->step + 1;
  for (uint32_t l = 0; l < c->layers; l++) {
    const struct mlp_layer *L = &m->layer[l];
    struct plan_op *o = plan_add(p, TPROTO_OP_ADAMW, TPROTO_OPF_BF16_COPY);
    o->cut = l > 0; /* one command per layer: the firmware reads and plans each while the one before runs */
    opnd(o, &L->W, TPROTO_DT_FP32, L->groups, m->p, 1, 0);
    opnd(o, &L->dW, TPROTO_DT_FP32, L->groups, m->p, 0, 0);
    opnd(o, &L->M, TPROTO_DT_FP32, L->groups, m->p, 1, 0);
    opnd(o, &L->V, TPROTO_DT_FP32, L->groups, m->p, 1, 0);
    opnd(o, &L->WV, TPROTO_DT_BF16, L->groups, m->p, 1, 0);
    o->iparam[0] = t;
    o->scalar[0] = c->lr, o->scalar[1] = c->beta1, o->scalar[2] = c->beta2, o->scalar[3] = c->eps;
    o->scalar[4] = c->weight_decay;
    o->scalar[5] = tvec_bias_correction(c->beta1, t);
    o->scalar[6] = tvec_bias_correction(c->beta2, t);
  }
}

/* Pack plan ops [first, first + n) into one command. Returns 0, or -1 if it does not fit. */
static int pack(const struct plan *p, uint32_t first, uint32_t n, struct tproto_cmd *c) {
  memset(c, 0, sizeof *c);
  const struct tdev_buf *tb[TPROTO_MAX_TENSORS];
  uint32_t nt = 0;
  if (n > TPROTO_MAX_OPS) return -1;
  for (uint32_t i = 0; i < n; i++) {
    const struct plan_op *po = &p->op[first + i];
    struct tproto_op *op = &c->op[i];
    op->opcode = po->opcode, op->flags = po->flags, op->n_operands = (uint8_t)po->n;
    memcpy(op->iparam, po->iparam, sizeof op->iparam);
    memcpy(op->scalar, po->scalar, sizeof op->scalar);
    for (uint32_t a = 0; a < po->n; a++) {
      const struct opnd *x = &po->o[a];
      uint32_t ti = 0;
      while (ti < nt && tb[ti] != x->b) ti++;
      if (ti == nt) {
        if (nt == TPROTO_MAX_TENSORS) return -1;
        tb[nt++] = x->b;
        tdev_tensor(&c->tensor[ti], x->b, 0, x->dtype, x->rank, x->shape);
      }
      op->operand[a] = (uint8_t)ti;
    }
    /* Dependencies: earlier ops of this command that write what this op reads, or that read or
     * write what this op writes. */
    for (uint32_t j = 0; j < i; j++) {
      const struct plan_op *pj = &p->op[first + j];
      int dep = 0;
      for (uint32_t a = 0; a < po->n && !dep; a++)
        for (uint32_t b = 0; b < pj->n && !dep; b++)
          dep = po->o[a].b == pj->o[b].b && (pj->o[b].out || po->o[a].out);
      if (dep) {
        if (op->n_deps == TPROTO_MAX_DEPS) return -1;
        op->dep[op->n_deps++] = (uint8_t)j;
      }
    }
  }
  /* Transient: a tensor every use of which, in the whole plan, lies in this command, whose first use
   * is a write and whose every writer declares it scratch. */
  for (uint32_t ti = 0; ti < nt; ti++) {
    int transient = 1, seen = 0;
    for (uint32_t k = 0; k < p->n && transient; k++)
      for (uint32_t a = 0; a < p->op[k].n && transient; a++) {
        const struct opnd *x = &p->op[k].o[a];
        if (x->b != tb[ti]) continue;
        transient = k >= first && k < first + n && (seen || x->out) && (!x->out || x->scratch);
        seen = 1;
      }
    if (transient) c->tensor[ti].flags = TPROTO_TF_TRANSIENT;
  }
  c->n_tensors = (uint8_t)nt, c->n_ops = (uint8_t)n;
  return 0;
}

/* Split a plan into commands (fused: as many ops per command as fit; unfused: one each) and submit
 * them all; wait_last waits for the last one submitted. */
static enum tdev_status run_plan(struct mlp *m, const struct plan *p, uint32_t group) {
  uint32_t start[MAX_PLAN], count[MAX_PLAN], nc = 0;
  static struct tproto_cmd c; /* 1.7 KB; one job at a time */
  for (uint32_t i = 0; i < p->n;) {
    uint32_t n = 1;
    if (m->cfg.fuse) /* grow while it fits */
      while (i + n < p->n && !p->op[i + n].cut && !pack(p, i, n + 1, &c)) n++;
    start[nc] = i, count[nc] = n;
    nc++;
    i += n;
  }
  uint32_t seq = m->last_seq;
  for (uint32_t q = 0; q < nc; q++) {
    if (pack(p, start[q], count[q], &c)) return FAIL(m, TDEV_E_ARG, "an op does not fit a command");
    c.group = group + q;
    enum tdev_status st = tdev_submit(m->dev, &c, &seq);
    if (st == TDEV_E_RING) { /* ring full: drain, then retry once */
      st = tdev_wait(m->dev, seq, 0, NULL);
      if (st == TDEV_OK) st = tdev_submit(m->dev, &c, &seq);
    }
    if (st != TDEV_OK) return FAIL(m, st, "submit: %s", tdev_errmsg(m->dev));
  }
  m->ncmds += nc;
  m->last_seq = seq;
  return TDEV_OK;
}

static enum tdev_status wait_last(struct mlp *m) {
  struct tproto_cpl cpl;
  enum tdev_status st = tdev_wait(m->dev, m->last_seq, 0, &cpl);
  if (st == TDEV_E_CMD)
    return FAIL(m, st, "command %u (group %u) failed: status %u error %u at offset %u (op %u, tensor %u)", cpl.seq,
                cpl.group, cpl.status, cpl.error, cpl.error_offset, cpl.error_op, cpl.error_tensor);
  if (st != TDEV_OK) return FAIL(m, st, "%s", tdev_errmsg(m->dev));
  return TDEV_OK;
}

static enum tdev_status read_loss(struct mlp *m, double *loss) {
  const uint32_t T = m->cfg.tokens;
  uint32_t *l = malloc((size_t)T * 4);
  if (!l) return FAIL(m, TDEV_E_NOMEM, "out of host memory");
  enum tdev_status st = tdev_read(m->dev, &m->LOSS, 0, l, (uint64_t)T * 4);
  double s = 0;
  for (uint32_t t = 0; t < T; t++) {
    float f;
    memcpy(&f, &l[t], 4);
    s += f;
  }
  free(l);
  if (st != TDEV_OK) return FAIL(m, st, "reading the losses: %s", tdev_errmsg(m->dev));
  *loss = s / T;
  return TDEV_OK;
}

enum tdev_status mlp_forward_backward(struct mlp *m, double *loss) {
  static struct plan p;
  enum tdev_status st;
  m->ncmds = 0;
  p.n = 0;
  plan_forward(m, &p);
  if ((st = run_plan(m, &p, m->step * 16u))) return st;
  p.n = 0;
  plan_backward(m, &p);
  if ((st = run_plan(m, &p, m->step * 16u + 4u)) || (st = wait_last(m))) return st;
  return read_loss(m, loss);
}

enum tdev_status mlp_step(struct mlp *m, struct mlp_step_stats *out) {
  struct tdev_counters c0, c1;
  enum tdev_status st;
  double loss;
  if ((st = tdev_counters(m->dev, &c0))) return FAIL(m, st, "counters: %s", tdev_errmsg(m->dev));
  /* Forward, backward and update go into the ring together (the device runs them in order), so the
   * firmware reads each next command while the one before it runs. */
  static struct plan p;
  m->ncmds = 0;
  p.n = 0;
  plan_forward(m, &p);
  if ((st = run_plan(m, &p, m->step * 16u))) return st;
  p.n = 0;
  plan_backward(m, &p);
  if ((st = run_plan(m, &p, m->step * 16u + 4u))) return st;
  p.n = 0;
  plan_update(m, &p);
  if ((st = run_plan(m, &p, m->step * 16u + 8u)) || (st = wait_last(m)) || (st = read_loss(m, &loss))) return st;
  m->step++;
  if ((st = tdev_counters(m->dev, &c1))) return FAIL(m, st, "counters: %s", tdev_errmsg(m->dev));
  if (out) {
    memset(out, 0, sizeof *out);
    out->loss = loss;
    out->cycles = c1.cycles - c0.cycles;
    out->dram_bytes = c1.dram_bytes - c0.dram_bytes;
    for (uint32_t t = 0; t < c1.tiles; t++) out->macs += c1.tile[t].macs - c0.tile[t].macs;
    out->tile_busy_any = c1.any_tile_busy - c0.any_tile_busy;
    out->busy_any = c1.any_busy - c0.any_busy;
    double peak = (double)c1.tiles * TESSERA_CFG_LANES * TESSERA_CFG_NNZ_PER_CYCLE;
    out->utilization = out->cycles ? (double)out->macs / ((double)out->cycles * peak) : 0.0;
    out->controller_gap = out->cycles ? (double)(out->cycles - out->busy_any) / (double)out->cycles : 0.0;
    out->commands = m->ncmds;
  }
  return TDEV_OK;
}

enum tdev_status mlp_read_grad(struct mlp *m, uint32_t l, uint32_t *g) {
  if (l >= m->cfg.layers) return FAIL(m, TDEV_E_ARG, "no layer %u", l);
  return tdev_read(m->dev, &m->layer[l].dW, 0, g, (uint64_t)m->layer[l].groups * m->p * 4);
}

enum tdev_status mlp_read_weights(struct mlp *m, uint32_t l, uint32_t *w) {
  if (l >= m->cfg.layers) return FAIL(m, TDEV_E_ARG, "no layer %u", l);
  return tdev_read(m->dev, &m->layer[l].W, 0, w, (uint64_t)m->layer[l].groups * m->p * 4);
}

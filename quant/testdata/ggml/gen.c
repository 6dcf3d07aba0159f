// gen.c: writes reference outputs of ggml's own dequantize_row_* / quantize_row_*_ref
// and fp16/bf16 conversions (ggml-impl.h) for llmpipe's quant tests. Our code;
// links ggml/src/ggml-quants.c unmodified.
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ggml.h"
#include "ggml-impl.h"
#include "ggml-quants.h"

void ggml_abort(const char *f, int l, const char *fmt, ...) { fprintf(stderr, "abort %s:%d\n", f, l); abort(); }
const char *ggml_type_name(enum ggml_type t) { return "?"; }
size_t ggml_type_size(enum ggml_type t) { return 0; }
size_t ggml_row_size(enum ggml_type t, int64_t n) { return 0; }

static uint64_t st = 0x9E3779B97F4A7C15ull;
static uint64_t rnd(void) { uint64_t z = (st += 0x9E3779B97F4A7C15ull); z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull; z = (z ^ (z >> 27)) * 0x94D049BB133111EBull; return z ^ (z >> 31); }
static double unif(void) { return (rnd() >> 11) * (1.0 / 9007199254740992.0); }
static float gauss(void) { double u = unif(), v = unif(); if (u < 1e-300) u = 1e-300; return (float)(sqrt(-2 * log(u)) * cos(2 * M_PI * v)); }

static void wr(const char *dir, const char *name, const void *a, size_t na, const void *b, size_t nb) {
    char p[512]; snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "wb"); fwrite(a, 1, na, f); if (b) fwrite(b, 1, nb, f); fclose(f);
}

typedef void (*deq_t)(const void *, float *, int64_t);
typedef void (*qnt_t)(const float *, void *, int64_t);
struct ty { const char *name; int bs, ts; deq_t deq; qnt_t qnt; int h[2]; int f32d; };

// fill a block of bs floats with one of several shapes
static void fill(float *x, int bs, int kind) {
    float s = (float)pow(10.0, -4 + 6 * unif());
    for (int j = 0; j < bs; j++) x[j] = 0;
    switch (kind % 8) {
    case 0: case 1: case 2: for (int j = 0; j < bs; j++) x[j] = gauss() * s; break;
    case 3: for (int j = 0; j < bs; j++) x[j] = (float)(unif() * 2 - 1) * s; break;
    case 4: for (int j = 0; j < bs; j++) x[j] = (float)(j % 16) - 7.5f; break;            // grid with .5 ties
    case 5: for (int j = 0; j < bs; j++) x[j] = gauss() * s; x[rnd() % bs] = 50 * s; break; // outlier
    case 6: for (int j = 0; j < bs; j++) x[j] = (float)(unif() * s + s); break;             // all positive
    case 7: if (rnd() & 1) { for (int j = 0; j < bs; j++) x[j] = -s; } break;               // constant or zero
    }
}

int main(int argc, char **argv) {
    const char *dir = argv[1];
    struct ty tys[] = {
        {"Q4_0", 32, 18, (deq_t)dequantize_row_q4_0, (qnt_t)quantize_row_q4_0_ref, {0, -1}, 0},
        {"Q4_1", 32, 20, (deq_t)dequantize_row_q4_1, (qnt_t)quantize_row_q4_1_ref, {0, 2}, 0},
        {"Q5_0", 32, 22, (deq_t)dequantize_row_q5_0, (qnt_t)quantize_row_q5_0_ref, {0, -1}, 0},
        {"Q5_1", 32, 24, (deq_t)dequantize_row_q5_1, (qnt_t)quantize_row_q5_1_ref, {0, 2}, 0},
        {"Q8_0", 32, 34, (deq_t)dequantize_row_q8_0, (qnt_t)quantize_row_q8_0_ref, {0, -1}, 0},
        {"Q8_1", 32, 36, NULL, (qnt_t)quantize_row_q8_1_ref, {0, 2}, 0},
        {"Q2_K", 256, 84, (deq_t)dequantize_row_q2_K, (qnt_t)quantize_row_q2_K_ref, {80, 82}, 0},
        {"Q3_K", 256, 110, (deq_t)dequantize_row_q3_K, (qnt_t)quantize_row_q3_K_ref, {108, -1}, 0},
        {"Q4_K", 256, 144, (deq_t)dequantize_row_q4_K, (qnt_t)quantize_row_q4_K_ref, {0, 2}, 0},
        {"Q5_K", 256, 176, (deq_t)dequantize_row_q5_K, (qnt_t)quantize_row_q5_K_ref, {0, 2}, 0},
        {"Q6_K", 256, 210, (deq_t)dequantize_row_q6_K, (qnt_t)quantize_row_q6_K_ref, {208, -1}, 0},
        {"Q8_K", 256, 292, (deq_t)dequantize_row_q8_K, (qnt_t)quantize_row_q8_K_ref, {-1, -1}, 1},
    };
    for (size_t t = 0; t < sizeof tys / sizeof tys[0]; t++) {
        struct ty *T = &tys[t];
        int nb = T->bs == 32 ? 24 : 6;
        size_t nel = (size_t)nb * T->bs;
        uint8_t *raw = calloc(nb, T->ts); float *out = calloc(nel, 4);
        if (T->deq) {
            for (size_t i = 0; i < (size_t)nb * T->ts; i++) raw[i] = rnd();
            for (int b = 0; b < nb; b++) {
                if (b % 4 == 3) continue; // keep fully random bytes (Inf/NaN scales possible)
                for (int k = 0; k < 2; k++) if (T->h[k] >= 0) {
                    ggml_fp16_t h = GGML_FP32_TO_FP16(gauss() * (float)pow(10.0, -3 + 3 * unif()));
                    memcpy(raw + (size_t)b * T->ts + T->h[k], &h, 2);
                }
                if (T->f32d) { float d = gauss() * 1e-2f; memcpy(raw + (size_t)b * T->ts, &d, 4); }
            }
            T->deq(raw, out, nel);
            char n[64]; snprintf(n, sizeof n, "dequant_%s.bin", T->name);
            wr(dir, n, raw, (size_t)nb * T->ts, out, nel * 4);
        }
        for (int b = 0; b < nb; b++) fill(out + (size_t)b * T->bs, T->bs, b);
        memset(raw, 0, (size_t)nb * T->ts);
        T->qnt(out, raw, nel);
        char n[64]; snprintf(n, sizeof n, "quant_%s.bin", T->name);
        wr(dir, n, out, nel * 4, raw, (size_t)nb * T->ts);
        free(raw); free(out);
    }
    // fp16 -> fp32 for every half; fp32 -> fp16 and bf16 for special and random floats
    static float all[65536];
    for (int i = 0; i < 65536; i++) all[i] = GGML_FP16_TO_FP32((ggml_fp16_t)i);
    wr("/tmp/gg", "fp16_to_fp32_all.bin", all, sizeof all, NULL, 0);
    enum { NF = 2048 };
    static uint32_t in[NF]; static uint16_t h16[NF], b16[NF];
    int n = 0;
    uint32_t special[] = {0, 0x80000000, 0x7f800000, 0xff800000, 0x7fc00000, 0xffc00000, 0x7f800001, 0x7fbfffff,
                          0x7fffffff, 0x00000001, 0x80000001, 0x007fffff, 0x00800000, 0x3f800000, 0xbf800000,
                          0x477fe000, 0x477fefff, 0x477ff000, 0x477ff001, 0x47800000, 0x7f7fffff, 0x33800000,
                          0x33000000, 0x33000001, 0x32ffffff, 0x387fc000, 0x38800000, 0x387fe000, 0x3f801000,
                          0x3f803000, 0x3f801001, 0x3f800fff, 0x3f808000, 0x3f818000, 0x3f7f8000, 0x3f7f7fff};
    for (size_t i = 0; i < sizeof special / 4; i++) in[n++] = special[i];
    while (n < NF) {
        uint32_t r = (uint32_t)rnd();
        switch (n % 4) {
        case 0: in[n++] = r; break;                                          // any bits
        case 1: in[n++] = (r & 0x80001fff) | ((uint32_t)(96 + r % 64) << 23); break; // fp16 range, low bits near ties
        case 2: in[n++] = (r & 0x8000ffff) | (0x3f80u << 16) | (r & 0x8000 ? 0x8000 : 0); break; // bf16 ties
        case 3: in[n++] = (r & 0x807fffff) | ((uint32_t)(100 + r % 16) << 23); break; // fp16 subnormal range
        }
    }
    for (int i = 0; i < NF; i++) {
        float f; memcpy(&f, &in[i], 4);
        h16[i] = GGML_FP32_TO_FP16(f);
        b16[i] = GGML_FP32_TO_BF16(f).bits;
    }
    wr(dir, "fp32_to_fp16.bin", in, sizeof in, h16, sizeof h16);
    wr(dir, "fp32_to_bf16.bin", in, sizeof in, b16, sizeof b16);
    return 0;
}

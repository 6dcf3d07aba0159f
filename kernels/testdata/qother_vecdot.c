// qother_vecdot.c: writes qother_vecdot.bin, the results of ggml's own generic
// vec_dot functions (ggml-cpu/quants.c, *_generic) for Q4_1, Q5_0, Q5_1, Q2_K,
// Q3_K and Q5_K rows, for llmpipe's kernels tests (TestOtherQGGMLVecDot). Our
// code; links ggml's src/ggml-cpu/quants.c and src/ggml-quants.c unmodified.
//
// Build (ggml at github.com/ggml-org/ggml d99724f2b141fed9e1a9f402213506c081433465):
//   git -C ggml archive HEAD src include | tar x -C /tmp/gg && cd /tmp/gg
//   gcc -O2 -ffp-contract=off -std=gnu11 -Iinclude -Isrc -Isrc/ggml-cpu -c src/ggml-cpu/quants.c -o cq.o
//   gcc -O2 -ffp-contract=off -std=gnu11 -Iinclude -Isrc -c src/ggml-quants.c -o q.o
//   gcc -O2 -ffp-contract=off -std=gnu11 -Iinclude -Isrc -Isrc/ggml-cpu qother_vecdot.c cq.o q.o -lm -o gen
//   ./gen > qother_vecdot.bin
// -ffp-contract=off: ISO C rounding of every operation (no FMA), what the Go
// references reproduce.
//
// Layout, little-endian: for each of the 6 types: uint32 ggml type, uint32
// ncases; per case: uint32 n (elements), the row of n/bs weight blocks, the
// row of activation blocks (the type's vec_dot_type), float32 result.
// Weights: rows quantized by quantize_row_T_ref from Gaussian, uniform or
// outlier data at scales 10^U(-3,1); every fourth row is random bytes (so
// NaN/Inf scales occur). Activations: quantize_row_q8_{0,1,K}_ref of
// Gaussian data times 10^U(-2,1).
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ggml.h"
#include "ggml-impl.h"
#include "ggml-quants.h"
#include "quants.h"

void ggml_abort(const char *f, int l, const char *fmt, ...) { fprintf(stderr, "abort %s:%d\n", f, l); abort(); }
const char *ggml_type_name(enum ggml_type t) { return "?"; }
size_t ggml_type_size(enum ggml_type t) { return 0; }
size_t ggml_row_size(enum ggml_type t, int64_t n) { return 0; }
float ggml_table_f32_f16[1 << 16];

static uint64_t st = 0x2545F4914F6CDD1Dull;
static uint64_t rnd(void) { uint64_t z = (st += 0x9E3779B97F4A7C15ull); z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull; z = (z ^ (z >> 27)) * 0x94D049BB133111EBull; return z ^ (z >> 31); }
static double unif(void) { return (rnd() >> 11) * (1.0 / 9007199254740992.0); }
static float gauss(void) { double u = unif(), v = unif(); if (u < 1e-300) u = 1e-300; return (float)(sqrt(-2 * log(u)) * cos(2 * M_PI * v)); }

typedef void (*qnt_t)(const float *, void *, int64_t);
typedef void (*dot_t)(int, float *, size_t, const void *, size_t, const void *, size_t, int);
struct ty { uint32_t id; int bs, ts; qnt_t qnt; dot_t dot; int ats; qnt_t aq; };

static void put32(uint32_t v) { fwrite(&v, 4, 1, stdout); }

int main(void) {
    for (int i = 0; i < 1 << 16; i++) ggml_table_f32_f16[i] = GGML_COMPUTE_FP16_TO_FP32((ggml_fp16_t)i);
    struct ty tys[] = {
        {3, 32, 20, (qnt_t)quantize_row_q4_1_ref, ggml_vec_dot_q4_1_q8_1_generic, 36, (qnt_t)quantize_row_q8_1_ref},
        {6, 32, 22, (qnt_t)quantize_row_q5_0_ref, ggml_vec_dot_q5_0_q8_0_generic, 34, (qnt_t)quantize_row_q8_0_ref},
        {7, 32, 24, (qnt_t)quantize_row_q5_1_ref, ggml_vec_dot_q5_1_q8_1_generic, 36, (qnt_t)quantize_row_q8_1_ref},
        {10, 256, 84, (qnt_t)quantize_row_q2_K_ref, ggml_vec_dot_q2_K_q8_K_generic, 292, (qnt_t)quantize_row_q8_K_ref},
        {11, 256, 110, (qnt_t)quantize_row_q3_K_ref, ggml_vec_dot_q3_K_q8_K_generic, 292, (qnt_t)quantize_row_q8_K_ref},
        {13, 256, 176, (qnt_t)quantize_row_q5_K_ref, ggml_vec_dot_q5_K_q8_K_generic, 292, (qnt_t)quantize_row_q8_K_ref},
    };
    const int ncases = 32;
    static float x[1024], y[1024];
    static uint8_t wq[16 * 176], aq[16 * 292];
    for (size_t t = 0; t < sizeof tys / sizeof tys[0]; t++) {
        struct ty *T = &tys[t];
        put32(T->id);
        put32(ncases);
        for (int c = 0; c < ncases; c++) {
            int nb = T->bs == 32 ? 1 + (int)(rnd() % 16) : 1 + (int)(rnd() % 4);
            int n = nb * T->bs;
            float s = (float)pow(10.0, -3 + 4 * unif());
            for (int j = 0; j < n; j++) {
                switch (c % 3) {
                case 0: x[j] = gauss() * s; break;
                case 1: x[j] = (float)(unif() * 2 - 1) * s; break;
                case 2: x[j] = gauss() * s; if (rnd() % 64 == 0) x[j] *= 30; break;
                }
            }
            if (c % 4 == 3) {
                for (int j = 0; j < nb * T->ts; j++) wq[j] = (uint8_t)rnd();
            } else {
                T->qnt(x, wq, n);
            }
            float sa = (float)pow(10.0, -2 + 3 * unif());
            for (int j = 0; j < n; j++) y[j] = gauss() * sa;
            T->aq(y, aq, n);
            float r;
            T->dot(n, &r, 0, wq, 0, aq, 0, 1);
            put32((uint32_t)n);
            fwrite(wq, 1, (size_t)nb * T->ts, stdout);
            fwrite(aq, 1, (size_t)nb * T->ats, stdout);
            fwrite(&r, 4, 1, stdout);
        }
    }
    return 0;
}

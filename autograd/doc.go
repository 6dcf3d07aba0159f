// Package autograd is reverse-mode automatic differentiation (Baydin et al.
// 2018, "Automatic differentiation in machine learning: a survey", §3.2)
// over the ops a transformer is made of, for training the models the runtime
// serves.
//
// Values are float32 matrices in row-major order (Var: Data, Grad, Rows,
// Cols; a batch of sequences is [batch·T, dim], one row per token).
// Parameters are made with Param and carry a gradient; constants with New.
// Every op is a function that takes a *Tape first, computes its forward
// result (through package kernels where a kernel exists), and, when the
// tape is not nil and an input carries a gradient, records a backward
// closure on the tape. Tape.Backward seeds d loss = 1 and runs the closures
// in reverse, accumulating (+=) into every gradient, so gradients of
// several micro-batches add up until ZeroGrad. With a nil tape nothing is
// recorded and no gradient is allocated: the same model code is the
// inference forward pass at the cost of the forward math alone.
//
// Ops: MatMul (x·wᵀ + b, the linear layer; forward and both backward
// products are kernels.MatMul, on transposed operands in the backward
// pass), Embedding (row gather, scatter-add backward), Add (with row
// broadcast), Mul, Scale, Reshape (a view), RMSNorm, LayerNorm, RoPE (normal
// and NeoX, a position per row), Attention (causal, grouped KV heads,
// sequences of a batch kept apart), Softmax, LogSoftmax, SiLU, GELU (tanh
// form, as GPT-2), SwiGLU; losses CrossEntropy (ignore index, mean over
// counted targets), SequenceLogProb (per-sequence Σ log π(target)), KL,
// BradleyTerry (Bradley & Terry 1952, the reward model's pairwise loss) and
// DPO (Rafailov et al. 2023, "Direct Preference Optimization: Your Language
// Model is Secretly a Reward Model").
//
// Kernels that package kernels does not have yet are written here: GELU,
// LayerNorm, LogSoftmax and the losses (plain loops, float64 sums).
//
// Every op's backward pass is checked against central finite differences of
// an independent float64 twin of its forward pass (ref_test.go), and so are
// all parameter gradients of a small Llama-shaped and a GPT-2-shaped model
// built from these ops (model_test.go).
//
// Misuse (shapes that do not fit, a token id outside the table, a target
// outside the vocabulary) is a programmer error and panics with the shapes;
// callers check data from outside before building the graph. Backward
// returns an error for a loss that was not recorded.
//
// Not here: layers and model definitions (they compose these ops), the
// optimizers (package optim), data loading, checkpoints.
package autograd

// Package optim updates the parameters of an autograd model from their
// gradients: SGD with momentum, Adam (Kingma & Ba 2015, "Adam: A Method for
// Stochastic Optimization") and AdamW, Adam with decoupled weight decay
// (Loshchilov & Hutter 2019, "Decoupled Weight Decay Regularization"), with
// PyTorch's update formulas (torch.optim.SGD, Adam, AdamW: bias-corrected
// moments, ε added to √v̂); learning-rate schedules (constant; linear warmup
// then cosine decay to a minimum, as nanoGPT's train.py); and clipping by
// the global gradient norm (torch.nn.utils.clip_grad_norm_).
//
// An optimizer holds its parameters (*autograd.Var) and its state (step
// count, moment buffers) in exported fields; MarshalBinary and
// UnmarshalBinary save and restore the state for checkpoints (restoring
// checks the state fits the parameters). The learning rate is an argument
// of Step, so a Schedule drives it from outside. Weight decay can be
// limited to some parameters by a predicate (Decay; DecayMatrices is
// nanoGPT's choice: matrices decay, norms and biases do not).
//
// Not here: computing gradients (package autograd), data, checkpoint files.
package optim

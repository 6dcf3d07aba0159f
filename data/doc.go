// Package data turns a text corpus into training batches for pretraining: it
// tokenizes the corpus once into a binary token file, opens that file
// memory-mapped as a token sequence, splits it into training and validation
// ranges, and cuts random contiguous windows (training) or consecutive
// windows (validation) of context+1 tokens into input/target batches.
//
// This follows nanoGPT's data pipeline (Karpathy, data/*/prepare.py and
// train.py's get_batch): the corpus is encoded once and written as a flat
// array of uint16 ids (uint32 here when the vocabulary needs it), the last
// 10% is the validation split, and a batch is B windows starting at uniform
// random offsets i ∈ [0, n−T−1], inputs x = tokens[i : i+T] and targets
// y = tokens[i+1 : i+T+1].
//
// # Token file format (version 1)
//
// A 32-byte little-endian header, then Count ids of the header's width:
//
//	offset  size  field
//	0       8     magic "LLMPTOK\x00"
//	8       4     version (1)
//	12      4     bytes per id: 2 (uint16) or 4 (uint32)
//	16      4     vocabulary size V (every id is < V)
//	20      4     reserved, 0
//	24      8     Count, the number of ids
//	32      …     the ids
//
// Files are written to a temporary file in the destination folder, synced
// and renamed into place, so a file under its final name is always complete.
//
// The package does not train, and imports only the tokenizer interface.
package data

package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"unicode"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/llmpipe/llmpipe/format/gguf"
)

// inspectHead is how many elements a summarised array shows.
const inspectHead = 3

// inspectMaxRunes is the longest string the text output prints whole
// without --full (chat templates run to kilobytes).
const inspectMaxRunes = 160

func newInspectCmd() *cobra.Command {
	var asJSON, full bool
	cmd := &cobra.Command{
		Use:   "inspect PATH [--json] [--full]",
		Short: "Print a GGUF model's header, metadata and tensor table",
		Long: `inspect reads a GGUF file's header, metadata and tensor index (not the
tensor data) and prints:

  the header: version, alignment, tensor count, metadata count, data offset
  (where the tensor data starts) and file size;
  every metadata key in file order with its type and value; arrays are
  summarised as [512 strings] "<unk>", "<s>", "</s>", … and long strings cut,
  unless --full;
  the tensor table: name, ggml type, shape (innermost dimension first, as
  ggml's ne[]), element count, bytes and offset from the start of the data
  section;
  totals: parameters, bytes and bits per parameter, and the same per type.

--json prints one object with the same content; arrays appear in full (as
"value") only with --full, otherwise as "len" and their first elements
("head"). Non-finite floats are written as the strings "NaN", "+Inf", "-Inf".

A truncated or corrupted file is an error naming the key or tensor and the
byte offset.`,
		Example: `  llmpipe inspect ../shared/data/models/stories260K.gguf
  llmpipe inspect ../shared/data/models/stories260K-q8_0.gguf --json
  llmpipe inspect model.gguf --json --full | jq '.metadata[] | select(.key == "tokenizer.ggml.tokens") | .value[:10]'`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return fmt.Errorf("inspect needs exactly one GGUF file path, got %d arguments", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := gguf.Open(args[0])
			if err != nil {
				return err
			}
			defer f.Close()
			rep, err := newInspectReport(args[0], f)
			if err != nil {
				return fmt.Errorf("%s: %w", args[0], err)
			}
			w := bufio.NewWriter(cmd.OutOrStdout())
			if asJSON {
				err = rep.writeJSON(w, full)
			} else {
				err = rep.writeText(w, full)
			}
			if ferr := w.Flush(); err == nil {
				err = ferr
			}
			return err
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON object")
	cmd.Flags().BoolVar(&full, "full", false, "print arrays and long strings in full")
	return cmd
}

// inspectReport is what inspect prints, gathered once for both outputs.
type inspectReport struct {
	path    string
	f       *gguf.File
	tensors []tensorRow
	byType  []typeTotal
	params  uint64
	bytes   uint64
}

// tensorRow is one line of the tensor table.
type tensorRow struct {
	Name       string   `json:"name"`
	Type       string   `json:"type"`
	Shape      []uint64 `json:"shape"`
	Elements   uint64   `json:"elements"`
	Bytes      uint64   `json:"bytes"`
	Offset     uint64   `json:"offset"`
	FileOffset uint64   `json:"file_offset"`
}

// typeTotal sums the tensors of one ggml type.
type typeTotal struct {
	Type       string `json:"type"`
	Tensors    int    `json:"tensors"`
	Parameters uint64 `json:"parameters"`
	Bytes      uint64 `json:"bytes"`

	id gguf.GGMLType
}

func newInspectReport(path string, f *gguf.File) (*inspectReport, error) {
	r := &inspectReport{path: path, f: f, tensors: make([]tensorRow, 0, len(f.Tensors))}
	totals := map[gguf.GGMLType]*typeTotal{}
	for i, t := range f.Tensors {
		n, ok := t.NumElements()
		if !ok {
			return nil, fmt.Errorf("tensor[%d] %q: element count of %v overflows", i, t.Name, t.Dims)
		}
		size, err := t.Size()
		if err != nil {
			return nil, fmt.Errorf("tensor[%d]: %w", i, err)
		}
		shape := t.Dims
		if shape == nil {
			shape = []uint64{}
		}
		r.tensors = append(r.tensors, tensorRow{
			Name: t.Name, Type: t.Type.String(), Shape: shape, Elements: n, Bytes: size,
			Offset: t.Offset, FileOffset: uint64(f.DataOffset) + t.Offset,
		})
		tt := totals[t.Type]
		if tt == nil {
			tt = &typeTotal{Type: t.Type.String(), id: t.Type}
			totals[t.Type] = tt
		}
		// Every tensor lies inside the file (Read checked it), so byte sums
		// cannot overflow; element counts of a hostile file could.
		tt.Tensors++
		tt.Bytes += size
		r.bytes += size
		if tt.Parameters+n < n || r.params+n < n {
			return nil, fmt.Errorf("tensor[%d] %q: total element count overflows", i, t.Name)
		}
		tt.Parameters += n
		r.params += n
	}
	for _, tt := range totals {
		r.byType = append(r.byType, *tt)
	}
	sort.Slice(r.byType, func(i, j int) bool { return r.byType[i].id < r.byType[j].id })
	return r, nil
}

// ---- text output ----

func (r *inspectReport) writeText(out io.Writer, full bool) error {
	f := r.f
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintf(w, "file\t%s\n", r.path)
	fmt.Fprintf(w, "version\t%d\n", f.Version)
	fmt.Fprintf(w, "alignment\t%d\n", f.Alignment)
	fmt.Fprintf(w, "tensors\t%d\n", len(f.Tensors))
	fmt.Fprintf(w, "metadata\t%d keys\n", len(f.KV))
	fmt.Fprintf(w, "data offset\t%d\n", f.DataOffset)
	fmt.Fprintf(w, "file size\t%d (%s)\n", f.Size, humanBytes(uint64(f.Size)))
	if err := w.Flush(); err != nil {
		return err
	}

	fmt.Fprintf(out, "\nmetadata (%d keys)\n", len(f.KV))
	w = tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintf(w, "  KEY\tTYPE\tVALUE\n")
	for _, kv := range f.KV {
		fmt.Fprintf(w, "  %s\t%s\t%s\n", cell(kv.Key), typeName(kv.Value), textValue(kv.Value, full))
	}
	if err := w.Flush(); err != nil {
		return err
	}

	fmt.Fprintf(out, "\ntensors (%d)\n", len(r.tensors))
	w = tabwriter.NewWriter(out, 0, 4, 2, ' ', tabwriter.AlignRight)
	// AlignRight right-aligns every column; names and types read better
	// left-aligned, so they are padded by hand below.
	nameW, typeW, shapeW := len("NAME"), len("TYPE"), len("SHAPE")
	shapes := make([]string, len(r.tensors))
	for i, t := range r.tensors {
		shapes[i] = shapeString(t.Shape)
		nameW = max(nameW, utf8.RuneCountInString(cell(t.Name)))
		typeW = max(typeW, len(t.Type))
		shapeW = max(shapeW, len(shapes[i]))
	}
	fmt.Fprintf(w, "#\t  %-*s  %-*s  %-*s\tELEMENTS\tBYTES\tOFFSET\t\n", nameW, "NAME", typeW, "TYPE", shapeW, "SHAPE")
	for i, t := range r.tensors {
		fmt.Fprintf(w, "%d\t  %s  %-*s  %-*s\t%d\t%d\t%d\t\n", i, padRight(cell(t.Name), nameW), typeW, t.Type, shapeW, shapes[i], t.Elements, t.Bytes, t.Offset)
	}
	if err := w.Flush(); err != nil {
		return err
	}

	fmt.Fprintf(out, "\ntotals\n")
	w = tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintf(w, "  parameters\t%d (%s)\n", r.params, humanCount(r.params))
	fmt.Fprintf(w, "  bytes\t%d (%s), %s bits per parameter\n", r.bytes, humanBytes(r.bytes), bitsPer(r.bytes, r.params))
	if err := w.Flush(); err != nil {
		return err
	}
	w = tabwriter.NewWriter(out, 0, 4, 2, ' ', tabwriter.AlignRight)
	typeW = len("TYPE")
	for _, tt := range r.byType {
		typeW = max(typeW, len(tt.Type))
	}
	fmt.Fprintf(w, "  %-*s\tTENSORS\tPARAMETERS\tBYTES\tBITS/PARAM\t\n", typeW, "TYPE")
	for _, tt := range r.byType {
		fmt.Fprintf(w, "  %-*s\t%d\t%d\t%d\t%s\t\n", typeW, tt.Type, tt.Tensors, tt.Parameters, tt.Bytes, bitsPer(tt.Bytes, tt.Parameters))
	}
	return w.Flush()
}

// typeName is a value's type as the text output shows it: "uint32",
// "array[string]", "array[array]".
func typeName(v gguf.Value) string {
	if v.Type == gguf.TypeArray {
		return "array[" + v.Elem.String() + "]"
	}
	return v.Type.String()
}

// textValue formats a metadata value on one line: scalars as Go literals
// (strings quoted), arrays as `[512 strings] "<unk>", "<s>", "</s>", …`
// unless full; the elements of an array of arrays are parenthesised.
func textValue(v gguf.Value, full bool) string {
	if v.Type != gguf.TypeArray {
		return textScalar(v.Any(), full)
	}
	n := v.Len()
	var b strings.Builder
	noun := v.Elem.String()
	if n != 1 {
		noun += "s"
	}
	fmt.Fprintf(&b, "[%d %s]", n, noun)
	show := n
	if !full {
		show = min(n, inspectHead)
	}
	for i, x := range arrayItems(v, show) {
		if i == 0 {
			b.WriteByte(' ')
		} else {
			b.WriteString(", ")
		}
		if sub, ok := x.(gguf.Value); ok {
			b.WriteString("(" + textValue(sub, full) + ")")
			continue
		}
		b.WriteString(textScalar(x, full))
	}
	if show < n {
		b.WriteString(", …")
	}
	return b.String()
}

// textScalar formats one scalar: strings quoted (and cut after
// inspectMaxRunes runes unless full), float32 in its shortest form.
func textScalar(x any, full bool) string {
	switch x := x.(type) {
	case string:
		if !full && utf8.RuneCountInString(x) > inspectMaxRunes {
			runes := []rune(x)
			return fmt.Sprintf("%q… (%d bytes)", string(runes[:inspectMaxRunes]), len(x))
		}
		return strconv.Quote(x)
	case float32:
		return strconv.FormatFloat(float64(x), 'g', -1, 32)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	}
	return fmt.Sprint(x)
}

// arrayItems returns the first n elements of an array value as Go scalars
// (uint8 … float64, bool, string) or, for an array of arrays, gguf.Values.
func arrayItems(v gguf.Value, n int) []any {
	switch a := v.Any().(type) {
	case []uint8:
		return boxed(a[:n])
	case []int8:
		return boxed(a[:n])
	case []uint16:
		return boxed(a[:n])
	case []int16:
		return boxed(a[:n])
	case []uint32:
		return boxed(a[:n])
	case []int32:
		return boxed(a[:n])
	case []float32:
		return boxed(a[:n])
	case []bool:
		return boxed(a[:n])
	case []string:
		return boxed(a[:n])
	case []uint64:
		return boxed(a[:n])
	case []int64:
		return boxed(a[:n])
	case []float64:
		return boxed(a[:n])
	case []gguf.Value:
		return boxed(a[:n])
	}
	return nil
}

func boxed[T any](s []T) []any {
	out := make([]any, len(s))
	for i, x := range s {
		out[i] = x
	}
	return out
}

// cell makes a key or tensor name safe for one table cell: names with
// spaces, control characters or invalid UTF-8 are quoted.
func cell(s string) string {
	if !utf8.ValidString(s) || s == "" {
		return strconv.Quote(s)
	}
	for _, c := range s {
		if unicode.IsSpace(c) || !unicode.IsPrint(c) {
			return strconv.Quote(s)
		}
	}
	return s
}

func padRight(s string, w int) string {
	if n := utf8.RuneCountInString(s); n < w {
		return s + strings.Repeat(" ", w-n)
	}
	return s
}

// shapeString writes dims innermost first, as ggml's ne[]: "[64, 512]".
func shapeString(dims []uint64) string {
	parts := make([]string, len(dims))
	for i, d := range dims {
		parts[i] = strconv.FormatUint(d, 10)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// humanCount writes n with a K/M/B/T suffix (powers of 1000), as model
// sizes are quoted ("289.5K", "1.1B").
func humanCount(n uint64) string {
	const units = "KMBT"
	if n < 1000 {
		return strconv.FormatUint(n, 10)
	}
	x := float64(n)
	i := -1
	for x >= 1000 && i < len(units)-1 {
		x /= 1000
		i++
	}
	return strconv.FormatFloat(x, 'f', 1, 64) + string(units[i])
}

// humanBytes writes n in KiB/MiB/GiB/TiB.
func humanBytes(n uint64) string {
	if n < 1024 {
		return strconv.FormatUint(n, 10) + " B"
	}
	units := []string{"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}
	x := float64(n)
	i := -1
	for x >= 1024 && i < len(units)-1 {
		x /= 1024
		i++
	}
	return strconv.FormatFloat(x, 'f', 1, 64) + " " + units[i]
}

// bitsPer is bytes*8/params with two decimals, "-" when there are no
// parameters.
func bitsPer(bytes, params uint64) string {
	if params == 0 {
		return "-"
	}
	return strconv.FormatFloat(float64(bytes)*8/float64(params), 'f', 2, 64)
}

// ---- JSON output ----

// inspectJSON is the --json object.
type inspectJSON struct {
	File          string         `json:"file"`
	Version       uint32         `json:"version"`
	Alignment     uint64         `json:"alignment"`
	TensorCount   int            `json:"tensor_count"`
	MetadataCount int            `json:"metadata_count"`
	DataOffset    int64          `json:"data_offset"`
	FileSize      int64          `json:"file_size"`
	Metadata      []metadataJSON `json:"metadata"`
	Tensors       []tensorRow    `json:"tensors"`
	Totals        totalsJSON     `json:"totals"`
}

// metadataJSON is one key: a scalar has "value"; an array has "elem_type"
// and "len", and "value" (all elements, with --full) or "head" (the first
// few).
type metadataJSON struct {
	Key string `json:"key"`
	arrayJSON
}

// arrayJSON is a value's type and content; also the form of each element of
// an array of arrays.
type arrayJSON struct {
	Type     string `json:"type"`
	ElemType string `json:"elem_type,omitempty"`
	Len      *int   `json:"len,omitempty"`
	Value    any    `json:"value,omitempty"`
	Head     *[]any `json:"head,omitempty"`
}

// totalsJSON is the totals section of --json.
type totalsJSON struct {
	Parameters uint64      `json:"parameters"`
	Bytes      uint64      `json:"bytes"`
	ByType     []typeTotal `json:"by_type"`
}

func (r *inspectReport) writeJSON(w io.Writer, full bool) error {
	out := inspectJSON{
		File: r.path, Version: r.f.Version, Alignment: r.f.Alignment,
		TensorCount: len(r.f.Tensors), MetadataCount: len(r.f.KV),
		DataOffset: r.f.DataOffset, FileSize: r.f.Size,
		Metadata: make([]metadataJSON, 0, len(r.f.KV)),
		Tensors:  r.tensors,
		Totals:   totalsJSON{Parameters: r.params, Bytes: r.bytes, ByType: r.byType},
	}
	if out.Totals.ByType == nil {
		out.Totals.ByType = []typeTotal{}
	}
	for _, kv := range r.f.KV {
		out.Metadata = append(out.Metadata, metadataJSON{Key: kv.Key, arrayJSON: jsonValue(kv.Value, full)})
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(out)
}

// jsonValue describes v for --json. A scalar's value is stored already
// encoded, so that omitempty keeps a false or 0.
func jsonValue(v gguf.Value, full bool) arrayJSON {
	if v.Type != gguf.TypeArray {
		return arrayJSON{Type: v.Type.String(), Value: rawJSON(jsonScalar(v.Any()))}
	}
	n := v.Len()
	a := arrayJSON{Type: "array", ElemType: v.Elem.String(), Len: &n}
	show := n
	if !full {
		show = min(n, inspectHead)
	}
	items := arrayItems(v, show)
	for i, x := range items {
		if sub, ok := x.(gguf.Value); ok {
			items[i] = jsonValue(sub, full)
		} else {
			items[i] = jsonScalar(x)
		}
	}
	if full {
		a.Value = items
	} else {
		a.Head = &items
	}
	return a
}

// jsonScalar converts one scalar for encoding/json: floats in their
// shortest form as json.Number (non-finite ones as strings, which JSON has
// no number for), uint8 as a number rather than base64.
func jsonScalar(x any) any {
	switch x := x.(type) {
	case float32:
		return jsonFloat(float64(x), 32)
	case float64:
		return jsonFloat(x, 64)
	}
	return x
}

func jsonFloat(x float64, bitSize int) any {
	switch {
	case math.IsNaN(x):
		return "NaN"
	case math.IsInf(x, 1):
		return "+Inf"
	case math.IsInf(x, -1):
		return "-Inf"
	}
	return json.Number(strconv.FormatFloat(x, 'g', -1, bitSize))
}

// rawJSON encodes x now, so that omitempty cannot drop a false or 0 scalar.
func rawJSON(x any) json.RawMessage {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(x); err != nil {
		// Scalars from jsonScalar always encode; keep the output valid anyway.
		b, _ := json.Marshal(fmt.Sprint(x))
		return b
	}
	return json.RawMessage(strings.TrimSuffix(b.String(), "\n"))
}

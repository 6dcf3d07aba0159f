package gguf

import (
	"fmt"
	"math"
)

// Type is the type of a metadata value, as numbered in the file
// (gguf_type in ggml).
type Type uint32

// The metadata value types.
const (
	TypeUint8   Type = 0
	TypeInt8    Type = 1
	TypeUint16  Type = 2
	TypeInt16   Type = 3
	TypeUint32  Type = 4
	TypeInt32   Type = 5
	TypeFloat32 Type = 6
	TypeBool    Type = 7
	TypeString  Type = 8
	TypeArray   Type = 9
	TypeUint64  Type = 10
	TypeInt64   Type = 11
	TypeFloat64 Type = 12
)

var typeNames = [...]string{"uint8", "int8", "uint16", "int16", "uint32", "int32", "float32", "bool", "string", "array", "uint64", "int64", "float64"}

// String returns the type's name as gguf.md spells it ("uint32", "array"…).
func (t Type) String() string {
	if int(t) < len(typeNames) {
		return typeNames[t]
	}
	return fmt.Sprintf("type(%d)", uint32(t))
}

// Valid reports whether t is one of the 13 defined types.
func (t Type) Valid() bool { return t <= TypeFloat64 }

// fixedSize is the encoded size of a scalar of type t (0 for string/array).
func (t Type) fixedSize() int64 {
	switch t {
	case TypeUint8, TypeInt8, TypeBool:
		return 1
	case TypeUint16, TypeInt16:
		return 2
	case TypeUint32, TypeInt32, TypeFloat32:
		return 4
	case TypeUint64, TypeInt64, TypeFloat64:
		return 8
	}
	return 0
}

// minSize is the fewest bytes one encoded value of type t takes: a string
// needs its 8-byte length, an array its element type and 8-byte count.
func (t Type) minSize() int64 {
	switch t {
	case TypeString:
		return 8
	case TypeArray:
		return 12
	}
	return t.fixedSize()
}

// Value is one metadata value: a scalar, a string, or an array.
//
// A scalar holds its Go value (uint8 … float64, bool, string). An array holds
// a Go slice of its element type ([]uint8 … []float64, []bool, []string); an
// array of arrays holds []Value whose elements are arrays themselves.
type Value struct {
	// Type is the value's type.
	Type Type
	// Elem is the element type when Type is TypeArray.
	Elem Type
	v    any
}

// NewValue wraps a Go value: one of uint8, int8, uint16, int16, uint32, int32,
// float32, bool, string, uint64, int64, float64, a slice of one of those, or
// []Value (an array of arrays, every element an array).
func NewValue(x any) (Value, error) {
	switch x := x.(type) {
	case uint8:
		return Value{Type: TypeUint8, v: x}, nil
	case int8:
		return Value{Type: TypeInt8, v: x}, nil
	case uint16:
		return Value{Type: TypeUint16, v: x}, nil
	case int16:
		return Value{Type: TypeInt16, v: x}, nil
	case uint32:
		return Value{Type: TypeUint32, v: x}, nil
	case int32:
		return Value{Type: TypeInt32, v: x}, nil
	case float32:
		return Value{Type: TypeFloat32, v: x}, nil
	case bool:
		return Value{Type: TypeBool, v: x}, nil
	case string:
		return Value{Type: TypeString, v: x}, nil
	case uint64:
		return Value{Type: TypeUint64, v: x}, nil
	case int64:
		return Value{Type: TypeInt64, v: x}, nil
	case float64:
		return Value{Type: TypeFloat64, v: x}, nil
	case []uint8:
		return Value{Type: TypeArray, Elem: TypeUint8, v: x}, nil
	case []int8:
		return Value{Type: TypeArray, Elem: TypeInt8, v: x}, nil
	case []uint16:
		return Value{Type: TypeArray, Elem: TypeUint16, v: x}, nil
	case []int16:
		return Value{Type: TypeArray, Elem: TypeInt16, v: x}, nil
	case []uint32:
		return Value{Type: TypeArray, Elem: TypeUint32, v: x}, nil
	case []int32:
		return Value{Type: TypeArray, Elem: TypeInt32, v: x}, nil
	case []float32:
		return Value{Type: TypeArray, Elem: TypeFloat32, v: x}, nil
	case []bool:
		return Value{Type: TypeArray, Elem: TypeBool, v: x}, nil
	case []string:
		return Value{Type: TypeArray, Elem: TypeString, v: x}, nil
	case []uint64:
		return Value{Type: TypeArray, Elem: TypeUint64, v: x}, nil
	case []int64:
		return Value{Type: TypeArray, Elem: TypeInt64, v: x}, nil
	case []float64:
		return Value{Type: TypeArray, Elem: TypeFloat64, v: x}, nil
	case []Value:
		for i, e := range x {
			if e.Type != TypeArray {
				return Value{}, fmt.Errorf("gguf: array of arrays: element %d is a %s", i, e.Type)
			}
		}
		return Value{Type: TypeArray, Elem: TypeArray, v: x}, nil
	}
	return Value{}, fmt.Errorf("gguf: cannot store a %T as a metadata value", x)
}

// MustValue is NewValue that panics on an unsupported Go type; for literals
// in code and tests.
func MustValue(x any) Value {
	v, err := NewValue(x)
	if err != nil {
		panic(err)
	}
	return v
}

// Any returns the Go value (scalar or slice, see [Value]).
func (v Value) Any() any { return v.v }

// Len is the element count of an array, 0 for anything else.
func (v Value) Len() int {
	if v.Type != TypeArray {
		return 0
	}
	switch a := v.v.(type) {
	case []uint8:
		return len(a)
	case []int8:
		return len(a)
	case []uint16:
		return len(a)
	case []int16:
		return len(a)
	case []uint32:
		return len(a)
	case []int32:
		return len(a)
	case []float32:
		return len(a)
	case []bool:
		return len(a)
	case []string:
		return len(a)
	case []uint64:
		return len(a)
	case []int64:
		return len(a)
	case []float64:
		return len(a)
	case []Value:
		return len(a)
	}
	return 0
}

// Uint returns an integer scalar as a uint64; ok is false for other types and
// for negative values.
func (v Value) Uint() (uint64, bool) {
	switch x := v.v.(type) {
	case uint8:
		return uint64(x), true
	case uint16:
		return uint64(x), true
	case uint32:
		return uint64(x), true
	case uint64:
		return x, true
	case int8:
		return uint64(x), x >= 0
	case int16:
		return uint64(x), x >= 0
	case int32:
		return uint64(x), x >= 0
	case int64:
		return uint64(x), x >= 0
	}
	return 0, false
}

// Int returns an integer scalar as an int64; ok is false for other types and
// for a uint64 above math.MaxInt64.
func (v Value) Int() (int64, bool) {
	switch x := v.v.(type) {
	case uint8:
		return int64(x), true
	case uint16:
		return int64(x), true
	case uint32:
		return int64(x), true
	case uint64:
		return int64(x), x <= math.MaxInt64
	case int8:
		return int64(x), true
	case int16:
		return int64(x), true
	case int32:
		return int64(x), true
	case int64:
		return x, true
	}
	return 0, false
}

// Float returns a float32 or float64 scalar as a float64.
func (v Value) Float() (float64, bool) {
	switch x := v.v.(type) {
	case float32:
		return float64(x), true
	case float64:
		return x, true
	}
	return 0, false
}

// Bool returns a bool scalar.
func (v Value) Bool() (bool, bool) {
	b, ok := v.v.(bool)
	return b, ok
}

// Str returns a string scalar.
func (v Value) Str() (string, bool) {
	s, ok := v.v.(string)
	return s, ok
}

// String formats the value for humans (arrays are summarised by type and length).
func (v Value) String() string {
	if v.Type == TypeArray {
		return fmt.Sprintf("[%d]%s", v.Len(), v.Elem)
	}
	if s, ok := v.v.(string); ok {
		return fmt.Sprintf("%q", s)
	}
	return fmt.Sprint(v.v)
}
